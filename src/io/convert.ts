/** Element conversions: 16-bit floats <-> numbers, and integer width changes that keep every value. */
import { allocate, isIntDType, numElements, tensor, type DataOf, type DType, type Tensor } from "../tensor.js";
import { fail, formatShape, unravelIndex } from "./binary.js";
import { integerRange, numpyName } from "./dtypes.js";

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** IEEE half (raw 16-bit word) to its exact value. */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 (raw 16-bit word) to its exact value: the top half of a float32. */
export function bf16ToF32(bits: number): number {
  f32Bits[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/**
 * Rounds a number to a binary float with `exponentBits` and `mantissaBits` (stored bits, no
 * hidden one), round-to-nearest-even, straight from the double so there is no double rounding.
 */
function roundToSmallFloat(x: number, exponentBits: number, mantissaBits: number): number {
  const exponentMask = (1 << exponentBits) - 1;
  const bias = exponentMask >> 1;
  const sign = x < 0 || Object.is(x, -0) ? 1 << (exponentBits + mantissaBits) : 0;
  // The quiet NaN keeps its sign, as numpy's float16 and Eigen's (ml_dtypes') bfloat16 do.
  if (Number.isNaN(x)) return (signBitOf(x) << (exponentBits + mantissaBits)) | (exponentMask << mantissaBits) | (1 << (mantissaBits - 1));
  const magnitude = Math.abs(x);
  if (magnitude === 0) return sign;
  if (magnitude === Infinity) return sign | (exponentMask << mantissaBits);
  let exponent = Math.floor(Math.log2(magnitude));
  // log2 can be off by one near powers of two; settle on 2^e <= magnitude < 2^(e+1).
  if (2 ** exponent > magnitude) exponent--;
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  // Subnormals share the quantum of the smallest normal binade.
  const quantumExponent = Math.max(exponent, 1 - bias) - mantissaBits;
  // Scaling by a power of two is exact, and the result (< 2^(mantissaBits+1)) keeps its fraction exactly.
  const scaled = magnitude / 2 ** quantumExponent;
  const floor = Math.floor(scaled);
  const fraction = scaled - floor;
  const rounded = fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  // For subnormals `rounded` already is the bit pattern (rounding up to 2^mantissaBits gives the
  // smallest normal); for normals the hidden bit carries into the exponent field, which is what
  // we want even when rounding overflows the mantissa.
  const bits = exponent < 1 - bias ? rounded : ((quantumExponent + mantissaBits + bias - 1) << mantissaBits) + rounded;
  return bits >= exponentMask << mantissaBits ? sign | (exponentMask << mantissaBits) : sign | bits;
}

const f64 = new Float64Array(1);
const f64High = new Uint32Array(f64.buffer, HOST_LITTLE_ENDIAN ? 4 : 0, 1);

/** The sign bit of a number, NaN included (JavaScript keeps a NaN's sign through Float64Array). */
function signBitOf(x: number): number {
  f64[0] = x;
  return f64High[0]! >>> 31;
}

/** A number to IEEE half bits, round-to-nearest-even; overflow gives infinity, NaN a quiet NaN. */
export function f32ToF16(x: number): number {
  return roundToSmallFloat(x, 5, 10);
}

/** A number to bfloat16 bits, round-to-nearest-even; overflow gives infinity, NaN a quiet NaN. */
export function f32ToBf16(x: number): number {
  return roundToSmallFloat(x, 8, 7);
}

/** The float dtypes a model computes in; float16 and bfloat16 hold raw bits in a Uint16Array. */
export type FloatDType = "float32" | "float16" | "bfloat16" | "float64";

let f16Table: Uint32Array | undefined;

/**
 * float16 bits -> float32 bits, by a 65536-entry table (256 KB, built on first use). Built on
 * bits so a NaN keeps its sign and payload (a JavaScript NaN number may not).
 */
function f16ToF32Array(bits: Uint16Array): Float32Array {
  if (!f16Table) {
    f16Table = new Uint32Array(65536);
    const asFloat = new Float32Array(f16Table.buffer);
    for (let b = 0; b < 65536; b++) {
      if ((b & 0x7c00) === 0x7c00 && b & 0x3ff) f16Table[b] = ((b & 0x8000) << 16) | 0x7f800000 | ((b & 0x3ff) << 13);
      else asFloat[b] = f16ToF32(b);
    }
  }
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16Table[bits[i]!]!;
  return new Float32Array(out.buffer);
}

/** bfloat16 bits -> float32: the bits are the top half of the float32's. */
function bf16ToF32Array(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
  return new Float32Array(out.buffer);
}

/** float32 -> bfloat16 bits, round to nearest even on the integer bits; NaN -> quiet NaN of its sign. */
function f32ToBf16Array(values: Float32Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < words.length; i++) {
    const u = words[i]!;
    // Overflow rounds into the infinity pattern by itself; only NaN needs care.
    out[i] = (u & 0x7fffffff) > 0x7f800000 ? ((u >>> 16) & 0x8000) | 0x7fc0 : (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** float32 -> float16 bits, round to nearest even (overflow -> infinity, subnormals kept). */
function f32ToF16Array(values: Float32Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const u = words[i]!;
    // NaN from its bits: a quiet NaN of its sign.
    out[i] = (u & 0x7fffffff) > 0x7f800000 ? ((u >>> 16) & 0x8000) | 0x7e00 : f32ToF16(values[i]!);
  }
  return out;
}

/**
 * A float tensor's values as float32: float16 and bfloat16 exactly, float64 rounded to nearest
 * even (as `jnp.asarray(x, jnp.float32)`), float32 as it is (the same tensor).
 */
export function toFloat32<const S extends readonly number[]>(t: Tensor<FloatDType, S>): Tensor<"float32", S> {
  switch (t.dtype) {
    case "float32":
      return t as Tensor<"float32", S>;
    case "float16":
      return tensor("float32", t.shape, f16ToF32Array(t.data as Uint16Array));
    case "bfloat16":
      return tensor("float32", t.shape, bf16ToF32Array(t.data as Uint16Array));
    case "float64":
      return tensor("float32", t.shape, Float32Array.from(t.data as Float64Array));
    default:
      throw new TypeError(`toFloat32: ${String((t as Tensor).dtype)} is not a float dtype`);
  }
}

/**
 * A float32 tensor as `dtype`: float16 and bfloat16 bits rounded to nearest even (overflow
 * to infinity, subnormals kept, NaN a quiet NaN of its sign), float64 exactly.
 */
export function fromFloat32<D extends FloatDType, const S extends readonly number[]>(dtype: D, t: Tensor<"float32", S>): Tensor<D, S> {
  const values = t.data;
  if (!(values instanceof Float32Array)) throw new TypeError(`fromFloat32: expected a float32 tensor, got ${String(t.dtype)}`);
  switch (dtype) {
    case "float32":
      return t as unknown as Tensor<D, S>;
    case "float16":
      return tensor(dtype, t.shape, f32ToF16Array(values) as DataOf<D>);
    case "bfloat16":
      return tensor(dtype, t.shape, f32ToBf16Array(values) as DataOf<D>);
    case "float64":
      return tensor(dtype, t.shape, Float64Array.from(values) as DataOf<D>);
    default:
      throw new TypeError(`fromFloat32: ${String(dtype)} is not a float dtype`);
  }
}

/**
 * A file's tensor as a model input of `dtype`, as `run` reads input files: float64 for a
 * float32 input is rounded to nearest even when x64 is off (as `jnp.asarray` makes it), an
 * integer width is changed when every value fits, any other difference is NNX3038.
 */
export function inputAs(t: Tensor, dtype: DType, file: string, x64 = false): Tensor {
  return t.dtype === "float64" && dtype === "float32" && !x64 ? toFloat32(t as Tensor<"float64">) : castIntegerTensor(t, dtype, file);
}

/**
 * An integer tensor as another integer dtype, when every value fits; otherwise a UserError
 * naming the first value that does not.
 */
export function castIntegerTensor(t: Tensor, to: DType, file: string): Tensor {
  if (t.dtype === to) return t;
  const range = integerRange(to);
  if (!isIntDType(t.dtype) || range === undefined) {
    fail(
      "NNX3038",
      file,
      `holds ${t.dtype} ${formatShape(t.shape)} but ${to} is expected; only integer widths are converted`,
      to === "bfloat16"
        ? "save it as bfloat16: a .safetensors BF16 tensor, or np.save of x.astype(ml_dtypes.bfloat16)"
        : `save it as ${to}, e.g. numpy: x.astype(np.${numpyName(to)})`,
    );
  }
  const [min, max] = range;
  const out = allocate(to, numElements(t.shape)) as unknown as (number | bigint)[];
  const source = t.data as unknown as ArrayLike<number | bigint>;
  const toBig = to === "int64" || to === "uint64";
  const lowest = Number(min);
  const highest = Number(max);
  for (let i = 0; i < source.length; i++) {
    const value = source[i]!;
    const fits = typeof value === "bigint" ? value >= min && value <= max : value >= lowest && value <= highest;
    if (!fits) {
      fail(
        "NNX3037",
        file,
        `value ${value} at index ${formatShape(unravelIndex(i, t.shape))} does not fit ${to} (range ${min}..${max})`,
        `the file holds ${t.dtype}; write it as ${to} or keep the values in range`,
      );
    }
    out[i] = toBig ? BigInt(value) : Number(value);
  }
  return tensor(to, t.shape, out as unknown as Tensor["data"]);
}
