/**
 * Real float64 (`x64: true`): which layers onnxruntime can compute in double, decided at
 * `check` time. The layer is lowered on its own into a scratch graph (zero parameters, nothing
 * run), each node's element type is followed from the inputs, and every node that reads or
 * writes a double must have a double kernel in DOUBLE_KERNELS.
 */
import type { IrLayer, ParamSpec, TensorType } from "../ir/model.js";
import { allocate, type DType, type Tensor } from "../tensor.js";
import { GraphBuilder } from "./onnx/graph.js";
import { graphDtype } from "./onnx/ops_elementwise.js";
import { ONNX_DTYPE, type AttrValue, type NodeDef, type ValueInfoDef } from "./onnx/proto.js";
import { castOf, graphParam, lowerLayer, onnxDims } from "./lower.js";
import type { Lowering } from "./lowering.js";

/**
 * The ONNX ops (opset 21) onnxruntime 1.30's CPU execution provider runs on tensor(double), on
 * the native build (onnxruntime-node) and the WebAssembly one (onnxruntime-web): the same set.
 * Measured by loading one model per op with double operands on both
 * (test/dtypes/x64.test.ts checks every row on both), consistent with the kernel registrations
 * in onnxruntime/core/providers/cpu/cpu_execution_provider.cc (Relu, Sigmoid, Tanh, Exp, MatMul,
 * Gemm, Softmax, ... have `double` typed kernels; Conv, ConvTranspose, AveragePool, LeakyRelu and
 * Softplus are registered untyped, for float). Gelu is an ONNX function: with no
 * kernel for double, onnxruntime inlines its body, which for `approximate: none` calls Erf
 * (and whose constants are float32: nnx-gen spells gelu out in float64 instead).
 * An op missing here counts as having no double kernel. Not modeled: onnxruntime's graph
 * fusions into float-only contrib kernels (x * Sigmoid(x) -> QuickGelu), which the float64
 * lowerings avoid (ops_activation.ts sigmoid).
 */
export const DOUBLE_KERNELS: Readonly<Record<string, { readonly node: boolean; readonly web: boolean }>> = Object.fromEntries(
  Object.entries({
    yes: "Abs Add Sub Mul Div Pow Mod Max Min Neg Exp Log Sqrt Reciprocal Tanh Sigmoid Relu Gelu(approximate=tanh) Sin Cos Floor Ceil Round Sign Clip IsNaN IsInf Equal Less LessOrEqual Greater GreaterOrEqual Where Cast CastLike MatMul Gemm Einsum Softmax LogSoftmax ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd ReduceSumSquare ReduceL2 ReduceLogSumExp ArgMax CumSum MaxPool LayerNormalization BatchNormalization Identity Transpose Reshape Squeeze Unsqueeze Expand Concat Split Slice Gather GatherElements Pad Tile Trilu Range ConstantOfShape TopK If Shape Size",
    no: "LeakyRelu Gelu(approximate=none) Erf Softplus Conv ConvTranspose AveragePool GlobalAveragePool",
  }).flatMap(([has, ops]) => ops.split(" ").map((op) => [op, { node: has === "yes", web: has === "yes" }])),
);

/** The table's key of a node: Gelu's kernel depends on `approximate`. */
function kernelKey(n: NodeDef): string {
  if (n.op !== "Gelu") return n.domain ? `${n.domain}.${n.op}` : n.op;
  const a = n.attrs?.["approximate"];
  return `Gelu(approximate=${a?.kind === "string" ? a.value : "none"})`;
}

