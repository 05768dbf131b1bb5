/**
 * float16, bfloat16 and float64 through the built CLI's files: inputs from .npy ('<f2', '<V2')
 * and .safetensors, outputs as .npy (bfloat16 as exact float32, with a note) or one
 * .safetensors in each output's dtype, float64 parameter files rounded to float32 with x64 off
 * (and saved as float32), and dtype mismatches as exit-1 errors naming both dtypes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { writeFlaxMsgpack } from "../../src/io/msgpack.js";
import { writeNpy } from "../../src/io/npy.js";
import { writeNpz } from "../../src/io/npz.js";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { expectOk, expectUserError, listDir, readNpyFile, runBin, sharedTempDir, writeSpec } from "./helpers.js";

let passSpec: string;
let linSpec: string;
const t = sharedTempDir("dtype-files", () => {
  passSpec = writeSpec(
    t,
    "pass.yaml",
    `
model: Pass
inputs:
  a: { shape: [2, 3], dtype: bfloat16 }
  b: { shape: [4], dtype: float16 }
layers:
  - { name: a6, type: reshape, input: a, shape: [6] }
  - { name: b22, type: reshape, input: b, shape: [2, 2] }
outputs: { a6: a6, b22: b22 }
`,
  );
  linSpec = writeSpec(
    t,
    "lin.yaml",
    `
model: Lin
inputs:
  x: { shape: [2, 3], dtype: float32 }
layers:
  - { name: fc, type: Linear, out_features: 2 }
outputs: { y: fc }
`,
  );
});

// bfloat16: 1, -2, +inf, -0, the smallest subnormal, pi rounded; float16: 1, the smallest subnormal, 65504, -inf.
const A = new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x8000, 0x0001, 0x4049]);
const B = new Uint16Array([0x3c00, 0x0001, 0x7bff, 0xfc00]);
const words = (x: Tensor | undefined) => Array.from(x!.data as Uint16Array);
const bytesOf = (x: Tensor) => Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength);

describe("16-bit inputs and outputs", () => {
  it("reads .safetensors inputs by name and ml_dtypes' '<V2' .npy; writes bfloat16 .npy as exact float32 with a note, float16 as '<f2'", async () => {
    const both = t.write("in.safetensors", writeSafetensors({ a: tensor("bfloat16", [2, 3], A), b: tensor("float16", [4], B) }));
    const r = await runBin(["run", passSpec, "--input", `a=${both}`, "--input", `b=${both}`, "--out", t.path("npy")]);
    expectOk(r);
    expect(listDir(t.path("npy"))).toEqual(["a6.npy", "b22.npy"]);
    const a6 = readNpyFile(t.path("npy", "a6.npy"));
    expect(a6.dtype).toBe("float32");
    expect(Array.from(a6.data as Float32Array)).toEqual([1, -2, Infinity, -0, 2 ** -133, 3.140625]);
    expect(readFileSync(t.path("npy", "a6.npy")).subarray(10, 25).toString("latin1")).toBe("{'descr': '<f4'");
    expect(r.stderr).toMatch(/note: output a6 is bfloat16; .*a6\.npy holds its values as float32 \(exact\)/);
    const b22 = readNpyFile(t.path("npy", "b22.npy"));
    expect([b22.dtype, b22.shape, words(b22)]).toEqual(["float16", [2, 2], [...B]]);
    expect(r.stdout).toContain("a6: bfloat16[6] ->");

    // The same bits from .npy files: '<V2' as np.save writes ml_dtypes.bfloat16, '<f2'.
    const aNpy = t.write("a.npy", writeNpy(tensor("bfloat16", [2, 3], A)));
    expect(readFileSync(aNpy).subarray(10, 25).toString("latin1")).toBe("{'descr': '<V2'");
    const bNpy = t.write("b.npy", writeNpy(tensor("float16", [4], B)));
    expectOk(await runBin(["run", passSpec, "--input", `a=${aNpy}`, "--input", `b=${bNpy}`, "--out", t.path("npy2")]));
    expect(readFileSync(t.path("npy2", "a6.npy")).equals(readFileSync(t.path("npy", "a6.npy")))).toBe(true);
  });

  it("--out-format safetensors writes <out>/outputs.safetensors with every output in its own dtype, bit for bit", async () => {
    const both = t.write("in2.safetensors", writeSafetensors({ a: tensor("bfloat16", [2, 3], A), b: tensor("float16", [4], B) }));
    const r = await runBin(["run", passSpec, "--input", `a=${both}`, "--input", `b=${both}`, "--out", t.path("st"), "--out-format", "safetensors"]);
    expectOk(r);
    expect(r.stderr).not.toContain("as float32");
    expect(listDir(t.path("st"))).toEqual(["outputs.safetensors"]);
    const out = readSafetensors(readFileSync(t.path("st", "outputs.safetensors")), "outputs.safetensors");
    expect([...out.keys()]).toEqual(["a6", "b22"]);
    expect([out.get("a6")!.dtype, out.get("a6")!.shape, words(out.get("a6"))]).toEqual(["bfloat16", [6], [...A]]);
    expect([out.get("b22")!.dtype, out.get("b22")!.shape, words(out.get("b22"))]).toEqual(["float16", [2, 2], [...B]]);
    // The header names the safetensors dtypes.
    const header = readFileSync(t.path("st", "outputs.safetensors")).subarray(8, 120).toString("utf8");
    expect(header).toContain('"a6":{"dtype":"BF16","shape":[6]');
    expect(header).toContain('"b22":{"dtype":"F16","shape":[2,2]');
  });

  it("random 16-bit inputs are float32 normal draws rounded to the dtype", async () => {
    const r = await runBin(["run", passSpec, "--out", t.path("rand"), "--out-format", "safetensors", "--seed", "3"]);
    expectOk(r);
    const out = readSafetensors(readFileSync(t.path("rand", "outputs.safetensors")), "o");
    for (const w of [...words(out.get("a6")), ...words(out.get("b22"))]) expect(w & 0x7fff).toBeLessThan(0x7c00); // finite
    expect(new Set(words(out.get("a6"))).size).toBe(6);
  });

  it("refuses mismatched, ambiguous and corrupt input files with exit 1", async () => {
    const f32 = t.write("a32.safetensors", writeSafetensors({ a: tensor("float32", [2, 3]) }));
    expectUserError(await runBin(["run", passSpec, "--input", `a=${f32}`, "--out", t.path("x")]), "NNX3038", "float32", "bfloat16", "ml_dtypes");
    const two = t.write("two.safetensors", writeSafetensors({ p: tensor("float16", [4]), q: tensor("float16", [4]) }));
    expectUserError(await runBin(["run", passSpec, "--input", `b=${two}`, "--out", t.path("x")]), "NNX3070", "holds 2 tensors (p, q)");
    const truncated = t.write("cut.safetensors", readFileSync(f32).subarray(0, 40));
    expectUserError(await runBin(["run", passSpec, "--input", `a=${truncated}`, "--out", t.path("x")]), "cut.safetensors");
    const badHeader = t.write("v3.npy", writeNpy(tensor("bfloat16", [2, 3], A)).fill(0x20, 10, 20));
    expectUserError(await runBin(["run", passSpec, "--input", `a=${badHeader}`, "--out", t.path("x")]), "NNX3011");
    const usage = await runBin(["run", passSpec, "--out", t.path("x"), "--out-format", "npz"]);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('--out-format is npy or safetensors, got "npz"')]);
  });
});

describe("float64 parameter files with x64 off, and dtype mismatches", () => {
  // 1 + 2^-24 is a tie (rounds to even: 1), 1 + 3 * 2^-24 rounds up, 1e-50 underflows to 0.
  const kernel = new Float64Array([0.1, 1 + 2 ** -24, 1 + 3 * 2 ** -24, 1e-50, -2, 1 / 3]);
  const bias = new Float64Array([1 / 3, -1]);
  const params = { "fc.kernel": tensor("float64", [3, 2], kernel), "fc.bias": tensor("float64", [2], bias) };
  const rounded = [Math.fround(0.1), 1, 1 + 2 ** -22, 0, -2, Math.fround(1 / 3)];

  it.each([
    ["safetensors", () => writeSafetensors(params)],
    ["npz", () => writeNpz(params)],
    ["msgpack", () => writeFlaxMsgpack(params)],
  ] as const)("%s: accepted, rounded to nearest even with a note, and --save-params writes float32", async (format, write) => {
    const file = t.write(`p64.${format}`, write());
    const saved = t.path(`saved_${format}.safetensors`);
    const r = await runBin(["run", linSpec, "--params", file, "--out", t.path(`o_${format}`), "--save-params", saved]);
    expectOk(r);
    expect(r.stderr).toMatch(/note: .*p64\.\w+: float64 converted to float32 \(x64 is off.*fc\.kernel, fc\.bias/);
    const back = readSafetensors(readFileSync(saved), "saved");
    expect(back.get("fc.kernel")!.dtype).toBe("float32");
    expect(Array.from(back.get("fc.kernel")!.data as Float32Array)).toEqual(rounded);
    expect(Array.from(back.get("fc.bias")!.data as Float32Array)).toEqual([Math.fround(1 / 3), -1]);
  });

  it("a parameter of another dtype is exit 1, naming the parameter, both dtypes and the layer", async () => {
    const file = t.write("pbf.safetensors", writeSafetensors({ "fc.kernel": tensor("bfloat16", [3, 2]), "fc.bias": tensor("float16", [2]) }));
    const r = await runBin(["run", linSpec, "--params", file, "--out", t.path("never")]);
    expectUserError(r, "NNX3063", "fc.kernel: the file holds bfloat16 but the spec's param_dtype is float32 (layer fc at lin.yaml#/layers/0)", "fc.bias: the file holds float16");
    expect(r.stderr).toMatch(/hint: convert the arrays to the spec's param_dtype/);
    expect(listDir(t.dir)).not.toContain("never");
  });

  it("saved parameters read back byte-identical through a second run", async () => {
    const first = t.path("saved_safetensors.safetensors");
    const again = t.path("again.safetensors");
    expectOk(await runBin(["run", linSpec, "--params", first, "--out", t.path("o_again"), "--save-params", again]));
    const a = readSafetensors(readFileSync(first), "a");
    const b = readSafetensors(readFileSync(again), "b");
    for (const [name, x] of a) expect(bytesOf(b.get(name)!).equals(bytesOf(x)), name).toBe(true);
  });
});

describe("param_dtype bfloat16 / float16 through the CLI: read -> run -> --save-params -> read", () => {
  const specFor = (dtype: string) =>
    writeSpec(
      t,
      `lin_${dtype}.yaml`,
      `
model: Lin
inputs:
  x: { shape: [2, 3], dtype: ${dtype} }
layers:
  - { name: fc, type: Linear, out_features: 2, param_dtype: ${dtype} }
outputs: { y: fc }
`,
    );
  const kernels = {
    // Includes a subnormal, a negative zero and the largest finite value of each dtype.
    bfloat16: new Uint16Array([0x3f80, 0xbe00, 0x0001, 0x8000, 0x7f7f, 0x4049]),
    float16: new Uint16Array([0x3c00, 0xb400, 0x0001, 0x8000, 0x7bff, 0x4248]),
  } as const;

  it.each([
    ["bfloat16", "safetensors"],
    ["bfloat16", "npz"],
    ["bfloat16", "msgpack"],
    ["float16", "safetensors"],
    ["float16", "npz"],
    ["float16", "msgpack"],
  ] as const)("%s in %s: byte-identical, in the file's own dtype", async (dtype, format) => {
    const spec = specFor(dtype);
    const params = { "fc.kernel": tensor(dtype, [3, 2], kernels[dtype]), "fc.bias": tensor(dtype, [2], new Uint16Array([0x0000, 0x8001])) };
    const write = { safetensors: writeSafetensors, npz: writeNpz, msgpack: writeFlaxMsgpack }[format];
    const file = t.write(`p_${dtype}.${format}`, write(params));
    const saved = t.path(`rt_${dtype}_${format}.safetensors`);
    const r = await runBin(["run", spec, "--params", file, "--out", t.path(`rt_${dtype}_${format}`), "--out-format", "safetensors", "--save-params", saved]);
    expectOk(r);
    const back = readSafetensors(readFileSync(saved), "saved");
    for (const [name, x] of Object.entries(params)) {
      expect(back.get(name)!.dtype, name).toBe(dtype);
      expect(bytesOf(back.get(name)!).equals(bytesOf(x)), name).toBe(true);
    }
    // A file of the other 16-bit dtype is refused, naming both.
    const other = dtype === "bfloat16" ? "float16" : "bfloat16";
    const wrong = t.write(`wrong_${dtype}.${format}`, write({ "fc.kernel": tensor(other, [3, 2]), "fc.bias": tensor(dtype, [2]) }));
    expectUserError(await runBin(["run", spec, "--params", wrong, "--out", t.path("never")]), "NNX3063", `fc.kernel: the file holds ${other} but the spec's param_dtype is ${dtype}`);
  });

  it("a float64 file for bfloat16 params is refused even with x64 off (only float32 params take float64 files)", async () => {
    const f64 = t.write("p64_for_bf16.safetensors", writeSafetensors({ "fc.kernel": tensor("float64", [3, 2]), "fc.bias": tensor("float64", [2]) }));
    expectUserError(await runBin(["run", specFor("bfloat16"), "--params", f64, "--out", t.path("never")]), "NNX3063", "holds float64 but the spec's param_dtype is bfloat16");
  });
});
