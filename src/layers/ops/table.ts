/**
 * The elementwise ops and activations as data, one row per op, in the manner of ONNX's operator
 * schemas: its names, inputs, arguments with their defaults (the schema's entries are generated
 * from these: scripts/ops-schema.mjs, checked by a test), the dtype rule, FLOPs per output
 * element, the lowering as a small ONNX subgraph, and the text for generated modules.
 * The machinery that reads the table (shapes, broadcasting, dtypes, constants) is ./kind.ts.
 *
 * Formulas follow jax/_src/nn/functions.py and jax/_src/numpy/ufuncs.py step by step, so that
 * float32 results round like JAX's; ONNX's fused ops are used only where they compute the same
 * formula (LeakyRelu, Gelu, Softmax).
 */
import { onnxDType, type GraphBuilder } from "../../runtime/onnx/graph.js";
import { gelu, leakyRelu, logSoftmax, relu, sigmoid as onnxSigmoid, silu, softmax, tanh } from "../../runtime/onnx/ops_activation.js";
import { expm1, log1p, softplus } from "../../runtime/onnx/ops_elementwise.js";
import { reduce } from "../../runtime/onnx/ops_math.js";
import type { DType } from "../../tensor.js";
import { axes as axesText, call } from "../describe_text.js";

export type Schema = Readonly<Record<string, unknown>>;

export interface ArgSpec {
  /** JSON Schema of the field (without its default). */
  readonly schema: Schema;
  /** JAX's default; absent for a required argument. */
  readonly default?: unknown;
}

/**
 * How the output dtype follows from the inputs (JAX's promotion of every operand, Python
 * scalars weak):
 * - numeric: the promoted dtype (jnp.add, jnp.maximum, relu);
 * - inexact: the promoted dtype, integers and bool going to float32 (jnp.exp, jnp.divide,
 *   jax.nn.gelu, ...: promote_args_inexact);
 * - float: a floating input is required, as lax.logistic raises on integers (sigmoid, silu);
 * - compare: inputs promoted, output bool; logical: inputs tested against 0, output bool;
 * - where: the condition tested against 0, x and y promoted; astype: the `dtype` argument.
 */
export type DtypeRule = "numeric" | "inexact" | "float" | "compare" | "logical" | "where" | "astype";

/** What a lowering gets: the graph, the computation dtype (inputs are already cast to it), arguments. */
export interface Emit {
  readonly g: GraphBuilder;
  readonly dtype: DType;
  readonly args: Readonly<Record<string, unknown>>;
  /** The normalized `axis` argument (ops with shape "axes", "reduce" or "glu"). */
  readonly axes: readonly number[];
  /** A 0-d constant of the computation dtype. */
  k(value: number): string;
}

export interface OpDef {
  /** Spec `type` names (aliases share a row: silu/swish). */
  readonly names: readonly string[];
  /** The JAX function whose arguments, defaults and numerics this follows. */
  readonly jax: string;
  /** Number of inputs; "many" is 2 to 64 folded left (version 1's add and multiply). */
  readonly inputs: 1 | 2 | 3 | "many";
  readonly args?: Readonly<Record<string, ArgSpec>>;
  readonly dtype: DtypeRule;
  /**
   * A Python scalar JAX's formula mixes in, which takes part in promotion (relu: maximum(x, 0));
   * "int" also stands for promote_args_numeric's bool -> int (square, power).
   */
  readonly implicit?: "int" | "float";
  /** The ONNX op computing it on bools where JAX allows bool (add: or); absent: bool is rejected. */
  readonly boolOp?: string;
  /** How the shape follows: broadcasting (default), the same shape with an `axis` argument, or glu's halving. */
  readonly shape?: "broadcast" | "axes" | "glu" | "reduce";
  /** FLOPs per output element (per input beyond the first for "many"; per input element for "reduce"). */
  readonly flops: number;
  readonly lower: (e: Emit, xs: readonly string[]) => string;
  /** Text in generated modules; absent: the type name. */
  readonly describe?: (args: Readonly<Record<string, unknown>>, axes: readonly number[]) => string;
  readonly doc: string;
}

