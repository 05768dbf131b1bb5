/** jnp.transpose with an explicit permutation (negative axes allowed). */
import type { TensorType } from "../ir/model.js";
import { normalizeAxes, ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { transpose as transposeOp } from "../runtime/onnx/ops_shape.js";
import { call, list } from "./describe_text.js";

export interface TransposeAttrs {
  axes: number[];
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<TransposeAttrs> | undefined {
  const input = x!;
  const raw = f["axes"] as number[];
  if (raw.length !== input.shape.length) {
    ctx.error("NNX2033", "axes", `axes has ${raw.length} entries but the input has rank ${input.shape.length}`, `give a permutation of 0..${input.shape.length - 1}`);
    return undefined;
  }
  if (new Set(raw.map((a) => (a < 0 ? a + raw.length : a))).size !== raw.length) {
    ctx.error("NNX2033", "axes", `axes [${raw.join(", ")}] repeat an axis; expected a permutation of 0..${raw.length - 1}`);
    return undefined;
  }
  const axes = normalizeAxes(ctx, "axes", raw, input.shape.length);
  if (!axes) return undefined;
  return { attrs: { axes }, output: { dtype: input.dtype, shape: axes.map((a) => input.shape[a]!) }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

export const transpose: LayerKind<TransposeAttrs> = {
  types: ["transpose"],
  arity: "one",
  build,
  lower: (layer, [x], l) => transposeOp(l.g, x!, layer.attrs.axes),
  describe: (a) => call("transpose", [list(a.axes)]),
};
