/**
 * flax.nnx.LayerNorm, RMSNorm, GroupNorm and BatchNorm (flax/nnx/nn/normalization.py), at
 * inference: BatchNorm uses its running statistics (use_running_average=True).
 *
 * Parameters are declared in the order each constructor draws `rngs.params()` keys: scale,
 * then bias, each only when enabled (Flax draws no key for a disabled one). BatchNorm creates
 * its BatchStat `mean` and `var` first; they draw no key.
 *
 * FLOPs per input element (the per-statistic work, var + eps and rsqrt, is not counted):
 * statistics 3 with use_fast_variance (sum x, x*x, sum x*x), 4 without (sum x, x - mean,
 * square, sum), 2 for RMSNorm (x*x, sum); then 1 for x - mean (not RMSNorm), 1 for the
 * multiply by rsqrt(var + eps), 1 for the scale (Flax multiplies it into that factor, which
 * has the input's shape when features and reductions share axes), 1 for the bias. LayerNorm(768)
 * with defaults: 7. BatchNorm: x - mean, the multiply (scale folded into the per-feature
 * factor) and the bias add: 3. MACs are 0.
 */
import { paramCollection, type ParamSpec, type TensorType } from "../ir/model.js";
import type { Tensor } from "../tensor.js";
import { batchNormFactor, moments, normalize } from "../runtime/onnx/ops_norm.js";
import { reshapeHost } from "../runtime/onnx/host.js";
import { add, mul, sub } from "../runtime/onnx/ops_math.js";
import type { Lowering } from "../runtime/lowering.js";
import { asList, makeParams, normalizeAxis, numel, paramDtype, promoteDtype, requireFloatInput, typed, ZERO, type ParamRequest } from "./common.js";
import { axes as axesText, call, noBias } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

type NormType = "LayerNorm" | "RMSNorm" | "GroupNorm" | "BatchNorm";

export interface NormAttrs {
  type: NormType;
  numFeatures: number;
  rank: number;
  /** Canonical (sorted, deduplicated, non-negative) axes the statistics reduce. */
  reductionAxes: number[];
  featureAxes: number[];
  /** Flax's feature_shape: 1 everywhere but the feature axes. */
  featureShape: number[];
  epsilon: number;
  useMean: boolean;
  fastVariance: boolean;
  useScale: boolean;
  useBias: boolean;
  /** GroupNorm only. */
  numGroups?: number;
}

const DEFAULT_EPSILON: Record<NormType, number> = { LayerNorm: 1e-6, RMSNorm: 1e-6, GroupNorm: 1e-6, BatchNorm: 1e-5 };

