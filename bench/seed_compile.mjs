// `compileModel(model, {seed: 0})` of fixtures/examples/gpt2_small.yaml (124.4M parameters)
// in phases, in this fresh process: the --seed initialization (resolveParams, on --threads
// threads; default every core up to 8), then lowering + session creation (compileModel on
// the initialized map), then one run at batch 1, seq 128. Wall and CPU (user + system, all
// threads) per phase, and the machine's load. `nnx-gen run ... --seed 0` does the same steps.
// Usage: npm run build && node bench/seed_compile.mjs [--threads N] [--spec FILE]
import { loadavg } from "node:os";
import { checkSpecFile, compileModel, resolveParams } from "../dist/index.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const threads = arg("threads") === undefined ? undefined : Number(arg("threads"));
const spec = arg("spec", "fixtures/examples/gpt2_small.yaml");

const phase = async (label, f) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  const c = process.cpuUsage(c0);
  console.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU = ${(c.user / 1e6).toFixed(2)} user + ${(c.system / 1e6).toFixed(2)} system, load ${loadavg()[0].toFixed(2)}`);
  return r;
};

const model = checkSpecFile(spec).model;
console.log(`${spec}, threads ${threads ?? "default"}, load ${loadavg()[0].toFixed(2)}`);
const c0 = process.cpuUsage();
const t0 = performance.now();
const params = await phase("init (--seed 0)", () => resolveParams(model, { seed: 0, ...(threads !== undefined ? { threads } : {}) }));
const compiled = await phase("lower + session", () => compileModel(model, { params }));
const tokens = new Int32Array(128).map((_, i) => (i * 7919) % 50257);
await phase("run (1 x 128)", () => compiled.run({ tokens: { dtype: "int32", shape: [1, 128], data: tokens } }));
const c = process.cpuUsage(c0);
console.log(`total: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU`);
await compiled.release();
