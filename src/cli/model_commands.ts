/** Commands that execute or compile models are registered here once they exist. */
import type { Command } from "commander";
import type { CliIO } from "./io.js";
import type { CommandResult } from "./program.js";

export function registerModelCommands(_program: Command, _io: CliIO, _done: (r: CommandResult) => void): void {}
