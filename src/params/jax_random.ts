/**
 * `jax.random.uniform`, `normal` and `truncated_normal` on threefry bits, value for value as JAX
 * computes them on CPU (`jax/_src/random/core.py`, lowered by XLA):
 * - uniform: the top mantissa bits of each random word under the exponent of 1.0, minus 1, then
 *   `max(lo, f * (hi - lo) + lo)`, the multiply-add fused into one rounding (XLA CPU contracts it).
 * - normal: `sqrt(2) * erf_inv(uniform(nextafter(-1, 0), 1))`.
 * - truncated_normal: `sqrt(2) * erf_inv(uniform(erf(lower / sqrt2), erf(upper / sqrt2)))`,
 *   clipped to the open interval.
 * erf_inv is XLA's ErfInv32 (Giles; `xla/hlo/builder/lib/math.cc`) and erf XLA CPU's EmitErfF32
 * (`xla/codegen/intrinsic/erf.cc`), their polynomials evaluated with fused multiply-adds. The
 * one step not reproduced exactly is XLA CPU's own float32 log1p inside erf_inv: it is taken
 * correctly rounded here.
 * float16 and bfloat16 draw 16 and 8 random bits (JAX draws 8 bits when the mantissa has fewer
 * than 8 bits); each op is computed in float32 and rounded to the dtype, as XLA CPU upcasts
 * them (erf and erf_inv explicitly). Those paths return raw bits. They follow the sources but,
 * unlike float32, no printed JAX value checks them.
 * float32 normals, the hot path of parameter initialization, run in WebAssembly SIMD
 * (normal_simd.ts), bit-identical to `sampleOf` here, which serves where SIMD is missing.
 */
import { ERFINV_SMALL, normalSimd } from "./normal_simd.js";
import { forEachWordChunk, fieldOf, type Key, type PrngLayout } from "./threefry.js";
import { SIMD_CHUNK } from "./threefry_simd.js";

export type FloatDType = "float32" | "float16" | "bfloat16";

const F32 = new Float32Array(1);
const F32_U32 = new Uint32Array(F32.buffer);

/** float32 bits -> value. */
export function f32FromBits(b: number): number {
  F32_U32[0] = b;
  return F32[0]!;
}

/** value (a float32) -> bits. */
export function f32Bits(v: number): number {
  F32[0] = v;
  return F32_U32[0]!;
}

/**
 * `fl32(a * b + c)` with one rounding, for float32 a, b, c: a * b is exact in float64, so the
 * float64 sum s rounds wrongly to float32 only when it lands exactly between two float32s,
 * i.e. when 2s - r (r = fl32(s)) is the float32 on s's other side; then the sum's own rounding
 * error decides the side.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  const m = 2 * s - r;
  if (m === r || Math.fround(m) !== m) return r;
  // s is a tie; the exact sum is s + e (TwoSum).
  const bb = s - p;
  const e = p - (s - bb) + (c - bb);
  if (e === 0) return r;
  return (m > r) === (e > 0) ? m : r;
}

/** The float32 next to `v` towards `toward`. */
export function nextAfter32(v: number, toward: number): number {
  if (v === toward || Number.isNaN(v) || Number.isNaN(toward)) return v;
  if (v === 0) return f32FromBits(toward > 0 ? 1 : 0x80000001);
  const b = f32Bits(v);
  return f32FromBits((v < toward) === (v > 0) ? b + 1 : b - 1);
}

// ------------------------------------------------------------------ erf_inv and erf, float32

const ERFINV_LARGE = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682].map(Math.fround);

const [S0, S1, S2, S3, S4, S5, S6, S7, S8] = ERFINV_SMALL as [number, number, number, number, number, number, number, number, number];
const [L0, L1, L2, L3, L4, L5, L6, L7, L8] = ERFINV_LARGE as [number, number, number, number, number, number, number, number, number];

/** XLA's ErfInv32 on a float32 x. Unrolled: it is most of the cost of a normal sample. */
export function erfInv32(x: number): number {
  if (Math.abs(x) === 1) return x * Infinity;
  const w = -Math.fround(Math.log1p(-Math.fround(x * x)));
  let p: number;
  if (w < 5) {
    const v = Math.fround(w - 2.5);
    p = fma32(fma32(fma32(fma32(fma32(fma32(fma32(fma32(S0, v, S1), v, S2), v, S3), v, S4), v, S5), v, S6), v, S7), v, S8);
  } else {
    const v = Math.fround(Math.fround(Math.sqrt(w)) - 3);
    p = fma32(fma32(fma32(fma32(fma32(fma32(fma32(fma32(L0, v, L1), v, L2), v, L3), v, L4), v, L5), v, L6), v, L7), v, L8);
  }
  return Math.fround(p * x);
}

