// Alternating timing of the float32/bfloat16 twins in one process (BENCHMARKS.md, dtype section):
// both models compiled as `nnx-gen bench` compiles them (same backend, --seed 0, one thread),
// then run f32, bf16, f32, bf16, ... recording each run's wall time and this process's CPU time.
//   node bench/dtypes/twins.mjs [--reps 200] [--models cnn,mlp,tiny_lm] [--dtype bfloat16]
import { performance } from "node:perf_hooks";
import { checkSpecFile } from "../../dist/spec/load.js";
import { compileModel } from "../../dist/runtime/model.js";
import { defaultBackend } from "../../dist/runtime/backend.js";
import { randomInputs } from "../../dist/cli/run.js";
import { bindDims } from "../../dist/cli/dims.js";
import { needsReexec, reexecCommand, tunedEnv } from "../../dist/node/malloc_tuning.js";
import { spawnSync } from "node:child_process";

// The same malloc tunables as `nnx-gen bench` (src/cli/reexec.ts).
if (needsReexec(process.env)) {
  const { command, args } = reexecCommand();
  process.exit(spawnSync(command, args, { stdio: "inherit", env: tunedEnv(process.env) }).status ?? 1);
}

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const reps = Number(arg("reps", "200"));
const suffix = arg("dtype", "bfloat16") === "float16" ? "f16" : "bf16";
const MODELS = {
  cnn: { name: "reference_cnn", dims: { batch: 8 } },
  mlp: { name: "reference_mlp", dims: { batch: 64 } },
  tiny_lm: { name: "reference_tiny_lm", dims: { batch: 4, seq: 128 } },
};
const pick = arg("models", "cnn,mlp,tiny_lm").split(",");

const backend = await defaultBackend();
async function load(spec, dims) {
  const checked = checkSpecFile(spec);
  if (!checked.model) throw new Error(`${spec}: ${JSON.stringify(checked.diagnostics)}`);
  const model = checked.model;
  const compiled = await compileModel(model, { seed: 0 }, { threads: 1, backend });
  const inputs = randomInputs(model, {}, bindDims(model, dims, { requireAll: true }), 0);
  return { run: () => compiled.run(inputs), release: () => compiled.release() };
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const out = {};
for (const key of pick) {
  const m = MODELS[key];
  const a = await load(`bench/models/${m.name}.yaml`, m.dims);
  const b = await load(`bench/dtypes/${m.name}_${suffix}.yaml`, m.dims);
  for (let i = 0; i < 3; i++) { await a.run(); await b.run(); }
  const t = { f32: { wall: [], cpu: [] }, half: { wall: [], cpu: [] } };
  for (let i = 0; i < reps; i++) {
    for (const [k, s] of i % 2 ? [["half", b], ["f32", a]] : [["f32", a], ["half", b]]) {
      const c0 = process.cpuUsage(); const w0 = performance.now();
      await s.run();
      const w = performance.now() - w0; const c = process.cpuUsage(c0);
      t[k].wall.push(w); t[k].cpu.push((c.user + c.system) / 1000);
    }
  }
  await a.release(); await b.release();
  const row = (k) => ({ min: q(t[k].wall, 0), median: q(t[k].wall, 0.5), cpu_min: q(t[k].cpu, 0), cpu_median: q(t[k].cpu, 0.5) });
  const f = row("f32"), h = row("half");
  out[key] = { f32: f, [suffix]: h, ratio_min: h.min / f.min, ratio_median: h.median / f.median, ratio_cpu_median: h.cpu_median / f.cpu_median };
  const r2 = (x) => x.toFixed(2);
  console.log(`${key}: f32 min ${r2(f.min)} med ${r2(f.median)} cpu-med ${r2(f.cpu_median)} | ${suffix} min ${r2(h.min)} med ${r2(h.median)} cpu-med ${r2(h.cpu_median)} | ratio min ${r2(h.min / f.min)} med ${r2(h.median / f.median)} cpu ${r2(h.cpu_median / f.cpu_median)}`);
}
const j = arg("json");
if (j) (await import("node:fs")).writeFileSync(j, JSON.stringify({ date: new Date().toISOString(), reps, results: out }, null, 1));
