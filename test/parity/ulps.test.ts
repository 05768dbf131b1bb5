/**
 * The ulp comparator of the dtype parity cases (helpers.ts ulpMismatch), and that the committed
 * fixtures tell a correct 16-bit computation from the usual wrong ones: a result rounded once
 * where JAX rounds twice, a float32 result never rounded, rounding by truncation.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectParityOutput, type ParityCase, ulpMismatch } from "./helpers.js";

const CASES = new URL("../../fixtures/parity_extra/", import.meta.url).pathname;

/** float32 -> bfloat16 as float32, round to nearest even (the oracle's rounding). */
function bf16(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer);
  if (Number.isNaN(v)) return v;
  u[0] = (((u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) >>> 16) << 16) >>> 0;
  return f[0]!;
}

/** float32 -> bfloat16 by dropping the low bits: a wrong rounding. */
function bf16Truncated(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer);
  u[0] = (u[0]! & 0xffff0000) >>> 0;
  return f[0]!;
}

const f32 = Math.fround;

describe("ulpMismatch", () => {
  it("accepts equal values, and a neighbour only with a tolerance of 1 ulp", () => {
    const want = [1, -2.5, 0, 1e30].map(bf16);
    expect(ulpMismatch(want, want, "bfloat16", 0)).toBeUndefined();
    const next = [1 + 2 ** -7, -2.5, 0, 1e30].map(bf16);
    expect(ulpMismatch(next, want, "bfloat16", 0)).toMatch(/element 0: .* 1 ulps of bfloat16 apart/);
    expect(ulpMismatch(next, want, "bfloat16", 1)).toBeUndefined();
    expect(ulpMismatch([1 + 2 ** -6], [1], "bfloat16", 1)).toMatch(/2 ulps/);
  });

  it("counts ulps across zero and across a power of two", () => {
    const tiny = 2 ** -126;
    expect(ulpMismatch([tiny], [-tiny], "bfloat16", 255)).toMatch(/256 ulps/);
    expect(ulpMismatch([0], [-0], "bfloat16", 0)).toBeUndefined();
    expect(ulpMismatch([2 - 2 ** -7], [2], "bfloat16", 1)).toBeUndefined(); // below 2 the spacing halves
    expect(ulpMismatch([f32(1 + 2 ** -23)], [1], "float32", 0)).toMatch(/1 ulps of float32/);
  });

  it("rejects a bfloat16 output that holds an unrounded float32 value, whatever the tolerance", () => {
    expect(ulpMismatch([f32(1 + 2 ** -10)], [1], "bfloat16", 4)).toMatch(/not a bfloat16 value/);
  });

  it("compares float16 as raw bits, with NaN and infinities", () => {
    // 0x3c00 = 1, 0x3c01 = 1 + 2^-10, 0x7c00 = inf, 0x7e00 = NaN, 0x7bff = 65504
    expect(ulpMismatch(new Uint16Array([0x3c01]), new Uint16Array([0x3c00]), "float16", 1)).toBeUndefined();
    expect(ulpMismatch(new Uint16Array([0x3c01]), new Uint16Array([0x3c00]), "float16", 0)).toMatch(/0x3c01, want 0x3c00/);
    expect(ulpMismatch(new Uint16Array([0x7e00]), new Uint16Array([0x7c01]), "float16", 0)).toBeUndefined();
    expect(ulpMismatch(new Uint16Array([0x7bff]), new Uint16Array([0x7c00]), "float16", 1)).toMatch(/infinity/);
    expect(ulpMismatch(new Uint16Array([0x3c00]), new Uint16Array([0x7e00]), "float16", 1)).toMatch(/NaN/);
    expect(ulpMismatch(new Uint16Array([0x8000]), new Uint16Array([0x0000]), "float16", 0)).toBeUndefined();
  });

  it("rejects NaN for a number and a number for NaN in bfloat16", () => {
    expect(ulpMismatch([Number.NaN], [1], "bfloat16", 1)).toMatch(/NaN/);
    expect(ulpMismatch([1], [Number.NaN], "bfloat16", 1)).toMatch(/NaN/);
    expect(ulpMismatch([Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY], "bfloat16", 1)).toMatch(/infinity/);
  });
});

// --- The fixture dtype_linear_bf16 against computations right and wrong -----------------------

function npyPayload(file: string): { descr: string; shape: number[]; data: Uint8Array } {
  const bytes = readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString("latin1");
  const descr = /'descr': '([^']*)'/.exec(header)![1]!;
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(",").filter((s) => s.trim() !== "").map(Number);
  return { descr, shape, data: new Uint8Array(bytes.subarray(10 + headerLength)) };
}

/** bfloat16 bits (little-endian) -> float32 values. */
function fromBf16Bytes(data: Uint8Array): Float32Array {
  const bits = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return new Float32Array(new Uint32Array([...bits].map((b) => (b << 16) >>> 0)).buffer);
}

