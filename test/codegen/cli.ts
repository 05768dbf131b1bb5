/**
 * Runs `nnx-gen generate` in-process. Until src/cli/model_commands.ts registers the command
 * in main(), this builds a program with just `generate` and maps failures to exit codes as
 * main() does (UserError -> 1, commander usage errors -> 2); cli_registration.test.ts checks
 * the real main().
 */
import { Command, CommanderError } from "commander";
import { registerGenerate } from "../../src/cli/generate.js";
import type { CliIO } from "../../src/cli/io.js";
import { UserError } from "../../src/diagnostics/errors.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function generateCli(args: readonly string[]): Promise<CliRun> {
  const run: CliRun = { code: 0, stdout: "", stderr: "" };
  const io: CliIO = { stdout: (t) => void (run.stdout += t), stderr: (t) => void (run.stderr += t), stderrIsTTY: false };
  const program = new Command().exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerGenerate(program, io, (r) => (run.code = r.exitCode));
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  try {
    await program.parseAsync(["generate", ...args], { from: "user" });
  } catch (e) {
    if (e instanceof UserError) {
      io.stderr(`nnx-gen: error: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ""}`);
      run.code = 1;
    } else if (e instanceof CommanderError) run.code = 2;
    else throw e;
  }
  return run;
}
