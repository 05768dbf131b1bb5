/**
 * flax.nnx.ConvTranspose: lax.conv_transpose on channels-last values, i.e. a convolution of
 * the input dilated by `strides` (window strides 1) with pads from `_conv_transpose_padding`
 * for SAME/VALID and the given pairs for explicit padding; `transpose_kernel` flips the
 * kernel's spatial axes and swaps its in/out axes; CIRCULAR runs VALID and folds the result
 * onto periods of size input * stride, as Flax does. Batch dims as in Conv.
 */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { convTransposeNhwc, convTransposePads, type ConvTransposePadding } from "../runtime/onnx/ops_conv.js";
import { Expr, product } from "../shapes/expr.js";
import { checkLength, dotNumerics, makeParams, paramDtype, requireFloatInput, staticDim, toTuple, typed } from "./common.js";
import { canonicalPadding, type ConvPadding } from "./conv.js";
import { call, noBias, pairs, unlessOnes } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { outFeaturesField } from "./linear.js";
import { kernelMask } from "./mask.js";

export interface ConvTransposeAttrs {
  inFeatures: number;
  outFeatures: number;
  kernelSize: number[];
  strides: number[];
  kernelDilation: number[];
  padding: ConvPadding;
  transposeKernel: boolean;
  useBias: boolean;
  /** Row-major values in the kernel's shape, multiplied into the kernel. */
  mask?: Float32Array;
  batchDims: number;
}

