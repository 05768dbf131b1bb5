/**
 * The shipped example models (fixtures/examples: gpt2_small, vit_b16, resnet18, gemma_block):
 * their parameter counts against the published ones, one end-to-end `run --seed 0` each (batch
 * 1, short sequences), and GPT-2 small loading a checkpoint written as Flax writes one
 * (scripts/flax_checkpoint.py: to_bytes of nnx.to_pure_dict with RNG state, and flattened
 * safetensors) with no flags, giving the seeded run's outputs bit for bit. Through the built CLI
 * in child processes (asynchronous: these runs take seconds each).
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/io/npy.js";
import { EXAMPLES, ROOT, tempDir } from "./helpers.js";

const BIN = join(ROOT, "bin/nnx-gen.js");
const exec = promisify(execFile);
const cli = async (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
  exec(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
const spec = (m: string): string => join(EXAMPLES, `${m}.yaml`);
const tmp = tempDir("examples");
afterAll(() => tmp.cleanup());

// Published counts: torchvision's resnet18 (11,689,512, torchvision's model table), ViT-B/16
// (86,567,656, timm/torchvision vit_b_16), GPT-2 small (124,439,808, HF gpt2 with the tied head
// once). Batch statistics: ResNet-18's 20 BatchNorms hold 4,800 channels, a mean and a var each.
// Gemma block: Gemma 2B's per-layer sizes, 2 x 2048 (norms) + 2 x 2048^2 + 2 x 2048 x 256
// (attention) + 3 x 2048 x 16384 (gated MLP).
const TOTALS: Record<string, { params: number; batch_stats: number }> = {
  resnet18: { params: 11_689_512, batch_stats: 9_600 },
  vit_b16: { params: 86_567_656, batch_stats: 0 },
  gpt2_small: { params: 124_439_808, batch_stats: 0 },
  gemma_block: { params: 110_104_576, batch_stats: 0 },
};

describe("example models: parameter counts", () => {
  for (const [m, want] of Object.entries(TOTALS)) {
    it(`${m}: summary --format json totals`, async () => {
      const totals = JSON.parse((await cli("summary", spec(m), "--format", "json")).stdout).totals;
      expect({ params: totals.params, batch_stats: totals.batch_stats }).toEqual(want);
      expect(totals.param_bytes).toBe(4 * want.params);
    });
  }
});

/** `run --seed 0` with the given dims; the output's shape, and every value finite. */
async function runSeeded(m: string, dims: Record<string, number>, output: string, shape: number[], extra: string[] = []): Promise<Float32Array> {
  const out = join(tmp.dir, `${m}.out`);
  await cli("run", spec(m), "--seed", "0", ...Object.entries(dims).flatMap(([k, v]) => ["--dim", `${k}=${v}`]), "--out", out, ...extra);
  const t = readNpy(readFileSync(join(out, `${output}.npy`)), output);
  expect(t.shape).toEqual(shape);
  const data = t.data as Float32Array;
  expect(data.every(Number.isFinite)).toBe(true);
  // Not a constant: the seeded weights reach the output.
  expect(Math.max(...data.slice(0, 1000)) > Math.min(...data.slice(0, 1000))).toBe(true);
  return data;
}

