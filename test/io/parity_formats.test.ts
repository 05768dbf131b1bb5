import { describe, expect, it } from "vitest";
import { readFlaxMsgpack } from "../../src/io/msgpack.js";
import { readNpz } from "../../src/io/npz.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import type { Tensor } from "../../src/tensor.js";
import { fixture } from "./helpers.js";

/** Copies of the shared parity fixtures: the same parameters in all three formats. */
function loadAll(caseName: string, formats: ("safetensors" | "npz" | "msgpack")[]): Map<string, Map<string, Tensor>> {
  const readers = { safetensors: readSafetensors, npz: readNpz, msgpack: readFlaxMsgpack };
  return new Map(formats.map((format) => [format, readers[format](fixture(`${caseName}.${format}`), `${caseName}.${format}`)]));
}

function sameTensors(a: Map<string, Tensor>, b: Map<string, Tensor>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [name, t] of a) {
    const other = b.get(name)!;
    expect([other.dtype, other.shape], name).toEqual([t.dtype, t.shape]);
    expect(Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), name).toBe(true);
  }
}

describe("the parity fixtures load to identical parameters from every format", () => {
  it("einsum_ellipsis: safetensors, npz and msgpack agree", () => {
    const all = loadAll("einsum_ellipsis", ["safetensors", "npz", "msgpack"]);
    const reference = all.get("safetensors")!;
    sameTensors(reference, all.get("npz")!);
    sameTensors(reference, all.get("msgpack")!);
    // Values and a checksum numpy computed from the file.
    const kernel = reference.get("mix.kernel")!.data as Float32Array;
    expect(kernel.length).toBe(840);
    expect(kernel.reduce((sum, x) => sum + x, 0)).toBeCloseTo(-22.26900698756799, 9);
    expect((reference.get("mix.bias")!.data as Float32Array).reduce((sum, x) => sum + x, 0)).toBeCloseTo(0.023903007619082928, 9);
  });

  it("embed_attend: the value-wrapped msgpack matches the safetensors", () => {
    const all = loadAll("embed_attend", ["safetensors", "msgpack"]);
    sameTensors(all.get("safetensors")!, all.get("msgpack")!);
  });
});
