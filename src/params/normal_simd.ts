/**
 * Float32 normal and truncated-normal samples, exactly as jax_random.ts's `sampleOf` (XLA's
 * float32 ops: the uniform's fused multiply-add, -log1p(-u²), ErfInv32's central polynomial
 * with fused multiply-adds, the products and the clip), two lanes at a time in float64
 * WebAssembly SIMD. Each float32 op is a float64 op on float32 operands (exact for products
 * of two float32) rounded by f32x4.demote. Where that could differ from sampleOf the lane's
 * result is NaN and the caller asks sampleOf:
 * - the uniform's multiply-add when its float64 sum is a float32 tie (the float64 rounding may
 *   have made it one; fma32 breaks it with the sum's error). ErfInv32's polynomial needs no
 *   such check: for every v it can get, each step rounded through float64 equals the fused one
 *   (scripts/erfinv_poly_ties.c tries every float32 v in [-2.5, 2.5]: two differ, and neither
 *   is fl32(w - 2.5) of a float32 w; test/params/jax_random.test.ts checks both facts);
 * - log1p, computed here to a relative 2^-44 (not correctly rounded, as Math.log1p is not):
 *   the float32 of ln(1 + y) is taken only when every value within a relative 2^-36 of the
 *   result rounds to it, so Math.log1p's result (within 2^-52) rounds to it too;
 * - w >= 5, ErfInv32's tail polynomial (|u| > 0.9966: one draw in 300), and u = ±1.
 * Memory: 32-bit words at 0, float32 results (times a scale) at VALS, the indices of the
 * flagged lanes at FLAGGED (SIMD_CHUNK each), then their count.
 */
import { F64T, I32T, instantiate, moduleBytes, uleb, V128T } from "./wasm_asm.js";
import { SIMD_CHUNK } from "./threefry_simd.js";

/** ErfInv32's central coefficients (w < 5), float32, highest degree first. */
export const ERFINV_SMALL = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941].map(Math.fround);

const VALS = 4 * SIMD_CHUNK;
const FLAGGED = 2 * VALS;
const FLAGGED_COUNT = 3 * VALS;
const LOG_SLACK = 2 ** -36;

// Opcodes: locals, i32, SIMD (0xfd prefix, LEB128 opcodes).
const GET = 0x20, SET = 0x21, TEE = 0x22, I32C = 0x41, ADD = 0x6a, SHL = 0x74, LT_U = 0x49, EQZ = 0x45;
const simd = (op: number) => (op < 0x80 ? [0xfd, op] : [0xfd, (op & 0x7f) | 0x80, op >> 7]);
const [I32X4_SHR_U, I64X2_SHR_U] = [simd(0xad), simd(0xcd)];
const [AND, OR, BITSELECT, NOT, ANY_TRUE] = [simd(0x4e), simd(0x50), simd(0x52), simd(0x4d), simd(0x53)];
const [EQ, NE, LT, GT] = [simd(0x47), simd(0x48), simd(0x49), simd(0x4a)];
const [FADD, FSUB, FMUL, FDIV, NEG, PMIN, PMAX] = [simd(0xf0), simd(0xf1), simd(0xf2), simd(0xf3), simd(0xed), simd(0xf6), simd(0xf7)];
const [DEMOTE, PROMOTE, CONVERT_U, F64X2_SPLAT] = [simd(0x5e), simd(0x5f), simd(0xff), simd(0x14)];

function v128Const(lo: bigint, hi: bigint): number[] {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, lo, true);
  dv.setBigUint64(8, hi, true);
  return [...simd(0x0c), ...b];
}
const bitsOf = (v: number) => new BigUint64Array(Float64Array.of(v).buffer)[0]!;
/** Both lanes = v. */
const f64 = (v: number) => v128Const(bitsOf(v), bitsOf(v));
const i64 = (v: bigint) => v128Const(v, v);

