/**
 * YAML with positions. This is the only module that touches YAML nodes: it parses a spec,
 * converts it to plain data, and maps JSON pointers back to line:col ranges so every later
 * stage can report at the offending node.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { Diagnostic, Severity } from "../diagnostics/diagnostic.js";
import { pointerOf, pointerSegments } from "../diagnostics/diagnostic.js";

interface Span {
  start: number;
  end: number;
}

interface Located {
  value?: Span;
  key?: Span;
}

/** Alias expansion beyond this many nodes is treated as an alias bomb. */
const MAX_ALIAS_COUNT = 1000;

export interface DiagnosticOptions {
  hint?: string | undefined;
  severity?: Severity;
  /** Point at the mapping key instead of its value (unknown keys). */
  at?: "key" | "value";
}

export class SpecSource {
  readonly diagnostics: Diagnostic[] = [];
  /** The spec as plain data; undefined when the YAML could not be parsed. */
  readonly data: unknown;
  private readonly lines = new LineCounter();
  private readonly spans = new Map<string, Located>();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false, schema: "core" });
    for (const e of doc.errors) {
      const code = e.code === "DUPLICATE_KEY" ? "NNX1002" : "NNX1001";
      const msg = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+.*$/, "");
      this.reportSpan(code, "", { start: e.pos[0], end: Math.max(e.pos[1], e.pos[0] + 1) }, msg, {});
    }
    for (const w of doc.warnings) {
      if (w.code === "TAG_RESOLVE_FAILED" || /tag/i.test(w.message)) {
        this.reportSpan("NNX1006", "", { start: w.pos[0], end: w.pos[1] }, w.message.split("\n")[0]!, {
          hint: "specs are plain data: remove the tag",
        });
      }
    }
    if (doc.errors.length > 0) return;
    this.index(doc.contents as Node | null, []);
    try {
      this.data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const excessive = /alias/i.test(String((e as Error).message));
      this.report(excessive ? "NNX1003" : "NNX1001", "", excessive ? `aliases expand to more than ${MAX_ALIAS_COUNT} nodes` : String((e as Error).message), {
        hint: excessive ? "write the values out, or use fewer nested aliases" : undefined,
      });
      this.data = undefined;
    }
  }

  private index(node: Node | null, path: (string | number)[]): void {
    if (!node) return;
    const ptr = pointerOf(path);
    const entry = this.spans.get(ptr) ?? {};
    if (node.range) entry.value = { start: node.range[0], end: node.range[1] };
    this.spans.set(ptr, entry);
    if (isAlias(node)) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const child = [...path, k];
        const cptr = pointerOf(child);
        const centry = this.spans.get(cptr) ?? {};
        const keyNode = pair.key as Node | null;
        if (keyNode?.range) centry.key = { start: keyNode.range[0], end: keyNode.range[1] };
        this.spans.set(cptr, centry);
        this.index(pair.value as Node | null, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => this.index(item as Node | null, [...path, i]));
    }
  }

  /** The span of a pointer: its value (or key), else the nearest ancestor that has one. */
  private locate(pointer: string, at: "key" | "value"): Span {
    let segs = pointerSegments(pointer);
    for (;;) {
      const loc = this.spans.get(pointerOf(segs));
      const span = at === "key" ? (loc?.key ?? loc?.value) : (loc?.value ?? loc?.key);
      if (span && span.end > span.start) return span;
      if (span) return { start: span.start, end: span.start + 1 };
      if (segs.length === 0) return { start: 0, end: Math.min(1, this.text.length) };
      segs = segs.slice(0, -1);
      at = "value";
    }
  }

  /** Does the document have a node at this pointer? */
  has(pointer: string): boolean {
    return this.spans.has(pointer);
  }

  report(code: string, pointer: string, message: string, opts: DiagnosticOptions = {}): void {
    this.reportSpan(code, pointer, this.locate(pointer, opts.at ?? "value"), message, opts);
  }

  private reportSpan(code: string, pointer: string, span: Span, message: string, opts: DiagnosticOptions): void {
    const a = this.lines.linePos(span.start);
    const b = this.lines.linePos(span.end);
    const d: Diagnostic = {
      file: this.file,
      line: a.line,
      column: a.col,
      endLine: b.line,
      endColumn: b.col,
      code,
      severity: opts.severity ?? "error",
      message,
      pointer,
    };
    if (opts.hint) d.hint = opts.hint;
    // One problem, one diagnostic: several rules can trip over the same node.
    if (!this.diagnostics.some((x) => x.code === d.code && x.pointer === d.pointer && x.message === d.message)) this.diagnostics.push(d);
  }
}
