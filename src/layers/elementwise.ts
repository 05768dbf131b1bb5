/** jnp.add / jnp.multiply over any number of inputs, with NumPy broadcasting. */
import type { TensorType } from "../ir/model.js";
import { Expr } from "../shapes/expr.js";
import { f32, numel, requireFloatInput, ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { add, mul } from "../runtime/onnx/ops_math.js";

export type ElementwiseAttrs = Record<string, never>;

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

function build(type: string) {
  return (_f: Readonly<Record<string, unknown>>, inputs: readonly TensorType[], ctx: LayerContext): Built<ElementwiseAttrs> | undefined => {
    if (!inputs.every((t) => requireFloatInput(ctx, t, type))) return undefined;
    const shape = broadcastShapes(ctx, inputs.map((t) => t.shape));
    if (!shape) return undefined;
    const output = f32(shape);
    return { attrs: {}, output, params: [], cost: { macs: ZERO, flops: numel(output).mul(inputs.length - 1) } };
  };
}

export const elementwise: LayerKind<ElementwiseAttrs>[] = (["add", "multiply"] as const).map((t) => ({
  types: [t],
  arity: "many",
  build: build(t),
  lower: (_layer, xs, l) => xs.slice(1).reduce((acc, x) => (t === "add" ? add : mul)(l.g, acc, x), xs[0]!),
}));
