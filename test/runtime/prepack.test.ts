/**
 * Weight pre-packing as a load option (src/runtime/prepack.ts): the choice reaches onnxruntime
 * on both bindings and changes what it does. ORT's MLAS sums K in blocks of 256 from packed
 * weights and of 128 from unpacked ones, so with K = 768 the two ways round differently:
 * outputs agree closely but not bit for bit, while the two bindings agree bit for bit for
 * the same choice. In a fresh process, packing writes a copy of the weights into new pages at
 * session creation; unpacked, it does not.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADDON_PATH, nativeBackend } from "../../src/node/native.js";
import { ortBackend } from "../../src/node/ort.js";
import type { Backend } from "../../src/runtime/backend.js";
import { compileModel } from "../../src/runtime/model.js";
import { PREPACK_AUTO_MAX_BYTES, prepackWeights, type PrepackChoice } from "../../src/runtime/prepack.js";
import { checkSpecText } from "../../src/spec/load.js";
import { tiedLmSpec } from "./helpers.js";

// A 2000 x 768 table (6.1 MB) used by Embed and by the tied head, plus a 768 x 768 Linear.
const SPEC = tiedLmSpec("PrepackLm", 2000);
const model = checkSpecText("prepack_lm.yaml", SPEC).model!;
const tokens = { dtype: "int32" as const, shape: [2, 16], data: Int32Array.from({ length: 32 }, (_, i) => (i * 61) % 2000) };

async function logits(backend: Backend, prepack: PrepackChoice): Promise<Float32Array> {
  const compiled = await compileModel(model, { seed: 0 }, { backend, prepack });
  try {
    return (await compiled.run({ tokens }))["logits"]!.data as Float32Array;
  } finally {
    await compiled.release();
  }
}

const bitIdentical = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe("prepackWeights", () => {
  it("auto packs up to the threshold, on and off are what they say", () => {
    expect(prepackWeights("auto", PREPACK_AUTO_MAX_BYTES)).toBe(true);
    expect(prepackWeights("auto", PREPACK_AUTO_MAX_BYTES + 1)).toBe(false);
    expect(prepackWeights("auto", 497_759_232)).toBe(false); // GPT-2 small
    expect(prepackWeights("auto", 346_270_624)).toBe(true); // ViT-B/16
    expect(prepackWeights("on", 10 ** 12)).toBe(true);
    expect(prepackWeights("off", 1)).toBe(false);
    expect(() => prepackWeights("yes" as PrepackChoice, 1)).toThrow(/prepack must be one of auto, on, off/);
  });
});

describe.skipIf(!existsSync(ADDON_PATH))("the prepack choice reaches onnxruntime", () => {
  it("changes the kernels' summation on both bindings, which agree with each other for each choice", async () => {
    const native = await nativeBackend();
    const ort = await ortBackend();
    const packed = await logits(native, "on");
    const unpacked = await logits(native, "off");
    expect(packed.length).toBe(2 * 16 * 2000);
    // auto packs this small model
    expect(bitIdentical(await logits(native, "auto"), packed)).toBe(true);
    expect(bitIdentical(await logits(ort, "on"), packed)).toBe(true);
    expect(bitIdentical(await logits(ort, "off"), unpacked)).toBe(true);
    expect(bitIdentical(packed, unpacked)).toBe(false);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < packed.length; i++) {
      worst = Math.max(worst, Math.abs(packed[i]! - unpacked[i]!));
      scale = Math.max(scale, Math.abs(packed[i]!));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst / scale).toBeLessThan(1e-6);
  });

  it("packing writes a copy of the weights into new pages at load; unpacked it does not", () => {
    const dist = join(import.meta.dirname, "../../dist");
    if (!existsSync(join(dist, "runtime/model.js"))) return; // needs `npm run build`
    const faults = (prepack: PrepackChoice): number => {
      const script = `
        await import(${JSON.stringify(join(dist, "node/host.js"))});
        const { checkSpecText } = await import(${JSON.stringify(join(dist, "spec/load.js"))});
        const { compileModel } = await import(${JSON.stringify(join(dist, "runtime/model.js"))});
        const { resolveParams } = await import(${JSON.stringify(join(dist, "params/store.js"))});
        const model = checkSpecText("m.yaml", ${JSON.stringify(SPEC)}).model;
        const params = await resolveParams(model, { seed: 0 });
        const before = process.resourceUsage().minorPageFault;
        const compiled = await compileModel(model, { params }, { prepack: ${JSON.stringify(prepack)} });
        console.log(process.resourceUsage().minorPageFault - before);
        await compiled.release();`;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return Number(r.stdout.trim());
    };
    // The table and the Linear kernel: 8.5 MB, 2070 pages of 4 KiB when packed.
    const packedPages = ((2000 * 768 + 768 * 768) * 4) / 4096;
    expect(faults("on") - faults("off")).toBeGreaterThan(packedPages / 2);
  });
});
