/**
 * Per-layer summary like nnx.tabulate: shapes, params, bytes, MACs and FLOPs.
 * Convention: MACs count every multiply-accumulate of Conv (every tap at every output
 * position, padding included), Linear, LinearGeneral, Einsum (product of the sizes of all
 * distinct indices), einsum and attend. FLOPs = 2 x MACs, plus one per output element of
 * elementwise ops, one per input element of reductions, and prod(window) per output
 * element of pooling. reshape, transpose and concatenate cost 0.
 */
import type { IrModel, ParamSpec } from "../ir/model.js";
import { paramCollection, valueTypes } from "../ir/model.js";
import { Expr, shapeJSON } from "../shapes/expr.js";
import { BYTES_PER_ELEMENT } from "../tensor.js";

export type Count = number | string;

export interface LayerSummary {
  name: string;
  type: string;
  input_shapes: Count[][];
  output_shape: Count[];
  /** A split's parts (`output_shape` is the first). */
  part_shapes?: Count[][];
  params: number;
  macs: Count;
  flops: Count;
  param_bytes: number;
  /** BatchNorm's running mean and var (nnx.BatchStat), counted apart from params. */
  batch_stats: number;
  batch_stat_bytes: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totals: { params: number; macs: Count; flops: Count; param_bytes: number; batch_stats: number; batch_stat_bytes: number };
}

/** Summarize, with symbols bound by `dims` where given (the rest stay expressions). */
export function summarize(model: IrModel, dims: Readonly<Record<string, number>> = {}): ModelSummary {
  const types = valueTypes(model);
  const bind = (e: Expr) => e.substitute(dims);
  let macs = Expr.const(0);
  let flops = Expr.const(0);
  let params = 0;
  let bytes = 0;
  let stats = 0;
  let statBytes = 0;
  const layers = model.layers.map((l): LayerSummary => {
    const [count, pbytes] = sizes(l.params.filter((p) => paramCollection(p) === "params"));
    const [scount, sbytes] = sizes(l.params.filter((p) => paramCollection(p) === "batch_stats"));
    macs = macs.add(bind(l.cost.macs));
    flops = flops.add(bind(l.cost.flops));
    params += count;
    bytes += pbytes;
    stats += scount;
    statBytes += sbytes;
    return {
      name: l.name,
      type: l.type,
      input_shapes: l.inputs.map((i) => shapeJSON(types.get(i)!.shape.map(bind))),
      output_shape: shapeJSON(l.output.shape.map(bind)),
      ...(l.parts ? { part_shapes: l.parts.map((p) => shapeJSON(p.shape.map(bind))) } : {}),
      params: count,
      macs: bind(l.cost.macs).toJSON(),
      flops: bind(l.cost.flops).toJSON(),
      param_bytes: pbytes,
      batch_stats: scount,
      batch_stat_bytes: sbytes,
    };
  });
  return { layers, totals: { params, macs: macs.toJSON(), flops: flops.toJSON(), param_bytes: bytes, batch_stats: stats, batch_stat_bytes: statBytes } };
}

/** Element count and bytes of some parameters. */
function sizes(ps: readonly ParamSpec[]): [number, number] {
  let n = 0;
  let bytes = 0;
  for (const p of ps) {
    const k = p.shape.reduce((a, b) => a * b, 1);
    n += k;
    bytes += k * BYTES_PER_ELEMENT[p.dtype];
  }
  return [n, bytes];
}

const CONVENTION =
  "MACs: multiply-accumulates of Conv (every tap at every output position, padding included), Linear, LinearGeneral, Einsum, einsum and attend. " +
  "FLOPs = 2 x MACs + 1 per output element of elementwise ops + 1 per input element of reductions + prod(window) per pooled output element.";
/** Added below the convention for models with normalization layers (src/layers/normalization.ts). */
const NORM_CONVENTION =
  "Norms: FLOPs per input element = statistics (3 with use_fast_variance, 4 without, 2 for RMSNorm) + 1 (x - mean, not RMSNorm) + 1 (x rsqrt(var + eps)) + 1 (scale) + 1 (bias); BatchNorm 2 + 1 (bias).";

