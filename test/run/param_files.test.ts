/**
 * Parameter files given with --params: checked against the spec (names, shapes, dtypes) and
 * for integrity before anything runs; every problem is exit 1 with a message naming the
 * parameter or the file, never a stack trace. Checkpoint names map with --strip-prefix/--rename.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { writeFlaxMsgpack } from "../../src/io/msgpack.js";
import { writeNpy } from "../../src/io/npy.js";
import { writeNpz } from "../../src/io/npz.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { initializeParams } from "../../src/params/store.js";
import type { Tensor } from "../../src/tensor.js";
import { cli, expectAllClose, expectOk, expectUserError, loadModel, readNpyFile, sharedTempDir, writeSpec } from "./helpers.js";

let spec: string;
let x: string;
let good: Map<string, Tensor>;
/** The reference output: the spec run on `good`. */
let reference: Tensor;

const t = sharedTempDir("params", async () => {
  spec = writeSpec(
    t,
    "model.yaml",
    `
model: Small
inputs:
  x: { shape: [2, 5, 5, 3], dtype: float32 }
layers:
  - { name: conv1, type: Conv, out_features: 4, kernel_size: 3 }
  - { type: relu }
  - { type: mean, axis: [1, 2] }
  - { name: head, type: Linear, out_features: 3 }
`,
  );
  x = t.write("x.npy", writeNpy({ dtype: "float32", shape: [2, 5, 5, 3], data: Float32Array.from({ length: 150 }, (_, i) => Math.cos(i)) }));
  good = initializeParams(loadModel(spec), 11);
  t.write("good.safetensors", writeSafetensors(good));
  const r = await cli("run", spec, "--params", t.path("good.safetensors"), "--input", `x=${x}`, "--out", t.path("ref"));
  expectOk(r);
  reference = readNpyFile(t.path("ref", "head.npy"));
});

const run = (file: string, tag: string, ...extra: string[]) => cli("run", spec, "--params", file, "--input", `x=${x}`, "--out", t.path(tag), ...extra);

function withEntries(edit: (m: Map<string, Tensor>) => void): Map<string, Tensor> {
  const m = new Map(good);
  edit(m);
  return m;
}

function renamed(f: (name: string) => string): Map<string, Tensor> {
  return new Map([...good].map(([k, v]) => [f(k), v]));
}

