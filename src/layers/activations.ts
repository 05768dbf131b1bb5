/** Elementwise activations (jax.nn) and softmax/log_softmax over axes: shape-preserving. */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import type { GraphBuilder } from "../runtime/onnx/graph.js";
import { gelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from "../runtime/onnx/ops_activation.js";
import { reduce } from "../runtime/onnx/ops_math.js";
import { asList, f32, normalizeAxes, numel, requireFloatInput, ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { axes, call } from "./describe_text.js";

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

/** softmax over several axes: exp(x - max) / sum(exp(x - max)), reduced over all of them. */
function softmaxOver(g: GraphBuilder, x: string, axes: readonly number[], log: boolean): string {
  if (axes.length === 1) return (log ? logSoftmax : softmax)(g, x, axes[0]);
  const shifted = g.node("Sub", [x, reduce(g, x, "max", axes, true)]);
  const sum = reduce(g, g.node("Exp", [shifted]), "sum", axes, true);
  return log ? g.node("Sub", [shifted, g.node("Log", [sum])]) : g.node("Div", [g.node("Exp", [shifted]), sum]);
}

const LOWER: Record<(typeof ACTIVATIONS)[number], (g: GraphBuilder, x: string, a: ActivationAttrs) => string> = {
  relu: (g, x) => relu(g, x),
  silu: (g, x) => silu(g, x),
  sigmoid: (g, x) => sigmoid(g, x),
  tanh: (g, x) => tanh(g, x),
  gelu: (g, x, a) => gelu(g, x, a.approximate),
  softmax: (g, x, a) => softmaxOver(g, x, a.axes!, false),
  log_softmax: (g, x, a) => softmaxOver(g, x, a.axes!, true),
};

/** relu, silu, sigmoid and tanh have none: the name says it all. */
const DESCRIBE: Partial<Record<(typeof ACTIVATIONS)[number], (a: ActivationAttrs) => string>> = {
  gelu: (a) => (a.approximate === false ? "gelu(exact)" : "gelu"),
  softmax: (a) => call("softmax", [axes(a.axes ?? [])]),
  log_softmax: (a) => call("log_softmax", [axes(a.axes ?? [])]),
};

export const activations: LayerKind<ActivationAttrs>[] = ACTIVATIONS.map((t) => ({
  types: [t],
  arity: "one",
  build: build(t),
  lower: (layer: IrLayer<ActivationAttrs>, [x]: readonly string[], l: Lowering) => LOWER[t](l.g, x!, layer.attrs),
  ...(DESCRIBE[t] ? { describe: DESCRIBE[t] } : {}),
}));
