#!/usr/bin/env node
/**
 * The benchmark suite: nnx-gen against raw onnxruntime-node (on nnx-gen's own exported graph),
 * PyTorch (CPU) and TensorFlow.js (wasm), one thread each, float32, on the three reference
 * models in bench/models and the shipped examples in fixtures/examples. See bench/README.md.
 *
 *   npm run build && node bench/run.js [--reps 3] [--duration 3] [--models reference|examples|models|all|cnn,mlp,...]
 *                                      [--skip nnx-gen,ort,ort-web,torch,tfjs,load] [--out bench/results/NAME.json]
 *                                      [--markdown FILE.md] [--quiet-wait SECONDS]
 *                                      [--wait-load 0.8 --wait-load-max 1500]
 *
 * Before timing, every runner is checked numerically: nnx-gen and the torch peer against a
 * float64 NumPy reference, tfjs against the same reference outputs, raw ORT against
 * `nnx-gen run` on the benchmark inputs. Runners then alternate process by process, so drift
 * on a shared machine hits all of them alike, and each timed process starts only once the
 * CPUs are nearly idle (or after --quiet-wait seconds; such runs are listed under "noisy").
 * Last, bench/load_time.mjs times session creation + parameter loading of ~100 MB models.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = "/usr/bin/python3"; // Debian's, with python3-torch; not a pyenv python first on PATH
/** The FP32 FMA peak of one core in the runtime notes (AVX-512, another host), for context. */
const NOTES_FMA_PEAK_GFLOPS = 205;

/**
 * What is compared: spec, the dims timed, and small dims for the numerical check against the
 * NumPy reference. `group` is "reference" (the three shapes with targets) or "examples".
 */
const MODEL_RUNNERS = ["nnx-gen", "nnx-gen (prepack on)", "torch (plain)", "torch (tuned malloc)", "ort-web (wasm)", "tfjs-wasm"];
const MODELS = {
  cnn: { group: "reference", spec: "bench/models/reference_cnn.yaml", dims: { batch: 8 }, checkDims: { batch: 2 } },
  mlp: { group: "reference", spec: "bench/models/reference_mlp.yaml", dims: { batch: 64 }, checkDims: { batch: 3 } },
  tiny_lm: { group: "reference", spec: "bench/models/reference_tiny_lm.yaml", dims: { batch: 4, seq: 128 }, checkDims: { batch: 2, seq: 16 } },
  tiny_cnn: { group: "examples", spec: "fixtures/examples/tiny_cnn.yaml", dims: { batch: 64 }, checkDims: { batch: 2 } },
  text_classifier: { group: "examples", spec: "fixtures/examples/text_classifier.yaml", dims: { batch: 32, seq: 128 }, checkDims: { batch: 2, seq: 8 } },
  tied_lm: { group: "examples", spec: "fixtures/examples/tied_lm.yaml", dims: { batch: 4, seq: 128 }, checkDims: { batch: 2, seq: 8 } },
  self_attention: { group: "examples", spec: "fixtures/examples/self_attention.yaml", dims: { batch: 8, seq: 128 }, checkDims: { batch: 2, seq: 8 } },
  segmenter: { group: "examples", spec: "fixtures/examples/segmenter.yaml", dims: { batch: 4, height: 128, width: 128 }, checkDims: { batch: 1, height: 16, width: 16 } },
  video_conv3d: { group: "examples", spec: "fixtures/examples/video_conv3d.yaml", dims: { batch: 4 }, checkDims: { batch: 1 } },
  // No NumPy reference for ConvTranspose, LayerNorm or MultiHeadAttention: the tfjs peer is
  // checked against `nnx-gen run` (native onnxruntime, itself checked against Flax by the
  // parity suites) at checkDims instead (`nativeCheck`).
  conv_decoder: { group: "examples", spec: "fixtures/examples/conv_decoder.yaml", dims: { batch: 32 }, checkDims: { batch: 2 }, nativeCheck: true },
  gpt_block: { group: "examples", spec: "fixtures/examples/gpt_block.yaml", dims: { batch: 1, seq: 128 }, checkDims: { batch: 2, seq: 8 }, nativeCheck: true },
  // Full-size architectures (issue 10): PyTorch runs them as hand-written modules
  // (bench/peers/torch_models.py, `torchModel`) on the same weights, checked against nnx-gen's
  // outputs on the benchmark inputs; only the runners listed are timed (a 500 MB model per process).
  // The browser comparison runs them too: tfjs-wasm as hand-written models on the same weights
  // (bench/peers/tfjs_models.mjs), checked against `nnx-gen run` (native) on the benchmark inputs.
  gpt2_small: { group: "models", spec: "fixtures/examples/gpt2_small.yaml", dims: { batch: 1, seq: 128 }, torchModel: "gpt2_small", only: MODEL_RUNNERS },
  vit_b16: { group: "models", spec: "fixtures/examples/vit_b16.yaml", dims: { batch: 1 }, torchModel: "vit_b16", only: MODEL_RUNNERS },
  resnet18: { group: "models", spec: "fixtures/examples/resnet18.yaml", dims: { batch: 8 }, torchModel: "resnet18", only: MODEL_RUNNERS },
  gemma_block: { group: "models", spec: "fixtures/examples/gemma_block.yaml", dims: { batch: 1, seq: 128 }, torchModel: "gemma_block", only: MODEL_RUNNERS },
};

