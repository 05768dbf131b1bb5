/**
 * The hostile inputs of the audit, as generators: each returns the exact bytes or text a test
 * feeds nnx-gen. Shared by audit.test.ts (one case per finding) and the property tests.
 */
import { crc32, deflateRawSync, constants as zlibConstants } from "node:zlib";
import { concatBytes } from "../io/helpers.js";

/** An .npy header for a float32 vector of `n` elements (format 1.0, 64-byte aligned). */
export function npyHeader(n: number): Uint8Array {
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n},), }`;
  dict += " ".repeat(63 - ((10 + dict.length) % 64)) + "\n";
  const out = new Uint8Array(10 + dict.length);
  out.set([0x93, ..."NUMPY"].map((c) => (typeof c === "string" ? c.charCodeAt(0) : c)));
  out.set([1, 0, dict.length & 0xff, dict.length >> 8], 6);
  out.set(new TextEncoder().encode(dict), 10);
  return out;
}

export interface ZipMemberSpec {
  name: string;
  /** Deflated bytes as written. */
  compressed: Uint8Array;
  /** What the directory declares. */
  size: number;
  crc: number;
}

/** A ZIP with deflated members, declaring whatever sizes the members say (honest or not). */
export function zipOf(members: readonly ZipMemberSpec[]): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = enc.encode(m.name);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, 8, true);
    lv.setUint32(14, m.crc, true);
    lv.setUint32(18, m.compressed.length, true);
    lv.setUint32(22, m.size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, 8, true);
    cv.setUint32(16, m.crc, true);
    cv.setUint32(20, m.compressed.length, true);
    cv.setUint32(24, m.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, m.compressed);
    centrals.push(central);
    offset += local.length + m.compressed.length;
  }
  const centralSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  return concatBytes(...locals, ...centrals, end);
}

/**
 * The audit's zip bomb: one member `name` (an .npy of float32 zeros) that really inflates to
 * about `megabytes` MiB, with honest sizes and CRC. Deflate of 1 MiB of zeros, flushed to a
 * byte boundary with a reset dictionary, is a block that can be repeated: 1.5 GB is ~1.5 MB.
 */
export function zipBomb(name: string, megabytes: number): Uint8Array {
  const mib = 2 ** 20;
  const header = npyHeader((megabytes * mib) / 4);
  const flush = { finishFlush: zlibConstants.Z_FULL_FLUSH };
  const zeros = new Uint8Array(mib);
  const block = deflateRawSync(zeros, flush);
  let crc = crc32(header);
  for (let i = 0; i < megabytes; i++) crc = crc32(zeros, crc);
  const parts = [deflateRawSync(header, flush), ...Array<Uint8Array>(megabytes).fill(block), deflateRawSync(new Uint8Array(0))];
  return zipOf([{ name, compressed: concatBytes(...parts), size: header.length + megabytes * mib, crc }]);
}

/** A safetensors file whose header lists `count` empty float32 tensors. */
export function manyEmptyTensors(count: number): Uint8Array {
  const fields: string[] = [];
  for (let i = 0; i < count; i++) fields.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
  let json = `{${fields.join(",")}}`;
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  return out;
}

/** A spec whose `dims` mapping has `count` keys (the audit's 40,000 is 389 KB of YAML). */
export function manyKeysSpec(count: number): string {
  const lines = ["nnx_gen: 1", "model: ManyKeys", "inputs:", "  x: { shape: [batch, 8] }", "layers:", "  - { type: relu }", "dims:"];
  for (let i = 0; i < count; i++) lines.push(`  k${i}: { min: 1 }`);
  return lines.join("\n") + "\n";
}

/** Names that are keys of every JavaScript object. */
export const OBJECT_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "isPrototypeOf"] as const;
