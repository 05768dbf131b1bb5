/** Embed.attend with a named Embed's table (tied weights): query (..., F) · E^T -> (..., N). */
import type { TensorType } from "../ir/model.js";
import type { DType } from "../tensor.js";
import { Expr, product } from "../shapes/expr.js";
import { didYouMean } from "../util/suggest.js";
import { requireFloatInput, typed } from "./common.js";
import { embedDtype } from "./embed.js";
import { layerDefaults } from "../spec/schema.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { attend as attendOp } from "../runtime/onnx/ops_embed.js";
import { call } from "./describe_text.js";

export interface AttendAttrs {
  /** The Embed layer whose table is used. */
  embed: string;
  numEmbeddings: number;
  features: number;
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<AttendAttrs> | undefined {
  const input = x!;
  const name = f["embed"] as string;
  const target = ctx.layerFields(name);
  if (!target || target["type"] !== "Embed") {
    ctx.error("NNX2019", "embed", target ? `"${name}" is a ${String(target["type"])} layer, not an Embed` : `no layer named "${name}"`, target ? undefined : didYouMean(name, ctx.embedNames()));
    return undefined;
  }
  if (!requireFloatInput(ctx, input, "attend")) return undefined;
  const features = target["features"] as number;
  const numEmbeddings = target["num_embeddings"] as number;
  const last = input.shape[input.shape.length - 1];
  if (!last) {
    ctx.error("NNX2009", "input", "attend needs a query of rank >= 1, got a scalar");
    return undefined;
  }
  if (!ctx.require([last], ([v]) => v !== features, "NNX2019", "embed", () => `the query's last dim is ${last.toString()} but Embed "${name}" has ${features} features`)) return undefined;
  const shape = [...input.shape.slice(0, -1), Expr.const(numEmbeddings)];
  const macs = product(shape).mul(features);
  // Embed.attend: promote_dtype((query, embedding), dtype=self.dtype), self.dtype never None.
  // The Embed's own fields are read quietly: its float64 warnings are reported at the Embed.
  const quiet = { ...ctx, warn: () => undefined };
  const fields = { ...layerDefaults("Embed"), ...target };
  const dtype = embedDtype(quiet, fields, (fields["param_dtype"] === "float64" && !ctx.x64 ? "float32" : fields["param_dtype"]) as DType);
  return { attrs: { embed: name, numEmbeddings, features }, numerics: { cast: dtype, compute: dtype }, output: typed(dtype, shape), params: [], cost: { macs, flops: macs.mul(2) } };
}

export const attend: LayerKind<AttendAttrs> = {
  types: ["attend"],
  arity: "one",
  build,
  lower: (layer, [q], l) => attendOp(l.g, q!, l.param(layer.attrs.embed, "embedding")),
  describe: (a) => call("attend", [a.embed]),
};

