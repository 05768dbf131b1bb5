/** Entry point for bin/nnx-gen.js. */
import { processIO } from "./io.js";
import { main } from "./program.js";

export async function runCli(argv: readonly string[]): Promise<void> {
  process.exitCode = await main(argv, processIO);
}