/** Busy share of all CPUs over `ms`, from /proc/stat (Linux); 0 elsewhere. */
function cpuBusy(ms) {
  const read = () => {
    if (!existsSync("/proc/stat")) return undefined;
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  sleep(ms);
  const b = read();
  return a && b && b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const loadAvg1 = () => os.loadavg()[0];

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

/** Before the whole run: poll the 1-minute load average every 30 s until it is below `limit`. */
function waitLoad(limit, maxSeconds) {
  const until = Date.now() + maxSeconds * 1000;
  for (;;) {
    const l = loadAvg1();
    if (l < limit) return { reached: true, load: l };
    if (Date.now() >= until) return { reached: false, load: l };
    process.stderr.write(`load average ${l.toFixed(2)} >= ${limit}; waiting 30 s (up to ${Math.round((until - Date.now()) / 1000)} s more)\n`);
    sleep(30_000);
  }
}

const dimArgs = (dims) => Object.entries(dims).flatMap(([k, v]) => ["--dim", `${k}=${v}`]);
const fmtDims = (dims) => Object.entries(dims).map(([k, v]) => `${k}=${v}`).join(" ");

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 256 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) {
    const e = new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr || r.stdout}`);
    e.stderr = r.stderr;
    throw e;
  }
  return r.stdout;
}

/** A peer that refuses a layer it does not implement says so; anything else is a real failure. */
const unsupported = (e) => /not supported by the (torch |tfjs )?peers?|has no NumPy reference|the (torch|tfjs) peer (runs|pools)|is not available in tfjs/.test(e.stderr ?? "");
const firstLine = (e) => (e.stderr ?? e.message).trim().split("\n").at(-1).replace(/^(torch_peer|tfjs_peer): /, "");

async function main() {
  const { values: o } = parseArgs({
    options: {
      reps: { type: "string", default: "3" }, duration: { type: "string", default: "3" }, warmup: { type: "string", default: "5" },
      models: { type: "string", default: "all" }, skip: { type: "string", default: "" },
      out: { type: "string" }, markdown: { type: "string" }, "quiet-wait": { type: "string", default: "120" },
      "wait-load": { type: "string" }, "wait-load-max": { type: "string", default: "1500" },
      "load-reps": { type: "string", default: "5" },
    },
  });
  let stats, malloc, specLoad, runCli, npy, st;
  try {
    await import("../dist/node/host.js"); // the core's Node host, as the package root installs it
    stats = await import("../dist/bench/stats.js");
    malloc = await import("../dist/node/malloc_tuning.js");
    specLoad = await import("../dist/spec/load.js");
    runCli = await import("../dist/cli/run.js");
    npy = await import("../dist/io/npy.js");
    st = await import("../dist/io/safetensors.js");
  } catch {
    throw new Error("dist/ is missing or stale: run `npm run build` first");
  }
  const names =
    o.models === "all" ? Object.keys(MODELS)
    : o.models === "reference" || o.models === "examples" || o.models === "models" ? Object.keys(MODELS).filter((k) => MODELS[k].group === o.models)
    : o.models.split(",");
  for (const n of names) if (!MODELS[n]) throw new Error(`unknown model ${n}; known: ${Object.keys(MODELS).join(", ")} (or all, reference, examples)`);

  // PyTorch's and raw ORT's "tuned" runs get exactly the malloc settings nnx-gen's bench gives itself.
  const tunables = malloc.MALLOC_TUNABLES.map(([k, v]) => `${k}=${v}`).join(":");
  // Without malloc tuning or a forced OpenBLAS core type, whatever the caller's shell has set.
  const plainEnv = () => ({ GLIBC_TUNABLES: undefined, OPENBLAS_CORETYPE: undefined, [malloc.TUNED_MARK]: undefined, [malloc.OPT_OUT]: undefined });
  const skip = new Set(o.skip.split(",").filter(Boolean));
  const work = path.join(ROOT, "bench/.work");
  mkdirSync(work, { recursive: true });
  // A cache of its own, so the SGEMM peak is calibrated in this run, on a quiet machine.
  const cacheDir = path.join(work, "cache");
  rmSync(cacheDir, { recursive: true, force: true });
  const nnxEnv = (extra) => ({ ...plainEnv(), NNX_GEN_CACHE_DIR: cacheDir, ...extra });
  const timing = ["--warmup", o.warmup, "--duration", o.duration];

  let waited;
  if (o["wait-load"] !== undefined) {
    waited = waitLoad(Number(o["wait-load"]), Number(o["wait-load-max"]));
    if (!waited.reached) process.stderr.write(`warning: the load average stayed at ${waited.load.toFixed(2)}; measuring anyway\n`);
  }

  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    reps: Number(o.reps), duration_s: Number(o.duration), warmup: Number(o.warmup),
    load_average_at_start: os.loadavg(),
    ...(waited ? { waited_for_load: { limit: Number(o["wait-load"]), ...waited } } : {}),
    noisy: [], models: {}, peak: undefined, fma_peak: undefined, load_time: undefined,
  };

  // Calibrate the SGEMM peak once (cached for every later `nnx-gen bench` of this run).
  if (!skip.has("nnx-gen")) {
    waitQuiet(Number(o["quiet-wait"]));
    const out = path.join(work, "calibrate.json");
    run("node", ["bin/nnx-gen.js", "bench", MODELS.tiny_cnn.spec, "--seed", "0", "--dim", "batch=1", "--threads", "1", "--warmup", "1", "--iterations", "1", "--json", out], nnxEnv());
    report.peak = JSON.parse(readFileSync(out, "utf8")).peak;
    process.stderr.write(`calibrated SGEMM peak: ${report.peak?.gflops?.toFixed(1)} GFLOP/s (1 thread)\n`);
  }

  // This machine's FP32 FMA peak on one core, measured (bench/fma_peak.c), when a C compiler is there.
  report.fma_peak = measureFmaPeak(work, Number(o["quiet-wait"]));
  if (report.fma_peak) process.stderr.write(`FMA peak: ${report.fma_peak.gflops} GFLOP/s (1 core, ${report.fma_peak.isa})\n`);

  // Each runner returns {p50, ...} from one process run.
  const peerP50 = (stdout) => {
    const j = JSON.parse(stdout);
    return { p50: stats.latencyStats(j.samples_ms).p50, min: Math.min(...j.samples_ms), ...(j.cpu_samples_ms ? { cpu_p50: stats.latencyStats(j.cpu_samples_ms).p50 } : {}), conditions: j.conditions };
  };
  const runners = [];
  if (!skip.has("nnx-gen")) {
    const nnx = (m, env, extra = []) => {
      const out = path.join(work, `${m.name}.nnx.json`);
      run("node", ["bin/nnx-gen.js", "bench", m.spec, "--params", m.params, ...dimArgs(m.dims), "--threads", "1", ...extra, ...timing, "--json", out], env);
      const r = JSON.parse(readFileSync(out, "utf8")).results[0];
      return { p50: r.latency_ms.p50, min: r.latency_ms.min, gflops: r.gflops, flops: r.flops, peak_fraction: r.peak_fraction };
    };
    // `bench` re-executes itself with malloc tuning, as users get it; the opt-out shows the plain case.
    runners.push({ name: "nnx-gen", time: (m) => nnx(m, nnxEnv()) });
    runners.push({ name: "nnx-gen (plain malloc)", time: (m) => nnx(m, nnxEnv({ [malloc.OPT_OUT]: "1" })) });
    // What nnx-gen's own binding buys over running the same session through onnxruntime-node's.
    runners.push({ name: "nnx-gen (onnxruntime-node binding)", time: (m) => nnx(m, nnxEnv({ NNX_GEN_BINDING: "onnxruntime-node" })) });
    // The full-size models (`only` lists it): weights pre-packed whatever their size (`--prepack auto` leaves GPT-2 small unpacked).
    runners.push({ name: "nnx-gen (prepack on)", listedOnly: true, time: (m) => nnx(m, nnxEnv(), ["--prepack", "on"]) });
  }
  if (!skip.has("ort")) {
    const ortPeer = (m, env) =>
      peerP50(run("node", ["bench/peers/ort_peer.mjs", "--model", m.onnx, ...m.inputArgs, "--threads", "1", ...timing, "--name", m.name], env));
    runners.push({ name: "ort (plain)", time: (m) => ortPeer(m, plainEnv()) });
    runners.push({ name: "ort (tuned malloc)", time: (m) => ortPeer(m, { ...plainEnv(), GLIBC_TUNABLES: tunables }) });
  }
  // The wasm runtimes run on V8's optimizing tier from the first call (`--no-liftoff`): the code
  // a page runs once V8 has tiered up. With the default baseline-first tiering, onnxruntime-web's
  // 14 MB module takes longer than any warm-up here to tier up on a loaded 2-core machine, and
  // the background compiles land in the CPU samples (tied_lm: 44-164 ms CPU per run in one
  // process, 45-59 with the flag); tfjs-wasm's 0.4 MB module gets the same flag.
  const WASM_NODE = ["--no-liftoff"];
  if (!skip.has("ort-web")) {
    // nnx-gen/web's runtime: onnxruntime-web's wasm (SIMD, one thread) on the graph nnx-gen/web
    // builds (`export --target web`: the same model with the ops wasm runs fastest).
    runners.push({
      name: "ort-web (wasm)",
      time: (m) => peerP50(run("node", [...WASM_NODE, "bench/peers/ort_peer.mjs", "--runtime", "web", "--model", m.onnxWeb, ...m.inputArgs, "--threads", "1", ...timing, "--name", m.name], plainEnv())),
    });
    // What the web graph buys: onnxruntime-web on the native graph, where the two differ.
    runners.push({
      name: "ort-web (wasm), node graph",
      peer: "ort-web-node-graph",
      time: (m) => peerP50(run("node", [...WASM_NODE, "bench/peers/ort_peer.mjs", "--runtime", "web", "--model", m.onnx, ...m.inputArgs, "--threads", "1", ...timing, "--name", m.name], plainEnv())),
    });
  }
  const torch = (m, mode, glibcTunables = tunables) =>
    m.torchModel ? peerP50(run(PYTHON, ["bench/peers/torch_models.py", "--model", m.torchModel, "--params", m.params, ...m.inputArgs, "--threads", "1", "--malloc", mode, "--glibc-tunables", glibcTunables, "--warmup", o.warmup, "--duration", o.duration]))
    : peerP50(run(PYTHON, ["bench/peers/torch_peer.py", "--spec", m.spec, "--params", m.params, ...dimArgs(m.dims), "--threads", "1", "--malloc", mode, "--glibc-tunables", glibcTunables, ...timing]));
  if (!skip.has("torch")) {
    runners.push({ name: "torch (plain)", peer: "torch", time: (m) => torch(m, "plain") });
    runners.push({ name: "torch (tuned malloc)", peer: "torch", time: (m) => torch(m, "tuned") });
    // The runtime notes' full tuning: transparent huge pages for the heap as well.
    runners.push({ name: "torch (tuned + hugetlb)", peer: "torch", time: (m) => torch(m, "tuned", `${tunables}:glibc.malloc.hugetlb=1`) });
  }
  if (!skip.has("tfjs")) {
    runners.push({
      name: "tfjs-wasm",
      peer: "tfjs",
      time: (m) => peerP50(m.torchModel
        ? run("node", [...WASM_NODE, "bench/peers/tfjs_models.mjs", "--model", m.torchModel, "--params", m.params, ...m.inputArgs, "--warmup", o.warmup, "--duration", o.duration], plainEnv())
        : run("node", [...WASM_NODE, "bench/peers/tfjs_peer.mjs", "--spec", m.spec, "--params", m.params, ...dimArgs(m.dims), ...timing], plainEnv())),
    });
  }

  for (const name of names) {
    const m = { name, ...MODELS[name] };
    m.params = path.join(work, `${name}.safetensors`);
    m.onnx = path.join(work, `${name}.onnx`);
    m.onnxWeb = path.join(work, `${name}.web.onnx`);
    const ref = path.join(work, `${name}.reference.safetensors`);
    const skipped = {};

    // One set of parameters for everyone, from nnx-gen; the exported graph carries the same ones.
    run("node", ["bin/nnx-gen.js", "export", m.spec, "--format", "safetensors", "--seed", "0", "-o", m.params]);
    run("node", ["bin/nnx-gen.js", "export", m.spec, "--format", "onnx", "--params", m.params, "-o", m.onnx]);
    if (!skip.has("ort-web")) run("node", ["bin/nnx-gen.js", "export", m.spec, "--format", "onnx", "--target", "web", "--params", m.params, "-o", m.onnxWeb]);
    // The benchmark inputs, exactly as `nnx-gen bench` makes them (seed 0), as .npy files.
    const model = specLoad.checkSpecFile(path.join(ROOT, m.spec)).model;
    const inputs = runCli.randomInputs(model, {}, m.dims, 0);
    m.inputArgs = [];
    for (const [n, t] of Object.entries(inputs)) {
      const f = path.join(work, `${name}.input.${n}.npy`);
      writeFileSync(f, npy.writeNpy(t));
      m.inputArgs.push("--input", `${n}=${f}`);
    }

    // Checks. Raw ORT must reproduce `nnx-gen run` on the benchmark inputs.
    const outDir = path.join(work, `${name}.nnx-out`);
    run("node", ["bin/nnx-gen.js", "run", m.spec, "--params", m.params, ...m.inputArgs, "--out", outDir], plainEnv());
    run("node", ["bench/peers/ort_peer.mjs", "--model", m.onnx, ...m.inputArgs, "--check", outDir]);
    if (m.torchModel && !skip.has("torch")) {
      // The hand-written torch model against nnx-gen on the benchmark inputs: max|d| / max|torch| <= 1e-4.
      const torchOut = path.join(work, `${name}.torch-out`);
      run(PYTHON, ["bench/peers/torch_models.py", "--model", m.torchModel, "--params", m.params, ...m.inputArgs, "--out", torchOut]);
      for (const f of readdirSync(torchOut)) {
        const want = npy.readNpy(readFileSync(path.join(torchOut, f)), f);
        const got = npy.readNpy(readFileSync(path.join(outDir, f)), f);
        let diff = 0, scale = 0;
        for (let i = 0; i < want.data.length; i++) {
          diff = Math.max(diff, Math.abs(got.data[i] - want.data[i]));
          scale = Math.max(scale, Math.abs(want.data[i]));
        }
        if (got.shape.join() !== want.shape.join() || !(diff <= 1e-4 * scale)) throw new Error(`${name}: nnx-gen ${f} differs from the torch model (max abs diff ${diff}, scale ${scale})`);
      }
    }
    // The web graph on onnxruntime-web must reproduce it too (to float rounding: Winograd convolutions).
    if (!skip.has("ort-web")) {
      // Full-size models: 12 blocks of float32 rounding, the same bound as the torch check.
      run("node", ["bench/peers/ort_peer.mjs", "--runtime", "web", "--model", m.onnxWeb, ...m.inputArgs, "--check", outDir, ...(m.torchModel ? ["--tolerance", "1e-4"] : [])]);
      if (readFileSync(m.onnxWeb).equals(readFileSync(m.onnx))) skipped["ort-web-node-graph"] = "the web graph is the node graph";
    }
    // The torch peer against the float64 NumPy reference (small dims), which it also writes out.
    let haveRef = false;
    if (!m.torchModel) try {
      run(PYTHON, ["bench/peers/torch_peer.py", "--spec", m.spec, ...dimArgs(m.checkDims), "--params", m.params, "--check", "--write-reference", ref]);
      haveRef = true;
    } catch (e) {
      if (!unsupported(e)) throw e;
      skipped.torch = firstLine(e);
      // The NumPy reference may still cover the model even when torch does not.
      try {
        run(PYTHON, ["bench/peers/torch_peer.py", "--spec", m.spec, ...dimArgs(m.checkDims), "--params", m.params, "--reference-only", "--write-reference", ref]);
        haveRef = true;
      } catch {
        // no reference for this model
      }
    }
    if (haveRef) {
      // nnx-gen against the same reference.
      const refT = st.readSafetensors(readFileSync(ref), ref);
      const refIn = [];
      for (const [k, t] of refT) {
        if (!k.startsWith("input:")) continue;
        const f = path.join(work, `${name}.check.${k.slice(6)}.npy`);
        writeFileSync(f, npy.writeNpy(t));
        refIn.push("--input", `${k.slice(6)}=${f}`);
      }
      const checkOut = path.join(work, `${name}.check-out`);
      run("node", ["bin/nnx-gen.js", "run", m.spec, "--params", m.params, ...refIn, "--out", checkOut], plainEnv());
      for (const [k, want] of refT) {
        if (!k.startsWith("output:")) continue;
        const got = npy.readNpy(readFileSync(path.join(checkOut, `${k.slice(7)}.npy`)), k);
        let diff = 0, scale = 0;
        for (let i = 0; i < want.data.length; i++) {
          diff = Math.max(diff, Math.abs(got.data[i] - want.data[i]));
          scale = Math.max(scale, Math.abs(want.data[i]));
        }
        if (got.shape.join() !== want.shape.join() || !(diff <= 1e-4 * scale + 1e-6)) {
          throw new Error(`${name}: nnx-gen output ${k.slice(7)} differs from the NumPy reference (max abs diff ${diff}, scale ${scale})`);
        }
      }
    }
    if (!haveRef && m.nativeCheck && !skip.has("tfjs")) {
      // The reference is nnx-gen's own output on native onnxruntime, on inputs at checkDims.
      const checkIn = runCli.randomInputs(model, {}, m.checkDims, 1);
      const args = [];
      const tensors = new Map();
      for (const [n, t] of Object.entries(checkIn)) {
        const f = path.join(work, `${name}.check.${n}.npy`);
        writeFileSync(f, npy.writeNpy(t));
        args.push("--input", `${n}=${f}`);
        tensors.set(`input:${n}`, t);
      }
      const checkOut = path.join(work, `${name}.native-check-out`);
      run("node", ["bin/nnx-gen.js", "run", m.spec, "--params", m.params, ...args, "--out", checkOut], plainEnv());
      for (const f of readdirSync(checkOut)) tensors.set(`output:${f.replace(/\.npy$/, "")}`, npy.readNpy(readFileSync(path.join(checkOut, f)), f));
      writeFileSync(ref, st.writeSafetensors(tensors));
      haveRef = true;
      skipped["NumPy reference"] = "tfjs checked against nnx-gen run (native onnxruntime), not the NumPy reference";
    }
    if (!skip.has("tfjs") && m.torchModel) {
      run("node", ["bench/peers/tfjs_models.mjs", "--model", m.torchModel, "--params", m.params, ...m.inputArgs, "--check", outDir]);
    } else if (!skip.has("tfjs")) {
      if (!haveRef) skipped.tfjs ??= "no NumPy reference to check it against";
      else {
        try {
          run("node", ["bench/peers/tfjs_peer.mjs", "--spec", m.spec, ...dimArgs(m.checkDims), "--params", m.params, "--check", ref]);
        } catch (e) {
          if (!unsupported(e)) throw e;
          skipped.tfjs = firstLine(e);
        }
      }
    }
    process.stderr.write(`${name}: runners agree with the reference${Object.keys(skipped).length ? ` (skipped: ${Object.entries(skipped).map(([k, v]) => `${k}: ${v}`).join("; ")})` : ""}\n`);

    const active = runners.filter((r) => (!r.peer || !skipped[r.peer]) && (m.only ? m.only.includes(r.name) : !r.listedOnly));
    const results = Object.fromEntries(active.map((r) => [r.name, []]));
    for (let rep = 0; rep < report.reps; rep++) {
      for (const r of active) {
        if (!waitQuiet(Number(o["quiet-wait"]))) {
          report.noisy.push(`${name} rep ${rep + 1} ${r.name}`);
          process.stderr.write(`warning: the machine was still busy after ${o["quiet-wait"]} s; timing anyway\n`);
        }
        const load = loadAvg1();
        results[r.name].push({ ...r.time(m), load1: load });
        process.stderr.write(`${name} rep ${rep + 1}/${report.reps} ${r.name}: ${results[r.name].at(-1).p50.toFixed(2)} ms\n`);
      }
    }
    const summary = (v) => {
      const p50 = v.map((x) => x.p50);
      const s = { p50_ms: p50, median_ms: stats.percentile(p50, 50), best_ms: Math.min(...p50), load1: v.map((x) => x.load1) };
      // The fastest single run of all processes: on a loaded machine, the least disturbed one.
      if (v.every((x) => x.min !== undefined)) s.min_ms = Math.min(...v.map((x) => x.min));
      if (v[0].conditions) s.conditions = v[0].conditions;
      // The peers' CPU time per run (process.cpuUsage), less sensitive to other jobs than wall time.
      if (v[0].cpu_p50 !== undefined) s.cpu_median_ms = stats.percentile(v.map((x) => x.cpu_p50), 50);
      if (v[0].gflops !== undefined) {
        s.flops = v[0].flops;
        s.gflops_median = s.flops / s.median_ms / 1e6;
        if (report.peak) s.sgemm_peak_fraction_median = s.gflops_median / report.peak.gflops;
        if (report.fma_peak) s.fma_peak_fraction_median = s.gflops_median / report.fma_peak.gflops;
        s.notes_fma_peak_fraction_median = s.gflops_median / NOTES_FMA_PEAK_GFLOPS;
      }
      return s;
    };
    report.models[name] = {
      group: m.group, spec: m.spec, dims: m.dims, skipped,
      runners: Object.fromEntries(Object.entries(results).map(([r, v]) => [r, summary(v)])),
    };
    report.models[name].ratios = ratios(report.models[name].runners);
  }

  if (!skip.has("load")) {
    process.stderr.write("session creation + parameter loading (bench/load_time.mjs)\n");
    waitQuiet(Number(o["quiet-wait"]));
    report.load_time = JSON.parse(run("node", ["bench/load_time.mjs", "--reps", o["load-reps"], "--json"], plainEnv()));
  }

  const md = markdown(report);
  console.log(md);
  const out = o.out ?? path.join(ROOT, "bench/results", `${report.date.slice(0, 19).replace(/:/g, "-")}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`wrote ${path.relative(ROOT, out)}\n`);
  if (o.markdown) writeFileSync(o.markdown, `${md}\n`);
}