describe("parameters that do not match the spec", () => {
  it("a missing parameter: exit 1, names the parameter and the file; nothing is written", async () => {
    const file = t.write("missing.safetensors", writeSafetensors(withEntries((m) => m.delete("head.bias"))));
    const r = await run(file, "missing");
    expectUserError(r, "missing parameter head.bias", "missing.safetensors", "[3]");
    expect(existsSync(t.path("missing"))).toBe(false);
  });

  it("an extra parameter: exit 1, names it", async () => {
    const file = t.write("extra.safetensors", writeSafetensors(withEntries((m) => m.set("head.scale", good.get("head.bias")!))));
    expectUserError(await run(file, "extra"), "unexpected parameter head.scale", "extra.safetensors");
  });

  it("a misspelled parameter: exit 1, with a did-you-mean", async () => {
    const file = t.write("typo.safetensors", writeSafetensors(renamed((k) => (k === "conv1.kernel" ? "conv1.kernal" : k))));
    const r = await run(file, "typo");
    expectUserError(r, "missing parameter conv1.kernel", "unexpected parameter conv1.kernal", "conv1.kernel");
  });

  it("a wrong shape: exit 1, names the parameter and both shapes", async () => {
    const k = good.get("head.kernel")!;
    const file = t.write("shape.safetensors", writeSafetensors(withEntries((m) => m.set("head.kernel", { ...k, shape: [3, 4] }))));
    expectUserError(await run(file, "shape"), "head.kernel", "[3, 4]", "[4, 3]");
  });

  it("a wrong dtype (bfloat16): exit 1, names the parameter and the dtypes", async () => {
    // (float64 is accepted with x64 off, rounded to float32: test/run/dtype_files.test.ts.)
    const k = good.get("conv1.kernel")!;
    const bf16: Tensor = { dtype: "bfloat16", shape: k.shape, data: new Uint16Array(k.data.length) };
    const file = t.write("bf16.safetensors", writeSafetensors(withEntries((m) => m.set("conv1.kernel", bf16))));
    expectUserError(await run(file, "bf16"), "conv1.kernel", "bfloat16", "float32");
  });

  it("every problem is listed in one message", async () => {
    const file = t.write(
      "many.safetensors",
      writeSafetensors(
        withEntries((m) => {
          m.delete("head.bias");
          m.set("conv1.kernel", { dtype: "float32", shape: [1], data: new Float32Array(1) });
          m.set("stray", { dtype: "float32", shape: [1], data: new Float32Array(1) });
        }),
      ),
    );
    expectUserError(await run(file, "many"), "3 problems", "head.bias", "conv1.kernel", "stray");
  });

  it("export checks the file the same way and writes nothing", async () => {
    const file = t.path("missing.safetensors");
    for (const format of ["onnx", "safetensors"]) {
      const out = t.path(`export-missing.${format}`);
      expectUserError(await cli("export", spec, "--format", format, "--params", file, "-o", out), "missing parameter head.bias");
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe("damaged or hostile files", () => {
  it("a truncated safetensors file: exit 1, names the file", async () => {
    const bytes = writeSafetensors(good);
    for (const cut of [4, 20, bytes.length - 7]) {
      const file = t.write(`trunc${cut}.safetensors`, bytes.subarray(0, cut));
      const r = await run(file, `trunc${cut}`);
      expectUserError(r, `trunc${cut}.safetensors`);
      expect(existsSync(t.path(`trunc${cut}`))).toBe(false);
    }
  });

  it("a header lying about data offsets: exit 1, names the file and the tensor", async () => {
    const data = new Uint8Array(16);
    const lie = (header: object) => {
      const json = Buffer.from(JSON.stringify(header));
      const out = Buffer.alloc(8 + json.length + data.length);
      out.writeBigUInt64LE(BigInt(json.length), 0);
      json.copy(out, 8);
      return out;
    };
    const beyond = t.write("beyond.safetensors", lie({ "head.bias": { dtype: "F32", shape: [3], data_offsets: [0, 1_000_000] } }));
    expectUserError(await run(beyond, "beyond"), "beyond.safetensors", "head.bias", "data_offsets");
    const overlap = t.write(
      "overlap.safetensors",
      lie({ "head.bias": { dtype: "F32", shape: [3], data_offsets: [0, 12] }, "conv1.bias": { dtype: "F32", shape: [1], data_offsets: [8, 12] } }),
    );
    expectUserError(await run(overlap, "overlap"), "overlap.safetensors", "overlaps");
    // a header length larger than the file
    const huge = Buffer.from(writeSafetensors(good));
    huge.writeBigUInt64LE(BigInt(huge.length * 10), 0);
    expectUserError(await run(t.write("hugeheader.safetensors", huge), "hugeheader"), "hugeheader.safetensors", "header length");
    // a 2^64-1 header length
    huge.writeBigUInt64LE(2n ** 64n - 1n, 0);
    expectUserError(await run(t.write("maxheader.safetensors", huge), "maxheader"), "maxheader.safetensors");
  });

  it("an .npz with a bad ZIP signature: exit 1, names the file", async () => {
    const npz = Buffer.from(writeNpz(good));
    const ok = t.write("good.npz", npz);
    expectOk(await run(ok, "npz-ok"));
    expectAllClose(readNpyFile(t.path("npz-ok", "head.npy")), reference, "npz", 0, 0);
    // the end-of-central-directory record's signature PK\x05\x06
    const end = Buffer.from(npz);
    const at = end.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    expect(at).toBeGreaterThan(0);
    end[at + 2] = 0x07;
    expectUserError(await run(t.write("badend.npz", end), "badend"), "badend.npz");
    // the first local header's signature PK\x03\x04
    const local = Buffer.from(npz);
    local[0] = 0x4d;
    expectUserError(await run(t.write("badlocal.npz", local), "badlocal"), "badlocal.npz");
    // a safetensors file renamed to .npz
    expectUserError(await run(t.write("notzip.npz", writeSafetensors(good)), "notzip"), "notzip.npz");
  });

  it("garbage msgpack, an unknown extension, a missing file, a directory: exit 1, names the file", async () => {
    expectUserError(await run(t.write("garbage.msgpack", Buffer.from([0xc1, 0xc1, 0xc1])), "garbage"), "garbage.msgpack");
    expectUserError(await run(t.write("params.bin", writeSafetensors(good)), "bin"), "params.bin", ".safetensors");
    expectUserError(await run(t.path("nope.safetensors"), "nope"), "nope.safetensors");
    expectUserError(await run(t.dir + "/", "dir"), t.dir);
  });
});

describe("checkpoint names mapped onto the spec's", () => {
  it("a Flax msgpack nested under `params`: rejected with a hint, accepted with --strip-prefix params.", async () => {
    const file = t.write("nested.msgpack", writeFlaxMsgpack(renamed((k) => `params.${k}`)));
    const r = await run(file, "nested-bad");
    expectUserError(r, "nested.msgpack", "params.conv1.kernel", "hint: ", "--strip-prefix params.");
    const ok = await run(file, "nested-ok", "--strip-prefix", "params.");
    expectOk(ok);
    expectAllClose(readNpyFile(t.path("nested-ok", "head.npy")), reference, "msgpack params.", 0, 0);
  });

  it("an nnx.Sequential-style checkpoint (layers.0.kernel): accepted with --rename layers.0=conv1", async () => {
    const file = t.write("seq.msgpack", writeFlaxMsgpack(renamed((k) => k.replace(/^conv1\./, "layers.0."))));
    expectUserError(await run(file, "seq-bad"), "layers.0.kernel", "hint: ", "--rename layers.0=conv1");
    expectOk(await run(file, "seq-ok", "--rename", "layers.0=conv1"));
    expectAllClose(readNpyFile(t.path("seq-ok", "head.npy")), reference, "rename", 0, 0);
    // both mappings at once, and several renames
    const both = t.write(
      "both.safetensors",
      writeSafetensors(renamed((k) => `model.${k.replace(/^conv1\./, "layers.0.").replace(/^head\./, "layers.3.")}`)),
    );
    expectOk(await run(both, "both-ok", "--strip-prefix", "model.", "--rename", "layers.0=conv1", "--rename", "layers.3=head"));
    expectAllClose(readNpyFile(t.path("both-ok", "head.npy")), reference, "strip+rename", 0, 0);
  });

  it("the hint's flags, applied as given, load the checkpoint", async () => {
    const file = t.write(
      "deep.safetensors",
      writeSafetensors(renamed((k) => `model.${k.replace(/^conv1\./, "layers.0.").replace(/^head\./, "layers.3.")}`)),
    );
    const r = await run(file, "deep-bad");
    expect(r.code).toBe(1);
    const hint = /hint: .*?((?:--(?:rename|strip-prefix) \S+ ?)+)$/m.exec(r.stderr);
    expect(hint, r.stderr).not.toBeNull();
    const flags = hint![1]!.trim().split(" ");
    expect(flags).toEqual(["--rename", "model.layers.0=conv1", "--rename", "model.layers.3=head"]);
    expectOk(await run(file, "deep-ok", ...flags));
    expectAllClose(readNpyFile(t.path("deep-ok", "head.npy")), reference, "hinted", 0, 0);
    // no hint when nothing matches by shape
    const k = good.get("head.kernel")!;
    const off = t.write("off.safetensors", writeSafetensors(withEntries((m) => m.delete("head.kernel") && m.set("other.kernel", { ...k, shape: [12] }))));
    const r2 = await run(off, "off");
    expectUserError(r2, "missing parameter head.kernel", "unexpected parameter other.kernel", "checkpoint names differ?");
    expect(r2.stderr).not.toMatch(/--rename other/);
  });

  it("a rename must not match a longer path component (layers.0 is not layers.01)", async () => {
    const file = t.write("seq01.safetensors", writeSafetensors(renamed((k) => k.replace(/^conv1\./, "layers.01."))));
    expectUserError(await run(file, "seq01", "--rename", "layers.0=conv1"), "layers.01.kernel");
  });

  it("two checkpoint entries mapping onto one parameter: exit 1", async () => {
    const m = new Map(good);
    m.set("params.head.bias", good.get("head.bias")!);
    const file = t.write("dup.safetensors", writeSafetensors(m));
    expectUserError(await run(file, "dup", "--strip-prefix", "params."), "two entries map to head.bias");
  });

  it("a malformed --rename is a usage error", async () => {
    const r = await run(t.path("good.safetensors"), "badrename", "--rename", "layers.0");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--rename");
  });

  it("export applies the same mapping", async () => {
    const file = t.path("nested.msgpack");
    const out = t.path("mapped.safetensors");
    expectOk(await cli("export", spec, "--format", "safetensors", "--params", file, "--strip-prefix", "params.", "-o", out));
    expect(readFileSync(out).equals(readFileSync(t.path("good.safetensors")))).toBe(true);
  });
});