function safetensorsBf16(file: string): Map<string, { shape: number[]; values: Float32Array }> {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    expect(info.dtype).toBe("BF16");
    out.set(name, { shape: info.shape, values: fromBf16Bytes(new Uint8Array(bytes.subarray(8 + n + info.data_offsets[0], 8 + n + info.data_offsets[1]))) });
  }
  return out;
}

describe("the dtype fixtures catch wrong roundings (dtype_linear_bf16)", () => {
  const dir = join(CASES, "dtype_linear_bf16");
  const x = npyPayload(join(dir, "x.npy"));
  const xv = fromBf16Bytes(x.data);
  const params = safetensorsBf16(join(dir, "params.safetensors"));
  const kernel = params.get("dense.kernel")!;
  const bias = params.get("dense.bias")!.values;
  const want = npyPayload(join(dir, "expected", "dense.npy"));
  const wantValues = new Float32Array(want.data.buffer.slice(want.data.byteOffset, want.data.byteOffset + want.data.byteLength));
  const [inF, outF] = kernel.shape as [number, number];
  const rows = xv.length / inF;
  const cases = JSON.parse(readFileSync(join(CASES, "cases.json"), "utf8")) as { name: string; ulps?: number }[];
  const ulps = cases.find((c) => c.name === "dtype_linear_bf16")!.ulps!;

  /** y = x . kernel accumulated in float32 (double here: exact for this grid data), then `finish`. */
  const linear = (finish: (dot: number, b: number) => number): number[] => {
    const y: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outF; o++) {
        let acc = 0;
        for (let i = 0; i < inF; i++) acc += xv[r * inF + i]! * kernel.values[i * outF + o]!;
        y.push(finish(f32(acc), bias[o]!));
      }
    }
    return y;
  };

  it("is written as ml_dtypes writes bfloat16, and its tolerance is 0 ulps", () => {
    expect(x.descr).toBe("<V2");
    expect(want.descr).toBe("<f4");
    expect(ulps).toBe(0);
  });

  it("accepts JAX's computation: the dot rounded to bfloat16, then y + bias rounded again", () => {
    expect(ulpMismatch(linear((d, b) => bf16(f32(bf16(d) + b))), wantValues, "bfloat16", ulps)).toBeUndefined();
  });

  it("rejects the dot and the bias add fused in float32 and rounded once", () => {
    expect(ulpMismatch(linear((d, b) => bf16(f32(d + b))), wantValues, "bfloat16", ulps)).toMatch(/ulps of bfloat16 apart/);
  });

  it("rejects a float32 result that is never rounded to bfloat16", () => {
    expect(ulpMismatch(linear((d, b) => f32(bf16(d) + b)), wantValues, "bfloat16", ulps)).toMatch(/not a bfloat16 value/);
  });

  it("rejects rounding by truncation", () => {
    expect(ulpMismatch(linear((d, b) => bf16Truncated(f32(bf16Truncated(d) + b))), wantValues, "bfloat16", ulps)).toMatch(/apart/);
  });
});

describe("expectParityOutput", () => {
  const c: ParityCase = { name: "c", about: "", inputs: [], outputs: ["y"], atol: 0, rtol: 0, dtypes: { y: "bfloat16" }, ulps: 0 };
  const want = { dtype: "float32", shape: [2], data: new Float32Array([1.5, -0.0078125]) };

  it("takes a bfloat16 output as float32 values (a CLI .npy) or as raw bits (an in-process run)", () => {
    expectParityOutput(c, "y", { dtype: "float32", shape: [2], data: new Float32Array([1.5, -0.0078125]) }, want);
    expectParityOutput(c, "y", { dtype: "bfloat16", shape: [2], data: new Uint16Array([0x3fc0, 0xbc00]) }, want);
    expect(() => expectParityOutput(c, "y", { dtype: "bfloat16", shape: [2], data: new Uint16Array([0x3fc1, 0xbc00]) }, want)).toThrow(/1 ulps/);
    expect(() => expectParityOutput(c, "y", { dtype: "float16", shape: [2], data: new Uint16Array([0x3e00, 0xa000]) }, want)).toThrow(/dtype of y/);
  });

  it("keeps atol/rtol for the other cases", () => {
    const f: ParityCase = { name: "f", about: "", inputs: [], outputs: ["y"], atol: 1e-3, rtol: 0 };
    expectParityOutput(f, "y", { dtype: "float32", shape: [2], data: new Float32Array([1.5005, 0]) }, { dtype: "float32", shape: [2], data: new Float32Array([1.5, 0]) });
    expect(() => expectParityOutput(f, "y", { dtype: "float32", shape: [2], data: new Float32Array([1.502, 0]) }, { dtype: "float32", shape: [2], data: new Float32Array([1.5, 0]) })).toThrow(/atol/);
  });
});
