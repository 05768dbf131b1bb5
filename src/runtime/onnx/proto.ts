/**
 * A minimal protobuf wire encoder for the ONNX messages nnx-gen emits (field numbers from
 * onnx/onnx.proto). Everything is proto2, so repeated scalars are written unpacked, as the
 * reference serializer does. Large tensor payloads are kept by reference and copied exactly
 * once, into the final buffer.
 */

import type { DType } from "../../tensor.js";

/** TensorProto.DataType numbers. */
export const ONNX_DTYPE: { readonly [D in DType]: number } = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7,
  bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13, bfloat16: 16,
};

/** Protobuf limits one serialized message to 2 GiB; ORT refuses bigger models. */
export const PROTOBUF_MAX_BYTES = 2 ** 31 - 1;

export type Dim = number | string;

export type AttrValue =
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "int"; readonly value: number | bigint }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "tensor"; readonly value: TensorDef }
  | { readonly kind: "floats"; readonly value: readonly number[] }
  | { readonly kind: "ints"; readonly value: readonly (number | bigint)[] }
  | { readonly kind: "strings"; readonly value: readonly string[] }
  /** A subgraph (If's branches). */
  | { readonly kind: "graph"; readonly value: GraphDef };

export interface TensorDef {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Little-endian element bytes (raw_data). Absent when `external` is set. */
  readonly raw?: Uint8Array;
  /** data_location EXTERNAL: where the bytes live in the external data given to the runtime. */
  readonly external?: { readonly location: string; readonly offset: number; readonly length: number };
}

export interface NodeDef {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

export interface ValueInfoDef {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly Dim[];
  /** Leave the shape out (If branch outputs, whose shape ORT infers). */
  readonly unknownShape?: boolean;
}

export interface GraphDef {
  readonly name: string;
  readonly nodes: readonly NodeDef[];
  readonly initializers: readonly TensorDef[];
  readonly inputs: readonly ValueInfoDef[];
  readonly outputs: readonly ValueInfoDef[];
}

export interface ModelDef {
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graph: GraphDef;
  readonly metadata?: Readonly<Record<string, string>>;
}

// Wire types.
const VARINT = 0;
const I32 = 5;
const LEN = 2;

const utf8 = new TextEncoder();

/**
 * Collects bytes as a list of chunks: small fields go through a growable scratch buffer,
 * big byte payloads and finished sub-messages are appended by reference.
 */
class Writer {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  private scratch = new Uint8Array(64);
  private start = 0;
  private pos = 0;
  private readonly view4 = new DataView(new ArrayBuffer(4));

  private ensure(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    this.flush();
    this.scratch = new Uint8Array(Math.max(n, 4 * this.scratch.length, 256));
    this.start = this.pos = 0;
  }

