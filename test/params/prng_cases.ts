/** The NumPy reference's outputs (fixtures/prng/make_cases.py -> cases.json), typed. */
import { readFileSync } from "node:fs";
import type { Initializer } from "../../src/params/initializers.js";
import type { FloatDType } from "../../src/params/jax_random.js";
import type { Key, PrngLayout } from "../../src/params/threefry.js";

export interface PrngCases {
  bits: { key: Key; key_name: string; layout: PrngLayout; width: 8 | 16 | 32 | 64; n: number; bits: unknown[] }[];
  keys: { op: "key" | "split" | "fold_in"; key?: Key; seed?: number; data?: number; layout?: string; n?: number; keys: number[][] }[];
  samplers: { key: Key; kind: "uniform" | "normal" | "truncated_normal"; params: Record<string, number>; dtype: FloatDType; layout: PrngLayout; n: number; bits: string }[];
  initializers: { init: Initializer; shape: number[]; key: Key; dtype: FloatDType; layout: PrngLayout; bits: string }[];
  examples: Record<string, Record<string, { sha256: string; n: number; stride: number; sample: string }>>;
}

export const CASES: PrngCases = JSON.parse(readFileSync(new URL("../../fixtures/prng/cases.json", import.meta.url), "utf8"));

/** Raw bits from base64: uint32 words for float32, uint16 for the narrow dtypes. */
export function rawBits(b64: string, dtype: FloatDType): Uint32Array | Uint16Array {
  const buf = Buffer.from(b64, "base64");
  const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return dtype === "float32" ? new Uint32Array(bytes.buffer) : new Uint16Array(bytes.buffer);
}

/** zlib.adler32, for the seeds of JAX's _RANDOM_VALUES_CASES. */
export function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const c of new TextEncoder().encode(s)) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
