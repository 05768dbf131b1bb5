/**
 * `jax.random.uniform`, `normal` and `truncated_normal` in float64 (jax_enable_x64), as JAX
 * computes them on CPU (`jax/_src/random/core.py` `_uniform`, `_normal_real`,
 * `_truncated_normal`):
 * - uniform: 64 random bits per value (`random_bits` bit_width 64), the top 52 under the
 *   exponent of 1.0, minus 1 (exactly m / 2^52), then `max(lo, f * (hi - lo) + lo)`.
 * - normal: `sqrt(2) * erf_inv(uniform(nextafter(-1, 0), 1))`.
 * - truncated_normal: `sqrt(2) * erf_inv(uniform(erf(lower / sqrt2), erf(upper / sqrt2)))`,
 *   clipped to the open interval.
 * erf_inv is XLA's ErfInv64 (Giles; `xla/hlo/builder/lib/math.cc`) and erf the F64 Cephes
 * approximation chlo.erf is legalized to (`MaterializeErfApproximationF64`). As for float32
 * (jax_random.ts), XLA CPU is taken to contract each `a * b + c` (the uniform's affine step,
 * every polynomial step) into one fused multiply-add: done exactly here (fma64). log1p (inside
 * erf_inv) and exp (erf, two bounds per draw) are the host's (V8: fdlibm, within 1 ulp), not
 * XLA CPU's own: the steps not vouched for bit for bit (the NumPy reference, on glibc's log1p,
 * differs from these values in about 1 draw in 10^4, by 1-2 ulps).
 * Scalar code: float64 models are small.
 */
import type { Distribution } from "./jax_random.js";
import { randomBits, type Key, type PrngLayout } from "./threefry.js";

const F64 = new Float64Array(1);
const F64_U32 = new Uint32Array(F64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const [LO, HI] = LITTLE ? [0, 1] : [1, 0];

/** A finite nonzero double as (integer mantissa, exponent): v = m * 2^e exactly. */
function decompose(v: number): { m: bigint; e: number } {
  F64[0] = v;
  const hi = F64_U32[HI]!;
  const lo = F64_U32[LO]!;
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased !== 0) m |= 1n << 52n;
  const e = (biased === 0 ? 1 : biased) - 1075;
  return { m: v < 0 ? -m : m, e };
}

/** m * 2^e rounded once to the nearest double (ties to even) for a normal-range result. */
function toDouble(m: bigint, e: number): number {
  const neg = m < 0n;
  let a = neg ? -m : m;
  const len = a.toString(2).length;
  if (len > 64) {
    // Keep 64 bits and a sticky bit (>= 53 + 2 bits: Number() then rounds correctly).
    const k = len - 64;
    const sticky = (a & ((1n << BigInt(k)) - 1n)) !== 0n;
    a = (a >> BigInt(k)) | (sticky ? 1n : 0n);
    e += k;
  }
  const x = Number(a);
  // Scale in two steps so neither factor under- or overflows (exact for a normal result).
  const h = Math.trunc(e / 2);
  const r = x * 2 ** h * 2 ** (e - h);
  return neg ? -r : r;
}

const SPLIT = 134217729; // 2^27 + 1 (Dekker)

/**
 * fma64 by error-free transformations: r and the exact residual v - r; undefined where that
 * cannot decide the rounding (v - r near a half-spacing of r, or out of the safe range).
 */
