import { describe, expect, it } from "vitest";
import { parseSafetensors, readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { DTYPES, tensor, type Tensor } from "../../src/tensor.js";
import { ascii, concatBytes, expectUserError, fixture, u64le } from "./helpers.js";

/** A safetensors file from a header (object or raw text) and a data section. */
function st(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = ascii(typeof header === "string" ? header : JSON.stringify(header));
  return concatBytes(u64le(json.length), json, data);
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: "F32", shape, data_offsets: [begin, end] });

function values(t: Tensor | undefined): (number | bigint)[] {
  return Array.from(t!.data as ArrayLike<number | bigint>);
}

describe("readSafetensors", () => {
  it("reads the einsum_ellipsis parity parameters", () => {
    const tensors = readSafetensors(fixture("einsum_ellipsis.safetensors"), "einsum.safetensors");
    expect([...tensors.keys()]).toEqual(["mix.kernel", "mix.bias"]);
    const kernel = tensors.get("mix.kernel")!;
    const bias = tensors.get("mix.bias")!;
    expect([kernel.dtype, kernel.shape, bias.shape]).toEqual(["float32", [4, 5, 6, 7], [6, 7, 5]]);
    // Values numpy printed for this file.
    expect(kernel.data[0]).toBe(0.7561267614364624);
    expect(kernel.data[((3 * 5 + 4) * 6 + 5) * 7 + 6]).toBe(-0.33260563015937805);
    expect(kernel.data[((1 * 5 + 2) * 6 + 3) * 7 + 4]).toBe(-1.1534204483032227);
    expect(bias.data[0]).toBe(0.31815895438194275);
    expect(bias.data[(5 * 7 + 6) * 5 + 4]).toBe(-0.9570990204811096);
  });

  it("accepts tensors listed in another order than their data", () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const tensors = readSafetensors(st({ b: f32([1], 8, 12), a: f32([2], 0, 8) }, data), "x");
    expect(values(tensors.get("a"))).toEqual([1, 2]);
    expect(values(tensors.get("b"))).toEqual([3]);
  });

  it("returns __metadata__ separately", () => {
    const { tensors, metadata } = parseSafetensors(st({ __metadata__: { format: "pt" }, a: f32([], 0, 4) }, new Uint8Array(4)), "x");
    expect(metadata).toEqual({ format: "pt" });
    expect([...tensors.keys()]).toEqual(["a"]);
  });

  it("accepts zero-size tensors", () => {
    const tensors = readSafetensors(st({ a: f32([0, 3], 0, 0), b: f32([1], 0, 4) }, new Uint8Array(4)), "x");
    expect(tensors.get("a")!.shape).toEqual([0, 3]);
  });
});

describe("writeSafetensors", () => {
  it("writes the same bytes as the reference writer", () => {
    const original = fixture("einsum_ellipsis.safetensors");
    const rewritten = writeSafetensors(readSafetensors(original, "x"));
    expect(Buffer.from(rewritten).equals(Buffer.from(original))).toBe(true);
  });

  it("writes a valid empty file", () => {
    const empty = writeSafetensors(new Map());
    expect(Buffer.from(empty).toString("latin1")).toBe("\x08\0\0\0\0\0\0\0{}      ");
    expect(readSafetensors(empty, "empty").size).toBe(0);
  });

  it("pads the header with spaces to a multiple of 8", () => {
    for (const name of ["a", "ab", "abc", "abcdefgh"]) {
      const bytes = writeSafetensors({ [name]: tensor("float32", [1]) });
      const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(length % 8).toBe(0);
      expect(JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString())).toHaveProperty(name);
    }
  });

  it("round-trips every dtype and the metadata", () => {
    const input = new Map<string, Tensor>(
      DTYPES.map((dtype) => {
        const big = dtype === "int64" || dtype === "uint64";
        const raw = dtype === "bool" ? [1, 0, 1, 1] : [0, 1, 2, 3].map((v) => v * 7 + 1);
        return [`layer.${dtype}`, tensor(dtype, [2, 2], big ? raw.map(BigInt) : raw)];
      }),
    );
    const { tensors, metadata } = parseSafetensors(writeSafetensors(input, { source: "test" }), "rt");
    expect(metadata).toEqual({ source: "test" });
    expect([...tensors.keys()]).toEqual([...input.keys()]);
    for (const [name, t] of input) {
      expect(tensors.get(name)!.dtype).toBe(t.dtype);
      expect(values(tensors.get(name))).toEqual(values(t));
    }
  });

  it("refuses a tensor named __metadata__", () => {
    expectUserError(() => writeSafetensors({ __metadata__: tensor("float32", [1]) }), "NNX3016", /reserved/);
  });
});