// ---------------------------------------------------------------------------------------------
// small helpers for the rows

const unary = (op: string) => (e: Emit, [x]: readonly string[]): string => e.g.node(op, [x!]);
const binary = (op: string) => (e: Emit, [a, b]: readonly string[]): string => e.g.node(op, [a!, b!]);
const n = (e: Emit, op: string, ...xs: string[]): string => e.g.node(op, xs);
const sigmoid = (e: Emit, x: string): string => onnxSigmoid(e.g, x);
/** jnp.where(x > 0, x, alpha * expm1(where(x > 0, 0., x))): jax.nn.elu. */
const elu = (e: Emit, x: string, alpha: number): string => {
  const pos = n(e, "Greater", x, e.k(0));
  return n(e, "Where", pos, x, n(e, "Mul", e.k(alpha), expm1(e.g, n(e, "Where", pos, e.k(0), x))));
};
/** relu6(x + 3.) / 6. : jax.nn.hard_sigmoid. */
const hardSigmoid = (e: Emit, x: string): string => n(e, "Div", relu6(e, n(e, "Add", x, e.k(3))), e.k(6));
/** jnp.minimum(jnp.maximum(x, 0), 6.) */
const relu6 = (e: Emit, x: string): string => n(e, "Min", n(e, "Max", x, e.k(0)), e.k(6));
const num = (a: Readonly<Record<string, unknown>>, k: string): number => a[k] as number;
/** `name(arg=value)` for arguments that differ from the default. */
const withArgs = (name: string, defaults: Record<string, unknown>) => (a: Readonly<Record<string, unknown>>): string => {
  const changed = Object.keys(defaults).filter((k) => a[k] !== defaults[k]);
  return changed.length === 0 ? name : call(name, changed.map((k) => `${k}=${String(a[k])}`));
};

const NUMBER: Schema = { type: "number" };
const AXES: Schema = { anyOf: [{ $ref: "#/$defs/axisOrAxes" }, { type: "null" }], description: "An axis, a list of axes, or null for all axes." };

/** softmax over several axes: exp(x - max) / sum(exp(x - max)), as jax.nn.softmax. */
function softmaxOver(e: Emit, x: string, log: boolean): string {
  const { g, axes } = e;
  if (axes.length === 1) return (log ? logSoftmax : softmax)(g, x, axes[0]);
  const shifted = g.node("Sub", [x, reduce(g, x, "max", axes, true)]);
  const sum = reduce(g, g.node("Exp", [shifted]), "sum", axes, true);
  return log ? g.node("Sub", [shifted, g.node("Log", [sum])]) : g.node("Div", [g.node("Exp", [shifted]), sum]);
}

/** jax.nn.standardize: (x - mean) * rsqrt(var + epsilon), var by the "fast" or "stable" formula. */
function standardize(e: Emit, x: string): string {
  const { g, axes, args } = e;
  const mean = reduce(g, x, "mean", axes, true);
  const centered = n(e, "Sub", x, mean);
  const variance =
    args["algorithm"] === "stable"
      ? reduce(g, n(e, "Mul", centered, centered), "mean", axes, true)
      : // jnp.clip(mean(x^2) - mean^2, 0) = maximum(0, ...): NaN stays NaN
        n(e, "Max", e.k(0), n(e, "Sub", reduce(g, n(e, "Mul", x, x), "mean", axes, true), n(e, "Mul", mean, mean)));
  return n(e, "Mul", centered, n(e, "Reciprocal", n(e, "Sqrt", n(e, "Add", variance, e.k(num(args, "epsilon"))))));
}

/**
 * jax.nn.logsumexp (jax/_src/ops/special.py): amax over the axes (0 where not finite), then
 * log(|sum(exp(x - amax))|) + amax; logmeanexp subtracts log(count) from it.
 */
