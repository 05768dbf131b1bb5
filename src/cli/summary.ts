/** `nnx-gen summary`: the per-layer table (nnx.tabulate / Keras summary()). */
import type { Command } from "commander";
import { formatSummaryMarkdown, formatSummaryTable, summarize } from "../summary/summary.js";
import { collect, parseDims, type CliIO } from "./io.js";
import { bindDims, requireBoundDims } from "./dims.js";
import { choice, integer, requireModel, type CommandResult } from "./program.js";

const FORMATS = ["table", "json", "markdown"] as const;

export function registerSummary(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  program
    .command("summary")
    .description("per-layer shapes, parameters, bytes, MACs and FLOPs")
    .argument("<spec>", "spec file")
    .option("--dim <NAME=N>", "bind a symbolic dim (repeatable)", collect, [])
    .option("--format <format>", `output format: ${FORMATS.join(", ")}`, choice(FORMATS), "table")
    .option("--depth <n>", "levels of the module tree to show (as nnx.tabulate's depth); default all", integer(1))
    .action((spec: string, opts: { dim: string[]; format: (typeof FORMATS)[number]; depth?: number }) => {
      const model = requireModel(spec, io);
      const dims = bindDims(model, parseDims(opts.dim), { requireAll: false });
      requireBoundDims(model, dims);
      const s = summarize(model, dims, opts.depth === undefined ? {} : { depth: opts.depth });
      if (opts.format === "json") io.stdout(JSON.stringify(s, null, 2) + "\n");
      else if (opts.format === "markdown") io.stdout(formatSummaryMarkdown(model, s));
      else io.stdout(formatSummaryTable(model, s));
      done({ exitCode: 0 });
    });
}
