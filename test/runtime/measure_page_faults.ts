/**
 * Measurement script (not a test) for the output page-fault cost and the malloc_tuning fix.
 * A graph whose output is 4x128x32000 float32 (65.5 MB, an LM's logits: x(4,128,16) · W(16,32000))
 * runs in child processes started plainly, with tunedEnv(), with tunedEnv() plus
 * glibc.malloc.hugetlb=1, and plainly with preallocated ORT outputs; children alternate, each
 * reports per-run time and minor page faults. Each child first builds and loads a model with
 * a 128 MB embedding table, to show the cold start cost of each setting.
 *   npx vite-node test/runtime/measure_page_faults.ts [rounds=3]
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { embedLookup } from "../../src/runtime/onnx/ops_embed.js";
import { linear } from "../../src/runtime/onnx/ops_linear.js";
import { ortBackend } from "../../src/node/ort.js";
import { tunedEnv } from "../../src/node/malloc_tuning.js";
import { tensor } from "../../src/tensor.js";
import { rand } from "./reference.js";

const RUNS = 20;
const OUT = [4, 128, 32000];

function minorFaults(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

function model(): Uint8Array {
  const g = new GraphBuilder();
  const W = tensor("float32", [16, 32000], Float32Array.from(rand([16, 32000], 3).data));
  g.output(linear(g, g.input("x", "float32", [4, 128, 16]), W), "y", "float32", OUT);
  return g.toBytes();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Build and load a model holding a 128 MB table: ms from nothing to a ready session. */
async function coldLoad(): Promise<number> {
  const t0 = performance.now();
  const data = new Float32Array(65536 * 512);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;
  const table = tensor("float32", [65536, 512], data);
  const g = new GraphBuilder();
  g.output(embedLookup(g, g.input("ids", "int32", ["n"]), { table, idsDtype: "int32" }), "y", "float32", ["n", 512]);
  const built = g.build();
  const s = await (await ortBackend()).load(built.bytes, { externalData: built.externalData });
  const ms = performance.now() - t0;
  await s.release();
  return ms;
}

async function child(mode: string): Promise<void> {
  const load = await coldLoad();
  const x = tensor("float32", [4, 128, 16], Float32Array.from(rand([4, 128, 16], 4).data));
  let run: () => Promise<unknown>;
  if (mode === "prealloc") {
    // ORT's own API: fetches with a preallocated output tensor.
    const ort = await import("onnxruntime-node");
    const s = await ort.InferenceSession.create(model(), { graphOptimizationLevel: "all", logSeverityLevel: 4, intraOpNumThreads: 1 });
    const feeds = { x: new ort.Tensor("float32", x.data, x.shape) };
    const y = new ort.Tensor("float32", new Float32Array(4 * 128 * 32000), OUT);
    run = () => s.run(feeds, { y });
  } else {
    const s = await (await ortBackend()).load(model(), { threads: 1 });
    run = () => s.run({ x });
  }
  for (let i = 0; i < 3; i++) await run();
  const ms: number[] = [], faults: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const f0 = minorFaults(), t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
    faults.push(minorFaults() - f0);
  }
  process.stdout.write(JSON.stringify({ ms: median(ms), faults: median(faults), load }));
}

function parent(rounds: number): void {
  const script = new URL(import.meta.url).pathname;
  const viteNode = createRequire(import.meta.url).resolve("vite-node/vite-node.mjs");
  const plain: Record<string, string | undefined> = { ...process.env };
  delete plain.GLIBC_TUNABLES;
  const variants: [string, string, Record<string, string | undefined>][] = [
    ["plain", "run", plain],
    ["tuned (tunedEnv)", "run", tunedEnv(plain)],
    ["tuned + hugetlb=1", "run", tunedEnv({ ...plain, GLIBC_TUNABLES: "glibc.malloc.hugetlb=1" })],
    ["plain + preallocated output", "prealloc", plain],
  ];
  const res = new Map<string, { ms: number[]; faults: number[]; load: number[] }>();
  for (let r = 0; r < rounds; r++) {
    for (const [name, mode, env] of variants) {
      const c = spawnSync(process.execPath, [viteNode, script, "--child", mode], { env, encoding: "utf8" });
      if (c.status !== 0) throw new Error(`${name}: ${c.stderr}`);
      const { ms, faults, load } = JSON.parse(c.stdout.slice(c.stdout.indexOf("{"))) as { ms: number; faults: number; load: number };
      const e = res.get(name) ?? { ms: [], faults: [], load: [] };
      e.ms.push(ms);
      e.faults.push(faults);
      e.load.push(load);
      res.set(name, e);
    }
  }
  console.log(`output ${OUT.join("x")} float32 = ${(4 * 128 * 32000 * 4 / 1e6).toFixed(1)} MB; ${RUNS} runs per child, ${rounds} children per variant (medians)`);
  for (const [name, e] of res) {
    console.log(`${name.padEnd(28)} run ${median(e.ms).toFixed(1).padStart(6)} ms   minor faults/run ${String(median(e.faults)).padStart(6)}   cold 128 MB load ${median(e.load).toFixed(0).padStart(4)} ms   per-child run medians [${e.ms.map((v) => v.toFixed(1)).join(", ")}]`);
  }
  // What one re-exec costs: starting node again (the CLI's own imports come on top).
  const starts = Array.from({ length: 7 }, () => {
    const t0 = performance.now();
    spawnSync(process.execPath, ["-e", ""], { env: tunedEnv(plain) });
    return performance.now() - t0;
  });
  console.log(`re-exec cost: node start-up ${median(starts).toFixed(0)} ms (median of 7)`);
}

const i = process.argv.indexOf("--child");
if (i >= 0) await child(process.argv[i + 1] ?? "run");
else parent(Number(process.argv[2] ?? 3));