/** Ratios of medians (of per-process p50s). */
function ratios(r) {
  const med = (n) => r[n]?.median_ms;
  const q = (a, b) => (med(a) !== undefined && med(b) !== undefined ? med(a) / med(b) : undefined);
  const cpuQ = (a, b) => (r[a]?.cpu_median_ms && r[b]?.cpu_median_ms ? r[a].cpu_median_ms / r[b].cpu_median_ms : undefined);
  const torchBest = ["torch (plain)", "torch (tuned malloc)", "torch (tuned + hugetlb)"].filter((n) => med(n) !== undefined).sort((a, b) => med(a) - med(b))[0];
  return {
    // nnx-gen's overhead over serving the same exported graph with the same malloc settings.
    "nnx-gen / ort (tuned malloc)": q("nnx-gen", "ort (tuned malloc)"),
    "nnx-gen (plain malloc) / ort (plain)": q("nnx-gen (plain malloc)", "ort (plain)"),
    // What a user gets from the CLI against serving the export with onnxruntime-node as is.
    "nnx-gen / ort (plain)": q("nnx-gen", "ort (plain)"),
    // nnx-gen's own binding against onnxruntime-node's, same graph and settings.
    "nnx-gen / nnx-gen (onnxruntime-node binding)": q("nnx-gen", "nnx-gen (onnxruntime-node binding)"),
    // Time ratios against PyTorch at its best (<= 1.00 means nnx-gen is at least as fast).
    ...(torchBest ? { "nnx-gen / torch best": q("nnx-gen", torchBest), "torch best": torchBest, "speed-up over torch best": q(torchBest, "nnx-gen") } : {}),
    // The same by each runner's fastest single run (the less noise-sensitive measure when shared).
    ...(torchBest && r["nnx-gen"]?.min_ms !== undefined
      ? { "nnx-gen / torch best (fastest runs)": r["nnx-gen"].min_ms / Math.min(...["torch (plain)", "torch (tuned malloc)", "torch (tuned + hugetlb)"].map((n) => r[n]?.min_ms ?? Infinity)) }
      : {}),
    "speed-up over tfjs-wasm": q("tfjs-wasm", "nnx-gen"),
    // nnx-gen/web's runtime against the TensorFlow.js wasm peer (>= 1.00: at least as fast),
    // and against the native runtime (reported, not a target).
    "tfjs-wasm / ort-web (wasm)": q("tfjs-wasm", "ort-web (wasm)"),
    "tfjs-wasm / ort-web (wasm), CPU time": cpuQ("tfjs-wasm", "ort-web (wasm)"),
    // The web graph against the native graph, both on onnxruntime-web (> 1: the web graph is faster).
    "ort-web node graph / web graph": q("ort-web (wasm), node graph", "ort-web (wasm)"),
    "ort-web node graph / web graph, CPU time": cpuQ("ort-web (wasm), node graph", "ort-web (wasm)"),
    "ort-web (wasm) / ort (plain)": q("ort-web (wasm)", "ort (plain)"),
  };
}