describe("readSafetensors rejects malformed files", () => {
  const good = fixture("embed_attend.safetensors");

  it.each([0, 5, 8, 40, 79, 80, 100, 127])("truncation at %i bytes", (length) => {
    const error = expectUserError(() => readSafetensors(good.subarray(0, length), "x.safetensors"), length < 8 ? "NNX3004" : length < 80 ? "NNX3015" : "NNX3017");
    expect(error.message).toMatch(/^x\.safetensors: /);
  });

  it("a header length larger than the file", () => {
    expectUserError(() => readSafetensors(concatBytes(u64le(1000), ascii("{}")), "x"), "NNX3015", /header length 1000 is larger than the 2 bytes/);
    const huge = new Uint8Array(16).fill(0xff);
    expectUserError(() => readSafetensors(huge, "x"), "NNX3015", /18446744073709551615/);
  });

  it("a header that is not a JSON object", () => {
    expectUserError(() => readSafetensors(st("{not json"), "x"), "NNX3016", /not valid JSON/);
    expectUserError(() => readSafetensors(st("[1, 2]"), "x"), "NNX3016", /is a list of 2, expected a JSON object/);
    expectUserError(() => readSafetensors(st("null"), "x"), "NNX3016", /is null/);
    const badUtf8 = st('{"a":1}');
    badUtf8[10] = 0xff;
    expectUserError(() => readSafetensors(badUtf8, "x"), "NNX3016", /UTF-8/);
  });

  it("malformed entries and metadata", () => {
    expectUserError(() => readSafetensors(st({ a: 3 }), "x"), "NNX3016", /tensor "a" is 3/);
    expectUserError(() => readSafetensors(st({ a: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), "x"), "NNX3016", /dtype is undefined/);
    expectUserError(() => readSafetensors(st({ __metadata__: { n: 1 } }), "x"), "NNX3016", /"__metadata__"."n" is 1/);
    expectUserError(() => readSafetensors(st({ __metadata__: [] }), "x"), "NNX3016", /expected an object of strings/);
  });

  it("unknown dtypes", () => {
    const error = expectUserError(() => readSafetensors(st({ a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), "x"), "NNX3005");
    expect(error.message).toMatch(/unsupported dtype "F8_E4M3"; supported: F32 F16 BF16/);
  });

  it("absurd shapes", () => {
    expectUserError(() => readSafetensors(st({ a: f32([-1], 0, 4) }, new Uint8Array(4)), "x"), "NNX3006", /dimension 0 of the shape is -1/);
    expectUserError(() => readSafetensors(st({ a: f32([1.5], 0, 4) }, new Uint8Array(4)), "x"), "NNX3006", /1\.5/);
    expectUserError(() => readSafetensors(st({ a: f32([2 ** 40, 2 ** 40], 0, 4) }, new Uint8Array(4)), "x"), "NNX3006", /too many elements/);
    expectUserError(() => readSafetensors(st({ a: f32([1e6, 1e6], 0, 4) }, new Uint8Array(4)), "x"), "NNX3017", /hold 4 bytes but F32 \[1000000, 1000000\] needs 4000000000000/);
    expectUserError(() => readSafetensors(st({ a: { dtype: "F32", shape: "3", data_offsets: [0, 4] } }, new Uint8Array(4)), "x"), "NNX3006", /shape must be a list/);
  });

  it("offsets out of range or of the wrong size (a header that lies)", () => {
    const data = new Uint8Array(8);
    expectUserError(() => readSafetensors(st({ a: f32([2], 0, 12) }, data), "x"), "NNX3017", /\[0, 12\] are outside the 8-byte data section/);
    expectUserError(() => readSafetensors(st({ a: f32([2], -4, 4) }, data), "x"), "NNX3017", /outside/);
    expectUserError(() => readSafetensors(st({ a: f32([2], 8, 0) }, data), "x"), "NNX3017", /outside/);
    expectUserError(() => readSafetensors(st({ a: f32([1], 0, 8) }, data), "x"), "NNX3017", /hold 8 bytes but F32 \[1\] needs 4/);
    expectUserError(() => readSafetensors(st({ a: { dtype: "F32", shape: [2], data_offsets: [0] } }, data), "x"), "NNX3017", /expected \[begin, end\]/);
    expectUserError(() => readSafetensors(st({ a: { dtype: "F32", shape: [2] } }, data), "x"), "NNX3017", /data_offsets is missing/);
  });

  it("overlapping data, gaps and unclaimed bytes", () => {
    const data = new Uint8Array(12);
    expectUserError(() => readSafetensors(st({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, data), "x"), "NNX3017", /"b" data \[4, 12\] overlaps tensor "a" \[0, 8\]/);
    expectUserError(() => readSafetensors(st({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, data), "x"), "NNX3017", /bytes \[4, 8\] belong to no tensor/);
    expectUserError(() => readSafetensors(st({ a: f32([1], 4, 8), b: f32([1], 8, 12) }, data), "x"), "NNX3017", /bytes \[0, 4\] belong to no tensor/);
    expectUserError(() => readSafetensors(st({ a: f32([2], 0, 8) }, data), "x"), "NNX3017", /last 4 data bytes/);
    expectUserError(() => readSafetensors(st({ a: f32([1], 0, 4), b: f32([1], 0, 4) }, new Uint8Array(4)), "x"), "NNX3017", /overlaps/);
  });

  it("duplicate names", () => {
    const header = `{"a":${JSON.stringify(f32([1], 0, 4))},"a":${JSON.stringify(f32([1], 0, 4))}}`;
    expectUserError(() => readSafetensors(st(header, new Uint8Array(4)), "x"), "NNX3007", /names "a" more than once/);
    // Escaped spellings of the same key are the same key.
    const escaped = `{"a":${JSON.stringify(f32([1], 0, 4))},"\\u0061":${JSON.stringify(f32([1], 0, 4))}}`;
    expectUserError(() => readSafetensors(st(escaped, new Uint8Array(4)), "x"), "NNX3007");
    // Nested keys with the same name are fine.
    const nested = `{"__metadata__":{"a":"1"},"a":${JSON.stringify(f32([1], 0, 4))}}`;
    expect(readSafetensors(st(nested, new Uint8Array(4)), "x").size).toBe(1);
  });

  it("bool bytes other than 0 and 1", () => {
    expectUserError(() => readSafetensors(st({ m: { dtype: "BOOL", shape: [2], data_offsets: [0, 2] } }, Uint8Array.of(1, 7)), "x"), "NNX3037", /byte 7/);
  });
});
