/**
 * flax.nnx.MultiHeadAttention at inference: LinearGeneral projections query / key / value
 * ([in, heads, head_dim] kernels), dot_product_attention, and the `out` LinearGeneral over the
 * (heads, head_dim) axes. Input: one value (self-attention), [q, kv] or [q, k, v]; `mask` names a
 * value broadcastable to [batch..., heads, q_length, kv_length], or is `causal`
 * (nnx.make_causal_mask over the query's [batch..., length]). `normalize_qk` applies Flax's
 * LayerNorm(head_dim, use_bias=False) to the projected query and key.
 */
import type { IrLayer, ParamSpec, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { linearGeneral as linearGeneralOp } from "../runtime/onnx/ops_linear.js";
import { moments, normalize } from "../runtime/onnx/ops_norm.js";
import { Expr, product } from "../shapes/expr.js";
import { attentionCore, checkDropout, lowerCore, type AttentionCore } from "./attention.js";
import { makeParams, paramDtype, promoteDtype, requireFloatInput, staticDim } from "./common.js";
import { call, noBias } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface MultiHeadAttentionAttrs {
  core: AttentionCore;
  /** dropout_rate > 0: the constructor forks a dropout key after its params. */
  drawsDropoutKey: boolean;
  inFeatures: number;
  inKvFeatures: number;
  qkvFeatures: number;
  outFeatures: number;
  headDim: number;
  useBias: boolean;
  /** LayerNorm(head_dim, use_bias=False) on the projected query and key (`query_ln`, `key_ln`). */
  normalizeQk: boolean;
  /** How many of the inputs are q, k, v values (1, 2 or 3); a mask value follows them. */
  nInputs: number;
  hasMaskValue: boolean;
}

const maskRef = (f: Readonly<Record<string, unknown>>): string | undefined => (typeof f["mask"] === "string" && f["mask"] !== "causal" ? (f["mask"] as string) : undefined);

function build(f: Readonly<Record<string, unknown>>, inputs: readonly TensorType[], ctx: LayerContext): Built<MultiHeadAttentionAttrs> | undefined {
  const hasMaskValue = maskRef(f) !== undefined;
  const main = inputs.slice(0, inputs.length - (hasMaskValue ? 1 : 0));
  const maskType = hasMaskValue ? inputs[inputs.length - 1] : undefined;
  const nInputs = main.length;
  const inputField = (i: number): string => (nInputs === 1 ? "input" : `input/${i}`);
  if (!main.every((t, i) => requireFloatInput(ctx, t, `MultiHeadAttention input ${i}`))) return undefined;
  if (nInputs > 3) {
    ctx.error("NNX2052", "input", `MultiHeadAttention takes one input (self-attention), [q, kv] or [q, k, v], got ${nInputs}`);
    return undefined;
  }
  checkDropout(ctx, f);
  if (f["decode"] === true) {
    ctx.error("NNX2056", "decode", "decode: true (the autoregressive cache) is not supported: nnx-gen runs whole sequences", "remove decode, or set it to false");
    return undefined;
  }
  const [xq, xk, xv] = [main[0]!, main[Math.min(1, nInputs - 1)]!, main[nInputs - 1]!];
  for (const [i, t] of main.entries()) {
    if (t.shape.length < 2) {
      ctx.error("NNX2009", inputField(i), `MultiHeadAttention inputs are [batch..., length, features], of rank >= 2; input ${i} has rank ${t.shape.length}`);
      return undefined;
    }
  }
  const numHeads = f["num_heads"] as number;
  const numKvHeads = (f["num_kv_heads"] as number | null) ?? numHeads;
  if (numHeads % numKvHeads !== 0) {
    ctx.error("NNX2055", "num_kv_heads", `num_heads (${numHeads}) must be divisible by num_kv_heads (${numKvHeads})`);
    return undefined;
  }
  const last = (t: TensorType): Expr => t.shape[t.shape.length - 1]!;
  const inFeatures = staticDim(ctx, last(xq), "in_features", "the query input's features (last) dim");
  const inKvFeatures = staticDim(ctx, last(xk), "in_kv_features", "the key/value input's features (last) dim");
  if (inFeatures === undefined || inKvFeatures === undefined) return undefined;
  if (f["in_features"] !== null && f["in_features"] !== undefined && f["in_features"] !== inFeatures) {
    ctx.error("NNX2057", "in_features", `Incompatible input dimension, got ${inFeatures} but module expects ${String(f["in_features"])} (in_features)`, `set in_features: ${inFeatures} or remove it`);
    return undefined;
  }
  if (!last(xv).equals(last(xk))) {
    ctx.error("NNX2057", inputField(nInputs - 1), `the key and value inputs have ${last(xk).toString()} and ${last(xv).toString()} features, but Flax projects both with in_kv_features`);
    return undefined;
  }
  if (f["in_kv_features"] !== null && f["in_kv_features"] !== undefined && f["in_kv_features"] !== inKvFeatures) {
    ctx.error("NNX2057", "in_kv_features", `in_kv_features is ${String(f["in_kv_features"])} but the key/value input has ${inKvFeatures} features (last dim)`, `set in_kv_features: ${inKvFeatures} or remove it`);
    return undefined;
  }
  const qkvFeatures = (f["qkv_features"] as number | null) ?? inFeatures;
  const outFeatures = (f["out_features"] as number | null) ?? inFeatures;
  if (qkvFeatures % numHeads !== 0) {
    ctx.error("NNX2055", ctx.given("qkv_features") ? "qkv_features" : "num_heads", `Memory dimension (${qkvFeatures}) must be divisible by 'num_heads' heads (${numHeads})${ctx.given("qkv_features") ? "" : " (qkv_features defaults to in_features)"}`);
    return undefined;
  }
  const headDim = qkvFeatures / numHeads;
  // The projections: [batch..., length, heads, head_dim].
  const proj = (t: TensorType, heads: number): TensorType => ({ dtype: "float32", shape: [...t.shape.slice(0, -1), Expr.const(heads), Expr.const(headDim)] });
  const causal = f["mask"] === "causal";
  if (causal) {
    // make_causal_mask over the query gives [batch..., 1, q_len, q_len].
    const [t, s] = [xq.shape[xq.shape.length - 2]!, xk.shape[xk.shape.length - 2]!];
    if (!t.equals(s) && !ctx.require([t, s], ([a, b]) => a !== b, "NNX2053", "mask", () => `mask causal is nnx.make_causal_mask over the query, [batch..., 1, ${t.toString()}, ${t.toString()}], which does not broadcast to the key length ${s.toString()}`)) return undefined;
  }
  const r = attentionCore(ctx, { q: inputField(0), k: inputField(Math.min(1, nInputs - 1)), v: inputField(nInputs - 1), mask: "mask", bias: "mask" }, proj(xq, numHeads), proj(xk, numKvHeads), proj(xv, numKvHeads), {
    ...(maskType ? { mask: maskType } : {}),
    causal,
    weightsPath: (f["dropout_rate"] as number) > 0,
  });
  if (!r) return undefined;
  const useBias = f["use_bias"] as boolean;
  const normalizeQk = f["normalize_qk"] as boolean;
  const kernelInit = f["kernel_init"];
  const biasInit = f["bias_init"];
  const outKernelInit = f["out_kernel_init"] ?? kernelInit;
  const outBiasInit = f["out_bias_init"] ?? biasInit;
  const initField = (own: string, fallback: string): string => (ctx.given(own) ? own : fallback);
  // In the order Flax's constructor draws rngs.params() keys: query, key, value, out; each
  // LinearGeneral its kernel, then its bias. Kernels initialize as flat 2-D matrices.
  const lg = (name: string, inF: number[], outF: number[], kInit: unknown, bInit: unknown, kField: string, bField: string) => [
    { name: `${name}.kernel`, shape: [...inF, ...outF], initShape: [prod(inF), prod(outF)], initField: kField, init: kInit },
    ...(useBias ? [{ name: `${name}.bias`, shape: outF, initShape: [prod(outF)], initField: bField, init: bInit }] : []),
  ];
  const params: ParamSpec[] | undefined = makeParams(ctx, [
    ...lg("query", [inFeatures], [numHeads, headDim], kernelInit, biasInit, "kernel_init", "bias_init"),
    ...lg("key", [inKvFeatures], [numKvHeads, headDim], kernelInit, biasInit, "kernel_init", "bias_init"),
    ...lg("value", [inKvFeatures], [numKvHeads, headDim], kernelInit, biasInit, "kernel_init", "bias_init"),
    // LayerNorm(head_dim, use_bias=False): a scale (ones) each, created after value.
    ...(normalizeQk ? ["query_ln", "key_ln"].map((n) => ({ name: `${n}.scale`, shape: [headDim], initField: "normalize_qk", init: "ones" })) : []),
    ...lg("out", [numHeads, headDim], [outFeatures], outKernelInit, outBiasInit, initField("out_kernel_init", "kernel_init"), initField("out_bias_init", "bias_init")),
  ], paramDtype(ctx, f));
  if (!params) return undefined;
  // Every LinearGeneral and the attention get dtype=self.dtype: one promoted dtype throughout.
  const dtype = promoteDtype(ctx, f, main.map((t) => t.dtype), [params[0]!.dtype]);
  const rows = (t: TensorType): Expr => product(t.shape.slice(0, -1));
  const projMacs = rows(xq).mul(inFeatures * qkvFeatures)
    .add(rows(xk).mul(inKvFeatures * numKvHeads * headDim))
    .add(rows(xv).mul(inKvFeatures * numKvHeads * headDim))
    .add(rows(xq).mul(qkvFeatures * outFeatures));
  const macs = projMacs.add(r.macs);
  // LayerNorm with the fast variance and a scale: 6 FLOPs per element (see normalization.ts).
  const lnFlops = normalizeQk ? rows(xq).mul(qkvFeatures * 6).add(rows(xk).mul(numKvHeads * headDim * 6)) : Expr.const(0);
  const output: TensorType = { dtype, shape: [...xq.shape.slice(0, -1), Expr.const(outFeatures)] };
  return {
    attrs: { core: r.core, drawsDropoutKey: (f["dropout_rate"] as number) > 0, inFeatures, inKvFeatures, qkvFeatures, outFeatures, headDim, useBias, normalizeQk, nInputs, hasMaskValue },
    numerics: { cast: dtype, compute: dtype },
    output,
    params,
    cost: { macs, flops: r.flops.add(projMacs.mul(2)).add(lnFlops) },
  };
}

const prod = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);