/** Flax's `_canonicalize_axes`: non-negative, deduplicated (a repeated axis counts once), sorted. */
function canonicalAxes(ctx: LayerContext, field: string, raw: unknown, rank: number): number[] | undefined {
  const out = new Set<number>();
  for (const a of asList(raw as number | number[])) {
    const n = normalizeAxis(ctx, field, a, rank);
    if (n === undefined) return undefined;
    out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

/** The product of the static sizes at `axes`; num_features, when given, must equal it. */
function featureCount(ctx: LayerContext, f: Readonly<Record<string, unknown>>, input: TensorType, axes: readonly number[], field: string): number | undefined {
  let n = 1;
  for (const a of axes) {
    const d = input.shape[a]!.constant;
    if (d === undefined) {
      ctx.error("NNX2027", field, `the feature axis ${a} is the symbolic dim ${input.shape[a]!.toString()}, but parameter shapes must be static`, "make the input's dim at that axis an integer");
      return undefined;
    }
    n *= d;
  }
  const given = f["num_features"];
  if (given !== undefined && given !== n) {
    const what = axes.length === 1 ? `the input's size at the feature axis ${axes[0]}` : `the product of the input's sizes at the feature axes ${axes.join(", ")}`;
    ctx.error("NNX2040", "num_features", `num_features is ${String(given)} but ${what} is ${n}`, `set num_features: ${n} or remove it`);
    return undefined;
  }
  return n;
}

function scaleAndBias(f: Readonly<Record<string, unknown>>, n: number, useScale: boolean, useBias: boolean): ParamRequest[] {
  return [
    ...(useScale ? [{ name: "scale", shape: [n], initField: "scale_init", init: f["scale_init"] }] : []),
    ...(useBias ? [{ name: "bias", shape: [n], initField: "bias_init", init: f["bias_init"] }] : []),
  ];
}

function flopsPerElement(a: Pick<NormAttrs, "type" | "useMean" | "fastVariance" | "useScale" | "useBias">): number {
  const bias = a.useBias ? 1 : 0;
  if (a.type === "BatchNorm") return 2 + bias;
  const stats = !a.useMean ? 2 : a.fastVariance ? 3 : 4;
  return stats + (a.useMean ? 1 : 0) + 1 + (a.useScale ? 1 : 0) + bias;
}

function finish(ctx: LayerContext, f: Readonly<Record<string, unknown>>, input: TensorType, attrs: NormAttrs, extra: ParamRequest[] = []): Built<NormAttrs> | undefined {
  const params = makeParams(ctx, [...extra, ...scaleAndBias(f, attrs.numFeatures, attrs.useScale, attrs.useBias)], paramDtype(ctx, f));
  if (!params) return undefined;
  // promote_dtype((x, [mean, var,] scale, bias), dtype=self.dtype) first. LayerNorm, RMSNorm and
  // GroupNorm then compute `_compute_stats` and `_normalize` in float32 (at least) and cast the
  // result once; BatchNorm at inference runs `_normalize` in the promoted dtype, every step
  // rounded in 16 bits (its float32 running statistics make that float32 unless dtype is set).
  const dtype = promoteDtype(ctx, f, [input.dtype], params.map((p) => p.dtype));
  const numerics = attrs.type === "BatchNorm" ? { cast: dtype, compute: dtype } : { cast: dtype };
  return { attrs, numerics, output: typed(dtype, input.shape), params, cost: { macs: ZERO, flops: numel(input).mul(flopsPerElement(attrs)) } };
}

function featureShapeOf(input: TensorType, featureAxes: readonly number[]): number[] {
  return input.shape.map((d, i) => (featureAxes.includes(i) ? d.constant! : 1));
}

function start(ctx: LayerContext, f: Readonly<Record<string, unknown>>, input: TensorType, type: NormType): boolean {
  return requireFloatInput(ctx, input, type);
}

/** LayerNorm and RMSNorm: statistics over reduction_axes, scale (and bias) over feature_axes. */
function buildLayerNorm(type: "LayerNorm" | "RMSNorm") {
  return (f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<NormAttrs> | undefined => {
    const input = x!;
    if (!start(ctx, f, input, type)) return undefined;
    const rank = input.shape.length;
    const reductionAxes = canonicalAxes(ctx, "reduction_axes", f["reduction_axes"], rank);
    const featureAxes = canonicalAxes(ctx, "feature_axes", f["feature_axes"], rank);
    if (!reductionAxes || !featureAxes) return undefined;
    const numFeatures = featureCount(ctx, f, input, featureAxes, "feature_axes");
    if (numFeatures === undefined) return undefined;
    const rms = type === "RMSNorm";
    return finish(ctx, f, input, {
      type, numFeatures, rank, reductionAxes, featureAxes, featureShape: featureShapeOf(input, featureAxes),
      epsilon: f["epsilon"] as number, useMean: !rms, fastVariance: f["use_fast_variance"] as boolean,
      useScale: f["use_scale"] as boolean, useBias: !rms && (f["use_bias"] as boolean),
    });
  };
}

/**
 * GroupNorm: the last axis holds the features, split into num_groups groups of group_size.
 * Flax reshapes x to [..., groups, group_size], reduces reduction_axes[:-1] and group_size,
 * and then repeats the statistics along axis 1 (`jnp.repeat(mean, group_size, axis=1)`):
 * that is the group axis only when exactly one axis besides the features is not reduced
 * (the batch axis) and the last axis is reduced. Anything else fails or mixes up statistics
 * in Flax, so it is an error here.
 */
function buildGroupNorm(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<NormAttrs> | undefined {
  const input = x!;
  if (!start(ctx, f, input, "GroupNorm")) return undefined;
  const rank = input.shape.length;
  if (rank < 2) {
    ctx.error("NNX2042", ctx.given("input") ? "input" : undefined, `GroupNorm needs an input of rank >= 2 (a batch axis and the features), got rank ${rank}`);
    return undefined;
  }
  const rawAxes = f["reduction_axes"] ?? [...Array.from({ length: rank - 2 }, (_, i) => i + 1), -1];
  const reductionAxes = canonicalAxes(ctx, "reduction_axes", rawAxes, rank);
  if (!reductionAxes) return undefined;
  const axesField = ctx.given("reduction_axes") ? "reduction_axes" : undefined;
  if (!reductionAxes.includes(rank - 1)) {
    ctx.error("NNX2042", axesField, `GroupNorm's reduction_axes must include the last (feature) axis ${rank - 1}: Flax groups the last axis and reduces within each group`, `add -1 to reduction_axes`);
    return undefined;
  }
  const kept = Array.from({ length: rank - 1 }, (_, i) => i).filter((i) => !reductionAxes.includes(i));
  if (kept.length !== 1) {
    ctx.error("NNX2042", axesField, `GroupNorm keeps statistics per group for exactly one other axis (the batch axis), but reduction_axes [${reductionAxes.join(", ")}] leave ${kept.length === 0 ? "none" : `axes ${kept.join(", ")}`}`,
      "Flax's GroupNorm repeats its statistics along axis 1, which is the group axis only then; reduce every axis but one batch axis");
    return undefined;
  }
  const featureAxes = [rank - 1];
  const numFeatures = featureCount(ctx, f, input, featureAxes, "num_features");
  if (numFeatures === undefined) return undefined;
  const numGroups = groupCount(ctx, f, numFeatures);
  if (numGroups === undefined) return undefined;
  return finish(ctx, f, input, {
    type: "GroupNorm", numFeatures, rank, reductionAxes, featureAxes, featureShape: featureShapeOf(input, featureAxes),
    epsilon: f["epsilon"] as number, useMean: true, fastVariance: f["use_fast_variance"] as boolean,
    useScale: f["use_scale"] as boolean, useBias: f["use_bias"] as boolean, numGroups,
  });
}

/** GroupNorm's constructor rules: exactly one of num_groups and group_size, dividing the features. */
function groupCount(ctx: LayerContext, f: Readonly<Record<string, unknown>>, features: number): number | undefined {
  const groups = f["num_groups"] as number | null;
  const size = f["group_size"] as number | null;
  if (groups === null && size === null) {
    ctx.error("NNX2043", "num_groups", "GroupNorm needs num_groups or group_size; both are null", "give num_groups, or group_size with num_groups: null");
    return undefined;
  }
  if (groups !== null && size !== null) {
    ctx.error("NNX2043", "group_size", `give num_groups or group_size, not both (num_groups is ${groups}${ctx.given("num_groups") ? "" : ", Flax's default"})`,
      "set num_groups: null to use group_size, as Flax requires");
    return undefined;
  }
  if (size !== null) {
    if (features % size !== 0) {
      ctx.error("NNX2043", "group_size", `group_size ${size} does not divide the ${features} features`, `use a divisor of ${features}`);
      return undefined;
    }
    return features / size;
  }
  if (features % groups! !== 0) {
    ctx.error("NNX2043", "num_groups", `num_groups ${groups!} does not divide the ${features} features`, `use a divisor of ${features}, or num_groups: null and a group_size`);
    return undefined;
  }
  return groups!;
}

/** BatchNorm at inference: normalized with its running statistics `mean` and `var`. */
function buildBatchNorm(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<NormAttrs> | undefined {
  const input = x!;
  if (!start(ctx, f, input, "BatchNorm")) return undefined;
  if (f["use_running_average"] === false) {
    ctx.error("NNX2044", "use_running_average", "use_running_average false computes batch statistics while training; nnx-gen runs inference only", "remove use_running_average or set it to true");
    return undefined;
  }
  const rank = input.shape.length;
  const axis = normalizeAxis(ctx, "axis", f["axis"] as number, rank);
  if (axis === undefined) return undefined;
  const featureAxes = [axis];
  const numFeatures = featureCount(ctx, f, input, featureAxes, "axis");
  if (numFeatures === undefined) return undefined;
  // nnx.BatchStat(jnp.zeros(feature_shape, jnp.float32)): float32 whatever param_dtype is.
  const stat = (name: string, init: string): ParamRequest => ({ name, shape: [numFeatures], initField: "num_features", init, collection: "batch_stats", dtype: "float32" });
  return finish(ctx, f, input, {
    type: "BatchNorm", numFeatures, rank, reductionAxes: [...Array(rank).keys()].filter((i) => i !== axis), featureAxes,
    featureShape: featureShapeOf(input, featureAxes), epsilon: f["epsilon"] as number, useMean: true,
    fastVariance: f["use_fast_variance"] as boolean, useScale: f["use_scale"] as boolean, useBias: f["use_bias"] as boolean,
  }, [stat("mean", "zeros"), stat("var", "ones")]);
}

/** A parameter stored as [num_features], reshaped to Flax's feature_shape to broadcast. */
function shaped(l: Lowering, layer: string, name: string, on: boolean, shape: readonly number[]): Tensor | undefined {
  return on ? reshapeHost(l.param(layer, name), shape) : undefined;
}

function lowerNorm(layer: { name: string; attrs: NormAttrs }, x: string, l: Lowering): string {
  const a = layer.attrs;
  const g = l.g;
  const scale = shaped(l, layer.name, "scale", a.useScale, a.featureShape);
  const bias = shaped(l, layer.name, "bias", a.useBias, a.featureShape);
  if (a.type === "BatchNorm") {
    // (x - mean) * (rsqrt(var + eps) * scale) + bias, the factor computed once on the host.
    // Not folded into one x * f + (bias - mean * f): with x close to a large mean that adds
    // two rounding errors of size |mean * f| * 2^-24 where Flax has none (x - mean is exact).
    const factor = batchNormFactor(l.param(layer.name, "var"), a.epsilon, a.useScale ? l.param(layer.name, "scale") : undefined, g.rounding?.ops);
    const mean = g.constant(reshapeHost(l.param(layer.name, "mean"), a.featureShape), "mean");
    const y = mul(g, sub(g, x, mean), g.constant(reshapeHost(factor, a.featureShape), "factor"));
    return bias ? add(g, y, g.constant(bias, "bias")) : y;
  }
  if (a.type === "GroupNorm") {
    // Statistics and the normalization on x reshaped to [..., groups, group_size] (0 copies
    // an input dim, so symbolic dims pass through); scale and bias reshaped to match. Each
    // element's arithmetic is Flax's, whose repeated statistics equal these broadcast ones.
    const groups = a.numGroups!;
    const size = a.numFeatures / groups;
    const keep = Array<number>(a.rank - 1).fill(0);
    const grouped = g.node("Reshape", [x, g.constInt64([...keep, groups, size])]);
    const axes = [...a.reductionAxes.slice(0, -1), a.rank];
    const groupShape = [...Array<number>(a.rank - 1).fill(1), groups, size];
    const y = normalize(g, grouped, moments(g, grouped, axes, true, a.fastVariance), a.epsilon,
      scale && reshapeHost(scale, groupShape), bias && reshapeHost(bias, groupShape));
    return g.node("Reshape", [y, g.constInt64([...keep, a.numFeatures])]);
  }
  return normalize(g, x, moments(g, x, a.reductionAxes, a.useMean, a.fastVariance), a.epsilon, scale, bias);
}

function describeNorm(a: NormAttrs): string {
  const last = [a.rank - 1];
  const same = (xs: readonly number[], ys: readonly number[]) => xs.length === ys.length && xs.every((v, i) => v === ys[i]);
  const parts = [String(a.numFeatures)];
  if (a.type === "GroupNorm") parts.push(`${a.numGroups!} groups`);
  if (a.type === "BatchNorm" && a.featureAxes[0] !== a.rank - 1) parts.push(`axis ${a.featureAxes[0]!}`);
  if (a.type === "LayerNorm" || a.type === "RMSNorm") {
    if (!same(a.reductionAxes, last)) parts.push(`over ${axesText(a.reductionAxes)}`);
    if (!same(a.featureAxes, last)) parts.push(`features ${axesText(a.featureAxes)}`);
  }
  if (a.epsilon !== DEFAULT_EPSILON[a.type]) parts.push(`eps ${a.epsilon}`);
  if (!a.fastVariance && a.useMean && a.type !== "BatchNorm") parts.push("two-pass variance");
  if (!a.useScale) parts.push("no scale");
  if (a.type !== "RMSNorm") parts.push(...noBias(a.useBias));
  return call(a.type, parts);
}

function kind(type: NormType, build: LayerKind<NormAttrs>["build"]): LayerKind<NormAttrs> {
  // Keys: scale, then bias; BatchNorm's mean and var are nnx.BatchStat(jnp.zeros/ones), no key.
  const rngDraws = (layer: { params: readonly ParamSpec[] }) => layer.params.filter((p) => paramCollection(p) === "params").map((p) => p.name);
  return { types: [type], arity: "one", build, lower: (layer, [x], l) => lowerNorm(layer, x!, l), describe: describeNorm, rngDraws };
}

export const normalizations: LayerKind<NormAttrs>[] = [
  kind("LayerNorm", buildLayerNorm("LayerNorm")),
  kind("RMSNorm", buildLayerNorm("RMSNorm")),
  kind("GroupNorm", buildGroupNorm),
  kind("BatchNorm", buildBatchNorm),
];

