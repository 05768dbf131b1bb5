/** Sample statistics for the sampler tests. */

export interface Moments {
  mean: number;
  std: number;
  /** Fourth standardized moment: 3 for a normal, 1.8 for a uniform, ≈2.366 for a normal truncated to ±2σ. */
  kurtosis: number;
  min: number;
  max: number;
}

export function moments(xs: ArrayLike<number>): Moments {
  const n = xs.length;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= n;
  m4 /= n;
  return { mean, std: Math.sqrt(m2), kurtosis: m4 / (m2 * m2), min, max };
}

/** Kolmogorov–Smirnov statistic sup |F_n(x) - F(x)| of the sample against the CDF `cdf`. */
export function ksStatistic(xs: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(xs).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Asymptotic KS critical value: a correct sampler exceeds it with probability `alpha`. */
export function ksCritical(n: number, alpha = 1e-4): number {
  return Math.sqrt(-Math.log(alpha / 2) / 2) / Math.sqrt(n);
}

/** Pearson correlation of a[i] and b[i + lag]. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>, lag = 0): number {
  const n = Math.min(a.length, b.length - lag);
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[i + lag]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i + lag]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return cov / Math.sqrt(va * vb);
}
