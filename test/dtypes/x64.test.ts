/**
 * Real float64 (x64): the table of onnxruntime's double kernels (src/runtime/float64.ts), checked
 * against both runtimes we ship by loading and running one tiny opset-21 model per op with double
 * operands (a missing kernel fails at session creation); the check-time dry lowering; --seed's
 * float64 parameters. The layer numerics are the float64 parity cases (fixtures/parity_extra,
 * cases_x64.py) and the refusals fixtures/fail/x64_*.fail.yaml.
 */
import { describe, expect, it } from "vitest";
import * as node from "onnxruntime-node";
import * as web from "onnxruntime-web";
import { GraphBuilder, float, tensorAttr } from "../../src/runtime/onnx/graph.js";
import { DOUBLE_KERNELS, firstFloat64Gap } from "../../src/runtime/float64.js";
import { tensor, type DType } from "../../src/tensor.js";
import { checkSpecText } from "../../src/spec/load.js";
import { initializeParams } from "../../src/params/store.js";
import { UserError } from "../../src/diagnostics/errors.js";
import type { ValueInfoDef } from "../../src/runtime/onnx/proto.js";

web.env.wasm.numThreads = 1;
node.env.logLevel = "error";
web.env.logLevel = "error";

type G = GraphBuilder;
const declared = new WeakMap<G, Set<string>>();
/** A double graph input (declared once per graph), [1, 2, 4, 4] unless told. */
const x = (g: G, name = "x", dims: number[] = [1, 2, 4, 4]): string => {
  if (!declared.has(g)) declared.set(g, new Set());
  const seen = declared.get(g)!;
  if (!seen.has(name)) (g.input(name, "float64", dims), seen.add(name));
  return name;
};
const i64 = (g: G, v: number[]) => g.constInt64(v);
const d0 = (g: G, v: number) => g.constant(tensor("float64", [], new Float64Array([v])));

/** One model per table entry: its output is double (bool and int results are cast). */
const PROBES: Record<string, (g: G) => string> = {
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
  Shape: (g) => g.node("Cast", [g.node("Shape", [x(g)])], { to: 11 }),
  Size: (g) => g.node("Cast", [g.node("Size", [x(g)])], { to: 11 }),
  TopK: (g) => g.nodeMulti("TopK", [x(g), i64(g, [2])], 2)[0],
  If: (g) => {
    const a = x(g);
    const c = g.constant(tensor("bool", [], new Uint8Array([1])));
    return g.node("If", [c], { then_branch: g.subgraph((b) => b.node("Neg", [a]), "float64"), else_branch: g.subgraph((b) => b.node("Abs", [a]), "float64") });
  },
};

async function loads(ort: typeof node | typeof web, g: G): Promise<boolean> {
  const inputs = (g as unknown as { inputs: ValueInfoDef[] }).inputs;
  const feeds = Object.fromEntries(inputs.map((i) => {
    const n = (i.dims as number[]).reduce((a, b) => a * b, 1);
    return [i.name, new ort.Tensor("float64", Float64Array.from({ length: n }, (_, k) => (k % 7) * 0.25 - 0.5), i.dims as number[])];
  }));
  try {
    const s = await ort.InferenceSession.create(g.toBytes());
    await s.run(feeds as never);
    await s.release();
    return true;
  } catch (e) {
    const m = String((e as Error).message);
    if (/implementation|NOT_IMPLEMENTED|not implemented|Could not find/i.test(m)) return false;
    throw e;
  }
}

function probe(op: string): G {
  const g = new GraphBuilder("probe");
  g.output(PROBES[op]!(g), "out", "float64", []);
  (g as unknown as { outputs: { unknownShape?: boolean }[] }).outputs[0]!.unknownShape = true;
  return g;
}

describe("onnxruntime's double kernels (DOUBLE_KERNELS)", () => {
  it("has a probe for every entry and an entry for every probe", () => {
    expect(Object.keys(DOUBLE_KERNELS).sort()).toEqual(Object.keys(PROBES).sort());
  });
  it("matches onnxruntime-node and onnxruntime-web, op by op", async () => {
    const got: Record<string, { node: boolean; web: boolean }> = {};
    for (const op of Object.keys(PROBES)) got[op] = { node: await loads(node, probe(op)), web: await loads(web, probe(op)) };
    expect(got).toEqual(DOUBLE_KERNELS);
  }, 120_000);
});

const known = (entries: [string, DType][]) => new Map<string, DType>(entries);

describe("the check-time walk over a lowered layer (firstFloat64Gap)", () => {
  it("names the first double node without a kernel, looking into If branches", () => {
    const g = new GraphBuilder("t");
    const a = g.input("a", "float64", [3]);
    const c = g.input("c", "bool", []);
    const ok = g.node("Exp", [a]);
    g.node("If", [c], { then_branch: g.subgraph((b) => b.node("Erf", [ok]), "float64"), else_branch: g.subgraph(() => ok, "float64") });
    const nodes = (g as unknown as { nodes: never[] }).nodes;
    expect(firstFloat64Gap(nodes, known([["a", "float64"], ["c", "bool"]]))).toEqual({ op: "Erf", why: "kernel" });
  });
  it("reports a float32 constant mixed into double arithmetic (a lowering bug), and not float32 code", () => {
    const g = new GraphBuilder("t");
    const a = g.input("a", "float64", [3]);
    g.node("Mul", [a, g.scalar(2, "float32")]);
    const f = g.input("f", "float32", [3]);
    g.node("Erf", [f]);
    const nodes = (g as unknown as { nodes: never[]; inits: { name: string; t: { dtype: DType } }[] });
    const types = known([["a", "float64"], ["f", "float32"], ...nodes.inits.map((i) => [i.name, i.t.dtype] as [string, DType])]);
    expect(firstFloat64Gap(nodes.nodes, types)).toEqual({ op: "Mul", why: "mixed" });
  });
  it("follows Cast, comparisons and Where (a float32 select of a double comparison is no double op)", () => {
    const g = new GraphBuilder("t");
    const a = g.input("a", "float64", [3]);
    const f = g.node("Cast", [a], { to: 1 });
    g.node("LeakyRelu", [g.node("Where", [g.node("Less", [a, a]), f, f])], { alpha: float(0.1) });
    expect(firstFloat64Gap((g as unknown as { nodes: never[] }).nodes, known([["a", "float64"]]))).toBeUndefined();
  });
});

