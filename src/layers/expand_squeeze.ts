/**
 * jnp.expand_dims (axes counted in the output, as NumPy does) and jnp.squeeze (only axes of
 * size 1; with no axis, every axis whose size is the constant 1, since a symbolic size is not
 * known to be 1).
 */
import type { TensorType } from "../ir/model.js";
import { squeeze as squeezeOp, unsqueeze } from "../runtime/onnx/ops_shape.js";
import { Expr } from "../shapes/expr.js";
import { asList, normalizeAxes, ZERO } from "./common.js";
import { axes as axesText, call } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface AxesAttrs {
  /** Normalized, sorted. */
  axes: number[];
}

function buildExpand(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<AxesAttrs> | undefined {
  const input = x!;
  const raw = asList(f["axis"] as number | number[]);
  const axes = normalizeAxes(ctx, "axis", raw, input.shape.length + raw.length);
  if (!axes) return undefined;
  axes.sort((a, b) => a - b);
  const shape: Expr[] = [...input.shape];
  for (const a of axes) shape.splice(a, 0, Expr.const(1));
  return { attrs: { axes }, output: { dtype: input.dtype, shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

function buildSqueeze(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<AxesAttrs> | undefined {
  const input = x!;
  let axes: number[];
  if (f["axis"] === null || f["axis"] === undefined) {
    axes = input.shape.flatMap((d, i) => (d.constant === 1 ? [i] : []));
  } else {
    const given = normalizeAxes(ctx, "axis", asList(f["axis"] as number | number[]), input.shape.length);
    if (!given) return undefined;
    for (const a of given) {
      const d = input.shape[a]!;
      if (!ctx.require([d], ([v]) => v !== 1, "NNX2078", "axis", (v) => `cannot squeeze axis ${a} of size ${d.toString()}${v === "some" ? " (not 1 for some allowed sizes)" : ""}: only axes of size 1 can be squeezed`)) return undefined;
    }
    axes = given.sort((a, b) => a - b);
  }
  const shape = input.shape.filter((_, i) => !axes.includes(i));
  return { attrs: { axes }, output: { dtype: input.dtype, shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

export const expandDims: LayerKind<AxesAttrs> = {
  types: ["expand_dims"],
  arity: "one",
  build: buildExpand,
  lower: (layer, [x], l) => unsqueeze(l.g, x!, layer.attrs.axes),
  describe: (a) => call("expand_dims", [axesText(a.axes)]),
};

export const squeeze: LayerKind<AxesAttrs> = {
  types: ["squeeze"],
  arity: "one",
  build: buildSqueeze,
  lower: (layer, [x], l) => (layer.attrs.axes.length ? squeezeOp(l.g, x!, layer.attrs.axes) : x!),
  describe: (a) => call("squeeze", a.axes.length ? [axesText(a.axes)] : []),
};