function lowerPadding(p: ConvPadding): ConvTransposePadding {
  return p.kind === "explicit" ? p : { kind: p.kind.toLowerCase() as "same" };
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<ConvTransposeAttrs> | undefined {
  const input = x!;
  if (!requireFloatInput(ctx, input, "ConvTranspose")) return undefined;
  const kernelSize = toTuple(f["kernel_size"], 1);
  const rank = kernelSize.length;
  const strides = toTuple(f["strides"], rank);
  const kernelDilation = toTuple(f["kernel_dilation"], rank);
  const outFeatures = outFeaturesField<number>(ctx, f, "ConvTranspose");
  let ok = outFeatures !== undefined;
  ok = checkLength(ctx, "strides", strides, rank, "kernel_size") && ok;
  ok = checkLength(ctx, "kernel_dilation", kernelDilation, rank, "kernel_size") && ok;
  const padding = canonicalPadding(ctx, f["padding"], rank);
  if (!padding) ok = false;
  // lax.conv_transpose computes pads for SAME and VALID only; any other string reaches
  // conv_general_dilated with lhs dilation (refused unless strides are all 1) and then
  // padtype_to_pads, which knows SAME_LOWER only. Flax handles CIRCULAR itself.
  if (padding && (padding.kind === "REFLECT" || padding.kind === "CAUSAL" || (padding.kind === "SAME_LOWER" && strides.some((s) => s !== 1)))) {
    const why = padding.kind === "SAME_LOWER" ? `with strides [${strides.join(", ")}] (JAX: "String padding is not implemented for transposed convolution using this op")` : "(lax.conv_transpose knows SAME and VALID, Flax adds CIRCULAR)";
    ctx.error("NNX2050", "padding", `ConvTranspose does not support padding ${padding.kind} ${why}`, "use SAME, VALID, CIRCULAR or explicit [low, high] pairs");
    ok = false;
  }
  if (input.shape.length < rank + 1) {
    ctx.error("NNX2009", "input", `ConvTranspose with kernel_size of ${rank} entries needs an input of rank >= ${rank + 1} (spatial dims + features), got rank ${input.shape.length}`);
    return undefined;
  }
  const inFeatures = staticDim(ctx, input.shape[input.shape.length - 1]!, "in_features", "the input's feature (last) dim");
  if (inFeatures === undefined || !ok || outFeatures === undefined || !padding) return undefined;
  if (f["in_features"] !== undefined && f["in_features"] !== inFeatures) {
    ctx.error("NNX2010", "in_features", `in_features is ${String(f["in_features"])} but the input has ${inFeatures} features (last dim)`, `set in_features: ${inFeatures} or remove it`);
    return undefined;
  }
  const transposeKernel = f["transpose_kernel"] as boolean;
  const kernelShape = [...kernelSize, ...(transposeKernel ? [outFeatures, inFeatures] : [inFeatures, outFeatures])];
  const mask = kernelMask(ctx, f["mask"], kernelShape, `the mask must have the kernel's shape: kernel_size + ${transposeKernel ? "[out_features, in_features] (transpose_kernel)" : "[in_features, out_features]"}`);
  if (mask === false) return undefined;

  const batchDims = input.shape.length - (rank + 1);
  const spatialIn = input.shape.slice(batchDims, batchDims + rank);
  const lp = lowerPadding(padding);
  const spatial = spatialIn.map((n, i) => {
    const keff = (kernelSize[i]! - 1) * kernelDilation[i]! + 1;
    if (padding.kind === "CIRCULAR") return n.mul(strides[i]!);
    const [lo, hi] = convTransposePads(keff, strides[i]!, lp, i);
    // The input dilated by the stride, padded, then a stride-1 window of keff.
    return n.sub(1).mul(strides[i]!).add(1 + lo + hi - keff + 1);
  });
  for (let i = 0; i < rank; i++) {
    const fine = ctx.require([spatial[i]!], ([v]) => v! < 1, "NNX2023", "padding", (v) =>
      `${v === "all" ? "the" : "for some allowed sizes the"} output size of spatial axis ${i} is ${spatial[i]!.toString()}, which is less than 1 (input ${spatialIn[i]!.toString()}, kernel ${kernelSize[i]}, padding ${padding.kind})`,
    );
    if (!fine) return undefined;
    if (padding.kind === "CIRCULAR" && spatialIn[i]!.constant === undefined) {
      // The fold is built from slices of the ends, which needs a period (n * stride) no shorter than the overhang.
      const e = Math.max((kernelSize[i]! - 1) * kernelDilation[i]! + 1 - strides[i]!, 0);
      if (ctx.dims.verdict([spatialIn[i]!], ([v]) => v! * strides[i]! < e) !== "never") {
        const n = spatialIn[i]!.toString();
        const period = strides[i] === 1 ? n : `${n} * ${strides[i]}`;
        ctx.error("NNX2051", "padding", `CIRCULAR ConvTranspose on the symbolic size ${n} needs ${period} >= ${e} for every allowed size (${spatialIn[i]!.symbols().map((s) => ctx.dims.describe(s)).join(", ")})`, `constrain ${n} in dims (min ${Math.ceil(e / strides[i]!)}), or make it static`);
        return undefined;
      }
    }
  }
  const params = makeParams(ctx, [
    { name: "kernel", shape: kernelShape, initField: "kernel_init", init: f["kernel_init"] },
    ...(f["use_bias"] ? [{ name: "bias", shape: [outFeatures], initField: "bias_init", init: f["bias_init"] }] : []),
  ], paramDtype(ctx, f));
  if (!params) return undefined;
  const { numerics, output } = dotNumerics(ctx, f, input.dtype, params.map((p) => p.dtype), f["use_bias"] as boolean);
  const outShape = [...input.shape.slice(0, batchDims), ...spatial, Expr.const(outFeatures)];
  // Every input element meets every kernel tap once (the zeros of the dilation are not counted).
  const taps = kernelSize.reduce((a, b) => a * b, 1) * outFeatures;
  const macs = product(input.shape).mul(taps);
  const attrs: ConvTransposeAttrs = { inFeatures, outFeatures, kernelSize, strides, kernelDilation, padding, transposeKernel, useBias: f["use_bias"] as boolean, batchDims };
  if (mask) attrs.mask = mask;
  return { attrs, numerics, output: typed(output, outShape), params, cost: { macs, flops: macs.mul(2) } };
}

function lower(layer: IrLayer<ConvTransposeAttrs>, [x]: readonly string[], l: Lowering): string {
  const a = layer.attrs;
  const kernel = l.param(layer.name, "kernel");
  return convTransposeNhwc(l.g, x!, {
    inputShape: l.dims(layer.inputs[0]!),
    minInputShape: l.minDims(layer.inputs[0]!),
    kernel,
    transposeKernel: a.transposeKernel,
    ...(a.mask ? { mask: { dtype: "float32", shape: kernel.shape, data: a.mask } } : {}),
    ...(a.useBias ? { bias: l.param(layer.name, "bias") } : {}),
    strides: a.strides,
    kernelDilation: a.kernelDilation,
    padding: lowerPadding(a.padding),
  });
}

function describe(a: ConvTransposeAttrs): string {
  return call("ConvTranspose", [
    a.kernelSize.join("x"),
    String(a.outFeatures),
    ...unlessOnes("strides", a.strides),
    ...unlessOnes("kernel_dilation", a.kernelDilation),
    ...(a.padding.kind === "SAME" ? [] : [a.padding.kind === "explicit" ? `padding ${pairs(a.padding.pads)}` : a.padding.kind]),
    ...(a.transposeKernel ? ["transpose_kernel"] : []),
    ...noBias(a.useBias),
    ...(a.mask ? ["masked"] : []),
  ]);
}

export const convTranspose: LayerKind<ConvTransposeAttrs> = { types: ["ConvTranspose"], arity: "one", build, lower, describe };
