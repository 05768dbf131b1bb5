/**
 * flax.nnx.Conv: channels-last N-D convolution (NHWC input, HWIO kernel).
 * Rank comes only from len(kernel_size); leading dims beyond one are batch dims, and an
 * input with no batch dim gets a batch of one, as Flax does.
 */
import type { TensorType } from "../ir/model.js";
import { Expr, product } from "../shapes/expr.js";
import { kernelMask } from "./mask.js";
import { checkLength, dotNumerics, makeParams, paramDtype, requireFloatInput, staticDim, toTuple, typed } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { outFeaturesField } from "./linear.js";
import type { IrLayer } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { convNhwc, type ConvOptions } from "../runtime/onnx/ops_conv.js";
import { call, noBias, pairs, unlessOnes } from "./describe_text.js";

export type ConvPadding =
  | { kind: "SAME" | "SAME_LOWER" | "VALID" | "CIRCULAR" | "REFLECT" | "CAUSAL" }
  | { kind: "explicit"; pads: [number, number][] };

export interface ConvAttrs {
  inFeatures: number;
  outFeatures: number;
  kernelSize: number[];
  strides: number[];
  inputDilation: number[];
  kernelDilation: number[];
  padding: ConvPadding;
  featureGroupCount: number;
  useBias: boolean;
  /** Row-major values in the kernel's shape, multiplied into the kernel. */
  mask?: Float32Array;
  /** How many leading batch dims the input has (0 = unbatched). */
  batchDims: number;
}

/** Flax's canonicalize_padding, with YAML lists standing in for Python tuples. */
export function canonicalPadding(ctx: LayerContext, p: unknown, rank: number): ConvPadding | undefined {
  if (typeof p === "string") return { kind: p as "SAME" };
  if (typeof p === "number") return { kind: "explicit", pads: Array.from({ length: rank }, () => [p, p] as [number, number]) };
  const list = p as (number | number[])[];
  if (list.length !== rank) {
    ctx.error(
      "NNX2007",
      "padding",
      `padding ${JSON.stringify(list).replace(/,/g, ", ")} has ${list.length} entr${list.length === 1 ? "y" : "ies"} but the convolution is ${rank}-D; give one int or [low, high] pair per spatial axis`,
      rank === 1 && list.length === 2 && list.every((e) => typeof e === "number") ? `a 1-D pair is written [${JSON.stringify(list).replace(/,/g, ", ")}]` : `give ${rank} entries, each an int or a [low, high] pair`,
    );
    return undefined;
  }
  return { kind: "explicit", pads: list.map((e) => (typeof e === "number" ? [e, e] : [e[0]!, e[1]!])) };
}

