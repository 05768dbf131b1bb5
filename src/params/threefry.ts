/**
 * JAX's default PRNG, threefry2x32 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
 * 3", SC 2011; 20 rounds), with JAX's key derivation and random bits, as in
 * `jax/_src/random/threefry2x32.py` and `jax/_src/random/prng.py`:
 * - `key(seed)`: the uint32 pair [seed >> 32, seed & 0xFFFFFFFF].
 * - `fold_in(key, d)`: threefry2x32(key; 0, d).
 * - `split(key, n)`: key i = threefry2x32(key; hi32(i), lo32(i)) when partitionable, else the
 *   hash of iota(2n) reshaped to (n, 2).
 * - random bits: element i hashes the 64-bit counter i (partitionable, JAX >= 0.5.0), or
 *   `threefry_2x32(key, iota(words))` (legacy: the first half of the counters against the
 *   second, outputs concatenated), narrower widths unpacked from 32-bit words.
 * Everything runs on 32-bit integers in typed arrays (the partitionable words in WebAssembly
 * SIMD where available, threefry_simd.ts); no BigInt, no Node imports.
 */
import { SIMD_CHUNK, simdWords } from "./threefry_simd.js";

/** A threefry key: two uint32 words. */
export type Key = readonly [number, number];

/** `partitionable`: `jax_threefry_partitionable` on (JAX's default since 0.5.0); `legacy`: off. */
export type PrngLayout = "partitionable" | "legacy";

export type BitWidth = 8 | 16 | 32 | 64;

const PARITY = 0x1bd11bda;

/**
 * Hash the counter pairs (x0[i], x1[i]) for i < n in place: 20 rounds of threefry2x32 with
 * the key injected every 4 rounds. Unrolled: this is the hot loop of parameter initialization.
 */
export function threefry2x32(key: Key, x0: Uint32Array, x1: Uint32Array, n = x0.length): void {
  const k0 = key[0] | 0;
  const k1 = key[1] | 0;
  const k2 = (k0 ^ k1 ^ PARITY) | 0;
  for (let i = 0; i < n; i++) {
    let a = (x0[i]! + k0) | 0;
    let b = (x1[i]! + k1) | 0;
    // Rounds 1-4 (rotations 13, 15, 26, 6), then key injection 1.
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + k1) | 0; b = (b + k2 + 1) | 0;
    // Rounds 5-8 (17, 29, 16, 24).
    a = (a + b) | 0; b = ((b << 17) | (b >>> 15)) ^ a;
    a = (a + b) | 0; b = ((b << 29) | (b >>> 3)) ^ a;
    a = (a + b) | 0; b = ((b << 16) | (b >>> 16)) ^ a;
    a = (a + b) | 0; b = ((b << 24) | (b >>> 8)) ^ a;
    a = (a + k2) | 0; b = (b + k0 + 2) | 0;
    // Rounds 9-12.
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    a = (a + k0) | 0; b = (b + k1 + 3) | 0;
    // Rounds 13-16.
    a = (a + b) | 0; b = ((b << 17) | (b >>> 15)) ^ a;
    a = (a + b) | 0; b = ((b << 29) | (b >>> 3)) ^ a;
    a = (a + b) | 0; b = ((b << 16) | (b >>> 16)) ^ a;
    a = (a + b) | 0; b = ((b << 24) | (b >>> 8)) ^ a;
    a = (a + k1) | 0; b = (b + k2 + 4) | 0;
    // Rounds 17-20.
    a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
    a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
    a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
    a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    x0[i] = a + k2;
    x1[i] = b + k0 + 5;
  }
}

/**
 * Partitionable 32-bit words for elements [start, start + count) (within one 2^32 block of
 * counters): out[j] = b0 ^ b1 of hashing the 64-bit counter start + j. The JavaScript path;
 * threefry_simd.ts computes the same four lanes at a time.
 */
export function partitionableWords(key: Key, start: number, count: number, out: Uint32Array, scratch = new Uint32Array(count)): void {
  const hi = Math.floor(start / 2 ** 32);
  const lo = start >>> 0;
  for (let j = 0; j < count; j++) {
    out[j] = hi;
    scratch[j] = lo + j;
  }
  threefry2x32(key, out, scratch, count);
  for (let j = 0; j < count; j++) out[j] = out[j]! ^ scratch[j]!;
}

/** One threefry2x32 block: the hash of the counter pair (c0, c1). */
export function hashPair(key: Key, c0: number, c1: number): Key {
  const x0 = Uint32Array.of(c0);
  const x1 = Uint32Array.of(c1);
  threefry2x32(key, x0, x1, 1);
  return [x0[0]!, x1[0]!];
}

/**
 * `jax.random.key(seed)` (threefry2x32): any integer in [-2^63, 2^64) as a 64-bit two's
 * complement word, high half first. Seeds beyond 2^53 must be given as a bigint.
 */
export function seedKey(seed: number | bigint): Key {
  const s = BigInt.asUintN(64, BigInt(seed));
  return [Number(s >> 32n), Number(s & 0xffffffffn)];
}

