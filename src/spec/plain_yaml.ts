/**
 * A fast reader for the plain YAML that specs are written in.
 *
 * yaml's full pipeline (lexer, CST parser, composer, toJS) costs about 1 ms per spec while V8
 * is still cold, which was most of `check`'s time on a directory of specs. This reads a strict
 * subset straight to plain data: block mappings and sequences (including `- key: value` items),
 * flow collections (over several lines too), quoted and plain scalars resolved by the YAML 1.2
 * core schema, and comments. Whenever the text steps outside that subset, or this reader is not
 * certain how YAML reads it, it returns NOT_PLAIN and the caller uses yaml, which also owns
 * every error message and every position. The tests check that whatever this accepts, yaml
 * reads to the same value with no errors or warnings.
 */

export const NOT_PLAIN: unique symbol = Symbol("not plain YAML");

/** Anything nested deeper goes to yaml, which reports it (see SpecSource). */
const MAX_DEPTH = 64;

/** Tabs, CR, other control characters, the BOM and Unicode line separators: left to yaml. */
const UNUSUAL_CHARACTER = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;

/**
 * A plain mapping key and its colon, which must be followed by a space or the line end. YAML
 * refuses implicit keys over 1024 characters.
 */
const KEY = /([A-Za-z_][A-Za-z0-9_.-]{0,1023}):(?=[ \n]|$)/y;
/** Keys that YAML resolves to something other than their text, or that toJS treats specially. */
const SPECIAL_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|__proto__)$/;

/** Characters that cannot start a plain scalar, or that start one this reader does not take. */
const UNUSUAL_START = new Set([..."[]{},#&*!|>'\"%@`?:"]);

// The YAML 1.2 core schema, in yaml's order of precedence (yaml/dist/schema/core).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** Thrown inside the reader to give up; never escapes it. */
const GIVE_UP = Symbol("give up");
function giveUp(): never {
  throw GIVE_UP;
}

