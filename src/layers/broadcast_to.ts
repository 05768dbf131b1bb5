/** jnp.broadcast_to: NumPy's rules, right-aligned; an input dim broadcasts only from 1. */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { shapeText, type Expr } from "../shapes/expr.js";
import { ZERO } from "./common.js";
import { call } from "./describe_text.js";
import { dimsOf, dimsValue } from "./dims_value.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface BroadcastToAttrs {
  shape: Expr[];
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<BroadcastToAttrs> | undefined {
  const input = x!;
  const shape = dimsOf(ctx, "shape", f["shape"] as (number | string)[], true);
  if (!shape) return undefined;
  const lead = shape.length - input.shape.length;
  if (lead < 0) {
    ctx.error("NNX2079", "shape", `cannot broadcast an input of rank ${input.shape.length} ${shapeText(input.shape)} to the lower rank ${shape.length} ${shapeText(shape)}`);
    return undefined;
  }
  for (const [i, d] of input.shape.entries()) {
    const t = shape[lead + i]!;
    if (d.equals(t) || d.constant === 1) continue;
    if (!ctx.require([d, t], ([a, b]) => a !== b && a !== 1, "NNX2079", `shape/${lead + i}`, (v) =>
      `cannot broadcast ${shapeText(input.shape)} to ${shapeText(shape)}: input axis ${i} has size ${d.toString()}, target ${t.toString()}${v === "some" ? " for some allowed sizes" : ""} (only size 1 broadcasts)`)) return undefined;
  }
  return { attrs: { shape }, output: { dtype: input.dtype, shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

function lower(layer: IrLayer<BroadcastToAttrs>, [x]: readonly string[], l: Lowering): string {
  return l.g.node("Expand", [x!, dimsValue(l, layer.attrs.shape)]);
}

export const broadcastTo: LayerKind<BroadcastToAttrs> = { types: ["broadcast_to"], arity: "one", build, lower, describe: (a) => call("broadcast_to", [shapeText(a.shape)]) };
