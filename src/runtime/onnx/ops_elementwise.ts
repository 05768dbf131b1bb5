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
  return g.atomic(() => log1pF32(g, u));
}

function log1pF32(g: GraphBuilder, u: string): string {
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
  return g.atomic(() => expm1F32(g, x));
}

function expm1F32(g: GraphBuilder, x: string): string {
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

/** Horner's rule from the highest coefficient, as XLA/CHLO's polynomial helper evaluates it. */
function horner(g: GraphBuilder, t: string, coeffs: readonly number[]): string {
  let p = g.scalar(coeffs[0]!, "float32");
  for (const c of coeffs.slice(1)) p = g.node("Add", [g.node("Mul", [p, t]), g.scalar(c, "float32")]);
  return p;
}

/* Cephes float32 erfc/erf coefficients, as in the CHLO decomposition of chlo.erfc that JAX's
 * lax.erfc lowers to (stablehlo ChloLegalizeToStablehlo.cpp, ...ErfcApproximationF32...). */
const ERFC_P = [2.326819970068386e-2, -1.387039388740657e-1, 3.687424674597105e-1, -5.824733027278666e-1, 6.210004621745983e-1, -4.944515323274145e-1, 3.404879937665872e-1, -2.741127028184656e-1, 5.638259427386472e-1];
const ERFC_R = [-1.047766399936249e1, 1.297719955372516e1, -7.495518717768503, 2.921019019210786, -1.0152652792027, 4.218463358204948e-1, -2.820767439740514e-1, 5.641895067754075e-1];
const ERF_T = [7.853861353153693e-5, -8.010193625184903e-4, 5.188327685732524e-3, -2.685381193529856e-2, 1.128358514861418e-1, -3.76126258242330e-1, 1.128379165726710];
const ERFC_MAXLOG = 88.72283905206835;

/**
 * lax.erfc in float32 step by step: 1 - x T(x^2) for |x| < 1; otherwise
 * exp(-x^2) / |x| * (P or R)(1 / x^2) (P below |x| = 2), 0 once -x^2 < -maxlog, and 2 - that for
 * x < 0. Unlike 1 - erf(x) it keeps its relative precision for large x (erfc(x) ~ 1e-38 at 9.2).
 */
export function erfc(g: GraphBuilder, x: string): string {
  return g.atomic(() => erfcF32(g, x));
}

function erfcF32(g: GraphBuilder, x: string): string {
  // XLA's float64 erfc is another approximation (ErfcApproximationF64): not lowered yet.
  if (g.floatScalars) throw new Error("lax.erfc in float64 (XLA's double approximation) is not lowered yet; nnx-gen has its float32 one only");
  const f = (v: number): string => g.scalar(v, "float32");
  const xSq = g.node("Mul", [x, x]);
  const z = g.node("Neg", [xSq]);
  const absX = g.node("Abs", [x]);
  const small = g.node("Sub", [f(1), g.node("Mul", [x, horner(g, xSq, ERF_T)])]);
  const recipXSq = g.node("Div", [f(1), xSq]);
  const scale = g.node("Mul", [g.node("Exp", [z]), g.node("Div", [f(1), absX])]);
  const poly = where(g, g.node("Less", [absX, f(2)]), horner(g, recipXSq, ERFC_P), horner(g, recipXSq, ERFC_R));
  const large = where(g, g.node("Less", [z, f(-ERFC_MAXLOG)]), f(0), g.node("Mul", [scale, poly]));
  const signed = where(g, g.node("Less", [x, f(0)]), g.node("Sub", [f(2), large]), large);
  return where(g, g.node("Less", [absX, f(1)]), small, signed);
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

/** The dtype a value of this IR dtype has in the graph: 16-bit floats are float32 holding their exact values. */
export function graphDtype(d: DType): DType {
  return d === "float16" || d === "bfloat16" ? "float32" : d;
}

/**
 * x.astype(to) between IR dtypes (./rounding.ts): a 16-bit float is float32 in the graph, so
 * widening it is free and narrowing to it is one rounding.
 */
export function castValue(g: GraphBuilder, x: string, from: DType, to: DType): string {
  if (from === to) return x;
  const y = astype(g, x, graphDtype(from), graphDtype(to));
  return to === "float16" || to === "bfloat16" ? g.roundTo(y, to) : y;
}
