#!/usr/bin/env node
/**
 * The benchmark suite: nnx-gen against PyTorch (CPU) and TensorFlow.js (wasm) on the three
 * reference models in bench/models, one thread each. See bench/README.md.
 *
 *   npm run build && node bench/run.js [--reps 3] [--duration 3] [--models cnn,mlp,tiny_lm]
 *                                      [--skip torch,tfjs,nnx-gen] [--out bench/results/NAME.json]
 *                                      [--quiet-wait SECONDS]
 *
 * Before timing, each peer is checked numerically: torch against a NumPy reference, tfjs
 * against the same reference outputs, all on the same parameters. Runners then alternate
 * process by process, so drift on a shared machine hits all of them alike, and each timed
 * process starts only once the CPUs are nearly idle (or after --quiet-wait seconds; such runs
 * are listed under "noisy" in the result file).
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = "/usr/bin/python3"; // Debian's, with python3-torch; not a pyenv python first on PATH

/** The reference shapes: spec, the dims compared, and small dims for the numerical check. */
const MODELS = {
  cnn: { spec: "bench/models/reference_cnn.yaml", dims: { batch: 8 }, checkDims: { batch: 2 } },
  mlp: { spec: "bench/models/reference_mlp.yaml", dims: { batch: 64 }, checkDims: { batch: 3 } },
  tiny_lm: { spec: "bench/models/reference_tiny_lm.yaml", dims: { batch: 4, seq: 128 }, checkDims: { batch: 2, seq: 16 } },
};

