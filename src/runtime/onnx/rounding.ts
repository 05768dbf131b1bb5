/**
 * Where JAX on CPU rounds a float16/bfloat16 computation, for lowerings that compute in float32.
 *
 * XLA's CPU compiler has no 16-bit arithmetic of its own: `FloatNormalization` (bfloat16) wraps
 * every op it cannot run in bf16 in converts, f32 in and bf16 out, and `ChangeOpDataType`
 * (float16) does the same for dots and convolutions; LLVM promotes each remaining f16 op to
 * float and truncates its result. `SimplifyFPConversions`, which would drop the intermediate
 * f32 -> bf16 -> f32 pairs, runs on CPU only with the experimental oneDNN custom calls
 * (xla/service/cpu/cpu_compiler.cc). So a jitted bf16 chain rounds after every arithmetic op,
 * dots and convs accumulate in f32 and round once, and data movement rounds nothing.
 *
 * nnx-gen keeps float16/bfloat16 values as float32 tensors holding exactly representable
 * values (onnxruntime's CPU kernels have no 16-bit MatMul or Conv), and a layer lowered inside a
 * `Rounding` gets a Cast pair after each arithmetic node (GraphBuilder.node).
 */
import type { DType } from "../../tensor.js";
import { f32ToBf16, f32ToF16, bf16ToF32, f16ToF32 } from "../../io/convert.js";

export type Half = "float16" | "bfloat16";

export interface Rounding {
  /** Elementwise ops and reductions round to this (absent: they stay float32). */
  readonly ops?: Half;
  /** Dots and convolutions (preferred_element_type); default `ops`. */
  readonly dots?: Half | "float32";
}

export function isHalf(d: DType): d is Half {
  return d === "float16" || d === "bfloat16";
}

/** Ops that compute a new float value: each one's result is rounded. */
const ARITHMETIC = new Set([
  "Add", "Sub", "Mul", "Div", "Pow", "Exp", "Log", "Tanh", "Sigmoid", "Sqrt", "Reciprocal", "Erf", "Sin", "Cos",
  "Softmax", "LogSoftmax", "Gelu", "LeakyRelu", "Softplus", "ReduceMean", "ReduceSum", "ReduceProd", "AveragePool",
]);
const DOTS = new Set(["MatMul", "Gemm", "Conv", "ConvTranspose", "Einsum"]);

/** The dtype an op's result rounds to under `r`, or undefined when it is not rounded. */
export function roundingOf(r: Rounding, op: string): Half | undefined {
  if (DOTS.has(op)) {
    const d = r.dots ?? r.ops;
    return d === "float32" ? undefined : d;
  }
  return ARITHMETIC.has(op) ? r.ops : undefined;
}

/** A number rounded to a 16-bit float (round to nearest even), as a number. */
export function roundScalar(value: number, to: Half): number {
  return to === "bfloat16" ? bf16ToF32(f32ToBf16(value)) : f16ToF32(f32ToF16(value));
}

/** The rounding of a layer that computes in `compute` with dots giving `dot` (default `compute`). */
export function roundingFor(compute: DType, dot: DType = compute): Rounding | undefined {
  const ops = isHalf(compute) ? compute : undefined;
  const dots = isHalf(dot) ? dot : "float32";
  if (!ops && dots === "float32") return undefined;
  return { ...(ops ? { ops } : {}), dots };
}
