import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  TRUNCATED_NORMAL_STDDEV,
  canonicalInitializer,
  computeFans,
  initializeParam,
  initializerFanError,
  type Initializer,
} from "../../src/params/initializers.js";
import { ndtr } from "../../src/params/special.js";
import { ksCritical, ksStatistic, moments } from "./stats.js";

const vs = (
  scale: number,
  mode: "fan_in" | "fan_out" | "fan_avg" | "fan_geo_avg",
  distribution: "truncated_normal" | "normal" | "uniform",
  in_axis: number | number[] = -2,
  out_axis: number | number[] = -1,
  batch_axis: number[] = [],
): Initializer => ({ kind: "variance_scaling", scale, mode, distribution, in_axis, out_axis, batch_axis });

const LECUN_NORMAL = vs(1, "fan_in", "truncated_normal");
const EMBED_DEFAULT = vs(1, "fan_in", "normal", -2, 0);

describe("canonicalInitializer", () => {
  it.each<[string | Record<string, unknown>, Initializer]>([
    ["zeros", { kind: "zeros" }],
    ["ones", { kind: "ones" }],
    ["lecun_normal", LECUN_NORMAL],
    ["lecun_uniform", vs(1, "fan_in", "uniform")],
    ["glorot_normal", vs(1, "fan_avg", "truncated_normal")],
    ["glorot_uniform", vs(1, "fan_avg", "uniform")],
    ["xavier_normal", vs(1, "fan_avg", "truncated_normal")],
    ["xavier_uniform", vs(1, "fan_avg", "uniform")],
    ["he_normal", vs(2, "fan_in", "truncated_normal")],
    ["he_uniform", vs(2, "fan_in", "uniform")],
    ["kaiming_normal", vs(2, "fan_in", "truncated_normal")],
    ["kaiming_uniform", vs(2, "fan_in", "uniform")],
    [{ name: "normal" }, { kind: "normal", stddev: 0.01 }],
    [{ name: "normal", stddev: 0.02 }, { kind: "normal", stddev: 0.02 }],
    [{ name: "truncated_normal" }, { kind: "truncated_normal", stddev: 0.01, lower: -2, upper: 2 }],
    [{ name: "truncated_normal", stddev: 0.5, upper: 3 }, { kind: "truncated_normal", stddev: 0.5, lower: -2, upper: 3 }],
    [{ name: "uniform" }, { kind: "uniform", scale: 0.01 }],
    [{ name: "uniform", scale: 0.1 }, { kind: "uniform", scale: 0.1 }],
    [{ name: "constant", value: -7 }, { kind: "constant", value: -7 }],
    [{ name: "variance_scaling", scale: 1, mode: "fan_in", distribution: "normal", out_axis: 0 }, EMBED_DEFAULT],
    [
      { name: "variance_scaling", scale: 0.5, mode: "fan_geo_avg", distribution: "uniform", in_axis: [0, 1], out_axis: [-1], batch_axis: [2] },
      vs(0.5, "fan_geo_avg", "uniform", [0, 1], [-1], [2]),
    ],
  ])("%j", (spec, want) => {
    expect(canonicalInitializer(spec)).toEqual(want);
  });

  it.each<[string | Record<string, unknown>, RegExp]>([
    ["normal", /unknown initializer "normal"/],
    ["lecun", /unknown initializer "lecun"/],
    ["toString", /unknown initializer "toString"/],
    [{ name: "lecun_normal" }, /unknown initializer "lecun_normal"/],
    [{ stddev: 1 }, /needs a string "name"/],
    [{ name: "normal", std: 0.1 }, /unknown key "std"/],
    [{ name: "normal", stddev: "0.1" }, /stddev must be a finite number/],
    [{ name: "constant" }, /value must be a finite number/],
    [{ name: "truncated_normal", lower: 1, upper: 1 }, /lower \(1\) must be less than upper \(1\)/],
    [{ name: "variance_scaling", mode: "fan_in", distribution: "normal" }, /scale must be a finite number/],
    [{ name: "variance_scaling", scale: 0, mode: "fan_in", distribution: "normal" }, /scale must be positive/],
    [{ name: "variance_scaling", scale: 1, mode: "fan_mid", distribution: "normal" }, /mode must be one of/],
    [{ name: "variance_scaling", scale: 1, mode: "fan_in", distribution: "cauchy" }, /distribution must be one of/],
    [{ name: "variance_scaling", scale: 1, mode: "fan_in", distribution: "normal", in_axis: 1.5 }, /in_axis must be/],
  ])("rejects %j", (spec, message) => {
    expect(() => canonicalInitializer(spec)).toThrow(message);
  });
});

