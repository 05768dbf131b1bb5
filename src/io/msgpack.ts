/**
 * Flax msgpack checkpoints (flax.serialization.to_bytes / msgpack_serialize): nested maps whose
 * array leaves are ext type 1 (ndarray) or 3 (numpy scalar), each holding
 * msgpack((shape, dtype name, C-order bytes)). Arrays over 2^30 bytes are split into
 * {"__msgpack_chunked_array__": true, "shape": {"0": d0, ...}, "chunks": {"0": 1-D array, ...}}.
 * Older nnx.State dicts wrap each leaf as {"value": array}.
 */
import { decode, encode, ExtData, ExtensionCodec } from "@msgpack/msgpack";
import { errorMessage, UserError } from "../diagnostics/errors.js";
import { numElements, type DType, type Tensor } from "../tensor.js";
import { checkCount, type ReadLimits } from "./limits.js";
import { byteSize, checkShape, decodeTensor, describe, encodeTensor, entriesOf, fail, formatShape } from "./binary.js";
import { dtypeFromNumpyName, NUMPY_NAMES, numpyName } from "./dtypes.js";

const EXT_NDARRAY = 1;
const EXT_NATIVE_COMPLEX = 2;
const EXT_NUMPY_SCALAR = 3;
const CHUNKED_MARKER = "__msgpack_chunked_array__";
/** flax.serialization.MAX_CHUNK_SIZE */
export const FLAX_MAX_CHUNK_BYTES = 2 ** 30;
/** Parameter trees are a few levels deep; this only stops hostile nesting. */
const MAX_TREE_DEPTH = 64;

/** Every extension (even the built-in timestamp) stays raw ExtData, so leaves are checked in one place. */
const RAW_EXTENSIONS = new ExtensionCodec();
RAW_EXTENSIONS.register({ type: -1, encode: () => null, decode: (data, type) => new ExtData(type, data) });

type Tree = Record<string, unknown>;

/** Flattens the tree to dotted names: {embed: {embedding: x}} -> "embed.embedding". */
export function readFlaxMsgpack(bytes: Uint8Array, file: string, limits?: ReadLimits): Map<string, Tensor> {
  const root = decodeMsgpack(bytes, file, "the file", false, limits?.maxTensors);
  if (!isMap(root)) fail("NNX3031", file, `the top level is ${describeNode(root)}, expected a map of parameters`);
  const tensors = new Map<string, Tensor>();
  const visit = (node: unknown, path: string[]): void => {
    const name = path.join(".");
    if (path.length > MAX_TREE_DEPTH) fail("NNX3031", file, `"${path.slice(0, 4).join(".")}...": nested more than ${MAX_TREE_DEPTH} levels`);
    // The root is always a group, even when shaped like a wrapped leaf.
    const leaf = path.length > 0 ? arrayLeaf(node) : undefined;
    if (leaf !== undefined) {
      if (tensors.has(name)) fail("NNX3007", file, `"${name}" is given twice (a key containing "." collides with a nested one)`);
      tensors.set(name, decodeLeaf(leaf, name, file));
      checkCount(limits, tensors.size, file, "it holds at least");
    } else if (isMap(node)) {
      for (const [key, child] of Object.entries(node)) visit(child, [...path, key]);
    } else if (Array.isArray(node)) {
      // Flax stores lists as maps keyed "0", "1", ...; a raw list flattens the same way.
      node.forEach((child, i) => visit(child, [...path, String(i)]));
    } else {
      fail("NNX3031", file, `"${name}" is ${describeNode(node)}, expected an array or a map of arrays`);
    }
  };
  visit(root, []);
  return tensors;
}

export interface FlaxMsgpackOptions {
  /** Arrays larger than this are written in chunks, as Flax does (default 2^30 bytes). */
  readonly maxChunkBytes?: number;
}