const BOOL_OUT = new Set(["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "IsNaN", "IsInf", "And", "Or", "Not", "Xor"]);
const INT64_OUT = new Set(["Shape", "Size", "ArgMax", "ArgMin", "NonZero"]);
const DTYPE_OF = new Map(Object.entries(ONNX_DTYPE).map(([d, n]) => [n, d as DType]));

/** What a node computes on: the element type of its outputs, following ONNX's type rules. */
function outputType(n: NodeDef, typeOf: (v: string) => DType | undefined): DType | undefined {
  const attr = (k: string): AttrValue | undefined => n.attrs?.[k];
  if (n.op === "Cast") {
    const to = attr("to");
    return to?.kind === "int" ? DTYPE_OF.get(Number(to.value)) : undefined;
  }
  if (n.op === "CastLike") return typeOf(n.inputs[1]!);
  if (BOOL_OUT.has(n.op)) return "bool";
  if (INT64_OUT.has(n.op)) return "int64";
  if (n.op === "Where") return typeOf(n.inputs[1]!);
  if (n.op === "ConstantOfShape") {
    const v = attr("value");
    return v?.kind === "tensor" ? v.value.dtype : "float32";
  }
  if (n.op === "If") {
    const b = attr("then_branch");
    return b?.kind === "graph" ? b.value.outputs[0]?.dtype : undefined;
  }
  const first = n.inputs.find((i) => i !== "");
  return first === undefined ? undefined : typeOf(first);
}

/** Ops whose float operands must all have one type (ONNX's `T` for every input). */
const SAME_TYPE = new Set(["Add", "Sub", "Mul", "Div", "Max", "Min", "Mod", "MatMul", "Gemm", "Einsum", "Concat", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Sum", "Mean"]);

export interface Float64Gap {
  /** The ONNX op (Gelu with its `approximate`). */
  readonly op: string;
  /** "kernel": no double kernel; "mixed": the lowering mixes float widths (not lowered in float64 yet). */
  readonly why: "kernel" | "mixed";
}

/**
 * The first node of `nodes` (in order, If branches included) that computes in double where
 * onnxruntime cannot, with `known` holding the types of the graph's inputs and initializers.
 */
export function firstFloat64Gap(nodes: readonly NodeDef[], known: Map<string, DType>, target: "node" | "web" = "node"): Float64Gap | undefined {
  const typeOf = (v: string) => known.get(v);
  for (const n of nodes) {
    for (const a of Object.values(n.attrs ?? {})) {
      if (a.kind !== "graph") continue;
      for (const i of a.value.initializers ?? []) known.set(i.name, i.dtype);
      const gap = firstFloat64Gap(a.value.nodes, known, target);
      if (gap) return gap;
    }
    const out = outputType(n, typeOf);
    for (const o of n.outputs) if (out !== undefined) known.set(o, out);
    const ins = n.inputs.filter((i) => i !== "").map(typeOf);
    if (![...ins, out].includes("float64")) continue;
    const key = kernelKey(n);
    if (!DOUBLE_KERNELS[key]?.[target]) return { op: key, why: "kernel" };
    const isFloat = (d: DType | undefined) => d === "float32" || d === "float64";
    const operands = new Set((n.op === "Where" ? [typeOf(n.inputs[1]!), typeOf(n.inputs[2]!)] : ins).filter(isFloat));
    if ((SAME_TYPE.has(n.op) || n.op === "Where") && operands.size > 1) return { op: key, why: "mixed" };
  }
  return undefined;
}

/**
 * Lower `layer` alone, as lowerModel would (its inputs of `inputs` types, `paramOf` giving the
 * spec of any layer's parameter, attend reading its Embed's table, `mins` the spec's dims
 * minimums), and return the first op it
 * emits in double without a double kernel. Parameters are zero tensors that are never filled
 * (untouched pages cost no memory); nothing is run.
 */
export function float64Gap(layer: IrLayer, inputs: readonly TensorType[], paramOf: (layer: string, name: string) => ParamSpec | undefined, mins: Readonly<Record<string, number>> = {}, target: "node" | "web" = "node"): Float64Gap | undefined {
  const g = new GraphBuilder("float64_check", undefined, target);
  const types = new Map<string, TensorType>(layer.inputs.map((n, k) => [n, inputs[k]!]));
  types.set(layer.name, layer.output);
  const values = layer.inputs.map((n, k) => g.input(`in_${k}`, graphDtype(inputs[k]!.dtype), onnxDims(inputs[k]!)));
  const dims = new Map<string, string>();
  const ctx: Lowering = {
    g,
    param: (owner, name) => {
      const p = paramOf(owner, name);
      if (!p) throw new Error(`no parameter ${owner}.${name}`);
      const dtype = p.dtype;
      const zero = { dtype, shape: [...p.shape], data: allocate(dtype, p.shape.reduce((a, b) => a * b, 1)) } as Tensor;
      return graphParam(zero, castOf(layer));
    },
    dims: (v) => onnxDims(types.get(v)!),
    minDims: (v) => types.get(v)!.shape.map((d) => d.lowerBound(mins)),
    dtype: (v) => graphDtype(types.get(v)!.dtype),
    valueDtype: (v) => types.get(v)!.dtype,
    symbol: (name) => (dims.get(name) ?? dims.set(name, g.input(`dim_${dims.size}`, "int64", [1])).get(name))!,
  };
  const out = lowerLayer(layer, values, inputs.map((t) => t.dtype), ctx);
  // The builder's own lists (read only here: the graph is never built).
  const scratch = g as unknown as { inputs: ValueInfoDef[]; inits: { name: string; t: Tensor }[]; nodes: NodeDef[] };
  const known = new Map<string, DType>([...scratch.inputs.map((i) => [i.name, i.dtype] as const), ...scratch.inits.map((i) => [i.name, i.t.dtype] as const)]);
  const gap = firstFloat64Gap(scratch.nodes, known, target);
  if (gap) return gap;
  // The result must have the layer's dtype (a float32 dot under preferred_element_type float64 would not).
  const results = typeof out === "string" ? [[out, layer.output] as const] : out.map((v, k) => [v, layer.parts![k]!] as const);
  const wrong = results.find(([v, t]) => known.has(v) && known.get(v) !== graphDtype(t.dtype));
  return wrong ? { op: `its result (${known.get(wrong[0])}, not ${wrong[1].dtype})`, why: "mixed" } : undefined;
}
