#!/usr/bin/env node
/**
 * Raw onnxruntime-node peer for the nnx-gen benchmark suite: loads a `.onnx` file written by
 * `nnx-gen export --format onnx` with plain onnxruntime-node at its best one-thread settings and
 * times `session.run`. Nothing of nnx-gen is loaded in this process: this is what a user gets
 * from serving the exported graph directly, so nnx-gen's time over this one is its overhead.
 *
 *   node bench/peers/ort_peer.mjs --model M.onnx --input x=x.npy [--input ...] [--duration 3 | --iterations N]
 *   node bench/peers/ort_peer.mjs --model M.onnx --input x=x.npy --check DIR   (DIR/<output>.npy, e.g. from `nnx-gen run --out DIR`)
 *
 * Session options: graphOptimizationLevel "all", intraOpNumThreads 1 (--threads), interOpNumThreads 1,
 * executionMode "sequential", logSeverityLevel 3. `--session-options JSON` merges more (for
 * experiments, e.g. '{"enableCpuMemArena":false}' or '{"extra":{"session":{"intra_op.allow_spinning":"0"}}}').
 * `--preallocate` passes preallocated output tensors to run() (ORT fills them, and still returns copies).
 * The malloc settings are whatever the environment has (the suite runs it plain and with GLIBC_TUNABLES).
 *
 * `--runtime web` runs the same graph on onnxruntime-web's WebAssembly build instead (SIMD, one
 * thread, the "wasm" execution provider), in Node: the runtime nnx-gen/web uses in browsers.
 *
 * Prints JSON: {peer, model, threads, conditions, warmup, iterations, samples_ms} (or the check).
 */

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const NPY_DTYPES = {
  "<f4": ["float32", Float32Array], "<f8": ["float64", Float64Array], "<f2": ["float16", Uint16Array],
  "<i4": ["int32", Int32Array], "<i8": ["int64", BigInt64Array], "<i2": ["int16", Int16Array], "|i1": ["int8", Int8Array],
  "<u4": ["uint32", Uint32Array], "<u8": ["uint64", BigUint64Array], "<u2": ["uint16", Uint16Array], "|u1": ["uint8", Uint8Array],
  "|b1": ["bool", Uint8Array],
};

/** A C-order little-endian .npy file as {type, dims, data}. */
export function readNpy(file) {
  const b = readFileSync(file);
  if (b.toString("latin1", 0, 6) !== "\x93NUMPY") throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = b.toString("latin1", major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const dims = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? "").split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const [type, Ctor] = NPY_DTYPES[descr] ?? [];
  if (!type) throw new Error(`${file}: dtype ${descr} is not supported`);
  const n = dims.reduce((a, c) => a * c, 1);
  // A copy into its own aligned buffer (the file's Buffer may share a pool at any offset).
  const data = new Ctor(n);
  new Uint8Array(data.buffer).set(b.subarray(start, start + n * Ctor.BYTES_PER_ELEMENT));
  return { type, dims, data };
}

