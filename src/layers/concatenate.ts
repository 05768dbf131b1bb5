/** jnp.concatenate along one axis: equal ranks, dtypes and sizes off that axis. */
import type { TensorType } from "../ir/model.js";
import { normalizeAxis, ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { concat } from "../runtime/onnx/ops_shape.js";
import { call } from "./describe_text.js";

export interface ConcatenateAttrs {
  axis: number;
}

function build(f: Readonly<Record<string, unknown>>, inputs: readonly TensorType[], ctx: LayerContext): Built<ConcatenateAttrs> | undefined {
  const first = inputs[0]!;
  const rank = first.shape.length;
  for (const [i, t] of inputs.entries()) {
    if (t.shape.length !== rank || t.dtype !== first.dtype) {
      ctx.error("NNX2032", `input/${i}`, `input ${i} has ${t.dtype}[${t.shape.map(String).join(", ")}] but input 0 has ${first.dtype}[${first.shape.map(String).join(", ")}]; concatenate needs equal ranks and dtypes`);
      return undefined;
    }
  }
  const axis = normalizeAxis(ctx, "axis", f["axis"] as number, rank);
  if (axis === undefined) return undefined;
  for (let d = 0; d < rank; d++) {
    if (d === axis) continue;
    for (const [i, t] of inputs.entries()) {
      const a = first.shape[d]!;
      const b = t.shape[d]!;
      if (!a.equals(b) && !ctx.require([a, b], ([x, y]) => x !== y, "NNX2032", `input/${i}`, () => `input ${i} has size ${b.toString()} at axis ${d} but input 0 has ${a.toString()}; only axis ${axis} may differ`)) return undefined;
    }
  }
  const shape = first.shape.map((d, i) => (i === axis ? inputs.slice(1).reduce((acc, t) => acc.add(t.shape[i]!), d) : d));
  return { attrs: { axis }, output: { dtype: first.dtype, shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

export const concatenate: LayerKind<ConcatenateAttrs> = {
  types: ["concatenate"],
  arity: "many",
  build,
  lower: (layer, xs, l) => concat(l.g, xs, layer.attrs.axis),
  describe: (a) => call("concatenate", [`axis ${a.axis}`]),
};
