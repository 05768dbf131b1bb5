import { describe, expect, it } from "vitest";
import { bf16ToF32, castIntegerTensor, f16ToF32, f32ToBf16, f32ToF16, fromFloat32, toFloat32 } from "../../src/io/convert.js";
import { readNpz } from "../../src/io/npz.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { expectUserError, fixture } from "./helpers.js";

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

describe("toFloat32 / fromFloat32 (the exported tensor conversions)", () => {
  const words = (t: Tensor) => Array.from(t.data as Uint16Array);
  const f32 = (bits: number[]) => tensor("float32", [bits.length], new Float32Array(new Uint32Array(bits).buffer));

  it("float32 -> float16 matches numpy's cast bit for bit (random patterns, ties, subnormal and overflow edges)", () => {
    // make_io_fixtures.py: x (float32) and numpy's x.astype(np.float16).
    const fixtureTensors = readNpz(fixture("f32_to_f16.npz"), "f32_to_f16.npz");
    const x = fixtureTensors.get("x") as Tensor<"float32">;
    const h = fixtureTensors.get("h")!;
    expect(x.data.length).toBeGreaterThan(3000);
    expect(words(fromFloat32("float16", x))).toEqual(words(h));
  });

  it("float32 -> float16 and bfloat16: ties to even, overflow to infinity, subnormals kept", () => {
    const half = (values: number[]) => words(fromFloat32("float16", tensor("float32", [values.length], values.map(Math.fround) as never)));
    expect(half([1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 3 * 2 ** -25, 65504, 65520, 2 ** -24, -0])).toEqual([0x3c00, 0x3c02, 0x0000, 0x0002, 0x7bff, 0x7c00, 0x0001, 0x8000]);
    // bfloat16 on float32 bit patterns: a tie below rounds to even, the largest finite float32
    // overflows, a subnormal tie rounds to even.
    const brain = (bits: number[]) => words(fromFloat32("bfloat16", f32(bits)));
    expect(brain([0x3f808000, 0x3f818000, 0x3f808001, 0x7f7f7fff, 0x7f7f8000, 0x7f7fffff, 0x00008000, 0x00018000, 0x80000000])).toEqual([
      0x3f80, 0x3f82, 0x3f81, 0x7f7f, 0x7f80, 0x7f80, 0x0000, 0x0002, 0x8000,
    ]);
  });

  it("NaN stays NaN (a signalling NaN does not round into infinity) and keeps its sign; infinities stay", () => {
    const nan = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7f800000, 0xff800000];
    expect(words(fromFloat32("bfloat16", f32(nan)))).toEqual([0x7fc0, 0xffc0, 0x7fc0, 0xffc0, 0x7f80, 0xff80]);
    expect(words(fromFloat32("float16", f32(nan)))).toEqual([0x7e00, 0xfe00, 0x7e00, 0xfe00, 0x7c00, 0xfc00]);
  });

  it("bfloat16 agrees with the independent scalar rounding on 20000 random float32 patterns", () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const bits = Array.from({ length: 20000 }, () => next());
    const x = f32(bits);
    const got = words(fromFloat32("bfloat16", x));
    (x.data as Float32Array).forEach((v, i) => {
      if (!Number.isNaN(v)) expect(got[i], `bits ${bits[i]!.toString(16)}`).toBe(f32ToBf16(v));
    });
  });

  it("every float16 and bfloat16 word converts to float32 exactly and back to the same word", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    for (const dtype of ["float16", "bfloat16"] as const) {
      const values = toFloat32(tensor(dtype, [65536], all));
      const scalar = dtype === "float16" ? f16ToF32 : bf16ToF32;
      const back = words(fromFloat32(dtype, values));
      const wrong: number[] = [];
      for (let b = 0; b < 65536; b++) {
        const v = values.data[b]!;
        const ok = Number.isNaN(scalar(b)) ? Number.isNaN(v) && (back[b]! & 0x8000) === (b & 0x8000) : Object.is(v, scalar(b)) && back[b] === b;
        if (!ok) wrong.push(b);
      }
      expect(wrong, dtype).toEqual([]);
    }
  });

  it("float64 -> float32 rounds to nearest even, as jnp.asarray(x, jnp.float32); float32 -> float64 is exact", () => {
    // 1 + 2^-24 is a tie between 1 and 1 + 2^-23: even is 1; 1 + 3 * 2^-24 rounds up; 1e39 overflows.
    const d = tensor("float64", [6], [1 + 2 ** -24, 1 + 3 * 2 ** -24, 1 + 2 ** -24 + 2 ** -50, 1e39, -0, 2 ** -149 / 2]);
    expect(Array.from(toFloat32(d).data)).toEqual([1, 1 + 2 ** -22, 1 + 2 ** -23, Infinity, -0, 0]);
    const w = fromFloat32("float64", tensor("float32", [2], [0.1, -3]));
    expect(Array.from(w.data)).toEqual([Math.fround(0.1), -3]);
    expect(toFloat32(tensor("float32", [1], [2])).data[0]).toBe(2);
  });

  it("tensor() takes 16-bit words, not values, and refuses values by mistake", () => {
    expect(words(tensor("bfloat16", [2], [0x3f80, 0]))).toEqual([0x3f80, 0]);
    expect(() => tensor("bfloat16", [2], [1.5, 2])).toThrow(/raw 16-bit words.*fromFloat32/);
    expect(() => tensor("float16", [1], [70000])).toThrow(RangeError);
  });
});
