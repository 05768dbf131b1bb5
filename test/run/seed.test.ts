/** `--seed` reproducibility and parameter-less models. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../src/io/npy.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { cli, expectAllClose, expectOk, listDir, readNpyFile, sharedTempDir, writeSpec } from "./helpers.js";

let spec: string;
let relu: string;
const t = sharedTempDir("seed", () => {
  spec = writeSpec(
    t,
    "small.yaml",
    `
model: Small
inputs:
  x: { shape: [batch, 6, 6, 3], dtype: float32 }
layers:
  - { name: conv, type: Conv, out_features: 4, kernel_size: 3 }
  - { type: relu }
  - { type: reshape, shape: [batch, -1] }
  - { name: head, type: Linear, out_features: 5 }
`,
  );
  relu = writeSpec(
    t,
    "relu.yaml",
    `
model: OnlyRelu
inputs:
  x: { shape: [batch, 4], dtype: float32 }
layers:
  - { type: relu }
`,
  );
});

describe("--seed", () => {
  it("the same seed gives byte-identical parameter files; another seed does not", async () => {
    const run = async (seed: string, tag: string) => {
      const file = t.path(`${tag}.safetensors`);
      expectOk(await cli("run", spec, "--dim", "batch=2", "--seed", seed, "--out", t.path(tag), "--save-params", file));
      return readFileSync(file);
    };
    const a = await run("0", "a");
    const b = await run("0", "b");
    const c = await run("1", "c");
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    // Same names, shapes and dtypes; only the values differ, and not just in one tensor.
    const pa = readSafetensors(a, "a");
    const pc = readSafetensors(c, "c");
    expect([...pa.keys()]).toEqual(["conv.kernel", "conv.bias", "head.kernel", "head.bias"]);
    expect([...pc.keys()]).toEqual([...pa.keys()]);
    for (const k of ["conv.kernel", "head.kernel"]) {
      expect(pc.get(k)!.shape).toEqual(pa.get(k)!.shape);
      expect(Buffer.from(pc.get(k)!.data.buffer).equals(Buffer.from(pa.get(k)!.data.buffer))).toBe(false);
    }
    // The default seed is 0; outputs are reproducible too.
    expectOk(await cli("run", spec, "--dim", "batch=2", "--out", t.path("d"), "--save-params", t.path("d.safetensors")));
    expect(readFileSync(t.path("d.safetensors")).equals(a)).toBe(true);
    expect(readFileSync(t.path("d", "head.npy")).equals(readFileSync(t.path("a", "head.npy")))).toBe(true);
    expect(readFileSync(t.path("c", "head.npy")).equals(readFileSync(t.path("a", "head.npy")))).toBe(false);
  });

  it("parameters saved by --save-params load back with --params and give the same outputs", async () => {
    expectOk(await cli("run", spec, "--dim", "batch=2", "--seed", "7", "--out", t.path("s7"), "--save-params", t.path("s7.safetensors")));
    // With --params, random inputs come from the default seed 0: feed the same inputs explicitly.
    const input = { dtype: "float32" as const, shape: [2, 6, 6, 3], data: Float32Array.from({ length: 216 }, (_, i) => Math.sin(i)) };
    const x = t.write("s7-x.npy", writeNpy(input));
    expectOk(await cli("run", spec, "--seed", "7", "--input", `x=${x}`, "--out", t.path("s7c")));
    expectOk(await cli("run", spec, "--params", t.path("s7.safetensors"), "--input", `x=${x}`, "--out", t.path("s7d")));
    expectAllClose(readNpyFile(t.path("s7d", "head.npy")), readNpyFile(t.path("s7c", "head.npy")), "head", 0, 0);
  });

  it("--params and --seed together are a usage error", async () => {
    const r = await cli("run", spec, "--dim", "batch=2", "--seed", "1", "--params", t.path("a.safetensors"), "--out", t.path("u"));
    expect(r.code).toBe(2);
  });

  it("--strip-prefix / --rename without --params are usage errors", async () => {
    for (const flags of [["--strip-prefix", "params."], ["--rename", "a=b"]]) {
      for (const cmd of [["run", spec, "--dim", "batch=2", "--out", t.path("u")], ["export", spec, "--format", "safetensors", "-o", t.path("u.safetensors")]]) {
        const r = await cli(...cmd, "--seed", "1", ...flags);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(flags[0]);
      }
    }
  });

  it("--threads: more threads give the same results; 0 is a usage error", async () => {
    expectOk(await cli("run", spec, "--dim", "batch=2", "--threads", "2", "--out", t.path("th2")));
    expectAllClose(readNpyFile(t.path("th2", "head.npy")), readNpyFile(t.path("a", "head.npy")), "2 threads vs 1", 1e-6, 1e-5);
    for (const bad of ["0", "-1", "x", "1000"]) expect((await cli("run", spec, "--dim", "batch=2", "--threads", bad, "--out", t.path("u"))).code, bad).toBe(2);
  });

  it("--seed must be a non-negative integer", async () => {
    for (const bad of ["-1", "1.5", "abc"]) {
      const r = await cli("run", spec, "--dim", "batch=2", "--seed", bad, "--out", t.path("u"));
      expect(r.code, bad).toBe(2);
    }
  });
});

describe("a model with no parameters", () => {
  it("runs without a parameter file, writes a valid empty safetensors file, and loads it back", async () => {
    const file = t.path("empty.safetensors");
    const r = await cli("run", relu, "--dim", "batch=2", "--out", t.path("e"), "--save-params", file);
    expectOk(r);
    expect(listDir(t.path("e"))).toEqual(["relu_0.npy"]);
    const bytes = readFileSync(file);
    // An 8-byte header length, then a JSON object with no tensors, padded to 8 bytes.
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(bytes.length).toBe(8 + headerLength);
    expect(JSON.parse(bytes.subarray(8).toString("utf8"))).toEqual({});
    expect(readSafetensors(bytes, file).size).toBe(0);
    expectOk(await cli("run", relu, "--dim", "batch=2", "--params", file, "--out", t.path("e2")));
    expect(listDir(t.path("e2"))).toEqual(["relu_0.npy"]);
    // export writes the same empty file
    expectOk(await cli("export", relu, "--format", "safetensors", "-o", t.path("empty2.safetensors")));
    expect(readFileSync(t.path("empty2.safetensors")).equals(bytes)).toBe(true);
    // and a parameter file with something in it is rejected for this model
    const r2 = await cli("run", relu, "--dim", "batch=2", "--params", t.path("a.safetensors"), "--out", t.path("e3"));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("unexpected parameter conv.kernel");
  });
});
