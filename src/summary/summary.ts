/**
 * Per-layer summary like nnx.tabulate: shapes, params, bytes, MACs and FLOPs.
 * Convention: MACs count every multiply-accumulate of Conv (every tap at every output
 * position, padding included), Linear, LinearGeneral, Einsum (product of the sizes of all
 * distinct indices), einsum and attend. FLOPs = 2 x MACs, plus one per output element of
 * elementwise ops, one per input element of reductions, and prod(window) per output
 * element of pooling. reshape, transpose and concatenate cost 0.
 */
import type { IrModel } from "../ir/model.js";
import { valueTypes } from "../ir/model.js";
import { Expr, shapeJSON } from "../shapes/expr.js";
import { BYTES_PER_ELEMENT } from "../tensor.js";

export type Count = number | string;

export interface LayerSummary {
  name: string;
  type: string;
  input_shapes: Count[][];
  output_shape: Count[];
  params: number;
  macs: Count;
  flops: Count;
  param_bytes: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totals: { params: number; macs: Count; flops: Count; param_bytes: number };
}

/** Summarize, with symbols bound by `dims` where given (the rest stay expressions). */
export function summarize(model: IrModel, dims: Readonly<Record<string, number>> = {}): ModelSummary {
  const types = valueTypes(model);
  const bind = (e: Expr) => e.substitute(dims);
  let macs = Expr.const(0);
  let flops = Expr.const(0);
  let params = 0;
  let bytes = 0;
  const layers = model.layers.map((l): LayerSummary => {
    const count = l.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    const pbytes = l.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[p.dtype], 0);
    macs = macs.add(bind(l.cost.macs));
    flops = flops.add(bind(l.cost.flops));
    params += count;
    bytes += pbytes;
    return {
      name: l.name,
      type: l.type,
      input_shapes: l.inputs.map((i) => shapeJSON(types.get(i)!.shape.map(bind))),
      output_shape: shapeJSON(l.output.shape.map(bind)),
      params: count,
      macs: bind(l.cost.macs).toJSON(),
      flops: bind(l.cost.flops).toJSON(),
      param_bytes: pbytes,
    };
  });
  return { layers, totals: { params, macs: macs.toJSON(), flops: flops.toJSON(), param_bytes: bytes } };
}

const CONVENTION =
  "MACs: multiply-accumulates of Conv (every tap at every output position, padding included), Linear, LinearGeneral, Einsum, einsum and attend. " +
  "FLOPs = 2 x MACs + 1 per output element of elementwise ops + 1 per input element of reductions + prod(window) per pooled output element. " +
  "ConvTranspose: every input element times every kernel tap and output feature. Attention: the q/k/v/out projections and the two einsums (q.k, p.v); FLOPs add 2 per attention weight (scale, softmax), +1 with a bias, +1 with a mask.";

const HEADERS = ["name", "type", "input shapes", "output shape", "params", "param bytes", "MACs", "FLOPs"];

function rows(s: ModelSummary): string[][] {
  const shape = (d: Count[]) => `[${d.join(", ")}]`;
  const body = s.layers.map((l) => [l.name, l.type, l.input_shapes.map(shape).join(" "), shape(l.output_shape), num(l.params), bytesText(l.param_bytes), num(l.macs), num(l.flops)]);
  body.push(["total", "", "", "", num(s.totals.params), bytesText(s.totals.param_bytes), num(s.totals.macs), num(s.totals.flops)]);
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
  const all = [HEADERS, ...rows(s)];
  const widths = HEADERS.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const numeric = (c: number) => c >= 4;
  const line = (r: string[]) => r.map((cell, c) => (numeric(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  const body = all.map(line);
  return [`${model.model} (${model.file})`, rule, body[0], rule, ...body.slice(1, -1), rule, body[body.length - 1], "", CONVENTION, ""].join("\n");
}

export function formatSummaryMarkdown(model: IrModel, s: ModelSummary): string {
  const esc = (t: string) => t.replace(/\|/g, "\\|");
  const all = rows(s);
  const out = [`### ${esc(model.model)}`, "", `| ${HEADERS.join(" | ")} |`, `|${HEADERS.map((_, c) => (c >= 4 ? "---:" : "---")).join("|")}|`];
  for (const [i, r] of all.entries()) {
    const cells = r.map((c) => esc(c));
    if (i === all.length - 1) cells[0] = "**total**";
    out.push(`| ${cells.join(" | ")} |`);
  }
  out.push("", CONVENTION, "");
  return out.join("\n");
}
