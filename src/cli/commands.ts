/**
 * The commands, each registered from its own module. Only the invoked command's module is
 * imported, so `check` starts without the code (and dependencies) of run, bench or generate;
 * `--help` and unknown commands import them all.
 */
import type { Command } from "commander";
import type { CliIO } from "./io.js";
import type { CommandResult } from "./program.js";

type Register = (program: Command, io: CliIO, done: (r: CommandResult) => void) => void;

const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  check: async () => (await import("./check.js")).registerCheck,
  generate: async () => (await import("./generate.js")).registerGenerate,
  summary: async () => (await import("./summary.js")).registerSummary,
  run: async () => (await import("./run.js")).registerRun,
  bench: async () => (await import("./bench.js")).registerBench,
  export: async () => (await import("./export.js")).registerExport,
};

export async function registerCommands(program: Command, io: CliIO, done: (r: CommandResult) => void, invoked: string | undefined): Promise<void> {
  const names = invoked !== undefined && Object.hasOwn(COMMANDS, invoked) ? [invoked] : Object.keys(COMMANDS);
  for (const register of await Promise.all(names.map((n) => COMMANDS[n]!()))) register(program, io, done);
}
