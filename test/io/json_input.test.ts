import { describe, expect, it } from "vitest";
import { readJsonTensor } from "../../src/io/json_input.js";
import type { Tensor } from "../../src/tensor.js";
import { expectUserError } from "./helpers.js";

function values(t: Tensor): (number | bigint)[] {
  return Array.from(t.data as ArrayLike<number | bigint>);
}

describe("readJsonTensor", () => {
  it("reads nested lists with their shape", () => {
    const t = readJsonTensor("[[1, 2.5, -3e2], [0, 1e-3, 7]]", "x.json", "float32");
    expect([t.dtype, t.shape]).toEqual(["float32", [2, 3]]);
    expect(values(t)).toEqual([1, 2.5, -300, 0, Math.fround(1e-3), 7]);
  });

  it("reads scalars and empty arrays", () => {
    expect(readJsonTensor(" 4 ", "x", "int32").shape).toEqual([]);
    expect(readJsonTensor("[]", "x", "float32").shape).toEqual([0]);
    expect(readJsonTensor("[[], []]", "x", "float32").shape).toEqual([2, 0]);
  });

  it("keeps int64 values exact", () => {
    const t = readJsonTensor("[-9223372036854775808, 9223372036854775807, 3.0, 1e3]", "x", "int64");
    expect(values(t)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 3n, 1000n]);
    expect(values(readJsonTensor("[18446744073709551615]", "x", "uint64"))).toEqual([2n ** 64n - 1n]);
  });

  it("accepts bare NaN and Infinity for floats, as Python's json.dumps writes them", () => {
    const t = readJsonTensor("[NaN, Infinity, -Infinity]", "x", "float64");
    expect(values(t)).toEqual([NaN, Infinity, -Infinity]);
    expectUserError(() => readJsonTensor('["NaN"]', "x", "float32"), "NNX3036", /strings are not numbers/);
    expectUserError(() => readJsonTensor("[NaN]", "x", "int32"), "NNX3037", /NaN at \[0\] is not an integer/);
  });

  it("converts to float16, bfloat16 and bool", () => {
    expect(values(readJsonTensor("[1, -2, 65520]", "x", "float16"))).toEqual([0x3c00, 0xc000, 0x7c00]);
    expect(values(readJsonTensor("[1, -2]", "x", "bfloat16"))).toEqual([0x3f80, 0xc000]);
    expect(values(readJsonTensor("[true, false, 1, 0]", "x", "bool"))).toEqual([1, 0, 1, 0]);
    expectUserError(() => readJsonTensor("[2]", "x", "bool"), "NNX3037", /2 at \[0\] is not a bool/);
  });

  it("checks the expected rank", () => {
    expect(readJsonTensor("[[1]]", "x", "float32", 2).shape).toEqual([1, 1]);
    expectUserError(() => readJsonTensor("[1, 2]", "x", "float32", 2), "NNX3036", /expected a rank-2 array .* got shape \[2\]/);
  });
});

describe("readJsonTensor rejects bad input", () => {
  it("ragged arrays", () => {
    expectUserError(() => readJsonTensor("[[1, 2], [3]]", "x.json", "float32"), "NNX3036", /x\.json: ragged array: index \[1\] has 1 elements, expected 2/);
    expectUserError(() => readJsonTensor("[1, [2]]", "x", "float32"), "NNX3036", /index \[1\] is a list, but the elements before it are numbers/);
    expectUserError(() => readJsonTensor("[[1], 2]", "x", "float32"), "NNX3036", /index \[1\] is the number 2, expected a list of 1/);
    expectUserError(() => readJsonTensor("[[], [1]]", "x", "float32"), "NNX3036", /ragged/);
  });

  it("values that are not numbers", () => {
    expectUserError(() => readJsonTensor("[1, null]", "x", "float32"), "NNX3036", /null is not a number/);
    expectUserError(() => readJsonTensor('{"a": 1}', "x", "float32"), "NNX3036", /objects are not accepted/);
    expectUserError(() => readJsonTensor("[true]", "x", "float32"), "NNX3036", /true at \[0\] is not a number/);
    expectUserError(() => readJsonTensor("[true]", "x", "int8"), "NNX3036");
  });

  it("integers that do not fit, and fractions for integer dtypes", () => {
    expectUserError(() => readJsonTensor("[1, 2147483648]", "x", "int32"), "NNX3037", /2147483648 at \[1\] does not fit int32 \(range -2147483648\.\.2147483647\)/);
    expectUserError(() => readJsonTensor("[[0, -1]]", "x", "uint8"), "NNX3037", /-1 at \[0, 1\] does not fit uint8/);
    expectUserError(() => readJsonTensor("[9223372036854775808]", "x", "int64"), "NNX3037", /does not fit int64/);
    expectUserError(() => readJsonTensor("[1.5]", "x", "int32"), "NNX3037", /1\.5 at \[0\] is not an integer/);
  });

  it("syntax errors, with line and column", () => {
    expectUserError(() => readJsonTensor("[1,\n 2,,3]", "x.json", "float32"), "NNX3035", /x\.json: line 2, column 4: unexpected ","/);
    expectUserError(() => readJsonTensor("[1, 2", "x", "float32"), "NNX3035", /expected ',' or '\]'/);
    expectUserError(() => readJsonTensor("", "x", "float32"), "NNX3035", /unexpected end of input/);
    expectUserError(() => readJsonTensor("[1] 2", "x", "float32"), "NNX3035", /unexpected text after the value/);
    expectUserError(() => readJsonTensor("[01]", "x", "float32"), "NNX3035");
    expectUserError(() => readJsonTensor("[nan]", "x", "float32"), "NNX3035", /unexpected 'nan'/);
    expectUserError(() => readJsonTensor("[+1]", "x", "float32"), "NNX3035");
  });

  it("nesting deeper than any tensor rank", () => {
    expectUserError(() => readJsonTensor("[".repeat(100000), "x", "float32"), "NNX3036", /nested deeper than 64/);
  });
});