describe("computeFans (JAX _compute_fans)", () => {
  // [shape, in_axis, out_axis, batch_axis, fan_in, fan_out], worked by hand from
  // receptive = prod(shape) / in / out / batch; fan_in = in·receptive; fan_out = out·receptive.
  it.each<[number[], number | number[], number | number[], number[], number, number]>([
    [[256, 512], -2, -1, [], 256, 512], // Linear(256, 512)
    [[3, 3, 16, 32], -2, -1, [], 144, 288], // Conv 3x3, 16 -> 32: 9·16, 9·32
    [[3, 3, 8, 32], -2, -1, [], 72, 288], // same with feature_group_count 2
    [[3, 3, 4, 32], -2, -1, [], 36, 288], // ... and 4
    [[5, 7, 9], -2, -1, [], 35, 45], // Conv1D kernel 5: 5·7, 5·9
    [[1000, 64], -2, 0, [], 64, 64], // Embed(1000, 64) default: receptive 64000/1000/1000 = 0.064
    [[8, 2, 4], -2, -1, [], 16, 32], // Einsum kernel (8, 2, 4): 8·2, 8·4
    [[192, 35], -2, -1, [], 192, 35], // LinearGeneral batch {0: 4}, in (8, 6), out (5, 7), flat
    [[2, 3, 4, 5], [0, 1], -1, [], 24, 20], // in = 2·3, receptive = 120/6/5 = 4
    [[2, 3, 4, 5], [0, 1], [2, 3], [], 6, 20],
    [[4, 3, 5], -2, -1, [0], 3, 5], // batch axis divides out
    [[5], 0, -1, [], 1, 1], // rank 1 with an explicit in_axis: receptive 5/5/5 = 0.2
    [[3, 4], [], [], [], 12, 12], // empty axis lists are products of nothing
  ])("%j in=%j out=%j batch=%j -> (%d, %d)", (shape, inAxis, outAxis, batchAxis, fanIn, fanOut) => {
    const fans = computeFans(shape, inAxis, outAxis, batchAxis);
    expect(fans.fanIn).toBeCloseTo(fanIn, 10);
    expect(fans.fanOut).toBeCloseTo(fanOut, 10);
  });

  it("with default axes, fan_in = prod / shape[-1] and fan_out = prod / shape[-2]", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 6 }), (shape) => {
        const prod = shape.reduce((a, b) => a * b, 1);
        const { fanIn, fanOut } = computeFans(shape);
        expect(fanIn).toBeCloseTo(prod / shape.at(-1)!, 9);
        expect(fanOut).toBeCloseTo(prod / shape.at(-2)!, 9);
      }),
    );
  });

  it("raises JAX's error for a rank-1 or rank-0 shape with the default in_axis", () => {
    expect(() => computeFans([5])).toThrow(
      "Can't compute input and output sizes of a 1-dimensional weights tensor with default in_axis. " +
        "Must be at least 2D or specify in_axis explicitly.",
    );
    expect(() => computeFans([])).toThrow("of a 0-dimensional weights tensor with default in_axis");
  });

  it("rejects axes out of range and zero-sized axes (IndexError / ZeroDivisionError in JAX)", () => {
    expect(() => computeFans([3, 4], 2)).toThrow("in_axis 2 is out of range for a weights tensor of shape (3, 4)");
    expect(() => computeFans([3, 4], -2, -3)).toThrow("out_axis -3 is out of range");
    expect(() => computeFans([5], [-2])).toThrow("in_axis -2 is out of range for a weights tensor of shape (5,)");
    expect(() => computeFans([0, 4])).toThrow("shape (0, 4): its in_axis size is 0");
  });
});

describe("initializerFanError", () => {
  it("reports at check time what would fail at init time", () => {
    expect(initializerFanError(LECUN_NORMAL, [16])).toMatch(/1-dimensional weights tensor with default in_axis/);
    expect(initializerFanError(LECUN_NORMAL, [3, 0, 4])).toMatch(/its in_axis size is 0/);
    expect(initializerFanError(LECUN_NORMAL, [0, 3, 4])).toMatch(/shape \(0, 3, 4\): its fan_in is 0/);
    expect(initializerFanError(LECUN_NORMAL, [3, 4])).toBeUndefined();
    expect(initializerFanError(vs(1, "fan_in", "normal", 0), [16])).toBeUndefined();
    expect(initializerFanError({ kind: "zeros" }, [16])).toBeUndefined();
    expect(initializerFanError({ kind: "normal", stddev: 1 }, [16])).toBeUndefined();
  });

  it("matches what initializeParam throws", () => {
    expect(() => initializeParam(LECUN_NORMAL, [16], 0, "dense.kernel")).toThrow(initializerFanError(LECUN_NORMAL, [16]));
  });
});

