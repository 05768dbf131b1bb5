/** Entry point for bin/nnx-gen.js. */
import { processIO } from "./io.js";
import { main } from "./program.js";
import { reexecTuned } from "./reexec.js";

export async function runCli(argv: readonly string[]): Promise<void> {
  process.exitCode = (await reexecTuned(argv)) ?? (await main(argv, processIO));
}
