/**
 * Both bindings to onnxruntime, through the same tests: nnx-gen's own (native/nnx_ort.c, the
 * default when built) and onnxruntime-node's (the fallback).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RuntimeFailure } from "../../src/diagnostics/errors.js";
import type { Backend, Session } from "../../src/runtime/backend.js";
import { ADDON_PATH, nativeBackend } from "../../src/node/native.js";
import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { linear } from "../../src/runtime/onnx/ops_linear.js";
import { cast } from "../../src/runtime/onnx/ops_shape.js";
import { ortBackend, ortImportFailure } from "../../src/node/ort.js";
import { tensor } from "../../src/tensor.js";
import { EXAMPLES } from "../cli/helpers.js";
import { BIN } from "../run/helpers.js";

/** What scripts/build-native.mjs reported. */
const build = JSON.parse(readFileSync(join(dirname(ADDON_PATH), "status.json"), "utf8")) as { built: boolean; missingTools?: boolean; reason?: string };

describe("which binding runs models", () => {
  it("nnx-gen's own binding, unless the machine lacks a C compiler or Node's headers", async () => {
    // A compile that failed with the tools present is a bug, not a fallback.
    expect(build.built || build.missingTools, build.reason).toBe(true);
    expect(existsSync(ADDON_PATH)).toBe(build.built);
    const b = await nativeBackend();
    expect(b.name).toBe(build.built ? "onnxruntime (nnx-gen binding)" : "onnxruntime-node");
    expect(b.version).toBe((await ortBackend()).version);
  });

  it("onnxruntime-node's when NNX_GEN_BINDING says so", () => {
    const dir = mkdtempSync(join(tmpdir(), "nnx-gen-binding-"));
    try {
      for (const [binding, name] of [["onnxruntime-node", "onnxruntime-node"], ["", build.built ? "onnxruntime (nnx-gen binding)" : "onnxruntime-node"]]) {
        const report = join(dir, `${binding || "default"}.json`);
        const args = [BIN, "bench", join(EXAMPLES, "tiny_cnn.yaml"), "--dim", "batch=1", "--iterations", "1", "--peak-gflops", "100", "--json", report];
        const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, NNX_GEN_BINDING: binding } });
        expect(r.status, r.stderr).toBe(0);
        expect((JSON.parse(readFileSync(report, "utf8")) as { backend: string }).backend).toBe(name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const backends: [string, () => Promise<Backend>][] = [
  ["onnxruntime-node", ortBackend],
  ...(existsSync(ADDON_PATH)
    ? ([
        ["nnx-gen binding, outputs in place", () => nativeBackend({ writeInPlace: true })],
        ["nnx-gen binding, outputs copied", () => nativeBackend({ writeInPlace: false })],
      ] as [string, () => Promise<Backend>][])
    : []),
];

describe.each(backends)("%s", (label, backend) => {
  const open: Session[] = [];
  afterAll(async () => {
    for (const s of open) await s.release();
  });

  async function session(build: (g: GraphBuilder) => void): Promise<Session> {
    const g = new GraphBuilder();
    build(g);
    return (await backend()).load(g.toBytes());
  }

  it("reports its name and version", async () => {
    const b = await backend();
    expect(b.name).toBe(label === "onnxruntime-node" ? "onnxruntime-node" : "onnxruntime (nnx-gen binding)");
    expect(b.version).toMatch(/^1\.\d+\.\d+/);
  });

  it("a symbolic batch dim runs at two batch sizes in one session", async () => {
    const W = tensor("float32", [2, 3], [1, 0, 2, 0, 1, 3]);
    const s = await session((g) => g.output(linear(g, g.input("x", "float32", ["batch", 2]), W), "y", "float32", ["batch", 3]));
    open.push(s);
    expect(s.inputNames).toEqual(["x"]);
    expect(s.outputNames).toEqual(["y"]);
    const one = await s.run({ x: tensor("float32", [1, 2], [1, 2]) });
    expect(one.y!.shape).toEqual([1, 3]);
    expect(Array.from(one.y!.data as Float32Array)).toEqual([1, 2, 8]);
    const three = await s.run({ x: tensor("float32", [3, 2], [1, 2, 0, 1, 2, 0]) });
    expect(three.y!.shape).toEqual([3, 3]);
    expect(Array.from(three.y!.data as Float32Array)).toEqual([1, 2, 8, 0, 1, 3, 2, 0, 4]);
  });

  it("inputs and outputs of other dtypes come back as host tensors without conversion", async () => {
    const s = await session((g) => {
      const x = g.input("x", "int64", ["n"]);
      g.output(cast(g, x, "float16"), "h", "float16", ["n"]);
      g.output(g.node("Greater", [x, g.constInt64([1])]), "b", "bool", ["n"]);
      g.output(g.node("Add", [x, x]), "i", "int64", ["n"]);
    });
    open.push(s);
    const out = await s.run({ x: tensor("int64", [3], [0n, 1n, 2n]) });
    expect(out.h!.dtype).toBe("float16");
    expect(Array.from(out.h!.data as Uint16Array)).toEqual([0x0000, 0x3c00, 0x4000]);
    expect(out.b!.dtype).toBe("bool");
    expect(Array.from(out.b!.data as Uint8Array)).toEqual([0, 0, 1]);
    expect(Array.from(out.i!.data as BigInt64Array)).toEqual([0n, 2n, 4n]);
  });

  it("a bad feed is a RuntimeFailure (exit 3) carrying ORT's message", async () => {
    const s = await session((g) => g.output(g.node("Relu", [g.input("x", "float32", ["batch", 2])]), "y", "float32", ["batch", 2]));
    open.push(s);
    const wrongType = s.run({ x: tensor("int32", [1, 2], [1, 2]) });
    await expect(wrongType).rejects.toBeInstanceOf(RuntimeFailure);
    await expect(wrongType).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/onnxruntime run failed: .*type/i) });
    await expect(s.run({ x: tensor("float32", [1, 3], [1, 2, 3]) })).rejects.toThrow(/onnxruntime run failed: .*(dimension|shape)/i);
    await expect(s.run({})).rejects.toBeInstanceOf(RuntimeFailure);
    await expect(s.run({ x: tensor("bfloat16", [1, 2], [0, 0]) })).rejects.toThrow(/bfloat16/);
  });

  it("outputs announced in advance are written in place; others and pass-through inputs still come back", async () => {
    const W = tensor("float32", [2, 3], [1, 0, 2, 0, 1, 3]);
    const s = await session((g) => {
      const x = g.input("x", "float32", ["batch", 2]);
      g.output(linear(g, x, W), "y", "float32", ["batch", 3]);
      g.output(g.node("Relu", [x]), "r", "float32", ["batch", 2]);
      g.output(x, "x", "float32", ["batch", 2]);
    });
    open.push(s);
    const x = tensor("float32", [2, 2], [1, -2, 3, 4]);
    for (const expected of [undefined, { y: { dtype: "float32" as const, shape: [2, 3] }, x: { dtype: "float32" as const, shape: [2, 2] } }]) {
      const out = await s.run({ x }, expected);
      expect(Array.from(out.y!.data as Float32Array)).toEqual([1, -2, -4, 3, 4, 18]);
      expect(Array.from(out.r!.data as Float32Array)).toEqual([1, 0, 3, 4]);
      expect(Array.from(out.x!.data as Float32Array)).toEqual([1, -2, 3, 4]);
      expect(out.y!.shape).toEqual([2, 3]);
    }
    // An announced shape the model does not produce is the runtime's failure, not silence.
    if (label.includes("in place")) {
      await expect(s.run({ x }, { y: { dtype: "float32", shape: [2, 4] } })).rejects.toBeInstanceOf(RuntimeFailure);
    }
  });

  it("data whose element size is not the dtype's is refused, never read or written past its end", async () => {
    const s = await session((g) => g.output(g.node("Relu", [g.input("x", "float32", [4])]), "y", "float32", [4]));
    open.push(s);
    const wrong = { dtype: "float32" as const, shape: [4], data: new Uint8Array(4) as unknown as Float32Array };
    await expect(s.run({ x: wrong })).rejects.toBeInstanceOf(RuntimeFailure);
  });

  it("a released session refuses to run, with a RuntimeFailure", async () => {
    const s = await session((g) => g.output(g.node("Relu", [g.input("x", "float32", [2])]), "y", "float32", [2]));
    expect(Array.from((await s.run({ x: tensor("float32", [2], [-1, 1]) })).y!.data as Float32Array)).toEqual([0, 1]);
    await s.release();
    await expect(s.run({ x: tensor("float32", [2], [-1, 1]) })).rejects.toBeInstanceOf(RuntimeFailure);
  });

  it("a model ORT cannot load is a RuntimeFailure", async () => {
    const b = await backend();
    await expect(b.load(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(RuntimeFailure);
    await expect(b.load(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/could not load the model/);
  });
});

describe("without onnxruntime-node", () => {
  it("a missing package says how to install it; other import errors keep their message", () => {
    const missing = ortImportFailure(Object.assign(new Error("Cannot find package 'onnxruntime-node'"), { code: "ERR_MODULE_NOT_FOUND" }));
    expect(missing).toBeInstanceOf(RuntimeFailure);
    expect(missing.message).toMatch(/not installed.*npm install onnxruntime-node/);
    const broken = ortImportFailure(new Error("libonnxruntime.so.1: cannot open shared object file"));
    expect(broken.message).toMatch(/failed to load: libonnxruntime/);
  });
});
