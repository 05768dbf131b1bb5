/** Plumbing for the `run` / `export` tests: the CLI in-process or as a child, temp dirs, specs, files. */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import type { IrModel } from "../../src/ir/model.js";
import { modelSymbols } from "../../src/ir/model.js";
import { readNpy } from "../../src/io/npy.js";
import { checkSpecFile } from "../../src/spec/load.js";
import type { Tensor } from "../../src/tensor.js";
import { EXAMPLES, ROOT, runCli, STACK_FRAME, tempDir as cliTempDir, type CliRun } from "../cli/helpers.js";

export { EXAMPLES, ROOT, STACK_FRAME, type CliRun };
export const BIN = join(ROOT, "bin/nnx-gen.js");

/** `nnx-gen <argv>` in this process, the way bin/nnx-gen.js runs it (minus the malloc re-exec). */
export function cli(...argv: string[]): Promise<CliRun> {
  return runCli(argv);
}

/** `command args` as a child process; never rejects. */
export function spawnRun(command: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 45_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr });
    });
  });
}

/** The built bin (dist/ must be built: `npx tsc -p .`), as a child process. */
export function runBin(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[] } = {}): Promise<CliRun> {
  return spawnRun(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], opts);
}

/** Exit 1, a message naming `mentions`, no stack trace. */
export function expectUserError(r: CliRun, ...mentions: (string | RegExp)[]): void {
  expect(r.code, `stderr: ${r.stderr}`).toBe(1);
  expect(r.stderr).toMatch(/^nnx-gen: error/m);
  expect(r.stderr).not.toMatch(STACK_FRAME);
  for (const m of mentions) {
    if (typeof m === "string") expect(r.stderr).toContain(m);
    else expect(r.stderr).toMatch(m);
  }
}

export function expectOk(r: CliRun): void {
  expect(r.code, `stderr: ${r.stderr}`).toBe(0);
}

export interface Temp {
  dir: string;
  path: (...parts: string[]) => string;
  write: (name: string, content: string | Uint8Array) => string;
  cleanup: () => void;
}

export function tempDir(prefix: string): Temp {
  const { dir, cleanup } = cliTempDir(`run-${prefix}`);
  return {
    dir,
    path: (...parts) => join(dir, ...parts),
    write: (name, content) => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup,
  };
}

/**
 * The temp dir the tests of one file share: made before they run (then `setup` writes what
 * they share into it) and removed after them, so a file whose tests are all filtered out
 * leaves nothing behind. Call it at the top of the file; the dir is there once tests run.
 */
export function sharedTempDir(prefix: string, setup?: (t: Temp) => void | Promise<void>): Temp {
  let temp: Temp | undefined;
  beforeAll(async () => {
    temp = tempDir(prefix);
    await setup?.(temp);
  });
  afterAll(() => temp?.cleanup());
  const made = (): Temp => temp ?? expect.fail(`the ${prefix} temp dir is used before the tests run`);
  return {
    get dir() {
      return made().dir;
    },
    path: (...parts) => made().path(...parts),
    write: (name, content) => made().write(name, content),
    cleanup: () => made().cleanup(),
  };
}

/** A spec file from YAML lines (nnx_gen: 1 is added). */
export function writeSpec(t: Temp, name: string, yaml: string): string {
  return t.write(name, `nnx_gen: 1\n${yaml.replace(/^\n/, "")}`);
}

export function loadModel(spec: string): IrModel {
  const checked = checkSpecFile(spec);
  if (!checked.model) throw new Error(`${spec} does not check: ${JSON.stringify(checked.diagnostics)}`);
  return checked.model;
}

/** The example specs that ship with the project. */
/**
 * The full-size architectures (100+ MB of parameters each) have their own tests
 * (test/cli/example_models.test.ts, test/torch/check_models.py); the per-example checks here
 * would initialize each one five times over.
 */
export const FULL_SIZE_EXAMPLES = new Set(["gpt2_small.yaml", "vit_b16.yaml", "resnet18.yaml", "gemma_block.yaml"]);

export function exampleSpecs(): string[] {
  return readdirSync(EXAMPLES)
    .filter((f) => f.endsWith(".yaml") && !FULL_SIZE_EXAMPLES.has(f))
    .sort()
    .map((f) => join(EXAMPLES, f));
}

/** Small values for every symbol the examples use. */
const DIM_VALUES: Record<string, number> = { batch: 2, seq: 16, height: 32, width: 32 };

export function dimsFor(model: IrModel, overrides: Record<string, number> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of modelSymbols(model)) {
    const v = overrides[s] ?? DIM_VALUES[s];
    if (v === undefined) throw new Error(`no test value for symbolic dim ${s} of ${model.file}`);
    out[s] = v;
  }
  return out;
}

export function dimFlags(dims: Record<string, number>): string[] {
  return Object.entries(dims).flatMap(([k, v]) => ["--dim", `${k}=${v}`]);
}

export function readNpyFile(path: string): Tensor {
  return readNpy(readFileSync(path), path);
}

export function expectFinite(t: Tensor, what: string): void {
  const d = t.data as ArrayLike<number>;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) expect.fail(`${what}: element ${i} is ${d[i]}`);
  }
}

/** |a - b| <= atol + rtol |b| everywhere, with the same shape and dtype. */
export function expectAllClose(a: { dtype: string; shape: readonly number[]; data: unknown }, b: Tensor, what: string, atol = 1e-5, rtol = 1e-4): void {
  expect(a.dtype, what).toBe(b.dtype);
  expect([...a.shape], what).toEqual([...b.shape]);
  const x = a.data as ArrayLike<number>;
  const y = b.data as ArrayLike<number>;
  expect(x.length, what).toBe(y.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < y.length; i++) {
    const err = Math.abs(Number(x[i]) - Number(y[i])) - rtol * Math.abs(Number(y[i]));
    if (!(err <= atol) && (Number.isNaN(err) || err > worst)) {
      worst = Number.isNaN(err) ? Infinity : err;
      at = i;
    }
  }
  if (at >= 0) expect.fail(`${what}: element ${at}: ${x[at]} vs ${y[at]}`);
}

/** Entries of a directory, dotfiles (temp files) included. */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}
