// Alternating timing of the float32/bfloat16 twins in one process (BENCHMARKS.md, dtype section):
// the models compiled as `nnx-gen bench` compiles them (same backend, --seed 0, one thread), the
// 16-bit twin twice: as bench runs it now and with the Cast pairs of before (Backend.roundingOp
// off). Runs rotate through the three, recording each run's wall time and this process's CPU time.
//   node bench/dtypes/twins.mjs [--reps 200] [--models cnn,mlp,tiny_lm] [--json file]
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
const suffix = "bf16";
const MODELS = {
  cnn: { name: "reference_cnn", dims: { batch: 8 } },
  mlp: { name: "reference_mlp", dims: { batch: 64 } },
  tiny_lm: { name: "reference_tiny_lm", dims: { batch: 4, seq: 128 } },
};
const pick = arg("models", "cnn,mlp,tiny_lm").split(",");

const backend = await defaultBackend();
async function load(spec, dims, castPairs = false) {
  const checked = checkSpecFile(spec);
  if (!checked.model) throw new Error(`${spec}: ${JSON.stringify(checked.diagnostics)}`);
  const model = checked.model;
  const compiled = await compileModel(model, { seed: 0 }, { threads: 1, backend: castPairs ? { ...backend, roundingOp: false } : backend });
  const inputs = randomInputs(model, {}, bindDims(model, dims, { requireAll: true }), 0);
  return { run: () => compiled.run(inputs), release: () => compiled.release() };
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const out = {};
for (const key of pick) {
  const m = MODELS[key];
  const sessions = {
    f32: await load(`bench/models/${m.name}.yaml`, m.dims),
    casts: await load(`bench/dtypes/${m.name}_${suffix}.yaml`, m.dims, true),
    half: await load(`bench/dtypes/${m.name}_${suffix}.yaml`, m.dims),
  };
  const keys = Object.keys(sessions);
  for (let i = 0; i < 3; i++) for (const k of keys) await sessions[k].run();
  const t = Object.fromEntries(keys.map((k) => [k, { wall: [], cpu: [] }]));
  for (let i = 0; i < reps; i++) {
    // Each rotation starts with a different one, so none always follows the same neighbour.
    for (let j = 0; j < keys.length; j++) {
      const k = keys[(i + j) % keys.length];
      const c0 = process.cpuUsage(); const w0 = performance.now();
      await sessions[k].run();
      const w = performance.now() - w0; const c = process.cpuUsage(c0);
      t[k].wall.push(w); t[k].cpu.push((c.user + c.system) / 1000);
    }
  }
  for (const k of keys) await sessions[k].release();
  const row = (k) => ({ min: q(t[k].wall, 0), median: q(t[k].wall, 0.5), cpu_min: q(t[k].cpu, 0), cpu_median: q(t[k].cpu, 0.5) });
  const f = row("f32"), c = row("casts"), h = row("half");
  const ratios = (x) => ({ min: x.min / f.min, median: x.median / f.median, cpu_median: x.cpu_median / f.cpu_median });
  out[key] = { f32: f, [`${suffix}_cast_pairs`]: c, [suffix]: h, ratio_cast_pairs: ratios(c), ratio: ratios(h) };
  const r2 = (x) => x.toFixed(2);
  const line = (name, x) => `${name} min ${r2(x.min)} med ${r2(x.median)} cpu-med ${r2(x.cpu_median)}`;
  console.log(`${key}: ${line("f32", f)} | ${line(`${suffix} casts`, c)} | ${line(suffix, h)}`);
  console.log(`${key}: ratio to f32, cast pairs: min ${r2(c.min / f.min)} med ${r2(c.median / f.median)} cpu ${r2(c.cpu_median / f.cpu_median)}; now: min ${r2(h.min / f.min)} med ${r2(h.median / f.median)} cpu ${r2(h.cpu_median / f.cpu_median)}`);
}
const j = arg("json");
if (j) (await import("node:fs")).writeFileSync(j, JSON.stringify({ date: new Date().toISOString(), reps, results: out }, null, 1));
