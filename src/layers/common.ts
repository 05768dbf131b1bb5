/** Helpers shared by layer kinds: tuples, axes, dtypes, parameters, costs. */
import type { ParamCollection, ParamSpec, TensorType } from "../ir/model.js";
import { canonicalInitializer, initializerFanError, type Initializer } from "../params/initializers.js";
import { Expr, product, type Shape } from "../shapes/expr.js";
import type { DType } from "../tensor.js";
import type { LayerContext } from "./kind.js";

/** Flax's `maybe_broadcast`: an int becomes a tuple of `n`; a list is kept as given. */
export function toTuple(v: unknown, n: number): number[] {
  if (typeof v === "number") return Array.from({ length: n }, () => v);
  return [...(v as number[])];
}

export function asList<T>(v: T | readonly T[]): T[] {
  return Array.isArray(v) ? [...(v as T[])] : [v as T];
}

/** A tuple field must have one entry per spatial axis. */
export function checkLength(ctx: LayerContext, field: string, values: readonly number[], rank: number, what: string): boolean {
  if (values.length === rank) return true;
  ctx.error("NNX2031", field, `${field} has ${values.length} entries but ${what} has ${rank}`, `give ${rank} entr${rank === 1 ? "y" : "ies"} or a single int`);
  return false;
}

/** Normalize an axis against a rank (negative counts from the end); undefined after an error. */
export function normalizeAxis(ctx: LayerContext, field: string, axis: number, rank: number): number | undefined {
  if (axis < -rank || axis >= rank) {
    ctx.error("NNX2022", field, `axis ${axis} is out of range for an input of rank ${rank}`, rank > 0 ? `use an axis in [${-rank}, ${rank - 1}]` : undefined);
    return undefined;
  }
  return axis < 0 ? axis + rank : axis;
}

export function normalizeAxes(ctx: LayerContext, field: string, axes: readonly number[], rank: number): number[] | undefined {
  const out: number[] = [];
  for (const a of axes) {
    const n = normalizeAxis(ctx, field, a, rank);
    if (n === undefined) return undefined;
    if (out.includes(n)) {
      ctx.error("NNX2022", field, `axis ${a} is repeated`);
      return undefined;
    }
    out.push(n);
  }
  return out;
}

/**
 * The dtype fields of a parameterized layer. Version 1 computes in float32: other
 * float dtypes are rejected here rather than silently computed differently.
 */
export function checkFloat32Fields(ctx: LayerContext, fields: Readonly<Record<string, unknown>>): boolean {
  let ok = true;
  for (const f of ["dtype", "param_dtype", "preferred_element_type"]) {
    const v = fields[f];
    if (v !== undefined && v !== null && v !== "float32") {
      ctx.error("NNX2025", f, `${f} ${String(v)} is not supported: nnx-gen 1 computes in float32`, `remove ${f} or set it to float32`);
      ok = false;
    }
  }
  return ok;
}

/**
 * Version 1 computes in float32. Flax would promote other input dtypes (int -> float32,
 * float16 + float32 -> float32); rather than emulate that, they are rejected here.
 */
export function requireFloatInput(ctx: LayerContext, input: TensorType, what: string): boolean {
  if (input.dtype === "float32") return true;
  ctx.error("NNX2037", ctx.given("input") ? "input" : undefined, `${what} input has dtype ${input.dtype}; nnx-gen 1 computes in float32`, "declare the input as float32");
  return false;
}

/** A parameter shape must be static: it comes from the input's size at `what`. */
export function staticDim(ctx: LayerContext, d: Expr, field: string, what: string): number | undefined {
  const c = d.constant;
  if (c === undefined) {
    ctx.error("NNX2027", field, `${what} is the symbolic dim ${d.toString()}, but parameter shapes must be static`, `make that input dim an integer, or set ${field}`);
  }
  return c;
}

export interface ParamRequest {
  name: string;
  shape: number[];
  initField: string;
  init: unknown;
  /** Defaults to `shape`. */
  initShape?: number[];
  /** Where to report a fan error when the initializer is the default (not in the spec). */
  shapeField?: string;
  /** nnx.BatchStat variables are `batch_stats`; default `params`. */
  collection?: ParamCollection;
}

const MAX_PARAM_ELEMENTS = 2 ** 34;

/** Canonicalize initializers and check they can compute fans for the shapes they get. */
export function makeParams(ctx: LayerContext, requests: readonly ParamRequest[]): ParamSpec[] | undefined {
  const out: ParamSpec[] = [];
  let ok = true;
  for (const r of requests) {
    const initShape = r.initShape ?? r.shape;
    const n = r.shape.reduce((a, b) => a * b, 1);
    if (n > MAX_PARAM_ELEMENTS) {
      ctx.error("NNX2035", undefined, `parameter ${ctx.name}.${r.name} of shape [${r.shape.join(", ")}] has ${n} elements, more than ${MAX_PARAM_ELEMENTS}`);
      ok = false;
      continue;
    }
    const init: Initializer = canonicalInitializer(r.init as string | Record<string, unknown>);
    const fanErr = initializerFanError(init, [...initShape]);
    if (fanErr) {
      const field = ctx.given(r.initField) ? r.initField : (r.shapeField ?? r.initField);
      ctx.error("NNX2030", field, `${r.initField} for ${r.name} of shape [${initShape.join(", ")}]: ${fanErr}`, "use an initializer that needs no fans (normal, zeros, ...), or a kernel of rank 2 or more");
      ok = false;
      continue;
    }
    out.push({ name: r.name, shape: r.shape, dtype: "float32" as DType, init, initShape, ...(r.collection ? { collection: r.collection } : {}) });
  }
  return ok ? out : undefined;
}

export function numel(t: TensorType): Expr {
  return product(t.shape);
}

/** An output type with a new shape and the float32 compute dtype. */
export function f32(shape: Shape): TensorType {
  return { dtype: "float32", shape };
}

export const ZERO = Expr.const(0);

