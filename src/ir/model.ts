/**
 * The normalized model (IR): every default resolved, Flax's canonicalization done, every
 * value's shape inferred. Codegen, summary and the runtime all read this and nothing else.
 */
import type { Initializer } from "../params/initializers.js";
import type { Expr, Shape } from "../shapes/expr.js";
import type { DType } from "../tensor.js";
import type { LayerNumerics } from "../layers/kind.js";

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

export interface ParamSpec {
  /** Local name within the layer: kernel, bias, embedding; "" for a Param layer's own array. */
  readonly name: string;
  /** Flax's stored shape. */
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly init: Initializer;
  /** The shape handed to the initializer (LinearGeneral initializes a flat 2-D kernel). */
  readonly initShape: readonly number[];
  /**
   * The nnx.Variable type: `params` (nnx.Param, the default when absent) or `batch_stats`
   * (nnx.BatchStat: BatchNorm's running mean and var). Both load, initialize and save alike;
   * summaries count them apart, as nnx.tabulate does.
   */
  readonly collection?: ParamCollection;
}

export type ParamCollection = "params" | "batch_stats";

/** A parameter's collection (`params` when unmarked). */
export function paramCollection(p: ParamSpec): ParamCollection {
  return p.collection ?? "params";
}

export interface Cost {
  readonly macs: Expr;
  readonly flops: Expr;
}

export interface IrLayer<A = unknown> {
  readonly name: string;
  readonly type: string;
  /** Position in the spec's layer list. */
  readonly index: number;
  /** JSON pointer of the layer in the spec. */
  readonly pointer: string;
  /** Value names read by the layer (model inputs or earlier layers). */
  readonly inputs: readonly string[];
  readonly attrs: A;
  /** Casts and rounding points (src/layers/kind.ts LayerNumerics); absent: data movement. */
  readonly numerics?: LayerNumerics;
  readonly output: TensorType;
  readonly params: readonly ParamSpec[];
  readonly cost: Cost;
  /** A split's results, named `<layer>.<k>`; `output` is then the first. */
  readonly parts?: readonly TensorType[];
}

export interface IrInput {
  readonly name: string;
  readonly type: TensorType;
  readonly pointer: string;
}

export interface DimConstraint {
  readonly min: number;
  readonly max?: number;
}

export interface IrOutput {
  /** The output's name (a map key in `outputs`, else the layer name). */
  readonly name: string;
  /** The value it exposes. */
  readonly value: string;
}

export interface IrModel {
  readonly file: string;
  readonly model: string;
  readonly description?: string;
  readonly inputs: readonly IrInput[];
  readonly dims: Readonly<Record<string, DimConstraint>>;
  readonly layers: readonly IrLayer[];
  readonly outputs: readonly IrOutput[];
  /** The spec's `x64` (jax_enable_x64); absent: off. */
  readonly x64?: boolean;
  /** Module uses, in expansion order (absent without modules): the tree summaries show. */
  readonly uses?: readonly IrUse[];
  /** Layers of stacked repeats by layer name: their params live in one stacked array each. */
  readonly stacked?: Readonly<Record<string, StackSlot>>;
}

/** A use of a declared module: `h` (Block, repeat 12), then each copy `h.0` ... `h.11`. */
export interface IrUse {
  readonly path: string;
  readonly module: string;
  /** JSON pointer of the use in the spec. */
  readonly pointer: string;
  readonly repeat?: { readonly count: number; readonly stacked: boolean };
}

/**
 * Where a layer of a stacked repeat (`repeat: {count, stacked: true}`) keeps its params: under
 * the layer path without the copy indices (`h.attn` for `h.3.attn`), at `index` of leading
 * axes `counts` (one per stacked level, outermost first), as nnx.vmap stores them.
 */
export interface StackSlot {
  readonly name: string;
  readonly index: readonly number[];
  readonly counts: readonly number[];
}

/**
 * The constraint a symbol's value breaks, as text (`1 <= batch <= 4096`), or undefined when
 * the value is allowed.
 */
export function dimViolation(m: IrModel, sym: string, value: number): string | undefined {
  const c = m.dims[sym];
  if (!c || (value >= c.min && (c.max === undefined || value <= c.max))) return undefined;
  return `${c.min} <= ${sym}${c.max !== undefined ? ` <= ${c.max}` : ""}`;
}

/** Full parameter name as in `nnx.state(model)` flattened: `<layer>.<param>`. */
export function paramName(layer: IrLayer, p: ParamSpec): string {
  return qualifiedParamName(layer.name, p.name);
}

/** `<layer>.<param>`, or the layer's own path for a Param layer (local name ""). */
export function qualifiedParamName(layer: string, local: string): string {
  return local === "" ? layer : `${layer}.${local}`;
}

/** The value name of part k of a split layer. */
export function partName(layer: string, k: number): string {
  return `${layer}.${k}`;
}

/** `<layer>.<k>` split into the layer and k; undefined for a plain name. */
export function parsePartRef(ref: string): { layer: string; part: number } | undefined {
  const m = /^(.+)\.(\d+)$/.exec(ref);
  return m ? { layer: m[1]!, part: Number(m[2]) } : undefined;
}

/** The type of every value (inputs and layer outputs) by name. */
export function valueTypes(m: IrModel): Map<string, TensorType> {
  const out = new Map<string, TensorType>();
  for (const i of m.inputs) out.set(i.name, i.type);
  for (const l of m.layers) {
    out.set(l.name, l.output);
    l.parts?.forEach((t, k) => out.set(partName(l.name, k), t));
  }
  return out;
}

/** Every symbolic dim the model's inputs use, in first-use order. */
export function modelSymbols(m: IrModel): string[] {
  const seen: string[] = [];
  for (const i of m.inputs) for (const d of i.type.shape) for (const s of d.symbols()) if (!seen.includes(s)) seen.push(s);
  return seen;
}

/**
 * The model's floating dtypes, for reports: its parameters' dtypes and the dtypes its layers
 * compute in, in first-use order (float32 for a model with neither).
 */
export function modelDtypes(m: IrModel): DType[] {
  const out: DType[] = [];
  const add = (d: DType | undefined) => void (d && ["float16", "bfloat16", "float32", "float64"].includes(d) && !out.includes(d) && out.push(d));
  for (const l of m.layers) {
    l.params.forEach((p) => add(p.dtype));
    add(l.numerics?.cast);
    add(l.numerics?.compute);
    add(l.numerics?.dot);
  }
  return out.length > 0 ? out : ["float32"];
}