/** Output size of one spatial axis, as lax.conv_general_dilated computes it. */
function spatialOut(n: Expr, k: number, s: number, ld: number, rd: number, pad: ConvPadding, i: number): Expr {
  const keff = (k - 1) * rd + 1;
  switch (pad.kind) {
    case "SAME":
    case "SAME_LOWER":
    case "CIRCULAR":
    case "REFLECT":
    case "CAUSAL":
      // All of these pad to keep ceil(n / s) outputs (CIRCULAR/REFLECT/CAUSAL pad keff - 1 in total).
      return n.ceildiv(s);
    case "VALID":
      return n.sub(keff).floordiv(s).add(1);
    case "explicit": {
      const [lo, hi] = pad.pads[i]!;
      const dilated = ld === 1 ? n : n.sub(1).mul(ld).add(1);
      return dilated.add(lo + hi - keff).floordiv(s).add(1);
    }
  }
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<ConvAttrs> | undefined {
  const input = x!;
  if (!requireFloatInput(ctx, input, "Conv")) return undefined;
  const kernelSize = toTuple(f["kernel_size"], 1);
  const rank = kernelSize.length;
  const strides = toTuple(f["strides"], rank);
  const inputDilation = toTuple(f["input_dilation"], rank);
  const kernelDilation = toTuple(f["kernel_dilation"], rank);
  const outFeatures = outFeaturesField<number>(ctx, f, "Conv");
  let ok = outFeatures !== undefined;
  ok = checkLength(ctx, "strides", strides, rank, "kernel_size") && ok;
  ok = checkLength(ctx, "input_dilation", inputDilation, rank, "kernel_size") && ok;
  ok = checkLength(ctx, "kernel_dilation", kernelDilation, rank, "kernel_size") && ok;
  const padding = canonicalPadding(ctx, f["padding"], rank);
  if (!padding) ok = false;
  if (padding && padding.kind === "CAUSAL" && rank !== 1) {
    ctx.error("NNX2003", "padding", `CAUSAL padding is only implemented for 1-D convolutions, but kernel_size has ${rank} entries`, `use padding SAME, or a 1-D kernel_size such as [${kernelSize[0]}]`);
    ok = false;
  }
  if (padding && padding.kind !== "explicit" && inputDilation.some((d) => d !== 1)) {
    const named = ctx.given("padding") ? "padding" : "input_dilation";
    ctx.error(
      "NNX2006",
      named,
      `string padding ${padding.kind} cannot be combined with input_dilation [${inputDilation.join(", ")}] (JAX: "String padding is not implemented for transposed convolution using this op")`,
      "give explicit padding pairs, e.g. padding: [[1, 1]]",
    );
    ok = false;
  }
  if (input.shape.length < rank + 1) {
    ctx.error("NNX2009", "input", `Conv with kernel_size of ${rank} entries needs an input of rank >= ${rank + 1} (spatial dims + features), got rank ${input.shape.length}`);
    return undefined;
  }
  const groups = f["feature_group_count"] as number;
  const inDim = input.shape[input.shape.length - 1]!;
  const inFeatures = staticDim(ctx, inDim, "in_features", "the input's feature (last) dim");
  if (inFeatures === undefined || !ok || outFeatures === undefined || !padding) return undefined;
  if (f["in_features"] !== undefined && f["in_features"] !== inFeatures) {
    ctx.error("NNX2010", "in_features", `in_features is ${String(f["in_features"])} but the input has ${inFeatures} features (last dim)`, `set in_features: ${inFeatures} or remove it`);
    return undefined;
  }
  if (inFeatures % groups !== 0) {
    ctx.error("NNX2004", "feature_group_count", `feature_group_count ${groups} does not divide in_features ${inFeatures}`);
    ok = false;
  }
  if (outFeatures % groups !== 0) {
    ctx.error("NNX2005", "feature_group_count", `feature_group_count ${groups} does not divide out_features ${outFeatures}`);
    ok = false;
  }
  const kernelShape = [...kernelSize, Math.floor(inFeatures / groups), outFeatures];
  const mask = kernelMask(ctx, f["mask"], kernelShape, "the mask must have the kernel's shape: kernel_size + [in_features // feature_group_count, out_features]");
  if (mask === false) return undefined;
  if (!ok) return undefined;

  const batchDims = input.shape.length - (rank + 1);
  const spatialIn = input.shape.slice(batchDims, batchDims + rank);
  const spatial = spatialIn.map((n, i) => spatialOut(n, kernelSize[i]!, strides[i]!, inputDilation[i]!, kernelDilation[i]!, padding, i));
  for (let i = 0; i < rank; i++) {
    const fine = ctx.require([spatial[i]!], ([v]) => v! < 1, "NNX2023", "kernel_size", (v) =>
      `${v === "all" ? "the" : "for some allowed sizes the"} output size of spatial axis ${i} is ${spatial[i]!.toString()}, which is less than 1 (input ${spatialIn[i]!.toString()}, kernel ${kernelSize[i]}, padding ${padding.kind})`,
    );
    if (!fine) return undefined;
  }
  const params = makeParams(ctx, [
    { name: "kernel", shape: kernelShape, initField: "kernel_init", init: f["kernel_init"] },
    ...(f["use_bias"] ? [{ name: "bias", shape: [outFeatures], initField: "bias_init", init: f["bias_init"] }] : []),
  ], paramDtype(ctx, f));
  if (!params) return undefined;
  const { numerics, output } = dotNumerics(ctx, f, input.dtype, params.map((p) => p.dtype), f["use_bias"] as boolean);
  const outShape = [...input.shape.slice(0, batchDims), ...spatial, Expr.const(outFeatures)];
  const taps = kernelSize.reduce((a, b) => a * b, 1) * (inFeatures / groups);
  const macs = product(outShape).mul(taps);
  const attrs: ConvAttrs = { inFeatures, outFeatures, kernelSize, strides, inputDilation, kernelDilation, padding, featureGroupCount: groups, useBias: f["use_bias"] as boolean, batchDims };
  if (mask) attrs.mask = mask;
  return { attrs, numerics, output: typed(output, outShape), params, cost: { macs, flops: macs.mul(2) } };
}

function lowerPadding(p: ConvPadding): NonNullable<ConvOptions["padding"]> {
  return p.kind === "explicit" ? { kind: "explicit", pads: p.pads } : { kind: p.kind.toLowerCase() as "same" };
}

function lower(layer: IrLayer<ConvAttrs>, [x]: readonly string[], l: Lowering): string {
  const a = layer.attrs;
  const inputShape = l.dims(layer.inputs[0]!);
  const kernel = l.param(layer.name, "kernel");
  return convNhwc(l.g, x!, {
    inputShape,
    minInputShape: l.minDims(layer.inputs[0]!),
    kernel,
    ...(a.mask ? { mask: { dtype: "float32", shape: kernel.shape, data: a.mask } } : {}),
    ...(a.useBias ? { bias: l.param(layer.name, "bias") } : {}),
    strides: a.strides,
    kernelDilation: a.kernelDilation,
    inputDilation: a.inputDilation,
    padding: lowerPadding(a.padding),
    groups: a.featureGroupCount,
  });
}

function describePadding(p: ConvPadding): string {
  return p.kind === "explicit" ? `padding ${pairs(p.pads)}` : p.kind;
}

function describe(a: ConvAttrs): string {
  return call("Conv", [
    a.kernelSize.join("x"),
    String(a.outFeatures),
    ...unlessOnes("strides", a.strides),
    ...unlessOnes("kernel_dilation", a.kernelDilation),
    ...unlessOnes("input_dilation", a.inputDilation),
    ...(a.padding.kind === "SAME" ? [] : [describePadding(a.padding)]),
    ...(a.featureGroupCount === 1 ? [] : [`groups ${a.featureGroupCount}`]),
    ...noBias(a.useBias),
    ...(a.mask ? ["masked"] : []),
  ]);
}

export const conv: LayerKind<ConvAttrs> = { types: ["Conv"], arity: "one", build, lower, describe };
