/**
 * The measuring loop: warm-up runs (not recorded), then timed runs, either a fixed count
 * (`--iterations`) or as many as fit in a duration (`--duration`).
 */

import { UsageError } from "../diagnostics/errors.js";

export const DEFAULT_WARMUP = 5;
/** With neither `iterations` nor `durationSeconds`: run this long, but at least DEFAULT_MIN_ITERATIONS times. */
export const DEFAULT_DURATION_SECONDS = 3;
export const DEFAULT_MIN_ITERATIONS = 10;
/** Duration mode stops here even if time is left, so a microsecond model cannot fill memory. */
export const MAX_SAMPLES = 1_000_000;

export interface MeasureOptions {
  readonly warmup: number;
  readonly iterations?: number;
  readonly durationSeconds?: number;
  /** Duration mode only: keep going past the duration until this many runs are recorded. */
  readonly minIterations?: number;
  /** Called after each run with the done fraction in [0, 1] (warm-up included in count mode). */
  readonly onProgress?: (fraction: number) => void;
  /** Monotonic clock in nanoseconds; tests inject a fake one. */
  readonly now?: () => bigint;
}

export interface Measurement {
  /** Wall time of each timed run, in milliseconds, in run order. */
  readonly samplesMs: number[];
  readonly warmup: number;
  /** The number of timed runs (equals samplesMs.length). */
  readonly iterations: number;
}

const NS_PER_MS = 1_000_000n;

function check(opts: MeasureOptions): void {
  if (!Number.isSafeInteger(opts.warmup) || opts.warmup < 0) {
    throw new UsageError(`--warmup must be a non-negative integer, got ${opts.warmup}`);
  }
  if (opts.iterations !== undefined && opts.durationSeconds !== undefined) {
    throw new UsageError("--iterations and --duration cannot be used together");
  }
  if (opts.iterations !== undefined && (!Number.isSafeInteger(opts.iterations) || opts.iterations < 1)) {
    throw new UsageError(`--iterations must be a positive integer, got ${opts.iterations}`);
  }
  if (opts.durationSeconds !== undefined && !(opts.durationSeconds > 0 && Number.isFinite(opts.durationSeconds))) {
    throw new UsageError(`--duration must be a positive number of seconds, got ${opts.durationSeconds}`);
  }
}

/** Run `fn` `warmup` times untimed, then time it by count or by duration. */
export async function measure(fn: () => Promise<void>, opts: MeasureOptions): Promise<Measurement> {
  check(opts);
  const now = opts.now ?? process.hrtime.bigint;
  const progress = opts.onProgress ?? (() => {});
  const byCount = opts.iterations !== undefined;
  const iterations = opts.iterations ?? 0;
  const durationNs = BigInt(Math.round((opts.durationSeconds ?? DEFAULT_DURATION_SECONDS) * 1e9));
  const minIterations = opts.durationSeconds === undefined && !byCount ? DEFAULT_MIN_ITERATIONS : (opts.minIterations ?? 1);
  const total = opts.warmup + iterations;

  for (let i = 0; i < opts.warmup; i++) {
    await fn();
    if (byCount) progress((i + 1) / total);
  }

  const samplesMs: number[] = [];
  const start = now();
  for (;;) {
    const t0 = now();
    await fn();
    const t1 = now();
    // Split the bigint so sub-millisecond samples keep their nanosecond precision.
    const ns = t1 - t0;
    samplesMs.push(Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6);
    if (byCount) {
      progress((opts.warmup + samplesMs.length) / total);
      if (samplesMs.length >= iterations) break;
    } else {
      const elapsed = t1 - start;
      // Done when both the time and the minimum count are reached, so show the lagging one.
      progress(Math.min(1, Number(elapsed) / Number(durationNs), samplesMs.length / minIterations));
      if ((elapsed >= durationNs && samplesMs.length >= minIterations) || samplesMs.length >= MAX_SAMPLES) break;
    }
  }
  return { samplesMs, warmup: opts.warmup, iterations: samplesMs.length };
}