function lower(layer: IrLayer<MultiHeadAttentionAttrs>, ins: readonly string[], l: Lowering): string {
  const a = layer.attrs;
  const n = a.nInputs;
  const [xq, xk, xv] = [ins[0]!, ins[Math.min(1, n - 1)]!, ins[n - 1]!];
  const ndim = l.dims(layer.inputs[0]!).length;
  const p = (name: string) => l.param(layer.name, name);
  const project = (x: string, name: string): string =>
    linearGeneralOp(l.g, x, { ndim, axis: [-1], kernel: p(`${name}.kernel`), ...(a.useBias ? { bias: p(`${name}.bias`) } : {}) });
  // query_ln / key_ln: flax.nnx.LayerNorm defaults (epsilon 1e-6, fast variance) over head_dim.
  // LayerNorm statistics in float32, the result rounded once to the dtype (normalization.ts).
  const half = l.g.rounding?.ops;
  const ln = (x: string, name: string): string => {
    if (!a.normalizeQk) return x;
    const y = l.g.withRounding(undefined, () => normalize(l.g, x, moments(l.g, x, [ndim], true, true), 1e-6, p(`${name}.scale`)));
    return half ? l.g.roundTo(y, half) : y;
  };
  const q = ln(project(xq, "query"), "query_ln");
  const k = ln(project(xk, "key"), "key_ln");
  const v = project(xv, "value");
  const att = lowerCore(a.core, l, q, k, v, a.hasMaskValue ? ins[n] : undefined);
  return linearGeneralOp(l.g, att, { ndim: ndim + 1, axis: [-2, -1], kernel: p("out.kernel"), ...(a.useBias ? { bias: p("out.bias") } : {}) });
}

export const multiHeadAttention: LayerKind<MultiHeadAttentionAttrs> = {
  types: ["MultiHeadAttention"],
  arity: "oneOrMany",
  valueRefs: (f) => {
    const m = maskRef(f);
    return m === undefined ? [] : [{ field: "mask", name: m }];
  },
  build,
  lower,
  // The params in Flax's order, then the key `rngs.dropout.fork()` draws when dropout_rate > 0
  // (nnx.Rngs(seed) serves the dropout stream from the default one).
  rngDraws: (layer) => [...layer.params.map((p) => p.name), ...(layer.attrs.drawsDropoutKey ? [null] : [])],
  describe: (a) =>
    call("MultiHeadAttention", [
      `${a.core.numHeads} heads x ${a.headDim}`,
      ...(a.core.numKvHeads !== a.core.numHeads ? [`${a.core.numKvHeads} kv heads`] : []),
      `${a.inFeatures} -> ${a.outFeatures}`,
      ...(a.core.causal ? ["causal"] : a.hasMaskValue ? ["mask"] : []),
      ...(a.normalizeQk ? ["normalize_qk"] : []),
      ...noBias(a.useBias),
    ]),
};