/** Compile and run bench/fma_peak.c; undefined without a C compiler or AVX-512/FMA. */
function measureFmaPeak(work, quietWait) {
  const exe = path.join(work, "fma_peak");
  for (const cc of ["cc", "gcc", "clang"]) {
    const r = spawnSync(cc, ["-O2", "-mavx512f", "-mfma", "-o", exe, path.join(ROOT, "bench/fma_peak.c")], { encoding: "utf8" });
    if (r.status === 0) break;
  }
  if (!existsSync(exe)) return undefined;
  waitQuiet(quietWait);
  const r = spawnSync(exe, [], { encoding: "utf8" });
  if (r.status !== 0) return undefined; // e.g. no AVX-512 on this CPU
  const j = JSON.parse(r.stdout);
  const isa = Math.abs(j.avx512_gflops - j.avx2_gflops) <= 0.03 * j.avx2_gflops ? "AVX-512 and AVX2 alike" : j.avx512_gflops > j.avx2_gflops ? "AVX-512" : "AVX2";
  return { gflops: Math.max(j.avx512_gflops, j.avx2_gflops), isa, avx512_gflops: j.avx512_gflops, avx2_gflops: j.avx2_gflops, method: "bench/fma_peak.c: register-only FMA chains, fastest of 5 rounds" };
}

