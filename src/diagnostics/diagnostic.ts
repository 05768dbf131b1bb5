/** One diagnostic type for every stage; formatters live in format.ts. */

export type Severity = "error" | "warning";

export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine: number;
  /** 1-based, exclusive. */
  endColumn: number;
  code: string;
  severity: Severity;
  message: string;
  /** JSON pointer into the spec ("" for the whole document). */
  pointer: string;
  hint?: string;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Stable order: file, position, then code. */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return diags.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/** Build a JSON pointer from path segments (RFC 6901 escaping). */
export function pointerOf(segments: readonly (string | number)[]): string {
  let out = "";
  for (const s of segments) {
    const seg = String(s);
    out += "/" + (seg.includes("~") || seg.includes("/") ? seg.replace(/~/g, "~0").replace(/\//g, "~1") : seg);
  }
  return out;
}

export function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}
