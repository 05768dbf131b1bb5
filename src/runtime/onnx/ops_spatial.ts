/**
 * Spatial padding shared by Conv and pooling, on channels-first values (N, C, spatial...):
 * JAX's SAME rule (static, or computed in the graph for symbolic sizes), negative pads as
 * crops, and numpy-exact `wrap` and `reflect` modes.
 */

import type { Dim, GraphBuilder } from "./graph.js";
import { INT64_MAX, concat, range, reshape, shapeOf, slice, squeeze, unsqueeze } from "./ops_shape.js";

export type Pair = readonly [number, number];

export type WindowPadding =
  | { readonly kind: "valid" }
  | { readonly kind: "same" }
  /** lax.padtype_to_pads "SAME_LOWER": as SAME, but the odd pad element goes low. */
  | { readonly kind: "same_lower" }
  | { readonly kind: "explicit"; readonly pads: readonly Pair[] };

/** Per spatial dim (lo, hi) pads, or an int64 value computed in the graph: ONNX Pad pads for all axes. */
export type ResolvedPads = { readonly kind: "static"; readonly pads: readonly Pair[] } | { readonly kind: "dynamic"; readonly pads: string };

/** jax.lax.padtype_to_pads for "SAME": out = ceil(n/s), the odd pad element goes high (low with `lower`, "SAME_LOWER"). */
export function samePads(n: number, window: number, stride: number, lower = false): [number, number] {
  const out = Math.ceil(n / stride);
  const total = Math.max(0, (out - 1) * stride + window - n);
  const small = Math.floor(total / 2);
  return lower ? [total - small, small] : [small, total - small];
}

/**
 * Resolve VALID/SAME/SAME_LOWER/explicit pads for window sizes `window` (already dilated).
 * SAME is static when every size is known or every stride is 1 (then it does not depend on
 * n); otherwise it is computed from Shape(x) in the graph.
 */
export function resolvePadding(g: GraphBuilder, x: string, padding: WindowPadding, spatial: readonly Dim[], window: readonly number[], strides: readonly number[]): ResolvedPads {
  const r = window.length;
  if (padding.kind === "valid") return { kind: "static", pads: window.map(() => [0, 0] as const) };
  if (padding.kind === "explicit") {
    if (padding.pads.length !== r) throw new RangeError(`expected ${r} (lo, hi) pads, got ${padding.pads.length}`);
    return { kind: "static", pads: padding.pads };
  }
  const lower = padding.kind === "same_lower";
  if (spatial.every((n) => typeof n === "number") || strides.every((s) => s === 1)) {
    return { kind: "static", pads: window.map((k, i) => samePads(typeof spatial[i] === "number" ? spatial[i] : k, k, strides[i]!, lower)) };
  }
  const n = shapeOf(g, x, 2, 2 + r);
  const s = g.constInt64(strides);
  const out = g.node("Div", [g.node("Add", [n, g.constInt64(strides.map((v) => v - 1))]), s]);
  const need = g.node("Sub", [g.node("Add", [g.node("Mul", [g.node("Sub", [out, g.constInt64([1])]), s]), g.constInt64(window)]), n]);
  const total = g.node("Max", [need, g.constInt64([0])]);
  const small = g.node("Div", [total, g.constInt64([2])]);
  const big = g.node("Sub", [total, small]);
  const nc = g.constInt64([0, 0]);
  return { kind: "dynamic", pads: concat(g, lower ? [nc, big, nc, small] : [nc, small, nc, big], 0) };
}

const spatialAxes = (r: number): number[] => range(2, 2 + r);

/**
 * ONNX Pad pads for all `rank` axes, `pads` applying from axis `first` on. Pad's optional
 * `axes` input is avoided: ORT 1.30's transpose optimizer rewrites it wrongly (a Gather out of
 * bounds at run time) when the Pad follows a Transpose.
 */
function fullPads(rank: number, first: number, pads: readonly Pair[]): number[] {
  const lo = new Array<number>(rank).fill(0), hi = new Array<number>(rank).fill(0);
  pads.forEach(([l, h], i) => {
    lo[first + i] = l;
    hi[first + i] = h;
  });
  return [...lo, ...hi];
}

/** One Pad node; `pads` covers the axes from `first` on. */
export function pad(g: GraphBuilder, x: string, rank: number, first: number, pads: readonly Pair[], mode: string, value?: string): string {
  return g.node("Pad", [x, g.constInt64(fullPads(rank, first, pads)), value ?? ""], { mode });
}

/** Crop the negative parts of static pads with one Slice; returns the remaining (>= 0) pads. */
export function cropNegative(g: GraphBuilder, x: string, pads: readonly Pair[]): { x: string; pads: Pair[] } {
  if (pads.every(([lo, hi]) => lo >= 0 && hi >= 0)) return { x, pads: [...pads] };
  const starts = pads.map(([lo]) => Math.max(0, -lo));
  const ends = pads.map(([, hi]) => (hi < 0 ? hi : INT64_MAX));
  return { x: slice(g, x, starts, ends, spatialAxes(pads.length)), pads: pads.map(([lo, hi]) => [Math.max(0, lo), Math.max(0, hi)] as const) };
}

/** ONNX pads order: all lows, then all highs. */
export const onnxPads = (pads: readonly Pair[]): number[] => [...pads.map((p) => p[0]), ...pads.map((p) => p[1])];

/** Constant padding of the spatial axes (static pairs or a dynamic pads value; value: a scalar name, default zero). */
export function padConstant(g: GraphBuilder, x: string, pads: readonly Pair[] | string, r: number, value?: string): string {
  if (typeof pads === "string") return g.node("Pad", [x, pads, value ?? ""], { mode: "constant" });
  return pads.every(([lo, hi]) => lo === 0 && hi === 0) ? x : pad(g, x, r + 2, 2, pads, "constant", value);
}