function logsumexp(e: Emit, x: string, mean: boolean): string {
  const { g, axes } = e;
  const max = reduce(g, x, "max", axes, true);
  const amax = n(e, "Where", n(e, "Or", n(e, "IsInf", max), n(e, "IsNaN", max)), e.k(0), max);
  const sum = reduce(g, n(e, "Exp", n(e, "Sub", x, amax)), "sum", axes, true);
  let out = n(e, "Add", n(e, "Log", n(e, "Abs", sum)), amax);
  if (mean) {
    const count = g.node("Cast", [g.node("ReduceProd", [g.node("Gather", [g.node("Shape", [x]), g.constInt64(axes)]), g.constInt64([0])], { keepdims: 0 })], { to: onnxDType(e.dtype) });
    out = n(e, "Sub", out, n(e, "Log", count));
  }
  return e.args["keepdims"] === true ? out : g.node("Squeeze", [out, g.constInt64(axes)]);
}

/**
 * lax.integer_pow(x, y): binary exponentiation in JAX's order (jax/_src/lax/lax.py
 * _integer_pow and its lowering's special cases y = 2, 3, -1), then 1 / acc for y < 0.
 */
export function integerPow(e: Emit, x: string, y: number): string {
  if (y === 0) return n(e, "Expand", e.k(1), n(e, "Shape", x)); // full_like(x, 1): NaN too
  if (y === 3) return n(e, "Mul", n(e, "Mul", x, x), x);
  let p = Math.abs(y);
  let acc: string | undefined;
  let base = x;
  while (p > 0) {
    if (p & 1) acc = acc === undefined ? base : n(e, "Mul", acc, base);
    p >>= 1;
    if (p > 0) base = n(e, "Mul", base, base);
  }
  return y < 0 ? n(e, "Div", e.k(1), acc!) : acc!;
}

// ---------------------------------------------------------------------------------------------
// the table

