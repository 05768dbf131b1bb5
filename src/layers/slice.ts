/**
 * NumPy basic indexing written as a string, `x[:, 0]`, `x[..., ::2]`, `x[:, :seq, None]`:
 * integers (negative from the end), `start:stop:step` with integers or dim symbols, `...` and
 * `None`. The string is parsed by the small grammar below, never evaluated. Output sizes follow
 * Python's slice clamping (`slice.indices`), kept symbolic as min/max expressions.
 */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { concat, INT64_MAX, squeeze, unsqueeze } from "../runtime/onnx/ops_shape.js";
import { Expr } from "../shapes/expr.js";
import { ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

/** A slice bound: an integer or a dim symbol. */
export type Bound = number | string;

export type IndexItem =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "slice"; readonly start?: Bound; readonly stop?: Bound; readonly step?: Bound }
  | { readonly kind: "ellipsis" }
  | { readonly kind: "none" };

export interface SliceAttrs {
  /** The index as written (for descriptions). */
  index: string;
  /** One entry per input axis: the int index, the slice, or undefined for the whole axis. */
  axes: (IndexItem | undefined)[];
  /** Output axes that `None` inserts. */
  newAxes: number[];
}

const BOUND = /^(-?\d+|[a-z_][a-z0-9_]*)$/;

/** Parse `[:, 0]` (brackets optional) into items; a message naming the bad part on failure. */
export function parseIndex(text: string): IndexItem[] | string {
  let body = text.trim();
  if (body.startsWith("[") !== body.endsWith("]")) return `unbalanced brackets in "${text}"`;
  if (body.startsWith("[")) body = body.slice(1, -1);
  if (body.trim() === "") return [];
  const parts = body.split(",").map((p) => p.trim());
  // One trailing comma is Python's tuple syntax: `[0,]`.
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  const items: IndexItem[] = [];
  for (const p of parts) {
    if (p === "...") items.push({ kind: "ellipsis" });
    else if (p === "None") items.push({ kind: "none" });
    else if (/^-?\d+$/.test(p)) items.push({ kind: "int", value: Number(p) });
    else if (p.includes(":")) {
      const b = p.split(":").map((s) => s.trim());
      if (b.length > 3) return `"${p}" has more than two colons`;
      const bad = b.find((s) => s !== "" && !BOUND.test(s));
      if (bad !== undefined) return `"${bad}" in "${p}" is not an integer or a dim symbol`;
      const bound = (s: string | undefined): Bound | undefined => (s === undefined || s === "" ? undefined : /^-?\d/.test(s) ? Number(s) : s);
      const [start, stop, step] = [bound(b[0]), bound(b[1]), bound(b[2])];
      items.push({ kind: "slice", ...(start !== undefined ? { start } : {}), ...(stop !== undefined ? { stop } : {}), ...(step !== undefined ? { step } : {}) });
    } else return `"${p}" is not an integer, a slice, ... or None`;
  }
  for (const it of items) {
    for (const v of it.kind === "int" ? [it.value] : it.kind === "slice" ? [it.start, it.stop, it.step] : []) {
      if (typeof v === "number" && !Number.isSafeInteger(v)) return `${v} is too large`;
    }
  }
  return items;
}

/** A bound as an expression (a symbol is a non-negative size). */
function boundExpr(b: Bound): Expr {
  return typeof b === "number" ? Expr.const(b) : Expr.sym(b);
}

