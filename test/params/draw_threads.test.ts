/**
 * `--seed` draws on several threads give the bits one thread gives: runDraws on 1, 2 and 3
 * threads of the built package (its worker file is dist/node/draw_worker.js; needs `npm run
 * build` first), in every dtype and both layouts; and initializeParamsAsync equals
 * initializeParams on a model with plain and stacked repeats.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { canonicalInitializer } from "../../src/params/initializers.js";
import { initializeParams, initializeParamsAsync } from "../../src/params/store.js";
import { runDraw, type DrawJob } from "../../src/params/draws.js";
import { RngStream } from "../../src/params/rngs.js";
import { loadModel, ROOT, sharedTempDir, writeSpec } from "../run/helpers.js";

type Dist = { runDraws: (jobs: DrawJob[], threads?: number) => Promise<(Float32Array | Uint16Array)[]> };

const bytes = (v: Float32Array | Uint16Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** Jobs of every kind the workers take, over 2^22 values so the parallel path runs. */
function jobs(): DrawJob[] {
  const out: DrawJob[] = [];
  for (const layout of ["partitionable", "legacy"] as const) {
    const rngs = RngStream.fromSeed(3, layout);
    const add = (init: Parameters<typeof canonicalInitializer>[0], shape: number[], dtype: DrawJob["dtype"] = "float32") =>
      out.push({ init: canonicalInitializer(init), shape, key: rngs.next(), dtype, layout });
    add({ name: "variance_scaling", scale: 1, mode: "fan_in", distribution: "normal", out_axis: 0 }, [1500, 768]);
    add("lecun_normal", [768, 1024]);
    add("glorot_uniform", [256, 512]);
    add("he_normal", [512, 256], "float16");
    add({ name: "normal", stddev: 0.02 }, [300, 128], "bfloat16");
    add({ name: "truncated_normal", stddev: 1, lower: -3, upper: 1.5 }, [17, 33]);
  }
  return out;
}

describe("threads", () => {
  it("runDraws gives the same bits on 1, 2 and 3 threads, as each job drawn alone", async () => {
    const index = join(ROOT, "dist/index.js");
    expect(existsSync(index), "build first: npm run build").toBe(true);
    const dist = (await import(pathToFileURL(index).href)) as Dist;
    const workers = (await import(pathToFileURL(join(ROOT, "dist/node/draw_workers.js")).href)) as {
      workerDraws: number;
      drawInParallel: (jobs: DrawJob[], threads: number, callerDraws?: boolean) => Promise<(Float32Array | Uint16Array)[]>;
    };
    const js = jobs();
    const alone = js.map(runDraw);
    for (const threads of [1, 2, 3]) {
      const got = await dist.runDraws(js, threads);
      expect(got.length).toBe(js.length);
      got.forEach((v, i) => {
        expect(v.constructor).toBe(alone[i]!.constructor);
        expect(Buffer.compare(bytes(v), bytes(alone[i]!)), `job ${i} on ${threads} threads`).toBe(0);
      });
    }
    // Workers only (this thread waits): every job drawn by a worker, the same bits; jobs that
    // carry more than a DrawJob (initializeParamsAsync's carry their layer) cross too.
    for (const extra of [false, true]) {
      const sent = extra ? js.map((j) => ({ ...j, layer: { describe: () => "not cloneable" } })) : js;
      const before = workers.workerDraws;
      const got = await workers.drawInParallel(sent, 2, false);
      expect(workers.workerDraws - before).toBe(js.length);
      got.forEach((v, i) => expect(Buffer.compare(bytes(v), bytes(alone[i]!)), `job ${i}`).toBe(0));
    }
  }, 120_000);
});

const t = sharedTempDir("draw-threads");

describe("initializeParamsAsync", () => {
  it("equals initializeParams, stacked repeats included, in both layouts", async () => {
    const spec = writeSpec(
      t,
      "stacked.yaml",
      `
model: Stacked
inputs:
  x: { shape: [2, 8], dtype: float32 }
modules:
  Block:
    inputs: [x]
    layers:
    - { name: ln, type: LayerNorm }
    - { name: fc, type: Linear, out_features: 8, param_dtype: bfloat16 }
    outputs: [fc]
layers:
- { name: h, type: Block, repeat: 2 }
- { name: s, type: Block, repeat: { count: 3, stacked: true } }
- { name: out, type: Linear, out_features: 4 }
outputs: [out]
`,
    );
    const model = loadModel(spec);
    for (const prng of ["partitionable", "legacy"] as const) {
      const sync = initializeParams(model, 5, prng);
      const parallel = await initializeParamsAsync(model, 5, prng, 2);
      expect([...parallel.keys()]).toEqual([...sync.keys()]);
      for (const [name, t] of sync) {
        const p = parallel.get(name)!;
        expect(p.shape).toEqual(t.shape);
        expect(Buffer.compare(bytes(p.data as Float32Array), bytes(t.data as Float32Array)), name).toBe(0);
      }
    }
  });
});
