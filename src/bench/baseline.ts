/**
 * `--baseline old.json --max-regression PCT`: compare this run's median latencies with an
 * earlier `bench --json` file, configuration by configuration (dims + threads). The CLI exits 1
 * when any configuration got slower than the margin.
 */

import { BoundedReadError, readBoundedSync } from "../node/bounded.js";
import { UsageError, UserError } from "../diagnostics/errors.js";
import { configKey, formatDims, formatNumber, type BenchReport, type Dims } from "./report.js";

/** Codes for baseline files (NNX3050-NNX3059 are reserved for bench). */

/** Baseline problems: NNX3050-NNX3055 in the code catalogue. */
type BaselineCode = "NNX3050" | "NNX3051" | "NNX3052" | "NNX3053" | "NNX3054" | "NNX3055";

function fail(code: BaselineCode, message: string, file: string, hint?: string): never {
  throw new UserError(code, message, file, hint);
}

/** The parts of a result a comparison needs, as read from a baseline file. */
export interface BaselineResult {
  readonly dims: Dims;
  readonly threads: number;
  readonly p50: number;
}

export interface Baseline {
  readonly file: string;
  readonly model: string;
  readonly backend?: string;
  readonly cpuModel?: string;
  readonly runtimeVersion?: string;
  readonly results: readonly BaselineResult[];
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const optString = (x: unknown): string | undefined => (typeof x === "string" ? x : undefined);

/** Validate a `bench --json` document. Only the fields a comparison uses are required. */
export function parseBaseline(text: string, file: string): Baseline {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail("NNX3051", `${file} is not valid JSON: ${(e as Error).message}`, file, "pass a file written by `nnx-gen bench --json`");
  }
  const layout = (where: string, what: string): never =>
    fail("NNX3052", `${file}: ${where} ${what}`, file, "pass a file written by `nnx-gen bench --json`");
  if (!isObject(doc)) return layout("the top level", "must be an object");
  if (typeof doc["model"] !== "string") return layout("model", "must be a string");
  const rawResults = doc["results"];
  if (!Array.isArray(rawResults)) return layout("results", "must be an array");

  const seen = new Set<string>();
  const results = rawResults.map((r: unknown, i): BaselineResult => {
    const at = `results[${i}]`;
    if (!isObject(r)) return layout(at, "must be an object");
    const dims = r["dims"];
    if (!isObject(dims)) return layout(`${at}.dims`, "must be an object");
    for (const [k, v] of Object.entries(dims)) {
      if (!Number.isSafeInteger(v)) layout(`${at}.dims.${k}`, "must be an integer");
    }
    const threads = r["threads"];
    if (!Number.isSafeInteger(threads) || (threads as number) < 1) return layout(`${at}.threads`, "must be a positive integer");
    const latency = r["latency_ms"];
    const p50 = isObject(latency) ? latency["p50"] : undefined;
    if (typeof p50 !== "number" || !(p50 > 0) || !Number.isFinite(p50)) return layout(`${at}.latency_ms.p50`, "must be a positive number");
    const result = { dims: dims as Dims, threads: threads as number, p50 };
    const key = configKey(result);
    if (seen.has(key)) fail("NNX3055", `${file}: ${at} repeats the configuration ${describe(result)}`, file);
    seen.add(key);
    return result;
  });

  const env = isObject(doc["environment"]) ? doc["environment"] : {};
  const backend = optString(doc["backend"]);
  const cpuModel = optString(env["cpu_model"]);
  const runtimeVersion = optString(env["runtime_version"]);
  return {
    file,
    model: doc["model"],
    results,
    ...(backend !== undefined ? { backend } : {}),
    ...(cpuModel !== undefined ? { cpuModel } : {}),
    ...(runtimeVersion !== undefined ? { runtimeVersion } : {}),
  };
}

/** bench --json files are a few KB per configuration. */
const MAX_BASELINE_BYTES = 64 * 1024 * 1024;

const article = (problem: string) => (problem === "directory" ? "a directory" : problem);

export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = new TextDecoder().decode(readBoundedSync(file, MAX_BASELINE_BYTES));
  } catch (e) {
    const why = e instanceof BoundedReadError ? (e.problem === "too large" ? `it is over ${MAX_BASELINE_BYTES} bytes` : `it is ${article(e.problem)}`) : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    fail("NNX3050", `cannot read baseline ${file}: ${why}`, file);
  }
  return parseBaseline(text, file);
}

