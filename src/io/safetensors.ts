/**
 * safetensors: an 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}, then the data,
 * every tensor's bytes back to back. https://github.com/huggingface/safetensors
 */
import type { DType, Tensor } from "../tensor.js";
import { byteSize, ByteReader, checkShape, decodeTensor, describe, encodeTensor, entriesOf, fail, formatShape } from "./binary.js";
import { checkBytes, checkCount, type ReadLimits } from "./limits.js";
import { dtypeFromSafetensors, SAFETENSORS_NAMES, safetensorsName } from "./dtypes.js";

/** The reference implementation refuses larger headers too. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";

export interface SafetensorsContents {
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Record<string, string>;
}

export function readSafetensors(bytes: Uint8Array, file: string, limits?: ReadLimits): Map<string, Tensor> {
  return parseSafetensors(bytes, file, limits).tensors;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** A header entry takes a few dozen bytes; names are a few hundred at most. */
const HEADER_BYTES_PER_TENSOR = 4096;

export function parseSafetensors(bytes: Uint8Array, file: string, limits?: ReadLimits): SafetensorsContents {
  const reader = new ByteReader(bytes, file);
  const declared = reader.u64(0, "the 8-byte header length");
  if (declared > BigInt(bytes.length - 8)) {
    fail("NNX3015", file, `the header length ${declared} is larger than the ${bytes.length - 8} bytes that follow it`, "is this a safetensors file?");
  }
  const headerLength = Number(declared);
  if (headerLength > MAX_HEADER_BYTES) fail("NNX3015", file, `the header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  // Bounded before JSON.parse: a million empty tensors is a 59 MB header.
  if (limits) checkBytes({ ...limits, maxBytes: limits.maxTensors * HEADER_BYTES_PER_TENSOR }, headerLength, file, `its header (at most ${HEADER_BYTES_PER_TENSOR} bytes per allowed entry) is`);
  const header = parseHeaderJson(bytes.subarray(8, 8 + headerLength), file);
  const names = Object.keys(header);
  checkCount(limits, names.length - (Object.hasOwn(header, METADATA_KEY) ? 1 : 0), file, "its header lists");
  const data = bytes.subarray(8 + headerLength);

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = checkMetadata(info, file);
    else entries.push(checkEntry(name, info, data.length, file));
  }
  checkContiguous(entries, data.length, file);

  const tensors = new Map<string, Tensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    tensors.set(name, decodeTensor(dtype, shape, data.subarray(begin, end), file, `tensor "${name}"`));
  }
  return { tensors, metadata };
}

export function writeSafetensors(
  tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const fields: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) fields.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entriesOf(tensors)) {
    if (name === METADATA_KEY) fail("NNX3016", "safetensors", `"${METADATA_KEY}" is reserved and cannot name a tensor`);
    const payload = encodeTensor(t, `tensor "${name}"`);
    const info = { dtype: safetensorsName(t.dtype), shape: t.shape, data_offsets: [offset, offset + payload.length] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    payloads.push(payload);
    offset += payload.length;
  }
  const json = new TextEncoder().encode(`{${fields.join(",")}}`);
  // Padding with spaces to a multiple of 8 keeps the data 8-byte aligned, as the reference writer does.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const payload of payloads) {
    out.set(payload, cursor);
    cursor += payload.length;
  }
  return out;
}

function parseHeaderJson(bytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("NNX3016", file, "the header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail("NNX3016", file, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("NNX3016", file, `the header is ${describe(header)}, expected a JSON object of tensors`);
  }
  const duplicate = findDuplicateTopLevelKey(text);
  if (duplicate !== undefined) fail("NNX3007", file, `the header names "${duplicate}" more than once`);
  return header as Record<string, unknown>;
}

/** JSON.parse keeps the last of repeated keys silently; this finds them in already-valid JSON. */
function findDuplicateTopLevelKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === "\\") i++;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(json.slice(start, i + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
    } else if (c === "{" || c === "[") {
      depth++;
      expectKey = depth === 1;
    } else if (c === "}" || c === "]") {
      depth--;
    } else if (c === "," && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
}

function checkMetadata(info: unknown, file: string): Record<string, string> {
  if (typeof info !== "object" || info === null || Array.isArray(info)) {
    fail("NNX3016", file, `"${METADATA_KEY}" is ${describe(info)}, expected an object of strings`);
  }
  for (const [key, value] of Object.entries(info)) {
    if (typeof value !== "string") fail("NNX3016", file, `"${METADATA_KEY}"."${key}" is ${describe(value)}, expected a string`);
  }
  return info as Record<string, string>;
}

function checkEntry(name: string, info: unknown, dataLength: number, file: string): Entry {
  const what = `tensor "${name}"`;
  if (typeof info !== "object" || info === null || Array.isArray(info)) {
    fail("NNX3016", file, `${what} is ${describe(info)}, expected {"dtype", "shape", "data_offsets"}`);
  }
  const { dtype: dtypeName, shape: rawShape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtypeName !== "string") fail("NNX3016", file, `${what}: dtype is ${describe(dtypeName)}, expected a string`);
  const dtype = dtypeFromSafetensors(dtypeName);
  if (dtype === undefined) fail("NNX3005", file, `${what}: unsupported dtype "${dtypeName}"; supported: ${SAFETENSORS_NAMES.join(" ")}`);
  const shape = checkShape(rawShape, "NNX3006", file, what);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o))) {
    fail("NNX3017", file, `${what}: data_offsets is ${offsets === undefined ? "missing" : JSON.stringify(offsets)}, expected [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin < 0 || begin > end || end > dataLength) {
    fail("NNX3017", file, `${what}: data_offsets [${begin}, ${end}] are outside the ${dataLength}-byte data section`);
  }
  const needed = byteSize(dtype, shape);
  if (end - begin !== needed) {
    fail("NNX3017", file, `${what}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtypeName} ${formatShape(shape)} needs ${needed}`);
  }
  return { name, dtype, shape, begin, end };
}

/** The format requires the tensors to tile the data section exactly; header order may differ from data order. */
function checkContiguous(entries: readonly Entry[], dataLength: number, file: string): void {
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const entry of byOffset) {
    if (entry.begin < cursor) {
      fail("NNX3017", file, `tensor "${entry.name}" data [${entry.begin}, ${entry.end}] overlaps tensor "${previous!.name}" [${previous!.begin}, ${previous!.end}]`);
    }
    if (entry.begin > cursor) fail("NNX3017", file, `data bytes [${cursor}, ${entry.begin}] belong to no tensor (a gap before tensor "${entry.name}")`);
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) fail("NNX3017", file, `the last ${dataLength - cursor} data bytes (from ${cursor}) belong to no tensor`);
}
