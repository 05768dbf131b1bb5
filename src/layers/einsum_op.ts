/** Stateless jnp.einsum between activations (attention scores, weighted sums). */
import type { TensorType } from "../ir/model.js";
import { inexactResult, requireFloatInput, typed } from "./common.js";
import { checkEqualities, einsumMacs, einsumOutputShape, einsumStructure, isProblem, parseEinsum, squeezedEquation } from "./einsum_equation.js";
import { squeeze } from "../runtime/onnx/ops_shape.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { call } from "./describe_text.js";

export interface EinsumOpAttrs {
  /** Spaces removed, ellipses expanded. */
  equation: string;
  /** Per input, the size-1 axes that broadcast (squeezed before the Einsum). */
  broadcast: number[][];
}

function build(f: Readonly<Record<string, unknown>>, inputs: readonly TensorType[], ctx: LayerContext): Built<EinsumOpAttrs> | undefined {
  if (!inputs.every((t) => requireFloatInput(ctx, t, "einsum"))) return undefined;
  const eq = f["equation"] as string;
  const structural = einsumStructure(eq, inputs.length);
  if (structural) {
    ctx.error(structural.code, "equation", structural.message, structural.hint);
    return undefined;
  }
  const parsed = parseEinsum(eq, inputs.map((t) => t.shape));
  if (isProblem(parsed)) {
    ctx.error(parsed.code, "equation", `${parsed.message} (inputs ${inputs.map((t) => `[${t.shape.map(String).join(", ")}]`).join(", ")})`, parsed.hint);
    return undefined;
  }
  if (!checkEqualities(ctx, parsed, "equation")) return undefined;
  const macs = einsumMacs(parsed);
  // jnp.einsum: the operands' result type, the contraction rounded once to it.
  const dtype = inexactResult(inputs.map((t) => t.dtype), ctx.x64);
  return { attrs: { equation: parsed.expanded, broadcast: parsed.broadcast }, numerics: { cast: dtype, compute: dtype }, output: typed(dtype, einsumOutputShape(parsed)), params: [], cost: { macs, flops: macs.mul(2) } };
}

export const einsumOp: LayerKind<EinsumOpAttrs> = {
  types: ["einsum"],
  arity: "many",
  build,
  lower: (layer, xs, l) => {
    const b = layer.attrs.broadcast;
    const ins = xs.map((x, i) => (b[i]!.length ? squeeze(l.g, x, b[i]!) : x));
    return l.g.node("Einsum", ins, { equation: squeezedEquation(layer.attrs.equation, b) });
  },
  describe: (a) => call("einsum", [a.equation]),
};
