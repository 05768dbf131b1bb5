/**
 * The built bin in child processes: the README's main-job command through `npx`, exit codes as
 * a shell sees them, a runtime failure inside onnxruntime (exit 3, asks for a report, no stack),
 * and compileModel's handling of a failing backend. Needs `npx tsc -p .` first (dist/).
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { RuntimeFailure, UserError } from "../../src/diagnostics/errors.js";
import type { Backend } from "../../src/runtime/backend.js";
import { compileModel } from "../../src/runtime/model.js";
import { BIN, EXAMPLES, ROOT, STACK_FRAME, expectUserError, loadModel, readNpyFile, runBin, spawnRun, sharedTempDir, writeSpec } from "./helpers.js";

let spec: string;
/** A child environment without the debug switch that prints stacks. */
const env: NodeJS.ProcessEnv = { ...process.env };
delete env["NNX_GEN_DEBUG"];

const t = sharedTempDir("process", () => {
  expect(existsSync(join(ROOT, "dist/cli/main.js")), "build first: npx tsc -p .").toBe(true);
  spec = writeSpec(
    t,
    "small.yaml",
    `
model: Small
inputs:
  x: { shape: [batch, 4], dtype: float32 }
layers:
  - { name: dense, type: Linear, out_features: 3 }
`,
  );
  // A stand-in for onnxruntime-node that fails the way the native runtime does, loaded into
  // the real bin through a module resolve hook (and inherited by its malloc re-exec).
  t.write(
    "fake-ort.mjs",
    `
const mode = process.env.FAKE_ORT_FAIL ?? "load";
export class Tensor { constructor(type, data, dims) { this.type = type; this.data = data; this.dims = dims; } }
export const env = { versions: { node: "0.0.0-fake", common: "0.0.0-fake" } };
export const InferenceSession = {
  async create() {
    if (mode === "load") throw new Error("[ONNXRuntimeError] : 1 : FAIL : Load model failed (simulated)");
    return {
      inputNames: ["x"], outputNames: ["dense"],
      async run() { throw new Error("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running Gemm node (simulated)"); },
      async release() {},
    };
  },
};
export default { Tensor, env, InferenceSession };
`,
  );
  t.write(
    "resolve-hook.mjs",
    `
export async function resolve(specifier, context, next) {
  if (specifier === "onnxruntime-node") return { url: new URL("./fake-ort.mjs", import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
`,
  );
  t.write("register.mjs", `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(t.path("resolve-hook.mjs")).href)});\n`);
});

