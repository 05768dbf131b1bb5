/**
 * The commander program. `main(argv, io)` is what the bin calls and what tests call
 * in-process; it never throws and never calls process.exit: it returns the exit code.
 */
import "../node/host.js"; // the CLI is Node's: files and the native runtime for the core
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { RuntimeFailure, UsageError, UserError } from "../diagnostics/errors.js";
import { formatDiagnostics } from "../diagnostics/format.js";
import type { IrModel } from "../ir/model.js";
import { checkSpecFile } from "../spec/load.js";
import { VERSION } from "../version.js";
import { registerCommands } from "./commands.js";
import type { CliIO } from "./io.js";

export interface CommandResult {
  exitCode: number;
}

export function choice<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${values.join(", ")}`);
    return v as T;
  };
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return Number(v);
  };
}

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}

/** Check a spec for a command that needs a valid model; diagnostics go to stderr. */
export function requireModel(spec: string, io: CliIO): IrModel {
  const checked = checkSpecFile(spec);
  if (checked.diagnostics.length > 0) io.stderr(formatDiagnostics(checked.diagnostics, "text", VERSION));
  if (hasErrors(checked.diagnostics) || !checked.model) throw new UserError("NNX1000", `${spec} has errors; fix them first (nnx-gen check ${spec})`);
  return checked.model;
}

export { Option };

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let result: CommandResult = { exitCode: 0 };
  const done = (r: CommandResult) => (result = r);
  const program = new Command()
    .name("nnx-gen")
    .description("Flax NNX model specs in YAML: checked, typed TypeScript, run on a native CPU runtime")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .showHelpAfterError("(run nnx-gen --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (s, write) => write(s) });
  try {
    await registerCommands(program, io, done, argv[0]);
    for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    await program.parseAsync([...argv], { from: "user" });
    return result.exitCode;
  } catch (e) {
    return reportFailure(e, io);
  }
}

/** Map every failure to its exit code; only internal failures show a stack, and ask for a report. */
function reportFailure(e: unknown, io: CliIO): number {
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof UsageError) {
    io.stderr(`nnx-gen: ${e.message}\n`);
    return 2;
  }
  if (e instanceof UserError) {
    io.stderr(`nnx-gen: error${e.code === "NNX1000" ? "" : " " + e.code}: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ""}`);
    return 1;
  }
  const failure = e instanceof RuntimeFailure ? e : new RuntimeFailure(`internal error: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  io.stderr(`nnx-gen: ${failure.message}\nThis is a bug in nnx-gen or its runtime; please report it with the spec and command.\n`);
  if (process.env["NNX_GEN_DEBUG"]) io.stderr(`${(e as Error)?.stack ?? ""}\n`);
  return 3;
}
