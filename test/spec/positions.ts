/** Shared checks on diagnostics: positions inside the file, stable codes. */
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";

export const CODE_PATTERN = /^NNX[123]\d{3}$/;

/**
 * Problems with the diagnostics' positions against the text they were reported for:
 * 1-based lines and columns inside the file (a column may be one past the end of its line,
 * an end position may be one past the last line when the file ends with a newline), and
 * ends not before starts. Empty when all is well.
 */
export function positionProblems(text: string, diags: readonly Diagnostic[]): string[] {
  const lines = text.split("\n");
  const fits = (line: number, col: number) =>
    Number.isInteger(line) && Number.isInteger(col) && line >= 1 && col >= 1 && line <= lines.length && col <= lines[line - 1]!.length + 1;
  const problems: string[] = [];
  for (const d of diags) {
    const where = `${d.code} ${d.line}:${d.column}-${d.endLine}:${d.endColumn} (${d.message.slice(0, 80)})`;
    if (!fits(d.line, d.column)) problems.push(`start outside the file: ${where}`);
    if (!fits(d.endLine, d.endColumn)) problems.push(`end outside the file: ${where}`);
    if (d.endLine < d.line || (d.endLine === d.line && d.endColumn < d.column)) problems.push(`end before start: ${where}`);
    if (!CODE_PATTERN.test(d.code)) problems.push(`unstable code: ${where}`);
    if (d.severity !== "error" && d.severity !== "warning") problems.push(`bad severity ${String(d.severity)}: ${where}`);
  }
  return problems;
}
