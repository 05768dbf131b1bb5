/**
 * Shared by every reader and writer: the error helper, bounds-checked byte reads, shape
 * validation and the conversion between tensor storage and little-endian bytes.
 */
import { UserError } from "../diagnostics/errors.js";
import { allocate, BYTES_PER_ELEMENT, numElements, tensor, viewOf, type DType, type Tensor } from "../tensor.js";
import type { IoCode } from "./codes.js";

/** Throws the UserError every malformed file ends in: "<file>: <what>". */
export function fail(code: IoCode, file: string, what: string, hint?: string): never {
  throw new UserError(code, `${file}: ${what}`, file, hint);
}

/** Rethrows a UserError under another file name (e.g. an .npy inside an .npz); others pass through. */
export function withFile<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof UserError) throw new UserError(e.code, e.message, file, e.hint);
    throw e;
  }
}

/** Bounds-checked little-endian reads: every read past the end is a truncation error. */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Fails unless bytes [offset, offset + size) are inside the file. */
  require(offset: number, size: number, what: string): void {
    if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(size) && offset >= 0 && size >= 0 && offset + size <= this.bytes.length)) {
      fail("NNX3004", this.file, `truncated: ${what} needs bytes ${offset}..${offset + size} but the file has ${this.bytes.length} bytes`);
    }
  }

  u16(offset: number, what: string): number {
    this.require(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.require(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  u64(offset: number, what: string): bigint {
    this.require(offset, 8, what);
    return this.view.getBigUint64(offset, true);
  }

  /** A view (not a copy) of bytes [offset, offset + size). */
  slice(offset: number, size: number, what: string): Uint8Array {
    this.require(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }
}

/** numpy's limit; also keeps hostile headers from asking for absurd ranks. */
export const MAX_RANK = 64;

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Validates a shape read from a file: an array of non-negative safe integers whose element count fits. */
export function checkShape(shape: unknown, code: IoCode, file: string, what: string): number[] {
  if (!Array.isArray(shape)) fail(code, file, `${what}: shape must be a list of integers, got ${describe(shape)}`);
  if (shape.length > MAX_RANK) fail(code, file, `${what}: rank ${shape.length} exceeds the maximum of ${MAX_RANK}`);
  let count = 1;
  for (const [axis, dim] of shape.entries()) {
    if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 0) {
      fail(code, file, `${what}: dimension ${axis} of the shape is ${describe(dim)}, expected a non-negative integer`);
    }
    count *= dim;
    if (count > Number.MAX_SAFE_INTEGER) fail(code, file, `${what}: shape ${formatShape(shape as number[])} has too many elements`);
  }
  return shape as number[];
}

/** Byte size of dtype x shape for a checked shape; past 2^53 it is inexact but still compares as too large. */
export function byteSize(dtype: DType, shape: readonly number[]): number {
  return numElements(shape) * BYTES_PER_ELEMENT[dtype];
}

/** A short description of a decoded value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "..." : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value == null) return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} raw bytes`;
  return typeof value === "object" ? "a map" : typeof value;
}

export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const dim = shape[axis]!;
    index[axis] = flat % dim;
    flat = Math.floor(flat / dim);
  }
  return index;
}

const HOST_IS_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

function swapBytesInPlace(bytes: Uint8Array, width: number): void {
  for (let start = 0; start < bytes.length; start += width) {
    for (let lo = start, hi = start + width - 1; lo < hi; lo++, hi--) {
      const byte = bytes[lo]!;
      bytes[lo] = bytes[hi]!;
      bytes[hi] = byte;
    }
  }
}

function storageBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Builds a tensor from raw element bytes (little-endian unless bigEndian). Bytes already in
 * host order at an aligned offset are used in place: a 500 MB checkpoint is not copied (each
 * fresh page costs a fault here), and the tensor keeps the file's buffer alive. Otherwise
 * they are copied into aligned storage. The caller has validated the shape; here the byte
 * count must match exactly.
 */
export function decodeTensor(
  dtype: DType,
  shape: readonly number[],
  bytes: Uint8Array,
  file: string,
  what: string,
  bigEndian = false,
): Tensor {
  const width = BYTES_PER_ELEMENT[dtype];
  const count = numElements(shape);
  if (bytes.length !== count * width) {
    fail("NNX3006", file, `${what}: ${dtype} ${formatShape(shape)} needs ${count * width} bytes of data, found ${bytes.length}`);
  }
  const inPlace = (width === 1 || bigEndian === HOST_IS_BIG_ENDIAN) && bytes.byteOffset % width === 0;
  const data = inPlace ? viewOf(dtype, bytes.buffer, bytes.byteOffset, count) : allocate(dtype, count);
  const raw = storageBytes(data);
  if (!inPlace) {
    raw.set(bytes);
    if (width > 1 && bigEndian !== HOST_IS_BIG_ENDIAN) swapBytesInPlace(raw, width);
  }
  if (dtype === "bool") {
    const bad = raw.findIndex((b) => b > 1);
    if (bad >= 0) fail("NNX3037", file, `${what}: bool element ${bad} is the byte ${raw[bad]}, expected 0 or 1`);
  }
  return tensor(dtype, shape, data);
}

/** The little-endian bytes of a tensor's elements (a view when the host is little-endian). */
export function encodeTensor(t: Tensor, what: string): Uint8Array {
  const count = numElements(t.shape);
  if (t.data.length !== count) {
    fail("NNX3006", what, `${t.dtype} ${formatShape(t.shape)} needs ${count} elements but its data holds ${t.data.length}`);
  }
  const raw = storageBytes(t.data);
  if (!HOST_IS_BIG_ENDIAN || BYTES_PER_ELEMENT[t.dtype] === 1) return raw;
  const copy = raw.slice();
  swapBytesInPlace(copy, BYTES_PER_ELEMENT[t.dtype]);
  return copy;
}

/** Accepts the two ways callers hand over named tensors. */
export function entriesOf(tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): [string, Tensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
}
