/** Every layer kind by its `type` name. */
import { attend } from "./attend.js";
import { concatenate } from "./concatenate.js";
import { conv } from "./conv.js";
import { convTranspose } from "./conv_transpose.js";
import { causalMaskOp, dotProductAttentionOp } from "./attention.js";
import { multiHeadAttention } from "./multi_head_attention.js";
import { einsum } from "./einsum.js";
import { einsumOp } from "./einsum_op.js";
import { embed } from "./embed.js";
import type { LayerKind } from "./kind.js";
import { linear } from "./linear.js";
import { linearGeneral } from "./linear_general.js";
import { normalizations } from "./normalization.js";
import { dropout } from "./dropout.js";
import { opKinds } from "./ops/kind.js";
import { pooling } from "./pooling.js";
import { reductions } from "./reductions.js";
import { reshape } from "./reshape.js";
import { transpose } from "./transpose.js";
import { indexing } from "./indexing.js";

const ALL: LayerKind<any>[] = [conv, embed, linear, linearGeneral, einsum, attend, ...opKinds, reshape, transpose, concatenate, einsumOp, ...reductions, ...pooling, ...normalizations, dropout, ...indexing, convTranspose, dotProductAttentionOp, causalMaskOp, multiHeadAttention];

export const LAYER_KINDS: ReadonlyMap<string, LayerKind<any>> = new Map(ALL.flatMap((k) => k.types.map((t) => [t, k] as const)));

/** Kinds with parameters (the rest are stateless ops). */
export const PARAMETERIZED = new Set(["Conv", "Embed", "Linear", "LinearGeneral", "Einsum", "LayerNorm", "RMSNorm", "GroupNorm", "BatchNorm", "Param", "ConvTranspose", "MultiHeadAttention"]);
