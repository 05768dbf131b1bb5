import { describe, expect, it } from "vitest";
import { readNpy, writeNpy } from "../../src/io/npy.js";
import { DTYPES, tensor, type DType, type Tensor } from "../../src/tensor.js";
import { ascii, concatBytes, expectUserError, fixture } from "./helpers.js";

/** An npy file with a hand-written header dict (padded like numpy) and raw data. */
function npy(dict: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const padding = 64 - ((prefix + dict.length + 1) % 64);
  const header = ascii(dict + " ".repeat(padding) + "\n");
  const head = new Uint8Array(prefix);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  if (major === 1) new DataView(head.buffer).setUint16(8, header.length, true);
  else new DataView(head.buffer).setUint32(8, header.length, true);
  return concatBytes(head, header, data);
}

const f32Header = (shape: string) => `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;

function values(t: Tensor): (number | bigint)[] {
  return Array.from(t.data as ArrayLike<number | bigint>);
}

describe("readNpy on files numpy wrote", () => {
  it("reads float32 [2, 3]", () => {
    const t = readNpy(fixture("f32_2x3.npy"), "f32_2x3.npy");
    expect(t.dtype).toBe("float32");
    expect(t.shape).toEqual([2, 3]);
    expect(values(t)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  });

  it("reads a 0-d float64", () => {
    const t = readNpy(fixture("f64_scalar.npy"), "f64_scalar.npy");
    expect(t.shape).toEqual([]);
    expect(values(t)).toEqual([-2.5]);
  });

  it("reads float16 as raw half words", () => {
    const t = readNpy(fixture("f16_vals.npy"), "f16_vals.npy");
    expect(t.dtype).toBe("float16");
    expect(values(t)).toEqual([0x3c00, 0xc000, 0x7bff, 0x03ff, 0, 0x7c00]);
  });

  it("reads int64 extremes exactly", () => {
    const t = readNpy(fixture("i64_big.npy"), "i64_big.npy");
    expect(t.shape).toEqual([2, 2]);
    expect(values(t)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 3n, -4n]);
  });

  it("reads uint8 and bool", () => {
    expect(values(readNpy(fixture("u8_vals.npy"), "u8"))).toEqual([0, 1, 255]);
    const b = readNpy(fixture("bool_vals.npy"), "bool");
    expect(b.dtype).toBe("bool");
    expect(values(b)).toEqual([1, 0, 1]);
  });

  it("transposes fortran_order data to C order", () => {
    const t = readNpy(fixture("fortran_2x3x4.npy"), "fortran.npy");
    expect(t.dtype).toBe("int32");
    expect(t.shape).toEqual([2, 3, 4]);
    expect(values(t)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it("byte-swaps big-endian data", () => {
    expect(values(readNpy(fixture("big_endian_i4.npy"), "be.npy"))).toEqual([-2000, -1000, 0, 1000, 2000]);
    expect(values(readNpy(fixture("big_endian_f8.npy"), "be.npy"))).toEqual([1.5, -0.25]);
  });

  it("reads format versions 2.0 and 3.0", () => {
    const v2 = readNpy(fixture("v2_header.npy"), "v2.npy");
    expect([v2.dtype, values(v2)]).toEqual(["int16", [0, 1, 2]]);
    const v3 = readNpy(fixture("v3_header.npy"), "v3.npy");
    expect([v3.dtype, values(v3)]).toEqual(["uint32", [0, 1, 2]]);
  });

  it("reads an empty [0, 3] array", () => {
    const t = readNpy(fixture("empty_0x3.npy"), "empty.npy");
    expect(t.shape).toEqual([0, 3]);
    expect(t.data.length).toBe(0);
  });
});

describe("writeNpy", () => {
  it.each(["f32_2x3.npy", "f64_scalar.npy", "f16_vals.npy", "i64_big.npy", "u8_vals.npy", "bool_vals.npy", "empty_0x3.npy"])(
    "writes the same bytes as numpy.save (%s)",
    (name) => {
      const original = fixture(name);
      expect(Buffer.from(writeNpy(readNpy(original, name))).equals(Buffer.from(original))).toBe(true);
    },
  );

  it("writes C order for data numpy stored in Fortran order", () => {
    const t = readNpy(fixture("fortran_2x3x4.npy"), "f.npy");
    const back = readNpy(writeNpy(t), "back.npy");
    expect(back.shape).toEqual([2, 3, 4]);
    expect(values(back)).toEqual(values(t));
  });

  it.each([...DTYPES])("round-trips %s", (dtype: DType) => {
    const big = dtype === "int64" || dtype === "uint64";
    const raw = [0, 1, 0, 1, 1, 0].map((v, i) => (dtype === "bool" ? v : i * 3));
    const t = tensor(dtype, [3, 2], big ? raw.map(BigInt) : raw);
    const back = readNpy(writeNpy(t), "rt.npy");
    expect(back.dtype).toBe(dtype);
    expect(back.shape).toEqual([3, 2]);
    expect(values(back)).toEqual(values(t));
  });

  it("pads the header so the data starts on a 64-byte boundary", () => {
    for (const shape of [[], [1], [7, 11, 13], new Array<number>(30).fill(1), [1000000, 0]]) {
      const bytes = writeNpy(tensor("float32", shape));
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLength) % 64).toBe(0);
      expect(bytes[10 + headerLength - 1]).toBe(0x0a);
    }
  });

  it("writes bfloat16 byte for byte as np.save writes an ml_dtypes.bfloat16 array ('<V2'), and reads it back", () => {
    // make_io_fixtures.py: numpy's own header writer with the descr numpy gives ml_dtypes' bfloat16.
    const file = fixture("bf16_2x4.npy");
    const t = readNpy(file, "bf16.npy");
    expect([t.dtype, t.shape]).toEqual(["bfloat16", [2, 4]]);
    expect(values(t)).toEqual(BF16_BITS);
    expect(Buffer.from(writeNpy(t)).equals(Buffer.from(file))).toBe(true);
    expect(new TextDecoder().decode(writeNpy(t).subarray(10, 30))).toBe("{'descr': '<V2', 'fo");
  });

  it("float16 and float64 headers are numpy's '<f2' and '<f8'", () => {
    for (const [dtype, descr] of [["float16", "<f2"], ["float64", "<f8"]] as const) {
      expect(new TextDecoder().decode(writeNpy(tensor(dtype, [1])).subarray(10, 25))).toBe(`{'descr': '${descr}'`);
    }
  });

  it("reads bfloat16 under the other names it is saved as: '|V2' (a numpy void) and 'bfloat16'", () => {
    const payload = new Uint8Array(new Uint16Array([0x3f80, 0xff80]).buffer);
    for (const descr of ["|V2", "bfloat16"]) {
      const t = readNpy(npy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`, payload), "x.npy");
      expect([t.dtype, values(t)]).toEqual(["bfloat16", [0x3f80, 0xff80]]);
    }
    // Big-endian ml_dtypes arrays ('>V2') are byte-swapped like any other dtype.
    const swapped = readNpy(npy("{'descr': '>V2', 'fortran_order': False, 'shape': (1,), }", new Uint8Array([0x3f, 0x80])), "x.npy");
    expect(values(swapped)).toEqual([0x3f80]);
  });
});