/** Writes dotted names as the nested maps flax.serialization.to_bytes writes. */
export function writeFlaxMsgpack(
  tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  options: FlaxMsgpackOptions = {},
): Uint8Array {
  const maxChunkBytes = options.maxChunkBytes ?? FLAX_MAX_CHUNK_BYTES;
  const root: Tree = Object.create(null) as Tree;
  for (const [name, t] of entriesOf(tensors)) {
    const path = name.split(".");
    if (path.some((key) => key === "")) fail("NNX3031", name, "parameter names need non-empty parts between dots");
    let node = root;
    for (const key of path.slice(0, -1)) {
      const child = node[key] ?? (node[key] = Object.create(null) as Tree);
      if (!isMap(child) || CHUNKED_MARKER in child) fail("NNX3031", name, `"${key}" is both a parameter and a group`);
      node = child;
    }
    const last = path[path.length - 1]!;
    if (last in node) fail("NNX3007", name, "is given twice, or is both a parameter and a group");
    node[last] = encodeLeaf(t, name, maxChunkBytes);
  }
  return encode(root);
}

// --- Leaves

/** The array representations a leaf may have. */
type ArrayLeaf = { kind: "ext"; ext: ExtData } | { kind: "chunked"; map: Tree };

/** An array leaf, itself or wrapped once as {"value": array}; undefined for anything else. */
function arrayLeaf(node: unknown, unwrap = true): ArrayLeaf | undefined {
  if (node instanceof ExtData) return { kind: "ext", ext: node };
  if (!isMap(node)) return undefined;
  if (CHUNKED_MARKER in node) return { kind: "chunked", map: node };
  const keys = Object.keys(node);
  return unwrap && keys.length === 1 && keys[0] === "value" ? arrayLeaf(node.value, false) : undefined;
}

function decodeLeaf(leaf: ArrayLeaf, name: string, file: string): Tensor {
  if (leaf.kind === "ext") {
    const { dtype, shape, data } = decodeArrayPayload(leaf.ext, name, file);
    return decodeTensor(dtype, shape, data, file, `"${name}"`);
  }
  return unchunk(leaf.map, name, file);
}

