/** flax.nnx.Linear: y[..., o] = sum_i x[..., i] W[i, o] + b[o], on any rank >= 1. */
import type { TensorType } from "../ir/model.js";
import { Expr, product } from "../shapes/expr.js";
import { dotNumerics, makeParams, paramDtype, requireFloatInput, staticDim, typed } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { linear as linearOp } from "../runtime/onnx/ops_linear.js";
import { call, noBias } from "./describe_text.js";

export interface LinearAttrs {
  inFeatures: number;
  outFeatures: number;
  useBias: boolean;
}

/** out_features, or its alias features; exactly one of them. */
export function outFeaturesField<T>(ctx: LayerContext, f: Readonly<Record<string, unknown>>, layer: string): T | undefined {
  const out = (f["out_features"] ?? f["features"]) as T | undefined;
  if (out === undefined) ctx.error("NNX2024", undefined, `${layer} needs out_features (or its alias features)`);
  else if (f["out_features"] !== undefined && f["features"] !== undefined) {
    ctx.error("NNX2024", "features", "give out_features or features, not both");
    return undefined;
  }
  return out;
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<LinearAttrs> | undefined {
  const input = x!;
  if (!requireFloatInput(ctx, input, "Linear")) return undefined;
  const outFeatures = outFeaturesField<number>(ctx, f, "Linear");
  if (input.shape.length < 1) {
    ctx.error("NNX2009", "input", "Linear needs an input of rank >= 1, got a scalar");
    return undefined;
  }
  const inFeatures = staticDim(ctx, input.shape[input.shape.length - 1]!, "in_features", "the input's last dim");
  if (inFeatures === undefined || outFeatures === undefined) return undefined;
  if (f["in_features"] !== undefined && f["in_features"] !== inFeatures) {
    ctx.error("NNX2010", "in_features", `in_features is ${String(f["in_features"])} but the input's last dim is ${inFeatures}`, `set in_features: ${inFeatures} or remove it`);
    return undefined;
  }
  const useBias = f["use_bias"] as boolean;
  const params = makeParams(ctx, [
    { name: "kernel", shape: [inFeatures, outFeatures], initField: "kernel_init", init: f["kernel_init"] },
    ...(useBias ? [{ name: "bias", shape: [outFeatures], initField: "bias_init", init: f["bias_init"] }] : []),
  ], paramDtype(ctx, f));
  if (!params) return undefined;
  const { numerics, output } = dotNumerics(ctx, f, input.dtype, params.map((p) => p.dtype), useBias);
  const shape = [...input.shape.slice(0, -1), Expr.const(outFeatures)];
  const macs = product(shape).mul(inFeatures);
  return { attrs: { inFeatures, outFeatures, useBias }, numerics, output: typed(output, shape), params, cost: { macs, flops: macs.mul(2) } };
}

export const linear: LayerKind<LinearAttrs> = {
  types: ["Linear"],
  arity: "one",
  build,
  lower: (layer, [x], l) => linearOp(l.g, x!, l.param(layer.name, "kernel"), layer.attrs.useBias ? l.param(layer.name, "bias") : undefined),
  describe: (a) => call("Linear", [`${a.inFeatures} -> ${a.outFeatures}`, ...noBias(a.useBias)]),
};