/**
 * numpy/jnp.pad mode "wrap" (periodic). ORT's own wrap mode returns garbage when a pad
 * exceeds the axis size, so it is built from Slice and Concat as JAX does. When the size
 * (static, or the smallest a symbolic one can be) covers both pads, that is the last `lo` and
 * the first `hi` elements around x; a larger static pad repeats x whole; a symbolic size that
 * may turn out smaller than a pad gathers the periodic indices instead (exact for any size >= 1,
 * but ~2x slower on the segmenter example).
 */
export function padWrap(g: GraphBuilder, x: string, pads: readonly Pair[], spatial: readonly Dim[], minSpatial: readonly (number | undefined)[] = []): string {
  pads.forEach(([lo, hi], i) => {
    if (lo === 0 && hi === 0) return;
    const axis = 2 + i;
    const n = spatial[i];
    const least = typeof n === "number" ? n : minSpatial[i];
    if (least !== undefined && least >= Math.max(lo, hi, 1)) {
      const parts = [...(lo > 0 ? [slice(g, x, [-lo], [INT64_MAX], [axis])] : []), x, ...(hi > 0 ? [slice(g, x, [0], [hi], [axis])] : [])];
      x = concat(g, parts, axis);
      return;
    }
    if (typeof n !== "number") {
      x = gatherPad(g, x, axis, lo, hi, "wrap");
      return;
    }
    const parts: string[] = [];
    const [lr, lm] = [Math.floor(lo / n), lo % n];
    const [rr, rm] = [Math.floor(hi / n), hi % n];
    if (lm > 0) parts.push(slice(g, x, [n - lm], [n], [axis]));
    for (let k = 0; k < lr + rr + 1; k++) parts.push(x);
    if (rm > 0) parts.push(slice(g, x, [0], [rm], [axis]));
    x = concat(g, parts, axis);
  });
  return x;
}

/**
 * numpy/jnp.pad mode "reflect" (edge not repeated). When the size (static, or the smallest a
 * symbolic one can be) exceeds both pads, that is one reflect Pad. Longer static pads are
 * applied in steps of at most n-1 on the growing array, low side first, as JAX does; a size-1
 * axis repeats its element. A symbolic size that may not exceed them gathers the same indices
 * computed in the graph (ORT's reflect Pad fails once a pad reaches the size).
 */
export function padReflect(g: GraphBuilder, x: string, pads: readonly Pair[], spatial: readonly Dim[], minSpatial: readonly (number | undefined)[] = []): string {
  const r = pads.length;
  pads.forEach(([lo, hi], i) => {
    if (lo === 0 && hi === 0) return;
    const n = spatial[i]!;
    const least = typeof n === "number" ? n : minSpatial[i];
    if (least !== undefined && least > Math.max(lo, hi)) {
      x = pad(g, x, r + 2, 2 + i, [[lo, hi]], "reflect");
      return;
    }
    if (typeof n !== "number") {
      x = gatherPad(g, x, 2 + i, lo, hi, "reflect");
      return;
    }
    const step = (side: 0 | 1, amount: number): void => {
      while (amount > 0) {
        const cur = n === 1 ? amount : Math.min(amount, n - 1);
        x = pad(g, x, r + 2, 2 + i, [side === 0 ? [cur, 0] : [0, cur]], n === 1 ? "edge" : "reflect");
        amount -= cur;
      }
    };
    step(0, lo);
    step(1, hi);
  });
  return x;
}

/**
 * Pad one axis of x whose size n is only known at run time by gathering, for output position
 * t in [-lo, n + hi), the source index: t mod n ("wrap"), or for "reflect" j = t mod p with
 * p = max(2n - 2, 1) and j or p - j, whichever is below n. That is numpy's periodic wrap and
 * its iterated edge-excluding reflection (for n == 1: the single element), for any pads.
 */
function gatherPad(g: GraphBuilder, x: string, axis: number, lo: number, hi: number, mode: "wrap" | "reflect"): string {
  const one = g.scalar(1, "int64");
  const n = squeeze(g, shapeOf(g, x, axis, axis + 1), [0]);
  const t = g.node("Range", [g.scalar(-lo, "int64"), g.node("Add", [n, g.scalar(hi, "int64")]), one]);
  let idx: string;
  if (mode === "wrap") {
    idx = g.node("Mod", [t, n], { fmod: 0 });
  } else {
    const p = g.node("Max", [g.node("Sub", [g.node("Add", [n, n]), g.scalar(2, "int64")]), one]);
    const j = g.node("Mod", [t, p], { fmod: 0 });
    idx = g.node("Where", [g.node("Less", [j, n]), j, g.node("Sub", [p, j])]);
  }
  return g.node("Gather", [x, idx], { axis });
}

/**
 * lhs (input) dilation: insert d-1 zeros between elements of each spatial axis. Per axis:
 * Unsqueeze a new axis after it, pad that axis to d, merge the two, drop the d-1 trailing
 * zeros. Works for any dtype and symbolic sizes.
 */
export function dilateInput(g: GraphBuilder, x: string, dilation: readonly number[]): string {
  const r = dilation.length;
  dilation.forEach((d, i) => {
    if (d === 1) return;
    const axis = 2 + i;
    const p = pad(g, unsqueeze(g, x, [axis + 1]), r + 3, axis + 1, [[0, d - 1]], "constant");
    const merged = reshape(g, p, concat(g, [shapeOf(g, x, 0, axis), g.constInt64([-1]), shapeOf(g, x, axis + 1)], 0));
    x = slice(g, merged, [0], [-(d - 1)], [axis]);
  });
  return x;
}
