/**
 * flax.nnx.avg_pool / max_pool (flax.linen.pooling) on channels-last values.
 */

import { tensor, type DType } from "../../tensor.js";
import { tensorAttr, type Dim, type GraphBuilder } from "./graph.js";
import { concat, shapeOf, toChannelsFirst, toChannelsLast, withOneBatchDim } from "./ops_shape.js";
import { cropNegative, onnxPads, padConstant, resolvePadding, type Pair, type WindowPadding } from "./ops_spatial.js";

export interface PoolOptions {
  /** Shape of x: (batch dims..., window dims..., C). Rank len(window)+1 means unbatched, as in Flax. */
  readonly inputShape: readonly Dim[];
  readonly window: readonly number[];
  /** Default all 1. */
  readonly strides?: readonly number[];
  /** Default VALID, as Flax. */
  readonly padding?: WindowPadding;
  /** dtype of x (default float32): needed for the -inf and ones constants. */
  readonly dtype?: DType;
}

interface Prepared {
  x: string;
  pads: Pair[] | string;
  /** Static, non-negative and below the window: ORT's pool `pads` attribute can take them. */
  attrPads: boolean;
  finish: (y: string) => string;
}

function prepare(g: GraphBuilder, x: string, o: PoolOptions): Prepared {
  const r = o.window.length;
  const strides = o.strides ?? o.window.map(() => 1);
  const nBatch = o.inputShape.length - (r + 1);
  const b = withOneBatchDim(g, x, nBatch);
  let xc = toChannelsFirst(g, b.x, r);
  const res = resolvePadding(g, xc, o.padding ?? { kind: "valid" }, o.inputShape.slice(nBatch, nBatch + r), o.window, strides);
  let pads: Pair[] | string;
  if (res.kind === "dynamic") pads = res.pads;
  else ({ x: xc, pads } = cropNegative(g, xc, res.pads));
  const attrPads = typeof pads !== "string" && pads.every(([lo, hi], i) => lo < o.window[i]! && hi < o.window[i]!);
  return { x: xc, pads, attrPads, finish: (y) => b.restore(toChannelsLast(g, y, r)) };
}

function poolAttrs(o: PoolOptions, pads: readonly Pair[] | undefined, extra: Record<string, number> = {}): Record<string, readonly number[] | number> {
  return { kernel_shape: o.window, strides: o.strides ?? o.window.map(() => 1), pads: onnxPads(pads ?? o.window.map(() => [0, 0])), ...extra };
}

/** flax max_pool: padding counts as -inf. */
export function maxPool(g: GraphBuilder, x: string, o: PoolOptions): string {
  const p = prepare(g, x, o);
  if (p.attrPads) return p.finish(g.node("MaxPool", [p.x], poolAttrs(o, p.pads as Pair[])));
  // ORT rejects pads >= window: pad explicitly instead.
  const xp = padConstant(g, p.x, p.pads, o.window.length, g.scalar(-Infinity, o.dtype ?? "float32"));
  return p.finish(g.node("MaxPool", [xp], poolAttrs(o, undefined)));
}

/**
 * flax avg_pool: window sums divided by prod(window) (count_include_pad) or by the number of
 * real elements in each window, which Flax gets by pooling a ones array.
 */
export function avgPool(g: GraphBuilder, x: string, o: PoolOptions & { readonly countIncludePad?: boolean }): string {
  const include = o.countIncludePad ?? true;
  const p = prepare(g, x, o);
  if (p.attrPads) return p.finish(g.node("AveragePool", [p.x], poolAttrs(o, p.pads as Pair[], { count_include_pad: include ? 1 : 0 })));
  const r = o.window.length;
  const avg = (v: string): string => g.node("AveragePool", [padConstant(g, v, p.pads, r)], poolAttrs(o, undefined));
  if (include) return p.finish(avg(p.x));
  const dtype = o.dtype ?? "float32";
  const onesShape = concat(g, [g.constInt64([1, 1]), shapeOf(g, p.x, 2)], 0);
  const onesX = g.node("ConstantOfShape", [onesShape], { value: tensorAttr(tensor(dtype, [1], [1])) });
  return p.finish(g.node("Div", [avg(p.x), avg(onesX)]));
}
