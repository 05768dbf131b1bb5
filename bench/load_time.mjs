#!/usr/bin/env node
/**
 * Session creation + parameter loading for ~100 MB models: the time of `compileModel` from a
 * .safetensors file (read + validate + lower to ONNX + session creation on the default
 * binding, nnx-gen's own when built), each
 * repetition in a fresh process (the file itself is in the page cache, as on any second run).
 * Target: under 1.2 s for 100 MB.
 *
 *   npm run build && node bench/load_time.mjs [--reps 5] [--json]
 *
 * Models: bench/models/load_embed_100mb.yaml (one Embed table of 102.4 MB) and
 * bench/models/reference_mlp.yaml (three Linear layers, 100.7 MB, pre-packed by ORT).
 * Per repetition it also times, in separate fresh processes, the phases one by one
 * (resolveParams, lowerModel, backend.load) and plain onnxruntime-node creating a session
 * from the exported .onnx file with the same options, for comparison.
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
};

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const dist = (p) => import(pathToFileURL(path.join(ROOT, "dist", p)).href);

/** In a fresh process: one measurement, printed as JSON. */
async function child(mode, name) {
  const c = CASES[name];
  const params = path.join(WORK, `load.${name}.safetensors`);
  const t00 = process.hrtime.bigint();
  if (mode === "raw") {
    const ort = (await import("onnxruntime-node")).default;
    const startup = ms(t00);
    const t0 = process.hrtime.bigint();
    const session = await ort.InferenceSession.create(path.join(WORK, `load.${name}.onnx`), {
      graphOptimizationLevel: "all", intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", logSeverityLevel: 3,
    });
    const create = ms(t0);
    await session.release();
    return { startup_ms: startup, total_ms: create };
  }
  await dist("node/host.js"); // the core's Node host, as the package root installs it
  const [{ checkSpecFile }, { compileModel }, { defaultBackend }, { resolveParams }, { lowerModel }] = await Promise.all([
    dist("spec/load.js"), dist("runtime/model.js"), dist("runtime/backend.js"), dist("params/store.js"), dist("runtime/lower.js"),
  ]);
  const backend = await defaultBackend(); // loads the runtime: start-up, not load time
  const startup = ms(t00);
  if (mode === "compile") {
    const t0 = process.hrtime.bigint();
    const model = checkSpecFile(path.join(ROOT, c.spec)).model;
    const compiled = await compileModel(model, { params }, { backend, threads: 1 });
    const total = ms(t0);
    await compiled.release();
    return { startup_ms: startup, total_ms: total };
  }
  // mode === "phases"
  const t0 = process.hrtime.bigint();
  const model = checkSpecFile(path.join(ROOT, c.spec)).model;
  const check = ms(t0);
  let t = process.hrtime.bigint();
  const p = await resolveParams(model, { params });
  const read = ms(t);
  t = process.hrtime.bigint();
  const built = lowerModel(model, p);
  const lower = ms(t);
  t = process.hrtime.bigint();
  const session = await backend.load(built.bytes, { threads: 1, externalData: built.externalData });
  const create = ms(t);
  await session.release();
  return { startup_ms: startup, check_ms: check, read_validate_ms: read, lower_ms: lower, create_ms: create, total_ms: ms(t0) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function spawnChild(mode, name) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", mode, "--case", name], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`load_time child ${mode} ${name} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function main() {
  const { values: o } = parseArgs({
    options: { reps: { type: "string", default: "5" }, cases: { type: "string" }, json: { type: "boolean", default: false }, child: { type: "string" }, case: { type: "string" } },
  });
  if (o.child) {
    console.log(JSON.stringify(await child(o.child, o.case)));
    return;
  }
  mkdirSync(WORK, { recursive: true });
  const report = { target_s: TARGET_S, reps: Number(o.reps), cases: {} };
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
    for (let i = 0; i < report.reps; i++) for (const mode of Object.keys(runs)) runs[mode].push(spawnChild(mode, name));
    const med = (mode, key) => median(runs[mode].map((r) => r[key]));
    report.cases[name] = {
      spec: c.spec,
      param_bytes: statSync(params).size,
      compile_ms: { median: med("compile", "total_ms"), best: Math.min(...runs.compile.map((r) => r.total_ms)), all: runs.compile.map((r) => r.total_ms) },
      phases_ms: Object.fromEntries(["check_ms", "read_validate_ms", "lower_ms", "create_ms", "total_ms"].map((k) => [k.replace(/_ms$/, ""), med("phases", k)])),
      raw_ort_create_from_onnx_ms: { median: med("raw", "total_ms"), best: Math.min(...runs.raw.map((r) => r.total_ms)) },
      startup_ms: { nnx_gen_and_ort: med("compile", "startup_ms"), ort_only: med("raw", "startup_ms") },
    };
    report.cases[name].meets_target = report.cases[name].compile_ms.median / 1000 < TARGET_S;
  }
  report.markdown = markdown(report);
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else console.log(report.markdown);
}

function markdown(r) {
  const lines = [
    `Session creation + parameter loading (\`compileModel\` from .safetensors, fresh process each, median of ${r.reps}; target < ${r.target_s} s):`,
    "",
    "| model | param MB | compileModel ms: median (best) | read + validate | lower | session creation | raw ORT create from .onnx file | target met |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const [name, c] of Object.entries(r.cases)) {
    lines.push(`| ${name} | ${(c.param_bytes / 1e6).toFixed(1)} | ${c.compile_ms.median.toFixed(0)} (${c.compile_ms.best.toFixed(0)}) | ${c.phases_ms.read_validate.toFixed(0)} | ${c.phases_ms.lower.toFixed(0)} | ${c.phases_ms.create.toFixed(0)} | ${c.raw_ort_create_from_onnx_ms.median.toFixed(0)} | ${c.meets_target ? "yes" : "no"} |`);
  }
  const s = Object.values(r.cases)[0]?.startup_ms;
  if (s) lines.push("", `Not included: process start-up with nnx-gen and onnxruntime-node loaded, ${s.nnx_gen_and_ort.toFixed(0)} ms (onnxruntime-node alone ${s.ort_only.toFixed(0)} ms).`);
  return lines.join("\n");
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});