function limitOf(xs: Float32Array): number {
  let m = 0;
  for (const x of xs) m = Math.max(m, Math.abs(x));
  return m;
}

/** Checks a variance_scaling truncated-normal sample: std, bounds ±2σ/0.8796, tails reached, shape. */
function expectTruncatedNormal(xs: Float32Array, std: number): void {
  const m = moments(xs);
  const bound = (2 * std) / TRUNCATED_NORMAL_STDDEV;
  expect(Math.abs(m.std / std - 1)).toBeLessThan(0.02);
  expect(Math.abs(m.mean)).toBeLessThan((5 * std) / Math.sqrt(xs.length));
  expect(limitOf(xs)).toBeLessThan(bound);
  expect(limitOf(xs)).toBeGreaterThan(0.99 * bound);
  expect(Math.abs(m.kurtosis - 2.3655)).toBeLessThan(0.05);
}

function expectNormal(xs: Float32Array, std: number): void {
  const m = moments(xs);
  expect(Math.abs(m.std / std - 1)).toBeLessThan(0.02);
  expect(Math.abs(m.mean)).toBeLessThan((5 * std) / Math.sqrt(xs.length));
  expect(ksStatistic(xs, (x) => ndtr(x / std))).toBeLessThan(ksCritical(xs.length));
}

