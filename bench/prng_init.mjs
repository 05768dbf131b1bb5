// Times `--seed` initialization of a GPT-2-small-sized model (124.4M parameters) with JAX's
// threefry PRNG, as nnx-gen does it: one nnx.Rngs(0) stream, Embed tables drawn from normal
// (Embed's default variance_scaling), Linear kernels from lecun_normal (truncated normal),
// zeros biases and LayerNorm ones/zeros (no draws). The draws run as `run --seed` runs them
// (runDraws: on --threads threads, default every core up to 8, the calling one included).
// Reports wall and CPU (user, system; all threads) time per pass, the best of --reps passes,
// the machine's load, and a SHA-256 of every value (the same for any --threads).
// Every parameter is kept until the pass ends, as a real initialization keeps them (before
// 21:45 UTC 2026-12-02 this script dropped each array at once, so its memory was recycled and
// it paid fewer page faults than `run`). --dist DIR times another build (an older one draws on
// one thread).
// Usage: npm run build && node bench/prng_init.mjs [--reps 3] [--prng partitionable|legacy] [--threads N] [--dist DIR]
import { createHash } from "node:crypto";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const reps = Number(arg("reps", "3"));
const layout = arg("prng", "partitionable");
const threads = arg("threads") === undefined ? undefined : Number(arg("threads"));
const dist = arg("dist", new URL("../dist", import.meta.url).pathname);
const nnx = await import(pathToFileURL(resolve(dist, "index.js")).href);
const { canonicalInitializer, endInitialization, planInitializer, RngStream, sampleInitializer } = nnx;
const runDraws = nnx.runDraws ?? (async (jobs) => jobs.map((j) => sampleInitializer(j.init, j.shape, j.key, j.dtype, j.layout)));

const lecun = canonicalInitializer("lecun_normal");
const embed = canonicalInitializer({ name: "variance_scaling", scale: 1, mode: "fan_in", distribution: "normal", out_axis: 0 });
const zeros = { kind: "zeros" };
const ones = { kind: "ones" };

// [initializer, shape, draws a key] in construction order (GPT-2 small: d 768, 12 blocks).
const d = 768;
const plan = [[embed, [50257, d], true], [embed, [1024, d], true]];
for (let b = 0; b < 12; b++) {
  plan.push([ones, [d], false], [zeros, [d], false]); // ln_1
  plan.push([lecun, [d, 3 * d], true], [zeros, [3 * d], true]); // attn c_attn
  plan.push([lecun, [d, d], true], [zeros, [d], true]); // attn c_proj
  plan.push([ones, [d], false], [zeros, [d], false]); // ln_2
  plan.push([lecun, [d, 4 * d], true], [zeros, [4 * d], true]); // mlp c_fc
  plan.push([lecun, [4 * d, d], true], [zeros, [d], true]); // mlp c_proj
}
plan.push([ones, [d], false], [zeros, [d], false]); // ln_f
const total = plan.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);

async function pass() {
  // As initializeParamsAsync does: announce the draws, take the keys in construction order,
  // draw (in parallel), release what the draws built up.
  for (const [init, shape] of plan) planInitializer(init, shape);
  const rngs = RngStream.fromSeed(0, layout);
  const jobs = [];
  const values = [];
  for (const [init, shape, draws] of plan) {
    const key = draws ? rngs.next() : undefined;
    if (init.kind === "variance_scaling") jobs.push({ init, shape, key, dtype: "float32", layout });
    else values.push(sampleInitializer(init, shape, key, "float32", layout));
  }
  values.push(...(await runDraws(jobs, threads)));
  endInitialization();
  return values;
}

function digest(values) {
  const h = createHash("sha256");
  for (const v of values) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return h.digest("hex").slice(0, 16);
}

console.log(`GPT-2-small-sized init: ${(total / 1e6).toFixed(1)}M float32 parameters, ${layout} threefry, ${dist}, threads ${nnx.runDraws ? (threads ?? "default") : 1}, load ${loadavg()[0].toFixed(2)}`);
const results = [];
for (let r = 0; r < reps; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const values = await pass();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  results.push({ wall, cpu });
  console.log(`pass ${r + 1}: ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU = ${(c.user / 1e6).toFixed(2)} user + ${(c.system / 1e6).toFixed(2)} system (${((cpu / total) * 1e9).toFixed(1)} ns/param), load ${loadavg()[0].toFixed(2)}, sha256 ${digest(values)}`);
}
const best = results.reduce((a, b) => (b.wall < a.wall ? b : a));
console.log(`best: ${best.wall.toFixed(2)} s wall, ${best.cpu.toFixed(2)} s CPU`);