function fmaFast(a: number, b: number, c: number): number | undefined {
  const p = a * b;
  const ap = Math.abs(p);
  if (!(ap < 2 ** 900 && ap > 2 ** -900) || !(Math.abs(c) < 2 ** 900) || (c !== 0 && Math.abs(c) < 2 ** -900)) return undefined;
  // p + e = a * b exactly (Dekker's product).
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  // s + t2 = p + c, u + eu = t2 + e, r + z = s + u: v = r + z + eu exactly.
  const s = p + c;
  let bb = s - p;
  const t2 = p - (s - bb) + (c - bb);
  const u = t2 + e;
  bb = u - t2;
  const eu = t2 - (u - bb) + (e - bb);
  const r = s + u;
  bb = r - s;
  const z = s - (r - bb) + (u - bb);
  const w = Math.abs(z + eu);
  if (w === 0) return r;
  const ar = Math.abs(r);
  if (!(ar > 2 ** -900)) return undefined;
  F64[0] = r;
  const half = 2 ** (((F64_U32[HI]! >>> 20) & 0x7ff) - 1076);
  // At a power of two the spacing below is half as wide.
  const pow2 = (F64_U32[HI]! & 0xfffff) === 0 && F64_U32[LO]! === 0;
  const margin = 1 - 2 ** -40;
  if (w >= half * margin || (pow2 && w >= (half / 2) * margin)) return undefined;
  return r;
}

/** `a * b + c` rounded once (a fused multiply-add), for finite a, b, c. */
export function fma64(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0 || b === 0) return a * b + c;
  if (!Number.isFinite(c)) return c;
  return fmaFast(a, b, c) ?? fmaExact(a, b, c);
}

/** fma64 in exact integer arithmetic (BigInt). */
export function fmaExact(a: number, b: number, c: number): number {
  const A = decompose(a);
  const B = decompose(b);
  const ep = A.e + B.e;
  const P = A.m * B.m;
  if (c === 0) return toDouble(P, ep);
  const C = decompose(c);
  const e = Math.min(ep, C.e);
  return toDouble((P << BigInt(ep - e)) + (C.m << BigInt(C.e - e)), e);
}

/** Horner's rule `p = p * x + c` (coefficients highest degree first), each step fused. */
function horner(coefficients: readonly number[], x: number): number {
  let p = coefficients[0]!;
  for (let i = 1; i < coefficients.length; i++) p = fma64(p, x, coefficients[i]!);
  return p;
}

// ErfInv64 (math.cc): Giles' coefficients for w < 6.25, w < 16 and beyond.
const ERFINV_A = [
  -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18, 1.115787767802518096e-17, -1.333171662854620906e-16,
  2.0972767875968561637e-17, 6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14, 2.6335093153082322977e-12,
  -1.2975133253453532498e-11, -5.4154120542946279317e-11, 1.051212273321532285e-9, -4.1126339803469836976e-9, -2.9070369957882005086e-8,
  4.2347877827932403518e-7, -1.3654692000834678645e-6, -1.3882523362786468719e-5, 0.0001867342080340571352, -0.00074070253416626697512,
  -0.0060336708714301490533, 0.24015818242558961693, 1.6536545626831027356,
];
const ERFINV_B = [
  2.2137376921775787049e-9, 9.0756561938885390979e-8, -2.7517406297064545428e-7, 1.8239629214389227755e-8, 1.5027403968909827627e-6,
  -4.013867526981545969e-6, 2.9234449089955446044e-6, 1.2475304481671778723e-5, -4.7318229009055733981e-5, 6.8284851459573175448e-5,
  2.4031110387097893999e-5, -0.0003550375203628474796, 0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
  -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334, 3.0838856104922207635,
];
const ERFINV_C = [
  -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-9, -3.7894654401267369937e-9, 7.6157012080783393804e-9,
  -1.4960026627149240478e-8, 2.9147953450901080826e-8, -6.7711997758452339498e-8, 2.2900482228026654717e-7, -9.9298272942317002539e-7,
  4.5260625972231537039e-6, -1.9681778105531670567e-5, 7.5995277030017761139e-5, -0.00021503011930044477347, -0.00013871931833623122026,
  1.0103004648645343977, 4.8499064014085844221,
];

/** XLA's ErfInv64: the table w = -log1p(-x*x) selects, each with its full coefficient list. */
export function erfInv64(x: number): number {
  if (Math.abs(x) === 1) return x * Infinity;
  const w = -Math.log1p(-(x * x));
  const p = w < 6.25 ? horner(ERFINV_A, w - 3.125) : w < 16 ? horner(ERFINV_B, Math.sqrt(w) - 3.25) : horner(ERFINV_C, Math.sqrt(w) - 5);
  return p * x;
}

