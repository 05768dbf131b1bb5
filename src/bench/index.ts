/** The benchmark toolkit behind `nnx-gen bench`; it never loads the runtime by itself. */

export { compareWithBaseline, formatComparison, parseBaseline, readBaseline, checkMaxRegression } from "./baseline.js";
export type { Baseline, BaselineComparison, BaselineResult, ConfigComparison } from "./baseline.js";
export { runBenchmark } from "./bench.js";
export type { BenchOptions, BenchTarget } from "./bench.js";
export { calibratedPeak, cacheDirectory, flagPeak, measureSgemmPeak, peakCacheKey, resolvePeak, sgemmModel } from "./calibrate.js";
export type { CalibrateOptions, PeakDescriptor } from "./calibrate.js";
export { collectEnvironment, cpuModel } from "./environment.js";
export type { Environment, RuntimeInfo } from "./environment.js";
export { plotSvg } from "./plot.js";
export type { PlotOptions } from "./plot.js";
export { createProgressBar } from "./progress.js";
export type { ProgressBar, ProgressStream } from "./progress.js";
export { buildResult, configKey, dimCombinations, formatDims, reportCsv, reportJson, reportTable } from "./report.js";
export type { BenchReport, BenchResult, Dims, ResultInput } from "./report.js";
export { gflopsPerSecond, latencyStats, peakFraction, percentile, throughputPerSecond } from "./stats.js";
export type { LatencyStats } from "./stats.js";
export { DEFAULT_DURATION_SECONDS, DEFAULT_MIN_ITERATIONS, DEFAULT_WARMUP, measure } from "./timer.js";
export type { MeasureOptions, Measurement } from "./timer.js";
