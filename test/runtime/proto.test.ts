import { describe, expect, it } from "vitest";
import { GraphBuilder, float, floats, tensorAttr } from "../../src/runtime/onnx/graph.js";
import { encodeModel, encodeTensor } from "../../src/runtime/onnx/proto.js";
import { tensor } from "../../src/tensor.js";
import { decodeModel, decodeTensor, readFields } from "./onnx_decode.js";
import { runGraph } from "./helpers.js";

describe("protobuf encoder round trips", () => {
  it("a model with every attribute kind, symbolic dims and an initializer", () => {
    const g = new GraphBuilder("g1");
    const x = g.input("x", "float32", ["batch", 3, "seq"]);
    const w = g.initializer("w", tensor("float32", [2, 3], [1, 2, 3, 4, 5, 6]));
    const y = g.node("Custom", [x, w, ""], {
      i: 7, neg: -3, big: 2n ** 40n, f: float(1), fs: floats([0.5, -2]), is: [1, -1, 300], s: "abc", ss: ["p", "q"],
      t: tensorAttr(tensor("int64", [2], [5n, -6n])), skipped: undefined,
    }, { domain: "test.domain" });
    g.output(y, "out", "float16", ["batch", 2]);
    const m = decodeModel(g.toBytes());
    expect(m.irVersion).toBe(10);
    expect(m.producerName).toBe("nnx-gen");
    expect(m.opsets).toEqual([{ domain: "", version: 21 }]);
    expect(m.graph.name).toBe("g1");
    expect(m.graph.inputs).toEqual([{ name: "x", elemType: 1, dims: ["batch", 3, "seq"] }]);
    expect(m.graph.outputs).toEqual([{ name: "out", elemType: 10, dims: ["batch", 2] }]);
    const init = m.graph.initializers[0]!;
    expect(init.name).toBe("w");
    expect(init.dims).toEqual([2, 3]);
    expect(Array.from(new Float32Array(init.raw!.slice().buffer))).toEqual([1, 2, 3, 4, 5, 6]);
    const n = m.graph.nodes[0]!;
    expect(n.op).toBe("Custom");
    expect(n.domain).toBe("test.domain");
    expect(n.inputs).toEqual(["x", "w", ""]);
    expect(n.outputs).toEqual(["out"]); // renamed in place: no Identity
    const a = Object.fromEntries(n.attrs.map((x) => [x.name, x]));
    expect(Object.keys(a).sort()).toEqual(["big", "f", "fs", "i", "is", "neg", "s", "ss", "t"]);
    expect([a.i!.type, a.i!.i]).toEqual([2, 7n]);
    expect(a.neg!.i).toBe(-3n);
    expect(a.big!.i).toBe(2n ** 40n);
    expect([a.f!.type, a.f!.f]).toEqual([1, 1]);
    expect([a.fs!.type, a.fs!.floats]).toEqual([6, [0.5, -2]]);
    expect([a.is!.type, a.is!.ints]).toEqual([7, [1n, -1n, 300n]]);
    expect([a.s!.type, a.s!.s]).toEqual([3, "abc"]);
    expect([a.ss!.type, a.ss!.strings]).toEqual([8, ["p", "q"]]);
    expect(a.t!.type).toBe(4);
    expect(Array.from(new BigInt64Array(a.t!.t!.raw!.slice().buffer))).toEqual([5n, -6n]);
  });

  it("integer attributes must be integers; floats need float()", () => {
    const g = new GraphBuilder();
    expect(() => g.node("LeakyRelu", ["x"], { alpha: 0.1 })).toThrow(/float\(\)/);
  });

  it("outputs: an input or an already exposed value goes through Identity", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [2]);
    const r = g.node("Relu", [x]);
    g.output(r, "a", "float32", [2]);
    g.output(r, "b", "float32", [2]);
    g.output(x, "c", "float32", [2]);
    const m = decodeModel(g.toBytes());
    expect(m.graph.nodes.map((n) => [n.op, n.inputs, n.outputs])).toEqual([
      ["Relu", ["x"], ["a"]],
      ["Identity", ["a"], ["b"]],
      ["Identity", ["x"], ["c"]],
    ]);
  });

  it("names are unique; constInt64 is shared", () => {
    const g = new GraphBuilder();
    g.input("x", "float32", [1]);
    expect(() => g.input("x", "float32", [1])).toThrow(/already used/);
    expect(g.constInt64([1, 2])).toBe(g.constInt64([1, 2]));
    expect(g.constInt64([1, 2])).not.toBe(g.constInt64([2, 1]));
  });

  it("external data: tensors above the threshold are referenced, not embedded, and ORT loads them", async () => {
    expect(new GraphBuilder().build().externalData).toEqual([]);
    const g = new GraphBuilder();
    const x = g.input("x", "float32", [4]);
    const big = tensor("float32", [4], [10, 20, 30, 40]);
    g.output(g.node("Add", [x, g.constant(big)]), "y", "float32", [4]);
    const built = g.build({ externalAbove: 16 });
    expect(built.externalData).toHaveLength(1);
    expect(built.externalData[0]!.data.buffer).toBe(big.data.buffer); // no copy
    const init = decodeModel(built.bytes).graph.initializers[0]!;
    expect(init.raw).toBeUndefined();
    expect(init.dataLocation).toBe(1);
    expect(init.external).toEqual({ location: built.externalData[0]!.path, offset: "0", length: "16" });
    // The explicit external variant, then runGraph's default build (small tensors embedded).
    const { ortBackend } = await import("../../src/node/ort.js");
    const s = await (await ortBackend()).load(built.bytes, { externalData: built.externalData });
    const out = await s.run({ x: tensor("float32", [4], [1, 2, 3, 4]) });
    await s.release();
    expect(Array.from(out.y!.data as Float32Array)).toEqual([11, 22, 33, 44]);
    expect(Array.from((await runGraph(g, { x: tensor("float32", [4], [1, 1, 1, 1]) })).y!.data as Float32Array)).toEqual([11, 21, 31, 41]);
  });

  it("by default initializers of 1 MiB or more go external, smaller ones are embedded", async () => {
    const g = new GraphBuilder();
    const big = tensor("float32", [2 ** 18], new Float32Array(2 ** 18).fill(0.5));
    const x = g.input("x", "float32", [2 ** 18]);
    g.output(g.node("Add", [g.node("Add", [x, g.constant(big)]), g.scalar(1, "float32")]), "y", "float32", [2 ** 18]);
    const built = g.build();
    expect(built.externalData.map((f) => f.data.byteLength)).toEqual([2 ** 20]);
    expect(built.bytes.byteLength).toBeLessThan(1000);
    const y = (await runGraph(g, { x: tensor("float32", [2 ** 18], new Float32Array(2 ** 18).fill(2)) })).y!;
    expect((y.data as Float32Array).every((v) => v === 3.5)).toBe(true);
  });

  it("encodeTensor and the raw field reader agree on varints of every length", () => {
    const t = decodeTensor(readFields(encodeTensor({ name: "n", dtype: "int8", dims: [0, 1, 127, 128, 2 ** 31, 2 ** 53 - 1], raw: new Uint8Array([1, 2]) })));
    expect(t).toMatchObject({ name: "n", dataType: 3, dims: [0, 1, 127, 128, 2 ** 31, 2 ** 53 - 1] });
    expect(Array.from(t.raw!)).toEqual([1, 2]);
  });

  it("models over 2 GiB are refused with a pointer to external data", () => {
    const huge = { name: "h", dtype: "uint8" as const, dims: [2 ** 31], raw: { length: 2 ** 31, byteLength: 2 ** 31 } as unknown as Uint8Array };
    expect(() => encodeModel({ irVersion: 10, opsets: [], producerName: "", producerVersion: "", graph: { name: "", nodes: [], initializers: [huge], inputs: [], outputs: [] } })).toThrow(/external data/);
  });
});
