/**
 * flax.nnx.Embed: lookup with jnp.take's fill semantics, and attend.
 */

import { isIntDType, type DType, type Tensor } from "../../tensor.js";
import type { GraphBuilder } from "./graph.js";
import { reshapeHost } from "./host.js";
import { cast, concat, shapeOf, unsqueeze } from "./ops_shape.js";

export interface EmbedOptions {
  /** The embedding, (num_embeddings, features). */
  readonly table: Tensor;
  /** dtype of the ids value: any integer dtype. */
  readonly idsDtype: DType;
}

/**
 * y = embedding[ids] as Flax computes it: an index in [-N, -1] wraps once; any index still
 * outside [0, N) gives a row of NaN (jnp.take's fill for the float tables Embed has). Gather rejects such indices,
 * so they gather row 0 and a Where puts NaN over those rows. The table is the
 * parameter itself, never a copy, so a tied `attend` shares it and loading copies nothing.
 * N == 1 broadcasts the single row whatever the ids.
 */
export function embedLookup(g: GraphBuilder, ids: string, o: EmbedOptions): string {
  const [n, features] = o.table.shape;
  if (o.table.shape.length !== 2 || n === undefined || features === undefined) throw new RangeError(`embedding table must be 2-D, got [${o.table.shape.join(",")}]`);
  if (!isIntDType(o.idsDtype)) throw new TypeError("Input type must be an integer or unsigned integer.");
  if (n === 1) {
    const row = g.constant(reshapeHost(o.table, [features]), "embed_row");
    return g.node("Expand", [row, concat(g, [shapeOf(g, ids), g.constInt64([features])], 0)]);
  }
  // 0-d constants: 1-D ones would broadcast 0-d ids (shape []) to [1] and the output to [1, F].
  const { index, ok } = takeIndex(g, ids, o.idsDtype, g.scalar(n, "int64"));
  const rows = g.node("Gather", [g.shared(o.table, "embedding"), g.node("Where", [ok, index, g.scalar(0, "int64")])], { axis: 0 });
  return g.node("Where", [unsqueeze(g, ok, [-1]), rows, g.scalar(NaN, o.table.dtype)]);
}

/**
 * jnp.take's fill mode on indices into an axis of size `n` (a 0-d int64 value): the index as
 * int64 with [-n, -1] wrapped once, and whether it is then inside [0, n).
 */
export function takeIndex(g: GraphBuilder, ids: string, idsDtype: DType, n: string): { index: string; ok: string } {
  let i = idsDtype === "int64" ? ids : cast(g, ids, "int64");
  const zero = g.scalar(0, "int64");
  // Unsigned ids never wrap (uint64 values >= 2^63 turn negative in the cast: out of range).
  if (!idsDtype.startsWith("u")) i = g.node("Where", [g.node("Less", [i, zero]), g.node("Add", [i, n]), i]);
  return { index: i, ok: g.node("And", [g.node("GreaterOrEqual", [i, zero]), g.node("Less", [i, n])]) };
}

/**
 * Embed.attend: query (..., F) · embeddingᵀ -> (..., N). The graph stores the table once (a tied
 * embedding shares Embed's initializer) and transposes it with a Transpose node that onnxruntime
 * folds at load: the MatMul then runs on a pre-packed (F, N) weight, measured 8% faster on the
 * tiny LM's logits than a Gemm with transB on the (N, F) table.
 */
export function attend(g: GraphBuilder, q: string, table: Tensor): string {
  const [n, features] = table.shape;
  if (table.shape.length !== 2 || n === undefined || features === undefined) throw new RangeError(`embedding table must be 2-D, got [${table.shape.join(",")}]`);
  return g.node("MatMul", [q, g.node("Transpose", [g.shared(table, "embedding")], { perm: [1, 0] })]);
}
