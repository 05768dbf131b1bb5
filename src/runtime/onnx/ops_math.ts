/** Broadcasting arithmetic and reductions (numpy broadcasting, as jnp). */

import type { DType } from "../../tensor.js";
import type { GraphBuilder } from "./graph.js";

export const add = (g: GraphBuilder, a: string, b: string): string => g.node("Add", [a, b]);
export const sub = (g: GraphBuilder, a: string, b: string): string => g.node("Sub", [a, b]);
export const mul = (g: GraphBuilder, a: string, b: string): string => g.node("Mul", [a, b]);
export const div = (g: GraphBuilder, a: string, b: string): string => g.node("Div", [a, b]);

export type Reduction = "mean" | "sum" | "max" | "min";
const REDUCE_OP = { mean: "ReduceMean", sum: "ReduceSum", max: "ReduceMax", min: "ReduceMin" } as const;

/**
 * jnp.mean/sum/max/min over `axes` (negative allowed); no axes reduces everything to a 0-d
 * value, like axis=None. Opset 18+ takes the axes as an input.
 */
export function reduce(g: GraphBuilder, x: string, kind: Reduction, axes?: readonly number[], keepdims = false): string {
  const ins = axes === undefined ? [x] : [x, g.constInt64(axes)];
  return g.node(REDUCE_OP[kind], ins, { keepdims: keepdims ? 1 : 0 });
}

/**
 * `reduce` with max/min as XLA computes them, for the `max` op (softmax's shift needs no more:
 * a NaN reaches its result through the sum anyway). ORT's ReduceMax/ReduceMin skip a NaN
 * unless it comes first. When x holds a NaN, the sum of `where(isnan(x), x, 0)` is NaN exactly
 * where a NaN was reduced and 0 elsewhere; subtracting it keeps every other result bit for bit
 * (-0 - 0 is -0). Without NaN (the common case) that costs one sum over x.
 */
export function reduceNaN(g: GraphBuilder, x: string, kind: Reduction, axes?: readonly number[], keepdims = false, dtype: DType = "float32"): string {
  const y = reduce(g, x, kind, axes, keepdims);
  if (kind !== "max" && kind !== "min") return y;
  return ifNaNOr(g, x, undefined, (b) => {
    const nanOnly = b.node("Where", [b.node("IsNaN", [x]), x, b.node("CastLike", [b.scalar(0, "float32"), x])]);
    return b.node("Sub", [y, reduce(b, nanOnly, "sum", axes, keepdims)]);
  }, y, dtype);
}

/**
 * `exact` (a branch) when x may hold a NaN or `alsoIf` (a 0-d bool) holds, else `fast`. x's
 * sum is NaN whenever x holds a NaN (also for +inf beside -inf: then the exact path runs for
 * nothing, still exact), so the common case costs that one read of x.
 */
export function ifNaNOr(g: GraphBuilder, x: string, alsoIf: string | undefined, exact: (b: GraphBuilder) => string, fast: string, dtype: DType = "float32"): string {
  const nan = g.node("IsNaN", [g.node("ReduceSum", [x], { keepdims: 0 })]);
  const cond = alsoIf === undefined ? nan : g.node("Or", [nan, alsoIf]);
  return g.node("If", [cond], { then_branch: g.subgraph(exact, dtype), else_branch: g.subgraph(() => fast, dtype) });
}
