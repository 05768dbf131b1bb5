/** jax.nn activations and softmax, as ONNX ops with the same formulas. */

import { float, type GraphBuilder } from "./graph.js";
import { erfc } from "./ops_elementwise.js";
import { roundScalar } from "./rounding.js";

export const relu = (g: GraphBuilder, x: string): string => g.node("Relu", [x]);
/**
 * lax.logistic. In float64, 1 / (1 + exp(-x)) without ONNX Sigmoid: onnxruntime fuses
 * x * Sigmoid(x) (also across two layers, `multiply(x, sigmoid(x))`) into com.microsoft.QuickGelu,
 * whose kernel is float32 only, and the model would not load.
 */
export const sigmoid = (g: GraphBuilder, x: string): string =>
  g.floatScalars ? g.node("Reciprocal", [g.node("Add", [g.scalar(1, "float32"), g.node("Exp", [g.node("Neg", [x])])])]) : g.node("Sigmoid", [x]);
export const tanh = (g: GraphBuilder, x: string): string => g.node("Tanh", [x]);

/** jax.nn.silu / swish: x * sigmoid(x). */
export const silu = (g: GraphBuilder, x: string): string => g.node("Mul", [x, sigmoid(g, x)]);

/**
 * jax.nn.gelu. approximate (the JAX default): 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))), ONNX
 * Gelu "tanh" (ORT's CPU kernel matches it to float32 rounding). Exact: JAX's
 * (0.5 x) * erfc(-x * sqrt(1/2)) with XLA's erfc; ONNX Gelu "none" is 0.5x(1 + erf(x/sqrt 2)),
 * which loses relative precision below x = -2 (4% at -5).
 */
export function gelu(g: GraphBuilder, x: string, approximate = true): string {
  if (approximate && (g.rounding?.ops || g.floatScalars)) {
    // In 16 bits JAX rounds after each op of the formula (onnx/rounding.ts): spelled out. In
    // float64 too: ONNX Gelu's function body, which onnxruntime inlines for double, has float32
    // constants (5e-9 relative off).
    const f = (v: number): string => g.scalar(v, "float32");
    const cube = g.node("Mul", [g.node("Mul", [x, x]), x]);
    const inner = g.node("Mul", [f(Math.sqrt(2 / Math.PI)), g.node("Add", [x, g.node("Mul", [f(0.044715), cube])])]);
    return g.node("Mul", [x, g.node("Mul", [f(0.5), g.node("Add", [f(1), g.node("Tanh", [inner])])])]);
  }
  if (approximate) return g.node("Gelu", [x], { approximate: "tanh" });
  const t = g.node("Mul", [g.node("Neg", [x]), g.scalar(Math.SQRT1_2, "float32")]);
  return g.node("Mul", [g.node("Mul", [x, g.scalar(0.5, "float32")]), erfc(g, t)]);
}

/**
 * jax.nn.softmax over one axis (ORT subtracts the max first, as JAX does). In 16 bits JAX
 * rounds x - max, the exp, the sum and the quotient each: spelled out then.
 */
export function softmax(g: GraphBuilder, x: string, axis = -1): string {
  if (!g.rounding?.ops) return g.node("Softmax", [x], { axis });
  const e = g.node("Exp", [g.node("Sub", [x, g.node("ReduceMax", [x, g.constInt64([axis])], { keepdims: 1 })])]);
  return g.node("Div", [e, g.node("ReduceSum", [e, g.constInt64([axis])], { keepdims: 1 })]);
}

/** jax.nn.log_softmax: (x - max) - log(sum(exp(x - max))), each op rounded in 16 bits. */
export function logSoftmax(g: GraphBuilder, x: string, axis = -1): string {
  if (!g.rounding?.ops) return g.node("LogSoftmax", [x], { axis });
  const shifted = g.node("Sub", [x, g.node("ReduceMax", [x, g.constInt64([axis])], { keepdims: 1 })]);
  return g.node("Sub", [shifted, g.node("Log", [g.node("ReduceSum", [g.node("Exp", [shifted]), g.constInt64([axis])], { keepdims: 1 })])]);
}

/** jax.nn.leaky_relu (negative_slope 0.01 by default). */
export const leakyRelu = (g: GraphBuilder, x: string, negativeSlope = 0.01): string =>
  // The slope is a weak Python float: in 16 bits it is rounded to the array's dtype first.
  g.node("LeakyRelu", [x], { alpha: float(g.rounding?.ops ? roundScalar(negativeSlope, g.rounding.ops) : negativeSlope) });
