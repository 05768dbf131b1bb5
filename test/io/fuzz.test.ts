/**
 * Property tests: any mutation or truncation of a valid file either parses or fails with a
 * UserError, never another exception; and random tensors survive every writer/reader pair.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/diagnostics/errors.js";
import { readJsonTensor } from "../../src/io/json_input.js";
import { readFlaxMsgpack, writeFlaxMsgpack } from "../../src/io/msgpack.js";
import { readNpy, writeNpy } from "../../src/io/npy.js";
import { readNpz, writeNpz } from "../../src/io/npz.js";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { BYTES_PER_ELEMENT, DTYPES, tensor, type DType, type Tensor } from "../../src/tensor.js";
import { fixture } from "./helpers.js";

function parsesOrUserError(read: () => unknown): void {
  try {
    read();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
}

/** Edits biased towards the first and last bytes, where headers and directories live. */
function mutations(size: number) {
  const position = fc.oneof(
    fc.nat({ max: Math.min(size - 1, 160) }),
    fc.integer({ min: Math.max(0, size - 160), max: size - 1 }),
    fc.nat({ max: size - 1 }),
  );
  return fc.record({
    edits: fc.array(fc.record({ at: position, value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
    cut: fc.option(fc.nat({ max: size }), { nil: undefined }),
  });
}

const CASES: [string, (bytes: Uint8Array, file: string) => unknown][] = [
  ["f32_2x3.npy", readNpy],
  ["fortran_2x3x4.npy", readNpy],
  ["v3_header.npy", readNpy],
  ["embed_attend.safetensors", readSafetensors],
  ["einsum_ellipsis.safetensors", readSafetensors],
  ["compressed.npz", readNpz],
  ["einsum_ellipsis.npz", readNpz],
  ["embed_attend.msgpack", readFlaxMsgpack],
  ["einsum_ellipsis.msgpack", readFlaxMsgpack],
];

describe("mutated files parse or throw UserError", () => {
  it.each(CASES)("%s", (name, read) => {
    const original = fixture(name);
    fc.assert(
      fc.property(mutations(original.length), ({ edits, cut }) => {
        const bytes = original.slice(0, cut);
        for (const { at, value } of edits) if (at < bytes.length) bytes[at] = value;
        parsesOrUserError(() => read(bytes, name));
      }),
      { numRuns: 400 },
    );
  });

  it("JSON input", () => {
    const text = fc.string({ unit: fc.constantFrom(..."[]]0123456789,.-+eE NaIfinty\"{}\n"), maxLength: 40 });
    fc.assert(
      fc.property(text, fc.constantFrom<DType>(...DTYPES), (input, dtype) => {
        parsesOrUserError(() => readJsonTensor(input, "x.json", dtype));
      }),
      { numRuns: 1000 },
    );
  });
});

const randomTensor = fc
  .record({
    dtype: fc.constantFrom<DType>(...DTYPES),
    shape: fc.array(fc.nat({ max: 4 }), { maxLength: 4 }),
  })
  .chain(({ dtype, shape }) => {
    const count = shape.reduce((n, d) => n * d, 1);
    return fc.uint8Array({ minLength: count * BYTES_PER_ELEMENT[dtype], maxLength: count * BYTES_PER_ELEMENT[dtype] }).map((raw) => {
      if (dtype === "bool") raw = raw.map((b) => b & 1);
      const probe = tensor(dtype, shape);
      new Uint8Array(probe.data.buffer).set(raw);
      return probe as Tensor;
    });
  });

function sameTensor(a: Tensor | undefined, b: Tensor): void {
  expect(a).toBeDefined();
  expect([a!.dtype, a!.shape]).toEqual([b.dtype, b.shape]);
  expect(Buffer.from(a!.data.buffer, a!.data.byteOffset, a!.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(true);
}

describe("random tensors round-trip through every writer and reader", () => {
  it("safetensors, msgpack (chunked too), npy and npz", () => {
    fc.assert(
      fc.property(fc.array(randomTensor, { minLength: 0, maxLength: 4 }), (tensors) => {
        const named = new Map(tensors.map((t, i) => [`layer${i}.param`, t]));
        const fromSafetensors = readSafetensors(writeSafetensors(named), "rt.safetensors");
        const fromMsgpack = readFlaxMsgpack(writeFlaxMsgpack(named, { maxChunkBytes: 8 }), "rt.msgpack");
        for (const [name, t] of named) {
          sameTensor(fromSafetensors.get(name), t);
          sameTensor(fromMsgpack.get(name), t);
        }
        const fromNpz = readNpz(writeNpz(named), "rt.npz");
        for (const [name, t] of named) {
          sameTensor(fromNpz.get(name), t);
          sameTensor(readNpy(writeNpy(t), "rt.npy"), t);
        }
      }),
      { numRuns: 300 },
    );
  });
});
