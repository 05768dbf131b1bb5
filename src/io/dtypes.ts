/** What each file format calls each dtype, and the value range of the integer dtypes. */
import type { DType } from "../tensor.js";

interface FormatNames {
  /** safetensors "dtype" field. */
  readonly safetensors: string;
  /** numpy dtype name, as Flax msgpack stores it. */
  readonly numpy: string;
  /**
   * npy descr without its byte-order character. bfloat16 is what `np.save` writes for an
   * `ml_dtypes.bfloat16` array: ml_dtypes registers a legacy dtype of kind 'V', size 2 and
   * byte order '=', so numpy's `dtype_to_descr` writes its `dtype.str`, '<V2' (numpy's
   * `np.load` gives back raw 2-byte voids: `.view(ml_dtypes.bfloat16)` restores it).
   */
  readonly npy?: string;
}

const NAMES: { readonly [D in DType]: FormatNames } = {
  float32: { safetensors: "F32", numpy: "float32", npy: "f4" },
  float16: { safetensors: "F16", numpy: "float16", npy: "f2" },
  bfloat16: { safetensors: "BF16", numpy: "bfloat16", npy: "V2" },
  float64: { safetensors: "F64", numpy: "float64", npy: "f8" },
  int8: { safetensors: "I8", numpy: "int8", npy: "i1" },
  int16: { safetensors: "I16", numpy: "int16", npy: "i2" },
  int32: { safetensors: "I32", numpy: "int32", npy: "i4" },
  int64: { safetensors: "I64", numpy: "int64", npy: "i8" },
  uint8: { safetensors: "U8", numpy: "uint8", npy: "u1" },
  uint16: { safetensors: "U16", numpy: "uint16", npy: "u2" },
  uint32: { safetensors: "U32", numpy: "uint32", npy: "u4" },
  uint64: { safetensors: "U64", numpy: "uint64", npy: "u8" },
  bool: { safetensors: "BOOL", numpy: "bool", npy: "b1" },
};

const ALL = Object.entries(NAMES) as [DType, FormatNames][];

function reverseTable(pick: (names: FormatNames) => string | undefined): ReadonlyMap<string, DType> {
  const table = new Map<string, DType>();
  for (const [dtype, names] of ALL) {
    const name = pick(names);
    if (name !== undefined) table.set(name, dtype);
  }
  return table;
}

const BY_SAFETENSORS = reverseTable((n) => n.safetensors);
const BY_NUMPY = reverseTable((n) => n.numpy);
const BY_NPY = reverseTable((n) => n.npy);

export const dtypeFromSafetensors = (name: string): DType | undefined => BY_SAFETENSORS.get(name);
export const dtypeFromNumpyName = (name: string): DType | undefined => BY_NUMPY.get(name);
/** From an npy type code without byte order, e.g. "f4". */
export const dtypeFromNpyCode = (code: string): DType | undefined => BY_NPY.get(code);

export const safetensorsName = (dtype: DType): string => NAMES[dtype].safetensors;
export const numpyName = (dtype: DType): string => NAMES[dtype].numpy;
export const npyCode = (dtype: DType): string | undefined => NAMES[dtype].npy;

export const SAFETENSORS_NAMES: readonly string[] = ALL.map(([, n]) => n.safetensors);
export const NUMPY_NAMES: readonly string[] = ALL.map(([, n]) => n.numpy);
export const NPY_CODES: readonly string[] = ALL.flatMap(([, n]) => (n.npy === undefined ? [] : [n.npy]));

const INTEGER_RANGES: { readonly [D in DType]?: readonly [bigint, bigint] } = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** [min, max] of an integer dtype; undefined for floats and bool. */
export function integerRange(dtype: DType): readonly [bigint, bigint] | undefined {
  return INTEGER_RANGES[dtype];
}