/** The value a plain scalar stands for under the core schema. */
function resolvePlain(s: string): unknown {
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return s[0] === "t" || s[0] === "T";
  if (INT_OCT.test(s)) return parseInt(s.slice(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.slice(2), 16);
  if (FLOAT_SPECIAL.test(s)) giveUp();
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}

interface Line {
  /** Offset of the first character that is not a space. */
  readonly start: number;
  /** Offset of the newline (or the text's end). */
  readonly end: number;
  readonly indent: number;
  /** Empty, spaces only, or a comment. */
  readonly blank: boolean;
}

/** `text` as plain data, or NOT_PLAIN when yaml must read it. Never throws. */
export function readPlainYaml(text: string): unknown {
  if (UNUSUAL_CHARACTER.test(text)) return NOT_PLAIN;
  try {
    return new Reader(text).document();
  } catch {
    // GIVE_UP, or anything unexpected: yaml reads it instead.
    return NOT_PLAIN;
  }
}

class Reader {
  private readonly lines: Line[] = [];
  /** Index of the line being read. */
  private at = 0;

  constructor(private readonly text: string) {
    let begin = 0;
    for (;;) {
      const nl = text.indexOf("\n", begin);
      const end = nl === -1 ? text.length : nl;
      let start = begin;
      while (start < end && text.charCodeAt(start) === 32) start++;
      this.lines.push({ start, end, indent: start - begin, blank: start === end || text[start] === "#" });
      if (nl === -1) break;
      begin = nl + 1;
    }
  }

  document(): unknown {
    const first = this.peek();
    if (!first || first.indent !== 0 || /^(?:---|\.\.\.|%)/.test(this.text.slice(first.start, first.start + 3))) giveUp();
    const value = this.block(first, 0);
    if (this.peek()) giveUp();
    return value;
  }

  /** The next line with content, skipping blank ones. */
  private peek(): Line | undefined {
    while (this.at < this.lines.length && this.lines[this.at]!.blank) this.at++;
    return this.lines[this.at];
  }

  private isSequenceItem(offset: number, end: number): boolean {
    return this.text[offset] === "-" && (offset + 1 === end || this.text[offset + 1] === " ");
  }

  private skipSpaces(offset: number, end: number): number {
    while (offset < end && this.text.charCodeAt(offset) === 32) offset++;
    return offset;
  }

  /** A block collection whose first line is `line`. */
  private block(line: Line, depth: number): unknown {
    if (depth > MAX_DEPTH) giveUp();
    return this.isSequenceItem(line.start, line.end) ? this.sequence(line.indent, line.start, depth) : this.mapping(line.indent, line.start, depth);
  }

  /** A block sequence at `indent`; its first "-" is at `first` on the current line. */
  private sequence(indent: number, first: number, depth: number): unknown[] {
    const items: unknown[] = [];
    let dash = first;
    for (;;) {
      const line = this.lines[this.at]!;
      const p = this.skipSpaces(dash + 1, line.end);
      const column = indent + (p - dash);
      if (p === line.end || this.text[p] === "#") {
        this.at++;
        const next = this.peek();
        if (!next || next.indent <= indent) giveUp(); // an empty item
        items.push(this.block(next, depth + 1));
      } else if (this.isSequenceItem(p, line.end)) {
        // "- - x": a sequence whose dashes line up with this second one.
        items.push(this.sequence(column, p, depth + 1));
      } else if (this.keyAt(p)) {
        // "- key: value": a mapping whose keys line up with this first one.
        items.push(this.mapping(column, p, depth + 1));
      } else {
        items.push(this.inline(p, indent, depth + 1));
      }
      const next = this.peek();
      if (!next || next.indent < indent || !this.isSequenceItem(next.start, next.end)) return items;
      if (next.indent > indent) giveUp();
      dash = next.start;
    }
  }

  private keyAt(offset: number): string | undefined {
    KEY.lastIndex = offset;
    return KEY.exec(this.text)?.[1];
  }

  /** A block mapping at `indent`; its first key starts at `first` on the current line. */
  private mapping(indent: number, first: number, depth: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let keyStart = first;
    for (;;) {
      const line = this.lines[this.at]!;
      const key = this.keyAt(keyStart);
      if (key === undefined || SPECIAL_KEY.test(key) || Object.hasOwn(map, key)) giveUp();
      const p = this.skipSpaces(keyStart + key.length + 1, line.end);
      if (p === line.end || this.text[p] === "#") {
        this.at++;
        const next = this.peek();
        if (next && next.indent > indent) map[key] = this.block(next, depth + 1);
        // YAML lets a sequence under a key start at the key's own indentation.
        else if (next && next.indent === indent && this.isSequenceItem(next.start, next.end)) map[key] = this.sequence(indent, next.start, depth + 1);
        else map[key] = null;
      } else {
        map[key] = this.inline(p, indent, depth + 1);
      }
      const next = this.peek();
      if (!next || next.indent < indent) return map;
      if (next.indent > indent || this.isSequenceItem(next.start, next.end)) giveUp();
      keyStart = next.start;
    }
  }

  /**
   * A value that starts at `offset` on the current line of a block collection at `indent`.
   * Afterwards only a comment may follow on the line where it ends; moves to the next line.
   */
  private inline(offset: number, indent: number, depth: number): unknown {
    const c = this.text[offset]!;
    let value: unknown;
    let after: number;
    if (c === "[" || c === "{" || c === '"' || c === "'") {
      [value, after] = this.flowNode(offset, indent, depth);
    } else {
      const line = this.lines[this.at]!;
      const comment = this.text.indexOf(" #", offset);
      const raw = this.text.slice(offset, comment === -1 || comment > line.end ? line.end : comment).trimEnd();
      this.checkPlainStart(raw);
      // A colon-space or a trailing colon would make it a key; YAML may read it otherwise.
      if (raw.includes(": ") || raw.endsWith(":")) giveUp();
      value = resolvePlain(raw);
      after = offset + raw.length;
    }
    const line = this.lines[this.at]!;
    const rest = this.skipSpaces(after, line.end);
    if (rest !== line.end && !(this.text[rest] === "#" && rest > after)) giveUp();
    this.at++;
    return value;
  }

  private checkPlainStart(raw: string): void {
    if (raw === "" || UNUSUAL_START.has(raw[0]!) || (raw[0] === "-" && (raw.length === 1 || raw[1] === " "))) giveUp();
  }

  /**
   * Spaces, newlines and comments inside a flow collection. Lines it moves onto must be
   * indented past the block collection that holds the flow (`indent`).
   */
  private skipFlowSpace(offset: number, indent: number): number {
    const text = this.text;
    for (;;) {
      const c = text[offset];
      if (c === " ") offset++;
      else if (c === "#" && text[offset - 1] !== undefined && /[ \n]/.test(text[offset - 1]!)) {
        offset = this.lines[this.at]!.end;
      } else if (c === "\n") {
        this.at++;
        const line = this.lines[this.at];
        // Comment lines too: YAML may not let them sit at or left of the block's indentation.
        if (!line || (line.start !== line.end && line.indent <= indent)) giveUp();
        offset = line.start;
      } else return offset;
    }
  }

  /** A flow collection or a quoted or plain scalar inside one, and the offset after it. */
  private flowNode(offset: number, indent: number, depth: number): [unknown, number] {
    if (depth > MAX_DEPTH) giveUp();
    const text = this.text;
    const c = text[offset];
    if (c === "[") {
      const items: unknown[] = [];
      let p = this.skipFlowSpace(offset + 1, indent);
      if (text[p] === "]") return [items, p + 1];
      for (;;) {
        const [item, after] = this.flowNode(p, indent, depth + 1);
        items.push(item);
        p = this.skipFlowSpace(after, indent);
        if (text[p] === "]") return [items, p + 1];
        if (text[p] !== ",") giveUp();
        p = this.skipFlowSpace(p + 1, indent);
        if (text[p] === "]") giveUp(); // a trailing comma
      }
    }
    if (c === "{") {
      const map: Record<string, unknown> = {};
      let p = this.skipFlowSpace(offset + 1, indent);
      if (text[p] === "}") return [map, p + 1];
      for (;;) {
        const key = this.keyAt(p);
        if (key === undefined || SPECIAL_KEY.test(key) || Object.hasOwn(map, key)) giveUp();
        p = this.skipFlowSpace(p + key.length + 1, indent);
        if (text[p] === "," || text[p] === "}") giveUp(); // a key without a value
        const [value, after] = this.flowNode(p, indent, depth + 1);
        map[key] = value;
        p = this.skipFlowSpace(after, indent);
        if (text[p] === "}") return [map, p + 1];
        if (text[p] !== ",") giveUp();
        p = this.skipFlowSpace(p + 1, indent);
        if (text[p] === "}") giveUp();
      }
    }
    if (c === '"' || c === "'") return this.quoted(offset);
    // A plain scalar ends at a flow indicator or the line's end; one that runs on to the next
    // line continues there in YAML, which the caller's check for "," or a bracket rejects.
    let end = offset;
    while (end < text.length && !",[]{}\n".includes(text[end]!)) end++;
    const raw = text.slice(offset, end).trimEnd();
    this.checkPlainStart(raw);
    if (raw.includes(":") || raw.includes("#")) giveUp();
    return [resolvePlain(raw), offset + raw.length];
  }

  /** A quoted scalar that ends on its own line; double quotes only without escapes. */
  private quoted(offset: number): [string, number] {
    const text = this.text;
    const end = this.lines[this.at]!.end;
    if (text[offset] === '"') {
      const close = text.indexOf('"', offset + 1);
      if (close === -1 || close > end) giveUp();
      const s = text.slice(offset + 1, close);
      if (s.includes("\\")) giveUp();
      return [s, close + 1];
    }
    let s = "";
    let from = offset + 1;
    for (;;) {
      const q = text.indexOf("'", from);
      if (q === -1 || q > end) giveUp();
      if (text[q + 1] === "'") {
        s += text.slice(from, q + 1);
        from = q + 2;
      } else {
        return [s + text.slice(from, q), q + 1];
      }
    }
  }
}
