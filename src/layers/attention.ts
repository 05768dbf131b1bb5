/**
 * flax.nnx.dot_product_attention and nnx.make_causal_mask as stateless ops, and the checks and
 * costs MultiHeadAttention shares with them. q, k, v are [batch..., length, heads, depth]; a
 * mask (bool, or float where nonzero attends) and a bias broadcast to
 * [batch..., heads, q_length, kv_length].
 */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { causalMask, dotProductAttention, type AttentionOptions } from "../runtime/onnx/ops_attention.js";
import { Expr, product, shapeText, type Shape } from "../shapes/expr.js";
import type { DType } from "../tensor.js";
import { promoteDtype, requireFloatInput, staticDim, ZERO } from "./common.js";
import { call } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

/** What the lowering needs besides the value names. */
export interface AttentionCore {
  rank: number;
  numHeads: number;
  numKvHeads: number;
  depth: number;
  mask?: { rank: number; dtype: DType };
  bias?: { rank: number };
  causal: boolean;
  weightsPath: boolean;
}

export interface CoreResult {
  core: AttentionCore;
  output: TensorType;
  macs: Expr;
  flops: Expr;
}

const ONE = Expr.const(1);

/** Whether `shape` broadcasts to `target` without enlarging it (extra leading dims of 1 allowed, as jax.nn's _ensure_4d adds them). */
function checkBroadcastTo(ctx: LayerContext, field: string, what: string, shape: Shape, target: Shape, flaxBatchRule: boolean): boolean {
  const fail = (): false => {
    ctx.error("NNX2053", field, `${what} has shape ${shapeText(shape)}, which does not broadcast to the attention weights' shape ${shapeText(target)} ([batch..., heads, q_length, kv_length])`, "give each axis the weights' size or 1");
    return false;
  };
  const extra = shape.length - target.length;
  // Leading 1s beyond the weights' rank: only where jax.nn's _ensure_4d pads to 4 dims.
  if (extra > 0 && (!flaxBatchRule || shape.length > 4 || !shape.slice(0, extra).every((d) => d.constant === 1))) return fail();
  for (let i = Math.max(extra, 0); i < shape.length; i++) {
    const d = shape[i]!;
    const t = target[i - extra]!;
    if (d.constant === 1 || d.equals(t)) continue;
    if (d.constant !== undefined && t.constant !== undefined) return fail();
    const ok = ctx.require([d, t], ([a, b]) => a !== 1 && a !== b, "NNX2053", field, (v) => `${what} has size ${d.toString()} at axis ${i} where the attention weights have ${t.toString()}${v === "some" ? ", which differ for some allowed sizes" : ""}`);
    if (!ok) return false;
  }
  // Flax flattens the batch dims of q, k, v, mask and bias to one before
  // jax.nn.dot_product_attention when q has more than one batch dim.
  const nb = target.length - 3;
  if (flaxBatchRule && nb > 1 && shape.length > 3) {
    const batch = shape.slice(0, shape.length - 3);
    const same = batch.length === nb && batch.every((d, i) => d.equals(target[i]!));
    if (!same && !batch.every((d) => d.constant === 1)) {
      ctx.error("NNX2053", field, `${what} has batch dims ${shapeText(batch)}; with ${nb} batch dims Flax reshapes q, k, v, mask and bias to one flattened batch dim, so they must be ${shapeText(target.slice(0, nb))} or all 1`, "give the mask all the batch dims of the query, or none");
      return false;
    }
  }
  return true;
}

/**
 * Check q, k, v ([batch..., length, heads, depth]) and the optional mask and bias as
 * flax.nnx.dot_product_attention and jax.nn.dot_product_attention do; infer the output.
 */
