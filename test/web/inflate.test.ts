/** The TypeScript inflater (compressed .npz members without zlib) against zlib's deflate at every level. */
import { randomBytes } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { inflateRaw } from "../../src/web/inflate.js";

const inputs: Record<string, Buffer> = {
  random: randomBytes(100_000),
  text: Buffer.from("hello hello hello world ".repeat(5000)),
  floats: Buffer.from(new Float32Array(Array.from({ length: 50_000 }, (_, i) => Math.sin(i))).buffer),
  empty: Buffer.alloc(0),
  zeros: Buffer.alloc(1 << 20),
};

describe("inflateRaw", () => {
  for (const [name, data] of Object.entries(inputs)) {
    it(`${name}: zlib levels 0, 1, 6, 9 round-trip byte for byte`, () => {
      for (const level of [0, 1, 6, 9]) {
        const got = inflateRaw(deflateRawSync(data, { level }), data.length);
        expect(Buffer.compare(Buffer.from(got), data), `level ${level}`).toBe(0);
      }
    });
  }
  it("stops at the stated size (a zip bomb cannot grow past it)", () => {
    expect(() => inflateRaw(deflateRawSync(Buffer.alloc(10_000)), 9_999)).toThrow(/more than 9999 bytes/);
  });
  it("a truncated or corrupt stream is an error, never a hang", () => {
    const z = deflateRawSync(inputs.text!);
    expect(() => inflateRaw(z.subarray(0, z.length >> 1), inputs.text!.length)).toThrow(/ends early|more than|invalid/);
    expect(() => inflateRaw(Uint8Array.of(0xff, 0xff, 0xff), 10)).toThrow();
  });
  it("a short stream returns what it decoded (the ZIP reader compares the size)", () => {
    expect(inflateRaw(deflateRawSync(Buffer.from("abc")), 10).length).toBe(3);
  });
});
