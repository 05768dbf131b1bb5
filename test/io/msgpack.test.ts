import { decode, encode, ExtData } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import { readFlaxMsgpack, writeFlaxMsgpack } from "../../src/io/msgpack.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { concatBytes, expectUserError, fixture } from "./helpers.js";

function values(t: Tensor | undefined): (number | bigint)[] {
  return Array.from(t!.data as ArrayLike<number | bigint>);
}

/** A Flax ndarray leaf built by hand: ext 1 holding msgpack([shape, dtype name, bytes]). */
function ndarray(shape: number[], dtype: string, data: ArrayBufferView, type = 1): ExtData {
  return new ExtData(type, encode([shape, dtype, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]));
}

const f32 = (...xs: number[]) => new Float32Array(xs);

describe("readFlaxMsgpack", () => {
  it("reads value-wrapped leaves (embed_attend, older nnx.State)", () => {
    const tensors = readFlaxMsgpack(fixture("embed_attend.msgpack"), "e.msgpack");
    expect([...tensors.keys()]).toEqual(["embed.embedding"]);
    const e = tensors.get("embed.embedding")!;
    expect([e.dtype, e.shape]).toEqual(["float32", [4, 3]]);
    expect(values(e)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
  });

  it("flattens deeper nesting and lists to dotted names", () => {
    const tree = { encoder: { layers: [{ attn: { kernel: ndarray([1], "float32", f32(1)) } }, { attn: { kernel: ndarray([1], "float32", f32(2)) } }] } };
    const tensors = readFlaxMsgpack(encode(tree), "x");
    expect([...tensors.keys()]).toEqual(["encoder.layers.0.attn.kernel", "encoder.layers.1.attn.kernel"]);
    expect(values(tensors.get("encoder.layers.1.attn.kernel"))).toEqual([2]);
  });

  it("reads numpy scalars (ext 3) as 0-d tensors, and bfloat16 / bool / int64 leaves", () => {
    const tree = {
      step: ndarray([], "int32", new Int32Array([7]), 3),
      w: { value: ndarray([2], "bfloat16", new Uint16Array([0x3f80, 0xc000])) },
      mask: ndarray([2], "bool", Uint8Array.of(1, 0)),
      big: ndarray([1], "int64", new BigInt64Array([-(2n ** 62n)])),
    };
    const tensors = readFlaxMsgpack(encode(tree), "x");
    expect([tensors.get("step")!.shape, values(tensors.get("step"))]).toEqual([[], [7]]);
    expect([tensors.get("w")!.dtype, values(tensors.get("w"))]).toEqual(["bfloat16", [0x3f80, 0xc000]]);
    expect(values(tensors.get("mask"))).toEqual([1, 0]);
    expect(values(tensors.get("big"))).toEqual([-(2n ** 62n)]);
  });

  it("accepts the dtype name as bytes (old use_bin_type=False writers)", () => {
    const payload = encode([[1], new TextEncoder().encode("float32"), new Uint8Array(f32(2.5).buffer)]);
    expect(values(readFlaxMsgpack(encode({ a: new ExtData(1, payload) }), "x").get("a"))).toEqual([2.5]);
  });

  it("reassembles chunked arrays laid out as Flax writes them", () => {
    const tree = {
      emb: {
        embedding: {
          __msgpack_chunked_array__: true,
          shape: { "0": 2, "1": 3 },
          chunks: { "0": ndarray([4], "float32", f32(1, 2, 3, 4)), "1": ndarray([2], "float32", f32(5, 6)) },
        },
      },
    };
    const e = readFlaxMsgpack(encode(tree), "x").get("emb.embedding")!;
    expect([e.shape, values(e)]).toEqual([[2, 3], [1, 2, 3, 4, 5, 6]]);
  });
});

describe("writeFlaxMsgpack", () => {
  it("writes the same bytes as Python msgpack for the parity file", () => {
    const original = fixture("einsum_ellipsis.msgpack");
    const rewritten = writeFlaxMsgpack(readFlaxMsgpack(original, "x"));
    expect(Buffer.from(rewritten).equals(Buffer.from(original))).toBe(true);
  });

  it("chunks arrays over the limit and reads them back", () => {
    const t = tensor("float32", [2, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const bytes = writeFlaxMsgpack({ "emb.embedding": t }, { maxChunkBytes: 16 });
    const raw = decode(bytes) as { emb: { embedding: { __msgpack_chunked_array__: boolean; shape: object; chunks: Record<string, ExtData> } } };
    expect(raw.emb.embedding.__msgpack_chunked_array__).toBe(true);
    expect(raw.emb.embedding.shape).toEqual({ "0": 2, "1": 5 });
    expect(Object.keys(raw.emb.embedding.chunks)).toEqual(["0", "1", "2"]);
    const back = readFlaxMsgpack(bytes, "x").get("emb.embedding")!;
    expect([back.shape, values(back)]).toEqual([[2, 5], values(t)]);
  });

  it("refuses names that clash", () => {
    expectUserError(() => writeFlaxMsgpack({ "a.b": tensor("float32", [1]), "a.b.c": tensor("float32", [1]) }), "NNX3031", /both a parameter and a group/);
    expectUserError(() => writeFlaxMsgpack({ "a.b.c": tensor("float32", [1]), "a.b": tensor("float32", [1]) }), "NNX3007");
    expectUserError(() => writeFlaxMsgpack({ "a..b": tensor("float32", [1]) }), "NNX3031", /non-empty/);
  });
});

describe("readFlaxMsgpack rejects malformed files", () => {
  const good = fixture("einsum_ellipsis.msgpack");

  it.each([0, 1, 10, 30, 200, 4000, good.length - 1])("truncation at %i bytes", (length) => {
    expectUserError(() => readFlaxMsgpack(good.subarray(0, length), "x.msgpack"), "NNX3030", /^x\.msgpack: .*not valid msgpack/);
  });

  it("trailing garbage", () => {
    expectUserError(() => readFlaxMsgpack(concatBytes(good, Uint8Array.of(0xc0)), "x"), "NNX3030", /Extra/);
  });

  it("a top level that is not a map, and leaves that are not arrays", () => {
    expectUserError(() => readFlaxMsgpack(encode([1, 2]), "x"), "NNX3031", /top level is a list of 2/);
    expectUserError(() => readFlaxMsgpack(encode({ a: { b: 1.5 } }), "x"), "NNX3031", /"a\.b" is 1\.5, expected an array/);
    expectUserError(() => readFlaxMsgpack(encode({ a: null }), "x"), "NNX3031", /"a" is null/);
    expectUserError(() => readFlaxMsgpack(encode({ a: "text" }), "x"), "NNX3031", /"a" is "text"/);
  });

  it("complex values, unknown extensions and dtypes", () => {
    expectUserError(() => readFlaxMsgpack(encode({ c: new ExtData(2, encode([1.0, 2.0])) }), "x"), "NNX3005", /"c" is a complex number/);
    expectUserError(() => readFlaxMsgpack(encode({ c: ndarray([1], "complex64", new Float32Array(2)) }), "x"), "NNX3005", /complex values are not supported/);
    expectUserError(() => readFlaxMsgpack(encode({ c: ndarray([1], "float8_e4m3fn", new Uint8Array(1)) }), "x"), "NNX3005", /"float8_e4m3fn"; supported: float32/);
    expectUserError(() => readFlaxMsgpack(encode({ t: new Date(0) }), "x"), "NNX3032", /extension type -1/);
    expectUserError(() => readFlaxMsgpack(encode({ e: new ExtData(9, new Uint8Array(2)) }), "x"), "NNX3032", /extension type 9/);
  });

  it("array payloads that are not (shape, dtype, bytes)", () => {
    expectUserError(() => readFlaxMsgpack(encode({ a: new ExtData(1, encode([[1], "float32"])) }), "x"), "NNX3032", /a list of 2, expected \(shape, dtype, bytes\)/);
    expectUserError(() => readFlaxMsgpack(encode({ a: new ExtData(1, encode([[1], 5, new Uint8Array(4)])) }), "x"), "NNX3032", /dtype is 5/);
    expectUserError(() => readFlaxMsgpack(encode({ a: new ExtData(1, encode([[1], "float32", [0, 0, 0, 0]])) }), "x"), "NNX3032", /data is a list of 4, expected bytes/);
    expectUserError(() => readFlaxMsgpack(encode({ a: new ExtData(1, Uint8Array.of(0x93, 0x91)) }), "x"), "NNX3030", /the array "a" is not valid msgpack/);
  });

  it("shapes that disagree with the data", () => {
    expectUserError(() => readFlaxMsgpack(encode({ a: ndarray([3], "float32", f32(1, 2)) }), "x"), "NNX3006", /float32 \[3\] needs 12 bytes of data, found 8/);
    expectUserError(() => readFlaxMsgpack(encode({ a: ndarray([-2], "float32", f32(1, 2)) }), "x"), "NNX3006", /is -2/);
    expectUserError(() => readFlaxMsgpack(encode({ a: ndarray([2 ** 40, 2 ** 40], "float32", f32(1)) }), "x"), "NNX3006", /too many elements/);
    expectUserError(() => readFlaxMsgpack(encode({ a: ndarray([2], "bool", Uint8Array.of(0, 9)) }), "x"), "NNX3037", /byte 9/);
  });

  it("malformed chunked arrays", () => {
    const chunked = (shape: unknown, chunks: unknown) => encode({ a: { __msgpack_chunked_array__: true, shape, chunks } });
    expectUserError(() => readFlaxMsgpack(chunked({ "0": 3 }, { "0": ndarray([2], "float32", f32(1, 2)) }), "x"), "NNX3033", /hold 8 bytes but float32 \[3\] needs 12/);
    expectUserError(() => readFlaxMsgpack(chunked({ "0": 2 }, { "0": ndarray([1], "float32", f32(1)), "1": ndarray([1], "int32", new Int32Array(1)) }), "x"), "NNX3033", /chunk 1 is int32/);
    expectUserError(() => readFlaxMsgpack(chunked({ "1": 2 }, {}), "x"), "NNX3033", /keys 1, expected "0"/);
    expectUserError(() => readFlaxMsgpack(chunked({ "0": 2 }, {}), "x"), "NNX3033", /has no chunks/);
    expectUserError(() => readFlaxMsgpack(chunked({ "0": 1 }, { "0": 3 }), "x"), "NNX3033", /chunk 0 is 3, expected an array/);
    expectUserError(() => readFlaxMsgpack(chunked(7, {}), "x"), "NNX3033", /shape is 7/);
  });

  it("hostile nesting and names that collide after flattening", () => {
    let deep: unknown = ndarray([1], "float32", f32(1));
    for (let i = 0; i < 100; i++) deep = { n: deep };
    expectUserError(() => readFlaxMsgpack(encode(deep, { maxDepth: 200 }), "x"), "NNX3031", /nested more than 64 levels/);
    // 200k levels written byte by byte: {"value": {"value": ...}} and [[[...]]] must not overflow the stack.
    const levels = 200_000;
    const wrapped = new Uint8Array(levels * 7 + 1);
    for (let i = 0; i < levels; i++) wrapped.set([0x81, 0xa5, 0x76, 0x61, 0x6c, 0x75, 0x65], i * 7);
    wrapped[wrapped.length - 1] = 0xc0;
    expectUserError(() => readFlaxMsgpack(wrapped, "x"), "NNX3031", /"value\.value\.value\.value\.\.\.": nested more than 64/);
    const lists = new Uint8Array(levels + 4).fill(0x91);
    lists.set([0x81, 0xa1, 0x61]);
    lists[lists.length - 1] = 0xc0;
    expectUserError(() => readFlaxMsgpack(lists, "x"), "NNX3031", /"a\.0\.0\.0\.\.\.": nested more than 64/);
    const leaf = ndarray([1], "float32", f32(1));
    expectUserError(() => readFlaxMsgpack(encode({ "a.b": leaf, a: { b: leaf } }), "x"), "NNX3007", /"a\.b" is given twice/);
  });

  it("absurd declared lengths", () => {
    // array32 claiming 2^32-1 items, map32 likewise, bin32 claiming 4 GiB.
    expectUserError(() => readFlaxMsgpack(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff), "x"), "NNX3030");
    expectUserError(() => readFlaxMsgpack(Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff), "x"), "NNX3030");
    expectUserError(() => readFlaxMsgpack(Uint8Array.of(0x81, 0xa1, 0x61, 0xc6, 0xff, 0xff, 0xff, 0xff), "x"), "NNX3030");
  });
});
