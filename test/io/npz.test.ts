import { describe, expect, it } from "vitest";
import { readNpz, writeNpz } from "../../src/io/npz.js";
import { crc32, readZip, writeZip } from "../../src/io/zip.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { ascii, expectUserError, fixture } from "./helpers.js";

function values(t: Tensor | undefined): (number | bigint)[] {
  return Array.from(t!.data as ArrayLike<number | bigint>);
}

/** Offsets inside fixture einsum_ellipsis.npz (numpy.savez, stored, force_zip64 local headers). */
const EINSUM = {
  centralDirectory: 0x11e6,
  kernelData: 64,
  kernelFloats: 64 + 128,
};

function patched(bytes: Uint8Array, edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer), copy);
  return copy;
}

/** One stored member in a ZIP64 archive: saturated sizes and offsets, ZIP64 extra fields and end records. */
function zip64Archive(name: string, data: Uint8Array): Uint8Array {
  const nameBytes = ascii(name);
  const localSize = 30 + nameBytes.length + 20;
  const centralSize = 46 + nameBytes.length + 28;
  const centralOffset = localSize + data.length;
  const out = new Uint8Array(centralOffset + centralSize + 56 + 20 + 22);
  const v = new DataView(out.buffer);
  const crc = crc32(data);
  // local header
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, 45, true);
  v.setUint32(14, crc, true);
  v.setUint32(18, 0xffffffff, true);
  v.setUint32(22, 0xffffffff, true);
  v.setUint16(26, nameBytes.length, true);
  v.setUint16(28, 20, true);
  out.set(nameBytes, 30);
  let p = 30 + nameBytes.length;
  v.setUint16(p, 1, true);
  v.setUint16(p + 2, 16, true);
  v.setBigUint64(p + 4, BigInt(data.length), true);
  v.setBigUint64(p + 12, BigInt(data.length), true);
  out.set(data, localSize);
  // central directory entry
  p = centralOffset;
  v.setUint32(p, 0x02014b50, true);
  v.setUint16(p + 4, 45, true);
  v.setUint16(p + 6, 45, true);
  v.setUint32(p + 16, crc, true);
  v.setUint32(p + 20, 0xffffffff, true);
  v.setUint32(p + 24, 0xffffffff, true);
  v.setUint16(p + 28, nameBytes.length, true);
  v.setUint16(p + 30, 28, true);
  v.setUint32(p + 42, 0xffffffff, true);
  out.set(nameBytes, p + 46);
  p += 46 + nameBytes.length;
  v.setUint16(p, 1, true);
  v.setUint16(p + 2, 24, true);
  v.setBigUint64(p + 4, BigInt(data.length), true);
  v.setBigUint64(p + 12, BigInt(data.length), true);
  v.setBigUint64(p + 20, 0n, true);
  // ZIP64 end record, locator, end record
  const zip64End = centralOffset + centralSize;
  p = zip64End;
  v.setUint32(p, 0x06064b50, true);
  v.setBigUint64(p + 4, 44n, true);
  v.setUint16(p + 12, 45, true);
  v.setUint16(p + 14, 45, true);
  v.setBigUint64(p + 24, 1n, true);
  v.setBigUint64(p + 32, 1n, true);
  v.setBigUint64(p + 40, BigInt(centralSize), true);
  v.setBigUint64(p + 48, BigInt(centralOffset), true);
  p += 56;
  v.setUint32(p, 0x07064b50, true);
  v.setBigUint64(p + 8, BigInt(zip64End), true);
  v.setUint32(p + 16, 1, true);
  p += 20;
  v.setUint32(p, 0x06054b50, true);
  v.setUint16(p + 8, 0xffff, true);
  v.setUint16(p + 10, 0xffff, true);
  v.setUint32(p + 12, 0xffffffff, true);
  v.setUint32(p + 16, 0xffffffff, true);
  return out;
}

