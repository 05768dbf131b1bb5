import type { PeakDescriptor } from "../../src/bench/calibrate.js";
import type { Environment } from "../../src/bench/environment.js";
import { buildResult, type BenchReport, type BenchResult, type Dims } from "../../src/bench/report.js";

export const ENV: Environment = {
  cpu_model: "Test CPU",
  cores: 2,
  os: "Linux 6.0",
  arch: "x64",
  node_version: "20.0.0",
  runtime: "onnxruntime-node",
  runtime_version: "1.30.0",
  date: "2025-01-01T00:00:00.000Z",
};

export const PEAK: PeakDescriptor = { gflops: 100, source: "flag", label: "--peak-gflops" };

/** A result whose samples are all `p50Ms` (so every statistic equals it). */
export function result(dims: Dims, p50Ms: number, opts: { threads?: number; peakGflops?: number } = {}): BenchResult {
  return buildResult({
    dims,
    threads: opts.threads ?? 1,
    measurement: { samplesMs: [p50Ms, p50Ms, p50Ms], warmup: 2, iterations: 3 },
    examplesPerRun: dims["batch"] ?? 1,
    flops: 1e9 * (dims["batch"] ?? 1),
    ...(opts.peakGflops !== undefined ? { peakGflops: opts.peakGflops } : {}),
  });
}

export function report(results: BenchResult[], extra: Partial<BenchReport> = {}): BenchReport {
  return { model: "TinyCnn", backend: "onnxruntime-node 1.30.0 (cpu)", environment: ENV, results, ...extra };
}
