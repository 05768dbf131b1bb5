import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng, fnv1a64, splitmix64, streamState } from "../../src/params/prng.js";
import { ndtr } from "../../src/params/special.js";
import { correlation, ksCritical, ksStatistic, moments } from "./stats.js";

const N = 200_000;

function normals(seed: number, stream: string, n = N): Float32Array {
  return new Rng(seed, stream).fillNormal(new Float32Array(n));
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe("building blocks match their reference implementations", () => {
  it("xoshiro128** from state {1, 2, 3, 4} (xoshiro128starstar.c 1.1)", () => {
    const rng = Rng.fromState([1, 2, 3, 4]);
    const got = Array.from({ length: 10 }, () => rng.nextUint32());
    expect(got).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it("SplitMix64 from seed 1234567 (splitmix64.c)", () => {
    let state = 1234567n;
    const got: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const [out, next] = splitmix64(state);
      got.push(out);
      state = next;
    }
    expect(got).toEqual([
      6457827717110365317n, 3203168211198807973n, 9817491932198370423n, 4593380528125082431n, 16408922859458223821n,
    ]);
  });

  it("FNV-1a 64 reference hashes", () => {
    expect(fnv1a64("")).toBe(0xcbf29ce484222325n);
    expect(fnv1a64("a")).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64("foobar")).toBe(0x85944171f73967e8n);
  });

  it("rejects the all-zero xoshiro state and non-integer seeds", () => {
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(RangeError);
    for (const seed of [0.5, NaN, Infinity, 2 ** 53]) expect(() => new Rng(seed, "w")).toThrow(RangeError);
  });
});

describe("determinism and stream separation", () => {
  it("the same seed and name give identical bytes", () => {
    expect(bytes(normals(7, "conv1.kernel", 10_000)).equals(bytes(normals(7, "conv1.kernel", 10_000)))).toBe(true);
  });

  it("another seed or another name gives other values", () => {
    const base = normals(0, "conv1.kernel", 1000);
    for (const [seed, name] of [
      [1, "conv1.kernel"],
      [-1, "conv1.kernel"],
      [2 ** 32, "conv1.kernel"], // the seed's high word counts
      [0, "conv1.bias"],
      [0, "conv2.kernel"],
      [0, "conv1.kernel "],
    ] as const) {
      const other = normals(seed, name, 1000);
      expect(other.some((v, i) => v !== base[i]), `${seed} ${name}`).toBe(true);
    }
  });

  it("different (seed, name) pairs start from different states", () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), fc.string(), (seed, a, b) => {
        fc.pre(a !== b);
        expect(streamState(seed, a)).not.toEqual(streamState(seed, b));
        expect(streamState(seed, a)).not.toEqual(streamState(seed + 1, a));
      }),
    );
  });

  it("a stream's values do not depend on other streams being drawn first", () => {
    const alone = normals(3, "layers.1.kernel", 1000);
    normals(3, "layers.0.kernel", 5000);
    expect(bytes(normals(3, "layers.1.kernel", 1000)).equals(bytes(alone))).toBe(true);
  });

  it("fills continue the scalar sequence", () => {
    const a = new Rng(5, "x");
    const b = new Rng(5, "x");
    const filled = a.fillNormal(new Float32Array(100));
    const scalar = Float32Array.from({ length: 100 }, () => b.normal());
    expect(bytes(filled).equals(bytes(scalar))).toBe(true);
    expect(a.uniform01()).toBe(b.uniform01());
  });

  it("streams are uncorrelated with each other (at small lags too) and with themselves", () => {
    const n = 1_000_000;
    const bound = 5 / Math.sqrt(n); // 5 standard errors of a correlation coefficient
    const a = normals(0, "conv1.kernel", n);
    const others = [normals(0, "conv1.bias", n), normals(0, "conv2.kernel", n), normals(1, "conv1.kernel", n)];
    for (const b of others) {
      for (let lag = 0; lag <= 4; lag++) {
        expect(Math.abs(correlation(a, b, lag))).toBeLessThan(bound);
        expect(Math.abs(correlation(b, a, lag))).toBeLessThan(bound);
      }
    }
    for (let lag = 1; lag <= 4; lag++) expect(Math.abs(correlation(a, a, lag))).toBeLessThan(bound);
  });
});

