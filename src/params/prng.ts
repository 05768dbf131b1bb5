/**
 * Deterministic random numbers for parameter initialization.
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", 2021): 128-bit state, period 2^128 - 1, no known statistical flaws for this
 * use, and fast in JavaScript because it needs only 32-bit integer operations.
 * Streams: every parameter draws from its own generator, keyed by its full name
 * (`conv1.kernel`), so adding or reordering layers never changes the others. The state is two
 * SplitMix64 outputs (Vigna's recommended seeding) from splitmix64(seed) XOR fnv1a64(name): for
 * a fixed seed, names with different hashes always start from different states, and vice versa.
 * Values follow Flax's distributions but are not bit-compatible with JAX's threefry keys.
 */

import { ndtr, ndtri } from "./special.js";

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/** SplitMix64 (Steele, Lea & Flood 2014): returns [output, next state]. */
export function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + GOLDEN_GAMMA) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [z ^ (z >> 31n), next];
}

/** 64-bit FNV-1a of the UTF-8 bytes of `s`. */
export function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(s)) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & MASK64;
  return h;
}

/** The xoshiro128** state for (seed, stream), as four uint32 words. */
export function streamState(seed: number, stream: string): [number, number, number, number] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const [mixedSeed] = splitmix64(BigInt.asUintN(64, BigInt(seed)));
  const [a, next] = splitmix64(mixedSeed ^ fnv1a64(stream));
  const [b] = splitmix64(next);
  // Two consecutive SplitMix64 outputs are never both zero, the one state xoshiro must avoid.
  return [Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const SCRATCH_F32 = new Float32Array(1);
const SCRATCH_I32 = new Int32Array(SCRATCH_F32.buffer);

/** The neighbouring float32 of a finite float32 `v`, towards +inf (dir 1) or -inf (dir -1). */
function nextFloat32(v: number, dir: 1 | -1): number {
  if (v === 0) return dir * 2 ** -149;
  SCRATCH_F32[0] = v;
  SCRATCH_I32[0]! += (v > 0) === (dir > 0) ? 1 : -1;
  return SCRATCH_F32[0]!;
}

/** Largest float32 strictly below x. */
function float32Below(x: number): number {
  const f = Math.fround(x);
  return f < x ? f : nextFloat32(f, -1);
}

/** Smallest float32 at or above x. */
function float32AtLeast(x: number): number {
  const f = Math.fround(x);
  return f >= x ? f : nextFloat32(f, 1);
}

export class Rng {
  // Kept as int32 so V8 keeps the fields unboxed.
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** `seed`: any safe integer (taken modulo 2^64); `stream`: the parameter's full name. */
  constructor(seed: number, stream: string) {
    this.setState(streamState(seed, stream));
  }

  /** A generator over an explicit xoshiro128** state (for known-answer tests). */
  static fromState(state: readonly [number, number, number, number]): Rng {
    if (state.every((w) => w === 0)) throw new RangeError("xoshiro128** state must not be all zero");
    const rng = new Rng(0, "");
    rng.setState(state);
    return rng;
  }

  private setState([a, b, c, d]: readonly [number, number, number, number]): void {
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
  }

  /** Next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Uniform on the open interval (0, 1): (2k + 1)·2^-53 for a 52-bit k. Never 0 or 1, so logs
   * and inverse CDFs stay finite, and symmetric: 1 - u is again a possible value, exactly.
   */
  uniform01(): number {
    const a = this.nextUint32() >>> 6;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * 2 ** -52 + 2 ** -53;
  }

  /** Standard normal by inversion (one uniform per value, like JAX's √2·erfinv(u)). */
  normal(): number {
    return ndtri(this.uniform01());
  }

  /**
   * Fill with uniform float32 values in [low, high) (rounding to float32 never yields `high`).
   * Requires a float32 to exist in [low, high).
   */
  fillUniform(out: Float32Array, low: number, high: number): Float32Array {
    const lo = float32AtLeast(low);
    const hi = float32Below(high);
    if (!(Number.isFinite(low) && Number.isFinite(high) && lo <= hi)) {
      throw new RangeError(`uniform needs finite low < high with a float32 between them, got [${low}, ${high})`);
    }
    const span = high - low;
    for (let i = 0; i < out.length; i++) {
      const v = Math.fround(low + span * this.uniform01());
      out[i] = v > hi ? hi : v < lo ? lo : v;
    }
    return out;
  }

  /** Fill with normal values of mean 0 and the given standard deviation. */
  fillNormal(out: Float32Array, stddev = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = ndtri(this.uniform01()) * stddev;
    return out;
  }

  /**
   * Fill with `stddev` times a standard normal truncated to (lower, upper), as JAX's
   * `random.truncated_normal(key, lower, upper) * stddev`: bounds are rounded to float32, values
   * sampled by inversion of Φ on (Φ(lower), Φ(upper)) and clipped to the open interval.
   */
  fillTruncatedNormal(out: Float32Array, lower: number, upper: number, stddev = 1): Float32Array {
    const lo = Math.fround(lower);
    const hi = Math.fround(upper);
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
      throw new RangeError(`truncated normal needs finite lower < upper, got (${lower}, ${upper})`);
    }
    const clipLo = nextFloat32(lo, 1);
    const clipHi = nextFloat32(hi, -1);
    if (clipLo > clipHi) throw new RangeError(`no float32 strictly between ${lower} and ${upper}`);
    // Invert in the lower half, where Φ keeps full relative precision; mirror back afterwards.
    const sign = lo + hi > 0 ? -1 : 1;
    const pa = ndtr(sign > 0 ? lo : -hi);
    const span = ndtr(sign > 0 ? hi : -lo) - pa;
    for (let i = 0; i < out.length; i++) {
      const x = sign * ndtri(pa + span * this.uniform01());
      out[i] = (x < clipLo ? clipLo : x > clipHi ? clipHi : x) * stddev;
    }
    return out;
  }
}