  private flush(): void {
    if (this.pos === this.start) return;
    this.chunks.push(this.scratch.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  private byte(b: number): void {
    this.scratch[this.pos++] = b;
    this.length++;
  }

  varint(v: number | bigint): void {
    this.ensure(10);
    if (typeof v === "number" && v >= 0 && v < 2 ** 31) {
      while (v >= 0x80) {
        this.byte((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      this.byte(v);
      return;
    }
    // Negative int64 values are written as their 64-bit two's complement (10 bytes).
    let u = BigInt.asUintN(64, BigInt(v));
    while (u >= 0x80n) {
      this.byte(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    this.byte(Number(u));
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  float(v: number): void {
    this.ensure(4);
    this.view4.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.byte(this.view4.getUint8(i));
  }

  rawBytes(b: Uint8Array): void {
    if (b.length <= 64) {
      this.ensure(b.length);
      this.scratch.set(b, this.pos);
      this.pos += b.length;
      this.length += b.length;
      return;
    }
    this.flush();
    this.chunks.push(b);
    this.length += b.length;
  }

  /** Append a finished sub-message's bytes by reference. */
  append(w: Writer): void {
    w.flush();
    this.flush();
    for (const c of w.chunks) this.chunks.push(c);
    this.length += w.length;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

// Field helpers: write nothing for absent values.
function fInt(w: Writer, field: number, v: number | bigint): void {
  w.tag(field, VARINT);
  w.varint(v);
}
function fFloat(w: Writer, field: number, v: number): void {
  w.tag(field, I32);
  w.float(v);
}
function fBytes(w: Writer, field: number, b: Uint8Array): void {
  w.tag(field, LEN);
  w.varint(b.length);
  w.rawBytes(b);
}
function fString(w: Writer, field: number, s: string | undefined): void {
  if (s !== undefined) fBytes(w, field, utf8.encode(s));
}
function fMessage<T>(w: Writer, field: number, value: T, encode: (w: Writer, value: T) => void): void {
  const sub = new Writer();
  encode(sub, value);
  w.tag(field, LEN);
  w.varint(sub.length);
  w.append(sub);
}

function encStringEntry(w: Writer, e: readonly [string, string]): void {
  fString(w, 1, e[0]);
  fString(w, 2, e[1]);
}

function encTensor(w: Writer, t: TensorDef): void {
  for (const d of t.dims) fInt(w, 1, d);
  fInt(w, 2, ONNX_DTYPE[t.dtype]);
  fString(w, 8, t.name);
  if (t.external !== undefined) {
    const e = t.external;
    const entries: [string, string][] = [["location", e.location], ["offset", String(e.offset)], ["length", String(e.length)]];
    for (const entry of entries) fMessage(w, 13, entry, encStringEntry);
    fInt(w, 14, 1);
  } else {
    fBytes(w, 9, t.raw ?? new Uint8Array(0));
  }
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 } as const;

function encAttribute(w: Writer, [name, a]: readonly [string, AttrValue]): void {
  fString(w, 1, name);
  fInt(w, 20, ATTR_TYPE[a.kind]);
  switch (a.kind) {
    case "float": fFloat(w, 2, a.value); break;
    case "int": fInt(w, 3, a.value); break;
    case "string": fString(w, 4, a.value); break;
    case "tensor": fMessage(w, 5, a.value, encTensor); break;
    case "graph": fMessage(w, 6, a.value, encGraph); break;
    case "floats": for (const v of a.value) fFloat(w, 7, v); break;
    case "ints": for (const v of a.value) fInt(w, 8, v); break;
    case "strings": for (const v of a.value) fString(w, 9, v); break;
  }
}

function encNode(w: Writer, n: NodeDef): void {
  for (const i of n.inputs) fString(w, 1, i);
  for (const o of n.outputs) fString(w, 2, o);
  fString(w, 3, n.name);
  fString(w, 4, n.op);
  for (const entry of Object.entries(n.attrs ?? {})) fMessage(w, 5, entry, encAttribute);
  if (n.domain !== undefined && n.domain !== "") fString(w, 7, n.domain);
}

function encDim(w: Writer, d: Dim): void {
  if (typeof d === "number") fInt(w, 1, d);
  else fString(w, 2, d);
}

function encShape(w: Writer, dims: readonly Dim[]): void {
  for (const d of dims) fMessage(w, 1, d, encDim);
}

function encTensorType(w: Writer, v: ValueInfoDef): void {
  fInt(w, 1, ONNX_DTYPE[v.dtype]);
  if (!v.unknownShape) fMessage(w, 2, v.dims, encShape);
}

function encType(w: Writer, v: ValueInfoDef): void {
  fMessage(w, 1, v, encTensorType);
}

function encValueInfo(w: Writer, v: ValueInfoDef): void {
  fString(w, 1, v.name);
  fMessage(w, 2, v, encType);
}

function encGraph(w: Writer, g: GraphDef): void {
  for (const n of g.nodes) fMessage(w, 1, n, encNode);
  fString(w, 2, g.name);
  for (const t of g.initializers) fMessage(w, 5, t, encTensor);
  for (const v of g.inputs) fMessage(w, 11, v, encValueInfo);
  for (const v of g.outputs) fMessage(w, 12, v, encValueInfo);
}

function encOpset(w: Writer, o: { readonly domain: string; readonly version: number }): void {
  if (o.domain !== "") fString(w, 1, o.domain);
  fInt(w, 2, o.version);
}

function encModel(w: Writer, m: ModelDef): void {
  fInt(w, 1, m.irVersion);
  fString(w, 2, m.producerName);
  fString(w, 3, m.producerVersion);
  fMessage(w, 7, m.graph, encGraph);
  for (const o of m.opsets) fMessage(w, 8, o, encOpset);
  for (const entry of Object.entries(m.metadata ?? {})) fMessage(w, 14, entry, encStringEntry);
}

/** Serialize a ModelProto. */
export function encodeModel(m: ModelDef): Uint8Array {
  const w = new Writer();
  encModel(w, m);
  if (w.length > PROTOBUF_MAX_BYTES) {
    throw new RangeError(`ONNX model of ${w.length} bytes exceeds the 2 GiB protobuf limit; move weights to external data`);
  }
  return w.finish();
}

/** Serialize one TensorProto (used for Constant attributes and in tests). */
export function encodeTensor(t: TensorDef): Uint8Array {
  const w = new Writer();
  encTensor(w, t);
  return w.finish();
}
