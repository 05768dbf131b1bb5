/**
 * float64 (x64) draws: jax.random's uniform/normal/truncated_normal and the initializers in
 * float64 against the NumPy reference (fixtures/prng/make_cases_float64.py ->
 * cases_float64.json), bit for bit, in both threefry layouts; the exact fused multiply-add they
 * rest on; and `run --seed 0 --save-params` of an x64 spec with a float64 Linear.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sampleInitializer64, type Initializer } from "../../src/params/initializers.js";
import type { Distribution } from "../../src/params/jax_random.js";
import { erf64, erfInv64, fma64, fmaExact, sampleFloat64 } from "../../src/params/jax_random64.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import type { Key, PrngLayout } from "../../src/params/threefry.js";
import { cli, expectOk, sharedTempDir, writeSpec } from "../run/helpers.js";

interface Cases64 {
  samplers: { key: Key; kind: Distribution["kind"]; params: Record<string, number>; layout: PrngLayout; n: number; values: string }[];
  initializers: { init: Initializer; shape: number[]; key: Key; layout: PrngLayout; values: string }[];
  linear_kernel: Record<PrngLayout, string>;
}
const CASES: Cases64 = JSON.parse(readFileSync(new URL("../../fixtures/prng/cases_float64.json", import.meta.url), "utf8"));

function f64(b64: string): Float64Array {
  const buf = Buffer.from(b64, "base64");
  return new Float64Array(new Uint8Array(buf).buffer);
}

/** Bit-for-bit equality, reporting the first mismatch. */
function expectBits(got: Float64Array, want: Float64Array): void {
  expect(got.length).toBe(want.length);
  const bad = got.findIndex((v, i) => !Object.is(v, want[i]));
  expect(bad === -1 ? "equal" : `index ${bad}: ${got[bad]} vs ${want[bad]}`).toBe("equal");
}

/** Distance in float64 ulps (same sign). */
function ulps64(a: number, b: number): number {
  const v = new BigInt64Array(new Float64Array([a, b]).buffer);
  const d = v[0]! - v[1]!;
  return Number(d < 0n ? -d : d);
}

/**
 * Bit for bit but for the draws through erf_inv whose log1p(-u²) V8 (fdlibm) and the
 * reference's glibc round differently (both within 1 ulp): at most 1 in 1000, by <= 4 ulps.
 */