export function attentionCore(
  ctx: LayerContext,
  fieldOf: { q: string; k: string; v: string; mask: string; bias: string },
  q: TensorType,
  k: TensorType,
  v: TensorType,
  opts: { mask?: TensorType; bias?: TensorType; causal: boolean; weightsPath: boolean },
): CoreResult | undefined {
  const rank = q.shape.length;
  if (rank < 3 || k.shape.length !== rank || v.shape.length !== rank) {
    ctx.error("NNX2052", fieldOf.q, `q, k, v must have the same rank of at least 3 ([batch..., length, heads, depth]), but got ${q.shape.length}, ${k.shape.length}, ${v.shape.length}`);
    return undefined;
  }
  const nb = rank - 3;
  const at = (t: TensorType, i: number): Expr => t.shape[i < 0 ? rank + i : i]!;
  for (let i = 0; i < nb; i++) {
    for (const [t, field] of [[k, fieldOf.k], [v, fieldOf.v]] as const) {
      const [a, b] = [at(q, i), at(t, i)];
      if (!a.equals(b) && !ctx.require([a, b], ([x, y]) => x !== y, "NNX2052", field, () => `q, k, v batch dims must match, but got shapes ${[q, k, v].map((s) => shapeText(s.shape)).join(", ")}`)) return undefined;
    }
  }
  const eq = (a: Expr, b: Expr, field: string, msg: string): boolean => a.equals(b) || ctx.require([a, b], ([x, y]) => x !== y, "NNX2052", field, () => msg);
  if (!eq(at(q, -1), at(k, -1), fieldOf.k, `q, k depths must match, but got ${at(q, -1).toString()} and ${at(k, -1).toString()}`)) return undefined;
  if (!eq(at(k, -3), at(v, -3), fieldOf.v, `k, v lengths must match, but got ${at(k, -3).toString()} and ${at(v, -3).toString()}`)) return undefined;
  const numHeads = staticDim(ctx, at(q, -2), fieldOf.q, "the query's heads dim");
  const numKvHeads = staticDim(ctx, at(k, -2), fieldOf.k, "the key's heads dim");
  const depth = staticDim(ctx, at(q, -1), fieldOf.q, "the query's depth (last) dim");
  if (numHeads === undefined || numKvHeads === undefined || depth === undefined) return undefined;
  if (!opts.weightsPath) {
    // jax.nn.dot_product_attention checks value against key's shape [B, S, K, H].
    if (!eq(at(v, -2), at(k, -2), fieldOf.v, `value must have the key's shape ${shapeText(k.shape)} (jax.nn.dot_product_attention), but got ${shapeText(v.shape)}`)) return undefined;
    if (!eq(at(v, -1), at(k, -1), fieldOf.v, `value must have the key's shape ${shapeText(k.shape)} (jax.nn.dot_product_attention), but got ${shapeText(v.shape)}`)) return undefined;
  } else if (!eq(at(v, -2), at(k, -2), fieldOf.v, `k, v heads must match, but got ${at(k, -2).toString()} and ${at(v, -2).toString()}`)) return undefined;
  if (numHeads % numKvHeads !== 0) {
    ctx.error("NNX2052", fieldOf.k, `Query heads (${numHeads}) must be multiple of Key heads (${numKvHeads}) for Grouped Query Attention`);
    return undefined;
  }
  const [T, S] = [at(q, -3), at(k, -3)];
  const weights = [...q.shape.slice(0, nb), Expr.const(numHeads), T, S];
  const core: AttentionCore = { rank, numHeads, numKvHeads, depth, causal: opts.causal, weightsPath: opts.weightsPath };
  if (opts.mask) {
    if (opts.mask.dtype !== "bool" && opts.mask.dtype !== "float32") {
      ctx.error("NNX2054", fieldOf.mask, `the mask has dtype ${opts.mask.dtype}; it must be bool (or float32, where nonzero attends, as make_causal_mask's default gives)`, "declare the mask input as dtype: bool");
      return undefined;
    }
    if (!checkBroadcastTo(ctx, fieldOf.mask, "the mask", opts.mask.shape, weights, !opts.weightsPath)) return undefined;
    core.mask = { rank: opts.mask.shape.length, dtype: opts.mask.dtype };
  }
  if (opts.bias) {
    if (!requireFloatInput(ctx, opts.bias, "dot_product_attention bias")) return undefined;
    if (!checkBroadcastTo(ctx, fieldOf.bias, "the bias", opts.bias.shape, weights, !opts.weightsPath)) return undefined;
    core.bias = { rank: opts.bias.shape.length };
  }
  const hv = at(v, -1);
  const logits = product(weights);
  const macs = logits.mul(depth).add(logits.mul(hv));
  // Per attention weight: the scale and the softmax, plus the bias add and the mask select.
  const perWeight = 2 + (opts.bias ? 1 : 0) + (opts.mask || opts.causal ? 1 : 0);
  return { core, output: { dtype: "float32", shape: [...q.shape.slice(0, nb), T, Expr.const(numHeads), hv] }, macs, flops: macs.mul(2).add(logits.mul(perWeight)) };
}

export function lowerCore(c: AttentionCore, l: Lowering, q: string, k: string, v: string, mask?: string, bias?: string): string {
  const o: AttentionOptions = {
    rank: c.rank,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    depth: c.depth,
    causal: c.causal,
    weightsPath: c.weightsPath,
    ...(c.mask && mask ? { mask: { name: mask, ...c.mask } } : {}),
    ...(c.bias && bias ? { bias: { name: bias, ...c.bias } } : {}),
  };
  return dotProductAttention(l.g, q, k, v, o);
}

/**
 * Dropout at inference: nnx-gen runs as after `model.eval()` (deterministic). A nonzero rate
 * still selects Flax's dot_product_attention_weights numerics.
 */