const ERF_ALPHA = [0.00022905065861350646, 0.0034082910107109506, 0.050955695062380861, 0.18520832239976145, 1.128379143519084].map(Math.fround);
const ERF_BETA = [-1.1791602954361697e-7, 0.000023547966471313185, 0.0010179625278914885, 0.014070470171167667, 0.11098505178285362, 0.49746925110067538, 1].map(Math.fround);
const ERF_CLAMP = Math.fround(3.832506856900711);

/** XLA CPU's EmitErfF32 (Eigen's rational interpolant) on a float32 x. */
export function erf32(x: number): number {
  if (Math.abs(x) >= ERF_CLAMP) return x < 0 ? -1 : 1;
  const x2 = Math.fround(x * x);
  let p = fma32(x2, ERF_ALPHA[0]!, ERF_ALPHA[1]!);
  for (let i = 2; i < ERF_ALPHA.length; i++) p = fma32(x2, p, ERF_ALPHA[i]!);
  p = Math.fround(x * p);
  let q = fma32(x2, ERF_BETA[0]!, ERF_BETA[1]!);
  for (let i = 2; i < ERF_BETA.length; i++) q = fma32(x2, q, ERF_BETA[i]!);
  return Math.fround(p / q);
}

// ------------------------------------------------------------------ float formats

/** A float dtype JAX samples in: its width, mantissa bits, rounding and bit patterns. */
export interface FloatFormat {
  readonly name: FloatDType;
  readonly nbits: 16 | 32;
  readonly nmant: number;
  /** The bits of 1.0. */
  readonly oneBits: number;
  /**
   * A float64 result of an op on values of the format, rounded as XLA CPU computes the op:
   * in float32, then to the format (ties to even).
   */
  round(x: number): number;
  toBits(v: number): number;
  fromBits(b: number): number;
}

/**
 * Round x to the float16/bfloat16 that float32 bits `b32` (of fround(x)) round to, with
 * `drop` low bits dropped: ties to even, and a float32 that is itself a tie broken by the side
 * x lay on (so float64 -> narrow rounds once).
 */
function narrowFromF32(x: number, drop: number): number {
  const f = Math.fround(x);
  const b = f32Bits(f);
  const half = 1 << (drop - 1);
  const low = b & ((1 << drop) - 1);
  let up: boolean;
  if (low === half && f !== x) up = Math.abs(x) > Math.abs(f);
  else up = low > half || (low === half && ((b >>> drop) & 1) === 1);
  return ((b >>> drop) + (up ? 1 : 0)) >>> 0;
}

function bf16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7fc0;
  return narrowFromF32(v, 16) & 0xffff;
}

/** float16 bits of the float64 v (round to nearest even; overflow to inf; subnormals). */
function f16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal: multiples of 2^-24, ties to even.
    const q = a * 2 ** 24;
    let m = Math.round(q);
    if (m - q === 0.5 && m % 2 === 1) m -= 1;
    return sign | m;
  }
  // Normal: 11 significant bits, via float32 (13 bits dropped) with the tie fix-up.
  const b = narrowFromF32(a, 13); // value bits >> 13 of the float32 layout
  const exp32 = b >>> 10; // float32 exponent after rounding
  return sign | (((exp32 - 127 + 15) << 10) + (b & 0x3ff));
}