describe("uniform01", () => {
  it("lies on the open lattice (2k+1)·2^-53 and is uniform", () => {
    const rng = new Rng(11, "u");
    const us = Float64Array.from({ length: N }, () => rng.uniform01());
    let offLattice = 0;
    let oddK = 0;
    for (const u of us) {
      const m = u * 2 ** 53; // 2k + 1
      if (!(u > 0 && u < 1 && Number.isInteger(m) && m % 2 === 1)) offLattice++;
      if (((m - 1) / 2) % 2 === 1) oddK++;
    }
    expect(offLattice).toBe(0);
    // The low bit of k varies, so all 52 bits are random.
    expect(Math.abs(oddK / N - 0.5)).toBeLessThan(0.01);
    const { mean, std } = moments(us);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.003);
    expect(Math.abs(std - Math.sqrt(1 / 12))).toBeLessThan(0.002);
    expect(ksStatistic(us, (x) => x)).toBeLessThan(ksCritical(N));
  });
});

describe("normal", () => {
  it("follows the standard normal CDF (Kolmogorov–Smirnov)", () => {
    const xs = normals(2, "w");
    expect(ksStatistic(xs, ndtr)).toBeLessThan(ksCritical(N));
    const { mean, std, kurtosis } = moments(xs);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.1);
  });

  it("the KS check rejects a sampler with the right mean and variance but the wrong shape", () => {
    const rng = new Rng(2, "w");
    const fake = Float64Array.from({ length: N }, () => (rng.uniform01() - 0.5) * Math.sqrt(12));
    expect(ksStatistic(fake, ndtr)).toBeGreaterThan(10 * ksCritical(N));
  });

  it("scales by stddev", () => {
    const { std } = moments(new Rng(4, "w").fillNormal(new Float32Array(N), 0.02));
    expect(Math.abs(std / 0.02 - 1)).toBeLessThan(0.01);
  });
});

describe("fillUniform", () => {
  it("stays in [low, high) and is uniform", () => {
    const xs = new Rng(8, "u").fillUniform(new Float32Array(N), -0.25, 0.75);
    const { min, max, mean } = moments(xs);
    expect(min).toBeGreaterThanOrEqual(-0.25);
    expect(max).toBeLessThan(0.75);
    expect(Math.abs(mean - 0.25)).toBeLessThan(0.003);
    expect(ksStatistic(xs, (x) => Math.min(1, Math.max(0, x + 0.25)))).toBeLessThan(ksCritical(N));
  });

  it("never rounds up to high", () => {
    // Only 1 is a float32 in [1, 1 + 2^-23); without the clamp about half would round to high.
    const xs = new Rng(1, "u").fillUniform(new Float32Array(1000), 1, 1 + 2 ** -23);
    expect(xs.every((x) => x === 1)).toBe(true);
  });

  it("rejects empty intervals", () => {
    const out = new Float32Array(4);
    expect(() => new Rng(1, "u").fillUniform(out, 1, 1)).toThrow(RangeError);
    expect(() => new Rng(1, "u").fillUniform(out, 2, 1)).toThrow(RangeError);
    expect(() => new Rng(1, "u").fillUniform(out, 0, Infinity)).toThrow(RangeError);
  });
});

/** CDF of a standard normal truncated to (a, b), evaluated in the lower tail for precision. */
function truncatedCdf(a: number, b: number): (x: number) => number {
  if (a + b > 0) {
    const mass = ndtr(-a) - ndtr(-b);
    return (x) => (ndtr(-a) - ndtr(-Math.min(Math.max(x, a), b))) / mass;
  }
  const mass = ndtr(b) - ndtr(a);
  return (x) => (ndtr(Math.min(Math.max(x, a), b)) - ndtr(a)) / mass;
}

describe("fillTruncatedNormal", () => {
  it.each([
    [-2, 2],
    [-1, 3],
    [0, 1],
    [2.5, 6], // entirely in the upper tail: sampled mirrored
    [-9, -8], // mass ~6e-16, only reachable through the lower-tail precision of Φ
    [8, 9],
  ])("on (%s, %s) stays inside and follows the truncated CDF", (a, b) => {
    const xs = new Rng(9, `t${a}`).fillTruncatedNormal(new Float32Array(N), a, b);
    const { min, max } = moments(xs);
    expect(min).toBeGreaterThan(a);
    expect(max).toBeLessThan(b);
    expect(ksStatistic(xs, truncatedCdf(a, b))).toBeLessThan(ksCritical(N));
  });

  it("has the truncated standard deviation 0.8796… and kurtosis 2.366 on (-2, 2)", () => {
    const { std, kurtosis } = moments(new Rng(3, "t").fillTruncatedNormal(new Float32Array(N), -2, 2));
    expect(Math.abs(std - 0.87962566103423978)).toBeLessThan(0.005);
    expect(Math.abs(kurtosis - 2.3655)).toBeLessThan(0.03);
  });

  it("rejects lower >= upper", () => {
    expect(() => new Rng(1, "t").fillTruncatedNormal(new Float32Array(1), 1, 1)).toThrow(RangeError);
    expect(() => new Rng(1, "t").fillTruncatedNormal(new Float32Array(1), 2, -2)).toThrow(RangeError);
  });
});
