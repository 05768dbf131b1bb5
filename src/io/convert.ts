/** Element conversions: 16-bit floats <-> numbers, and integer width changes that keep every value. */
import { allocate, isIntDType, numElements, tensor, type DType, type Tensor } from "../tensor.js";
import { fail, formatShape, unravelIndex } from "./binary.js";
import { integerRange, numpyName } from "./dtypes.js";

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
  if (Number.isNaN(x)) return (exponentMask << mantissaBits) | (1 << (mantissaBits - 1));
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

/** A number to IEEE half bits, round-to-nearest-even; overflow gives infinity, NaN a quiet NaN. */
export function f32ToF16(x: number): number {
  return roundToSmallFloat(x, 5, 10);
}

/** A number to bfloat16 bits, round-to-nearest-even; overflow gives infinity, NaN a quiet NaN. */
export function f32ToBf16(x: number): number {
  return roundToSmallFloat(x, 8, 7);
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
      `save it as ${to}, e.g. numpy: x.astype(np.${numpyName(to)})`,
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
