/** Diagnostic formatters: text (people), json, github (Actions annotations), sarif (code scanning). */
import { CODES } from "./codes.js";
import type { Diagnostic } from "./diagnostic.js";

export const DIAGNOSTIC_FORMATS = ["text", "json", "github", "sarif"] as const;
export type DiagnosticFormat = (typeof DIAGNOSTIC_FORMATS)[number];

export function formatDiagnostics(diags: readonly Diagnostic[], format: DiagnosticFormat, toolVersion: string): string {
  switch (format) {
    case "text":
      return formatText(diags);
    case "json":
      return JSON.stringify(diags.map(jsonView), null, 2) + "\n";
    case "github":
      return diags.map(formatGithub).join("");
    case "sarif":
      return JSON.stringify(sarif(diags, toolVersion), null, 2) + "\n";
  }
}

function jsonView(d: Diagnostic): Diagnostic {
  const { file, line, column, endLine, endColumn, code, severity, message, pointer, hint } = d;
  return hint === undefined
    ? { file, line, column, endLine, endColumn, code, severity, message, pointer }
    : { file, line, column, endLine, endColumn, code, severity, message, pointer, hint };
}

function formatText(diags: readonly Diagnostic[]): string {
  let out = "";
  for (const d of diags) {
    const where = d.pointer === "" ? "" : `${d.pointer.slice(1)}: `;
    out += `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code} ${where}${d.message}\n`;
    if (d.hint) out += `  hint: ${d.hint}\n`;
  }
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.length - errors;
  if (diags.length > 0) out += `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}\n`;
  return out;
}

/** GitHub workflow commands: property values escape %, CR, LF, ':' and ','; messages escape %, CR, LF. */
function formatGithub(d: Diagnostic): string {
  const prop = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/:/g, "%3A").replace(/,/g, "%2C");
  const msg = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const text = d.hint ? `${d.message} (hint: ${d.hint})` : d.message;
  const cmd = d.severity === "error" ? "error" : "warning";
  return `::${cmd} file=${prop(d.file)},line=${d.line},col=${d.column},endLine=${d.endLine},endColumn=${d.endColumn},title=${prop(d.code)}::${msg(text)}\n`;
}

function sarif(diags: readonly Diagnostic[], version: string): object {
  const used = [...new Set(diags.map((d) => d.code))].sort();
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "nnx-gen",
            version,
            informationUri: "https://github.com/nnx-gen/nnx-gen",
            rules: used.map((code) => ({
              id: code,
              shortDescription: { text: (CODES as Record<string, string>)[code] ?? code },
            })),
          },
        },
        results: diags.map((d) => ({
          ruleId: d.code,
          ruleIndex: used.indexOf(d.code),
          level: d.severity === "error" ? "error" : "warning",
          message: { text: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: d.file.split("\\").join("/") },
                region: { startLine: d.line, startColumn: d.column, endLine: d.endLine, endColumn: d.endColumn },
              },
              logicalLocations: d.pointer ? [{ fullyQualifiedName: d.pointer, kind: "member" }] : [],
            },
          ],
        })),
      },
    ],
  };
}
