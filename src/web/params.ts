/**
 * Parameters from bytes (a fetched `.safetensors`, `.npz` or Flax msgpack): the format is told
 * by the bytes themselves (a ZIP signature, a safetensors header, else msgpack), since a page's
 * buffers have no file name. Several buffers (a sharded checkpoint) merge into one map.
 */
import { UserError } from "../diagnostics/errors.js";
import { readFlaxMsgpack } from "../io/msgpack.js";
import { readNpz } from "../io/npz.js";
import { readSafetensors } from "../io/safetensors.js";
import type { Tensor } from "../tensor.js";

export type ParamBytes = ArrayBuffer | ArrayBufferView;

export type ParamFormat = "safetensors" | "npz" | "msgpack";

const bytesOf = (b: ParamBytes): Uint8Array => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

/** safetensors: an 8-byte little-endian header length, then a JSON object. npz: a ZIP. */
export function sniffParamFormat(bytes: Uint8Array): ParamFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5)) return "npz";
  if (bytes.length >= 9) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
    const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
    if (headerLength <= bytes.length - 8 && bytes[8] === 0x7b /* { */) return "safetensors";
  }
  return "msgpack";
}

const READERS: Record<ParamFormat, (bytes: Uint8Array, file: string) => Map<string, Tensor>> = {
  safetensors: readSafetensors,
  npz: readNpz,
  msgpack: readFlaxMsgpack,
};

/** Decode one buffer or several; `name` is used in messages (e.g. the URL it came from). */
export function decodeParams(buffers: ParamBytes | readonly ParamBytes[], name = "parameters"): Map<string, Tensor> {
  const list = Array.isArray(buffers) ? (buffers as readonly ParamBytes[]) : [buffers as ParamBytes];
  const out = new Map<string, Tensor>();
  list.forEach((b, i) => {
    const bytes = bytesOf(b);
    const label = list.length === 1 ? name : `${name}[${i}]`;
    for (const [k, t] of READERS[sniffParamFormat(bytes)](bytes, label)) {
      if (out.has(k)) throw new UserError("NNX3007", `${label}: ${k} is also in an earlier buffer`);
      out.set(k, t);
    }
  });
  return out;
}
