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
  /**
   * Models with modules: the tree of uses and layers by nnx.state path (a stacked repeat's
   * layers are one node each, holding all copies), each node with the sums of its subtree.
   */
  tree?: TreeNode[];
}

export interface TreeNode {
  path: string;
  /** The module of a use, or the layer type. */
  type: string;
  repeat?: { count: number; stacked: boolean };
  params: number;
  param_bytes: number;
  batch_stats: number;
  batch_stat_bytes: number;
  macs: Count;
  flops: Count;
  /** Present on uses; cut off below `depth`. */
  children?: TreeNode[];
  /** On a layer's node: the (first) layer it stands for, e.g. `s.0.fc` for stacked `s.fc`. */
  layer?: string;
}

export interface SummaryOptions {
  /** Levels of the tree to keep (as nnx.tabulate's depth); all when absent. */
  depth?: number;
}

/** Summarize, with symbols bound by `dims` where given (the rest stay expressions). */
export function summarize(model: IrModel, dims: Readonly<Record<string, number>> = {}, options: SummaryOptions = {}): ModelSummary {
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
  const totals = { params, macs: macs.toJSON(), flops: flops.toJSON(), param_bytes: bytes, batch_stats: stats, batch_stat_bytes: statBytes };
  return model.uses ? { layers, totals, tree: buildTree(model, layers, bind, options.depth) } : { layers, totals };
}

interface Sums {
  node: TreeNode;
  macs: Expr;
  flops: Expr;
  kids: Sums[];
}

/** The module tree: uses and layers nested by path, every node with its subtree's sums. */
function buildTree(model: IrModel, layers: readonly LayerSummary[], bind: (e: Expr) => Expr, depth: number | undefined): TreeNode[] {
  const stackedUses = new Set(model.uses!.filter((u) => u.repeat?.stacked).map((u) => u.path));
  // A stacked repeat's copies are one node: drop the copy index after a stacked use's path.
  const stored = (path: string) => {
    const out: string[] = [];
    let original = "";
    for (const seg of path.split(".")) {
      const skip = stackedUses.has(original) && /^\d+$/.test(seg);
      original = original ? `${original}.${seg}` : seg;
      if (!skip) out.push(seg);
    }
    return out.join(".");
  };
  const nodes = new Map<string, Sums>();
  const roots: Sums[] = [];
  const place = (path: string, type: string, repeat?: TreeNode["repeat"]): Sums => {
    let s = nodes.get(path);
    if (s) return s;
    const node: TreeNode = { path, type, ...(repeat ? { repeat } : {}), params: 0, param_bytes: 0, batch_stats: 0, batch_stat_bytes: 0, macs: 0, flops: 0 };
    s = { node, macs: Expr.const(0), flops: Expr.const(0), kids: [] };
    nodes.set(path, s);
    const dot = path.lastIndexOf(".");
    (dot > 0 && nodes.has(path.slice(0, dot)) ? nodes.get(path.slice(0, dot))!.kids : roots).push(s);
    return s;
  };
  const uses = new Map(model.uses!.map((u) => [u.path, u]));
  model.layers.forEach((l, i) => {
    // Ancestors first (uses), so each node finds its parent.
    const segs = l.name.split(".");
    for (let k = 1; k < segs.length; k++) {
      const u = uses.get(segs.slice(0, k).join("."));
      if (u && !(k > 1 && stackedUses.has(segs.slice(0, k - 1).join(".")))) place(stored(u.path), u.module, u.repeat);
    }
    const leaf = place(stored(l.name), l.type);
    leaf.node.layer ??= l.name;
    const s = layers[i]!;
    // The layer's own node and every enclosing use, each once (a stacked copy maps to its use).
    const targets = new Set([leaf]);
    for (let k = 1; k < segs.length; k++) {
      const target = nodes.get(stored(segs.slice(0, k).join(".")));
      if (target) targets.add(target);
    }
    for (const target of targets) {
      const n = target.node;
      n.params += s.params;
      n.param_bytes += s.param_bytes;
      n.batch_stats += s.batch_stats;
      n.batch_stat_bytes += s.batch_stat_bytes;
      target.macs = target.macs.add(bind(l.cost.macs));
      target.flops = target.flops.add(bind(l.cost.flops));
    }
  });
  const finish = (s: Sums, level: number): TreeNode => {
    const node: TreeNode = { ...s.node, macs: s.macs.toJSON(), flops: s.flops.toJSON() };
    if (uses.has(s.node.path) || s.kids.length > 0 || stackedUses.has(s.node.path)) {
      if (depth === undefined || level < depth) node.children = s.kids.map((k) => finish(k, level + 1));
    }
    return node;
  };
  return roots.map((r) => finish(r, 1));
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
  const byName = new Map(s.layers.map((l) => [l.name, l]));
  const outText = (l: LayerSummary) => (l.part_shapes ? l.part_shapes.map(shape).join(" ") : shape(l.output_shape));
  const body = s.tree
    ? treeRows(s.tree).map(([n, indent]) => {
        const l = byName.get(n.layer ?? "");
        const type = n.repeat ? `${n.type} x${n.repeat.count}${n.repeat.stacked ? " stacked" : ""}` : n.type;
        return row(["  ".repeat(indent) + n.path, type, l ? l.input_shapes.map(shape).join(" ") : "", l ? outText(l) : ""], n);
      })
    : s.layers.map((l) => row([l.name, l.type, l.input_shapes.map(shape).join(" "), outText(l)], l));
  body.push(row(["total", "", "", ""], s.totals));
  return body;
}

/** Tree nodes in order, each with its depth (0 at the top). */
export function treeRows(tree: readonly TreeNode[], indent = 0): [TreeNode, number][] {
  return tree.flatMap((n): [TreeNode, number][] => [[n, indent], ...treeRows(n.children ?? [], indent + 1)]);
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
