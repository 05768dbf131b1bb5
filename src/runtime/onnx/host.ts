/**
 * Build-time work on host tensors (weights): re-layouts and small edits done once in JS so
 * that the graph gets constants ORT can pre-pack, instead of ops it would fold at load.
 */

import { allocate, numElements, tensor, transposeTensor, type DType, type Tensor, type TypedArray } from "../../tensor.js";

/** out = t.transpose(perm), copying (weights re-laid out at build time). */
export const transposeHost = transposeTensor;

/** Same data, new shape (no copy). */
export function reshapeHost(t: Tensor, shape: readonly number[]): Tensor {
  if (numElements(shape) !== numElements(t.shape)) throw new RangeError(`reshape: [${t.shape.join(",")}] -> [${shape.join(",")}]`);
  return tensor(t.dtype, shape, t.data as never);
}

/** Elementwise a*b of two float32/float64 tensors of one shape (Conv masks). */
export function mulHost(a: Tensor, b: Tensor): Tensor {
  if (a.shape.join() !== b.shape.join()) throw new RangeError(`mask shape [${b.shape.join(",")}] differs from kernel shape [${a.shape.join(",")}]`);
  const out = allocate(a.dtype, a.data.length) as Float32Array | Float64Array;
  const x = a.data as Float32Array, y = b.data as ArrayLike<number>;
  for (let i = 0; i < out.length; i++) out[i] = x[i]! * Number(y[i]);
  return tensor(a.dtype, a.shape, out as never);
}

/**
 * The value jnp.take fills out-of-range rows with: NaN for floats, the minimum of signed and
 * the maximum of unsigned integers, True for bool. Returned as the value (16-bit floats too,
 * not their bits; 64-bit integers as bigints).
 */
export function takeFillValue(d: DType): number | bigint {
  switch (d) {
    case "float32": case "float64": case "float16": case "bfloat16": return NaN;
    case "int8": return -(2 ** 7);
    case "int16": return -(2 ** 15);
    case "int32": return -(2 ** 31);
    case "int64": return -(2n ** 63n);
    case "uint8": return 2 ** 8 - 1;
    case "uint16": return 2 ** 16 - 1;
    case "uint32": return 2 ** 32 - 1;
    case "uint64": return 2n ** 64n - 1n;
    case "bool": return 1;
  }
}

/** t reversed along each of `axes` (ConvTranspose kernels: lax.conv_transpose's `_flip_axes`). */
export function flipHost(t: Tensor, axes: readonly number[]): Tensor {
  if (axes.length === 0) return t;
  const shape = t.shape;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const src = t.data as ArrayLike<number | bigint>;
  const dst = allocate(t.dtype, src.length) as TypedArray & { [i: number]: number | bigint };
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < src.length; o++) {
    let from = 0;
    for (let a = 0; a < shape.length; a++) from += (axes.includes(a) ? shape[a]! - 1 - idx[a]! : idx[a]!) * strides[a]!;
    dst[o] = src[from]!;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
  return tensor(t.dtype, shape, dst as never);
}
