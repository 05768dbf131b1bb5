/**
 * flax.nnx.LinearGeneral: contracts `axis` (normalized, then SORTED, as Flax does) with the
 * kernel's in_features dims; `batch_axis` dims are leading, consecutive and shared with the
 * kernel. Kernel: batch sizes + in_features + out_features, initialized as a flat 2-D matrix.
 */
import type { TensorType } from "../ir/model.js";
import { Expr, product } from "../shapes/expr.js";
import { asList, dotNumerics, makeParams, normalizeAxes, paramDtype, requireFloatInput, staticDim, typed } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { outFeaturesField } from "./linear.js";
import { linearGeneral as linearGeneralOp } from "../runtime/onnx/ops_linear.js";
import { call, list, noBias } from "./describe_text.js";

export interface LinearGeneralAttrs {
  /** In sorted-axis order. */
  inFeatures: number[];
  outFeatures: number[];
  /** Contracted input axes, normalized and sorted. */
  axis: number[];
  /** Batch axes 0..k-1 with their sizes. */
  batchSizes: number[];
  useBias: boolean;
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<LinearGeneralAttrs> | undefined {
  const input = x!;
  if (!requireFloatInput(ctx, input, "LinearGeneral")) return undefined;
  const outRaw = outFeaturesField<number | number[]>(ctx, f, "LinearGeneral");
  const rawAxis = asList(f["axis"] as number | number[]);
  const given = f["in_features"] === undefined ? undefined : asList(f["in_features"] as number | number[]);
  if (given && given.length !== rawAxis.length) {
    ctx.error("NNX2011", "in_features", `in_features and axis must have the same length; got in_features [${given.join(", ")}] and axis [${rawAxis.join(", ")}]`);
    return undefined;
  }
  const batchEntries = Object.entries(f["batch_axis"] as Record<string, number>).map(([k, v]) => [Number(k), v] as const);
  const keys = batchEntries.map(([k]) => k);
  if (keys.length > 0) {
    const max = Math.max(...keys);
    const consecutive = keys.every((k) => k >= 0) && new Set(keys).size === max + 1;
    if (!consecutive) {
      ctx.error("NNX2012", "batch_axis", `batch_axis keys (${keys.join(", ")}) must be consecutive leading dimensions starting from 0`, `use keys 0..${keys.length - 1}`);
      return undefined;
    }
  }
  if (outRaw === undefined) return undefined;
  const rank = input.shape.length;
  const axis = normalizeAxes(ctx, "axis", rawAxis, rank);
  if (!axis) return undefined;
  axis.sort((a, b) => a - b);
  const batchAxes = [...keys].sort((a, b) => a - b);
  if (batchAxes.some((b) => b >= rank)) {
    ctx.error("NNX2022", "batch_axis", `batch_axis ${Math.max(...batchAxes)} is out of range for an input of rank ${rank}`);
    return undefined;
  }
  const clash = axis.find((a) => batchAxes.includes(a));
  if (clash !== undefined) {
    ctx.error("NNX2022", "axis", `axis ${clash} is both contracted and a batch axis`);
    return undefined;
  }
  const batchSizes = batchAxes.map((b) => batchEntries.find(([k]) => k === b)![1]);
  for (const [i, b] of batchAxes.entries()) {
    const d = input.shape[b]!;
    if (!ctx.require([d], ([v]) => v !== batchSizes[i], "NNX2010", "batch_axis", () => `batch_axis ${b} has size ${batchSizes[i]} but the input's dim ${b} is ${d.toString()}`)) return undefined;
  }
  const inFeatures: number[] = [];
  for (const [i, a] of axis.entries()) {
    const size = staticDim(ctx, input.shape[a]!, "in_features", `the input's dim ${a}`);
    if (size === undefined) return undefined;
    if (given && given[i] !== size) {
      ctx.error(
        "NNX2010",
        "in_features",
        `in_features [${given.join(", ")}] does not match the input's sizes [${axis.map((ax) => input.shape[ax]!.toString()).join(", ")}] at axes [${axis.join(", ")}] (Flax sorts the axes, so in_features follows ascending axis order)`,
        `set in_features: [${axis.map((ax) => input.shape[ax]!.toString()).join(", ")}]`,
      );
      return undefined;
    }
    inFeatures.push(size);
  }
  const outFeatures = asList(outRaw);
  const useBias = f["use_bias"] as boolean;
  const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
  const kernelShape = [...batchSizes, ...inFeatures, ...outFeatures];
  const biasShape = [...batchSizes, ...outFeatures];
  const params = makeParams(ctx, [
    { name: "kernel", shape: kernelShape, initShape: [prod(batchSizes) * prod(inFeatures), prod(outFeatures)], initField: "kernel_init", init: f["kernel_init"] },
    ...(useBias ? [{ name: "bias", shape: biasShape, initShape: [prod(biasShape)], initField: "bias_init", init: f["bias_init"] }] : []),
  ], paramDtype(ctx, f));
  if (!params) return undefined;
  const { numerics, output } = dotNumerics(ctx, f, input.dtype, params.map((p) => p.dtype), useBias);
  const free = input.shape.filter((_, i) => !axis.includes(i) && !batchAxes.includes(i));
  const shape = [...batchAxes.map((b) => input.shape[b]!), ...free, ...outFeatures.map((o) => Expr.const(o))];
  const macs = product(shape).mul(prod(inFeatures));
  return { attrs: { inFeatures, outFeatures, axis, batchSizes, useBias }, numerics, output: typed(output, shape), params, cost: { macs, flops: macs.mul(2) } };
}

export const linearGeneral: LayerKind<LinearGeneralAttrs> = {
  types: ["LinearGeneral"],
  arity: "one",
  build,
  lower: (layer, [x], l) =>
    linearGeneralOp(l.g, x!, {
      ndim: l.dims(layer.inputs[0]!).length,
      axis: layer.attrs.axis,
      batchAxis: layer.attrs.batchSizes.map((_, i) => i),
      kernel: l.param(layer.name, "kernel"),
      ...(layer.attrs.useBias ? { bias: l.param(layer.name, "bias") } : {}),
    }),
  describe: (a) =>
    call("LinearGeneral", [
      `${list(a.inFeatures)} -> ${list(a.outFeatures)}`,
      `axis ${list(a.axis)}`,
      ...(a.batchSizes.length > 0 ? [`batch ${list(a.batchSizes)}`] : []),
      ...noBias(a.useBias),
    ]),
};