// Locals: params count lo span clipLo clipHi scale (0-5); i32 j end cnt (6-8); v128 from 9:
// the splatted params, then each pair's.
const [COUNT, LO, SPAN, CLO, CHI, SCALE, J, END, CNT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const [VLO, VSPAN, VCLO, VCHI, VSCALE] = [9, 10, 11, 12, 13];
const FIRST_PAIR_LOCAL = 14;
/** Per-pair v128 locals, from FIRST_PAIR_LOCAL + PAIR_LOCALS * pair. */
const NAMES = ["bad", "s", "r", "u", "y", "z", "k", "f", "a", "b", "q", "l", "w", "v", "p", "mask"] as const;
const PAIR_LOCALS = NAMES.length;
/**
 * Independent lane pairs per loop iteration, their statements interleaved: one pair's chain of
 * dependent float ops is long, and the core overlaps the others' with it.
 */
const PAIRS = 4;
const V128_LOCALS = 5 + PAIRS * PAIR_LOCALS;

/**
 * The statements (each leaves the stack empty) computing lanes 2 pair and 2 pair + 1 of an
 * iteration, on the pair's own locals.
 */
function pairStatements(pair: number): number[][] {
  const V = Object.fromEntries(NAMES.map((n, i) => [n, FIRST_PAIR_LOCAL + PAIR_LOCALS * pair + i])) as Record<(typeof NAMES)[number], number>;
  Object.assign(V, { lo: VLO, span: VSPAN, clo: VCLO, chi: VCHI, scale: VSCALE });
  const L = V as typeof V & { lo: number; span: number; clo: number; chi: number; scale: number };
  const statements: number[][] = [];
  let c: number[] = [];
  const get = (i: number) => c.push(GET, i);
  const set = (i: number) => {
    c.push(SET, i);
    statements.push(c);
    c = [];
  };
  const op = (...ops: number[][]) => ops.forEach((o) => c.push(...o));
  /** bad |= (top of stack, a lane mask). */
  const flag = () => {
    get(V.bad);
    op(OR);
    set(V.bad);
  };
  /**
   * r = fl32(s); flag the lane when s is a float32 tie (2s - r is a float32 other than r):
   * the exact test, for the uniform's multiply-add, whose sums are often short.
   */
  const round32 = () => {
    get(V.s);
    op(DEMOTE, PROMOTE);
    set(V.r);
    get(V.s);
    get(V.s);
    op(FADD);
    get(V.r);
    op(FSUB);
    c.push(TEE, V.q);
    get(V.r);
    op(NE);
    get(V.q);
    op(DEMOTE, PROMOTE);
    get(V.q);
    op(EQ, AND);
    flag();
  };
  /** r = fl32(s) (a polynomial step: see the file's comment for why no tie check). */
  const round32Poly = () => {
    get(V.s);
    op(DEMOTE, PROMOTE);
    set(V.r);
  };
  op(i64(0n));
  set(V.bad);
  // u = max(lo, fl32((m 2^-23) span + lo)), m = word >> 9: the products are exact.
  c.push(GET, J, ...simd(0x5d), 3, ...uleb(8 * pair), I32C, 9, ...I32X4_SHR_U, ...CONVERT_U);
  op(f64(2 ** -23), FMUL);
  get(L.span);
  op(FMUL);
  get(L.lo);
  op(FADD);
  set(V.s);
  round32();
  get(V.r);
  get(L.lo);
  op(PMAX);
  set(V.u);
  // y = -fl32(u²); z = 1 + y and its rounding error a = y - (z - 1) (0 unless |y| < 2^-29).
  get(V.u);
  get(V.u);
  op(FMUL, DEMOTE, PROMOTE, NEG);
  c.push(TEE, V.y);
  op(f64(1), FADD);
  c.push(TEE, V.z);
  op(f64(1), FSUB);
  set(V.a);
  get(V.y);
  get(V.a);
  op(FSUB);
  set(V.a);
  // z = 2^(e - 1023) f, f in [1, 2), by its bits (e read as a float64 through 2^52 + e);
  // then f in (sqrt(1/2), sqrt(2)].
  get(V.z);
  c.push(I32C, 52, ...I64X2_SHR_U);
  op(i64(0x4330000000000000n), OR, f64(2 ** 52), FSUB, f64(1023), FSUB);
  set(V.k);
  get(V.z);
  op(i64(0x000fffffffffffffn), AND, i64(0x3ff0000000000000n), OR);
  c.push(TEE, V.f);
  op(f64(Math.SQRT2), GT);
  set(V.mask);
  get(V.f);
  op(f64(0.5), FMUL);
  get(V.f);
  get(V.mask);
  op(BITSELECT);
  set(V.f);
  get(V.k);
  op(f64(1), FADD);
  get(V.k);
  get(V.mask);
  op(BITSELECT);
  set(V.k);
  // ln f = 2 atanh(t), t = (f - 1)/(f + 1), |t| <= 0.1716: 2 Σ t^(2i+1)/(2i+1) to i = 8
  // (the rest < 2^-45 relative); ln(1 + y) = k ln2 + ln f + a.
  get(V.f);
  op(f64(1), FSUB);
  get(V.f);
  op(f64(1), FADD, FDIV);
  c.push(TEE, V.b);
  get(V.b);
  op(FMUL);
  set(V.q);
  op(f64(2 / 17));
  for (let i = 7; i >= 0; i--) {
    get(V.q);
    op(FMUL, f64(2 / (2 * i + 1)), FADD);
  }
  get(V.b);
  op(FMUL);
  get(V.k);
  op(f64(Math.LN2), FMUL, FADD);
  get(V.a);
  op(FADD);
  set(V.l);
  // w = -fl32(l), vouched for when l (1 ± 2^-36) round to the same float32; and w < 5.
  get(V.l);
  op(f64(1 + LOG_SLACK), FMUL, DEMOTE, PROMOTE);
  c.push(TEE, V.w);
  get(V.l);
  op(f64(1 - LOG_SLACK), FMUL, DEMOTE, PROMOTE, NE);
  flag();
  get(V.w);
  op(NEG);
  c.push(TEE, V.w);
  op(f64(5), LT, NOT);
  flag();
  // ErfInv32's central polynomial in v = fl32(w - 2.5), each step a float32 fused multiply-add.
  get(V.w);
  op(f64(2.5), FSUB, DEMOTE, PROMOTE);
  set(V.v);
  op(f64(ERFINV_SMALL[0]!));
  set(V.p);
  for (const coef of ERFINV_SMALL.slice(1)) {
    get(V.p);
    get(V.v);
    op(FMUL, f64(coef), FADD);
    set(V.s);
    round32Poly();
    get(V.r);
    set(V.p);
  }
  // x = clip(fl32(fl32(sqrt2) fl32(p u))) times the scale, stored as float32 (the product of
  // two float32 is exact: one rounding, as out[j] = x * s in JavaScript); NaN where flagged.
  get(V.p);
  get(V.u);
  op(FMUL, DEMOTE, PROMOTE, f64(Math.fround(Math.SQRT2)), FMUL, DEMOTE, PROMOTE);
  get(L.clo);
  op(PMAX);
  get(L.chi);
  op(PMIN);
  get(L.scale);
  op(FMUL);
  set(V.p);
  op(f64(NaN));
  get(V.p);
  get(V.bad);
  op(BITSELECT);
  set(V.q);
  c.push(GET, J);
  get(V.q);
  op(DEMOTE, simd(0x5b), [3, ...uleb(VALS + 8 * pair), 0]);
  statements.push(c);
  // The flagged lanes' indices (rare: a branch not taken), appended at FLAGGED.
  c = [];
  get(V.bad);
  op(ANY_TRUE);
  c.push(0x04, 0x40); // if
  for (const lane of [0, 1]) {
    get(V.bad);
    op(simd(0x1d), [lane]); // i64x2.extract_lane
    c.push(0x50, 0x45, 0x04, 0x40); // i64.eqz, i32.eqz, if
    c.push(GET, CNT, I32C, 2, SHL, GET, J, I32C, 2, 0x76, I32C, 2 * pair + lane, ADD, 0x36, 2, ...uleb(FLAGGED)); // list[cnt] = j / 4 + lane index
    c.push(GET, CNT, I32C, 1, ADD, SET, CNT, 0x0b);
  }
  c.push(0x0b);
  statements.push(c);
  return statements;
}

function body(): number[] {
  const c: number[] = [];
  for (const [param, local] of [[LO, VLO], [SPAN, VSPAN], [CLO, VCLO], [CHI, VCHI], [SCALE, VSCALE]] as const) c.push(GET, param, ...F64X2_SPLAT, SET, local);
  c.push(GET, COUNT, I32C, 2, SHL, SET, END);
  c.push(0x02, 0x40, GET, END, EQZ, 0x0d, 0, 0x03, 0x40); // block; br_if 0 when empty; loop
  const pairs = Array.from({ length: PAIRS }, (_, p) => pairStatements(p));
  for (let i = 0; i < pairs[0]!.length; i++) for (const st of pairs) c.push(...st[i]!);
  c.push(GET, J, I32C, 8 * PAIRS, ADD, TEE, J, GET, END, LT_U, 0x0d, 0); // br_if 0 (loop)
  c.push(0x0b, 0x0b); // end loop, block
  c.push(I32C, 0, GET, CNT, 0x36, 2, ...uleb(FLAGGED_COUNT)); // the flagged count
  return c;
}

export interface NormalSimd {
  /**
   * vals[j] for j < count: the float32 sample of words[j] >>> 9 (as `sampleOf` with these
   * bounds) times `scale` (a float32), or NaN where `sampleOf` must compute it; those j (and
   * maybe count, for an odd count) are listed in flagged[0 .. flaggedCount()). `words`,
   * `vals` and `flagged` are views of the module's memory.
   */
  (count: number, lo: number, span: number, clipLo: number, clipHi: number, scale: number): void;
  readonly words: Uint32Array;
  readonly vals: Float32Array;
  readonly flagged: Uint32Array;
  flaggedCount(): number;
}

function load(): NormalSimd | undefined {
  const bytes = () => moduleBytes("normals", [I32T, F64T, F64T, F64T, F64T, F64T], [[3, I32T], [V128_LOCALS, V128T]], body());
  const m = instantiate<(count: number, lo: number, span: number, clipLo: number, clipHi: number, scale: number) => void>(bytes, "normals");
  if (m === undefined) return undefined;
  const count = new Uint32Array(m.memory, FLAGGED_COUNT, 1);
  return Object.assign(m.fn, {
    words: new Uint32Array(m.memory, 0, SIMD_CHUNK),
    vals: new Float32Array(m.memory, VALS, SIMD_CHUNK),
    flagged: new Uint32Array(m.memory, FLAGGED, SIMD_CHUNK),
    flaggedCount: () => count[0]!,
  });
}

export const normalSimd: NormalSimd | undefined = load();
