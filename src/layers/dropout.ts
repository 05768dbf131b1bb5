/**
 * flax.nnx.Dropout at inference: the identity, as `deterministic=True` (and rate 0) give in
 * flax/nnx/nn/stochastic.py. `rate` is checked by the schema (0 to 1); `rng_collection` is
 * accepted.
 *
 * Keys: `nnx.Dropout(rate, rngs=rngs)` forks `rngs[rng_collection]` in its constructor, and
 * RngStream.fork() draws one key (`key = self()`). `nnx.Rngs(seed)` has only the `default`
 * stream, which `rngs.params()` and `rngs['dropout']` both fall back to, so such a Dropout
 * advances the stream the following layers' parameters are drawn from. `rngs: false` (built
 * without rngs) draws nothing. `drawsKey` records it for the seeded initialization.
 */
import type { TensorType } from "../ir/model.js";
import { ZERO } from "./common.js";
import { call } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface DropoutAttrs {
  rate: number;
  /** The constructor draws one key from the `rngCollection` stream (see above). */
  drawsKey: boolean;
  rngCollection: string;
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<DropoutAttrs> | undefined {
  const input = x!;
  if (f["deterministic"] === false) {
    ctx.error("NNX2044", "deterministic", "deterministic false applies a random mask while training; nnx-gen runs inference only", "remove deterministic or set it to true");
    return undefined;
  }
  // Flax reads broadcast_dims only when it draws a mask, so an out-of-range axis is not an
  // error at inference; it would fail in training, hence the warning.
  const rank = input.shape.length;
  for (const a of f["broadcast_dims"] as number[]) {
    if (a < -rank || a >= rank) ctx.warn("NNX2045", "broadcast_dims", `broadcast_dims axis ${a} is out of range for an input of rank ${rank}`, "Flax would fail on it in training mode");
  }
  const attrs = { rate: f["rate"] as number, drawsKey: f["rngs"] as boolean, rngCollection: f["rng_collection"] as string };
  return { attrs, output: input, params: [], cost: { macs: ZERO, flops: ZERO } };
}

export const dropout: LayerKind<DropoutAttrs> = {
  types: ["Dropout"],
  arity: "one",
  build,
  lower: (_layer, [x]) => x!,
  describe: (a) => call("Dropout", [String(a.rate)]),
  // The constructor's fork: one key from the stream, for no parameter.
  rngDraws: (layer) => (layer.attrs.drawsKey ? [null] : []),
};
