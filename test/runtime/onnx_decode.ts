/**
 * A tiny protobuf reader for the ONNX messages proto.ts writes, to check round trips in
 * tests. Unknown fields are kept raw; only what the encoder emits is interpreted.
 */

type Field = bigint | Uint8Array | number;

/** Fields of one message by number, in order of appearance. */
export function readFields(buf: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error("truncated varint");
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    let v: Field;
    if (wire === 0) v = varint();
    else if (wire === 5) { v = dv.getFloat32(pos, true); pos += 4; }
    else if (wire === 1) { v = dv.getFloat64(pos, true); pos += 8; }
    else if (wire === 2) { const n = Number(varint()); v = buf.subarray(pos, pos + n); pos += n; }
    else throw new Error(`unsupported wire type ${wire}`);
    if (pos > buf.length) throw new Error("truncated field");
    const list = out.get(field) ?? [];
    list.push(v);
    out.set(field, list);
  }
  return out;
}

const text = new TextDecoder();
const str = (f: Map<number, Field[]>, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return v instanceof Uint8Array ? text.decode(v) : undefined;
};
const strs = (f: Map<number, Field[]>, n: number): string[] => (f.get(n) ?? []).map((v) => text.decode(v as Uint8Array));
const ints = (f: Map<number, Field[]>, n: number): bigint[] => (f.get(n) ?? []).map((v) => BigInt.asIntN(64, v as bigint));
const msgs = (f: Map<number, Field[]>, n: number): Map<number, Field[]>[] => (f.get(n) ?? []).map((v) => readFields(v as Uint8Array));

export interface DecodedTensor { name: string | undefined; dataType: number; dims: number[]; raw?: Uint8Array; external?: Record<string, string>; dataLocation?: number }
export interface DecodedAttr { name: string; type: number; f?: number; i?: bigint; s?: string; t?: DecodedTensor; floats: number[]; ints: bigint[]; strings: string[] }
export interface DecodedNode { op: string; inputs: string[]; outputs: string[]; name: string | undefined; domain: string | undefined; attrs: DecodedAttr[] }
export interface DecodedValueInfo { name: string; elemType: number; dims: (number | string)[] }
export interface DecodedModel {
  irVersion: number;
  producerName: string | undefined;
  opsets: { domain: string; version: number }[];
  graph: { name: string | undefined; nodes: DecodedNode[]; initializers: DecodedTensor[]; inputs: DecodedValueInfo[]; outputs: DecodedValueInfo[] };
  metadata: Record<string, string>;
}

export function decodeTensor(f: Map<number, Field[]>): DecodedTensor {
  const raw = f.get(9)?.[0] as Uint8Array | undefined;
  const ext = msgs(f, 13);
  const loc = f.get(14)?.[0] as bigint | undefined;
  return {
    name: str(f, 8),
    dataType: Number(f.get(2)?.[0] ?? 0n),
    dims: ints(f, 1).map(Number),
    ...(raw ? { raw } : {}),
    ...(ext.length ? { external: Object.fromEntries(ext.map((e) => [str(e, 1)!, str(e, 2)!])) } : {}),
    ...(loc !== undefined ? { dataLocation: Number(loc) } : {}),
  };
}

function decodeAttr(f: Map<number, Field[]>): DecodedAttr {
  const t = msgs(f, 5)[0];
  const a: DecodedAttr = { name: str(f, 1)!, type: Number(f.get(20)?.[0] ?? 0n), floats: (f.get(7) ?? []) as number[], ints: ints(f, 8), strings: strs(f, 9) };
  if (f.has(2)) a.f = f.get(2)![0] as number;
  if (f.has(3)) a.i = ints(f, 3)[0]!;
  if (f.has(4)) a.s = str(f, 4)!;
  if (t) a.t = decodeTensor(t);
  return a;
}

function decodeValueInfo(f: Map<number, Field[]>): DecodedValueInfo {
  const tensorType = msgs(msgs(f, 2)[0]!, 1)[0]!;
  const shape = msgs(tensorType, 2)[0];
  const dims = shape ? msgs(shape, 1).map((d) => (d.has(1) ? Number(d.get(1)![0]) : str(d, 2)!)) : [];
  return { name: str(f, 1)!, elemType: Number(tensorType.get(1)![0]), dims };
}

export function decodeModel(bytes: Uint8Array): DecodedModel {
  const m = readFields(bytes);
  const g = msgs(m, 7)[0]!;
  return {
    irVersion: Number(m.get(1)![0]),
    producerName: str(m, 2),
    opsets: msgs(m, 8).map((o) => ({ domain: str(o, 1) ?? "", version: Number(o.get(2)![0]) })),
    graph: {
      name: str(g, 2),
      nodes: msgs(g, 1).map((n) => ({ op: str(n, 4)!, inputs: strs(n, 1), outputs: strs(n, 2), name: str(n, 3), domain: str(n, 7), attrs: msgs(n, 5).map(decodeAttr) })),
      initializers: msgs(g, 5).map(decodeTensor),
      inputs: msgs(g, 11).map(decodeValueInfo),
      outputs: msgs(g, 12).map(decodeValueInfo),
    },
    metadata: Object.fromEntries(msgs(m, 14).map((e) => [str(e, 1)!, str(e, 2)!])),
  };
}
