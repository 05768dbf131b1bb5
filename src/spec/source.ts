/**
 * YAML with positions. This is the only module that touches YAML nodes: it parses a spec,
 * converts it to plain data, and maps JSON pointers back to line:col ranges so every later
 * stage can report at the offending node.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Node } from "yaml";
import type { Diagnostic, Severity } from "../diagnostics/diagnostic.js";
import { pointerOf, pointerSegments } from "../diagnostics/diagnostic.js";
import { NOT_PLAIN, readPlainYaml } from "./plain_yaml.js";

interface Span {
  start: number;
  end: number;
}

interface Located {
  value?: Span;
  key?: Span;
}

/**
 * yaml's own duplicate-key check compares each key with every earlier one (quadratic: 40,000
 * keys took 20 s), so duplicates are found here instead, with a set per mapping.
 */
const PARSE_OPTIONS = { uniqueKeys: false, prettyErrors: false, schema: "core" } as const;

/** Alias expansion beyond this many nodes is treated as an alias bomb. */
const MAX_ALIAS_COUNT = 1000;
/** Deeper documents are rejected before any recursive walk (a 3-D conv mask needs 5 levels). */
const MAX_DEPTH = 64;

/** Offset of the first `[` or `{` nested deeper than MAX_DEPTH (outside quotes and comments). */
function flowDepthExceeded(text: string): number | undefined {
  // Fewer brackets than the limit cannot nest past it: most specs skip the scan.
  if (text.length - text.replace(/[[{]/g, "").length <= MAX_DEPTH) return undefined;
  let depth = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
      else if (c === "\n" && depth === 0) quote = "";
      continue;
    }
    if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if ((c === '"' || c === "'") && (depth > 0 || i === 0 || /[\s:,[{-]/.test(text[i - 1]!))) quote = c;
    else if (c === "[" || c === "{") {
      if (++depth > MAX_DEPTH) return i;
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
  return undefined;
}

interface StructureProblems {
  tooDeep: boolean;
  /** The span of a key that is a list or a mapping. */
  complexKey?: Span;
  /** Keys repeated in their mapping (each repetition after the first). */
  duplicates: (Span & { key: string })[];
}

/**
 * What makes a parsed tree unusable as a spec, found without recursion and in linear time:
 * nesting deeper than MAX_DEPTH, a key that is a list or a mapping, a repeated key.
 */
function structureProblems(root: Node | null): StructureProblems {
  const out: StructureProblems = { tooDeep: false, duplicates: [] };
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) {
      out.tooDeep = true;
      return out;
    }
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const p of node.items) {
        if (!isScalar(p.key) && p.key !== null) {
          const r = (p.key as Node).range ?? node.range;
          if (r && !out.complexKey) out.complexKey = { start: r[0], end: r[1] };
        } else if (isScalar(p.key)) {
          // As yaml compares keys: by their resolved value.
          if (seen.has(p.key.value) && p.key.range) out.duplicates.push({ start: p.key.range[0], end: p.key.range[1], key: String(p.key.value) });
          seen.add(p.key.value);
        }
        stack.push([p.value, depth + 1]);
      }
    } else if (isSeq(node)) for (const item of node.items) stack.push([item, depth + 1]);
  }
  return out;
}

/**
 * The next line after the one holding `offset`, when it is indented deeper than that line's
 * key: the over-indented line's content span, and the key above it.
 */
