/** `nnx-gen check`: every problem in every file, in one pass. */
import type { Command } from "commander";
import { hasErrors, type Diagnostic } from "../diagnostics/diagnostic.js";
import { DIAGNOSTIC_FORMATS, formatDiagnostics, type DiagnosticFormat } from "../diagnostics/format.js";
import { checkSpecFile } from "../spec/load.js";
import { expandSpecPaths } from "../node/spec_paths.js";
import { VERSION } from "../version.js";
import type { CliIO } from "./io.js";
import { choice, type CommandResult } from "./program.js";

export function registerCheck(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  program
    .command("check")
    .description("validate specs and infer every shape; report problems at file:line:col")
    .argument("<spec...>", "spec files, directories or globs")
    .option("--format <format>", `output format: ${DIAGNOSTIC_FORMATS.join(", ")}`, choice(DIAGNOSTIC_FORMATS), "text")
    .action((specs: string[], opts: { format: DiagnosticFormat }) => {
      const { files, unmatched } = expandSpecPaths(specs);
      const diags: Diagnostic[] = unmatched.map((u) => ({
        file: u, line: 1, column: 1, endLine: 1, endColumn: 1, code: "NNX1020", severity: "error", message: `no spec files match ${u}`, pointer: "",
      }));
      for (const f of files) diags.push(...checkSpecFile(f).diagnostics);
      const text = formatDiagnostics(diags, opts.format, VERSION);
      if (opts.format === "text" && diags.length === 0) io.stdout(`${files.length} spec${files.length === 1 ? "" : "s"} checked, no problems\n`);
      else io.stdout(text);
      done({ exitCode: hasErrors(diags) ? 1 : 0 });
    });
}
