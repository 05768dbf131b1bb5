/**
 * Parameter initializers with the semantics of `jax.nn.initializers` (what `flax.nnx` uses):
 * the same names, defaults and fan rules. `sampleInitializer` draws them from a JAX threefry
 * key value for value as JAX does (float32, float16, bfloat16); `initializeParam` from the
 * previous per-parameter xoshiro streams (`--prng xoshiro`: same distributions, other values).
 */

import { numElements } from "../tensor.js";
import { expectDraws, FORMATS, releaseTables, sampleFloat32, sampleNarrow, type Distribution, type FloatDType } from "./jax_random.js";
import { sampleFloat64 } from "./jax_random64.js";
import { Rng } from "./prng.js";
import type { Key, PrngLayout } from "./threefry.js";

export type FanMode = "fan_in" | "fan_out" | "fan_avg" | "fan_geo_avg";
export type VarianceDistribution = "truncated_normal" | "normal" | "uniform";

export type Initializer =
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "constant"; value: number }
  | { kind: "normal"; stddev: number }
  | { kind: "truncated_normal"; stddev: number; lower: number; upper: number }
  | { kind: "uniform"; scale: number }
  | {
      kind: "variance_scaling";
      scale: number;
      mode: FanMode;
      distribution: VarianceDistribution;
      in_axis: number | number[];
      out_axis: number | number[];
      batch_axis: number[];
    };

export type VarianceScaling = Extract<Initializer, { kind: "variance_scaling" }>;

/**
 * Standard deviation of a standard normal truncated to (-2, 2). JAX divides by it so that a
 * truncated variance_scaling sample keeps the requested variance.
 */
export const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978;

const FAN_MODES: readonly FanMode[] = ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"];
const DISTRIBUTIONS: readonly VarianceDistribution[] = ["truncated_normal", "normal", "uniform"];

/** The named presets of jax.nn.initializers, as (scale, mode, distribution). */
const PRESETS = new Map<string, [number, FanMode, VarianceDistribution]>([
  ["lecun_normal", [1, "fan_in", "truncated_normal"]],
  ["lecun_uniform", [1, "fan_in", "uniform"]],
  ["glorot_normal", [1, "fan_avg", "truncated_normal"]],
  ["glorot_uniform", [1, "fan_avg", "uniform"]],
  ["xavier_normal", [1, "fan_avg", "truncated_normal"]],
  ["xavier_uniform", [1, "fan_avg", "uniform"]],
  ["he_normal", [2, "fan_in", "truncated_normal"]],
  ["he_uniform", [2, "fan_in", "uniform"]],
  ["kaiming_normal", [2, "fan_in", "truncated_normal"]],
  ["kaiming_uniform", [2, "fan_in", "uniform"]],
]);

function varianceScaling(
  scale: number,
  mode: FanMode,
  distribution: VarianceDistribution,
  in_axis: number | number[] = -2,
  out_axis: number | number[] = -1,
  batch_axis: number[] = [],
): VarianceScaling {
  return { kind: "variance_scaling", scale, mode, distribution, in_axis, out_axis, batch_axis };
}

/** Reads the keys of one map-form initializer, rejecting keys it does not know. */
class SpecReader {
  private readonly unread: Set<string>;
  constructor(private readonly spec: Record<string, unknown>, private readonly name: string) {
    this.unread = new Set(Object.keys(spec).filter((k) => k !== "name"));
  }

  private take(key: string): unknown {
    this.unread.delete(key);
    return this.spec[key];
  }

  private fail(key: string, expected: string, value: unknown): never {
    throw new Error(`initializer ${this.name}: ${key} must be ${expected}, got ${JSON.stringify(value)}`);
  }

  number(key: string, fallback?: number): number {
    const v = this.take(key);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(key, "a finite number", v);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.take(key);
    if (!(allowed as readonly unknown[]).includes(v)) this.fail(key, `one of ${allowed.join(", ")}`, v);
    return v as T;
  }