const BF16_BITS = [0x3f80, 0xc000, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x8000, 0x4049];

describe("readNpy rejects malformed files", () => {
  const good = fixture("f32_2x3.npy");

  it("wrong magic and empty files", () => {
    expectUserError(() => readNpy(ascii("PK\x03\x04 not npy at all"), "x.npy"), "NNX3010", /x\.npy: not an \.npy file: it starts with 50 4b 03 04/);
    expectUserError(() => readNpy(new Uint8Array(0), "x.npy"), "NNX3010", /the file is empty/);
  });

  it("unsupported versions", () => {
    const v4 = good.slice();
    v4[6] = 4;
    expectUserError(() => readNpy(v4, "x.npy"), "NNX3010", /version 4\.0/);
  });

  it.each([3, 7, 9, 40, 127, 128, 151])("truncation at %i bytes", (length) => {
    expectUserError(() => readNpy(good.subarray(0, length), "x.npy"), "NNX3004", /truncated/);
  });

  it("trailing bytes after the data", () => {
    expectUserError(() => readNpy(concatBytes(good, new Uint8Array(4)), "x.npy"), "NNX3012", /4 unexpected bytes after the 24 bytes/);
  });

  it("header that is not a dict, or has the wrong keys", () => {
    expectUserError(() => readNpy(npy("[1, 2]"), "x.npy"), "NNX3011", /not a dict/);
    expectUserError(() => readNpy(npy("{'descr': '<f4', 'shape': (1,), }"), "x.npy"), "NNX3011", /descr, fortran_order and shape/);
    expectUserError(() => readNpy(npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (), }"), "x.npy"), "NNX3011", /duplicate key/);
    expectUserError(() => readNpy(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (), }"), "x.npy"), "NNX3011", /fortran_order is 0/);
    expectUserError(() => readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra'"), "x.npy"), "NNX3011", /malformed header/);
    expectUserError(() => readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((1,),),),),),),),),),), }"), "x.npy"), "NNX3011", /nested too deeply/);
    expectUserError(() => readNpy(npy("{'descr': '<f4', 'fortran_order': Flase, 'shape': (), }"), "x.npy"), "NNX3011", /unexpected name 'Flase'/);
  });

  it("shapes that are not tuples of non-negative integers", () => {
    expectUserError(() => readNpy(npy(f32Header("(3)")), "x.npy"), "NNX3011", /shape is 3, expected a tuple/);
    expectUserError(() => readNpy(npy(f32Header("(2, -1)")), "x.npy"), "NNX3006", /dimension 1 of the shape is -1/);
    expectUserError(() => readNpy(npy(f32Header("(2, 'a')")), "x.npy"), "NNX3006", /dimension 1 of the shape is "a"/);
    expectUserError(() => readNpy(npy(f32Header("(99999999999999999999,)")), "x.npy"), "NNX3006", /dimension 0/);
    expectUserError(() => readNpy(npy(f32Header("(1099511627776, 1099511627776)")), "x.npy"), "NNX3006", /too many elements/);
  });

  it("shapes asking for more data than the file holds", () => {
    expectUserError(() => readNpy(npy(f32Header("(1000000000, 1000)"), new Uint8Array(8)), "x.npy"), "NNX3004", /needs 4000000000000 bytes of data/);
  });

  it("unknown and unsupported dtypes", () => {
    expectUserError(() => readNpy(fixture("complex.npy"), "c.npy"), "NNX3005", /'<c8' \(complex\)/);
    const fp8 = expectUserError(() => readNpy(npy("{'descr': '<V1', 'fortran_order': False, 'shape': (), }", new Uint8Array(1)), "x.npy"), "NNX3005", /'<V1' \(raw bytes\)/);
    expect(fp8.hint).toMatch(/ml_dtypes/);
    expectUserError(() => readNpy(npy("{'descr': '<V4', 'fortran_order': False, 'shape': (), }", new Uint8Array(4)), "x.npy"), "NNX3005", /'<V4'/);
    expectUserError(() => readNpy(npy("{'descr': '=f4', 'fortran_order': False, 'shape': (), }", new Uint8Array(4)), "x.npy"), "NNX3005", /byte order/);
    expectUserError(() => readNpy(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), }", new Uint8Array(4)), "x.npy"), "NNX3005", /structured/);
  });

  it("bool bytes other than 0 and 1", () => {
    const bad = fixture("bool_vals.npy").slice();
    bad[bad.length - 2] = 2;
    expectUserError(() => readNpy(bad, "b.npy"), "NNX3037", /bool element 1 is the byte 2/);
  });

  it("a version 3.0 header that is not UTF-8", () => {
    const bytes = npy(f32Header("()"), new Uint8Array(4), 3);
    bytes[20] = 0xff;
    expectUserError(() => readNpy(bytes, "x.npy"), "NNX3011", /not valid UTF-8/);
  });
});