export const OPS: readonly OpDef[] = [
  // jax.nn activations (version 1's first: their numerics and FLOPs are unchanged)
  { names: ["relu"], jax: "jax.nn.relu", inputs: 1, dtype: "numeric", implicit: "int", flops: 1, lower: (e, [x]) => (e.dtype === "float32" ? relu(e.g, x!) : n(e, "Max", x!, e.k(0))), doc: "jnp.maximum(x, 0)" },
  { names: ["silu", "swish"], jax: "jax.nn.silu", inputs: 1, dtype: "float", flops: 1, lower: (e, [x]) => silu(e.g, x!), doc: "x * sigmoid(x)" },
  { names: ["sigmoid"], jax: "jax.nn.sigmoid", inputs: 1, dtype: "float", flops: 1, lower: (e, [x]) => sigmoid(e, x!), doc: "lax.logistic(x) = 1 / (1 + exp(-x))" },
  { names: ["tanh"], jax: "jax.nn.tanh", inputs: 1, dtype: "inexact", flops: 1, lower: (e, [x]) => tanh(e.g, x!), doc: "jnp.tanh(x)" },
  {
    names: ["gelu"], jax: "jax.nn.gelu", inputs: 1, dtype: "inexact", flops: 1,
    args: { approximate: { schema: { type: "boolean" }, default: true } },
    lower: (e, [x]) => gelu(e.g, x!, e.args["approximate"] !== false),
    describe: (a) => (a["approximate"] === false ? "gelu(exact)" : "gelu"),
    doc: "approximate: 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))); exact: 0.5x erfc(-x/sqrt(2))",
  },
  {
    names: ["softmax"], jax: "jax.nn.softmax", inputs: 1, dtype: "inexact", shape: "axes", flops: 1,
    args: { axis: { schema: AXES, default: -1 } },
    lower: (e, [x]) => softmaxOver(e, x!, false), describe: (_a, ax) => call("softmax", [axesText(ax)]),
    doc: "exp(x - max) / sum(exp(x - max)) over the axes",
  },
  {
    names: ["log_softmax"], jax: "jax.nn.log_softmax", inputs: 1, dtype: "inexact", shape: "axes", flops: 1,
    args: { axis: { schema: AXES, default: -1 } },
    lower: (e, [x]) => softmaxOver(e, x!, true), describe: (_a, ax) => call("log_softmax", [axesText(ax)]),
    doc: "(x - max) - log(sum(exp(x - max))) over the axes",
  },
  // the other jax.nn activations
  { names: ["identity"], jax: "jax.nn.identity", inputs: 1, dtype: "numeric", boolOp: "Identity", flops: 0, lower: unary("Identity"), doc: "x" },
  { names: ["relu6"], jax: "jax.nn.relu6", inputs: 1, dtype: "numeric", implicit: "float", flops: 2, lower: (e, [x]) => relu6(e, x!), doc: "jnp.minimum(jnp.maximum(x, 0), 6.)" },
  { names: ["softplus"], jax: "jax.nn.softplus", inputs: 1, dtype: "inexact", flops: 6, lower: (e, [x]) => softplus(e.g, x!), doc: "jnp.logaddexp(x, 0) = max(x, 0) + log1p(exp(-|x|))" },
  { names: ["log_sigmoid"], jax: "jax.nn.log_sigmoid", inputs: 1, dtype: "inexact", flops: 8, lower: (e, [x]) => n(e, "Neg", softplus(e.g, n(e, "Neg", x!))), doc: "-softplus(-x)" },
  {
    names: ["sparse_plus"], jax: "jax.nn.sparse_plus", inputs: 1, dtype: "inexact", flops: 6,
    lower: (e, [x]) => {
      const t = n(e, "Add", x!, e.k(1));
      const q = n(e, "Div", n(e, "Mul", t, t), e.k(4));
      return n(e, "Where", n(e, "LessOrEqual", x!, e.k(-1)), e.k(0), n(e, "Where", n(e, "GreaterOrEqual", x!, e.k(1)), x!, q));
    },
    doc: "0 for x <= -1, x for x >= 1, (x + 1)^2 / 4 between",
  },
  { names: ["soft_sign"], jax: "jax.nn.soft_sign", inputs: 1, dtype: "inexact", flops: 3, lower: (e, [x]) => n(e, "Div", x!, n(e, "Add", n(e, "Abs", x!), e.k(1))), doc: "x / (|x| + 1)" },
  {
    names: ["sparse_sigmoid"], jax: "jax.nn.sparse_sigmoid", inputs: 1, dtype: "inexact", flops: 4,
    lower: (e, [x]) => n(e, "Mul", e.k(0.5), n(e, "Min", e.k(2), n(e, "Max", e.k(0), n(e, "Add", x!, e.k(1))))),
    doc: "0.5 * jnp.clip(x + 1.0, 0.0, 2.0)",
  },
  { names: ["mish"], jax: "jax.nn.mish", inputs: 1, dtype: "inexact", flops: 8, lower: (e, [x]) => n(e, "Mul", x!, n(e, "Tanh", softplus(e.g, x!))), doc: "x * tanh(softplus(x))" },
  {
    names: ["elu"], jax: "jax.nn.elu", inputs: 1, dtype: "inexact", flops: 4,
    args: { alpha: { schema: NUMBER, default: 1.0 } },
    lower: (e, [x]) => elu(e, x!, num(e.args, "alpha")), describe: withArgs("elu", { alpha: 1.0 }),
    doc: "x for x > 0, alpha * expm1(x) otherwise",
  },
  {
    names: ["leaky_relu"], jax: "jax.nn.leaky_relu", inputs: 1, dtype: "inexact", flops: 2,
    args: { negative_slope: { schema: NUMBER, default: 0.01 } },
    // ONNX LeakyRelu is the same select (x < 0 ? alpha x : x) with alpha rounded to float32 as JAX does.
    lower: (e, [x]) => leakyRelu(e.g, x!, num(e.args, "negative_slope")),
    describe: withArgs("leaky_relu", { negative_slope: 0.01 }),
    doc: "x for x >= 0, negative_slope * x otherwise",
  },
  {
    names: ["hard_tanh"], jax: "jax.nn.hard_tanh", inputs: 1, dtype: "numeric", implicit: "int", flops: 2,
    lower: (e, [x]) => n(e, "Where", n(e, "Greater", x!, e.k(1)), e.k(1), n(e, "Where", n(e, "Less", x!, e.k(-1)), e.k(-1), x!)),
    doc: "1 for x > 1, -1 for x < -1, x between",
  },
  {
    names: ["celu"], jax: "jax.nn.celu", inputs: 1, dtype: "inexact", flops: 6,
    args: { alpha: { schema: NUMBER, default: 1.0 } },
    lower: (e, [x]) => {
      const alpha = e.k(num(e.args, "alpha"));
      return n(e, "Add", n(e, "Max", x!, e.k(0)), n(e, "Mul", alpha, expm1(e.g, n(e, "Div", n(e, "Min", x!, e.k(0)), alpha))));
    },
    describe: withArgs("celu", { alpha: 1.0 }),
    doc: "max(x, 0) + alpha * expm1(min(x, 0) / alpha)",
  },
  {
    names: ["selu"], jax: "jax.nn.selu", inputs: 1, dtype: "inexact", flops: 5,
    // jax.nn.selu's constants, rounded to float32 as the Python floats are.
    lower: (e, [x]) => n(e, "Mul", e.k(1.0507009873554804934193349852946), elu(e, x!, 1.6732632423543772848170429916717)),
    doc: "scale * elu(x, alpha), scale 1.0507..., alpha 1.6732...",
  },
  { names: ["hard_sigmoid"], jax: "jax.nn.hard_sigmoid", inputs: 1, dtype: "inexact", flops: 4, lower: (e, [x]) => hardSigmoid(e, x!), doc: "relu6(x + 3.) / 6." },
  { names: ["hard_silu", "hard_swish"], jax: "jax.nn.hard_silu", inputs: 1, dtype: "inexact", flops: 5, lower: (e, [x]) => n(e, "Mul", x!, hardSigmoid(e, x!)), doc: "x * hard_sigmoid(x)" },
  {
    names: ["squareplus"], jax: "jax.nn.squareplus", inputs: 1, dtype: "inexact", flops: 5,
    args: { b: { schema: NUMBER, default: 4 } },
    lower: (e, [x]) => n(e, "Div", n(e, "Add", x!, n(e, "Sqrt", n(e, "Add", n(e, "Mul", x!, x!), e.k(num(e.args, "b"))))), e.k(2)),
    describe: withArgs("squareplus", { b: 4 }),
    doc: "(x + sqrt(x^2 + b)) / 2",
  },
  {
    names: ["log1mexp"], jax: "jax.nn.log1mexp", inputs: 1, dtype: "inexact", flops: 7,
    lower: (e, [x]) => {
      const neg = n(e, "Neg", x!);
      const small = n(e, "Log", n(e, "Neg", expm1(e.g, neg)));
      const large = log1p(e.g, n(e, "Neg", n(e, "Exp", neg)));
      return n(e, "Where", n(e, "Less", x!, e.k(Math.LN2)), small, large);
    },
    doc: "log(1 - exp(-x)): log(-expm1(-x)) below log 2, log1p(-exp(-x)) above",
  },
  {
    names: ["glu"], jax: "jax.nn.glu", inputs: 1, dtype: "float", shape: "glu", flops: 2,
    args: { axis: { schema: { type: "integer" }, default: -1 } },
    lower: (e, [x]) => {
      const [a, b] = e.g.nodeMulti("Split", [x!], 2, { axis: e.axes[0]!, num_outputs: 2 });
      return n(e, "Mul", a!, sigmoid(e, b!));
    },
    describe: withArgs("glu", { axis: -1 }),
    doc: "first half * sigmoid(second half), split in two along axis",
  },
  {
    names: ["standardize"], jax: "jax.nn.standardize", inputs: 1, dtype: "inexact", shape: "axes", flops: 6,
    args: {
      axis: { schema: AXES, default: -1 },
      epsilon: { schema: NUMBER, default: 1e-5 },
      algorithm: { schema: { enum: ["fast", "stable"] }, default: "fast" },
    },
    lower: (e, [x]) => standardize(e, x!),
    describe: (a, ax) => call("standardize", [axesText(ax), ...(a["epsilon"] !== 1e-5 ? [`epsilon=${String(a["epsilon"])}`] : []), ...(a["algorithm"] !== "fast" ? [`algorithm=${String(a["algorithm"])}`] : [])]),
    doc: "(x - mean) * rsqrt(var + epsilon); fast var = max(mean(x^2) - mean^2, 0), stable var = mean((x - mean)^2)",
  },

  {
    names: ["logsumexp"], jax: "jax.nn.logsumexp", inputs: 1, dtype: "inexact", shape: "reduce", flops: 3,
    args: { axis: { schema: AXES, default: null }, keepdims: { schema: { type: "boolean" }, default: false } },
    lower: (e, [x]) => logsumexp(e, x!, false), describe: (_a, ax) => call("logsumexp", [axesText(ax)]),
    doc: "log(sum(exp(x - amax))) + amax over the axes (all by default)",
  },
  {
    names: ["logmeanexp"], jax: "jax.nn.logmeanexp", inputs: 1, dtype: "inexact", shape: "reduce", flops: 3,
    args: { axis: { schema: AXES, default: null }, keepdims: { schema: { type: "boolean" }, default: false } },
    lower: (e, [x]) => logsumexp(e, x!, true), describe: (_a, ax) => call("logmeanexp", [axesText(ax)]),
    doc: "logsumexp(x) - log(count) over the axes (all by default)",
  },

  // jax.numpy arithmetic (add and multiply take 2 to 64 inputs, as in version 1)
  { names: ["add"], jax: "jnp.add", inputs: "many", dtype: "numeric", boolOp: "Or", flops: 1, lower: binary("Add"), doc: "x + y (logical or on bools)" },
  { names: ["multiply"], jax: "jnp.multiply", inputs: "many", dtype: "numeric", boolOp: "And", flops: 1, lower: binary("Mul"), doc: "x * y (logical and on bools)" },
  { names: ["subtract"], jax: "jnp.subtract", inputs: 2, dtype: "numeric", flops: 1, lower: binary("Sub"), doc: "x - y" },
  { names: ["divide"], jax: "jnp.divide", inputs: 2, dtype: "inexact", flops: 1, lower: binary("Div"), doc: "x / y (true division: integers give float32)" },
  { names: ["power"], jax: "jnp.power", inputs: 2, dtype: "numeric", implicit: "int", flops: 1, lower: binary("Pow"), doc: "x ** y; an integer constant exponent multiplies (lax.integer_pow)" },
  { names: ["maximum"], jax: "jnp.maximum", inputs: 2, dtype: "numeric", boolOp: "Or", flops: 1, lower: binary("Max"), doc: "elementwise max, NaN if either is NaN" },
  { names: ["minimum"], jax: "jnp.minimum", inputs: 2, dtype: "numeric", boolOp: "And", flops: 1, lower: binary("Min"), doc: "elementwise min, NaN if either is NaN" },
  { names: ["exp"], jax: "jnp.exp", inputs: 1, dtype: "inexact", flops: 1, lower: unary("Exp"), doc: "e^x" },
  { names: ["log"], jax: "jnp.log", inputs: 1, dtype: "inexact", flops: 1, lower: unary("Log"), doc: "natural log (NaN below 0, -inf at 0)" },
  { names: ["sqrt"], jax: "jnp.sqrt", inputs: 1, dtype: "inexact", flops: 1, lower: unary("Sqrt"), doc: "square root" },
  { names: ["rsqrt"], jax: "lax.rsqrt", inputs: 1, dtype: "inexact", flops: 1, lower: (e, [x]) => n(e, "Reciprocal", n(e, "Sqrt", x!)), doc: "1 / sqrt(x)" },
  { names: ["square"], jax: "jnp.square", inputs: 1, dtype: "numeric", implicit: "int", flops: 1, lower: (e, [x]) => n(e, "Mul", x!, x!), doc: "x * x" },
  { names: ["abs"], jax: "jnp.abs", inputs: 1, dtype: "numeric", boolOp: "Identity", flops: 1, lower: unary("Abs"), doc: "|x|" },
  { names: ["negative"], jax: "jnp.negative", inputs: 1, dtype: "numeric", flops: 1, lower: unary("Neg"), doc: "-x" },
  { names: ["reciprocal"], jax: "jnp.reciprocal", inputs: 1, dtype: "inexact", flops: 1, lower: (e, [x]) => n(e, "Div", e.k(1), x!), doc: "1 / x" },
  { names: ["sin"], jax: "jnp.sin", inputs: 1, dtype: "inexact", flops: 1, lower: unary("Sin"), doc: "sine" },
  { names: ["cos"], jax: "jnp.cos", inputs: 1, dtype: "inexact", flops: 1, lower: unary("Cos"), doc: "cosine" },
  { names: ["erf"], jax: "jax.scipy.special.erf", inputs: 1, dtype: "inexact", flops: 1, lower: unary("Erf"), doc: "the error function" },
  {
    names: ["clip"], jax: "jnp.clip", inputs: 1, dtype: "numeric", flops: 1,
    args: { min: { schema: { type: ["number", "null"] }, default: null }, max: { schema: { type: ["number", "null"] }, default: null } },
    // jnp.clip: maximum(min, x), then minimum(max, x); NaN stays NaN. The bounds are constants,
    // added to the operands by kind.ts so that they take part in promotion.
    lower: (e, [x, ...bounds]) => {
      let y = x!;
      let i = 0;
      if (e.args["min"] !== null) y = n(e, "Max", bounds[i++]!, y);
      if (e.args["max"] !== null) y = n(e, "Min", bounds[i]!, y);
      return y;
    },
    describe: (a) => call("clip", [`${a["min"] ?? "None"}`, `${a["max"] ?? "None"}`]),
    doc: "maximum(min, x), then minimum(max, x)",
  },
  { names: ["where"], jax: "jnp.where", inputs: 3, dtype: "where", flops: 1, lower: (e, [c, a, b]) => n(e, "Where", c!, a!, b!), doc: "x where cond else y (input: [cond, x, y])" },
  { names: ["equal"], jax: "jnp.equal", inputs: 2, dtype: "compare", flops: 1, lower: binary("Equal"), doc: "x == y" },
  { names: ["not_equal"], jax: "jnp.not_equal", inputs: 2, dtype: "compare", flops: 1, lower: (e, [a, b]) => n(e, "Not", n(e, "Equal", a!, b!)), doc: "x != y (true with NaN)" },
  { names: ["less"], jax: "jnp.less", inputs: 2, dtype: "compare", flops: 1, lower: binary("Less"), doc: "x < y" },
  { names: ["less_equal"], jax: "jnp.less_equal", inputs: 2, dtype: "compare", flops: 1, lower: binary("LessOrEqual"), doc: "x <= y" },
  { names: ["greater"], jax: "jnp.greater", inputs: 2, dtype: "compare", flops: 1, lower: binary("Greater"), doc: "x > y" },
  { names: ["greater_equal"], jax: "jnp.greater_equal", inputs: 2, dtype: "compare", flops: 1, lower: binary("GreaterOrEqual"), doc: "x >= y" },
  { names: ["logical_and"], jax: "jnp.logical_and", inputs: 2, dtype: "logical", flops: 1, lower: binary("And"), doc: "x and y (non-bool inputs: != 0)" },
  { names: ["logical_or"], jax: "jnp.logical_or", inputs: 2, dtype: "logical", flops: 1, lower: binary("Or"), doc: "x or y (non-bool inputs: != 0)" },
  { names: ["logical_not"], jax: "jnp.logical_not", inputs: 1, dtype: "logical", flops: 1, lower: unary("Not"), doc: "not x (non-bool inputs: x == 0)" },
  {
    names: ["astype"], jax: "jnp.astype", inputs: 1, dtype: "astype", flops: 1,
    args: { dtype: { schema: { $ref: "#/$defs/inputDtype" } } },
    // kind.ts casts the input to the target dtype; nothing is left to compute.
    lower: (_e, [x]) => x!,
    describe: (a) => call("astype", [String(a["dtype"])]),
    doc: "x converted to dtype (float -> int truncates, saturates, NaN -> 0; -> bool is x != 0)",
  },
];

/** Every row by each of its names. */
export const OPS_BY_NAME: ReadonlyMap<string, OpDef> = new Map(OPS.flatMap((d) => d.names.map((t) => [t, d] as const)));
