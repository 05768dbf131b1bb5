/**
 * A bare learnable array, as an `nnx.Param` attribute of a module (positional embeddings, class
 * tokens). No input; its value is the array. Its parameter name is the layer's path itself
 * (`pos_embedding`, no suffix). nnx.Param has no default initializer, so `init` is required.
 */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { Expr } from "../shapes/expr.js";
import { makeParams, paramDtype, typed, ZERO } from "./common.js";
import { call, list } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface ParamAttrs {
  shape: number[];
}

function build(f: Readonly<Record<string, unknown>>, _inputs: readonly TensorType[], ctx: LayerContext): Built<ParamAttrs> | undefined {
  const shape = f["shape"] as number[];
  const params = makeParams(ctx, [{ name: "", shape, initField: "init", init: f["init"], shapeField: "shape" }], paramDtype(ctx, f));
  if (!params) return undefined;
  const output = typed(params[0]!.dtype, shape.map((d) => Expr.const(d)));
  return { attrs: { shape }, output, params, cost: { macs: ZERO, flops: ZERO } };
}

function lower(layer: IrLayer<ParamAttrs>, _inputs: readonly string[], l: Lowering): string {
  return l.g.constant(l.param(layer.name, ""), "param");
}

export const param: LayerKind<ParamAttrs> = { types: ["Param"], arity: "none", build, lower, describe: (a) => call("Param", [list(a.shape)]) };