function expectBitsButLog1p(got: Float64Array, want: Float64Array): void {
  expect(got.length).toBe(want.length);
  let off = 0;
  got.forEach((v, i) => {
    if (Object.is(v, want[i])) return;
    off++;
    expect(ulps64(v, want[i]!), `index ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(4);
  });
  expect(off).toBeLessThanOrEqual(Math.max(1, got.length / 1000));
}

describe("fma64", () => {
  it("rounds a * b + c once", () => {
    const e = 2 ** -52;
    // (1 + e)(1 - e) - 1 = -e^2 exactly; rounding the product first gives 0.
    expect(fma64(1 + e, 1 - e, -1)).toBe(-(e * e));
    expect((1 + e) * (1 - e) - 1).toBe(0); // what two roundings give
    expect(fma64(0.1, 10, -1)).toBe(5.551115123125783e-17);
    expect(fma64(3, 5, 7)).toBe(22);
    expect(fma64(-2.5, 4, 0)).toBe(-10);
    expect(fma64(1e308, 10, -Infinity)).toBe(-Infinity);
  });
  it("breaks a tie of the rounded product's sum by the exact value", () => {
    // (1 + 2^-52)^2 + 2^-53 = 1 + 2^-51 + 2^-53 + 2^-104: just above the midpoint, so it rounds
    // up; rounding the product first (losing 2^-104) makes a tie that rounds to even, down.
    const a = 1 + 2 ** -52;
    expect(fma64(a, a, 2 ** -53)).toBe(1 + 3 * 2 ** -52);
    expect(a * a + 2 ** -53).toBe(1 + 2 ** -51);
    expect(fma64(1 + 2 ** -27, 1 + 2 ** -26, -1)).toBe(2 ** -27 + 2 ** -26 + 2 ** -53);
  });
});

describe("fma64's fast path (error-free transformations)", () => {
  it("agrees with the exact BigInt fma on random, cancelling and near-tie inputs", () => {
    let state = 12345;
    const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const any = () => (rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 20);
    let mismatches = 0;
    for (let i = 0; i < 40000; i++) {
      let a = any();
      let b = any();
      let c: number;
      switch (i % 4) {
        case 0:
          c = any();
          break;
        case 1:
          c = -(a * b);
          break;
        case 2:
          c = -(a * b) * (1 - 2 ** -53 * (rand() < 0.5 ? 1 : 3));
          break;
        default:
          a = 1 + Math.floor(rand() * 2 ** 26) * 2 ** -52;
          b = 1 + Math.floor(rand() * 2 ** 26) * 2 ** -52;
          c = (rand() < 0.5 ? 1 : -1) * 2 ** -53 * Math.floor(rand() * 4);
      }
      if (!Object.is(fma64(a, b, c), fmaExact(a, b, c))) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});

describe("erf64 and erfInv64 (XLA's F64 approximations)", () => {
  it("invert each other to within a few ulps and give the edge values", () => {
    for (const x of [-0.999999, -0.7, -0.1, 1e-8, 0.3, 0.9, 0.99999999, 1 - 2 ** -50]) {
      expect(Math.abs(erf64(erfInv64(x)) - x)).toBeLessThan(8e-16 * Math.max(1, Math.abs(x) * 4));
    }
    expect(erfInv64(1)).toBe(Infinity);
    expect(erfInv64(-1)).toBe(-Infinity);
    expect(erfInv64(0)).toBe(0);
    // erf(sqrt(2)) = 0.954499736103641585599... (the two-sigma probability), to 1 ulp.
    expect(Math.abs(erf64(Math.SQRT2) - 0.9544997361036416)).toBeLessThanOrEqual(2 ** -53);
    expect(erf64(-Math.SQRT2)).toBe(-erf64(Math.SQRT2));
  });
});

describe("float64 samplers against the NumPy reference, bit for bit", () => {
  it.each(CASES.samplers.map((c) => [`${c.kind} ${JSON.stringify(c.params)} ${c.layout}`, c] as const))("%s", (_, c) => {
    const d: Distribution =
      c.kind === "uniform" ? { kind: "uniform", lo: c.params["lo"]!, hi: c.params["hi"]! } : c.kind === "normal" ? { kind: "normal" } : { kind: "truncated_normal", lower: c.params["lower"]!, upper: c.params["upper"]! };
    (c.kind === "uniform" ? expectBits : expectBitsButLog1p)(sampleFloat64(c.key, c.n, d, 1, c.layout), f64(c.values));
  });
  it.each(CASES.initializers.map((c, i) => [`${i}: ${c.init.kind} ${"distribution" in c.init ? c.init.distribution : ""} [${c.shape}] ${c.layout}`, c] as const))("%s", (_, c) => {
    const uniform = c.init.kind === "uniform" || ("distribution" in c.init && c.init.distribution === "uniform");
    (uniform ? expectBits : expectBitsButLog1p)(sampleInitializer64(c.init, c.shape, c.key, c.layout), f64(c.values));
  });
});

const t = sharedTempDir("seed64", () => undefined);

describe("run --seed 0 with a float64 Linear (x64)", () => {
  it.each(["partitionable", "legacy"] as const)("saves the reference's F64 kernel (%s) and a zero bias", async (layout) => {
    const spec = writeSpec(t, "lin64.yaml", `
model: Lin64
x64: true
inputs:
  x: { shape: [2, 8], dtype: float64 }
layers:
  - { name: d, type: Linear, out_features: 4, param_dtype: float64 }
`);
    const file = t.path(`lin64_${layout}.safetensors`);
    const args = ["run", spec, "--seed", "0", "--out", t.path(`o_${layout}`), "--save-params", file];
    if (layout === "legacy") args.push("--prng", "legacy");
    expectOk(await cli(...args));
    const p = readSafetensors(readFileSync(file), "p");
    expect(p.get("d.kernel")!.dtype).toBe("float64");
    expect(p.get("d.kernel")!.shape).toEqual([8, 4]);
    expectBits(p.get("d.kernel")!.data as Float64Array, f64(CASES.linear_kernel[layout]));
    expect(Array.from(p.get("d.bias")!.data)).toEqual([0, 0, 0, 0]);
  });
});
