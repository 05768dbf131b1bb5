/**
 * Host tensors: the one in-memory array type shared by file formats, parameters, the runtime
 * and generated modules. Data is row-major (C order), like NumPy and Flax.
 */

export const DTYPES = [
  "float32", "float16", "bfloat16", "float64",
  "int8", "int16", "int32", "int64",
  "uint8", "uint16", "uint32", "uint64",
  "bool",
] as const;
export type DType = (typeof DTYPES)[number];

/** The TypedArray that holds each dtype. float16 and bfloat16 are kept as raw 16-bit words. */
export interface DataOfMap {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float64: Float64Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}
export type DataOf<D extends DType> = DataOfMap[D];
export type TypedArray = DataOfMap[DType];

export interface Tensor<D extends DType = DType, S extends readonly number[] = readonly number[]> {
  readonly dtype: D;
  readonly shape: S;
  readonly data: DataOf<D>;
}

const CTORS: { [D in DType]: new (n: number) => DataOf<D> } = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

export const BYTES_PER_ELEMENT: { [D in DType]: number } = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8,
  int8: 1, int16: 2, int32: 4, int64: 8,
  uint8: 1, uint16: 2, uint32: 4, uint64: 8,
  bool: 1,
};

/** Whether `data` is the typed array that holds `dtype` (a Float32Array for float32, ...). */
export function isDataOf(dtype: DType, data: unknown): boolean {
  return data instanceof CTORS[dtype];
}

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && (DTYPES as readonly string[]).includes(x);
}

export function isFloatDType(d: DType): boolean {
  return d === "float32" || d === "float16" || d === "bfloat16" || d === "float64";
}

export function isIntDType(d: DType): boolean {
  return d.startsWith("int") || d.startsWith("uint");
}

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocate (or wrap) the storage for a tensor of this dtype and shape. */
export function allocate<D extends DType>(dtype: D, n: number): DataOf<D> {
  return new CTORS[dtype](n);
}

/**
 * Storage whose contents are undefined, for buffers a producer overwrites whole (the runtime's
 * outputs): skips the zero fill that typed arrays do, 2 ms for 65 MB.
 */
export function allocateUninitialized<D extends DType>(dtype: D, n: number): DataOf<D> {
  // Node's Buffer when there is one (found at run time: the core imports nothing from Node).
  const unsafe = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;
  if (!unsafe) return allocate(dtype, n);
  const bytes = unsafe.allocUnsafeSlow(n * BYTES_PER_ELEMENT[dtype]);
  return viewOf(dtype, bytes.buffer, bytes.byteOffset, n);
}

/** `n` elements of `dtype` over existing memory, without copying. */
export function viewOf<D extends DType>(dtype: D, buffer: ArrayBufferLike, byteOffset: number, n: number): DataOf<D> {
  const Ctor = CTORS[dtype] as unknown as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => DataOf<D>;
  return new Ctor(buffer, byteOffset, n);
}

/**
 * Build a tensor. With no data the tensor is zero-filled. Data may be a TypedArray of the
 * right kind (used as is) or a plain array of numbers/bigints (copied). float16 and bfloat16
 * hold raw 16-bit words: a Uint16Array, a plain array of words (0..65535), or for float16 a
 * Float16Array where the JavaScript runtime has one (its bits, not copied). For values, use
 * `fromFloat32(dtype, tensor("float32", shape, values))`.
 */
export function tensor<D extends DType, const S extends readonly number[]>(
  dtype: D,
  shape: S,
  data?: DataOf<D> | ArrayLike<number> | ArrayLike<bigint>,
): Tensor<D, S> {
  if (!isDType(dtype)) throw new TypeError(`unknown dtype ${String(dtype)}`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape [${shape.join(", ")}]`);
  }
  const n = numElements(shape);
  let out: DataOf<D>;
  if (data === undefined) {
    out = allocate(dtype, n);
  } else if (ArrayBuffer.isView(data) && data.constructor === CTORS[dtype]) {
    out = data as DataOf<D>;
  } else if (dtype === "float16" && ArrayBuffer.isView(data) && data.constructor.name === "Float16Array") {
    out = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) as DataOf<D>;
  } else {
    out = allocate(dtype, n);
    const big = dtype === "int64" || dtype === "uint64";
    const src = data as ArrayLike<number | bigint>;
    if (src.length !== n) throw new RangeError(`tensor of shape [${shape.join(", ")}] needs ${n} values, got ${src.length}`);
    const words = dtype === "float16" || dtype === "bfloat16";
    for (let i = 0; i < n; i++) {
      const v = src[i]!;
      // A value where a word is expected would be stored as garbage bits: refuse it.
      if (words && !(Number.isInteger(v) && Number(v) >= 0 && Number(v) <= 0xffff)) {
        throw new RangeError(`${dtype} data are raw 16-bit words (0..65535), got ${String(v)} at ${i}; convert values with fromFloat32("${dtype}", tensor("float32", shape, values))`);
      }
      (out as unknown as (number | bigint)[])[i] = big ? BigInt(v) : Number(v);
    }
  }
  if (out.length !== n) throw new RangeError(`tensor of shape [${shape.join(", ")}] needs ${n} values, got ${out.length}`);
  return { dtype, shape: Object.freeze([...shape]) as unknown as S, data: out };
}

/** Row-major strides of a shape. */
function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** out = t.transpose(perm), copying. */
export function transposeTensor(t: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== t.shape.length) throw new RangeError(`transpose: perm [${perm.join(",")}] does not fit shape [${t.shape.join(",")}]`);
  const outShape = perm.map((p) => t.shape[p]!);
  const inStrides = rowMajorStrides(t.shape);
  const stepOf = perm.map((p) => inStrides[p]!);
  const src = t.data as TypedArray & ArrayLike<number | bigint>;
  const dst = allocate(t.dtype, numElements(outShape)) as TypedArray & { [i: number]: number | bigint };
  const r = outShape.length;
  const idx = new Array<number>(r).fill(0);
  let from = 0;
  for (let o = 0; o < dst.length; o++) {
    dst[o] = src[from]!;
    // Odometer increment over the output index, tracking the input offset.
    for (let a = r - 1; a >= 0; a--) {
      from += stepOf[a]!;
      if (++idx[a]! < outShape[a]!) break;
      from -= stepOf[a]! * outShape[a]!;
      idx[a] = 0;
    }
  }
  return tensor(t.dtype, outShape, dst as never);
}
