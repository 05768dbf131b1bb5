/**
 * `bench` restarts the CLI once with glibc malloc tunables set (see node/malloc_tuning.ts:
 * without them every run page-faults its outputs in again). GLIBC_TUNABLES is read only at
 * process start, hence the child process. `run` executes once, so first-touch faults are
 * paid either way and a restart would only add start-up time.
 */
import { spawn } from "node:child_process";
import { needsReexec, reexecCommand, tunedEnv } from "../node/malloc_tuning.js";

const REPEATS_MODELS = new Set(["bench"]);

/** Returns the child's exit code, or undefined when this process should go on itself. */
export async function reexecTuned(argv: readonly string[]): Promise<number | undefined> {
  if (!REPEATS_MODELS.has(argv[0] ?? "") || !needsReexec(process.env)) return undefined;
  const { command, args } = reexecCommand();
  const child = spawn(command, args, { stdio: "inherit", env: tunedEnv(process.env) });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on("SIGINT", forward).on("SIGTERM", forward);
  return new Promise((resolve) => {
    child.on("error", () => resolve(undefined));
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 + 2 : 3)));
  });
}
