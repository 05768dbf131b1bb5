/** NumPy broadcasting of input shapes (the elementwise ops themselves are rows of ops/table.ts). */
import { Expr } from "../shapes/expr.js";
import type { LayerContext } from "./kind.js";

/** Right-aligned broadcasting; a dim of 1 stretches, equal dims match. */
export function broadcastShapes(ctx: LayerContext, shapes: readonly (readonly Expr[])[]): Expr[] | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Expr[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Expr = Expr.const(1);
    for (const [k, s] of shapes.entries()) {
      const d = s[s.length - rank + i];
      if (d === undefined || d.constant === 1) continue;
      if (dim.constant === 1 || dim.equals(d)) {
        dim = d;
        continue;
      }
      const a = dim;
      const ok = ctx.require([a, d], ([x, y]) => x !== y && x !== 1 && y !== 1, "NNX2021", `input/${k}`, () =>
        `input ${k} has size ${d.toString()} at axis ${i - rank} where another input has ${a.toString()}; they do not broadcast`,
      );
      if (!ok) return undefined;
    }
    out.push(dim);
  }
  return out;
}
