/** Commands that execute, export or compile models. */
import type { Command } from "commander";
import { registerBench } from "./bench.js";
import { registerExport } from "./export.js";
import { registerGenerate } from "./generate.js";
import type { CliIO } from "./io.js";
import type { CommandResult } from "./program.js";
import { registerRun } from "./run.js";

export function registerModelCommands(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  registerGenerate(program, io, done);
  registerRun(program, io, done);
  registerExport(program, io, done);
  registerBench(program, io, done);
}
