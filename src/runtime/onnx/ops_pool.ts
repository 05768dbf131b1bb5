/**
 * flax.nnx.avg_pool / max_pool (flax.linen.pooling) on channels-last values.
 */

import { tensor, type DType } from "../../tensor.js";
import { tensorAttr, type Dim, type GraphBuilder } from "./graph.js";
import { ifNaNOr } from "./ops_math.js";
import { kernelChoices } from "./kernels.js";
import { concat, reshape, shapeOf, slice, toChannelsFirst, toChannelsLast, withOneBatchDim } from "./ops_shape.js";
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

/** The largest finite float32: ORT's MaxPool starts from its negative. */
const FLOAT32_MAX = 3.4028234663852886e38;

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

/**
 * flax max_pool (lax.reduce_window with max, init -inf): padding counts as -inf, a NaN in a
 * window gives NaN, and a window of only -inf (or only padding) gives -inf. ORT's MaxPool skips
 * NaN and starts from the lowest finite float. Where that can matter (a NaN somewhere in x,
 * or the lowest float in the result), an If takes the exact path: a uint8 code of each element
 * (3 NaN, 2 any other value, 1 -inf and padding) is max-pooled beside x, 3 makes the result NaN
 * and 1 -inf. (Padding is not 0: ORT would fuse a zero Pad into MaxPool's pads, which must stay
 * below the window.) Otherwise the cost is one sum over x and one min over the result.
 */
export function maxPool(g: GraphBuilder, x: string, o: PoolOptions): string {
  const dtype = o.dtype ?? "float32";
  // The checks read x and the result in the caller's layout, so ORT can still run the plain
  // pool channels-last without the transposes around it.
  const fast = plainMaxPool(g, x, o, dtype, false);
  const lowest = g.node("Equal", [g.node("ReduceMin", [fast], { keepdims: 0 }), g.node("CastLike", [dtype === "float64" ? g.scalar(-Number.MAX_VALUE, "float64") : g.scalar(-FLOAT32_MAX, "float32"), fast])]);
  return ifNaNOr(g, x, lowest, (b) => plainMaxPool(b, x, o, dtype, true), fast, dtype);
}

function plainMaxPool(g: GraphBuilder, x: string, o: PoolOptions, dtype: DType, exact: boolean): string {
  const p = prepare(g, x, o);
  const r = o.window.length;
  // ORT rejects pads >= window: pad explicitly instead.
  const pool = (v: string, padValue: string): string =>
    p.attrPads ? g.node("MaxPool", [v], poolAttrs(o, p.pads as Pair[])) : g.node("MaxPool", [padConstant(g, v, p.pads, r, padValue)], poolAttrs(o, undefined));
  const y = pool(p.x, g.scalar(-Infinity, dtype));
  if (!exact) return p.finish(y);
  const negInf = g.node("IsInf", [p.x], { detect_positive: 0, detect_negative: 1 });
  const code = pool(g.node("Where", [g.node("IsNaN", [p.x]), g.scalar(3, "uint8"), g.node("Where", [negInf, g.scalar(1, "uint8"), g.scalar(2, "uint8")])]), g.scalar(1, "uint8"));
  const fixed = g.node("Where", [g.node("Equal", [code, g.scalar(1, "uint8")]), g.scalar(-Infinity, dtype), y]);
  return p.finish(g.node("Where", [g.node("Equal", [code, g.scalar(3, "uint8")]), g.scalar(NaN, dtype), fixed]));
}

/**
 * flax avg_pool: window sums divided by prod(window) (count_include_pad) or by the number of
 * real elements in each window, which Flax gets by pooling a ones array.
 */
export function avgPool(g: GraphBuilder, x: string, o: PoolOptions & { readonly countIncludePad?: boolean }): string {
  const include = o.countIncludePad ?? true;
  const p = prepare(g, x, o);
  const bySums = tiledSums(g, p, o);
  if (bySums !== undefined) return bySums;
  if (p.attrPads) return p.finish(g.node("AveragePool", [p.x], poolAttrs(o, p.pads as Pair[], { count_include_pad: include ? 1 : 0 })));
  const r = o.window.length;
  const avg = (v: string): string => g.node("AveragePool", [padConstant(g, v, p.pads, r)], poolAttrs(o, undefined));
  if (include) return p.finish(avg(p.x));
  const dtype = o.dtype ?? "float32";
  const onesShape = concat(g, [g.constInt64([1, 1]), shapeOf(g, p.x, 2)], 0);
  const onesX = g.node("ConstantOfShape", [onesShape], { value: tensorAttr(tensor(dtype, [1], [1])) });
  return p.finish(g.node("Div", [avg(p.x), avg(onesX)]));
}

/**
 * avg_pool as sums where kernels.ts asks for it: float32, 2-D, no padding, windows that tile
 * the input (strides = window; rows and columns past the last whole window dropped, as VALID
 * does). On the channels-first (N*C, H, W) value: the window's rows summed (Slice + Add for
 * 2 rows), then each output's columns (ReduceSum over the last axis), then / prod(window) as
 * Flax divides. Undefined where it does not apply.
 */
function tiledSums(g: GraphBuilder, p: Prepared, o: PoolOptions): string | undefined {
  const [a, b] = o.window;
  const [h, w, c] = o.inputShape.slice(-3);
  const strides = o.strides ?? o.window.map(() => 1);
  if (!kernelChoices(g).avgPoolBySums || g.rounding || (o.dtype ?? "float32") !== "float32" || o.window.length !== 2) return undefined;
  if (typeof h !== "number" || typeof w !== "number" || typeof c !== "number" || a === undefined || b === undefined) return undefined;
  if (strides[0] !== a || strides[1] !== b || typeof p.pads === "string" || p.pads.some(([lo, hi]) => lo !== 0 || hi !== 0)) return undefined;
  const [ho, wo] = [Math.floor(h / a), Math.floor(w / b)];
  if (ho === 0 || wo === 0) return undefined;
  const x = ho * a === h && wo * b === w ? p.x : slice(g, p.x, [0, 0], [ho * a, wo * b], [2, 3]);
  const rows = reshape(g, x, [-1, a, wo * b]);
  const rowSum = a === 2 ? g.node("Add", [slice(g, rows, [0], [1], [1]), slice(g, rows, [1], [2], [1])]) : g.node("ReduceSum", [rows, g.constInt64([1])], { keepdims: 1 });
  const sums = g.node("ReduceSum", [reshape(g, rowSum, [-1, wo, b]), g.constInt64([2])], { keepdims: 0 });
  return p.finish(reshape(g, g.node("Div", [sums, g.scalar(a * b, "float32")]), [-1, c, ho, wo]));
}
