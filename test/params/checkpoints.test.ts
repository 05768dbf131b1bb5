/**
 * Checkpoints as a real Flax model writes them load with no renaming: `nnx.state(model)`
 * flattened to dotted paths (safetensors, npz), or nested through `nnx.to_pure_dict` in msgpack
 * with integer list keys (as msgpack writes Python ints), RNG state included, which is dropped
 * with a note. Other extra entries are an error unless --ignore-extra.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encode, ExtData } from "@msgpack/msgpack";
import { afterAll, describe, expect, it } from "vitest";
import { writeNpz } from "../../src/io/npz.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { isRngState } from "../../src/params/store.js";
import type { Tensor } from "../../src/tensor.js";
import { runCli, tempDir } from "../cli/helpers.js";

const SPEC = `nnx_gen: 1
model: Ckpt
inputs:
  x: { shape: [2, 4] }
modules:
  Block:
    inputs: [x]
    layers:
      - { name: fc, type: Linear, out_features: 4 }
      - { name: bn, type: BatchNorm }
      - { name: drop, type: Dropout, rate: 0.1 }
layers:
  - { name: h, type: Block, repeat: 2 }
  - { name: s, type: Block, repeat: { count: 3, stacked: true } }
`;

const f32 = (shape: number[], seed: number): Tensor => ({ dtype: "float32", shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(seed * 7 + i) * 0.5) });
const u32 = (shape: number[], values: number[]): Tensor => ({ dtype: "uint32", shape, data: Uint32Array.from(values) });

/** nnx.state(model) of the spec's model, flattened: params, batch stats and RNG state. */
function state(): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  let seed = 0;
  const block = (p: string, lead: number[]) => {
    out.set(`${p}.fc.kernel`, f32([...lead, 4, 4], seed++));
    out.set(`${p}.fc.bias`, f32([...lead, 4], seed++));
    out.set(`${p}.bn.scale`, f32([...lead, 4], seed++));
    out.set(`${p}.bn.bias`, f32([...lead, 4], seed++));
    out.set(`${p}.bn.mean`, f32([...lead, 4], seed++));
    out.set(`${p}.bn.var`, { ...f32([...lead, 4], seed++), data: new Float32Array(lead.reduce((a, b) => a * b, 4)).fill(1.5) });
    // nnx.Dropout(rngs=rngs) keeps a forked RngStream: its key data and count.
    out.set(`${p}.drop.rngs.key`, u32([...lead, 2], Array(lead.reduce((a, b) => a * b, 2)).fill(7)));
    out.set(`${p}.drop.rngs.count`, u32(lead, Array(lead.reduce((a, b) => a * b, 1)).fill(0)));
  };
  block("h.0", []);
  block("h.1", []);
  block("s", [3]);
  out.set("rngs.default.key", u32([2], [0, 42]));
  out.set("rngs.default.count", u32([], [5]));
  return out;
}

/** msgpack as flax.serialization.msgpack_serialize(nnx.to_pure_dict(state)) writes it: list indices are integer keys. */
function packPure(tensors: Map<string, Tensor>): Uint8Array {
  type Node = Map<string | number, Node | Tensor>;
  const root: Node = new Map();
  for (const [name, t] of tensors) {
    const path = name.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    let node = root;
    for (const k of path.slice(0, -1)) node = (node.get(k) as Node | undefined) ?? (node.set(k, new Map()), node.get(k) as Node);
    node.set(path[path.length - 1]!, t);
  }
  const parts: Uint8Array[] = [];
  const pack = (n: Node | Tensor): void => {
    if (!(n instanceof Map)) {
      const bytes = new Uint8Array(n.data.buffer, n.data.byteOffset, n.data.byteLength);
      const dtype = n.dtype === "uint32" ? "uint32" : "float32";
      parts.push(encode(new ExtData(1, encode([n.shape, dtype, bytes]))));
      return;
    }
    parts.push(Uint8Array.of(0x80 | n.size));
    for (const [k, v] of n) {
      parts.push(typeof k === "number" ? Uint8Array.of(k) : encode(k)); // positive fixint for an int key
      pack(v);
    }
  };
  pack(root);
  return Buffer.concat(parts);
}

const tmp = tempDir("nnx-ckpt-");
afterAll(tmp.cleanup);
const spec = join(tmp.dir, "ckpt.yaml");
writeFileSync(spec, SPEC);

async function run(file: string, ...flags: string[]) {
  return runCli(["run", spec, "--params", file, "--out", join(tmp.dir, "out"), "--input", `x=${inputFile()}`, ...flags]);
}
let inputPath: string | undefined;
function inputFile(): string {
  if (!inputPath) {
    inputPath = join(tmp.dir, "x.json");
    writeFileSync(inputPath, JSON.stringify([[1, 2, 3, 4], [-1, 0.5, 0, 2]]));
  }
  return inputPath;
}

describe("checkpoints from real Flax models", () => {
  it("know RNG state by Flax's paths", () => {
    expect(["rngs.default.key", "rngs.params.count", "h.0.drop.rngs.key", "drop.rngs.count"].every(isRngState)).toBe(true);
    expect(["h.0.fc.kernel", "rngs.default", "attn.key.kernel", "key", "count"].some(isRngState)).toBe(false);
  });

  it("load nested msgpack with integer keys, safetensors and npz alike, RNG state dropped with a note", async () => {
    const files = {
      msgpack: packPure(state()),
      safetensors: writeSafetensors(state()),
      npz: writeNpz(state()),
    };
    for (const [ext, bytes] of Object.entries(files)) {
      const file = join(tmp.dir, `state.${ext}`);
      writeFileSync(file, bytes);
      const r = await run(file, "--save-params", join(tmp.dir, `saved_${ext}.safetensors`));
      expect(r.stderr).toContain("note: ");
      expect(r.stderr).toContain("dropped RNG state (h.0.drop.rngs.key");
      expect(r.code, r.stderr).toBe(0);
    }
    // The same parameters whatever the format.
    const saved = ["msgpack", "safetensors", "npz"].map((e) => readFileSync(join(tmp.dir, `saved_${e}.safetensors`)));
    expect(saved[0]!.equals(saved[1]!)).toBe(true);
    expect(saved[0]!.equals(saved[2]!)).toBe(true);
    // The stacked parameters are stored under the use's path with a leading axis.
    const header = JSON.parse(saved[0]!.subarray(8, 8 + Number(saved[0]!.readBigUInt64LE(0))).toString()) as Record<string, { shape: number[] }>;
    expect(header["s.fc.kernel"]!.shape).toEqual([3, 4, 4]);
    expect(header["s.bn.var"]!.shape).toEqual([3, 4]);
    expect(header["h.1.bn.mean"]!.shape).toEqual([4]);
    expect(Object.keys(header).filter((k) => k.includes("rngs"))).toEqual([]);
  });

  it("refuse other extra entries unless --ignore-extra", async () => {
    const tensors = state();
    tensors.set("h.0.fc.lora", f32([4], 99));
    const file = join(tmp.dir, "extra.safetensors");
    writeFileSync(file, writeSafetensors(tensors));
    const refused = await run(file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("unexpected parameter h.0.fc.lora");
    expect(refused.stderr).toContain("--ignore-extra");
    const ok = await run(file, "--ignore-extra");
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain("ignored 1 entry the spec does not declare (--ignore-extra): h.0.fc.lora");
  });
});
