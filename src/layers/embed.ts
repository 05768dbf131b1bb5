/**
 * flax.nnx.Embed: a row lookup in an (N, F) table. Indices in [-N, -1] wrap once; any other
 * index outside [0, N) gives a NaN row (jnp.take's fill mode); N == 1 broadcasts the row.
 */
import type { TensorType } from "../ir/model.js";
import { Expr } from "../shapes/expr.js";
import { isIntDType, type DType } from "../tensor.js";
import { dtypeField, makeParams, paramDtype, typed, ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { embedLookup } from "../runtime/onnx/ops_embed.js";
import { call } from "./describe_text.js";

export interface EmbedAttrs {
  numEmbeddings: number;
  features: number;
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<EmbedAttrs> | undefined {
  const input = x!;
  if (!isIntDType(input.dtype)) {
    ctx.error("NNX2018", ctx.given("input") ? "input" : undefined, `Embed needs an integer input, got ${input.dtype}`, "declare the token input with an integer dtype such as int32");
    return undefined;
  }
  const numEmbeddings = f["num_embeddings"] as number;
  const features = f["features"] as number;
  const params = makeParams(ctx, [{ name: "embedding", shape: [numEmbeddings, features], initField: "embedding_init", init: f["embedding_init"] }], paramDtype(ctx, f));
  if (!params) return undefined;
  // `self.dtype = dtype or self.embedding.dtype`: the table is cast to it and gathered.
  const dtype = embedDtype(ctx, f, params[0]!.dtype);
  return {
    attrs: { numEmbeddings, features },
    numerics: { cast: dtype },
    output: typed(dtype, [...input.shape, Expr.const(features)]),
    params,
    cost: { macs: ZERO, flops: ZERO },
  };
}

/** Embed's dtype: its `dtype` field, else its table's param_dtype (also what attend computes in). */
export function embedDtype(ctx: LayerContext, f: Readonly<Record<string, unknown>>, param: DType): DType {
  return dtypeField(ctx, f, "dtype") ?? param;
}

export const embed: LayerKind<EmbedAttrs> = {
  types: ["Embed"],
  arity: "one",
  build,
  lower: (layer, [ids], l) => embedLookup(l.g, ids!, { table: l.param(layer.name, "embedding"), idsDtype: l.dtype(layer.inputs[0]!) }),
  describe: (a) => call("Embed", [String(a.numEmbeddings), String(a.features)]),
};
