/** Helpers shared by layer kinds: tuples, axes, dtypes, parameters, costs. */
import { qualifiedParamName, type ParamCollection, type ParamSpec, type TensorType } from "../ir/model.js";
import { canonicalInitializer, initializerFanError, type Initializer } from "../params/initializers.js";
import { Expr, product, type Shape } from "../shapes/expr.js";
import { isFloating, resultType } from "../dtypes/promote.js";
import type { DType } from "../tensor.js";
import type { LayerContext, LayerNumerics } from "./kind.js";

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
 * A layer computing in floating point needs a floating input. Flax would promote an integer
 * input to float32 (`promote_dtype`); nnx-gen asks for the conversion to be written.
 */
export function requireFloatInput(ctx: LayerContext, input: TensorType, what: string): boolean {
  if (isFloating(input.dtype)) return true;
  ctx.error("NNX2037", ctx.given("input") ? "input" : undefined, `${what} input has dtype ${input.dtype}; nnx-gen takes float32, float16, bfloat16 or float64 here`, "convert it first: {type: astype, dtype: float32}");
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
  /** A dtype fixed by Flax whatever param_dtype says (BatchNorm's float32 statistics). */
  dtype?: DType;
}

const MAX_PARAM_ELEMENTS = 2 ** 34;

/**
 * A dtype field (`dtype`, `param_dtype`, `preferred_element_type`) as JAX has it: undefined when
 * null; float64 is float32 unless the spec sets x64 (jax_enable_x64), with a warning saying so.
 */
export function dtypeField(ctx: LayerContext, f: Readonly<Record<string, unknown>>, field: string): DType | undefined {
  const v = f[field];
  if (v === undefined || v === null) return undefined;
  if (v === "float64" && !ctx.x64) {
    ctx.warn("NNX2110", field, `${field} float64 computes as float32: JAX's default (jax_enable_x64 off) has no float64 arrays`, "set x64: true at the top of the spec for real float64, or write float32");
    return "float32";
  }
  return v as DType;
}

/** The layer's param_dtype (float32 when the kind has none). */
export function paramDtype(ctx: LayerContext, f: Readonly<Record<string, unknown>>): DType {
  return dtypeField(ctx, f, "param_dtype") ?? "float32";
}

/** `jnp.result_type` of arrays, made inexact as `canonicalize_dtype(inexact=True)` does. */
export function inexactResult(dtypes: readonly DType[], x64: boolean): DType {
  const t = resultType(dtypes.map((dtype) => ({ dtype, weak: false })), x64).dtype;
  return isFloating(t) ? t : resultType([{ dtype: t, weak: false }, { dtype: "float32", weak: false }], x64).dtype;
}

/**
 * `flax.nnx.nn.dtypes.promote_dtype((inputs..., params...), dtype=self.dtype)`: the layer's
 * `dtype` when given, else the inexact `jnp.result_type` of its inputs and parameters.
 */
export function promoteDtype(ctx: LayerContext, f: Readonly<Record<string, unknown>>, inputs: readonly DType[], params: readonly DType[]): DType {
  return dtypeField(ctx, f, "dtype") ?? inexactResult([...inputs, ...params], ctx.x64);
}

/**
 * The numerics of a dot or conv layer (Linear, Conv, Einsum, ...): inputs and params cast to the
 * promoted dtype, the dot's result in `preferred_element_type` (default: the promoted dtype), and
 * a bias added in their join. Returns the numerics and the output dtype.
 */
export function dotNumerics(ctx: LayerContext, f: Readonly<Record<string, unknown>>, input: DType, params: readonly DType[], useBias: boolean): { numerics: LayerNumerics; output: DType } {
  const cast = promoteDtype(ctx, f, [input], params);
  const dot = dtypeField(ctx, f, "preferred_element_type") ?? cast;
  const output = useBias ? inexactResult([dot, cast], ctx.x64) : dot;
  return { numerics: { cast, compute: output, dot }, output };
}

/** Canonicalize initializers and check they can compute fans for the shapes they get. */
export function makeParams(ctx: LayerContext, requests: readonly ParamRequest[], dtype: DType = "float32"): ParamSpec[] | undefined {
  const out: ParamSpec[] = [];
  let ok = true;
  for (const r of requests) {
    const initShape = r.initShape ?? r.shape;
    const n = r.shape.reduce((a, b) => a * b, 1);
    if (n > MAX_PARAM_ELEMENTS) {
      ctx.error("NNX2035", undefined, `parameter ${qualifiedParamName(ctx.name, r.name)} of shape [${r.shape.join(", ")}] has ${n} elements, more than ${MAX_PARAM_ELEMENTS}`);
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
    out.push({ name: r.name, shape: r.shape, dtype: r.dtype ?? dtype, init, initShape, ...(r.collection ? { collection: r.collection } : {}) });
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

/** An output type of a dtype and shape. */
export function typed(dtype: DType, shape: Shape): TensorType {
  return { dtype, shape };
}

export const ZERO = Expr.const(0);

