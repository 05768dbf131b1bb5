/**
 * The one LayerKind behind every row of ./table.ts: operands (values and Python-scalar
 * constants), JAX's dtype promotion, broadcasting or axes, FLOPs, and the lowering with every
 * input cast to the computation dtype first, as JAX's promotion does.
 */
import { canonicalize, inexact, isFloating, pythonScalar, resultType, type JaxType } from "../../dtypes/promote.js";
import type { IrLayer, TensorType } from "../../ir/model.js";
import type { Lowering } from "../../runtime/lowering.js";
import { castValue, graphDtype } from "../../runtime/onnx/ops_elementwise.js";
import { Expr, product } from "../../shapes/expr.js";
import type { DType } from "../../tensor.js";
import { asList, normalizeAxes, normalizeAxis, numel, ZERO } from "../common.js";
import { broadcastShapes } from "../elementwise.js";
import { call } from "../describe_text.js";
import type { Built, LayerContext, LayerKind } from "../kind.js";
import { integerPow, OPS, type Emit, type OpDef } from "./table.js";

/** An operand: a value (the next of the layer's inputs) or a Python-scalar constant. */
export type Operand = { readonly value: true } | { readonly constant: number; readonly kind: "int" | "float" };

export interface OpAttrs {
  /** The arguments, defaults merged. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly operands: readonly Operand[];
  /** The dtype every operand is cast to before the op (JAX's promoted dtype). */
  readonly compute: DType;
  /** The normalized `axis` argument (softmax, standardize, glu); empty otherwise. */
  readonly axes: readonly number[];
}

/** The dtypes the runtime computes elementwise ops in (float16/bfloat16: in float32, rounded as JAX does). */
const COMPUTABLE: ReadonlySet<DType> = new Set(["float32", "float16", "bfloat16", "int32", "bool"]);

/** How a YAML number was written decides its JAX type: `2` is a weak int, `2.0`, `1e-5`, `.5` weak floats. */
export function literalKind(text: string | undefined, value: number): "int" | "float" {
  if (text === undefined) return Number.isInteger(value) ? "int" : "float";
  return /^[-+]?(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+)$/.test(text.trim()) ? "int" : "float";
}

const isConst = (o: Operand): o is { constant: number; kind: "int" | "float" } => "constant" in o;

function operandsOf(def: OpDef, f: Readonly<Record<string, unknown>>, ctx: LayerContext): Operand[] | undefined {
  if (def.inputs === 1) return [{ value: true }];
  const raw = f["input"] as (string | number)[];
  const want = def.inputs === "many" ? undefined : def.inputs;
  if (want !== undefined && raw.length !== want) {
    const names = want === 3 ? "[cond, x, y]" : "[x, y]";
    ctx.error("NNX2060", "input", `${def.names[0]} takes ${want} inputs ${names}, got ${raw.length}`, `give input: ${names}`);
    return undefined;
  }
  const ops = raw.map((r, k): Operand => (typeof r === "number" ? { constant: r, kind: literalKind(ctx.literal(`input/${k}`), r) } : { value: true }));
  if (ops.every(isConst)) {
    ctx.error("NNX2061", "input", `every input of ${def.names[0]} is a constant; at least one must be a model input or a layer`, "compute constants by hand, or name a value in input");
    return undefined;
  }
  return ops;
}

