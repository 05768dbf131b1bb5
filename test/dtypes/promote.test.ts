import { describe, expect, it } from "vitest";
import { canonicalize, inexact, pythonScalar, resultType, type JaxType } from "../../src/dtypes/promote.js";
import type { DType } from "../../src/tensor.js";

/**
 * JAX's binary promotion table, from the JAX docs "Type promotion semantics"
 * (docs/type_promotion.rst in jax-ml/jax, generated there with dtypes.lattice_result_type),
 * without the complex rows and columns. Names by item size: u1 = uint8, i8 = int64, f2 = float16,
 * bf = bfloat16; i* / f* are Python int / float (weak). The docs' table is the x64 lattice.
 */
const TABLE = `
     b1  u1  u2  u4  u8  i1  i2  i4  i8  bf  f2  f4  f8  i*  f*
 b1  b1  u1  u2  u4  u8  i1  i2  i4  i8  bf  f2  f4  f8  i*  f*
 u1  u1  u1  u2  u4  u8  i2  i2  i4  i8  bf  f2  f4  f8  u1  f*
 u2  u2  u2  u2  u4  u8  i4  i4  i4  i8  bf  f2  f4  f8  u2  f*
 u4  u4  u4  u4  u4  u8  i8  i8  i8  i8  bf  f2  f4  f8  u4  f*
 u8  u8  u8  u8  u8  u8  f*  f*  f*  f*  bf  f2  f4  f8  u8  f*
 i1  i1  i2  i4  i8  f*  i1  i2  i4  i8  bf  f2  f4  f8  i1  f*
 i2  i2  i2  i4  i8  f*  i2  i2  i4  i8  bf  f2  f4  f8  i2  f*
 i4  i4  i4  i4  i8  f*  i4  i4  i4  i8  bf  f2  f4  f8  i4  f*
 i8  i8  i8  i8  i8  f*  i8  i8  i8  i8  bf  f2  f4  f8  i8  f*
 bf  bf  bf  bf  bf  bf  bf  bf  bf  bf  bf  f4  f4  f8  bf  bf
 f2  f2  f2  f2  f2  f2  f2  f2  f2  f2  f4  f2  f4  f8  f2  f2
 f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f4  f8  f4  f4
 f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8
 i*  i*  u1  u2  u4  u8  i1  i2  i4  i8  bf  f2  f4  f8  i*  f*
 f*  f*  f*  f*  f*  f*  f*  f*  f*  f*  bf  f2  f4  f8  f*  f*
`;

const NAMES: Record<string, JaxType> = {
  b1: { dtype: "bool", weak: false },
  u1: { dtype: "uint8", weak: false }, u2: { dtype: "uint16", weak: false }, u4: { dtype: "uint32", weak: false }, u8: { dtype: "uint64", weak: false },
  i1: { dtype: "int8", weak: false }, i2: { dtype: "int16", weak: false }, i4: { dtype: "int32", weak: false }, i8: { dtype: "int64", weak: false },
  bf: { dtype: "bfloat16", weak: false }, f2: { dtype: "float16", weak: false }, f4: { dtype: "float32", weak: false }, f8: { dtype: "float64", weak: false },
  "i*": pythonScalar("int", true), "f*": pythonScalar("float", true),
};
const nameOf = (t: JaxType): string => (t.weak ? (t.dtype.startsWith("float") ? "f*" : "i*") : Object.keys(NAMES).find((k) => !NAMES[k]!.weak && NAMES[k]!.dtype === t.dtype)!);

describe("JAX type promotion", () => {
  const lines = TABLE.trim().split("\n").map((l) => l.trim().split(/\s+/));
  const cols = lines[0]!;
  for (const row of lines.slice(1)) {
    const [a, ...cells] = row;
    it(`row ${a} matches the docs' table (x64)`, () => {
      const got = cols.map((b) => nameOf(resultType([NAMES[a!]!, NAMES[b]!], true)));
      expect(got).toEqual(cells);
    });
  }

  it("is symmetric and a join: promoting with the result changes nothing", () => {
    for (const a of Object.values(NAMES))
      for (const b of Object.values(NAMES)) {
        const ab = resultType([a, b], true);
        expect(resultType([b, a], true)).toEqual(ab);
        expect(resultType([ab, a, b], true)).toEqual(ab);
      }
  });

  const strong = (dtype: DType): JaxType => ({ dtype, weak: false });
  it.each([
    // [args, want] with x64 off (JAX's default): 64-bit results canonicalize to 32-bit
    [[strong("int32"), pythonScalar("int")], "int32"],
    [[strong("int32"), pythonScalar("float")], "float32"],
    [[strong("uint8"), pythonScalar("int")], "uint8"],
    [[strong("bool"), pythonScalar("int")], "int32"],
    [[strong("bool"), pythonScalar("float")], "float32"],
    [[strong("float16"), pythonScalar("float")], "float16"],
    [[strong("bfloat16"), strong("float16")], "float32"],
    // uint32 x int32: int64 with x64, int32 without (the x32 lattice's one change)
    [[strong("uint32"), strong("int32")], "int32"],
    [[strong("int8"), strong("uint64")], "float32"],
    [[strong("float64"), strong("int32")], "float32"],
  ] as [JaxType[], DType][])("x32: %j -> %s", (args, want) => {
    expect(resultType(args).dtype).toBe(want);
  });

  it("x32 keeps weak results weak at 32 bits; x64 gives int64 / float64", () => {
    expect(resultType([pythonScalar("int"), pythonScalar("int")])).toEqual({ dtype: "int32", weak: true });
    expect(resultType([pythonScalar("int", true), pythonScalar("float", true)], true)).toEqual({ dtype: "float64", weak: true });
    expect(resultType([strong("uint32"), strong("int32")], true).dtype).toBe("int64");
  });

  it("canonicalize and inexact", () => {
    expect(canonicalize("float64")).toBe("float32");
    expect(canonicalize("float64", true)).toBe("float64");
    expect(inexact(strong("int32"))).toEqual(strong("float32"));
    expect(inexact(strong("bfloat16"))).toEqual(strong("bfloat16"));
  });
});
