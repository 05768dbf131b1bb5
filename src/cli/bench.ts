/** `nnx-gen bench`: latency, throughput and GFLOP/s per combination of --dim values. */
import { modelDtypes } from "../ir/model.js";
import type { Command } from "commander";
import { Option } from "commander";
import { checkMaxRegression, compareWithBaseline, formatComparison, readBaseline } from "../bench/baseline.js";
import { runBenchmark } from "../bench/bench.js";
import { resolvePeak } from "../bench/calibrate.js";
import { plotSvg } from "../bench/plot.js";
import { dimCombinations, reportCsv, reportJson, reportTable } from "../bench/report.js";
import { UsageError } from "../diagnostics/errors.js";
import { modelSymbols } from "../ir/model.js";
import { writeFileAtomic } from "../node/files.js";
import { checkRunBudget } from "../runtime/budget.js";
import { compileModel } from "../runtime/model.js";
import { defaultBackend } from "../runtime/backend.js";
import { summarize } from "../summary/summary.js";
import { bindDims, requireBoundDims } from "./dims.js";
import { collect, parseDimValues, type CliIO } from "./io.js";
import { addParamOptions, budgetOf, givenThreads, nameMapping, paramSource, prepackOption, threadsOption, type ParamFlags } from "./model_options.js";
import type { PrepackChoice } from "../runtime/prepack.js";
import { integer, positiveNumber, requireModel, type CommandResult } from "./program.js";
import { randomInputs } from "./run.js";

interface BenchFlags extends ParamFlags {
  dim: string[];
  threads: number;
  prepack: PrepackChoice;
  warmup: number;
  iterations?: number;
  duration?: number;
  json?: string;
  csv?: string;
  plot?: string;
  peakGflops?: number;
  baseline?: string;
  maxRegression?: number;
}

export function registerBench(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  const cmd = program.command("bench").description("benchmark a spec on the native runtime").argument("<spec>", "spec file");
  addParamOptions(cmd)
    .option("--dim <NAME=N[,N...]>", "symbolic dim values; one result per combination (repeatable)", collect, [])
    .addOption(threadsOption())
    .addOption(prepackOption())
    .addOption(new Option("--warmup <n>", "untimed runs before measuring").argParser(integer(0, 1_000_000)).default(5))
    .addOption(new Option("--iterations <n>", "timed runs").argParser(integer(1, 1_000_000)).conflicts("duration"))
    .addOption(new Option("--duration <seconds>", "time to measure each configuration (default 3 s)").argParser(positiveNumber))
    .option("--json <file>", "write the report as JSON")
    .option("--csv <file>", "write the results as CSV")
    .option("--plot <file.svg>", "write latency and GFLOP/s against the first dim as SVG")
    .addOption(new Option("--peak-gflops <x>", "the machine's peak, for the share of peak (default: a cached calibration)").argParser(positiveNumber))
    .option("--baseline <file.json>", "compare p50 latencies with an earlier --json report")
    .addOption(new Option("--max-regression <percent>", "with --baseline: exit 1 when a configuration is slower by more than this").argParser(positiveNumber))
    .action(async (spec: string, flags: BenchFlags) => {
      if (flags.maxRegression !== undefined && flags.baseline === undefined) throw new UsageError("--max-regression needs --baseline");
      const maxRegression = checkMaxRegression(flags.maxRegression ?? 10);
      const model = requireModel(spec, io);
      const values = parseDimValues(flags.dim, true);
      const missing = modelSymbols(model).filter((s) => !values[s]);
      if (missing.length) throw new UsageError(`symbolic dims need values: ${missing.map((m) => `--dim ${m}=N[,N...]`).join(" ")}`);
      const configs = dimCombinations(values);
      // Every combination is checked against the spec's dims before anything runs.
      const budget = budgetOf(flags);
      for (const c of configs) {
        const dims = bindDims(model, c, { requireAll: true });
        requireBoundDims(model, dims);
        checkRunBudget(model, dims, budget);
      }
      const baseline = flags.baseline !== undefined ? readBaseline(flags.baseline) : undefined;

      const backend = await defaultBackend();
      const compiled = await compileModel(model, paramSource(flags, givenThreads(cmd, flags)), { threads: flags.threads, names: nameMapping(flags, io), backend, memoryBudget: budget, prepack: flags.prepack });
      const peak = await resolvePeak(flags.peakGflops, { threads: flags.threads, backend });
      const firstInput = model.inputs[0]!;
      let report;
      try {
        report = await runBenchmark({
          model: model.model,
          dtype: modelDtypes(model).join("/"),
          backend: backend.name,
          runtime: backend,
          configs,
          threads: flags.threads,
          warmup: flags.warmup,
          ...(flags.iterations !== undefined ? { iterations: flags.iterations } : {}),
          ...(flags.duration !== undefined ? { durationSeconds: flags.duration } : {}),
          peak,
          progressStream: { isTTY: io.stderrIsTTY, write: io.stderr, ...(process.stderr.columns ? { columns: process.stderr.columns } : {}) },
          prepare: async (dims) => {
            const inputs = randomInputs(model, {}, dims, flags.seed ?? 0);
            const flops = summarize(model, dims).totals.flops as number;
            return {
              flops,
              examplesPerRun: firstInput.type.shape.length > 0 ? firstInput.type.shape[0]!.evaluate(dims) : 1,
              run: async () => void (await compiled.run(inputs)),
            };
          },
        });
      } finally {
        await compiled.release();
      }
      io.stdout(reportTable(report));
      if (flags.json !== undefined) await writeFileAtomic(flags.json, new TextEncoder().encode(reportJson(report)));
      if (flags.csv !== undefined) await writeFileAtomic(flags.csv, new TextEncoder().encode(reportCsv(report)));
      if (flags.plot !== undefined) await writeFileAtomic(flags.plot, new TextEncoder().encode(plotSvg(report)));
      if (!baseline) return done({ exitCode: 0 });
      const comparison = compareWithBaseline(report, baseline, maxRegression);
      io.stdout(formatComparison(comparison));
      done({ exitCode: comparison.regressed ? 1 : 0 });
    });
}