function f16FromBits(b: number): number {
  const sign = b & 0x8000 ? -1 : 1;
  const e = (b >>> 10) & 0x1f;
  const m = b & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export const FORMATS: Readonly<Record<FloatDType, FloatFormat>> = {
  float32: { name: "float32", nbits: 32, nmant: 23, oneBits: 0x3f800000, round: Math.fround, toBits: f32Bits, fromBits: f32FromBits },
  float16: {
    name: "float16",
    nbits: 16,
    nmant: 10,
    oneBits: 0x3c00,
    round: (x) => f16FromBits(f16Bits(Math.fround(x))),
    toBits: f16Bits,
    fromBits: f16FromBits,
  },
  bfloat16: {
    name: "bfloat16",
    nbits: 16,
    nmant: 7,
    oneBits: 0x3f80,
    round: (x) => f32FromBits(bf16Bits(Math.fround(x)) << 16),
    toBits: bf16Bits,
    fromBits: (b) => f32FromBits(b << 16),
  },
};

/** `np.nextafter` in the format. */
export function nextAfter(fmt: FloatFormat, v: number, toward: number): number {
  if (fmt.name === "float32") return nextAfter32(v, toward);
  if (v === toward) return v;
  if (v === 0) return fmt.fromBits(toward > 0 ? 1 : 0x8001);
  const b = fmt.toBits(v);
  return fmt.fromBits((v < toward) === (v > 0) ? b + 1 : b - 1);
}

// ------------------------------------------------------------------ samplers

/** What to draw: uniform in [lo, hi), normal, or normal truncated to (lower, upper). */
export type Distribution =
  | { kind: "uniform"; lo: number; hi: number }
  | { kind: "normal" }
  | { kind: "truncated_normal"; lower: number; upper: number };

/** The random bits JAX draws for a dtype: 8 when the mantissa has fewer than 8 bits. */
function rngBits(fmt: FloatFormat): 8 | 16 | 32 {
  return fmt.nmant < 8 ? 8 : fmt.nbits;
}

/**
 * The uniform bounds a distribution samples between, rounded to the format, and what turns
 * a uniform into the final value (before any scale): the bounds of the clip for
 * truncated_normal.
 */
function uniformBounds(fmt: FloatFormat, d: Distribution): { lo: number; hi: number; clipLo: number; clipHi: number } {
  const r = fmt.round;
  if (d.kind === "uniform") return { lo: r(d.lo), hi: r(d.hi), clipLo: -Infinity, clipHi: Infinity };
  if (d.kind === "normal") return { lo: nextAfter(fmt, r(-1), 0), hi: r(1), clipLo: -Infinity, clipHi: Infinity };
  const sqrt2 = r(Math.SQRT2);
  const lower = r(d.lower);
  const upper = r(d.upper);
  // erf runs in float32 (XLA upcasts narrow dtypes), then rounds to the dtype.
  return {
    lo: r(erf32(Math.fround(r(lower / sqrt2)))),
    hi: r(erf32(Math.fround(r(upper / sqrt2)))),
    clipLo: nextAfter(fmt, lower, Infinity),
    clipHi: nextAfter(fmt, upper, -Infinity),
  };
}

/** What a float32 sample is before scaling: a function of the top 23 bits of its word only. */
interface Float32Sampler {
  readonly kind: Distribution["kind"];
  readonly lo: number;
  readonly span: number;
  readonly clipLo: number;
  readonly clipHi: number;
}

const SQRT2_F32 = Math.fround(Math.SQRT2);

/**
 * The sample for mantissa m (the word's top 23 bits): f = bitcast(m | 0x3F800000) - 1 = m/2^23
 * exactly, u = max(lo, fl32(f * span + lo)), then sqrt(2) * erf_inv(u) clipped for the normals.
 */
function sampleOf(m: number, { kind, lo, span, clipLo, clipHi }: Float32Sampler): number {
  let u = fma32(m * 2 ** -23, span, lo);
  if (u < lo) u = lo;
  if (kind === "uniform") return u;
  const v = Math.fround(SQRT2_F32 * erfInv32(u));
  return v < clipLo ? clipLo : v > clipHi ? clipHi : v;
}

/**
 * Normal samples are computed in WebAssembly SIMD (normal_simd.ts, ~5x faster than sampleOf).
 * Where that is missing: they depend on 23 bits only, so when a distribution draws more than
 * 2^23 values (announced with expectDraws, or counted) its 2^23 results are computed once
 * (32 MB) and looked up, bit-identical to computing each one.
 */
const TABLE_SIZE = 2 ** 23;
const MAX_TABLES = 2;
const tables = new Map<string, { drawn: number; pending: number; table?: Float32Array | undefined }>();

function samplerOf(d: Distribution): Float32Sampler {
  const { lo, hi, clipLo, clipHi } = uniformBounds(FORMATS.float32, d);
  return { kind: d.kind, lo, span: Math.fround(hi - lo), clipLo, clipHi };
}

function tableEntry(sampler: Float32Sampler) {
  const id = `${sampler.kind}:${sampler.lo}:${sampler.span}:${sampler.clipLo}:${sampler.clipHi}`;
  let entry = tables.get(id);
  if (entry === undefined) entry = { drawn: 0, pending: 0 };
  // Most recently used last, so the oldest table is the one dropped.
  tables.delete(id);
  tables.set(id, entry);
  return entry;
}

/** Forget the tables and counts (32 MB each): after a model's initialization. */
export function releaseTables(): void {
  tables.clear();
}

/** Announce n float32 draws of `d` to come (lets the first of them use a table). */
export function expectDraws(d: Distribution, n: number): void {
  if (d.kind !== "uniform") tableEntry(samplerOf(d)).pending += n;
}

function tableFor(sampler: Float32Sampler, n: number): Float32Array | undefined {
  const entry = tableEntry(sampler);
  if (entry.table === undefined && entry.drawn + Math.max(entry.pending, n) > TABLE_SIZE) {
    const built = [...tables.values()].filter((e) => e.table !== undefined);
    if (built.length >= MAX_TABLES) built[0]!.table = undefined;
    const table = new Float32Array(TABLE_SIZE);
    for (let m = 0; m < TABLE_SIZE; m++) table[m] = sampleOf(m, sampler);
    entry.table = table;
  }
  entry.drawn += n;
  entry.pending = Math.max(0, entry.pending - n);
  return entry.table;
}

/**
 * Sample n float32 values of `d` times `scale` (rounded once more, as `sample * scale` in JAX;
 * scale 1 is skipped) into `out`. The hot path of parameter initialization.
 */
export function sampleFloat32(key: Key, n: number, d: Distribution, scale: number, layout: PrngLayout, out: Float32Array = new Float32Array(n)): Float32Array {
  const sampler = samplerOf(d);
  const s = Math.fround(scale);
  const simd = d.kind === "uniform" || scalarNormals ? undefined : normalSimd;
  const table = d.kind === "uniform" || simd !== undefined ? undefined : tableFor(sampler, n);
  const { lo, span, clipLo, clipHi } = sampler;
  forEachWordChunk(key, n, 32, layout, (words, start, count) => {
    if (simd !== undefined) {
      // The legacy layout comes in one chunk: the module takes SIMD_CHUNK words at a time.
      for (let at = 0; at < count; at += SIMD_CHUNK) {
        const k = Math.min(SIMD_CHUNK, count - at);
        simd.words.set(words.subarray(at, at + k));
        simd(k, lo, span, clipLo, clipHi, s);
        out.set(simd.vals.subarray(0, k), start + at);
        const flagged = simd.flagged;
        for (let f = 0, nf = simd.flaggedCount(); f < nf; f++) {
          const j = flagged[f]!;
          if (j < k) out[start + at + j] = sampleOf(words[at + j]! >>> 9, sampler) * s;
        }
      }
    } else if (table !== undefined) {
      for (let j = 0; j < count; j++) out[start + j] = table[words[j]! >>> 9]! * s;
    } else {
      for (let j = 0; j < count; j++) out[start + j] = sampleOf(words[j]! >>> 9, sampler) * s;
    }
  });
  return out;
}

let scalarNormals = false;

/**
 * Test hook: sample normals as where WebAssembly SIMD is missing (sampleOf, and the tables
 * for big draws) instead of with normal_simd.ts.
 */
export function useScalarNormals(on: boolean): void {
  scalarNormals = on;
}

/**
 * Sample n values of `d` times `scale` in a float16 or bfloat16 format, as raw bits. Every
 * op rounds to float32 and then to the format.
 */
export function sampleNarrow(key: Key, n: number, d: Distribution, scale: number, fmt: FloatFormat, layout: PrngLayout): Uint16Array {
  const r = fmt.round;
  const { lo, hi, clipLo, clipHi } = uniformBounds(fmt, d);
  const span = r(hi - lo);
  const sqrt2 = r(Math.SQRT2);
  const s = r(scale);
  const width = rngBits(fmt);
  const shift = width - fmt.nmant;
  const out = new Uint16Array(n);
  forEachWordChunk(key, n, width, layout, (words, start, count) => {
    for (let j = 0; j < count; j++) {
      const bits = fieldOf(words, layout === "legacy" ? start + j : j, width, layout);
      const f = r(fmt.fromBits((bits >>> shift) | fmt.oneBits) - 1);
      let u = r(fma32(f, span, lo));
      if (u < lo) u = lo;
      let v: number;
      if (d.kind === "uniform") v = u;
      else {
        v = r(sqrt2 * r(erfInv32(u)));
        if (v < clipLo) v = clipLo;
        else if (v > clipHi) v = clipHi;
      }
      out[start + j] = fmt.toBits(s === 1 ? v : r(v * s));
    }
  });
  return out;
}


/** Test hook: float32 samples of the 23-bit inputs ms by the fast path (NaN: not vouched for) or the reference. */
export function float32SamplesOf(ms: Uint32Array, d: Distribution, path: "fast" | "reference"): Float32Array {
  const sampler = samplerOf(d);
  const vals = new Float32Array(ms.length);
  if (path === "fast") {
    for (let i = 0; i < ms.length; i += 4096) {
      const count = Math.min(4096, ms.length - i);
      for (let j = 0; j < count; j++) normalSimd!.words[j] = ms[i + j]! << 9;
      normalSimd!(count, sampler.lo, sampler.span, sampler.clipLo, sampler.clipHi, 1);
      vals.set(normalSimd!.vals.subarray(0, count), i);
    }
  } else for (let i = 0; i < ms.length; i++) vals[i] = sampleOf(ms[i]!, sampler);
  return vals;
}
