/** Run the CLI in-process with a fake io, the way bin/nnx-gen.js runs it. */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/program.js";
import type { CliIO } from "../../src/cli/io.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: readonly string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stderrIsTTY: false };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** A V8 stack frame ("    at fn (file.js:1:2)"): never shown to users for their own mistakes. */
export const STACK_FRAME = /^\s+at .*(:\d+:\d+\)?|\(native\))\s*$/m;

export const ROOT = join(import.meta.dirname, "../..");
export const EXAMPLES = join(ROOT, "fixtures/examples");
/** How many example specs ship (what `check fixtures/examples` counts). */
export const EXAMPLE_COUNT = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f)).length;
export const FAIL = join(ROOT, "fixtures/fail");

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `nnx-gen-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The JSON diagnostics of a `check --format json` run: the Diagnostic objects as they are. */
export type JsonDiagnostic = Diagnostic;

export function parseJsonDiagnostics(stdout: string): JsonDiagnostic[] {
  return JSON.parse(stdout) as JsonDiagnostic[];
}