/** Busy share of all CPUs over `ms`, from /proc/stat (Linux); 0 elsewhere. */
function cpuBusy(ms) {
  const read = () => {
    if (!existsSync("/proc/stat")) return undefined;
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const b = read();
  return a && b && b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
}

/**
 * On a shared machine another job's burst would land in one runner's numbers only. Wait
 * (up to `maxSeconds`) until the CPUs are nearly idle before starting a timed process.
 */
function waitQuiet(maxSeconds) {
  const until = Date.now() + maxSeconds * 1000;
  let busy = cpuBusy(500);
  while (busy > 0.1 && Date.now() < until) busy = cpuBusy(1000);
  return busy <= 0.1;
}

const dimArgs = (dims) => Object.entries(dims).flatMap(([k, v]) => ["--dim", `${k}=${v}`]);

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 256 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Whether the built CLI lists this command yet (the suite also runs before the CLI is complete). */
let cliHelp;
function nnxGenHas(command) {
  if (cliHelp === undefined) {
    const r = existsSync(path.join(ROOT, "bin/nnx-gen.js"))
      ? spawnSync("node", ["bin/nnx-gen.js", "--help"], { cwd: ROOT, encoding: "utf8" })
      : undefined;
    cliHelp = r?.status === 0 ? r.stdout : "";
  }
  return new RegExp(`^\\s+${command}\\b`, "m").test(cliHelp);
}

async function main() {
  const { values: o } = parseArgs({
    options: {
      reps: { type: "string", default: "3" }, duration: { type: "string", default: "3" }, warmup: { type: "string", default: "5" },
      models: { type: "string", default: Object.keys(MODELS).join(",") }, skip: { type: "string", default: "" },
      out: { type: "string" }, "quiet-wait": { type: "string", default: "120" },
    },
  });
  let stats, malloc;
  try {
    stats = await import("../dist/bench/stats.js");
    malloc = await import("../dist/runtime/malloc_tuning.js");
  } catch {
    throw new Error("dist/ is missing or stale: run `npm run build` first");
  }
  // PyTorch's "tuned" runs get exactly the malloc settings nnx-gen's bench gives itself.
  const tunables = malloc.MALLOC_TUNABLES.map(([k, v]) => `${k}=${v}`).join(":");
  // Without malloc tuning or a forced OpenBLAS core type, whatever the caller's shell has set.
  const plainEnv = () => ({ GLIBC_TUNABLES: undefined, OPENBLAS_CORETYPE: undefined, [malloc.TUNED_MARK]: undefined });
  const skip = new Set(o.skip.split(",").filter(Boolean));
  const work = path.join(ROOT, "bench/.work");
  mkdirSync(work, { recursive: true });
  const timing = ["--warmup", o.warmup, "--duration", o.duration];

  // Each runner returns the median latency (ms) of one process run.
  const peerP50 = (stdout) => stats.latencyStats(JSON.parse(stdout).samples_ms).p50;
  const runners = [];
  if (!skip.has("nnx-gen") && nnxGenHas("bench")) {
    const nnx = (m, params, env) => {
      const out = path.join(work, `${m.name}.nnx.json`);
      run("node", ["bin/nnx-gen.js", "bench", m.spec, "--params", params, ...dimArgs(m.dims), "--threads", "1", ...timing, "--json", out], env);
      return JSON.parse(readFileSync(out, "utf8")).results[0].latency_ms.p50;
    };
    // `bench` re-executes itself with malloc tuning, as users get it; the opt-out shows the plain case.
    runners.push({ name: "nnx-gen", time: (m, p) => nnx(m, p, plainEnv()) });
    runners.push({ name: "nnx-gen (plain malloc)", time: (m, p) => nnx(m, p, { ...plainEnv(), [malloc.OPT_OUT]: "1" }) });
  }
  const torch = (m, params, mode) =>
    peerP50(run(PYTHON, ["bench/peers/torch_peer.py", "--spec", m.spec, "--params", params, ...dimArgs(m.dims), "--threads", "1", "--malloc", mode, "--glibc-tunables", tunables, ...timing]));
  if (!skip.has("torch")) {
    runners.push({ name: "torch (plain)", time: (m, p) => torch(m, p, "plain") });
    runners.push({ name: "torch (tuned malloc)", time: (m, p) => torch(m, p, "tuned") });
  }
  if (!skip.has("tfjs")) {
    runners.push({
      name: "tfjs-wasm",
      time: (m, p) => peerP50(run("node", ["bench/peers/tfjs_peer.mjs", "--spec", m.spec, "--params", p, ...dimArgs(m.dims), ...timing], plainEnv())),
    });
  }

  const noisy = [];
  const report = { date: new Date().toISOString(), reps: Number(o.reps), duration_s: Number(o.duration), noisy, models: {} };
  for (const name of o.models.split(",")) {
    const m = { name, ...MODELS[name] };
    if (!MODELS[name]) throw new Error(`unknown model ${name}; known: ${Object.keys(MODELS).join(", ")}`);
    const params = path.join(work, `${name}.safetensors`);
    const ref = path.join(work, `${name}.reference.safetensors`);
    // Parameters come from nnx-gen when it is built, so the peers also prove they read its names.
    const fromNnxGen = nnxGenHas("export");
    if (fromNnxGen) run("node", ["bin/nnx-gen.js", "export", m.spec, "--format", "safetensors", "--seed", "0", "-o", params]);
    const checkArgs = ["--spec", m.spec, ...dimArgs(m.checkDims), "--check", "--write-reference", ref];
    run(PYTHON, ["bench/peers/torch_peer.py", ...checkArgs, ...(fromNnxGen ? ["--params", params] : ["--save-params", params])]);
    if (!skip.has("tfjs")) run("node", ["bench/peers/tfjs_peer.mjs", "--spec", m.spec, ...dimArgs(m.checkDims), "--params", params, "--check", ref]);
    process.stderr.write(`${name}: peers match the NumPy reference\n`);

    const p50s = Object.fromEntries(runners.map((r) => [r.name, []]));
    for (let rep = 0; rep < report.reps; rep++) {
      for (const r of runners) {
        if (!waitQuiet(Number(o["quiet-wait"]))) {
          noisy.push(`${name} rep ${rep + 1} ${r.name}`);
          process.stderr.write(`warning: the machine was still busy after ${o["quiet-wait"]} s; timing anyway\n`);
        }
        p50s[r.name].push(r.time(m, params));
        process.stderr.write(`${name} rep ${rep + 1}/${report.reps} ${r.name}: ${p50s[r.name].at(-1).toFixed(2)} ms\n`);
      }
    }
    report.models[name] = {
      dims: m.dims,
      runners: Object.fromEntries(Object.entries(p50s).map(([r, v]) => [r, { p50_ms: v, median_ms: stats.percentile(v, 50), best_ms: Math.min(...v) }])),
    };
  }

  const lines = ["| model | dims | runner | median of p50 (ms) | best p50 (ms) |", "|---|---|---|---|---|"];
  for (const [name, r] of Object.entries(report.models)) {
    const dims = Object.entries(r.dims).map(([k, v]) => `${k}=${v}`).join(" ");
    for (const [runner, v] of Object.entries(r.runners)) lines.push(`| ${name} | ${dims} | ${runner} | ${v.median_ms.toFixed(2)} | ${v.best_ms.toFixed(2)} |`);
  }
  console.log(lines.join("\n"));
  const out = o.out ?? path.join(ROOT, "bench/results", `${report.date.slice(0, 19).replace(/:/g, "-")}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`wrote ${path.relative(ROOT, out)}\n`);
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