function overIndented(text: string, offset: number): { span: Span; above: string } | undefined {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = text.indexOf("\n", offset);
  if (lineEnd === -1) return undefined;
  const line = text.slice(lineStart, lineEnd);
  const key = /^(\s*(?:- +)*)([^\s#:][^:]*):(?:\s|$)/.exec(line);
  if (!key) return undefined;
  const nextEnd = text.indexOf("\n", lineEnd + 1);
  const next = text.slice(lineEnd + 1, nextEnd === -1 ? text.length : nextEnd);
  const indent = /^ */.exec(next)![0].length;
  if (indent <= key[1]!.length || indent === next.length) return undefined;
  const start = lineEnd + 1 + indent;
  return { span: { start, end: start + next.trimEnd().length - indent }, above: key[2]!.trim() };
}

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
  /** Offsets where each line starts, from the text itself (the parser's counter misses lines it skips while recovering). */
  private lineStartsCache: number[] | undefined;
  /** Pointer -> key and value spans, built on the first diagnostic (clean specs need none). */
  private readonly spans = new Map<string, Located>();
  private root: Node | null = null;
  /** Read by the plain-YAML fast path: yaml parses it only if a diagnostic needs a position. */
  private rootPending = false;
  private indexed = false;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    const plain = readPlainYaml(text);
    if (plain !== NOT_PLAIN) {
      this.data = plain;
      this.rootPending = true;
      return;
    }
    const tooDeep = flowDepthExceeded(text);
    if (tooDeep !== undefined) {
      // The YAML parser recurses per bracket: refuse before it overflows the stack.
      this.reportSpan("NNX1001", "", { start: tooDeep, end: tooDeep + 1 }, `the YAML nests more than ${MAX_DEPTH} levels deep`, { hint: "specs need only a few levels of nesting" });
      return;
    }
    const doc = parseDocument(text, PARSE_OPTIONS);
    for (const e of doc.errors) {
      const deeper = e.code === "MULTILINE_IMPLICIT_KEY" || e.code === "BLOCK_AS_IMPLICIT_KEY" ? overIndented(text, e.pos[0]) : undefined;
      if (deeper) {
        // yaml blames the line above, whose value it read as running on into the next line.
        this.reportSpan("NNX1001", "", deeper.span, `this line is indented deeper than "${deeper.above}" on the line above, so YAML reads it as part of that value`, {
          hint: `indent it exactly as "${deeper.above}" to make it a key of the same mapping`,
        });
        continue;
      }
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
    this.root = doc.contents as Node | null;
    const problems = structureProblems(this.root);
    if (problems.tooDeep) {
      this.report("NNX1001", "", `the YAML nests more than ${MAX_DEPTH} levels deep`, { hint: "specs need only a few levels of nesting" });
      return;
    }
    if (problems.complexKey) {
      // Checked before toJS, which would warn on the process's stderr about such keys.
      this.reportSpan("NNX1012", "", problems.complexKey, "mapping keys must be plain names, not lists or mappings", {});
      return;
    }
    for (const span of problems.duplicates) this.reportSpan("NNX1002", "", span, `duplicate key "${span.key}": keys must be unique in a mapping`, {});
    if (problems.duplicates.length > 0) return;
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

  private ensureIndex(): void {
    if (this.indexed) return;
    this.indexed = true;
    // yaml reads the fast path's text without errors, to the same data (see plain_yaml.ts).
    if (this.rootPending) this.root = parseDocument(this.text, PARSE_OPTIONS).contents as Node | null;
    this.index(this.root, []);
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
        if (!isScalar(pair.key)) continue;
        const k = String(pair.key.value);
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
    this.ensureIndex();
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


  /** The source text of the node at exactly `pointer` (how a scalar was written), if it has one. */
  literal(pointer: string): string | undefined {
    this.ensureIndex();
    const span = this.spans.get(pointer)?.value;
    return span ? this.text.slice(span.start, span.end) : undefined;
  }

  report(code: string, pointer: string, message: string, opts: DiagnosticOptions = {}): void {
    this.reportSpan(code, pointer, this.locate(pointer, opts.at ?? "value"), message, opts);
  }

  /** Built on the first diagnostic: clean specs need none. */
  private get lineStarts(): number[] {
    if (!this.lineStartsCache) {
      const starts = [0];
      for (let i = this.text.indexOf("\n"); i !== -1; i = this.text.indexOf("\n", i + 1)) starts.push(i + 1);
      this.lineStartsCache = starts;
    }
    return this.lineStartsCache;
  }

  /** 1-based line and column of an offset (clamped to the text). */
  private position(offset: number): { line: number; col: number } {
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: at - this.lineStarts[lo]! + 1 };
  }

  private reportSpan(code: string, pointer: string, span: Span, message: string, opts: DiagnosticOptions): void {
    const a = this.position(span.start);
    const b = this.position(Math.max(span.end, span.start));
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
