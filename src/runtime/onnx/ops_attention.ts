/**
 * Dot-product attention on [batch..., length, heads, depth] values, as flax.nnx's
 * dot_product_attention runs it: MatMuls over the leading dims (no per-element Gathers, no
 * flattening), a scalar scale ORT folds into the MatMul, Where for masks, Softmax on the last
 * axis. Grouped-query attention (fewer key/value heads) broadcasts k and v over the groups.
 */

import type { DType } from "../../tensor.js";
import type { GraphBuilder } from "./graph.js";
import { softmax } from "./ops_activation.js";
import type { Half } from "./rounding.js";
import { cast, concat, range, reshape, shapeOf, squeeze, transpose, unsqueeze } from "./ops_shape.js";

export interface AttentionOptions {
  /** Rank of q, k and v: batch dims..., length, heads, depth. */
  readonly rank: number;
  readonly numHeads: number;
  /** Heads of k and v; divides numHeads (grouped-query attention when smaller). */
  readonly numKvHeads: number;
  readonly depth: number;
  /** A value broadcastable to [batch..., heads, q_len, kv_len]; nonzero / true = attend. */
  readonly mask?: { readonly name: string; readonly rank: number; readonly dtype: DType };
  /** Added to the logits; broadcastable like the mask. */
  readonly bias?: { readonly name: string; readonly rank: number };
  /** jnp.tril over (q_len, kv_len), combined with the mask (`is_causal`). */
  readonly causal?: boolean;
  /**
   * Flax's dot_product_attention_weights path, taken when dropout_rate > 0: the query divided by
   * sqrt(depth) before the product, masked logits set to finfo(float32).min. Otherwise the
   * jax.nn.dot_product_attention path Flax takes by default: (q . k) * (1 / sqrt(depth)),
   * masked logits -0.7 * float32 max. The two differ only in float32 rounding.
   */
  readonly weightsPath?: boolean;
}

const F32_MAX = 3.4028234663852886e38;
/** jnp.finfo(dtype).max of the computation dtype. */
const finfoMax = (half: Half | undefined): number => (half === "bfloat16" ? 3.3895313892515355e38 : half === "float16" ? 65504 : F32_MAX);

/** Drop the leading size-1 axes of a mask or bias of higher rank than the logits (jax.nn's _ensure_4d adds them). */
function dropLeading(g: GraphBuilder, x: string, rank: number, target: number): string {
  return rank > target ? squeeze(g, x, range(0, rank - target)) : x;
}

/** The size of `axis` of x as an int64 scalar. */
function lengthOf(g: GraphBuilder, x: string, axis: number): string {
  return squeeze(g, shapeOf(g, x, axis, axis + 1), [0]);
}

/** jnp.tril(ones((rows, cols))) as bool: (i >= j); sizes are int64 scalars. */
function trilMask(g: GraphBuilder, rows: string, cols: string): string {
  const [zero, one] = [g.scalar(0, "int64"), g.scalar(1, "int64")];
  const i = g.node("Range", [zero, rows, one]);
  const j = g.node("Range", [zero, cols, one]);
  return g.node("GreaterOrEqual", [unsqueeze(g, i, [1]), unsqueeze(g, j, [0])]);
}