function machineInfo() {
  const cpus = os.cpus();
  let ortVersion, torchVersion;
  try {
    ortVersion = JSON.parse(readFileSync(path.join(ROOT, "node_modules/onnxruntime-node/package.json"), "utf8")).version;
  } catch { /* not installed */ }
  try {
    torchVersion = spawnSync(PYTHON, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" }).stdout.trim();
  } catch { /* no torch */ }
  return {
    cpu: cpus[0]?.model, cores: cpus.length, memory_gb: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`, hostname: os.hostname(), node: process.version,
    onnxruntime_node: ortVersion, torch: torchVersion,
  };
}

const f2 = (x) => (x === undefined ? "-" : x.toFixed(2));

/** The issue's targets, each with the measured value and whether it is met. */
function targets(report) {
  const lines = ["| target | model | measured | met |", "|---|---|---|---|"];
  const yes = (b) => (b ? "yes" : "**no**");
  for (const [name, r] of Object.entries(report.models)) {
    const q = r.ratios;
    for (const key of ["nnx-gen / ort (tuned malloc)", "nnx-gen (plain malloc) / ort (plain)"]) {
      if (q[key] !== undefined) lines.push(`| overhead over raw ORT <= 1.10 (${key}) | ${name} | ${q[key].toFixed(3)} | ${yes(q[key] <= 1.1)} |`);
    }
  }
  for (const [name, r] of Object.entries(report.models)) {
    const q = r.ratios;
    if (q["nnx-gen / torch best"] === undefined) continue;
    const t = q["nnx-gen / torch best"];
    lines.push(`| at least as fast as PyTorch at its best (${q["torch best"]}), time ratio <= 1.00; stretch <= 0.833 | ${name}${r.group === "reference" ? "" : " (example)"} | ${t.toFixed(3)} | ${yes(t <= 1)}${t <= 1 / 1.2 ? ", stretch met" : ""} |`);
    const f = q["nnx-gen / torch best (fastest runs)"];
    if (f !== undefined) lines.push(`| the same, fastest single runs | ${name} | ${f.toFixed(3)} | ${yes(f <= 1)} |`);
  }
  for (const name of ["mlp", "tiny_lm"]) {
    const v = report.models[name]?.runners["nnx-gen"];
    if (!v?.gflops_median) continue;
    if (v.sgemm_peak_fraction_median !== undefined) lines.push(`| matmul-heavy >= 60% of the calibrated SGEMM peak | ${name} | ${pct(v.sgemm_peak_fraction_median)} | ${yes(v.sgemm_peak_fraction_median >= 0.6)} |`);
    if (v.fma_peak_fraction_median !== undefined) lines.push(`| matmul-heavy >= 60% of the measured FMA peak | ${name} | ${pct(v.fma_peak_fraction_median)} | ${yes(v.fma_peak_fraction_median >= 0.6)} |`);
    lines.push(`| (context) share of the notes' 205 GFLOP/s | ${name} | ${pct(v.notes_fma_peak_fraction_median)} | ${yes(v.notes_fma_peak_fraction_median >= 0.6)} |`);
  }
  for (const [name, c] of Object.entries(report.load_time?.cases ?? {})) {
    lines.push(`| session creation + parameter loading < 1.2 s | ${name} (${(c.param_bytes / 1e6).toFixed(0)} MB) | ${(c.compile_ms.median / 1000).toFixed(2)} s | ${yes(c.meets_target)} |`);
  }
  return lines;
}

const pct = (x) => (x === undefined ? "-" : `${(100 * x).toFixed(0)}%`);

function markdown(report) {
  const out = [];
  out.push("| model | dims | runner | p50 ms: median of reps | best | GFLOP/s (median) | CPU ms per run (median of p50s) |", "|---|---|---|---|---|---|---|");
  for (const [name, r] of Object.entries(report.models)) {
    let first = true;
    for (const [runner, v] of Object.entries(r.runners)) {
      const gf = v.flops ? (v.flops / v.median_ms / 1e6).toFixed(1) : "";
      out.push(`| ${first ? name : ""} | ${first ? fmtDims(r.dims) : ""} | ${runner} | ${f2(v.median_ms)} | ${f2(v.best_ms)} | ${gf} | ${f2(v.cpu_median_ms)} |`);
      first = false;
    }
  }
  out.push("", "| model | nnx-gen / ort (tuned) | nnx-gen (plain) / ort (plain) | nnx-gen / ort (plain) | nnx-gen / its run on onnxruntime-node's binding | nnx-gen / torch best | torch best / nnx-gen | tfjs / nnx-gen |", "|---|---|---|---|---|---|---|---|");
  for (const [name, r] of Object.entries(report.models)) {
    const q = r.ratios;
    out.push(`| ${name} | ${f2(q["nnx-gen / ort (tuned malloc)"])} | ${f2(q["nnx-gen (plain malloc) / ort (plain)"])} | ${f2(q["nnx-gen / ort (plain)"])} | ${f2(q["nnx-gen / nnx-gen (onnxruntime-node binding)"])} | ${f2(q["nnx-gen / torch best"])} | ${f2(q["speed-up over torch best"])} | ${f2(q["speed-up over tfjs-wasm"])} |`);
  }
  // The browser runtime (nnx-gen/web): onnxruntime-web wasm against the TensorFlow.js wasm peer.
  out.push("", "| model | tfjs-wasm / ort-web (wasm) (>= 1: ort-web at least as fast) | the same, CPU time | web graph speed-up on ort-web (node graph / web graph) | the same, CPU time | ort-web (wasm) / native ort (plain) (reported, not a target) |", "|---|---|---|---|---|---|");
  for (const [name, r] of Object.entries(report.models)) {
    const q = r.ratios;
    out.push(`| ${name} | ${f2(q["tfjs-wasm / ort-web (wasm)"])} | ${f2(q["tfjs-wasm / ort-web (wasm), CPU time"])} | ${f2(q["ort-web node graph / web graph"])} | ${f2(q["ort-web node graph / web graph, CPU time"])} | ${f2(q["ort-web (wasm) / ort (plain)"])} |`);
  }
  if (report.peak || report.fma_peak) {
    out.push(
      "",
      `Peaks (1 core, FP32): calibrated SGEMM ${report.peak ? `${report.peak.gflops.toFixed(1)} GFLOP/s (nnx-gen's calibration: ${report.peak.method})` : "-"}; ` +
        `measured FMA peak ${report.fma_peak ? `${report.fma_peak.gflops} GFLOP/s (${report.fma_peak.isa}; AVX-512 ${report.fma_peak.avx512_gflops}, AVX2 ${report.fma_peak.avx2_gflops})` : "-"}; ` +
        `the runtime notes' FMA peak ${NOTES_FMA_PEAK_GFLOPS} GFLOP/s (for context).`,
      "",
      "| model | nnx-gen GFLOP/s (median) | share of calibrated SGEMM peak | share of measured FMA peak | share of the notes' 205 GFLOP/s |",
      "|---|---|---|---|---|",
    );
    for (const [name, r] of Object.entries(report.models)) {
      const v = r.runners["nnx-gen"];
      if (v?.gflops_median !== undefined) out.push(`| ${name} | ${v.gflops_median.toFixed(1)} | ${pct(v.sgemm_peak_fraction_median)} | ${pct(v.fma_peak_fraction_median)} | ${pct(v.notes_fma_peak_fraction_median)} |`);
    }
  }
  out.push("", ...targets(report));
  const skips = Object.entries(report.models).flatMap(([n, r]) => Object.entries(r.skipped).map(([p, why]) => `- ${n}: ${p} skipped: ${why}`));
  if (skips.length) out.push("", ...skips);
  if (report.load_time) out.push("", report.load_time.markdown);
  out.push("", `Noisy timed processes (machine still busy after the quiet wait): ${report.noisy.length}; load average at start ${report.load_average_at_start.map((x) => x.toFixed(2)).join(", ")}.`);
  return out.join("\n");
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
