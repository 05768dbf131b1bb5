/** jax.nn activations and softmax, as ONNX ops with the same formulas. */

import { float, type GraphBuilder } from "./graph.js";
import { erfc } from "./ops_elementwise.js";

export const relu = (g: GraphBuilder, x: string): string => g.node("Relu", [x]);
export const sigmoid = (g: GraphBuilder, x: string): string => g.node("Sigmoid", [x]);
export const tanh = (g: GraphBuilder, x: string): string => g.node("Tanh", [x]);

/** jax.nn.silu / swish: x * sigmoid(x). */
export const silu = (g: GraphBuilder, x: string): string => g.node("Mul", [x, g.node("Sigmoid", [x])]);

/**
 * jax.nn.gelu. approximate (the JAX default): 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))), ONNX
 * Gelu "tanh" (ORT's CPU kernel matches it to float32 rounding). Exact: JAX's
 * (0.5 x) * erfc(-x * sqrt(1/2)) with XLA's erfc; ONNX Gelu "none" is 0.5x(1 + erf(x/sqrt 2)),
 * which loses relative precision below x = -2 (4% at -5).
 */
export function gelu(g: GraphBuilder, x: string, approximate = true): string {
  if (approximate) return g.node("Gelu", [x], { approximate: "tanh" });
  const t = g.node("Mul", [g.node("Neg", [x]), g.scalar(Math.SQRT1_2, "float32")]);
  return g.node("Mul", [g.node("Mul", [x, g.scalar(0.5, "float32")]), erfc(g, t)]);
}

/** jax.nn.softmax over one axis (ORT subtracts the max first, as JAX does). */
export const softmax = (g: GraphBuilder, x: string, axis = -1): string => g.node("Softmax", [x], { axis });
export const logSoftmax = (g: GraphBuilder, x: string, axis = -1): string => g.node("LogSoftmax", [x], { axis });

/** jax.nn.leaky_relu (negative_slope 0.01 by default). */
export const leakyRelu = (g: GraphBuilder, x: string, negativeSlope = 0.01): string => g.node("LeakyRelu", [x], { alpha: float(negativeSlope) });
