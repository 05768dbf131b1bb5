import { describe, expect, it } from "vitest";
import { bf16ToF32, castIntegerTensor, f16ToF32, f32ToBf16, f32ToF16 } from "../../src/io/convert.js";
import { tensor } from "../../src/tensor.js";
import { expectUserError } from "./helpers.js";

/** (double, float16 bits) pairs computed by numpy's float64 -> float16 cast. */
const NUMPY_F16: [number, number][] = [
  [1.0, 0x3c00], [1.00048828125, 0x3c00], [1.00146484375, 0x3c02], [65504.0, 0x7bff], [65519.99, 0x7bff],
  [65520.0, 0x7c00], [5.960464477539063e-8, 0x1], [2.9802322387695312e-8, 0x0], [2.980232536792755e-8, 0x1],
  [8.940696716308594e-8, 0x2], [6.1e-5, 0x3ff], [6.097555160522461e-5, 0x3ff], [-0.0, 0x8000], [1e-8, 0x0],
  [0.1, 0x2e66], [-0.3, 0xb4cd], [0.3333333333333333, 0x3555], [6.103515625e-5, 0x400], [6.1005353927612305e-5, 0x400],
  [100000.0, 0x7c00], [-100000.0, 0xfc00], [4097.0, 0x6c00], [2049.0, 0x6800], [2051.0, 0x6802],
  [1.2301533574825743e-9, 0x0], [29.87455375084699, 0x4f78], [-2.7413785536221754e-7, 0x8005],
  [-0.8905918387572742, 0xbb20], [-4546.707851717226, 0xec71], [-0.0009916465549964623, 0x9410],
  [6.0143602597438484e-5, 0x3f1], [0.0013402152455545336, 0x157d],
];

/** The usual float32 -> bfloat16 round-to-nearest-even bit trick, as an independent reference. */
function bf16Reference(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

describe("16-bit floats", () => {
  it.each(NUMPY_F16)("f32ToF16(%d) matches numpy", (x, bits) => {
    expect(f32ToF16(x)).toBe(bits);
  });

  it("f16ToF32 inverts f32ToF16 on every finite half", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent === 0x1f && bits & 0x3ff) {
        expect(f16ToF32(bits)).toBeNaN();
        continue;
      }
      expect(f32ToF16(f16ToF32(bits))).toBe(bits);
    }
  });

  it("bf16 matches the bit trick on float32 values, and round-trips every bfloat16", () => {
    const samples = [1, -1, 0.1, 1 / 3, 3.3895313892515355e38, 3.4e38, 1e-40, 1.1754943508222875e-38, 1.00390625, 1.01171875, -2.5e-3];
    for (const x of samples) expect(f32ToBf16(Math.fround(x))).toBe(bf16Reference(Math.fround(x)));
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = bf16ToF32(bits);
      if (Number.isNaN(value)) continue;
      expect(f32ToBf16(value)).toBe(bits);
    }
  });

  it("NaN and infinities", () => {
    expect(f16ToF32(f32ToF16(NaN))).toBeNaN();
    expect(bf16ToF32(f32ToBf16(NaN))).toBeNaN();
    expect(f32ToF16(-Infinity)).toBe(0xfc00);
    expect(f32ToBf16(Infinity)).toBe(0x7f80);
    expect(f32ToBf16(3.5e38)).toBe(0x7f80);
  });
});

describe("castIntegerTensor", () => {
  it("narrows int64 to int32 when every value fits", () => {
    const t = castIntegerTensor(tensor("int64", [3], [7n, -8n, 2147483647n]), "int32", "ids.npy");
    expect([t.dtype, t.shape, Array.from(t.data as Int32Array)]).toEqual(["int32", [3], [7, -8, 2147483647]]);
  });

  it("widens int8 to int64 and keeps same-dtype tensors as they are", () => {
    expect(Array.from(castIntegerTensor(tensor("int8", [2], [-1, 5]), "int64", "x").data as BigInt64Array)).toEqual([-1n, 5n]);
    const same = tensor("int32", [1], [1]);
    expect(castIntegerTensor(same, "int32", "x")).toBe(same);
  });

  it("names the first value that does not fit", () => {
    const t = tensor("int64", [2, 2], [0n, 1n, 2147483648n, -(2n ** 40n)]);
    const error = expectUserError(() => castIntegerTensor(t, "int32", "ids.npy"), "NNX3037", /ids\.npy: value 2147483648 at index \[1, 0\] does not fit int32/);
    expect(error.file).toBe("ids.npy");
    expectUserError(() => castIntegerTensor(tensor("int32", [2], [3, -1]), "uint32", "x"), "NNX3037", /value -1 at index \[1\]/);
    expectUserError(() => castIntegerTensor(tensor("uint64", [1], [2n ** 63n]), "int64", "x"), "NNX3037", /9223372036854775808/);
  });

  it("refuses non-integer conversions", () => {
    expectUserError(() => castIntegerTensor(tensor("float32", [1]), "int32", "x.npy"), "NNX3038", /holds float32 \[1\] but int32 is expected/);
    expectUserError(() => castIntegerTensor(tensor("int32", [1]), "float32", "x.npy"), "NNX3038");
  });
});
