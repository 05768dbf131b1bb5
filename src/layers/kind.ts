/**
 * What every layer kind provides. One file per kind implements it: canonicalization, the
 * shape rule, parameter shapes and initializers, the cost count, the lowering to the runtime
 * graph, and the description in generated modules live together, so adding a layer touches
 * one file.
 */
import type { Cost, IrLayer, ParamSpec, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import type { DType } from "../tensor.js";
import type { Expr } from "../shapes/expr.js";
import type { Verdict, DimTable } from "../shapes/dims.js";

export interface LayerContext {
  /** The layer's resolved name. */
  readonly name: string;
  /** The spec's directory, for files a layer names (a mask file). */
  readonly specDir: string;
  readonly dims: DimTable;
  /** Report at a field of the layer (or the layer itself when field is undefined). */
  error(code: string, field: string | undefined, message: string, hint?: string): void;
  warn(code: string, field: string | undefined, message: string, hint?: string): void;
  /**
   * Check a rule over symbolic values: an error when `fails` holds for every allowed value,
   * a warning when for some. Returns false only on an error.
   */
  require(exprs: readonly Expr[], fails: (values: number[]) => boolean, code: string, field: string | undefined, message: (v: Verdict) => string, hint?: string): boolean;
  /** Whether the spec gave this field (rather than the schema default). */
  given(field: string): boolean;
  /** Another layer of the model by name, built or not yet built (for attend). */
  layerFields(name: string): Readonly<Record<string, unknown>> | undefined;
  /** Names of the model's Embed layers, for suggestions. */
  embedNames(): string[];
  /** The spec's top-level `x64` (jax_enable_x64): float64 is computed as float64 only then. */
  readonly x64: boolean;
  /** The YAML source text of a scalar field (`input/1`): how a number was written, `2` or `2.0`. */
  literal(field: string): string | undefined;
}

/**
 * How a layer's dtypes are lowered (src/runtime/lower.ts does it for every kind): value inputs
 * and parameters cast to `cast` (Flax's promote_dtype; absent: used as they are), arithmetic
 * rounded as JAX rounds a `compute` computation (dots and convs: `dot`), and the output
 * rounded to its dtype when `compute` does not already (norms: statistics in float32).
 */
export interface LayerNumerics {
  readonly cast?: DType;
  readonly compute?: DType;
  readonly dot?: DType;
}

export interface Built<A> {
  readonly attrs: A;
  /** Absent: the layer moves data only (its inputs' dtype is its output's). */
  readonly numerics?: LayerNumerics;
  readonly output: TensorType;
  readonly params: readonly ParamSpec[];
  readonly cost: Cost;
  /** Several results (jnp.split): read by other layers as `<layer>.0`, `<layer>.1`, ... */
  readonly parts?: readonly TensorType[];
}

/**
 * One `rngs.params()` call a Flax constructor makes: the name of the parameter (a ParamSpec's
 * `name`) it initializes with that key, or null for a key Flax draws without creating a
 * parameter from it.
 */
export type RngDraw = string | null;

/**
 * Keys and construction order (`--seed`, JAX's PRNG): `nnx.Rngs(seed)` is one stream, and
 * every `rngs.params()` call in the model, in construction order, takes the next key
 * `fold_in(key, count++)` (src/params/rngs.ts). Layers are constructed in the spec's order.
 * Within a layer the draws are, by default, one per ParamSpec in `params` order, which is what
 * Linear/Conv/Einsum/LinearGeneral/Embed do: kernel, then bias when there is one (a zeros bias
 * still uses up its key; no bias, no draw). A kind whose Flax constructor draws otherwise
 * declares `rngDraws`, listing every `rngs.params()` call in the order its `__init__` makes
 * them (read the constructor, including sub-modules it builds):
 * - a key drawn without a parameter from it: a `null` entry. `nnx.Dropout(rate, rngs=rngs)`
 *   forks the `dropout` stream, which with `nnx.Rngs(seed)` is the same default stream: one
 *   null draw; MultiHeadAttention with `dropout_rate > 0` (and `keep_rngs`, the default) ends
 *   with one (`rngs.dropout.fork()`);
 * - a parameter Flax creates without drawing (BatchNorm's `mean`/`var`, `nnx.BatchStat` zeros
 *   and ones): leave it out. Such params must have an initializer that draws nothing (zeros,
 *   ones, constant). LayerNorm/RMSNorm/GroupNorm/BatchNorm's scale and bias do draw (scale,
 *   then bias, each when present), ones and zeros though they are;
 * - sub-modules: their draws in the order the constructor builds them, with the kind's own
 *   param names. MultiHeadAttention (flax/nnx/nn/attention.py): query, key, value (each
 *   LinearGeneral: kernel, bias when use_bias), query_ln.scale and key_ln.scale when
 *   normalize_qk (LayerNorms without bias), out (kernel, bias), then the dropout fork.
 * Repeated modules draw copy after copy. A stacked repeat (`nnx.split_rngs` + `nnx.vmap`)
 * draws one key from the stream, splits it into N (`RngStream.splitStreams`), builds copy i
 * from stream i, and stacks copy i's values at index i.
 */
export interface LayerKind<A = unknown> {
  /** The `type` names this kind implements. */
  readonly types: readonly string[];
  /**
   * Whether `input` is one value name, a list of them, or either ("oneOrMany"); "none": the
   * layer reads no value (arange, Param).
   */
  readonly arity: "one" | "many" | "oneOrMany" | "none";
  /**
   * Fields other than `input` that name values (an attention `mask`), in the order their
   * types are appended to the inputs `build` gets and their values to the ones `lower` gets.
   */
  valueRefs?(fields: Readonly<Record<string, unknown>>): { field: string; name: string }[];
  /**
   * Canonicalize the fields (defaults already merged from the schema), check every rule
   * against the input types, and infer the output. Undefined after reporting an error.
   */
  build(fields: Readonly<Record<string, unknown>>, inputs: readonly TensorType[], ctx: LayerContext): Built<A> | undefined;
  /** Emit the layer into the runtime graph; returns the output value's name (one per part for a split). */
  lower(layer: IrLayer<A>, inputs: readonly string[], g: Lowering): string | readonly string[];
  /**
   * A short, nnx.tabulate-style description for the generated module's forward-pass table:
   * `Conv(3x3, 32)`, `Linear(3136 -> 128)`. Absent: the type name says it all.
   */
  describe?(attrs: A): string;
  /** The `rngs.params()` calls of Flax's constructor, in order (see RngDraw). Absent: one per param. */
  rngDraws?(layer: IrLayer<A>): readonly RngDraw[];
}
