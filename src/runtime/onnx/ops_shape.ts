/**
 * Shape plumbing that works with symbolic dims: shapes are read with Shape and rebuilt with
 * Concat, so no static size is needed (ORT folds these when the sizes are known).
 */

import type { DType } from "../../tensor.js";
import { onnxDType, type GraphBuilder } from "./graph.js";

/** The largest int64, an "until the end" Slice bound. */
export const INT64_MAX = 2n ** 63n - 1n;

/** Reshape to `shape` (0 copies the input dim at that position, -1 is inferred), or to a shape value. */
export function reshape(g: GraphBuilder, x: string, shape: readonly number[] | string): string {
  return g.node("Reshape", [x, typeof shape === "string" ? shape : g.constInt64(shape)]);
}

export function transpose(g: GraphBuilder, x: string, perm: readonly number[]): string {
  if (perm.every((p, i) => p === i)) return x;
  return g.node("Transpose", [x], { perm });
}

export function concat(g: GraphBuilder, xs: readonly string[], axis: number): string {
  return xs.length === 1 ? xs[0]! : g.node("Concat", xs, { axis });
}

export function unsqueeze(g: GraphBuilder, x: string, axes: readonly number[]): string {
  return g.node("Unsqueeze", [x, g.constInt64(axes)]);
}

export function squeeze(g: GraphBuilder, x: string, axes: readonly number[]): string {
  return g.node("Squeeze", [x, g.constInt64(axes)]);
}

export function cast(g: GraphBuilder, x: string, to: DType): string {
  return g.node("Cast", [x], { to: onnxDType(to) });
}

/** Shape(x)[start:end] as a 1-D int64 value. */
export function shapeOf(g: GraphBuilder, x: string, start = 0, end?: number): string {
  return g.node("Shape", [x], { start, end });
}

/** x[starts:ends] along `axes` (negative bounds count from the end; INT64_MAX = to the end). */
export function slice(g: GraphBuilder, x: string, starts: readonly (number | bigint)[], ends: readonly (number | bigint)[], axes: readonly number[], steps?: readonly number[]): string {
  const ins = [x, g.constInt64(starts), g.constInt64(ends), g.constInt64(axes)];
  if (steps) ins.push(g.constInt64(steps));
  return g.node("Slice", ins);
}

/**
 * Bring x to exactly one leading batch dim, as Flax Conv and pooling do
 * (`nBatch = ndim - (len(kernel_size) + 1)`): unbatched inputs get a batch of one, extra
 * leading batch dims are flattened. `restore` undoes it on a result with one batch dim.
 */
export function withOneBatchDim(g: GraphBuilder, x: string, nBatch: number): { x: string; restore: (y: string) => string } {
  if (nBatch < 0) throw new RangeError(`input has too few dims (${nBatch} batch dims)`);
  if (nBatch === 0) return { x: unsqueeze(g, x, [0]), restore: (y) => squeeze(g, y, [0]) };
  if (nBatch === 1) return { x, restore: (y) => y };
  const flat = reshape(g, x, concat(g, [g.constInt64([-1]), shapeOf(g, x, nBatch)], 0));
  return {
    x: flat,
    restore: (y) => reshape(g, y, concat(g, [shapeOf(g, x, 0, nBatch), shapeOf(g, y, 1)], 0)),
  };
}

/** N,spatial...,C -> N,C,spatial... */
export function toChannelsFirst(g: GraphBuilder, x: string, spatialRank: number): string {
  return transpose(g, x, [0, spatialRank + 1, ...range(1, spatialRank + 1)]);
}

/** N,C,spatial... -> N,spatial...,C */
export function toChannelsLast(g: GraphBuilder, x: string, spatialRank: number): string {
  return transpose(g, x, [0, ...range(2, spatialRank + 2), 1]);
}

export function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}
