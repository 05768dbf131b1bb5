/** jnp.mean / jnp.sum / jnp.max over axes (all axes when `axis` is absent); keepdims false. */
import type { TensorType } from "../ir/model.js";
import { asList, normalizeAxes, numel, requireFloatInput, typed, ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { reduceNaN } from "../runtime/onnx/ops_math.js";
import { axes, call } from "./describe_text.js";

export interface ReductionAttrs {
  /** Normalized, sorted. */
  axes: number[];
}

function build(type: string) {
  return (f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<ReductionAttrs> | undefined => {
    const input = x!;
    if (!requireFloatInput(ctx, input, type)) return undefined;
    const rank = input.shape.length;
    const raw = f["axis"] === null || f["axis"] === undefined ? [...Array(rank).keys()] : asList(f["axis"] as number | number[]);
    const axes = normalizeAxes(ctx, "axis", raw, rank);
    if (!axes) return undefined;
    axes.sort((a, b) => a - b);
    if (type === "max") {
      for (const a of axes) {
        if (!ctx.require([input.shape[a]!], ([n]) => n === 0, "NNX2023", "axis", () => `max over axis ${a} of size ${input.shape[a]!.toString()} has no identity for an empty axis`)) return undefined;
      }
    }
    const shape = input.shape.filter((_, i) => !axes.includes(i));
    // jnp.mean/sum of 16-bit floats accumulate in float32 and round once (numerics); max moves data.
    return { attrs: { axes }, ...(type === "max" ? {} : { numerics: { compute: input.dtype } }), output: typed(input.dtype, shape), params: [], cost: { macs: ZERO, flops: numel(input) } };
  };
}

export const reductions: LayerKind<ReductionAttrs>[] = (["mean", "sum", "max"] as const).map((t) => ({
  types: [t],
  arity: "one",
  build: build(t),
  lower: (layer, [x], l) => reduceNaN(l.g, x!, t, layer.attrs.axes, false, l.dtype(layer.inputs[0]!)),
  describe: (a) => call(t, [axes(a.axes)]),
}));