/** The computation dtype and the output dtype, or undefined after a diagnostic. */
function dtypes(def: OpDef, operands: readonly Operand[], values: readonly TensorType[], args: Readonly<Record<string, unknown>>, ctx: LayerContext): { compute: DType; output: DType } | undefined {
  const name = def.names[0]!;
  let vi = 0;
  const types: JaxType[] = operands.map((o) => (isConst(o) ? pythonScalar(o.kind, ctx.x64) : { dtype: canonicalize(values[vi++]!.dtype, ctx.x64), weak: false }));
  const field = ctx.given("input") ? "input" : undefined;
  const promote = (ts: JaxType[]): JaxType => resultType(def.implicit ? [...ts, pythonScalar(def.implicit, ctx.x64)] : ts, ctx.x64);
  let compute: DType;
  let output: DType;
  switch (def.dtype) {
    case "numeric":
    case "float":
    case "compare": {
      compute = promote(types).dtype;
      output = def.dtype === "compare" ? "bool" : compute;
      if (def.dtype === "float") {
        const bad = values.find((t) => !isFloating(t.dtype));
        if (bad) {
          ctx.error("NNX2062", field, `${def.jax} needs a floating-point input, got ${bad.dtype} (JAX's lax.logistic raises a TypeError on it)`, "convert it first: {type: astype, dtype: float32}");
          return undefined;
        }
      }
      if (def.dtype === "numeric" && compute === "bool" && !def.boolOp) {
        ctx.error("NNX2062", field, `${def.jax} does not take bool inputs (JAX raises a TypeError)`, "convert them first: {type: astype, dtype: int32}");
        return undefined;
      }
      break;
    }
    case "inexact":
      compute = output = inexact(promote(types), ctx.x64).dtype;
      break;
    case "logical":
      compute = output = "bool";
      break;
    case "where":
      compute = output = resultType(types.slice(1), ctx.x64).dtype;
      break;
    case "astype": {
      const to = args["dtype"] as DType;
      compute = output = canonicalize(to, ctx.x64);
      if (to !== output) ctx.warn("NNX2067", "dtype", `astype ${to} gives ${output}: JAX computes with jax_enable_x64 off, where ${to} is not available`, `write dtype: ${output}`);
      break;
    }
  }
  for (const d of new Set([compute, output])) {
    // float64 under x64: decided per lowering at check time (runtime/float64.ts).
    if (!COMPUTABLE.has(d) && !(d === "float64" && ctx.x64)) {
      const runtime = "nnx-gen's runtime computes these ops in float32, float16, bfloat16, int32 and bool only";
      if (def.dtype === "astype") ctx.error("NNX2063", "dtype", `astype to ${d}: ${runtime} so far`, "use dtype float32, bfloat16, int32 or bool");
      else {
        const why = types.map((t) => (t.weak ? `weak ${isFloating(t.dtype) ? "float" : "int"}` : t.dtype)).join(", ");
        ctx.error("NNX2063", field, `${name} here computes in ${d} (JAX's type promotion of ${why}), and ${runtime} so far`, "convert the inputs first: {type: astype, dtype: float32}");
      }
      return undefined;
    }
  }
  return { compute, output };
}