export interface ConfigComparison {
  readonly dims: Dims;
  readonly threads: number;
  readonly baselineP50: number;
  readonly currentP50: number;
  /** (current - baseline) / baseline * 100: positive is slower. */
  readonly changePct: number;
  readonly regressed: boolean;
}

export interface BaselineComparison {
  readonly maxRegressionPct: number;
  readonly compared: readonly ConfigComparison[];
  /** Configurations of this run that the baseline does not have. */
  readonly notInBaseline: readonly { readonly dims: Dims; readonly threads: number }[];
  /** Different CPU, backend or runtime: the comparison still runs, but says so. */
  readonly warnings: readonly string[];
  readonly regressed: boolean;
}

function describe(r: { readonly dims: Dims; readonly threads: number }): string {
  return `${formatDims(r.dims)}, ${r.threads} thread${r.threads === 1 ? "" : "s"}`;
}

export function checkMaxRegression(pct: number): number {
  if (!Number.isFinite(pct) || pct < 0) throw new UsageError(`--max-regression must be a non-negative percentage, got ${pct}`);
  return pct;
}

/** Match results by dims + threads and compare p50. Throws UserError when nothing matches. */
export function compareWithBaseline(current: BenchReport, baseline: Baseline, maxRegressionPct: number): BaselineComparison {
  checkMaxRegression(maxRegressionPct);
  if (baseline.model !== current.model) {
    fail("NNX3053", `${baseline.file} is a baseline for model ${baseline.model}, not ${current.model}`, baseline.file);
  }
  const byKey = new Map(baseline.results.map((r) => [configKey(r), r]));
  const compared: ConfigComparison[] = [];
  const notInBaseline: { dims: Dims; threads: number }[] = [];
  for (const r of current.results) {
    const old = byKey.get(configKey(r));
    if (!old) {
      notInBaseline.push({ dims: r.dims, threads: r.threads });
      continue;
    }
    const changePct = ((r.latency_ms.p50 - old.p50) / old.p50) * 100;
    compared.push({
      dims: r.dims, threads: r.threads, baselineP50: old.p50, currentP50: r.latency_ms.p50, changePct,
      regressed: changePct > maxRegressionPct,
    });
  }
  if (compared.length === 0) {
    const has = baseline.results.map(describe).join("; ") || "no results";
    fail("NNX3054", `${baseline.file} has none of the configurations of this run`, baseline.file, `it has: ${has}`);
  }

  const warnings: string[] = [];
  const env = current.environment;
  const differs = (what: string, old: string | undefined, now: string) => {
    if (old !== undefined && old !== now) warnings.push(`the baseline ran on ${what} ${old}, this run on ${now}`);
  };
  differs("CPU", baseline.cpuModel, env.cpu_model);
  differs("backend", baseline.backend, current.backend);
  differs("runtime version", baseline.runtimeVersion, env.runtime_version);
  return { maxRegressionPct, compared, notInBaseline, warnings, regressed: compared.some((c) => c.regressed) };
}

const signedPct = (x: number): string => `${x >= 0 ? "+" : ""}${x.toFixed(1)}%`;

/** Lines for stdout: one per configuration, then the verdict. */
export function formatComparison(c: BaselineComparison): string {
  const lines = [`baseline comparison (p50, allowed slowdown ${formatNumber(c.maxRegressionPct)}%):`];
  for (const w of c.warnings) lines.push(`  warning: ${w}`);
  for (const r of c.compared) {
    const verdict = r.regressed ? "REGRESSION" : r.changePct < 0 ? "faster" : "ok";
    lines.push(`  ${describe(r)}: ${formatNumber(r.baselineP50)} ms -> ${formatNumber(r.currentP50)} ms (${signedPct(r.changePct)}) ${verdict}`);
  }
  for (const r of c.notInBaseline) lines.push(`  ${describe(r)}: not in the baseline`);
  const n = c.compared.filter((r) => r.regressed).length;
  lines.push(n > 0 ? `${n} configuration${n === 1 ? "" : "s"} slower than allowed` : "no regression");
  return `${lines.join("\n")}\n`;
}