/** `jax.random.fold_in(key, data)`, data taken as uint32 (as `jnp.asarray(data, 'uint32')`). */
export function foldIn(key: Key, data: number): Key {
  return hashPair(key, 0, data >>> 0);
}

/** `jax.random.split(key, n)` in the given layout. */
export function split(key: Key, n: number, layout: PrngLayout = "partitionable"): Key[] {
  const out: Key[] = [];
  if (layout === "partitionable") {
    const x0 = new Uint32Array(n);
    const x1 = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      x0[i] = Math.floor(i / 2 ** 32);
      x1[i] = i >>> 0;
    }
    threefry2x32(key, x0, x1);
    for (let i = 0; i < n; i++) out.push([x0[i]!, x1[i]!]);
    return out;
  }
  const words = legacyWords(key, 2 * n);
  for (let i = 0; i < n; i++) out.push([words[2 * i]!, words[2 * i + 1]!]);
  return out;
}

/**
 * JAX's `threefry_2x32(key, iota(count))`: counters [0, h) hashed against [h, 2h) (the odd
 * count padded with a 0), the two outputs concatenated and cut to `count` words.
 */
function legacyWords(key: Key, count: number): Uint32Array {
  if (count >= 0xffffffff) throw new RangeError("the legacy threefry layout draws fewer than 2^32 - 1 words at once");
  const h = Math.ceil(count / 2);
  const x0 = new Uint32Array(2 * h);
  const x1 = x0.subarray(h);
  for (let i = 0; i < count; i++) x0[i] = i;
  threefry2x32(key, x0, x1, h);
  return count === 2 * h ? x0 : x0.subarray(0, count);
}

/** Elements per chunk of the partitionable layout: small enough to stay in cache. */
const CHUNK = SIMD_CHUNK;

/**
 * Call `fn(words, start, count)` for consecutive chunks of the 32-bit words behind
 * `n` elements of `width` <= 32 bits: in the partitionable layout one word per element (b0 ^ b1
 * of hashing the element's index; narrower widths keep its low bits); in the legacy layout
 * `ceil(width * n / 32)` words in one chunk, element i in word floor(i / k) at bit
 * `width * (i % k)`, k = 32 / width.
 */
export function forEachWordChunk(
  key: Key,
  n: number,
  width: 8 | 16 | 32,
  layout: PrngLayout,
  fn: (words: Uint32Array, start: number, count: number) => void,
): void {
  if (layout === "legacy") {
    fn(legacyWords(key, Math.ceil((width * n) / 32)), 0, n);
    return;
  }
  // CHUNK divides 2^32: the high counter word is constant within a chunk.
  if (simdWords !== undefined) {
    for (let start = 0; start < n; start += CHUNK) {
      const count = Math.min(CHUNK, n - start);
      simdWords(key[0], key[1], Math.floor(start / 2 ** 32), start >>> 0, count);
      fn(simdWords.out, start, count);
    }
    return;
  }
  const words = new Uint32Array(Math.min(CHUNK, n));
  const scratch = new Uint32Array(words.length);
  for (let start = 0; start < n; start += CHUNK) {
    const count = Math.min(CHUNK, n - start);
    partitionableWords(key, start, count, words, scratch);
    fn(words, start, count);
  }
}

/** The `width`-bit field of element `i` in a chunk from forEachWordChunk. */
export function fieldOf(words: Uint32Array, i: number, width: 8 | 16 | 32, layout: PrngLayout): number {
  if (layout === "partitionable" || width === 32) return width === 32 ? words[i]! : words[i]! & ((1 << width) - 1);
  const k = 32 / width;
  return (words[Math.floor(i / k)]! >>> (width * (i % k))) & ((1 << width) - 1);
}

/**
 * `jax.random.bits(key, (n,), uint<width>)` flattened. 64-bit values come as two arrays of
 * words (high, low) so no BigInt is needed.
 */
export function randomBits(key: Key, width: 8 | 16 | 32, n: number, layout?: PrngLayout): Uint8Array | Uint16Array | Uint32Array;
export function randomBits(key: Key, width: 64, n: number, layout?: PrngLayout): { hi: Uint32Array; lo: Uint32Array };
export function randomBits(key: Key, width: BitWidth, n: number, layout: PrngLayout = "partitionable"): Uint8Array | Uint16Array | Uint32Array | { hi: Uint32Array; lo: Uint32Array } {
  if (width === 64) {
    if (layout === "legacy") {
      const words = legacyWords(key, 2 * n);
      return { hi: words.slice(0, n), lo: words.slice(n, 2 * n) };
    }
    const hi = new Uint32Array(n);
    const lo = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      hi[i] = Math.floor(i / 2 ** 32);
      lo[i] = i >>> 0;
    }
    threefry2x32(key, hi, lo);
    return { hi, lo };
  }
  const out = width === 32 ? new Uint32Array(n) : width === 16 ? new Uint16Array(n) : new Uint8Array(n);
  forEachWordChunk(key, n, width, layout, (words, start, count) => {
    for (let j = 0; j < count; j++) out[start + j] = fieldOf(words, layout === "legacy" ? start + j : j, width, layout);
  });
  return out;
}
