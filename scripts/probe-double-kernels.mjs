// Which ONNX ops onnxruntime's CPU kernels run on tensor(double), asked of the runtimes we ship:
// one tiny opset-21 model per op, with every float operand double, loaded (and run) on
// onnxruntime-node and onnxruntime-web (wasm). A missing kernel fails at session creation
// ("Could not find an implementation for ..."). Prints the table src/runtime/onnx/float64.ts holds.
// Usage: npm run build && node scripts/probe-double-kernels.mjs
import { GraphBuilder, float, tensorAttr } from "../dist/runtime/onnx/graph.js";
import { tensor } from "../dist/tensor.js";
import * as node from "onnxruntime-node";
import * as web from "onnxruntime-web";

web.env.wasm.numThreads = 1;
node.env.logLevel = "error";
web.env.logLevel = "error";
const declared = new WeakMap();
const x = (g, name = "x", dims = [1, 2, 4, 4]) => {
  if (!declared.has(g)) declared.set(g, new Set());
  const seen = declared.get(g);
  if (!seen.has(name)) g.input(name, "float64", dims), seen.add(name);
  return name;
};
const i64 = (g, v) => g.constInt64(v);
const d0 = (g, v) => g.constant(tensor("float64", [], new Float64Array([v])));
// op -> (g) => output name. Inputs named x, y, ... are double [1, 2, 4, 4].
const PROBES = {
  Abs: (g) => g.node("Abs", [x(g)]),
  Add: (g) => g.node("Add", [x(g), x(g, "y")]),
  Sub: (g) => g.node("Sub", [x(g), x(g, "y")]),
  Mul: (g) => g.node("Mul", [x(g), x(g, "y")]),
  Div: (g) => g.node("Div", [x(g), x(g, "y")]),
  Pow: (g) => g.node("Pow", [x(g), x(g, "y")]),
  Mod: (g) => g.node("Mod", [x(g), x(g, "y")], { fmod: 1 }),
  Max: (g) => g.node("Max", [x(g), x(g, "y")]),
  Min: (g) => g.node("Min", [x(g), x(g, "y")]),
  Neg: (g) => g.node("Neg", [x(g)]),
  Exp: (g) => g.node("Exp", [x(g)]),
  Log: (g) => g.node("Log", [x(g)]),
  Sqrt: (g) => g.node("Sqrt", [x(g)]),
  Reciprocal: (g) => g.node("Reciprocal", [x(g)]),
  Tanh: (g) => g.node("Tanh", [x(g)]),
  Sigmoid: (g) => g.node("Sigmoid", [x(g)]),
  Relu: (g) => g.node("Relu", [x(g)]),
  LeakyRelu: (g) => g.node("LeakyRelu", [x(g)], { alpha: float(0.01) }),
  // Gelu is an ONNX function: without a kernel, onnxruntime inlines its body (Erf or Tanh).
  "Gelu(approximate=tanh)": (g) => g.node("Gelu", [x(g)], { approximate: "tanh" }),
  "Gelu(approximate=none)": (g) => g.node("Gelu", [x(g)], { approximate: "none" }),
  Erf: (g) => g.node("Erf", [x(g)]),
  Softplus: (g) => g.node("Softplus", [x(g)]),
  Sin: (g) => g.node("Sin", [x(g)]),
  Cos: (g) => g.node("Cos", [x(g)]),
  Floor: (g) => g.node("Floor", [x(g)]),
  Ceil: (g) => g.node("Ceil", [x(g)]),
  Round: (g) => g.node("Round", [x(g)]),
  Sign: (g) => g.node("Sign", [x(g)]),
  Clip: (g) => g.node("Clip", [x(g), d0(g, -1), d0(g, 1)]),
  IsNaN: (g) => g.node("Cast", [g.node("IsNaN", [x(g)])], { to: 11 }),
  IsInf: (g) => g.node("Cast", [g.node("IsInf", [x(g)])], { to: 11 }),
  Equal: (g) => g.node("Cast", [g.node("Equal", [x(g), x(g, "y")])], { to: 11 }),
  Less: (g) => g.node("Cast", [g.node("Less", [x(g), x(g, "y")])], { to: 11 }),
  LessOrEqual: (g) => g.node("Cast", [g.node("LessOrEqual", [x(g), x(g, "y")])], { to: 11 }),
  Greater: (g) => g.node("Cast", [g.node("Greater", [x(g), x(g, "y")])], { to: 11 }),
  GreaterOrEqual: (g) => g.node("Cast", [g.node("GreaterOrEqual", [x(g), x(g, "y")])], { to: 11 }),
  Where: (g) => g.node("Where", [g.node("Less", [x(g), x(g, "y")]), x(g), x(g, "y")]),
  Cast: (g) => g.node("Cast", [g.node("Cast", [x(g)], { to: 1 })], { to: 11 }),
  CastLike: (g) => g.node("CastLike", [g.node("Cast", [x(g)], { to: 1 }), x(g, "y")]),
  MatMul: (g) => g.node("MatMul", [x(g), x(g, "y")]),
  Gemm: (g) => g.node("Gemm", [x(g, "x", [3, 4]), x(g, "y", [4, 5])]),
  Einsum: (g) => g.node("Einsum", [x(g), x(g, "y")], { equation: "bhij,bhjk->bhik" }),
  Softmax: (g) => g.node("Softmax", [x(g)], { axis: -1 }),
  LogSoftmax: (g) => g.node("LogSoftmax", [x(g)], { axis: -1 }),
  ReduceSum: (g) => g.node("ReduceSum", [x(g), i64(g, [-1])], { keepdims: 1 }),
  ReduceMean: (g) => g.node("ReduceMean", [x(g), i64(g, [-1])], { keepdims: 1 }),
  ReduceMax: (g) => g.node("ReduceMax", [x(g), i64(g, [-1])], { keepdims: 1 }),
  ReduceMin: (g) => g.node("ReduceMin", [x(g), i64(g, [-1])], { keepdims: 1 }),
  ReduceProd: (g) => g.node("ReduceProd", [x(g), i64(g, [-1])], { keepdims: 1 }),
  ReduceSumSquare: (g) => g.node("ReduceSumSquare", [x(g), i64(g, [-1])], { keepdims: 1 }),
  ReduceL2: (g) => g.node("ReduceL2", [x(g), i64(g, [-1])], { keepdims: 1 }),
  ReduceLogSumExp: (g) => g.node("ReduceLogSumExp", [x(g), i64(g, [-1])], { keepdims: 1 }),
  ArgMax: (g) => g.node("Cast", [g.node("ArgMax", [x(g)], { axis: -1 })], { to: 11 }),
  CumSum: (g) => g.node("CumSum", [x(g), g.constant(tensor("int64", [], [3n]))]),
  Conv: (g) => g.node("Conv", [x(g), x(g, "w", [3, 2, 3, 3])], { pads: [1, 1, 1, 1] }),
  ConvTranspose: (g) => g.node("ConvTranspose", [x(g), x(g, "w", [2, 3, 3, 3])]),
  MaxPool: (g) => g.node("MaxPool", [x(g)], { kernel_shape: [2, 2] }),
  AveragePool: (g) => g.node("AveragePool", [x(g)], { kernel_shape: [2, 2] }),
  GlobalAveragePool: (g) => g.node("GlobalAveragePool", [x(g)]),
  LayerNormalization: (g) => g.node("LayerNormalization", [x(g), x(g, "s", [4])], { axis: -1 }),
  BatchNormalization: (g) => g.node("BatchNormalization", [x(g), x(g, "s", [2]), x(g, "b", [2]), x(g, "m", [2]), x(g, "v", [2])]),
  // data movement
  Identity: (g) => g.node("Identity", [x(g)]),
  Transpose: (g) => g.node("Transpose", [x(g)], { perm: [0, 2, 3, 1] }),
  Reshape: (g) => g.node("Reshape", [x(g), i64(g, [2, 16])]),
  Squeeze: (g) => g.node("Squeeze", [x(g), i64(g, [0])]),
  Unsqueeze: (g) => g.node("Unsqueeze", [x(g), i64(g, [0])]),
  Expand: (g) => g.node("Expand", [x(g), i64(g, [3, 2, 4, 4])]),
  Concat: (g) => g.node("Concat", [x(g), x(g, "y")], { axis: 1 }),
  Split: (g) => g.nodeMulti("Split", [x(g)], 2, { axis: 1, num_outputs: 2 })[0],
  Slice: (g) => g.node("Slice", [x(g), i64(g, [1]), i64(g, [3]), i64(g, [-1])]),
  Gather: (g) => g.node("Gather", [x(g), i64(g, [1, 0])], { axis: 1 }),
  GatherElements: (g) => g.node("GatherElements", [x(g, "x", [2, 3]), g.constant(tensor("int64", [2, 1], [0n, 2n]))], { axis: 1 }),
  Pad: (g) => g.node("Pad", [x(g), i64(g, [0, 0, 1, 1, 0, 0, 1, 1]), d0(g, 0)]),
  Tile: (g) => g.node("Tile", [x(g), i64(g, [1, 2, 1, 1])]),
  Trilu: (g) => g.node("Trilu", [x(g)]),
  Range: (g) => g.node("Range", [d0(g, 0), d0(g, 5), d0(g, 1)]),
  ConstantOfShape: (g) => g.node("ConstantOfShape", [i64(g, [2, 3])], { value: tensorAttr(tensor("float64", [1], new Float64Array([1.5]))) }),
  TopK: (g) => g.nodeMulti("TopK", [x(g), i64(g, [2])], 2)[0],
  If: (g) => {
    const a = x(g);
    const c = g.constant(tensor("bool", [], new Uint8Array([1])));
    return g.node("If", [c], { then_branch: g.subgraph((b) => b.node("Neg", [a]), "float64"), else_branch: g.subgraph((b) => b.node("Abs", [a]), "float64") });
  },
};