function build(def: OpDef) {
  return (f: Readonly<Record<string, unknown>>, values: readonly TensorType[], ctx: LayerContext): Built<OpAttrs> | undefined => {
    const args: Record<string, unknown> = {};
    for (const a of Object.keys(def.args ?? {})) args[a] = f[a];
    const operands = operandsOf(def, f, ctx);
    if (!operands) return undefined;
    if (def.names[0] === "clip") {
      // jnp.clip promotes the bounds with x: clip(int32 ids, 0.5, ...) is float32.
      for (const b of ["min", "max"]) if (args[b] !== null) operands.push({ constant: args[b] as number, kind: literalKind(ctx.literal(b), args[b] as number) });
      if (args["min"] !== null && args["max"] !== null && (args["min"] as number) > (args["max"] as number)) {
        ctx.warn("NNX2064", "max", `clip min ${String(args["min"])} is above max ${String(args["max"])}: every output is max (jnp.clip applies min, then max)`, "swap min and max");
      }
    }
    const types = dtypes(def, operands, values, args, ctx);
    if (!types) return undefined;

    let vi = 0;
    const shapes = operands.map((o) => (isConst(o) ? [] : values[vi++]!.shape));
    let shape = broadcastShapes(ctx, shapes);
    if (!shape) return undefined;
    let axes: number[] = [];
    const inputShape = shape;
    if (def.shape === "axes" || def.shape === "reduce") {
      const axis = args["axis"];
      const all = [...Array(shape.length).keys()];
      const got = axis === null ? all : normalizeAxes(ctx, "axis", asList(axis as number | number[]), shape.length);
      if (!got) return undefined;
      axes = got;
      if (def.shape === "reduce") shape = args["keepdims"] === true ? shape.map((d, i) => (axes.includes(i) ? Expr.const(1) : d)) : shape.filter((_, i) => !axes.includes(i));
    } else if (def.shape === "glu") {
      const a = normalizeAxis(ctx, "axis", args["axis"] as number, shape.length);
      if (a === undefined) return undefined;
      const size = shape[a]!;
      const ok = ctx.require([size], ([s]) => s! % 2 !== 0, "NNX2066", ctx.given("axis") ? "axis" : undefined, () => `glu splits axis ${a} in two halves, but its size ${size.toString()} is odd`);
      if (!ok) return undefined;
      axes = [a];
      shape = shape.map((d, i) => (i === a ? d.floordiv(2) : d));
    }
    const output: TensorType = { dtype: types.output, shape };
    const per = def.inputs === "many" ? def.flops * (operands.length - 1) : def.flops;
    const counted = def.shape === "reduce" ? product(inputShape) : numel(output);
    return { attrs: { args, operands, compute: types.compute, axes }, numerics: { compute: types.compute }, output, params: [], cost: { macs: ZERO, flops: counted.mul(per) } };
  };
}

function lower(def: OpDef) {
  return (layer: IrLayer<OpAttrs>, ins: readonly string[], l: Lowering): string => {
    const { g } = l;
    const a = layer.attrs;
    // compare: ONNX orders no bools, JAX does (False < True): compare them as int32.
    const compute: DType = def.dtype === "compare" && a.compute === "bool" ? "int32" : a.compute;
    // 16-bit floats are float32 in the graph, rounded after each op (runtime/onnx/rounding.ts).
    const dtype = graphDtype(compute);
    let vi = 0;
    const xs = a.operands.map((o, k) => {
      if (isConst(o)) return g.scalar(o.constant, dtype);
      const name = ins[vi]!;
      const from = l.valueDtype(layer.inputs[vi++]!);
      const to = def.dtype === "logical" || (def.dtype === "where" && k === 0) ? "bool" : compute;
      return castValue(g, name, from, to);
    });
    const e: Emit = { g, dtype, args: a.args, axes: a.axes, k: (v) => g.scalar(v, dtype) };
    if (dtype === "bool" && def.boolOp) return xs.slice(1).reduce((acc, x) => g.node(def.boolOp!, def.boolOp === "Identity" ? [acc] : [acc, x]), xs[0]!);
    // jnp.power with a Python int exponent is lax.integer_pow: multiplications, not Pow.
    const exponent = a.operands[1];
    if (def.names[0] === "power" && exponent && isConst(exponent) && exponent.kind === "int") return integerPow(e, xs[0]!, exponent.constant);
    if (def.inputs === "many") return xs.slice(1).reduce((acc, x) => def.lower(e, [acc, x]), xs[0]!);
    return def.lower(e, xs);
  };
}

/** The row's text, else the name with its constants in place (`multiply(·, 0.125)`), else nothing. */
function describe(def: OpDef): ((a: OpAttrs) => string) | undefined {
  if (def.describe) return (a) => def.describe!(a.args, a.axes);
  if (def.inputs === 1) return undefined;
  return (a) => (a.operands.some(isConst) ? call(def.names[0]!, a.operands.map((o) => (isConst(o) ? String(o.constant) : "·"))) : def.names[0]!);
}

export const opKinds: LayerKind<OpAttrs>[] = OPS.map((def) => {
  const text = describe(def);
  return { types: def.names, arity: def.inputs === 1 ? "one" : "many", build: build(def), lower: lower(def), ...(text ? { describe: text } : {}) };
});