/** Added below the convention for models with ConvTranspose or attention layers. */
const ATTENTION_CONVENTION =
  "ConvTranspose: MACs = input elements x kernel taps x out_features. Attention: MACs of the q/k/v/out projections and of the two einsums (q.k, p.v); FLOPs add 2 per attention weight (scale, softmax), +1 with a bias, +1 with a mask.";

const ATTENTION_TYPES = new Set(["ConvTranspose", "dot_product_attention", "MultiHeadAttention"]);

function convention(model: IrModel): string {
  const has = (types: ReadonlySet<string>): boolean => model.layers.some((l) => types.has(l.type));
  return [CONVENTION, ...(has(NORM_TYPES) ? [NORM_CONVENTION] : []), ...(has(ATTENTION_TYPES) ? [ATTENTION_CONVENTION] : [])].join("\n");
}

const NORM_TYPES = new Set(["LayerNorm", "RMSNorm", "GroupNorm", "BatchNorm"]);

const HEADERS = ["name", "type", "input shapes", "output shape", "params", "param bytes", "MACs", "FLOPs"];
/** Shown only for models with batch statistics (BatchNorm), after param bytes. */
const STAT_HEADERS = ["batch stats", "batch stat bytes"];

function headers(s: ModelSummary): string[] {
  return s.totals.batch_stats > 0 ? [...HEADERS.slice(0, 6), ...STAT_HEADERS, ...HEADERS.slice(6)] : HEADERS;
}

function rows(s: ModelSummary): string[][] {
  const shape = (d: Count[]) => `[${d.join(", ")}]`;
  const withStats = s.totals.batch_stats > 0;
  const row = (head: string[], l: Omit<LayerSummary, "name" | "type" | "input_shapes" | "output_shape">) =>
    [...head, num(l.params), bytesText(l.param_bytes), ...(withStats ? [num(l.batch_stats), bytesText(l.batch_stat_bytes)] : []), num(l.macs), num(l.flops)];
  const body = s.layers.map((l) => row([l.name, l.type, l.input_shapes.map(shape).join(" "), l.part_shapes ? l.part_shapes.map(shape).join(" ") : shape(l.output_shape)], l));
  body.push(row(["total", "", "", ""], s.totals));
  return body;
}

function num(c: Count): string {
  return typeof c === "number" ? c.toLocaleString("en-US") : c;
}

function bytesText(n: number): string {
  if (n === 0) return "0 B";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  const i = Math.min(units.length - 1, Math.floor(Math.log2(n) / 10));
  return i === 0 ? `${n} B` : `${(n / 1024 ** i).toFixed(1)} ${units[i]}`;
}

export function formatSummaryTable(model: IrModel, s: ModelSummary): string {
  const cols = headers(s);
  const all = [cols, ...rows(s)];
  const widths = cols.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const numeric = (c: number) => c >= 4;
  const line = (r: string[]) => r.map((cell, c) => (numeric(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  const body = all.map(line);
  return [`${model.model} (${model.file})`, rule, body[0], rule, ...body.slice(1, -1), rule, body[body.length - 1], "", convention(model), ""].join("\n");
}

export function formatSummaryMarkdown(model: IrModel, s: ModelSummary): string {
  const esc = (t: string) => t.replace(/\|/g, "\\|");
  const all = rows(s);
  const cols = headers(s);
  const out = [`### ${esc(model.model)}`, "", `| ${cols.join(" | ")} |`, `|${cols.map((_, c) => (c >= 4 ? "---:" : "---")).join("|")}|`];
  for (const [i, r] of all.entries()) {
    const cells = r.map((c) => esc(c));
    if (i === all.length - 1) cells[0] = "**total**";
    out.push(`| ${cells.join(" | ")} |`);
  }
  out.push("", convention(model), "");
  return out.join("\n");
}
