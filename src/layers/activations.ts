/** Elementwise activations (jax.nn) and softmax/log_softmax over axes: shape-preserving. */
import type { TensorType } from "../ir/model.js";
import { asList, f32, normalizeAxes, numel, requireFloatInput, ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface ActivationAttrs {
  /** gelu: the tanh approximation (jax.nn.gelu's default). */
  approximate?: boolean;
  /** softmax / log_softmax: normalized axes. */
  axes?: number[];
}

function build(type: string) {
  return (f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<ActivationAttrs> | undefined => {
    const input = x!;
    if (!requireFloatInput(ctx, input, type)) return undefined;
    const attrs: ActivationAttrs = {};
    if (type === "gelu") attrs.approximate = f["approximate"] as boolean;
    if (type === "softmax" || type === "log_softmax") {
      const axes = normalizeAxes(ctx, "axis", asList(f["axis"] as number | number[]), input.shape.length);
      if (!axes) return undefined;
      attrs.axes = axes;
    }
    return { attrs, output: f32(input.shape), params: [], cost: { macs: ZERO, flops: numel(input) } };
  };
}

export const ACTIVATIONS = ["relu", "silu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax"] as const;

export const activations: LayerKind<ActivationAttrs>[] = ACTIVATIONS.map((t) => ({ types: [t], arity: "one", build: build(t) }));