  axes(key: string, fallback: number | number[]): number | number[] {
    const v = this.take(key);
    if (v === undefined) return fallback;
    if (Number.isInteger(v)) return v as number;
    if (Array.isArray(v) && v.every((a) => Number.isInteger(a))) return [...(v as number[])];
    return this.fail(key, "an integer axis or a list of them", v);
  }

  /** Call last: no key may be left unread. */
  done(): void {
    const [extra] = this.unread;
    if (extra !== undefined) throw new Error(`initializer ${this.name}: unknown key "${extra}"`);
  }
}

/**
 * The canonical form of an initializer written in a spec: a name (`lecun_normal`, `zeros`, …)
 * or a map `{name: normal, stddev: 0.02}`. Missing keys take JAX's defaults.
 */
export function canonicalInitializer(spec: string | Record<string, unknown>): Initializer {
  if (typeof spec === "string") {
    if (spec === "zeros" || spec === "ones") return { kind: spec };
    const preset = PRESETS.get(spec);
    if (preset === undefined) throw new Error(`unknown initializer "${spec}"`);
    return varianceScaling(...preset);
  }
  const name = spec["name"];
  if (typeof name !== "string") throw new Error(`initializer map needs a string "name", got ${JSON.stringify(name)}`);
  const r = new SpecReader(spec, name);
  let init: Initializer;
  switch (name) {
    case "normal":
      init = { kind: "normal", stddev: r.number("stddev", 1e-2) };
      break;
    case "truncated_normal":
      init = { kind: "truncated_normal", stddev: r.number("stddev", 1e-2), lower: r.number("lower", -2), upper: r.number("upper", 2) };
      if (!(init.lower < init.upper)) {
        throw new Error(`initializer truncated_normal: lower (${init.lower}) must be less than upper (${init.upper})`);
      }
      break;
    case "uniform":
      init = { kind: "uniform", scale: r.number("scale", 1e-2) };
      break;
    case "constant":
      init = { kind: "constant", value: r.number("value") };
      break;
    case "variance_scaling": {
      const scale = r.number("scale");
      if (!(scale > 0)) throw new Error(`initializer variance_scaling: scale must be positive, got ${scale}`);
      const batch = r.axes("batch_axis", []);
      init = varianceScaling(
        scale,
        r.oneOf("mode", FAN_MODES),
        r.oneOf("distribution", DISTRIBUTIONS),
        r.axes("in_axis", -2),
        r.axes("out_axis", -1),
        typeof batch === "number" ? [batch] : batch,
      );
      break;
    }
    default:
      throw new Error(`unknown initializer "${name}"`);
  }
  r.done();
  return init;
}

/** A shape as Python prints it: (3, 4), (5,), (). */
function pyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

export interface Fans {
  fanIn: number;
  fanOut: number;
}

/**
 * JAX's `_compute_fans`: the sizes of the in, out and batch axes (products for lists of axes,
 * negative axes from the end), with every other axis counted as receptive field, which
 * multiplies both fans. Throws where JAX raises.
 */
export function computeFans(
  shape: readonly number[],
  inAxis: number | readonly number[] = -2,
  outAxis: number | readonly number[] = -1,
  batchAxis: number | readonly number[] = [],
): Fans {
  if (inAxis === -2 && shape.length <= 1) {
    throw new Error(
      `Can't compute input and output sizes of a ${shape.length}-dimensional weights tensor with default in_axis. ` +
        "Must be at least 2D or specify in_axis explicitly.",
    );
  }
  const size = (axes: number | readonly number[], role: string): number => {
    let n = 1;
    for (const axis of typeof axes === "number" ? [axes] : axes) {
      const dim = axis < 0 ? shape[shape.length + axis] : shape[axis];
      if (dim === undefined) {
        throw new Error(`${role} ${axis} is out of range for a weights tensor of shape ${pyShape(shape)}`);
      }
      n *= dim;
    }
    // Python's true division raises ZeroDivisionError below.
    if (n === 0) throw new Error(`Can't compute fans of a weights tensor of shape ${pyShape(shape)}: its ${role} size is 0`);
    return n;
  };
  const inSize = size(inAxis, "in_axis");
  const outSize = size(outAxis, "out_axis");
  const batchSize = size(batchAxis, "batch_axis");
  // Same operation order as JAX, so the floats match.
  const receptiveField = numElements(shape) / inSize / outSize / batchSize;
  return { fanIn: inSize * receptiveField, fanOut: outSize * receptiveField };
}

