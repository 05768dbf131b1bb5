/**
 * Latency statistics and the rates derived from them.
 *
 * Percentiles use linear interpolation between closest ranks (Hyndman & Fan type 7), which is
 * NumPy's default `np.percentile(..., method="linear")`: for sorted samples x[0..n-1] the
 * p-th percentile is read at rank h = (n - 1) * p / 100, interpolating between x[floor h] and
 * x[ceil h].
 *
 * Throughput and GFLOP/s are computed from the median latency (p50), not the mean: on a
 * shared machine a few descheduled runs inflate the mean, and the median is what the baseline
 * comparison uses too.
 */

export interface LatencyStats {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/** The p-th percentile (0..100) of samples already sorted ascending. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no samples");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside [0, 100]`);
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return a + (h - lo) * (b - a);
}

/** The p-th percentile (0..100) of samples in any order. */
export function percentile(samples: readonly number[], p: number): number {
  return percentileSorted([...samples].sort((x, y) => x - y), p);
}

/** mean, p50, p90, p99, min and max of latency samples (any unit; ms in reports). */
export function latencyStats(samples: readonly number[]): LatencyStats {
  if (samples.length === 0) throw new RangeError("latency statistics need at least one sample");
  for (const s of samples) {
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`invalid latency sample ${s}`);
  }
  const sorted = [...samples].sort((x, y) => x - y);
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    mean: sum / sorted.length,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

/** Examples per second when one run of `latencyMs` processes `examplesPerRun` examples. */
export function throughputPerSecond(examplesPerRun: number, latencyMs: number): number {
  return latencyMs > 0 ? (examplesPerRun * 1000) / latencyMs : Number.POSITIVE_INFINITY;
}

/** GFLOP/s achieved when one run of `latencyMs` performs `flops` floating-point operations. */
export function gflopsPerSecond(flops: number, latencyMs: number): number {
  return latencyMs > 0 ? flops / (latencyMs * 1e6) : Number.POSITIVE_INFINITY;
}

/** The share (0..1, may exceed 1 with a wrong peak) of a peak that `gflops` reaches. */
export function peakFraction(gflops: number, peakGflops: number): number {
  if (!(peakGflops > 0)) throw new RangeError(`peak GFLOP/s must be positive, got ${peakGflops}`);
  return gflops / peakGflops;
}
