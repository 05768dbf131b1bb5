#!/usr/bin/env node
/**
 * Session creation + parameter loading: the time of `compileModel` from a .safetensors file
 * (read + validate + lower to ONNX + session creation on the default binding, nnx-gen's own
 * when built), each repetition in a fresh process (the file itself is in the page cache, as
 * on any second run). Targets: under 1.2 s for 100 MB; GPT-2 small (500 MB) within 2 s, at
 * most 1.5x raw onnxruntime creating a session from the exported file, peak memory under 2x
 * the parameter bytes.
 *
 *   npm run build && node bench/load_time.mjs [--reps 5] [--cases gpt2_small,tied_lm_173mb] [--prepack auto|on|off] [--json]
 *
 * --prepack is compileModel's choice (default auto: GPT-2 small's weights are not pre-packed,
 * see src/runtime/prepack.ts); raw ORT always pre-packs (its default).
 *
 * Models: bench/models/load_embed_100mb.yaml (one Embed table of 102.4 MB),
 * bench/models/reference_mlp.yaml (three Linear layers, 100.7 MB, pre-packed by ORT),
 * bench/models/load_tied_lm_173mb.yaml (GPT-2's tied 50257 x 768 table around one MLP) and
 * fixtures/examples/gpt2_small.yaml (124,439,808 params, 498 MB).
 * Per repetition it also times, in separate fresh processes, the phases one by one
 * (resolveParams, lowerModel, backend.load) and plain onnxruntime-node creating a session
 * from the exported .onnx file (its default options, one thread as nnx-gen), for comparison;
 * the three are alternated. Each process reports wall time, CPU time (user + system) and its
 * peak resident set (getrusage maxrss, what `/usr/bin/time -v` prints).
 * Start-up (node, loading nnx-gen and onnxruntime-node) is reported apart, not in the total.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WORK = path.join(ROOT, "bench/.work");
const TARGET_S = 1.2;
const CASES = {
  embed_100mb: { spec: "bench/models/load_embed_100mb.yaml", dims: { batch: 1, seq: 16 } },
  mlp_100mb: { spec: "bench/models/reference_mlp.yaml", dims: { batch: 1 } },
  tied_lm_173mb: { spec: "bench/models/load_tied_lm_173mb.yaml", dims: { batch: 1, seq: 128 } },
  gpt2_small: { spec: "fixtures/examples/gpt2_small.yaml", dims: { batch: 1, seq: 128 } },
};

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const dist = (p) => import(pathToFileURL(path.join(ROOT, "dist", p)).href);

/** In a fresh process: one measurement, printed as JSON. */
async function child(mode, name, prepack) {
  const c = CASES[name];
  const params = path.join(WORK, `load.${name}.safetensors`);
  const t00 = process.hrtime.bigint();
  if (mode === "raw") {
    const ort = (await import("onnxruntime-node")).default;
    const startup = ms(t00);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    // onnxruntime-node's defaults (graph optimization "all", arena, pre-packing), one thread as nnx-gen.
    const session = await ort.InferenceSession.create(path.join(WORK, `load.${name}.onnx`), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const create = ms(t0);
    const cpu = cpuMs(c0);
    await session.release();
    return { startup_ms: startup, total_ms: create, cpu_ms: cpu, ...memory() };
  }
  await dist("node/host.js"); // the core's Node host, as the package root installs it
  const [{ checkSpecFile }, { compileModel }, { defaultBackend }, { resolveParams }, { lowerModel }, { prepackWeights }, { modelParamBytes }] = await Promise.all([
    dist("spec/load.js"), dist("runtime/model.js"), dist("runtime/backend.js"), dist("params/store.js"), dist("runtime/lower.js"), dist("runtime/prepack.js"), dist("runtime/budget.js"),
  ]);
  const backend = await defaultBackend(); // loads the runtime: start-up, not load time
  const startup = ms(t00);
  const startupRss = memory().rss_mb;
  if (mode === "compile") {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const model = checkSpecFile(path.join(ROOT, c.spec)).model;
    const compiled = await compileModel(model, { params }, { backend, threads: 1, prepack });
    const total = ms(t0);
    const cpu = cpuMs(c0);
    await compiled.release();
    return { startup_ms: startup, total_ms: total, cpu_ms: cpu, ...memory(), startup_rss_mb: startupRss };
  }
  // mode === "phases"
  const t0 = process.hrtime.bigint();
  const model = checkSpecFile(path.join(ROOT, c.spec)).model;
  const check = ms(t0);
  let t = process.hrtime.bigint();
  const p = await resolveParams(model, { params });
  const read = ms(t);
  t = process.hrtime.bigint();
  // As compileModel builds it for this backend.
  const built = lowerModel(model, p, { mappedFiles: backend.mapsExternalFiles === true, fuseTransposedWeights: backend.ortContribOps === true });
  const lower = ms(t);
  t = process.hrtime.bigint();
  const session = await backend.load(built.bytes, {
    threads: 1,
    externalData: built.externalData,
    ...(built.externalDir ? { externalDir: built.externalDir } : {}),
    prepackWeights: prepackWeights(prepack, modelParamBytes(model)),
  });
  const create = ms(t);
  await session.release();
  return { startup_ms: startup, check_ms: check, read_validate_ms: read, lower_ms: lower, create_ms: create, total_ms: ms(t0) };
}

const cpuMs = (c0) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
/** Peak and current resident set of this process, MB (1e6 bytes). */
const memory = () => ({ max_rss_mb: (process.resourceUsage().maxRSS * 1024) / 1e6, rss_mb: process.memoryUsage().rss / 1e6 });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function spawnChild(mode, name, prepack) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", mode, "--case", name, "--prepack", prepack], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`load_time child ${mode} ${name} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function main() {
  const { values: o } = parseArgs({
    options: {
      reps: { type: "string", default: "5" }, cases: { type: "string" }, json: { type: "boolean", default: false }, child: { type: "string" }, case: { type: "string" },
      prepack: { type: "string", default: "auto" },
    },
  });
  if (o.child) {
    console.log(JSON.stringify(await child(o.child, o.case, o.prepack)));
    return;
  }
  mkdirSync(WORK, { recursive: true });
  const report = { target_s: TARGET_S, reps: Number(o.reps), prepack: o.prepack, cases: {} };
  const selected = o.cases ? o.cases.split(",") : Object.keys(CASES);
  for (const name of selected) {
    const c = CASES[name];
    if (!c) throw new Error(`unknown case ${name}; cases: ${Object.keys(CASES).join(", ")}`);
    const params = path.join(WORK, `load.${name}.safetensors`);
    const onnx = path.join(WORK, `load.${name}.onnx`);
    const cli = (args) => {
      const r = spawnSync(process.execPath, ["bin/nnx-gen.js", ...args], { cwd: ROOT, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`nnx-gen ${args.join(" ")} failed:\n${r.stderr}`);
    };
    if (!existsSync(params)) cli(["export", c.spec, "--format", "safetensors", "--seed", "0", "-o", params]);
    cli(["export", c.spec, "--format", "onnx", "--params", params, "-o", onnx]);
    readFileSync(params); // into the page cache
    readFileSync(onnx);
    const runs = { compile: [], phases: [], raw: [] };
    for (let i = 0; i < report.reps; i++) for (const mode of Object.keys(runs)) runs[mode].push(spawnChild(mode, name, o.prepack));
    const med = (mode, key) => median(runs[mode].map((r) => r[key]));
    const paramBytes = statSync(params).size;
    const r = (report.cases[name] = {
      spec: c.spec,
      param_bytes: paramBytes,
      onnx_bytes: statSync(onnx).size,
      compile_ms: { median: med("compile", "total_ms"), best: Math.min(...runs.compile.map((r) => r.total_ms)), all: runs.compile.map((r) => r.total_ms) },
      compile_cpu_ms: { median: med("compile", "cpu_ms"), all: runs.compile.map((r) => r.cpu_ms) },
      compile_max_rss_mb: { median: med("compile", "max_rss_mb"), baseline_startup: med("compile", "startup_rss_mb") },
      phases_ms: Object.fromEntries(["check_ms", "read_validate_ms", "lower_ms", "create_ms", "total_ms"].map((k) => [k.replace(/_ms$/, ""), med("phases", k)])),
      raw_ort_create_from_onnx_ms: { median: med("raw", "total_ms"), best: Math.min(...runs.raw.map((r) => r.total_ms)), all: runs.raw.map((r) => r.total_ms) },
      raw_ort_cpu_ms: { median: med("raw", "cpu_ms"), all: runs.raw.map((r) => r.cpu_ms) },
      raw_ort_max_rss_mb: { median: med("raw", "max_rss_mb") },
      startup_ms: { nnx_gen_and_ort: med("compile", "startup_ms"), ort_only: med("raw", "startup_ms") },
    });
    r.ratio_to_raw_ort = { wall: r.compile_ms.median / r.raw_ort_create_from_onnx_ms.median, cpu: r.compile_cpu_ms.median / r.raw_ort_cpu_ms.median };
    r.peak_rss_over_param_bytes = (r.compile_max_rss_mb.median * 1e6) / paramBytes;
    // GPT-2 small: issue 10's three targets; the others: 1.2 s per 100 MB.
    r.target_s = name === "gpt2_small" ? 2 : TARGET_S * Math.max(1, paramBytes / 1e8);
    r.meets_target = r.compile_ms.median / 1000 < r.target_s && (name !== "gpt2_small" || (r.ratio_to_raw_ort.wall <= 1.5 && r.peak_rss_over_param_bytes < 2));
  }
  report.markdown = markdown(report);
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else console.log(report.markdown);
}

function markdown(r) {
  const lines = [
    `Session creation + parameter loading (\`compileModel\` from .safetensors with \`prepack: "${r.prepack}"\`, fresh process each, median of ${r.reps}; raw ORT = onnxruntime-node creating a session from the exported .onnx file):`,
    "",
    "| model | param MB | compileModel ms: median (best) | CPU ms | read + validate | lower | session creation | raw ORT ms (CPU ms) | ratio to raw ORT: wall (CPU) | peak RSS MB (x param bytes) | raw ORT peak RSS MB | target met |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  const f = (x) => x.toFixed(0);
  for (const [name, c] of Object.entries(r.cases)) {
    lines.push(
      `| ${name} | ${(c.param_bytes / 1e6).toFixed(1)} | ${f(c.compile_ms.median)} (${f(c.compile_ms.best)}) | ${f(c.compile_cpu_ms.median)} | ${f(c.phases_ms.read_validate)} | ${f(c.phases_ms.lower)} | ${f(c.phases_ms.create)} | ${f(c.raw_ort_create_from_onnx_ms.median)} (${f(c.raw_ort_cpu_ms.median)}) | ${c.ratio_to_raw_ort.wall.toFixed(2)} (${c.ratio_to_raw_ort.cpu.toFixed(2)}) | ${f(c.compile_max_rss_mb.median)} (${c.peak_rss_over_param_bytes.toFixed(2)}) | ${f(c.raw_ort_max_rss_mb.median)} | ${c.meets_target ? "yes" : "no"} (< ${c.target_s.toFixed(1)} s) |`,
    );
  }
  const s = Object.values(r.cases)[0]?.startup_ms;
  if (s) lines.push("", `Not included: process start-up with nnx-gen and onnxruntime-node loaded, ${f(s.nnx_gen_and_ort)} ms (onnxruntime-node alone ${f(s.ort_only)} ms).`);
  return lines.join("\n");
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});