/** flax.nnx.dot_product_attention(q, k, v, bias, mask); returns [batch..., q_len, heads, depth]. */
export function dotProductAttention(g: GraphBuilder, q: string, k: string, v: string, o: AttentionOptions): string {
  const nb = o.rank - 3;
  const b = range(0, nb);
  const [T, N, H] = [nb, nb + 1, nb + 2];
  const groups = o.numHeads / o.numKvHeads;
  // float64 (x64): Python floats stay double (no float32 rounding of 1/sqrt(depth) or the mask value).
  const wide = g.floatScalars !== undefined;
  if (o.weightsPath) q = g.node("Div", [q, g.scalar(wide ? Math.sqrt(o.depth) : Math.fround(Math.sqrt(o.depth)), "float32")]);
  let qt: string, kt: string, vt: string;
  if (groups === 1) {
    qt = transpose(g, q, [...b, N, T, H]);
    kt = transpose(g, k, [...b, N, H, T]);
    vt = transpose(g, v, [...b, N, T, H]);
  } else {
    // q [b, T, K, G, H] -> [b, K, G, T, H]; k, v get a group axis of 1.
    const q5 = reshape(g, q, [...b.map(() => 0), 0, o.numKvHeads, groups, o.depth]);
    qt = transpose(g, q5, [...b, N, N + 1, T, N + 2]);
    kt = unsqueeze(g, transpose(g, k, [...b, N, H, T]), [nb + 1]);
    vt = unsqueeze(g, transpose(g, v, [...b, N, T, H]), [nb + 1]);
  }
  const half = g.rounding?.ops;
  // jax.nn.dot_product_attention: float32 logits (preferred_element_type) and softmax, rounded to
  // the dtype once after it; Flax's weights path rounds each op in the dtype (onnx/rounding.ts).
  const weights = (): string => {
  let logits = g.node("MatMul", [qt, kt]);
  if (!o.weightsPath) logits = g.node("Mul", [logits, g.scalar(wide ? 1 / Math.sqrt(o.depth) : Math.fround(1 / Math.sqrt(o.depth)), "float32")]);
  if (groups !== 1) logits = reshape(g, logits, concat(g, [shapeOf(g, logits, 0, nb), g.constInt64([o.numHeads]), shapeOf(g, logits, nb + 2)], 0));
  const lr = nb + 3;
  if (o.bias) logits = g.node("Add", [logits, dropLeading(g, o.bias.name, o.bias.rank, lr)]);
  const masks: string[] = [];
  if (o.mask) {
    const m = dropLeading(g, o.mask.name, o.mask.rank, lr);
    masks.push(o.mask.dtype === "bool" ? m : cast(g, m, "bool"));
  }
  if (o.causal) masks.push(trilMask(g, lengthOf(g, logits, lr - 2), lengthOf(g, logits, lr - 1)));
  if (masks.length > 0) {
    const keep = masks.reduce((a, m) => g.node("And", [a, m]));
    // jnp.finfo(dtype).min in Flax's path; jax.nn's -0.7 * finfo(float32).max.
    const big = o.weightsPath ? (wide ? -Number.MAX_VALUE : -finfoMax(half)) : wide ? -0.7 * F32_MAX : Math.fround(-0.7 * F32_MAX);
    logits = g.node("Where", [keep, logits, g.scalar(big, "float32")]);
  }
  // jax.nn's softmax "is always carried out in fp32": float64 logits are cast down and the
  // probabilities back up (astype(key.dtype)) around it.
  if (wide && !o.weightsPath) return cast(g, softmax(g, cast(g, logits, "float32"), -1), "float64");
  return softmax(g, logits, -1);
  };
  let p = o.weightsPath || !half ? weights() : g.roundTo(g.withRounding(undefined, weights), half);
  if (groups !== 1) p = reshape(g, p, concat(g, [shapeOf(g, p, 0, nb), g.constInt64([o.numKvHeads, groups]), shapeOf(g, p, nb + 1)], 0));
  const out = g.node("MatMul", [p, vt]);
  if (groups === 1) return transpose(g, out, [...b, N, T, H]);
  // [b, K, G, T, H] -> [b, T, K, G, H] -> [b, T, N, H]
  return reshape(g, transpose(g, out, [...b, N + 1, T, N, N + 2]), [...b.map(() => 0), 0, o.numHeads, o.depth]);
}

/**
 * nnx.make_causal_mask(x, extra_batch_dims): [1 x extra..., batch..., 1, len, len] with
 * (i >= j), len = x.shape[-1], in `dtype`.
 */
export function causalMask(g: GraphBuilder, x: string, rank: number, extraBatchDims: number, dtype: DType): string {
  const len = lengthOf(g, x, rank - 1);
  const parts = [shapeOf(g, x, 0, rank - 1), g.constInt64([1]), shapeOf(g, x, rank - 1), shapeOf(g, x, rank - 1)];
  if (extraBatchDims > 0) parts.unshift(g.constInt64(new Array<number>(extraBatchDims).fill(1)));
  const m = g.node("Expand", [trilMask(g, len, len), concat(g, parts, 0)]);
  return dtype === "bool" ? m : cast(g, m, dtype);
}
