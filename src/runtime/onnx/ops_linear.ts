/**
 * Linear, LinearGeneral and Einsum with a constant kernel. A two-operand einsum is lowered
 * to one MatMul between Transpose/Reshape of x and a kernel re-laid out at build time, which
 * ORT pre-packs; measured faster than ORT's Einsum op (see the report in
 * test/runtime/bench_einsum.ts).
 */

import type { Tensor } from "../../tensor.js";
import type { GraphBuilder } from "./graph.js";
import { reshapeHost, transposeHost } from "./host.js";
import { concat, reshape, shapeOf, transpose } from "./ops_shape.js";

const constOrName = (g: GraphBuilder, t: Tensor | string, hint: string): string => (typeof t === "string" ? t : g.constant(t, hint));

/** y = x · W (+ b): contracts the last axis of x (any rank) with W (in, out). */
export function linear(g: GraphBuilder, x: string, kernel: Tensor | string, bias?: Tensor | string): string {
  const y = g.node("MatMul", [x, constOrName(g, kernel, "linear_w")]);
  return bias === undefined ? y : g.node("Add", [y, constOrName(g, bias, "linear_b")]);
}

export interface EinsumOptions {
  /** Flax bias, any shape whose size is the product of the output dims taken from the kernel. */
  readonly bias?: Tensor;
  /** Use ORT's Einsum op instead of the MatMul lowering (for measurements). */
  readonly useEinsumOp?: boolean;
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/**
 * y = einsum(equation, x, kernel) (+ bias broadcast as flax.nnx.Einsum does: every output axis
 * not taken from the kernel gets size 1). `equation` is explicit, "lhs,rhs->out", without
 * ellipsis or spaces (expand those first).
 */
export function einsum(g: GraphBuilder, x: string, equation: string, kernel: Tensor, o: EinsumOptions = {}): string {
  const m = /^([A-Za-z]*),([A-Za-z]*)->([A-Za-z]*)$/.exec(equation);
  if (!m) throw new Error(`einsum equation ${JSON.stringify(equation)} must be explicit: "ab,bc->ac"`);
  const [, xs = "", ks = "", os = ""] = m;
  if (ks.length !== kernel.shape.length) throw new RangeError(`einsum ${equation}: kernel has rank ${kernel.shape.length}`);
  const size = new Map([...ks].map((c, i) => [c, kernel.shape[i]!]));
  let y = lowerToMatMul(g, x, xs, ks, os, kernel, o.useEinsumOp ?? false);
  if (o.bias) {
    const bshape = [...os].map((c) => size.get(c) ?? 1);
    y = g.node("Add", [y, g.constant(reshapeHost(o.bias, bshape), "einsum_b")]);
  }
  return y;
}

function lowerToMatMul(g: GraphBuilder, x: string, xs: string, ks: string, os: string, kernel: Tensor, useEinsumOp: boolean): string {
  const inX = (c: string): boolean => xs.includes(c);
  const inK = (c: string): boolean => ks.includes(c);
  const inO = (c: string): boolean => os.includes(c);
  const repeated = (s: string): boolean => new Set(s).size !== s.length;
  // Diagonals and kernel-only summed letters are rare: leave them to ORT's Einsum.
  if (useEinsumOp || repeated(xs) || repeated(ks) || repeated(os) || [...ks].some((c) => !inX(c) && !inO(c))) {
    return g.node("Einsum", [x, g.constant(kernel, "einsum_w")], { equation: `${xs},${ks}->${os}` });
  }
  // Letters of x found nowhere else are summed out first.
  const xSum = [...xs].filter((c) => !inK(c) && !inO(c));
  if (xSum.length > 0) {
    x = g.node("ReduceSum", [x, g.constInt64(xSum.map((c) => xs.indexOf(c)))], { keepdims: 0 });
    xs = [...xs].filter((c) => !xSum.includes(c)).join("");
  }
  const kdim = (c: string): number => kernel.shape[ks.indexOf(c)]!;
  const batch = [...ks].filter((c) => inX(c) && inO(c));
  const contract = [...ks].filter((c) => inX(c) && !inO(c));
  const kFree = [...os].filter((c) => inK(c) && !inX(c));
  const xFree = [...os].filter((c) => inX(c) && !inK(c));

  // Kernel -> (batch, contract, kFree), flattened to 3-D (or 2-D without batch letters).
  const kPerm = [...batch, ...contract, ...kFree].map((c) => ks.indexOf(c));
  const [B, C, K] = [prod(batch.map(kdim)), prod(contract.map(kdim)), prod(kFree.map(kdim))];
  // Kernels already in that order (attention's q/k/v/out) are reshaped views: no host copy, and
  // a kernel read from a mapped file stays in it (BuildOptions.mappedFiles).
  const ordered = kPerm.every((p, i) => p === i) ? kernel : transposeHost(kernel, kPerm);
  const w = g.constant(reshapeHost(ordered, batch.length > 0 ? [B, C, K] : [C, K]), "einsum_w");

  // x -> (batch, xFree, contract).
  const xOrder = [...batch, ...xFree, ...contract];
  const xt = transpose(g, x, xOrder.map((c) => xs.indexOf(c)));
  let y: string;
  if (batch.length === 0) {
    // MatMul broadcasts over the leading xFree dims: (xFree..., C) · (C, K).
    const x2 = contract.length === 1 ? xt : reshape(g, xt, [...xFree.map(() => 0), C]);
    y = g.node("MatMul", [x2, w]);
    if (kFree.length !== 1) y = reshape(g, y, [...xFree.map(() => 0), ...kFree.map(kdim)]);
  } else {
    y = g.node("MatMul", [reshape(g, xt, [B, -1, C]), w]);
    const xFreeDims = xFree.length > 0 ? [g.node("Gather", [shapeOf(g, x), g.constInt64(xFree.map((c) => xs.indexOf(c)))], { axis: 0 })] : [];
    y = reshape(g, y, concat(g, [g.constInt64(batch.map(kdim)), ...xFreeDims, g.constInt64(kFree.map(kdim))], 0));
  }
  const have = [...batch, ...xFree, ...kFree];
  return transpose(g, y, [...os].map((c) => have.indexOf(c)));
}

/**
 * The einsum equation of flax.nnx.LinearGeneral on an input of rank `ndim`: `axis` and the
 * keys of `batch_axis` may be negative; both are normalized and sorted as Flax does, so the
 * i-th sorted contracted axis meets kernel dim n_batch + i. Output: batch, free dims of x,
 * out features.
 */
export function linearGeneralEquation(ndim: number, axis: readonly number[], batchAxis: readonly number[], nOut: number): string {
  const norm = (as: readonly number[]): number[] => as.map((a) => (a < 0 ? a + ndim : a)).sort((a, b) => a - b);
  const [ax, bx] = [norm(axis), norm(batchAxis)];
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  if (ndim + nOut > letters.length) throw new RangeError("LinearGeneral: too many dims");
  const xl = letters.slice(0, ndim);
  const out = letters.slice(ndim, ndim + nOut);
  const kl = bx.map((a) => xl[a]!).join("") + ax.map((a) => xl[a]!).join("") + out;
  const ol = [...xl].filter((_, i) => !ax.includes(i)).join("") + out;
  return `${xl},${kl}->${ol}`;
}

export interface LinearGeneralOptions {
  /** Rank of x. */
  readonly ndim: number;
  /** Contracted axes of x (Flax `axis`), may be negative. */
  readonly axis: readonly number[];
  /** Keys of Flax `batch_axis` (leading axes shared with the kernel); default none. */
  readonly batchAxis?: readonly number[];
  /** (batch sizes..., in_features..., out_features...), as Flax stores it. */
  readonly kernel: Tensor;
  /** (batch sizes..., out_features...). */
  readonly bias?: Tensor;
}

/** flax.nnx.LinearGeneral: the einsum of `linearGeneralEquation`, bias broadcast like Flax. */
export function linearGeneral(g: GraphBuilder, x: string, o: LinearGeneralOptions): string {
  const batchAxis = o.batchAxis ?? [];
  const nOut = o.kernel.shape.length - batchAxis.length - o.axis.length;
  if (nOut < 0) throw new RangeError(`LinearGeneral kernel [${o.kernel.shape.join(",")}] is too small for its axes`);
  return einsum(g, x, linearGeneralEquation(o.ndim, o.axis, batchAxis, nOut), o.kernel, o.bias ? { bias: o.bias } : {});
}