interface RawArray {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

function decodeArrayPayload(ext: ExtData, name: string, file: string): RawArray {
  if (ext.type === EXT_NATIVE_COMPLEX) fail("NNX3005", file, `"${name}" is a complex number; complex values are not supported`);
  if (ext.type !== EXT_NDARRAY && ext.type !== EXT_NUMPY_SCALAR) {
    fail("NNX3032", file, `"${name}" is msgpack extension type ${ext.type}; Flax arrays are type 1 (ndarray) or 3 (numpy scalar)`);
  }
  // Raw strings: old writers (use_bin_type=False) stored the bytes as str, and numpy names are ASCII.
  const payload = decodeMsgpack(ext.data as Uint8Array, file, `the array "${name}"`, true);
  if (!Array.isArray(payload) || payload.length !== 3) {
    fail("NNX3032", file, `"${name}": the array payload is ${describeNode(payload)}, expected (shape, dtype, bytes)`);
  }
  const [rawShape, rawDtype, data] = payload as [unknown, unknown, unknown];
  const shape = checkShape(rawShape, "NNX3006", file, `"${name}"`);
  if (!(rawDtype instanceof Uint8Array)) fail("NNX3032", file, `"${name}": the dtype is ${describeNode(rawDtype)}, expected a dtype name`);
  const dtypeName = new TextDecoder("latin1").decode(rawDtype);
  const dtype = dtypeFromNumpyName(dtypeName);
  if (dtype === undefined) {
    const complex = dtypeName.startsWith("complex") ? "complex values are not supported" : `supported: ${NUMPY_NAMES.join(" ")}`;
    fail("NNX3005", file, `"${name}": unsupported dtype ${JSON.stringify(dtypeName.slice(0, 40))}; ${complex}`);
  }
  if (!(data instanceof Uint8Array)) fail("NNX3032", file, `"${name}": the array data is ${describeNode(data)}, expected bytes`);
  return { dtype, shape, data };
}

function unchunk(map: Tree, name: string, file: string): Tensor {
  const what = `"${name}" (a chunked array)`;
  const shape = checkShape(indexedList(map.shape, `${what}: shape`, file), "NNX3033", file, what);
  const chunks = indexedList(map.chunks, `${what}: chunks`, file).map((chunk, i) => {
    if (!(chunk instanceof ExtData)) fail("NNX3033", file, `${what}: chunk ${i} is ${describeNode(chunk)}, expected an array`);
    return decodeArrayPayload(chunk, `${name}.chunks.${i}`, file);
  });
  const dtype = chunks[0]?.dtype;
  if (dtype === undefined) return fail("NNX3033", file, `${what} has no chunks`);
  const bytes = new Uint8Array(chunks.reduce((sum, c) => sum + c.data.length, 0));
  let offset = 0;
  chunks.forEach((chunk, i) => {
    if (chunk.dtype !== dtype) fail("NNX3033", file, `${what}: chunk ${i} is ${chunk.dtype} but chunk 0 is ${dtype}`);
    bytes.set(chunk.data, offset);
    offset += chunk.data.length;
  });
  if (bytes.length !== byteSize(dtype, shape)) {
    fail("NNX3033", file, `${what}: the chunks hold ${bytes.length} bytes but ${dtype} ${formatShape(shape)} needs ${byteSize(dtype, shape)}`);
  }
  return decodeTensor(dtype, shape, bytes, file, what);
}

/** Flax writes tuples as {"0": a, "1": b, ...}; accept that or a plain list. */
function indexedList(value: unknown, what: string, file: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (!isMap(value)) fail("NNX3033", file, `${what} is ${describeNode(value)}, expected a map {"0": ..., "1": ...}`);
  const keys = Object.keys(value);
  // Distinct keys that are all canonical indices below the count are exactly "0".."n-1".
  if (keys.some((key) => !/^(0|[1-9]\d*)$/.test(key) || Number(key) >= keys.length)) {
    fail("NNX3033", file, `${what} has the keys ${keys.slice(0, 8).join(", ")}, expected "0" to "${keys.length - 1}"`);
  }
  return keys.map((_, i) => value[String(i)]);
}

function encodeLeaf(t: Tensor, name: string, maxChunkBytes: number): ExtData | Tree {
  const bytes = encodeTensor(t, name);
  if (bytes.length <= maxChunkBytes) return arrayExt(t.shape, t.dtype, bytes);
  const width = bytes.length / Math.max(1, numElements(t.shape));
  const chunkBytes = Math.max(1, Math.floor(maxChunkBytes / width)) * width;
  const chunks: Tree = Object.create(null) as Tree;
  for (let start = 0, i = 0; start < bytes.length; start += chunkBytes, i++) {
    const part = bytes.subarray(start, start + chunkBytes);
    chunks[String(i)] = arrayExt([part.length / width], t.dtype, part);
  }
  return { [CHUNKED_MARKER]: true, shape: Object.fromEntries(t.shape.map((d, i) => [String(i), d])), chunks };
}

function arrayExt(shape: readonly number[], dtype: DType, bytes: Uint8Array): ExtData {
  return new ExtData(EXT_NDARRAY, encode([shape, numpyName(dtype), bytes]));
}

// --- msgpack plumbing

function decodeMsgpack(bytes: Uint8Array, file: string, what: string, rawStrings: boolean, maxEntries = Infinity): unknown {
  // Every element takes at least one byte, so no honest length exceeds the input's; no group
  // of a checkpoint has more entries than the spec allows tensors.
  const maxLength = Math.min(bytes.length, maxEntries);
  try {
    return decode(bytes, {
      extensionCodec: RAW_EXTENSIONS,
      rawStrings,
      maxArrayLength: maxLength,
      maxMapLength: maxLength,
    });
  } catch (e) {
    if (e instanceof UserError) throw e;
    return fail("NNX3030", file, `${what} is not valid msgpack (${errorMessage(e)})`);
  }
}

function isMap(value: unknown): value is Tree {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeNode(value: unknown): string {
  if (value instanceof ExtData) return `msgpack extension type ${value.type}`;
  return describe(value);
}