// Cephes erf/erfc (MaterializeErfApproximationF64 / ErfImpl64, ErfcImpl64).
const ERF_T = [9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3, 5.55923013010394962768e4];
const ERF_U = [1, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4, 4.92673942608635921086e4];
const ERFC_P = [
  2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0, 4.86371970985681366614e1, 1.96520832956077098242e2,
  5.26445194995477358631e2, 9.3452852717195760754e2, 1.02755188689515710272e3, 5.57535335369399327526e2,
];
const ERFC_Q = [
  1, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2, 9.75708501743205489753e2, 1.82390916687909736289e3,
  2.24633760818710981792e3, 1.65666309194161350182e3, 5.57535340817727675546e2,
];
const ERFC_R = [5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0, 6.16021097993053585195e0, 7.4097426995044893916e0, 2.9788666537210024067e0];
const ERFC_S = [1, 2.2605286322011727659e0, 9.39603524938001434673e0, 1.20489539808096656605e1, 1.70814450747565897222e1, 9.60896809063285878198e0, 3.3690764510008151605e0];
const MAXLOG = 7.09782712893383996843e2;

/** The float64 erf chlo.erf is lowered to: x T(x²)/U(x²) below 1, else 1 - erfc(x). */
export function erf64(x: number): number {
  if (Math.abs(x) < 1) {
    const x2 = x * x;
    return (x * horner(ERF_T, x2)) / horner(ERF_U, x2);
  }
  const z = -(x * x);
  const a = Math.abs(x);
  const ez = Math.exp(z);
  let erfc = a < 8 ? (ez * horner(ERFC_P, a)) / horner(ERFC_Q, a) : (ez * horner(ERFC_R, a)) / horner(ERFC_S, a);
  if (z < -MAXLOG) erfc = 0;
  if (x < 0) erfc = 2 - erfc;
  return 1 - erfc;
}

/** The double next to `v` towards `toward`. */
function nextAfter64(v: number, toward: number): number {
  if (v === toward || Number.isNaN(v) || Number.isNaN(toward)) return v;
  if (v === 0) return toward > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  F64[0] = v;
  const up = (v < toward) === (v > 0);
  let lo = F64_U32[LO]!;
  let hi = F64_U32[HI]!;
  if (up) {
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi += 1;
  } else {
    if (lo === 0) hi -= 1;
    lo = (lo - 1) >>> 0;
  }
  F64_U32[LO] = lo;
  F64_U32[HI] = hi;
  return F64[0]!;
}

/**
 * n float64 values of `d` times `scale` (`sample * scale`, one rounding; scale 1 is skipped),
 * from 64-bit threefry words in the given layout.
 */
export function sampleFloat64(key: Key, n: number, d: Distribution, scale: number, layout: PrngLayout): Float64Array {
  let lo: number;
  let hi: number;
  let clipLo = -Infinity;
  let clipHi = Infinity;
  if (d.kind === "uniform") [lo, hi] = [d.lo, d.hi];
  else if (d.kind === "normal") [lo, hi] = [nextAfter64(-1, 0), 1];
  else {
    lo = erf64(d.lower / Math.SQRT2);
    hi = erf64(d.upper / Math.SQRT2);
    clipLo = nextAfter64(d.lower, Infinity);
    clipHi = nextAfter64(d.upper, -Infinity);
  }
  const span = hi - lo;
  const bits = randomBits(key, 64, n, layout);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // The top 52 of the 64 bits: bitcast(m | bits(1.0)) - 1 = m / 2^52 exactly.
    const f = (bits.hi[i]! * 2 ** 20 + (bits.lo[i]! >>> 12)) * 2 ** -52;
    let v = fma64(f, span, lo);
    if (v < lo) v = lo;
    if (d.kind !== "uniform") {
      v = Math.SQRT2 * erfInv64(v);
      v = v < clipLo ? clipLo : v > clipHi ? clipHi : v;
    }
    out[i] = scale === 1 ? v : v * scale;
  }
  return out;
}