describe("a failure inside the runtime", () => {
  for (const mode of ["load", "run"]) {
    it(`at ${mode} time: exit 3, says so, asks for a report, no stack trace, nothing written`, async () => {
      const out = t.path(`fail-${mode}`);
      const r = await runBin(["run", spec, "--dim", "batch=2", "--out", out], {
        cwd: t.dir,
        // The stand-in replaces onnxruntime-node's binding, so the run must use that one.
        env: { ...env, FAKE_ORT_FAIL: mode, NNX_GEN_BINDING: "onnxruntime-node" },
        nodeArgs: ["--import", pathToFileURL(t.path("register.mjs")).href],
      });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain("(simulated)");
      expect(r.stderr).toMatch(/report/);
      expect(r.stderr).not.toMatch(STACK_FRAME);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("export does not need the runtime", async () => {
    const r = await runBin(["export", spec, "--format", "onnx", "-o", t.path("m.onnx")], {
      cwd: t.dir,
      env: { ...env, FAKE_ORT_FAIL: "load" },
      nodeArgs: ["--import", pathToFileURL(t.path("register.mjs")).href],
    });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(t.path("m.onnx")).size).toBeGreaterThan(0);
  });

  it("compileModel turns whatever a backend throws into a RuntimeFailure (exit 3)", async () => {
    const model = loadModel(spec);
    const throwing = (where: "load" | "run"): Backend => ({
      name: "test-backend",
      version: "0",
      load: async () => {
        if (where === "load") throw new TypeError("native session could not be created");
        return {
          inputNames: ["x"],
          outputNames: ["dense"],
          run: async () => {
            throw new Error("kernel crashed");
          },
          release: async () => undefined,
        };
      },
    });
    const load = compileModel(model, { seed: 0 }, { backend: throwing("load") });
    await expect(load).rejects.toBeInstanceOf(RuntimeFailure);
    await expect(load).rejects.toThrow(/test-backend.*native session could not be created/);
    const compiled = await compileModel(model, { seed: 0 }, { backend: throwing("run") });
    const x = { dtype: "float32" as const, shape: [1, 4], data: new Float32Array(4) };
    const run = compiled.run({ x });
    await expect(run).rejects.toBeInstanceOf(RuntimeFailure);
    await expect(run).rejects.toThrow(/kernel crashed/);
    // bad inputs stay the user's problem (exit 1), checked before the backend sees them
    await expect(compiled.run({ x: { ...x, shape: [1, 5], data: new Float32Array(5) } })).rejects.toBeInstanceOf(UserError);
    await expect(compiled.run({ x: { ...x, data: new Float32Array(3) } })).rejects.toThrow(/3 elements of data for shape \[1, 4\]/);
    await expect(compiled.run({ x: { ...x, dtype: "int32", data: new Int32Array(4) } as never })).rejects.toBeInstanceOf(UserError);
    await expect(compiled.run({ x: { ...x, data: new Uint8Array(4) } as never })).rejects.toThrow(/input x is float32 but its data is a Uint8Array/);
    await expect(compiled.run({})).rejects.toThrow(/missing input x/);
    // and a backend's own UserError passes through unchanged
    const userish: Backend = {
      name: "b",
      version: "0",
      load: async () => {
        throw new UserError("NNX3064", "the backend found a bad input");
      },
    };
    await expect(compileModel(model, { seed: 0 }, { backend: userish })).rejects.toBeInstanceOf(UserError);
  });
});

describe("the bin", () => {
  it("user mistakes: exit 1 or 2 as a shell sees them, never a stack trace", async () => {
    const bad = t.write("bad.safetensors", "garbage!");
    const cases: [string[], number][] = [
      [["run", spec, "--dim", "batch=2", "--params", bad, "--out", t.path("o1")], 1],
      [["run", spec, "--out", t.path("o2")], 2],
      [["run", spec, "--dim", "batch=2", "--bogus", "--out", t.path("o3")], 2],
      [["run", t.path("missing.yaml"), "--dim", "batch=2"], 1],
      [["run", spec, "--dim", "batch=2", "--out", t.path("bad.safetensors", "x")], 1],
      [["export", spec, "--format", "tflite", "-o", t.path("m.tflite")], 2],
    ];
    await Promise.all(
      cases.map(async ([args, code]) => {
        const r = await runBin(args, { cwd: t.dir, env });
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(code);
        expect(r.stderr, args.join(" ")).not.toMatch(STACK_FRAME);
        if (code === 1) expectUserError(r);
      }),
    );
  });
});

describe("the README's main job", () => {
  it("`npx nnx-gen run fixtures/examples/tiny_cnn.yaml --dim batch=2` from the repo root", async () => {
    const result = join(ROOT, "logits.npy");
    const existed = existsSync(result);
    const before = existed ? statSync(result).mtimeMs : 0;
    try {
      const r = await spawnRun("npx", ["nnx-gen", "run", "fixtures/examples/tiny_cnn.yaml", "--dim", "batch=2"], { cwd: ROOT, env, timeoutMs: 55_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("logits: float32[2, 10] -> logits.npy");
      expect(r.stderr).not.toMatch(/error/i);
      expect(statSync(result).mtimeMs).toBeGreaterThan(before);
      const logits = readNpyFile(result);
      expect(logits.shape).toEqual([2, 10]);
      expect([...(logits.data as Float32Array)].every(Number.isFinite)).toBe(true);
    } finally {
      if (!existed) rmSync(result, { force: true });
    }
  }, 60_000);

  it("the bin runs the example from any directory (paths resolve against the cwd)", async () => {
    const r = await runBin(["run", join(EXAMPLES, "tiny_cnn.yaml"), "--dim", "batch=2", "--out", "results"], { cwd: t.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(readNpyFile(t.path("results", "logits.npy")).shape).toEqual([2, 10]);
    expect(BIN.endsWith("bin/nnx-gen.js")).toBe(true);
  });
});
