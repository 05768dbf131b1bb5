/**
 * The ONNX bytes of the calibration model: `s = ReduceSum(MatMul(a, b))`, with `a` [m, k] an
 * input and `b` [k, n] a constant initializer (so onnxruntime pre-packs it, as it does model
 * weights). Reducing to a scalar keeps the output copy out of the timing: a fresh multi-MiB
 * output buffer costs page faults comparable to the matmul itself on this kind of VM.
 *
 * This is a minimal protobuf writer for just these messages, kept here until the project's
 * ONNX encoder (src/runtime/onnx) can be used instead.
 */

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const ONNX_FLOAT = 1;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

type Field = Uint8Array | number[];

function concat(parts: readonly Field[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const num = (field: number, value: number): Field => [...varint((field << 3) | WIRE_VARINT), ...varint(value)];
const bytes = (field: number, value: Uint8Array): Uint8Array =>
  concat([varint((field << 3) | WIRE_BYTES), varint(value.length), value]);
const str = (field: number, value: string): Uint8Array => bytes(field, new TextEncoder().encode(value));
const msg = (field: number, ...parts: Field[]): Uint8Array => bytes(field, concat(parts));

/** ValueInfoProto for a float tensor of a static shape. */
function floatValueInfo(field: number, name: string, shape: readonly number[]): Uint8Array {
  const dims = shape.map((d) => msg(1, num(1, d))); // TensorShapeProto.dim { dim_value }
  const tensorType = msg(1, num(1, ONNX_FLOAT), msg(2, ...dims)); // TypeProto.tensor_type
  return msg(field, str(1, name), msg(2, tensorType));
}

function node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Field[] = []): Uint8Array {
  return msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(4, opType), ...attrs);
}

/** The model, in ONNX IR 10 / opset 21. `weights` is row-major [k, n]. */
export function sgemmModelBytes(m: number, k: number, n: number, weights: Float32Array): Uint8Array {
  if (weights.length !== k * n) throw new RangeError(`weights need ${k * n} values, got ${weights.length}`);
  const raw = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  const initializer = msg(5, num(1, k), num(1, n), num(2, ONNX_FLOAT), str(8, "b"), bytes(9, raw));
  const keepdimsFalse = msg(5, str(1, "keepdims"), num(3, 0), num(20, 2)); // AttributeProto INT
  const graph = msg(
    7,
    node("MatMul", ["a", "b"], ["c"]),
    node("ReduceSum", ["c"], ["s"], [keepdimsFalse]),
    str(2, "sgemm"),
    initializer,
    floatValueInfo(11, "a", [m, k]),
    floatValueInfo(12, "s", []),
  );
  return concat([num(1, 10), str(2, "nnx-gen"), graph, msg(8, str(1, ""), num(2, 21))]);
}
