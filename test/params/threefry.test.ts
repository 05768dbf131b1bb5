/**
 * threefry2x32 and JAX's key derivation and random bits: known answers quoted from Random123
 * and JAX's own tests, then every case of the NumPy reference (fixtures/prng/cases.json).
 */
import { describe, expect, it } from "vitest";
import { foldIn, hashPair, randomBits, seedKey, split, threefry2x32, type Key, type PrngLayout } from "../../src/params/threefry.js";
import { simdWords, SIMD_CHUNK } from "../../src/params/threefry_simd.js";
import { partitionableWords } from "../../src/params/threefry.js";
import { adler32, CASES } from "./prng_cases.js";

const hex = (k: Key) => k.map((w) => "0x" + w.toString(16).padStart(8, "0"));

describe("threefry2x32 known answers", () => {
  // Random123's test vectors for threefry2x32_20 (kat_vectors; also JAX's
  // tests/random_test.py testThreefry2x32): key, counter -> output.
  it.each([
    [[0, 0], [0, 0], ["0x6b200159", "0x99ba4efe"]],
    [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], ["0x1cb996fc", "0xbb002be7"]],
    [[0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3], ["0xc4923a9c", "0x483df7a0"]],
  ] as const)("key %j counter %j", (key, ctr, want) => {
    expect(hex(hashPair(key, ctr[0], ctr[1]))).toEqual(want);
  });

  it("hashes a long array of counters (testThreefry2x32Large, shortened)", () => {
    const n = 100_003;
    const x0 = new Uint32Array(n).fill(0x243f6a88);
    const x1 = new Uint32Array(n).fill(0x85a308d3);
    threefry2x32([0x13198a2e, 0x03707344], x0, x1);
    expect(x0.every((v) => v === 0xc4923a9c) && x1.every((v) => v === 0x483df7a0)).toBe(true);
  });
});

describe("JAX's legacy layout (jax_threefry_partitionable off): values quoted from JAX's tests", () => {
  // tests/random_test.py testRngRandomBits (skipped when partitionable): key(1701).
  it("random.bits(key(1701), (3,)) for uint8/16/32/64", () => {
    const k = seedKey(1701);
    expect(Array.from(randomBits(k, 8, 3, "legacy"))).toEqual([216, 115, 43]);
    expect(Array.from(randomBits(k, 16, 3, "legacy"))).toEqual([41682, 1300, 55017]);
    expect(Array.from(randomBits(k, 32, 3, "legacy"))).toEqual([56197195, 4200222568, 961309823]);
    const b64 = randomBits(k, 64, 3, "legacy");
    const u64 = Array.from(b64.hi, (hi, i) => (BigInt(hi) << 32n) | BigInt(b64.lo[i]!));
    expect(u64).toEqual([3982329540505020460n, 16822122385914693683n, 7882654074788531506n]);
  });

  // tests/random_test.py testPRNGValues.
  it("split(key(0), 4) and fold_in(key(0), 4)", () => {
    expect(split(seedKey(0), 4, "legacy")).toEqual([
      [2285895361, 1501764800],
      [1518642379, 4090693311],
      [433833334, 4221794875],
      [839183663, 3740430601],
    ]);
    expect(foldIn(seedKey(0), 4)).toEqual([2285895361, 433833334]);
  });

  // tests/random_test.py _RANDOM_VALUES_CASES "bits", seed adler32("bits" + "threefry2x32").
  it("random.bits(key(adler32('bitsthreefry2x32')), (5,))", () => {
    const k = seedKey(adler32("bitsthreefry2x32"));
    expect(Array.from(randomBits(k, 8, 5, "legacy"))).toEqual([10, 158, 82, 54, 158]);
    expect(Array.from(randomBits(k, 16, 5, "legacy"))).toEqual([6738, 38161, 50695, 57337, 61600]);
    expect(Array.from(randomBits(k, 32, 5, "legacy"))).toEqual([1978747883, 4134381225, 3628107870, 689687174, 2788938207]);
  });
});

describe("the NumPy reference's bits and keys (fixtures/prng/cases.json)", () => {
  it.each(CASES.bits.map((c) => [`${c.key_name} ${c.layout} uint${c.width} x${c.n}`, c] as const))("%s", (_, c) => {
    if (c.width === 64) {
      const { hi, lo } = randomBits(c.key, 64, c.n, c.layout);
      expect(Array.from(hi, (h, i) => [h, lo[i]])).toEqual(c.bits);
    } else {
      expect(Array.from(randomBits(c.key, c.width, c.n, c.layout))).toEqual(c.bits);
    }
  });

  it("key, split and fold_in", () => {
    expect(CASES.keys.length).toBeGreaterThan(30);
    for (const c of CASES.keys) {
      const got = c.op === "key" ? [seedKey(c.seed!)] : c.op === "fold_in" ? [foldIn(c.key!, c.data!)] : split(c.key!, c.n!, c.layout as PrngLayout);
      expect(got.map((k) => [...k]), JSON.stringify(c)).toEqual(c.keys);
    }
  });
});

describe("the WebAssembly SIMD words equal the JavaScript loop's", () => {
  it("runs here (Node has WebAssembly SIMD)", () => {
    expect(simdWords).toBeDefined();
  });

  it.each([
    [[0, 0], 0, SIMD_CHUNK],
    [[0x13198a2e, 0x03707344], 8192, 7],
    [[0xffffffff, 1], 2 ** 32 - SIMD_CHUNK, SIMD_CHUNK],
    [[5, 0x80000000], 2 ** 32 + 3 * SIMD_CHUNK, 1001],
  ] as const)("key %j from element %d, %d words", (key, start, count) => {
    const js = new Uint32Array(count);
    partitionableWords(key, start, count, js);
    simdWords!(key[0], key[1], Math.floor(start / 2 ** 32), start >>> 0, count);
    expect(Array.from(simdWords!.out.subarray(0, count))).toEqual(Array.from(js));
  });
});
