/** jax.nn activations and softmax, as ONNX ops with the same formulas. */

import { float, type GraphBuilder } from "./graph.js";

export const relu = (g: GraphBuilder, x: string): string => g.node("Relu", [x]);
export const sigmoid = (g: GraphBuilder, x: string): string => g.node("Sigmoid", [x]);
export const tanh = (g: GraphBuilder, x: string): string => g.node("Tanh", [x]);

/** jax.nn.silu / swish: x * sigmoid(x). */
export const silu = (g: GraphBuilder, x: string): string => g.node("Mul", [x, g.node("Sigmoid", [x])]);

/**
 * jax.nn.gelu. approximate (the JAX default): 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)));
 * otherwise x·Phi(x) with erf. ONNX Gelu (opset 20) has both forms and ORT 1.30's CPU kernel
 * matches the formulas to float32 rounding.
 */
export function gelu(g: GraphBuilder, x: string, approximate = true): string {
  return g.node("Gelu", [x], { approximate: approximate ? "tanh" : "none" });
}

/** jax.nn.softmax over one axis (ORT subtracts the max first, as JAX does). */
export const softmax = (g: GraphBuilder, x: string, axis = -1): string => g.node("Softmax", [x], { axis });
export const logSoftmax = (g: GraphBuilder, x: string, axis = -1): string => g.node("LogSoftmax", [x], { axis });

/** jax.nn.leaky_relu (negative_slope 0.01 by default). */
export const leakyRelu = (g: GraphBuilder, x: string, negativeSlope = 0.01): string => g.node("LeakyRelu", [x], { alpha: float(negativeSlope) });
