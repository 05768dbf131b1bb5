import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ndtr, ndtri } from "../../src/params/special.js";
import { TRUNCATED_NORMAL_STDDEV } from "../../src/params/initializers.js";

// Reference values: mpmath at 50+ significant digits, rounded to 17.
const NDTR: [number, number][] = [
  [-37, 5.7255712225245768e-300],
  [-20, 2.7536241186062337e-89],
  [-10, 7.6198530241605261e-24],
  [-5, 2.8665157187919391e-7],
  [-1.96, 0.024997895148220434],
  [-1, 0.15865525393145705],
  [0, 0.5],
  [1, 0.84134474606854295],
  [2, 0.97724986805182079],
];
const NDTRI: [number, number][] = [
  [1e-300, -37.047096299361199],
  [1e-20, -9.2623400897984076],
  [1e-10, -6.3613409024040562],
  [0.001, -3.0902323061678135],
  [0.025, -1.9599639845400542],
  [0.075, -1.4395314709384559],
  [0.3, -0.52440051270804078],
  [0.5, 0],
  [0.8, 0.84162123357291421],
  [0.975, 1.9599639845400542],
  [0.999, 3.0902323061678135],
];

function expectRelClose(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

describe("ndtr", () => {
  it.each(NDTR)("ndtr(%s)", (x, want) => expectRelClose(ndtr(x), want, 2e-14));

  it("is continuous where the series hands over to the continued fraction", () => {
    for (const x of [-2, 2]) {
      expectRelClose(ndtr(x * (1 + 1e-15)), ndtr(x), 1e-13);
    }
  });

  it("handles infinities and NaN", () => {
    expect(ndtr(-Infinity)).toBe(0);
    expect(ndtr(Infinity)).toBe(1);
    expect(ndtr(NaN)).toBeNaN();
  });
});

describe("ndtri", () => {
  it.each(NDTRI)("ndtri(%s)", (p, want) => {
    if (want === 0) expect(ndtri(p)).toBe(0);
    else expectRelClose(ndtri(p), want, 2e-15);
  });

  it("returns ±Infinity at 0 and 1 and NaN outside [0, 1]", () => {
    expect(ndtri(0)).toBe(-Infinity);
    expect(ndtri(1)).toBe(Infinity);
    for (const p of [-0.1, 1.1, NaN]) expect(ndtri(p)).toBeNaN();
  });

  it("inverts ndtr over the lower tail and the body", () => {
    fc.assert(
      fc.property(fc.double({ min: -37, max: 3, noNaN: true }), (x) => {
        // Above 0, ndtr(x) is 1 - tiny and loses absolute precision ~1e-16/φ(x); the tolerance follows.
        const tol = x <= 0 ? 1e-13 * Math.max(1, Math.abs(x)) : 1e-14 / Math.exp(-x * x / 2);
        expect(Math.abs(ndtri(ndtr(x)) - x)).toBeLessThanOrEqual(tol);
      }),
      { numRuns: 2000 },
    );
  });

  it("is exactly antisymmetric on the sampling lattice (2k+1)·2^-53", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 - 1 }), fc.integer({ min: 0, max: 2 ** 22 - 1 }), (hi, lo) => {
        const p = (hi * 2 ** 22 + lo) * 2 ** -52 + 2 ** -53;
        expect(ndtri(1 - p)).toBe(-ndtri(p));
      }),
    );
  });

  it("is strictly increasing", () => {
    let violations = 0;
    let prev = -Infinity;
    for (let i = 1; i < 100000; i++) {
      const x = ndtri(i / 100000);
      if (!(x > prev)) violations++;
      prev = x;
    }
    expect(violations).toBe(0);
  });
});

describe("the truncated-normal constant", () => {
  it("is the standard deviation of a standard normal truncated to (-2, 2)", () => {
    const z = ndtr(2) - ndtr(-2);
    const pdf2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    // Var = 1 - (b·φ(b) - a·φ(a)) / Z with a = -2, b = 2.
    expectRelClose(Math.sqrt(1 - (4 * pdf2) / z), TRUNCATED_NORMAL_STDDEV, 1e-15);
  });
});
