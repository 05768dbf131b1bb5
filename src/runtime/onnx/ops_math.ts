/** Broadcasting arithmetic and reductions (numpy broadcasting, as jnp). */

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