describe("example models: end to end", () => {
  it("resnet18 runs (batch 1, 224x224x3)", async () => {
    await runSeeded("resnet18", { batch: 1 }, "logits", [1, 1000]);
  }, 300_000);
  it("vit_b16 runs (batch 1)", async () => {
    await runSeeded("vit_b16", { batch: 1 }, "logits", [1, 1000]);
  }, 300_000);
  it("gemma_block runs (batch 1, seq 8)", async () => {
    await runSeeded("gemma_block", { batch: 1, seq: 8 }, "out", [1, 8, 2048]);
  }, 300_000);

  // Debian's python with numpy (CI installs it for the torch checks), else the first python3.
  const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import numpy"], { stdio: "ignore" }).status === 0);

  it("gpt2_small runs (batch 1, seq 16) and loads a Flax-written checkpoint with no flags", async () => {
    const tokens = join(tmp.dir, "tokens.json");
    const ids = Array.from({ length: 16 }, (_, i) => (i * 7919 + 13) % 50257);
    await import("node:fs").then((fs) => fs.writeFileSync(tokens, JSON.stringify([ids])));
    const params = join(tmp.dir, "gpt2.safetensors");
    const seeded = await runSeeded("gpt2_small", {}, "logits", [1, 16, 50257], ["--input", `tokens=${tokens}`, "--save-params", params]);
    if (!python) return; // the checkpoint writer needs numpy
    // The RNG state nnx.state holds for this model: the embedding Dropout's stream, each block's
    // attention (dropout_rate > 0 keeps a forked stream) and MLP Dropout.
    const rngs = ["drop", ...Array.from({ length: 12 }, (_, i) => [`h.${i}.attn`, `h.${i}.mlp.dropout`]).flat()].flatMap((m) => ["--rng", m]);
    for (const file of ["gpt2.msgpack", "gpt2_flat.safetensors"]) {
      const ckpt = join(tmp.dir, file);
      await exec(python, [join(ROOT, "scripts/flax_checkpoint.py"), params, ckpt, ...rngs]);
      const out = join(tmp.dir, `${file}.out`);
      const { stderr } = await cli("run", spec("gpt2_small"), "--params", ckpt, "--input", `tokens=${tokens}`, "--out", out);
      expect(stderr).toMatch(/dropped RNG state \(.*\(50 in all\)\)/);
      const got = readNpy(readFileSync(join(out, "logits.npy")), "logits").data as Float32Array;
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(seeded.buffer, seeded.byteOffset, seeded.byteLength))).toBe(true);
    }
    expect(existsSync(params)).toBe(true);
  }, 900_000);
});

describe("scripts/flax_checkpoint.py", () => {
  const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import numpy"], { stdio: "ignore" }).status === 0);
  // Its msgpack layer against an independent encoder (@msgpack/msgpack) on a tree with every
  // form a checkpoint uses: nested maps, int and str keys, fixext and ext8/16 array payloads,
  // a 0-d uint32 (RngCount), a bool, and a 40-character key (str8).
  it.skipIf(!python)("writes the bytes msgpack-python would", async () => {
    const { encode, ExtData } = await import("@msgpack/msgpack");
    const code = `
import sys; sys.path.insert(0, ${JSON.stringify(join(ROOT, "scripts"))})
import numpy as np, flax_checkpoint as fc
flat = {"h.0.w": np.arange(6, dtype=np.float32).reshape(2, 3), "h.1.w": np.ones((100,), np.float32),
        "drop.rngs.count": np.array(7, np.uint32), "${"k".repeat(40)}": np.array([1], np.int32)}
t = fc.to_pure_dict(flat)
print(fc.msgpack_serialize(t).hex()); print(fc.to_bytes(t).hex())`;
    const [intKeys, strKeys] = (await exec(python!, ["-c", code], { encoding: "utf8" })).stdout.trim().split("\n");
    const nd = (shape: number[], dtype: string, bytes: Uint8Array): InstanceType<typeof ExtData> => new ExtData(1, encode([shape, dtype, bytes]));
    const f32 = (a: number[]): Uint8Array => new Uint8Array(Float32Array.from(a).buffer);
    // Plain objects: this @msgpack/msgpack encodes Maps as empty maps, so the integer-key form is
    // the string-key form with the two list keys as positive fixints (0x00, 0x01 for "0", "1").
    const tree = {
      h: { "0": { w: nd([2, 3], "float32", f32([0, 1, 2, 3, 4, 5])) }, "1": { w: nd([100], "float32", f32(Array(100).fill(1))) } },
      drop: { rngs: { count: nd([], "uint32", new Uint8Array(Uint32Array.from([7]).buffer)) } },
      ["k".repeat(40)]: nd([1], "int32", new Uint8Array(Int32Array.from([1]).buffer)),
    };
    const want = Buffer.from(encode(tree)).toString("hex");
    expect(strKeys).toBe(want);
    expect(want.split("a130").length).toBe(2); // fixstr "0", once: the key
    expect(intKeys).toBe(want.replace("a130", "00").replace("a131", "01"));
  });
});
