/**
 * jnp.take(x, indices, axis) with its default mode, "fill": an index in [-n, -1] wraps once;
 * any other index outside [0, n) gives the fill value (NaN for floats, the most negative
 * value for signed integers, the largest for unsigned, true for bool). `axis` null (the
 * default, as jnp.take) takes from the flattened x.
 */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { takeFillValue } from "../runtime/onnx/host.js";
import { takeIndex } from "../runtime/onnx/ops_embed.js";
import { range, reshape, shapeOf, squeeze, unsqueeze } from "../runtime/onnx/ops_shape.js";
import { isIntDType } from "../tensor.js";
import { normalizeAxis, ZERO } from "./common.js";
import { call } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface TakeAttrs {
  /** Normalized; null: x is flattened first. */
  axis: number | null;
}

function build(f: Readonly<Record<string, unknown>>, [x, ids]: readonly TensorType[], ctx: LayerContext): Built<TakeAttrs> | undefined {
  const input = x!;
  const indices = ids!;
  if (!isIntDType(indices.dtype)) {
    ctx.error("NNX2080", "input/1", `take needs integer indices, got ${indices.dtype}`, "declare the indices input with an integer dtype such as int32");
    return undefined;
  }
  if (f["axis"] === null) {
    return { attrs: { axis: null }, output: { dtype: input.dtype, shape: indices.shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
  }
  const axis = normalizeAxis(ctx, "axis", f["axis"] as number, input.shape.length);
  if (axis === undefined) return undefined;
  const shape = [...input.shape.slice(0, axis), ...indices.shape, ...input.shape.slice(axis + 1)];
  return { attrs: { axis }, output: { dtype: input.dtype, shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

/** Gather at the wrapped indices (0 where out of range), then the fill value where they were. */
function lower(layer: IrLayer<TakeAttrs>, [x, ids]: readonly string[], l: Lowering): string {
  const g = l.g;
  const dtype = l.dtype(layer.inputs[0]!);
  const src = layer.attrs.axis === null ? reshape(g, x!, [-1]) : x!;
  const axis = layer.attrs.axis ?? 0;
  const rank = layer.attrs.axis === null ? 1 : l.dims(layer.inputs[0]!).length;
  const size = l.dims(layer.inputs[0]!)[axis];
  const n = layer.attrs.axis !== null && typeof size === "number" ? g.scalar(size, "int64") : squeeze(g, shapeOf(g, src, axis, axis + 1), [0]);
  const { index, ok } = takeIndex(g, ids!, l.dtype(layer.inputs[1]!), n);
  const y = g.node("Gather", [src, g.node("Where", [ok, index, g.scalar(0, "int64")])], { axis });
  // ok has the indices' shape: trailing ones line it up with the output's axes after them.
  const trailing = rank - axis - 1;
  const okOut = trailing > 0 ? unsqueeze(g, ok, range(-trailing, 0)) : ok;
  return g.node("Where", [okOut, y, g.scalar(Number(takeFillValue(dtype)), dtype)]);
}

export const take: LayerKind<TakeAttrs> = {
  types: ["take"],
  arity: "many",
  build,
  lower,
  describe: (a) => call("take", a.axis === null ? [] : [`axis ${a.axis}`]),
};
