/**
 * The partitionable threefry words (b0 ^ b1 of hashing the 64-bit counters hi:lo + j) four
 * lanes at a time in WebAssembly SIMD: the same arithmetic as `partitionableWords` in
 * threefry.ts, encoded here as a tiny module (no toolchain, no file to fetch) and compiled
 * synchronously. Where WebAssembly or its SIMD is missing, `simdWords` is undefined and the
 * JavaScript loop serves.
 */

/** Words per call: the output buffer at the start of the module's one 64 KiB page. */
export const SIMD_CHUNK = 4096;

import { I32T, instantiate as instantiateModule, moduleBytes, sleb, V128T } from "./wasm_asm.js";

const PARITY = 0x1bd11bda;

// Opcodes.
const GET = 0x20, SET = 0x21, TEE = 0x22, I32 = 0x41, ADD = 0x6a, XOR = 0x73, SHL = 0x74, LT_U = 0x49, EQZ = 0x45;
const SIMD = 0xfd;
const SPLAT = [SIMD, 0x11], VADD = [SIMD, 0xae, 0x01], VSHL = [SIMD, 0xab, 0x01], VSHR_U = [SIMD, 0xad, 0x01];
const VOR = [SIMD, 0x50], VXOR = [SIMD, 0x51], VSTORE = [SIMD, 0x0b, 0x04, 0x00];

// Locals: params k0 k1 hi lo count (0-4); i32 j end (5, 6); v128 a b k0v k1v k2v ctr a0 four (7-14).
const [K0, K1, HI, LO, COUNT, J, END, A, B, K0V, K1V, K2V, CTR, A0, FOUR] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
const KS = [K0V, K1V, K2V];
const ROT = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
];

function body(): number[] {
  const c: number[] = [];
  const splatConst = (v: number) => c.push(I32, ...sleb(v | 0), ...SPLAT);
  c.push(GET, K0, ...SPLAT, SET, K0V);
  c.push(GET, K1, ...SPLAT, SET, K1V);
  c.push(GET, K0, GET, K1, XOR, I32, ...sleb(PARITY), XOR, ...SPLAT, SET, K2V);
  c.push(GET, HI, GET, K0, ADD, ...SPLAT, SET, A0);
  // ctr = (lo + lane) + k1 for lanes 0..3.
  c.push(GET, LO, ...SPLAT, SIMD, 0x0c, ...[0, 1, 2, 3].flatMap((v) => [v, 0, 0, 0]), ...VADD, GET, K1V, ...VADD, SET, CTR);
  splatConst(4);
  c.push(SET, FOUR);
  c.push(GET, COUNT, I32, 2, SHL, SET, END);
  c.push(0x02, 0x40); // block
  c.push(GET, END, EQZ, 0x0d, 0); // br_if 0: nothing to do
  c.push(0x03, 0x40); // loop
  c.push(GET, A0, SET, A, GET, CTR, SET, B);
  for (let i = 0; i < 5; i++) {
    for (const r of ROT[i % 2]!) {
      c.push(GET, A, GET, B, ...VADD, SET, A);
      c.push(GET, B, I32, r, ...VSHL, GET, B, I32, 32 - r, ...VSHR_U, ...VOR, GET, A, ...VXOR, SET, B);
    }
    if (i < 4) {
      c.push(GET, A, GET, KS[(i + 1) % 3]!, ...VADD, SET, A);
      c.push(GET, B, GET, KS[(i + 2) % 3]!, ...VADD);
      splatConst(i + 1);
      c.push(...VADD, SET, B);
    }
  }
  // out[j] = (a + k2) ^ (b + k0 + 5)
  c.push(GET, J, GET, A, GET, K2V, ...VADD, GET, B, GET, K0V, ...VADD);
  splatConst(5);
  c.push(...VADD, ...VXOR, ...VSTORE);
  c.push(GET, CTR, GET, FOUR, ...VADD, SET, CTR);
  c.push(GET, J, I32, 16, ADD, TEE, J, GET, END, LT_U, 0x0d, 0); // br_if 0 (loop)
  c.push(0x0b, 0x0b); // end loop, block
  return c;
}

export interface SimdWords {
  /** Fill `out` (a view of the module's memory) with the words of elements hi:lo + j, j < count. */
  (k0: number, k1: number, hi: number, lo: number, count: number): void;
  readonly out: Uint32Array;
}

function instantiate(): SimdWords | undefined {
  const bytes = () => moduleBytes("words", [I32T, I32T, I32T, I32T, I32T], [[2, I32T], [8, V128T]], body());
  const m = instantiateModule<(k0: number, k1: number, hi: number, lo: number, count: number) => void>(bytes, "words");
  // Without SIMD (or on a refused compile) the JavaScript loop serves.
  return m && Object.assign(m.fn, { out: new Uint32Array(m.memory, 0, SIMD_CHUNK) });
}

export const simdWords: SimdWords | undefined = instantiate();