const spec = (layers: string) => checkSpecText("t.yaml", `nnx_gen: 1\nmodel: T\nx64: true\ninputs:\n  x: { shape: [2, 8], dtype: float64 }\nlayers:\n${layers}`);

describe("x64 at check time", () => {
  it("accepts float64 layers whose ops all have double kernels, and types them float64", () => {
    const { model, diagnostics } = spec("  - { name: d, type: Linear, out_features: 4, param_dtype: float64 }\n  - { name: n, type: LayerNorm, param_dtype: float64 }\n  - { name: a, type: silu }\n");
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(model!.layers.map((l) => l.output.dtype)).toEqual(["float64", "float64", "float64"]);
  });
  it("refuses a float64 Conv naming the op and suggesting dtype: float32, which is then accepted", () => {
    const conv = "  - { name: c, type: Conv, out_features: 2, kernel_size: [3], param_dtype: float64 }\n";
    const bad = spec(conv).diagnostics.filter((d) => d.severity === "error");
    expect(bad.map((d) => d.code)).toEqual(["NNX2130"]);
    expect(bad[0]!.message).toContain("ONNX Conv, which has no double kernel");
    expect(bad[0]!.hint).toContain("dtype: float32");
    const fixed = spec(conv.replace("param_dtype: float64", "param_dtype: float64, dtype: float32"));
    expect(fixed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(fixed.model!.layers[0]!.output.dtype).toBe("float32");
  });
});

describe("--seed with float64 parameters (x64)", () => {
  it("gives zeros, ones and constants exactly, in float64", () => {
    const { model } = spec("  - { name: n, type: LayerNorm, param_dtype: float64 }\n");
    const p = initializeParams(model!, 0);
    expect(p.get("n.scale")).toEqual({ dtype: "float64", shape: [8], data: new Float64Array(8).fill(1) });
    expect(p.get("n.bias")).toEqual({ dtype: "float64", shape: [8], data: new Float64Array(8) });
  });
  it("draws a random float64 parameter with JAX's PRNG (test/params/jax_random64.test.ts checks the values)", () => {
    const { model } = spec("  - { name: d, type: Linear, out_features: 4, param_dtype: float64 }\n");
    for (const prng of ["partitionable", "legacy"] as const) {
      const k = initializeParams(model!, 0, prng).get("d.kernel")!;
      expect(k.dtype).toBe("float64");
      expect(k.shape).toEqual([8, 4]);
      // lecun_normal on fan_in 8: within 2 stddevs (sqrt(1/8) / .8796...), and not float32 values.
      expect(Array.from(k.data).every((v) => Math.abs(v) < (2 * Math.sqrt(1 / 8)) / 0.87962566103423978 && v !== 0)).toBe(true);
      expect(Array.from(k.data).some((v) => Math.fround(v) !== v)).toBe(true);
    }
  });
  it("refuses a random float64 draw on --prng xoshiro with NNX2131 (a user error naming the parameter)", () => {
    const { model } = spec("  - { name: d, type: Linear, out_features: 4, param_dtype: float64 }\n");
    let err: unknown;
    try {
      initializeParams(model!, 0, "xoshiro");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("NNX2131");
    expect((err as UserError).message).toContain("d.kernel is float64");
    expect((err as UserError).message).toContain("--prng xoshiro");
  });
});

describe("a float64 input file with x64 off", () => {
  it("is rounded to float32 with a note, as parameter files are; with x64 it stays float64, without one", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const { writeNpy } = await import("../../src/io/npy.js");
    const { readInputFile } = await import("../../src/node/files.js");
    const file = join(mkdtempSync(join(tmpdir(), "nnx-x64-")), "x.npy");
    writeFileSync(file, writeNpy(tensor("float64", [2], new Float64Array([1 + 2 ** -40, -0.1]))));
    const notes: string[] = [];
    const off = await readInputFile(file, "float32", 1, { name: "x", onNote: (m) => notes.push(m) });
    expect(off.dtype).toBe("float32");
    expect(Array.from(off.data)).toEqual([1, Math.fround(-0.1)]);
    expect(notes).toEqual([`${file}: float64 converted to float32 (x64 is off, JAX's default; as jnp.asarray rounds it) for input x`]);
    const on = await readInputFile(file, "float64", 1, { name: "x", x64: true, onNote: (m) => notes.push(m) });
    expect(on.dtype).toBe("float64");
    expect(Array.from(on.data)).toEqual([1 + 2 ** -40, -0.1]);
    expect(notes).toHaveLength(1);
  });
});
