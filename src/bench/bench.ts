/**
 * The benchmark loop over configurations, independent of the runtime: the caller prepares a
 * runnable model for each combination of dims (session, inputs) and this measures it and
 * assembles the report.
 */

import type { PeakDescriptor } from "./calibrate.js";
import { collectEnvironment, type RuntimeInfo } from "./environment.js";
import { createProgressBar, type ProgressStream } from "./progress.js";
import { buildResult, formatDims, type BenchReport, type BenchResult, type Dims } from "./report.js";
import { measure } from "./timer.js";

/** One configuration, ready to run. */
export interface BenchTarget {
  /** One inference on fixed inputs; resolves when the outputs are in JS memory. */
  run(): Promise<void>;
  /** FLOPs of one run (the `summary` count for these dims). */
  readonly flops: number;
  /** The first input's leading dim. */
  readonly examplesPerRun: number;
  dispose?(): Promise<void>;
}

export interface BenchOptions {
  readonly model: string;
  /** The model's dtypes, shown in the report (ir/model.ts modelDtypes). */
  readonly dtype?: string;
  readonly backend: string;
  readonly runtime: RuntimeInfo;
  readonly configs: readonly Dims[];
  readonly threads: number;
  readonly warmup: number;
  readonly iterations?: number;
  readonly durationSeconds?: number;
  readonly peak?: PeakDescriptor;
  readonly prepare: (dims: Dims) => Promise<BenchTarget>;
  /** Where the progress bar goes (drawn only on a TTY); default stderr. */
  readonly progressStream?: ProgressStream;
}

export async function runBenchmark(opts: BenchOptions): Promise<BenchReport> {
  const environment = collectEnvironment(opts.runtime);
  const results: BenchResult[] = [];
  for (const [i, dims] of opts.configs.entries()) {
    const target = await opts.prepare(dims);
    const label = `${opts.model} ${formatDims(dims)} (${i + 1}/${opts.configs.length})`;
    const bar = createProgressBar(label, opts.progressStream);
    try {
      const measurement = await measure(() => target.run(), {
        warmup: opts.warmup,
        ...(opts.iterations !== undefined ? { iterations: opts.iterations } : {}),
        ...(opts.durationSeconds !== undefined ? { durationSeconds: opts.durationSeconds } : {}),
        onProgress: (f) => bar.update(f),
      });
      results.push(buildResult({
        dims,
        threads: opts.threads,
        measurement,
        examplesPerRun: target.examplesPerRun,
        flops: target.flops,
        ...(opts.peak ? { peakGflops: opts.peak.gflops } : {}),
      }));
    } finally {
      bar.done();
      await target.dispose?.();
    }
  }
  return {
    model: opts.model,
    ...(opts.dtype ? { dtype: opts.dtype } : {}),
    backend: opts.backend,
    environment,
    ...(opts.peak ? { peak: opts.peak } : {}),
    results,
  };
}
