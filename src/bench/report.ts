/**
 * Benchmark results and their three renderings: the `--json` file (CONTRACT.md §3), the text
 * table on stdout, and `--csv`.
 */

import type { PeakDescriptor } from "./calibrate.js";
import type { Environment } from "./environment.js";
import { gflopsPerSecond, latencyStats, peakFraction, throughputPerSecond, type LatencyStats } from "./stats.js";
import type { Measurement } from "./timer.js";

export type Dims = Readonly<Record<string, number>>;

export interface BenchResult {
  readonly dims: Dims;
  readonly threads: number;
  readonly warmup: number;
  readonly iterations: number;
  readonly latency_ms: LatencyStats;
  /** Examples (slices of the first input's leading dim) per second, from the median latency. */
  readonly throughput_per_s: number;
  /** FLOPs of one run, as `summary` counts them. */
  readonly flops: number;
  /** From the median latency. */
  readonly gflops: number;
  /** gflops / peak.gflops, present when a peak is known. */
  readonly peak_fraction?: number;
}

export interface BenchReport {
  readonly model: string;
  /** The model's parameter and compute dtypes (`bfloat16`, `float32/bfloat16`). */
  readonly dtype?: string;
  /** e.g. "onnxruntime-node 1.30.0 (cpu)". */
  readonly backend: string;
  readonly environment: Environment;
  /** Where peak_fraction's denominator came from. */
  readonly peak?: PeakDescriptor;
  readonly results: readonly BenchResult[];
}

export interface ResultInput {
  readonly dims: Dims;
  readonly threads: number;
  readonly measurement: Measurement;
  readonly examplesPerRun: number;
  readonly flops: number;
  readonly peakGflops?: number;
}

/** Six significant digits: more than the timing noise, without float tails in the JSON. */
const sig = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

export function buildResult(input: ResultInput): BenchResult {
  const raw = latencyStats(input.measurement.samplesMs);
  const latency: LatencyStats = {
    mean: sig(raw.mean), p50: sig(raw.p50), p90: sig(raw.p90), p99: sig(raw.p99), min: sig(raw.min), max: sig(raw.max),
  };
  const gflops = gflopsPerSecond(input.flops, raw.p50);
  return {
    dims: { ...input.dims },
    threads: input.threads,
    warmup: input.measurement.warmup,
    iterations: input.measurement.iterations,
    latency_ms: latency,
    throughput_per_s: sig(throughputPerSecond(input.examplesPerRun, raw.p50)),
    flops: input.flops,
    gflops: sig(gflops),
    ...(input.peakGflops !== undefined ? { peak_fraction: sig(peakFraction(gflops, input.peakGflops)) } : {}),
  };
}

/** Every combination of `--dim NAME=N[,N...]` values, the first dim varying slowest. */
export function dimCombinations(values: Readonly<Record<string, readonly number[]>>): Dims[] {
  let combos: Record<string, number>[] = [{}];
  for (const [name, list] of Object.entries(values)) {
    combos = combos.flatMap((c) => list.map((v) => ({ ...c, [name]: v })));
  }
  return combos;
}

/** "batch=8, seq=128", in the dims' own order; "-" for a model without symbolic dims. */
export function formatDims(dims: Dims): string {
  const parts = Object.entries(dims).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(", ") : "-";
}

/** The identity of a configuration, independent of the order dims were written in. */
export function configKey(r: { readonly dims: Dims; readonly threads: number }): string {
  const dims = Object.keys(r.dims).sort().map((k) => `${k}=${r.dims[k]}`);
  return `${dims.join(",")}|threads=${r.threads}`;
}

export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A compact number for people: 4 significant digits, never exponent notation. */
export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  if (Math.abs(x) >= 10 ** digits) return String(Math.round(x));
  if (Math.abs(x) < 1e-3) return x.toFixed(digits + 2).replace(/0+$/, "");
  return String(Number(x.toPrecision(digits)));
}

const pct = (f: number): string => `${(f * 100).toFixed(1)}%`;

function alignColumns(rows: readonly (readonly string[])[], leftAligned: number): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r.map((cell, c) => (c < leftAligned ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd(),
  );
}

/** The stdout table, with the environment and the peak's origin above it. */
export function reportTable(report: BenchReport): string {
  const env = report.environment;
  const head = [
    `${report.model}${report.dtype ? ` (${report.dtype})` : ""} on ${report.backend}`,
    `${env.cpu_model}, ${env.cores} cores, ${env.os} ${env.arch}, Node ${env.node_version}, ${env.runtime} ${env.runtime_version}`,
  ];
  if (report.peak) head.push(`peak: ${formatNumber(report.peak.gflops)} GFLOP/s, ${report.peak.label}`);
  const withPeak = report.results.some((r) => r.peak_fraction !== undefined);
  const rows: string[][] = [[
    "dims", "threads", "runs", "mean ms", "p50 ms", "p90 ms", "p99 ms", "min ms", "max ms", "examples/s", "GFLOP/s",
    ...(withPeak ? ["% peak"] : []),
  ]];
  for (const r of report.results) {
    const l = r.latency_ms;
    rows.push([
      formatDims(r.dims), String(r.threads), String(r.iterations),
      ...[l.mean, l.p50, l.p90, l.p99, l.min, l.max, r.throughput_per_s, r.gflops].map((x) => formatNumber(x)),
      ...(withPeak ? [r.peak_fraction !== undefined ? pct(r.peak_fraction) : "-"] : []),
    ]);
  }
  const foot = "examples/s and GFLOP/s use the median (p50) latency";
  return `${[...head, "", ...alignColumns(rows, 1), "", foot].join("\n")}\n`;
}

function csvField(v: string | number | undefined): string {
  const s = v === undefined ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV (RFC 4180 quoting, LF line ends), one row per result. Dim columns are `dim_<name>`, so they never clash with fixed ones. */
export function reportCsv(report: BenchReport): string {
  const dimNames = [...new Set(report.results.flatMap((r) => Object.keys(r.dims)))];
  const header = [
    "model", "backend", ...dimNames.map((d) => `dim_${d}`), "threads", "warmup", "iterations",
    "mean_ms", "p50_ms", "p90_ms", "p99_ms", "min_ms", "max_ms", "throughput_per_s", "flops", "gflops", "peak_fraction",
  ];
  const lines = [header.join(",")];
  for (const r of report.results) {
    const l = r.latency_ms;
    lines.push([
      report.model, report.backend, ...dimNames.map((d) => r.dims[d]), r.threads, r.warmup, r.iterations,
      l.mean, l.p50, l.p90, l.p99, l.min, l.max, r.throughput_per_s, r.flops, r.gflops, r.peak_fraction,
    ].map(csvField).join(","));
  }
  return `${lines.join("\n")}\n`;
}