/** The variance `scale / n` of a variance_scaling initializer on this shape (n chosen by mode). */
export function varianceScalingVariance(init: VarianceScaling, shape: readonly number[]): number {
  const { fanIn, fanOut } = computeFans(shape, init.in_axis, init.out_axis, init.batch_axis);
  const denominator = {
    fan_in: fanIn,
    fan_out: fanOut,
    fan_avg: (fanIn + fanOut) / 2,
    // JAX: (fan_in * fan_out) ** 0.5, the correctly rounded square root.
    fan_geo_avg: Math.sqrt(fanIn * fanOut),
  }[init.mode];
  if (denominator === 0) {
    throw new Error(`Can't scale the variance of a weights tensor of shape ${pyShape(shape)}: its ${init.mode} is 0`);
  }
  return init.scale / denominator;
}

/**
 * Why this initializer cannot initialize a tensor of this shape (the error JAX would raise at
 * init time), or undefined. Lets the shape checker report it without sampling.
 */
export function initializerFanError(init: Initializer, shape: readonly number[]): string | undefined {
  if (init.kind !== "variance_scaling") return undefined;
  try {
    varianceScalingVariance(init, shape);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Sample a float32 parameter. `initShape` is the shape handed to the initializer (for
 * LinearGeneral the flat 2-D shape; the row-major values are then simply viewed in the stored
 * shape). The stream is `new Rng(seed, name)`, so each parameter's values depend only on the
 * seed, its name, its initializer and its shape.
 */
export function initializeParam(init: Initializer, initShape: readonly number[], seed: number, name: string): Float32Array {
  for (const d of initShape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape ${pyShape(initShape)}`);
  }
  const out = new Float32Array(numElements(initShape));
  switch (init.kind) {
    case "zeros":
      return out;
    case "ones":
      return out.fill(1);
    case "constant":
      return out.fill(init.value);
    case "normal":
      return new Rng(seed, name).fillNormal(out, init.stddev);
    case "truncated_normal":
      return new Rng(seed, name).fillTruncatedNormal(out, init.lower, init.upper, init.stddev);
    case "uniform":
      // JAX: U[0, 1) * scale. A negative scale gives the mirrored interval.
      if (init.scale === 0) return out;
      return new Rng(seed, name).fillUniform(out, Math.min(0, init.scale), Math.max(0, init.scale));
    case "variance_scaling": {
      const variance = varianceScalingVariance(init, initShape);
      const rng = new Rng(seed, name);
      switch (init.distribution) {
        case "truncated_normal":
          return rng.fillTruncatedNormal(out, -2, 2, Math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV);
        case "normal":
          return rng.fillNormal(out, Math.sqrt(variance));
        case "uniform": {
          const limit = Math.sqrt(3 * variance);
          return rng.fillUniform(out, -limit, limit);
        }
      }
    }
  }
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape ${pyShape(shape)}`);
  }
}

/**
 * What `init(key, shape, dtype)` draws, as a distribution and the factor JAX multiplies it by,
 * each constant rounded as JAX rounds it to the dtype (through float32); undefined for the
 * initializers that draw nothing.
 */
function drawOf(init: Initializer, shape: readonly number[], dtype: FloatDType | "float64"): { d: Distribution; scale: number } | undefined {
  const r = dtype === "float64" ? (x: number) => x : FORMATS[dtype].round;
  switch (init.kind) {
    case "zeros":
    case "ones":
    case "constant":
      return undefined;
    case "normal":
      return { d: { kind: "normal" }, scale: r(init.stddev) };
    case "truncated_normal":
      return { d: { kind: "truncated_normal", lower: init.lower, upper: init.upper }, scale: r(init.stddev) };
    case "uniform":
      return { d: { kind: "uniform", lo: 0, hi: 1 }, scale: r(init.scale) };
    case "variance_scaling": {
      // jnp.array(scale / denominator, dtype), then sqrt and the rest in the dtype.
      const variance = r(varianceScalingVariance(init, shape));
      switch (init.distribution) {
        case "truncated_normal":
          return { d: { kind: "truncated_normal", lower: -2, upper: 2 }, scale: r(r(Math.sqrt(variance)) / r(TRUNCATED_NORMAL_STDDEV)) };
        case "normal":
          return { d: { kind: "normal" }, scale: r(Math.sqrt(variance)) };
        case "uniform":
          return { d: { kind: "uniform", lo: -1, hi: 1 }, scale: r(Math.sqrt(r(3 * variance))) };
      }
    }
  }
}

/** Announce a float32 sampleInitializer call to come, so large inits can share lookup tables. */
export function planInitializer(init: Initializer, shape: readonly number[]): void {
  const draw = drawOf(init, shape, "float32");
  if (draw !== undefined) expectDraws(draw.d, numElements(shape));
}

/** After a model's initialization: drop what planInitializer and the draws built up. */
export function endInitialization(): void {
  releaseTables();
}

/** Whether the initializer uses its key (zeros, ones and constant do not). */
export function drawsFromKey(init: Initializer): boolean {
  return !(init.kind === "zeros" || init.kind === "ones" || init.kind === "constant");
}

/**
 * `init(key, shape, dtype)` exactly as JAX computes it on CPU: float32 values, or the raw bits
 * of float16/bfloat16 values. `key` may be omitted for initializers that draw nothing.
 */
export function sampleInitializer(init: Initializer, shape: readonly number[], key: Key | undefined, dtype: "float32", layout?: PrngLayout): Float32Array;
export function sampleInitializer(init: Initializer, shape: readonly number[], key: Key | undefined, dtype: "float16" | "bfloat16", layout?: PrngLayout): Uint16Array;
export function sampleInitializer(init: Initializer, shape: readonly number[], key: Key | undefined, dtype: FloatDType, layout?: PrngLayout): Float32Array | Uint16Array;
export function sampleInitializer(init: Initializer, shape: readonly number[], key: Key | undefined, dtype: FloatDType, layout: PrngLayout = "partitionable"): Float32Array | Uint16Array {
  checkShape(shape);
  const n = numElements(shape);
  const draw = drawOf(init, shape, dtype);
  if (draw === undefined) {
    const value = init.kind === "ones" ? 1 : init.kind === "constant" ? init.value : 0;
    // Fresh arrays are zeros already: filling them would only fault their pages in.
    if (dtype === "float32") return Object.is(value, 0) ? new Float32Array(n) : new Float32Array(n).fill(value);
    const bits = FORMATS[dtype].toBits(FORMATS[dtype].round(value));
    return bits === 0 ? new Uint16Array(n) : new Uint16Array(n).fill(bits);
  }
  if (key === undefined) throw new Error(`initializer ${init.kind} needs a key`);
  if (dtype === "float32") return sampleFloat32(key, n, draw.d, draw.scale, layout);
  return sampleNarrow(key, n, draw.d, draw.scale, FORMATS[dtype], layout);
}

/**
 * `init(key, shape, jnp.float64)` with jax_enable_x64, as JAX computes it on CPU (see
 * jax_random64.ts): the constants in float64, 64-bit random bits.
 */
export function sampleInitializer64(init: Initializer, shape: readonly number[], key: Key | undefined, layout: PrngLayout = "partitionable"): Float64Array {
  checkShape(shape);
  const n = numElements(shape);
  const draw = drawOf(init, shape, "float64");
  if (draw === undefined) return new Float64Array(n).fill(init.kind === "ones" ? 1 : init.kind === "constant" ? init.value : 0);
  if (key === undefined) throw new Error(`initializer ${init.kind} needs a key`);
  return sampleFloat64(key, n, draw.d, draw.scale, layout);
}