function expectUniform(xs: Float32Array, limit: number): void {
  const m = moments(xs);
  expect(m.min).toBeGreaterThanOrEqual(-limit);
  expect(m.max).toBeLessThan(limit);
  expect(limitOf(xs)).toBeGreaterThan(0.999 * limit);
  expect(Math.abs(m.std / (limit / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
  expect(Math.abs(m.mean)).toBeLessThan((5 * limit) / Math.sqrt(3 * xs.length));
  expect(ksStatistic(xs, (x) => Math.min(1, Math.max(0, (x + limit) / (2 * limit))))).toBeLessThan(ksCritical(xs.length));
}

describe("initializeParam statistics", () => {
  it("lecun_normal on Linear(256, 512): std 1/16, |x| < 2/16/0.8796", () => {
    const xs = initializeParam(LECUN_NORMAL, [256, 512], 0, "dense.kernel");
    expect(xs.length).toBe(256 * 512);
    expectTruncatedNormal(xs, Math.sqrt(1 / 256));
  });

  it.each([1, 2, 4])("lecun_normal on Conv kernels (3, 3, 16/%d, 32): std sqrt(1/(9·16/G))", (groups) => {
    const shape = [3, 3, 16 / groups, 32];
    // One kernel has only 1152-4608 values: pool 40 of them (independent streams) for tight statistics.
    const kernels = Array.from({ length: 40 }, (_, i) => initializeParam(LECUN_NORMAL, shape, 1, `conv${i}.kernel`));
    const pooled = new Float32Array(kernels.reduce((n, k) => n + k.length, 0));
    kernels.forEach((k, i) => pooled.set(k, i * k.length));
    expectTruncatedNormal(pooled, Math.sqrt(1 / (9 * (16 / groups))));
  });

  it("Embed default on (1000, 64): plain normal with std sqrt(1/64)", () => {
    const xs = initializeParam(EMBED_DEFAULT, [1000, 64], 2, "embed.embedding");
    expectNormal(xs, Math.sqrt(1 / 64));
    // Not truncated: values beyond 3.5σ exist (≈30 expected).
    expect(limitOf(xs)).toBeGreaterThan(3.5 / 8);
  });

  it("LinearGeneral: the flat (prod(batch)·prod(in), prod(out)) shape sets fan_in", () => {
    // batch_axis {0: 4}, in_features (16, 16), out_features (8, 8): flat shape (1024, 64).
    const flat = initializeParam(LECUN_NORMAL, [4 * 16 * 16, 8 * 8], 3, "lg.kernel");
    expect(flat.length).toBe(4 * 16 * 16 * 8 * 8);
    expectTruncatedNormal(flat, Math.sqrt(1 / 1024));
  });

  it("glorot_uniform on (300, 500): U(±sqrt(6/800))", () => {
    expectUniform(initializeParam(canonicalInitializer("glorot_uniform"), [300, 500], 4, "w"), Math.sqrt(6 / 800));
  });

  it("glorot_normal on (300, 500): std sqrt(2/800)", () => {
    expectTruncatedNormal(initializeParam(canonicalInitializer("glorot_normal"), [300, 500], 5, "w"), Math.sqrt(2 / 800));
  });

  it("he_normal on (128, 1024): std sqrt(2/128)", () => {
    expectTruncatedNormal(initializeParam(canonicalInitializer("he_normal"), [128, 1024], 6, "w"), Math.sqrt(2 / 128));
  });

  it("he_uniform and lecun_uniform on (128, 1024): U(±sqrt(6/128)), U(±sqrt(3/128))", () => {
    expectUniform(initializeParam(canonicalInitializer("he_uniform"), [128, 1024], 7, "w"), Math.sqrt(6 / 128));
    expectUniform(initializeParam(canonicalInitializer("lecun_uniform"), [128, 1024], 7, "w"), Math.sqrt(3 / 128));
  });

  it.each<["fan_out" | "fan_avg" | "fan_geo_avg", number]>([
    ["fan_out", 512],
    ["fan_avg", (128 + 512) / 2],
    ["fan_geo_avg", Math.sqrt(128 * 512)],
  ])("variance_scaling(3, %s, normal) on (128, 512): std sqrt(3/%d)", (mode, n) => {
    expectNormal(initializeParam(vs(3, mode, "normal"), [128, 512], 8, "w"), Math.sqrt(3 / n));
  });

  it("normal(0.02): std 0.02, normal shape", () => {
    expectNormal(initializeParam({ kind: "normal", stddev: 0.02 }, [200_000], 9, "w"), 0.02);
  });

  it("truncated_normal(0.5, lower -1, upper 3): inside (-0.5, 1.5) with the truncated CDF", () => {
    const xs = initializeParam({ kind: "truncated_normal", stddev: 0.5, lower: -1, upper: 3 }, [200_000], 10, "w");
    const m = moments(xs);
    expect(m.min).toBeGreaterThan(-0.5);
    expect(m.max).toBeLessThan(1.5);
    const mass = ndtr(3) - ndtr(-1);
    const cdf = (y: number) => (ndtr(Math.min(3, Math.max(-1, y / 0.5))) - ndtr(-1)) / mass;
    expect(ksStatistic(xs, cdf)).toBeLessThan(ksCritical(xs.length));
  });

  it("uniform(scale): U[0, scale), mirrored for a negative scale", () => {
    const pos = moments(initializeParam({ kind: "uniform", scale: 0.1 }, [200_000], 11, "w"));
    expect(pos.min).toBeGreaterThanOrEqual(0);
    expect(pos.max).toBeLessThan(0.1);
    expect(Math.abs(pos.mean - 0.05)).toBeLessThan(0.001);
    const neg = moments(initializeParam({ kind: "uniform", scale: -2 }, [200_000], 11, "w"));
    expect(neg.min).toBeGreaterThanOrEqual(-2);
    expect(neg.max).toBeLessThanOrEqual(0);
    expect(Math.abs(neg.mean + 1)).toBeLessThan(0.02);
    expect(initializeParam({ kind: "uniform", scale: 0 }, [5], 11, "w").every((x) => x === 0)).toBe(true);
  });

  it("zeros, ones and constant are exact and ignore the seed", () => {
    expect([...initializeParam({ kind: "zeros" }, [2, 3], 1, "b")]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...initializeParam({ kind: "ones" }, [4], 1, "b")]).toEqual([1, 1, 1, 1]);
    expect([...initializeParam({ kind: "constant", value: -7 }, [3], 1, "b")]).toEqual([-7, -7, -7]);
    expect([...initializeParam({ kind: "constant", value: 0.1 }, [1], 1, "b")]).toEqual([Math.fround(0.1)]);
    expect(initializeParam({ kind: "ones" }, [], 1, "b")).toEqual(new Float32Array([1])); // a scalar
  });
});

describe("initializeParam determinism", () => {
  it("depends only on (initializer, shape, seed, name)", () => {
    const a = initializeParam(LECUN_NORMAL, [64, 32], 0, "conv1.kernel");
    expect(initializeParam(LECUN_NORMAL, [64, 32], 0, "conv1.kernel")).toEqual(a);
    expect(initializeParam(LECUN_NORMAL, [64, 32], 1, "conv1.kernel")).not.toEqual(a);
    expect(initializeParam(LECUN_NORMAL, [64, 32], 0, "conv2.kernel")).not.toEqual(a);
  });

  it("rejects invalid shapes", () => {
    expect(() => initializeParam({ kind: "zeros" }, [2, -1], 0, "b")).toThrow(RangeError);
    expect(() => initializeParam({ kind: "zeros" }, [2.5], 0, "b")).toThrow(RangeError);
  });
});
