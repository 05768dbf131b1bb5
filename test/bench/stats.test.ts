import { describe, expect, it } from "vitest";
import { gflopsPerSecond, latencyStats, peakFraction, percentile, throughputPerSecond } from "../../src/bench/stats.js";

describe("latencyStats", () => {
  it("matches hand-computed linear-interpolation percentiles", () => {
    // sorted: 15 20 35 40 50; rank h = 4p/100
    const s = latencyStats([40, 15, 50, 35, 20]);
    expect(s.mean).toBe(32);
    expect(s.p50).toBe(35); // h = 2
    expect(s.p90).toBeCloseTo(46, 12); // h = 3.6: 40 + 0.6 * 10
    expect(s.p99).toBeCloseTo(49.6, 12); // h = 3.96: 40 + 0.96 * 10
    expect(s.min).toBe(15);
    expect(s.max).toBe(50);
  });

  it("interpolates the median of an even count", () => {
    expect(latencyStats([4, 1, 3, 2]).p50).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1, 12); // h = 8.1
  });

  it("handles one sample and rejects none or invalid ones", () => {
    expect(latencyStats([7])).toEqual({ mean: 7, p50: 7, p90: 7, p99: 7, min: 7, max: 7 });
    expect(() => latencyStats([])).toThrow(RangeError);
    expect(() => latencyStats([1, Number.NaN])).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it("does not reorder the caller's array", () => {
    const samples = [3, 1, 2];
    latencyStats(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe("rates", () => {
  it("computes throughput, GFLOP/s and the peak share", () => {
    expect(throughputPerSecond(8, 4)).toBe(2000); // 8 examples in 4 ms
    expect(gflopsPerSecond(2e9, 10)).toBe(200); // 2 GFLOP in 10 ms
    expect(peakFraction(50, 200)).toBe(0.25);
    expect(() => peakFraction(50, 0)).toThrow(RangeError);
  });
});
