/**
 * jnp.arange(start, stop, step) as int32 (JAX's default integer with x64 off), with no input:
 * positions for an Embed (`stop: seq`). Bounds are integers or dim symbols; the step is a
 * nonzero integer. Length ceil((stop - start) / step), at least 0.
 */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { cast, squeeze } from "../runtime/onnx/ops_shape.js";
import { Expr } from "../shapes/expr.js";
import { ZERO } from "./common.js";
import { call } from "./describe_text.js";
import { dimsOf } from "./dims_value.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface ArangeAttrs {
  start: Expr;
  stop: Expr;
  step: number;
}

function build(f: Readonly<Record<string, unknown>>, _inputs: readonly TensorType[], ctx: LayerContext): Built<ArangeAttrs> | undefined {
  const step = f["step"] as number;
  if (step === 0) {
    ctx.error("NNX2081", "step", "arange step cannot be zero");
    return undefined;
  }
  const start = dimsOf(ctx, "start", [f["start"] as number | string], false)?.[0];
  const stop = dimsOf(ctx, "stop", [f["stop"] as number | string], false)?.[0];
  if (!start || !stop) return undefined;
  const mins = Object.fromEntries([...start.symbols(), ...stop.symbols()].map((s) => [s, ctx.dims.bounds(s).min]));
  const length = (step > 0 ? stop.sub(start) : start.sub(stop)).ceildiv(Math.abs(step)).max(0, mins);
  return { attrs: { start, stop, step }, output: { dtype: "int32", shape: [length] }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

function lower(layer: IrLayer<ArangeAttrs>, _inputs: readonly string[], l: Lowering): string {
  const g = l.g;
  const scalar = (e: Expr): string => (e.isConst ? g.scalar(e.constant!, "int32") : cast(g, squeeze(g, l.symbol(e.toString()), [0]), "int32"));
  return g.node("Range", [scalar(layer.attrs.start), scalar(layer.attrs.stop), g.scalar(layer.attrs.step, "int32")]);
}

export const arange: LayerKind<ArangeAttrs> = {
  types: ["arange"],
  arity: "none",
  build,
  lower,
  describe: (a) => call("arange", [...(a.start.equals(0) ? [] : [a.start.toString()]), a.stop.toString(), ...(a.step === 1 ? [] : [String(a.step)])]),
};
