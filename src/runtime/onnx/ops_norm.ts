/**
 * Flax's normalization numerics (flax/nnx/nn/normalization.py `_compute_stats` and
 * `_normalize`) as plain ONNX ops, in Flax's order of operations:
 *
 *   mean = x.mean(axes); var = max(0, mean(x*x) - mean*mean)   (use_fast_variance)
 *                        var = mean((x - mean)^2)               (otherwise)
 *   y = (x - mean) * (rsqrt(var + eps) * scale) + bias
 *
 * ONNX's LayerNormalization is not used. It cannot stand in for Flax's default
 * use_fast_variance=True: measured on [8, 128, 768] rows of N(1000, 1) against the exact
 * result, onnxruntime's native CPU kernel is off by 3e-5, these ops with the fast variance by
 * 1.1 (the float32 E[x^2] - E[x]^2 cancels, in Flax as here; rows of 4096 +- 0.5 give exactly
 * var 0 and outputs of +-500). For use_fast_variance=False the native kernel was within
 * rounding of the two-pass formula (and took 11.4 ms against 18.1 ms for these ops, 1 thread),
 * but onnxruntime-web's kernel was off by 1.8e-4 on rows of 4096 +- 0.5, where Flax's two-pass
 * statistics are exact: the two runtimes would disagree, so both use these ops.
 */
import { numElements, tensor, type Tensor } from "../../tensor.js";
import type { GraphBuilder } from "./graph.js";
import { add, mul, sub } from "./ops_math.js";
import { roundScalar, type Half } from "./rounding.js";

export interface Moments {
  /** Absent when the mean is zero (RMSNorm's use_mean=False). */
  readonly mean?: string;
  /** x - mean, when the two-pass variance already computed it. */
  readonly centered?: string;
  readonly variance: string;
}

/** x.mean(axes) with the reduced axes kept as size 1; no axes is x itself, as in jnp. */
function meanKeep(g: GraphBuilder, x: string, axes: readonly number[]): string {
  if (axes.length === 0) return x;
  return g.node("ReduceMean", [x, g.constInt64(axes)], { keepdims: 1 });
}

/** `_compute_stats` over `axes` in float32. */
export function moments(g: GraphBuilder, x: string, axes: readonly number[], useMean: boolean, fastVariance: boolean): Moments {
  if (!useMean) return { variance: meanKeep(g, mul(g, x, x), axes) };
  const mean = meanKeep(g, x, axes);
  if (fastVariance) {
    const meanSq = meanKeep(g, mul(g, x, x), axes);
    return { mean, variance: g.node("Max", [sub(g, meanSq, mul(g, mean, mean)), g.scalar(0, "float32")]) };
  }
  const centered = sub(g, x, mean);
  return { mean, centered, variance: meanKeep(g, mul(g, centered, centered), axes) };
}

/**
 * `_normalize`: (x - mean) * (rsqrt(var + eps) * scale) + bias. `scale` and `bias` are host
 * tensors already shaped to broadcast (Flax's feature_shape). epsilon is rounded to float32
 * first, as JAX does with a weakly typed Python float.
 */
export function normalize(g: GraphBuilder, x: string, m: Moments, epsilon: number, scale?: Tensor, bias?: Tensor): string {
  let factor = g.node("Reciprocal", [g.node("Sqrt", [add(g, m.variance, g.scalar(epsilon, "float32"))])]);
  if (scale) factor = mul(g, factor, g.constant(scale, "scale"));
  const centered = m.centered ?? (m.mean !== undefined ? sub(g, x, m.mean) : x);
  const y = mul(g, centered, factor);
  return bias ? add(g, y, g.constant(bias, "bias")) : y;
}

/**
 * BatchNorm's per-feature factor rsqrt(var + eps) * scale, computed once on the host in
 * float32 with Flax's roundings (each step rounded to float32: sqrt and division in double
 * then rounded are correctly rounded for float32 operands).
 */
export function batchNormFactor(variance: Tensor, epsilon: number, scale: Tensor | undefined, half?: Half): Tensor {
  if (variance.dtype === "float64") {
    // x64: rsqrt(var + eps) * scale in float64, each step one double op as XLA computes it.
    const f = Float64Array.from(variance.data as Float64Array, (v, i) => (1 / Math.sqrt(v + epsilon)) * (scale ? Number(scale.data[i]!) : 1));
    return tensor("float64", variance.shape, f);
  }
  const v = variance.data as Float32Array;
  const s = scale?.data as Float32Array | undefined;
  // In 16 bits each step rounds to the dtype (rsqrt is one op there), epsilon too (weak).
  const q = half ? (x: number) => roundScalar(Math.fround(x), half) : Math.fround;
  const eps = q(epsilon);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const r = half ? q(1 / Math.sqrt(q(v[i]! + eps))) : Math.fround(1 / Math.fround(Math.sqrt(Math.fround(v[i]! + eps))));
    out[i] = s ? q(r * s[i]!) : r;
  }
  if (numElements(variance.shape) !== out.length) throw new RangeError("batch_stats var has the wrong size");
  return tensor("float32", variance.shape, out);
}
