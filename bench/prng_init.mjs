// Times `--seed` initialization of a GPT-2-small-sized model (124.4M parameters) with JAX's
// threefry PRNG, as nnx-gen does it: one nnx.Rngs(0) stream, Embed tables drawn from normal
// (Embed's default variance_scaling), Linear kernels from lecun_normal (truncated normal),
// zeros biases and LayerNorm ones/zeros (no draws). Reports wall and CPU (user, system) time
// per pass, the best of --reps passes, and the machine's load.
// Usage: npm run build && node bench/prng_init.mjs [--reps 3] [--prng partitionable|legacy]
import { loadavg } from "node:os";
import { canonicalInitializer, endInitialization, planInitializer, RngStream, sampleInitializer } from "../dist/index.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const reps = Number(arg("reps", "3"));
const layout = arg("prng", "partitionable");

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

function pass() {
  // As initializeParams does: announce the draws, then draw in construction order.
  for (const [init, shape] of plan) planInitializer(init, shape);
  const rngs = RngStream.fromSeed(0, layout);
  let checksum = 0;
  for (const [init, shape, draws] of plan) {
    const v = sampleInitializer(init, shape, draws ? rngs.next() : undefined, "float32", layout);
    checksum += v[v.length - 1];
  }
  endInitialization();
  return checksum;
}

console.log(`GPT-2-small-sized init: ${(total / 1e6).toFixed(1)}M float32 parameters, ${layout} threefry, load ${loadavg()[0].toFixed(2)}`);
const results = [];
for (let r = 0; r < reps; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const checksum = pass();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  results.push({ wall, cpu });
  console.log(`pass ${r + 1}: ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU = ${(c.user / 1e6).toFixed(2)} user + ${(c.system / 1e6).toFixed(2)} system (${((cpu / total) * 1e9).toFixed(1)} ns/param), load ${loadavg()[0].toFixed(2)}, checksum ${checksum}`);
}
const best = results.reduce((a, b) => (b.wall < a.wall ? b : a));
console.log(`best: ${best.wall.toFixed(2)} s wall, ${best.cpu.toFixed(2)} s CPU`);