/** Least warm-up time for the wasm runtime, whatever --warmup says. */
const WASM_WARMUP_S = 3;

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const { values: o } = parseArgs({
    options: {
      model: { type: "string" }, input: { type: "string", multiple: true, default: [] },
      threads: { type: "string", default: "1" }, warmup: { type: "string", default: "5" },
      iterations: { type: "string" }, duration: { type: "string" },
      "session-options": { type: "string", default: "{}" }, preallocate: { type: "boolean", default: false },
      check: { type: "string" }, tolerance: { type: "string", default: "1e-5" }, name: { type: "string" }, runtime: { type: "string", default: "node" },
    },
  });
  const web = o.runtime === "web";
  const ort = web ? await import("onnxruntime-web") : (await import("onnxruntime-node")).default;
  if (web) {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
  }
  if (!o.model) throw new Error("--model M.onnx is required");
  const options = {
    graphOptimizationLevel: "all",
    intraOpNumThreads: Number(o.threads),
    interOpNumThreads: 1,
    executionMode: "sequential",
    logSeverityLevel: 3,
    ...JSON.parse(o["session-options"]),
  };
  if (web) {
    // onnxruntime-web takes bytes; weights exported beside the graph go in as external data.
    options.executionProviders = ["wasm"];
    const data = `${o.model}.data`;
    if (existsSync(data)) options.externalData = [{ path: path.basename(data), data: readFileSync(data) }];
  }
  const session = await ort.InferenceSession.create(web ? readFileSync(o.model) : o.model, options);
  const feeds = {};
  for (const spec of o.input) {
    const eq = spec.indexOf("=");
    const t = readNpy(spec.slice(eq + 1));
    feeds[spec.slice(0, eq)] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const missing = session.inputNames.filter((n) => !feeds[n]);
  if (missing.length) throw new Error(`missing --input for ${missing.join(", ")}`);

  if (o.check) {
    const out = await session.run(feeds);
    const report = {};
    let ok = true;
    for (const name of session.outputNames) {
      const want = readNpy(path.join(o.check, `${name}.npy`));
      const got = out[name];
      const sameShape = got.dims.length === want.dims.length && got.dims.every((d, i) => d === want.dims[i]);
      let diff = 0, scale = 0;
      for (let i = 0; sameShape && i < want.data.length; i++) {
        diff = Math.max(diff, Math.abs(Number(got.data[i]) - Number(want.data[i])));
        scale = Math.max(scale, Math.abs(Number(want.data[i])));
      }
      // The same graph on the same kernels is bitwise equal; the web graph (other ops) differs by rounding.
      const good = sameShape && diff <= Number(o.tolerance) * scale + 1e-6;
      ok &&= good;
      report[name] = { shape: [...got.dims], max_abs_diff: diff, max_abs_ref: scale, ok: good };
    }
    console.log(JSON.stringify({ peer: "ort", check: ok ? "ok" : "mismatch", outputs: report }, null, 2));
    process.exitCode = ok ? 0 : 1;
    return;
  }

  let fetches;
  if (o.preallocate) {
    const first = await session.run(feeds);
    fetches = Object.fromEntries(Object.entries(first).map(([n, t]) => [n, new ort.Tensor(t.type, new t.data.constructor(t.data.length), t.dims)]));
  }
  const run = () => (fetches ? session.run(feeds, fetches) : session.run(feeds));
  for (let i = 0; i < Number(o.warmup); i++) await run();
  // WebAssembly starts on V8's baseline compiler and tiers up hot functions in the background:
  // on a busy machine a few warm-up runs can all be baseline code (3-5x slower). Keep warming.
  for (const until = performance.now() + (web ? 1000 * WASM_WARMUP_S : 0); performance.now() < until; ) await run();
  const samples = [];
  // CPU time of this (one-thread) process per run: less sensitive than wall time to other jobs.
  const cpuSamples = [];
  const deadline = o.iterations ? undefined : process.hrtime.bigint() + BigInt(Math.round(Number(o.duration ?? 3) * 1e9));
  const minRuns = o.iterations ? Number(o.iterations) : o.duration ? 1 : 10;
  for (;;) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await run();
    const t1 = process.hrtime.bigint();
    const c = process.cpuUsage(c0);
    samples.push(Number(t1 - t0) / 1e6);
    cpuSamples.push((c.user + c.system) / 1000);
    if (samples.length >= minRuns && (deadline === undefined || t1 >= deadline)) break;
  }
  if (options.enableProfiling) session.endProfiling(); // writes <profileFilePrefix>_<date>.json
  await session.release();
  console.log(JSON.stringify({
    peer: "ort",
    model: o.name ?? path.basename(o.model),
    threads: Number(o.threads),
    ort_version: ort.env.versions?.node ?? ort.env.versions?.common,
    conditions: { session_options: options, preallocate_outputs: o.preallocate, glibc_tunables: process.env.GLIBC_TUNABLES ?? null },
    warmup: Number(o.warmup),
    iterations: samples.length,
    p50_ms: median(samples),
    samples_ms: samples,
    cpu_samples_ms: cpuSamples,
  }));
}

// Run only as a script: bench/peers/tfjs_models.mjs imports readNpy.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`ort_peer: ${e.message}`);
    process.exitCode = 1;
  });
}