export function checkDropout(ctx: LayerContext, f: Readonly<Record<string, unknown>>): void {
  if ((f["dropout_rate"] as number) > 0 && f["deterministic"] !== true) {
    ctx.warn("NNX2056", "dropout_rate", `dropout_rate ${String(f["dropout_rate"])} without deterministic: true would drop attention weights at random in Flax; nnx-gen is inference only and runs deterministically, as after model.eval()`, "set deterministic: true");
  }
}

// ---------------------------------------------------------------------------------------------
// dot_product_attention

export interface DotProductAttentionAttrs {
  core: AttentionCore;
  hasMask: boolean;
  hasBias: boolean;
}

const refOf = (f: Readonly<Record<string, unknown>>, field: string): string | undefined => (typeof f[field] === "string" ? (f[field] as string) : undefined);

function buildDpa(f: Readonly<Record<string, unknown>>, inputs: readonly TensorType[], ctx: LayerContext): Built<DotProductAttentionAttrs> | undefined {
  const [q, k, v, ...extra] = inputs;
  if (![q!, k!, v!].every((t, i) => requireFloatInput(ctx, t, `dot_product_attention input ${i}`))) return undefined;
  checkDropout(ctx, f);
  const hasMask = refOf(f, "mask") !== undefined;
  const hasBias = refOf(f, "bias") !== undefined;
  const mask = hasMask ? extra[0] : undefined;
  const bias = hasBias ? extra[hasMask ? 1 : 0] : undefined;
  const r = attentionCore(ctx, { q: "input/0", k: "input/1", v: "input/2", mask: "mask", bias: "bias" }, q!, k!, v!, {
    ...(mask ? { mask } : {}),
    ...(bias ? { bias } : {}),
    causal: f["is_causal"] as boolean,
    weightsPath: (f["dropout_rate"] as number) > 0,
  });
  if (!r) return undefined;
  // promote_dtype((query, key), dtype=dtype); value and bias are cast to it too (nnx-gen).
  const dtype = promoteDtype(ctx, f, [q!.dtype, k!.dtype, v!.dtype], []);
  return { attrs: { core: r.core, hasMask, hasBias }, numerics: { cast: dtype, compute: dtype }, output: { ...r.output, dtype }, params: [], cost: { macs: r.macs, flops: r.flops } };
}

function lowerDpa(layer: IrLayer<DotProductAttentionAttrs>, [q, k, v, ...extra]: readonly string[], l: Lowering): string {
  const a = layer.attrs;
  return lowerCore(a.core, l, q!, k!, v!, a.hasMask ? extra[0] : undefined, a.hasBias ? extra[a.hasMask ? 1 : 0] : undefined);
}

export const dotProductAttentionOp: LayerKind<DotProductAttentionAttrs> = {
  types: ["dot_product_attention"],
  arity: "many",
  valueRefs: (f) => (["mask", "bias"] as const).flatMap((field) => (typeof f[field] === "string" ? [{ field, name: f[field] as string }] : [])),
  build: buildDpa,
  lower: lowerDpa,
  describe: (a) => call("dot_product_attention", [`${a.core.numHeads} heads`, ...(a.hasMask ? ["mask"] : []), ...(a.hasBias ? ["bias"] : []), ...(a.core.causal ? ["causal"] : [])]),
};

// ---------------------------------------------------------------------------------------------
// causal_mask

export interface CausalMaskAttrs {
  extraBatchDims: number;
  dtype: DType;
}

function buildCausal(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<CausalMaskAttrs> | undefined {
  const input = x!;
  if (input.shape.length < 1) {
    ctx.error("NNX2009", "input", "causal_mask needs an input of rank >= 1 ([batch..., length]), got a scalar");
    return undefined;
  }
  const extraBatchDims = f["extra_batch_dims"] as number;
  const dtype = f["dtype"] as DType;
  const len = input.shape[input.shape.length - 1]!;
  const shape = [...new Array<Expr>(extraBatchDims).fill(ONE), ...input.shape.slice(0, -1), ONE, len, len];
  return { attrs: { extraBatchDims, dtype }, output: { dtype, shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

export const causalMaskOp: LayerKind<CausalMaskAttrs> = {
  types: ["causal_mask"],
  arity: "one",
  build: buildCausal,
  lower: (layer, [x], l) => causalMask(l.g, x!, l.dims(layer.inputs[0]!).length, layer.attrs.extraBatchDims, layer.attrs.dtype),
  describe: (a) => call("causal_mask", [...(a.extraBatchDims ? [`extra_batch_dims ${a.extraBatchDims}`] : []), ...(a.dtype === "float32" ? [] : [a.dtype])]),
};
