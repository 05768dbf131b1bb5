/**
 * Elementwise building blocks that ONNX lacks or computes with a different formula than XLA
 * (log1p, expm1, logaddexp's softplus, saturating float -> int casts). Each keeps float32
 * results within a few ulps of the exact value, as XLA's CPU kernels do.
 */
import { onnxDType, type GraphBuilder } from "./graph.js";
import type { DType } from "../../tensor.js";

const where = (g: GraphBuilder, c: string, a: string, b: string): string => g.node("Where", [c, a, b]);

/**
 * log1p(u) by Kahan's trick: with w = 1 + u rounded, log(w) * u / (w - 1) cancels the rounding
 * of w; when w == 1 the answer is u itself. Exact to a few ulps for u > -1.
 */
export function log1p(g: GraphBuilder, u: string): string {
  const one = g.scalar(1, "float32");
  const w = g.node("Add", [one, u]);
  const ratio = g.node("Div", [g.node("Mul", [g.node("Log", [w]), u]), g.node("Sub", [w, one])]);
  return where(g, g.node("Equal", [w, one]), u, ratio);
}

/**
 * expm1(x) by Kahan's trick: (e^x - 1) * x / log(e^x), with e^x == 1 giving x, e^x - 1 == -1
 * giving -1 and e^x == inf giving inf.
 */
export function expm1(g: GraphBuilder, x: string): string {
  const one = g.scalar(1, "float32");
  const u = g.node("Exp", [x]);
  const um1 = g.node("Sub", [u, one]);
  const general = g.node("Div", [g.node("Mul", [um1, x]), g.node("Log", [u])]);
  const minusOne = g.scalar(-1, "float32");
  const r = where(g, g.node("Equal", [u, one]), x, where(g, g.node("Equal", [um1, minusOne]), minusOne, general));
  return where(g, g.node("IsInf", [u], { detect_negative: 0 }), u, r);
}

/** jnp.logaddexp(x, 0) = max(x, 0) + log1p(exp(-|x|)) (NaN stays NaN): jax.nn.softplus. */
export function softplus(g: GraphBuilder, x: string): string {
  const zero = g.scalar(0, "float32");
  return g.node("Add", [g.node("Max", [x, zero]), log1p(g, g.node("Exp", [g.node("Neg", [g.node("Abs", [x])])]))]);
}

/** Bounds of int32 that float32 holds exactly (2^31 - 1 is not a float32). */
const INT32_MIN = -2147483648;
const INT32_MAX_F32 = 2147483520;


/**
 * x.astype(to) for the dtypes the runtime computes. float -> int truncates toward zero and
 * saturates, NaN giving 0 (XLA's convert), instead of Cast's undefined out-of-range result;
 * anything -> bool is x != 0 (NaN is true, as in NumPy).
 */
export function astype(g: GraphBuilder, x: string, from: DType, to: DType): string {
  if (from === to) return x;
  if (to === "bool") return g.node("Not", [g.node("Equal", [x, g.scalar(0, from)])]);
  if (from === "float32" && to === "int32") {
    const clipped = g.node("Min", [g.node("Max", [x, g.scalar(INT32_MIN, "float32")]), g.scalar(INT32_MAX_F32, "float32")]);
    const finite = where(g, g.node("IsNaN", [x]), g.scalar(0, "float32"), clipped);
    const cast = g.node("Cast", [finite], { to: onnxDType("int32") });
    return where(g, g.node("GreaterOrEqual", [x, g.scalar(2 ** 31, "float32")]), g.scalar(2 ** 31 - 1, "int32"), cast);
  }
  return g.node("Cast", [x], { to: onnxDType(to) });
}
