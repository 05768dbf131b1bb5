/** Conv masks: a nested list in the spec, or {file: mask.npy} relative to the spec. */
import { host } from "../host.js";
import { readNpy } from "../io/npy.js";
import type { LayerContext } from "./kind.js";

export interface Mask {
  shape: number[];
  values: Float32Array;
}

/** A mask is as large as its kernel; anything bigger is not one. */
const MAX_MASK_BYTES = 1024 * 1024 * 1024;

export function readMask(ctx: LayerContext, spec: unknown): Mask | undefined {
  if (Array.isArray(spec)) return nestedMask(ctx, spec);
  const file = (spec as { file: string }).file;
  try {
    const h = host();
    const t = readNpy(h.readFile(h.resolve(ctx.specDir, file), MAX_MASK_BYTES), file);
    const values = new Float32Array(t.data.length);
    for (let i = 0; i < values.length; i++) values[i] = Number(t.data[i]);
    return { shape: [...t.shape], values };
  } catch (e) {
    ctx.error("NNX3066", "mask", `cannot read mask file ${file}: ${(e as Error).message}`);
    return undefined;
  }
}

function nestedMask(ctx: LayerContext, list: unknown[]): Mask | undefined {
  const shape: number[] = [];
  for (let level: unknown = list; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (v: unknown, depth: number): boolean => {
    if (depth === shape.length) {
      if (typeof v !== "number") return false;
      values.push(v);
      return true;
    }
    return Array.isArray(v) && v.length === shape[depth] && v.every((x) => walk(x, depth + 1));
  };
  if (!walk(list, 0)) {
    ctx.error("NNX3066", "mask", "mask is a ragged nested list; every level must have the same length");
    return undefined;
  }
  return { shape, values: Float32Array.from(values) };
}

/**
 * A layer's `mask` field checked against its kernel's shape: the values, undefined when the
 * field is absent, false after an error. `hint` says what the kernel's shape is made of.
 */
export function kernelMask(ctx: LayerContext, spec: unknown, kernelShape: readonly number[], hint: string): Float32Array | undefined | false {
  if (spec === null || spec === undefined) return undefined;
  const m = readMask(ctx, spec);
  if (!m) return false;
  if (m.shape.length !== kernelShape.length || m.shape.some((d, i) => d !== kernelShape[i])) {
    ctx.error("NNX2008", "mask", `mask has shape [${m.shape.join(", ")}] but the kernel has shape [${kernelShape.join(", ")}]`, hint);
    return false;
  }
  return m.values;
}