/** Python's `slice(start, stop, step).indices(n)` length, symbolically. */
export function sliceLength(n: Expr, s: Extract<IndexItem, { kind: "slice" }>, step: number, mins: Readonly<Record<string, number>>): Expr {
  // Where a bound lands after negative indices wrap and clamping to the axis.
  const clamp = (b: Bound | undefined, dflt: Expr, lo: number, hi: Expr): Expr => {
    if (b === undefined) return dflt;
    const e = boundExpr(b);
    if (typeof b === "number" && b < 0) return n.add(e).max(lo, mins);
    return e.min(hi, mins);
  };
  if (step > 0) {
    const start = clamp(s.start, ZERO, 0, n);
    const stop = clamp(s.stop, n, 0, n);
    return stop.sub(start).ceildiv(step).max(0, mins);
  }
  const last = n.sub(1);
  const start = clamp(s.start, last, -1, last);
  const stop = clamp(s.stop, Expr.const(-1), -1, last);
  return start.sub(stop).ceildiv(-step).max(0, mins);
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<SliceAttrs> | undefined {
  const input = x!;
  const index = f["index"] as string;
  const items = parseIndex(index);
  if (typeof items === "string") {
    ctx.error("NNX2070", "index", `cannot parse the index ${JSON.stringify(index)}: ${items}`, 'write NumPy basic indexing such as "[:, 0]", "[..., ::2]" or "[:, :seq, None]"');
    return undefined;
  }
  const ellipses = items.filter((i) => i.kind === "ellipsis").length;
  if (ellipses > 1) {
    ctx.error("NNX2074", "index", `the index ${JSON.stringify(index)} has ${ellipses} ellipses; an index can only have a single ellipsis ('...')`);
    return undefined;
  }
  const rank = input.shape.length;
  const consuming = items.filter((i) => i.kind === "int" || i.kind === "slice").length;
  if (consuming > rank) {
    ctx.error("NNX2075", "index", `too many indices: ${JSON.stringify(index)} indexes ${consuming} axes but the input has rank ${rank} ([${input.shape.map(String).join(", ")}])`);
    return undefined;
  }
  const mins: Record<string, number> = {};
  for (const it of items) {
    if (it.kind !== "slice") continue;
    for (const [what, b] of [["start", it.start], ["stop", it.stop], ["step", it.step]] as const) {
      if (typeof b === "string") {
        if (!ctx.dims.has(b)) {
          ctx.error("NNX2073", "index", `the ${what} "${b}" of ${JSON.stringify(index)} is not a dim symbol of any model input, so nothing can give it a value`, "use an integer, or a symbol from the inputs' shapes");
          return undefined;
        }
        if (what === "step") {
          ctx.error("NNX2070", "index", `the step "${b}" of ${JSON.stringify(index)} is symbolic; steps must be integers (as under jax.export)`);
          return undefined;
        }
      }
    }
    if (it.step === 0) {
      ctx.error("NNX2072", "index", `slice step cannot be zero in ${JSON.stringify(index)}`);
      return undefined;
    }
  }
  for (const s of input.shape.flatMap((d) => d.symbols())) mins[s] = ctx.dims.bounds(s).min;
  for (const it of items) if (it.kind === "slice") for (const b of [it.start, it.stop]) if (typeof b === "string") mins[b] = ctx.dims.bounds(b).min;

  const axes: (IndexItem | undefined)[] = [];
  const newAxes: number[] = [];
  const shape: Expr[] = [];
  let axis = 0;
  for (const it of items) {
    if (it.kind === "none") {
      newAxes.push(shape.length);
      shape.push(Expr.const(1));
    } else if (it.kind === "ellipsis") {
      for (let k = 0; k < rank - consuming; k++, axis++) {
        axes.push(undefined);
        shape.push(input.shape[axis]!);
      }
    } else {
      const n = input.shape[axis]!;
      if (it.kind === "int") {
        const i = it.value;
        if (!ctx.require([n], ([v]) => i >= v! || i < -v!, "NNX2071", "index", (v) => `index ${i} in ${JSON.stringify(index)} is out of bounds for axis ${axis} with size ${n.toString()}${v === "some" ? " for some allowed sizes" : ""}`)) return undefined;
        axes.push(it);
      } else {
        const whole = it.start === undefined && it.stop === undefined && (it.step === undefined || it.step === 1);
        axes.push(whole ? undefined : it);
        shape.push(whole ? n : sliceLength(n, it, (it.step as number | undefined) ?? 1, mins));
      }
      axis++;
    }
  }
  // Axes after the last item are taken whole, as NumPy does.
  for (; axis < rank; axis++) {
    axes.push(undefined);
    shape.push(input.shape[axis]!);
  }
  return { attrs: { index, axes, newAxes }, output: { dtype: input.dtype, shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

/** One Slice over every sliced or integer-indexed axis, a Squeeze of the integer axes, an Unsqueeze for None. */
function lower(layer: IrLayer<SliceAttrs>, [x]: readonly string[], l: Lowering): string {
  const g = l.g;
  const starts: (number | bigint | string)[] = [];
  const ends: (number | bigint | string)[] = [];
  const steps: number[] = [];
  const sliced: number[] = [];
  const dropped: number[] = [];
  layer.attrs.axes.forEach((it, axis) => {
    if (!it) return;
    sliced.push(axis);
    if (it.kind === "int") {
      starts.push(it.value);
      ends.push(it.value === -1 ? INT64_MAX : it.value + 1);
      steps.push(1);
      dropped.push(axis);
    } else if (it.kind === "slice") {
      const step = (it.step as number | undefined) ?? 1;
      // ONNX Slice clamps starts and ends exactly as Python's slice.indices does.
      starts.push(it.start ?? (step > 0 ? 0 : INT64_MAX));
      ends.push(it.stop ?? (step > 0 ? INT64_MAX : -INT64_MAX - 1n));
      steps.push(step);
    }
  });
  let y = x!;
  if (sliced.length) {
    const vec = (vs: (number | bigint | string)[]): string =>
      vs.every((v) => typeof v !== "string") ? g.constInt64(vs as (number | bigint)[]) : concat(g, vs.map((v) => (typeof v === "string" ? l.symbol(v) : g.constInt64([v]))), 0);
    y = g.node("Slice", [y, vec(starts), vec(ends), g.constInt64(sliced), g.constInt64(steps)]);
  }
  if (dropped.length) y = squeeze(g, y, dropped);
  if (layer.attrs.newAxes.length) y = unsqueeze(g, y, layer.attrs.newAxes);
  return y;
}

export const slice: LayerKind<SliceAttrs> = { types: ["slice"], arity: "one", build, lower, describe: (a) => `x${a.index.trim().startsWith("[") ? a.index.trim() : `[${a.index.trim()}]`}` };