describe("readZip", () => {
  it("computes CRC-32 like zlib", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("reads a ZIP64 archive (saturated sizes and offsets, ZIP64 end records)", () => {
    const members = readZip(zip64Archive("hello.txt", ascii("hello, zip64")), "z.zip");
    expect(members.map((m) => [m.name, Buffer.from(m.data).toString()])).toEqual([["hello.txt", "hello, zip64"]]);
  });

  it("round-trips writeZip", () => {
    const members = [
      { name: "a.bin", data: Uint8Array.of(1, 2, 3) },
      { name: "dir/ü.bin", data: new Uint8Array(0) },
    ];
    const back = readZip(writeZip(members), "w.zip");
    expect(back.map((m) => [m.name, [...m.data]])).toEqual([
      ["a.bin", [1, 2, 3]],
      ["dir/ü.bin", []],
    ]);
  });
});

describe("readNpz", () => {
  it("reads numpy.savez output (stored, ZIP64 local extras)", () => {
    const tensors = readNpz(fixture("einsum_ellipsis.npz"), "einsum.npz");
    expect([...tensors.keys()]).toEqual(["mix.kernel", "mix.bias"]);
    expect(tensors.get("mix.kernel")!.shape).toEqual([4, 5, 6, 7]);
    expect(tensors.get("mix.kernel")!.data[0]).toBe(0.7561267614364624);
    expect(tensors.get("mix.bias")!.data[(5 * 7 + 6) * 5 + 4]).toBe(-0.9570990204811096);
  });

  it("reads numpy.savez_compressed output (deflate, saturated local sizes)", () => {
    const tensors = readNpz(fixture("compressed.npz"), "c.npz");
    const a = tensors.get("a")!;
    expect([a.dtype, a.shape]).toEqual(["float32", [100]]);
    expect(values(a)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const b = tensors.get("b")!;
    expect([b.dtype, b.shape, values(b)]).toEqual(["int64", [3, 3], new Array(9).fill(1n)]);
  });

  it("round-trips writeNpz, including an empty archive", () => {
    const input = new Map<string, Tensor>([
      ["dense.kernel", tensor("float32", [2, 2], [1, -2, 3.5, 4])],
      ["ids", tensor("int64", [3], [1n, 2n, -3n])],
    ]);
    const back = readNpz(writeNpz(input), "rt.npz");
    expect([...back.keys()]).toEqual([...input.keys()]);
    expect(values(back.get("dense.kernel"))).toEqual([1, -2, 3.5, 4]);
    expect(values(back.get("ids"))).toEqual([1n, 2n, -3n]);
    expect(readNpz(writeNpz({}), "empty.npz").size).toBe(0);
  });
});

describe("readNpz rejects corrupt archives", () => {
  const good = fixture("einsum_ellipsis.npz");

  it("not a ZIP at all", () => {
    expectUserError(() => readNpz(new Uint8Array(0), "x.npz"), "NNX3020", /no end-of-central-directory record/);
    expectUserError(() => readNpz(fixture("f32_2x3.npy"), "x.npz"), "NNX3020");
  });

  it.each([10, 100, 3000, 4581, 4700, good.length - 1])("truncation at %i bytes", (length) => {
    expectUserError(() => readNpz(good.subarray(0, length), "x.npz"), "NNX3020");
  });

  it("a CRC mismatch", () => {
    const bad = patched(good, (_, b) => (b[EINSUM.kernelFloats + 5]! ^= 0x01));
    expectUserError(() => readNpz(bad, "x.npz"), "NNX3023", /member "mix\.kernel\.npy": CRC-32 is 0x[0-9a-f]{8} but the directory says 0xa25d7a75/);
  });

  it("a corrupt deflate stream", () => {
    const compressed = fixture("compressed.npz");
    // Member a.npy's deflate data starts after its 30-byte header, 5-byte name and 20-byte extra.
    const bad = patched(compressed, (_, b) => {
      for (let i = 60; i < 120; i++) b[i] = 0xff;
    });
    expectUserError(() => readNpz(bad, "x.npz"), "NNX3023", /member "a\.npy"/);
  });

  it("a wrong uncompressed size", () => {
    const compressed = fixture("compressed.npz");
    const centralDirectory = compressed.length - 22 - (46 + 5) * 2;
    const bad = patched(compressed, (v) => v.setUint32(centralDirectory + 24, 400, true));
    expectUserError(() => readNpz(bad, "x.npz"), "NNX3023", /larger than its stated 400 bytes/);
  });

  it("encryption and unsupported compression methods", () => {
    const cd = EINSUM.centralDirectory;
    expectUserError(() => readNpz(patched(good, (v) => v.setUint16(cd + 8, 1, true)), "x.npz"), "NNX3022", /"mix\.kernel\.npy" is encrypted/);
    expectUserError(() => readNpz(patched(good, (v) => v.setUint16(cd + 10, 12, true)), "x.npz"), "NNX3022", /method 12 \(bzip2\)/);
    expectUserError(() => readNpz(patched(good, (v) => v.setUint16(cd + 10, 99, true)), "x.npz"), "NNX3022", /AES/);
  });

  it("bad record signatures", () => {
    expectUserError(() => readNpz(patched(good, (v) => v.setUint32(EINSUM.centralDirectory, 0x12345678, true)), "x.npz"), "NNX3020", /central directory entry 0 at offset 4582 has the signature 0x12345678/);
    expectUserError(() => readNpz(patched(good, (v) => v.setUint32(0, 0, true)), "x.npz"), "NNX3020", /local header of member "mix\.kernel\.npy"/);
  });

  it("lying offsets, sizes and counts", () => {
    const end = good.length - 22;
    const cd = EINSUM.centralDirectory;
    expectUserError(() => readNpz(patched(good, (v) => v.setUint32(end + 16, 5000, true)), "x.npz"), "NNX3021", /runs past the end records/);
    expectUserError(() => readNpz(patched(good, (v) => v.setUint16(end + 10, 3, true)), "x.npz"), "NNX3021", /ends after 2 of its 3 entries/);
    expectUserError(() => readNpz(patched(good, (v) => v.setUint32(cd + 20, 9000, true)), "x.npz"), "NNX3021", /run into the central directory/);
    expectUserError(() => readNpz(patched(good, (v) => v.setUint32(cd + 42, 4570, true)), "x.npz"), "NNX3021", /is not before the central directory/);
    expectUserError(() => readNpz(patched(good, (v) => v.setUint32(cd + 24, 100, true)), "x.npz"), "NNX3021", /compressed size of 3488 but a size of 100/);
    expectUserError(() => readNpz(patched(good, (_, b) => (b[30] = 0x4e)), "x.npz"), "NNX3021", /names "Nix\.kernel\.npy" instead/);
    expectUserError(() => readNpz(patched(good, (v) => v.setUint32(cd + 24, 0xffffffff, true)), "x.npz"), "NNX3021", /no ZIP64 extra field/);
  });

  it("overlapping members", () => {
    const member = { name: "a.npy", data: new Uint8Array(0) };
    const zip = writeZip([member, member]);
    const secondEntry = zip.length - 22 - (46 + 5);
    expectUserError(() => readZip(patched(zip, (v) => v.setUint32(secondEntry + 42, 0, true)), "x.npz"), "NNX3021", /overlap/);
  });

  it("duplicate names, non-npy members and broken npy members", () => {
    const npy = fixture("u8_vals.npy");
    expectUserError(() => readNpz(writeZip([{ name: "a.npy", data: npy }, { name: "a.npy", data: npy }]), "x.npz"), "NNX3007", /"a\.npy" more than once/);
    expectUserError(() => readNpz(writeZip([{ name: "notes.txt", data: ascii("hi") }]), "x.npz"), "NNX3024", /"notes\.txt" is not an \.npy array/);
    const broken = expectUserError(() => readNpz(writeZip([{ name: "w.npy", data: npy.subarray(0, 100) }]), "x.npz"), "NNX3004", /^x\.npz:w\.npy: truncated/);
    expect(broken.file).toBe("x.npz");
  });
});

describe("16-bit and 64-bit floats in .npz", () => {
  it("reads bfloat16 ('<V2', as numpy with ml_dtypes saves it), float16 and float64 members, and writes them back the same", () => {
    // make_io_fixtures.py: {'w': bfloat16 [2, 4], 'h': float16 [3], 'd': float64 [2]}.
    const tensors = readNpz(fixture("mixed_floats.npz"), "mixed.npz");
    expect(tensors.get("w")!.dtype).toBe("bfloat16");
    expect(tensors.get("w")!.shape).toEqual([2, 4]);
    expect(values(tensors.get("w"))).toEqual([0x3f80, 0xc000, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x8000, 0x4049]);
    expect([tensors.get("h")!.dtype, values(tensors.get("h"))]).toEqual(["float16", [0x3c00, 0xb800, 0x7bff]]);
    expect([tensors.get("d")!.dtype, values(tensors.get("d"))]).toEqual(["float64", [Math.PI, -1e300]]);
    const again = readNpz(writeNpz(tensors), "again.npz");
    for (const [k, t] of tensors) {
      expect(again.get(k)!.dtype).toBe(t.dtype);
      expect(values(again.get(k))).toEqual(values(t));
    }
    // Each member is byte-identical to numpy's (the archive around them has other timestamps).
    const ours = new Map(readZip(writeNpz(tensors), "ours").map((m) => [m.name, m.data]));
    for (const m of readZip(fixture("mixed_floats.npz"), "theirs")) expect(Buffer.from(ours.get(m.name)!).equals(Buffer.from(m.data)), m.name).toBe(true);
  });
});