async function probe(ort, bytes, feeds) {
  try {
    const s = await ort.InferenceSession.create(bytes);
    await s.run(feeds);
    await s.release?.();
    return "yes";
  } catch (e) {
    const m = String(e.message ?? e);
    return /implementation|NOT_IMPLEMENTED|not implemented|Could not find/i.test(m) ? "no" : `error: ${m.split("\n")[0].slice(0, 160)}`;
  }
}

const rows = [];
for (const [op, make] of Object.entries(PROBES)) {
  const g = new GraphBuilder("probe");
  const out = make(g);
  g.output(out, "out", "float64", []);
  g["outputs"][0].unknownShape = true;
  const inputs = g["inputs"];
  const bytes = g.toBytes();
  const feeds = (ort) => Object.fromEntries(inputs.map((i) => {
    const n = i.dims.reduce((a, b) => a * b, 1);
    return [i.name, new ort.Tensor("float64", Float64Array.from({ length: n }, (_, k) => (k % 7) * 0.25 - 0.5), i.dims)];
  }));
  rows.push([op, await probe(node, bytes, feeds(node)), await probe(web, bytes, feeds(web))]);
}
console.log(`onnxruntime-node ${node.env.versions?.node ?? "?"}, onnxruntime-web ${web.env.versions?.web ?? "?"}`);
for (const [op, n, w] of rows) console.log(`${op.padEnd(20)} node: ${n.padEnd(4)} web: ${w}`);
