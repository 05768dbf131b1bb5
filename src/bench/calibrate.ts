/**
 * The FP32 peak that `peak_fraction` is measured against: either `--peak-gflops`, or an SGEMM
 * measured once through onnxruntime-node and cached per CPU model, thread count and runtime
 * version. The calibrated figure is what the runtime's best kernel reaches (85-90% of the FMA
 * peak here), so a model at 0.9 is near what this runtime can do on this machine at all.
 */

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as Ort from "onnxruntime-node";
import { RuntimeFailure } from "../diagnostics/errors.js";
import { cpuModel, type RuntimeInfo } from "./environment.js";
import { sgemmModelBytes } from "./sgemm-model.js";
import { gflopsPerSecond } from "./stats.js";
import { measure } from "./timer.js";

export interface PeakDescriptor {
  readonly gflops: number;
  readonly source: "calibrated" | "flag";
  /** Human-readable: "calibrated (cached 2025-01-31)" or "--peak-gflops". */
  readonly label: string;
  /** Calibrated only: when it was measured (ISO 8601), and how. */
  readonly measured_at?: string;
  readonly method?: string;
  readonly threads?: number;
}

/** The SGEMM size: big enough to run at full kernel speed, ~10 ms a run on one core. */
export const SGEMM_SIZE = 1024;
const METHOD = `onnxruntime-node SGEMM ${SGEMM_SIZE}x${SGEMM_SIZE}x${SGEMM_SIZE}, fastest of >= 1 s`;
const CACHE_FILE = "peak.json";

export function flagPeak(gflops: number): PeakDescriptor {
  if (!(gflops > 0 && Number.isFinite(gflops))) throw new RangeError(`--peak-gflops must be a positive number, got ${gflops}`);
  return { gflops, source: "flag", label: "--peak-gflops" };
}

/** `$NNX_GEN_CACHE_DIR`, else `$XDG_CACHE_HOME/nnx-gen`, else `~/.cache/nnx-gen`. */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env["NNX_GEN_CACHE_DIR"]) return env["NNX_GEN_CACHE_DIR"];
  const base = env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache");
  return path.join(base, "nnx-gen");
}

export function peakCacheKey(cpu: string, threads: number, runtime: RuntimeInfo): string {
  return `${cpu}|threads=${threads}|${runtime.name}@${runtime.version}`;
}

interface CacheEntry {
  gflops: number;
  measured_at: string;
  method: string;
}
type CacheFile = { version: 1; entries: Record<string, CacheEntry> };

function isEntry(x: unknown): x is CacheEntry {
  const e = x as Partial<CacheEntry> | null;
  return typeof e === "object" && e !== null && typeof e.gflops === "number" && e.gflops > 0
    && typeof e.measured_at === "string" && typeof e.method === "string";
}

/** The cache as stored, or an empty one. A damaged cache is only a cache: it is re-measured. */
function readCache(file: string): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<CacheFile>;
    if (parsed.version === 1 && typeof parsed.entries === "object" && parsed.entries !== null) {
      const entries: Record<string, CacheEntry> = {};
      for (const [k, v] of Object.entries(parsed.entries)) if (isEntry(v)) entries[k] = v;
      return { version: 1, entries };
    }
  } catch {
    // missing or unreadable: start afresh
  }
  return { version: 1, entries: {} };
}

/** Write via a temporary file and rename, so concurrent runs never see half a file. */
function writeCache(file: string, cache: CacheFile): boolean {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(cache, null, 2)}\n`);
    renameSync(tmp, file);
    return true;
  } catch {
    return false; // a read-only home must not fail the benchmark
  }
}

async function loadOrt(): Promise<typeof Ort> {
  try {
    return await import("onnxruntime-node");
  } catch (cause) {
    throw new RuntimeFailure("onnxruntime-node could not be loaded; reinstall nnx-gen with its optional dependencies", { cause });
  }
}

export function ortRuntimeInfo(ort: typeof Ort): RuntimeInfo {
  return { name: "onnxruntime-node", version: ort.env.versions.node ?? ort.env.versions.common };
}

/** Measure the SGEMM peak in GFLOP/s on `threads` intra-op threads (about 1-2 s). */
export async function measureSgemmPeak(threads: number, ort?: typeof Ort): Promise<number> {
  const rt = ort ?? (await loadOrt());
  const n = SGEMM_SIZE;
  // Deterministic, well-scaled values: the speed of FMA does not depend on them.
  const fill = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => (((i * 2654435761 + seed) >>> 0) % 2001) / 1000 - 1);
  const session = await rt.InferenceSession.create(sgemmModelBytes(n, n, n, fill(n * n, 1)), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
  });
  try {
    const feeds = { a: new rt.Tensor("float32", fill(n * n, 7), [n, n]) };
    const { samplesMs } = await measure(async () => void (await session.run(feeds)), {
      warmup: 3,
      durationSeconds: 1,
      minIterations: 10,
    });
    // Interference only ever slows a run down, so the fastest run is the best estimate of the peak.
    return gflopsPerSecond(2 * n * n * n, Math.min(...samplesMs));
  } finally {
    await session.release();
  }
}

export interface CalibrateOptions {
  readonly threads: number;
  /** Ignore a cached value and measure again. */
  readonly refresh?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: Date;
  /** Tests replace the runtime and the measurement. */
  readonly runtime?: RuntimeInfo;
  readonly measurePeak?: (threads: number) => Promise<number>;
}

/** The cached calibration for this machine, or a new one (then cached). */
export async function calibratedPeak(opts: CalibrateOptions): Promise<PeakDescriptor> {
  let ort: typeof Ort | undefined;
  const runtime = opts.runtime ?? ortRuntimeInfo((ort = await loadOrt()));
  const key = peakCacheKey(cpuModel(), opts.threads, runtime);
  const file = path.join(cacheDirectory(opts.env), CACHE_FILE);
  const cache = readCache(file);
  const hit = opts.refresh ? undefined : cache.entries[key];
  const describe = (e: CacheEntry, how: (date: string) => string): PeakDescriptor => ({
    gflops: e.gflops,
    source: "calibrated",
    label: `calibrated (${how(e.measured_at.slice(0, 10))})`,
    measured_at: e.measured_at,
    method: e.method,
    threads: opts.threads,
  });
  if (hit) return describe(hit, (d) => `cached ${d}`);

  const gflops = await (opts.measurePeak ?? ((t) => measureSgemmPeak(t, ort)))(opts.threads);
  const entry: CacheEntry = { gflops, measured_at: (opts.now ?? new Date()).toISOString(), method: METHOD };
  cache.entries[key] = entry;
  const cached = writeCache(file, cache);
  return describe(entry, (d) => (cached ? `measured ${d}` : `measured ${d}; cache not writable`));
}

/** `--peak-gflops` when given, else the calibration. */
export async function resolvePeak(peakGflops: number | undefined, opts: CalibrateOptions): Promise<PeakDescriptor> {
  return peakGflops !== undefined ? flagPeak(peakGflops) : calibratedPeak(opts);
}
