/**
 * float16, bfloat16 and float64 tensors cross every backend's interface bit for bit: nnx-gen's
 * binding passes them as raw storage; onnxruntime-node's and onnxruntime-web's APIs have no
 * bfloat16, so the graph declares those inputs/outputs float32 with exact Casts inside
 * (BuildOptions.float32Interface) and compileModel converts on both sides.
 */
import { describe, expect, it } from "vitest";
import { compileSpecModel } from "../../src/runtime/model.js";
import { nativeBackend } from "../../src/node/native.js";
import { ortBackend } from "../../src/node/ort.js";
import { webBackend } from "../../src/web/backend.js";
import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { decodeModel, type DecodedModel } from "./onnx_decode.js";
import type { Backend } from "../../src/runtime/backend.js";
import { tensor, type Tensor } from "../../src/tensor.js";

const SPEC = {
  file: "pass.yaml",
  text: `nnx_gen: 1
model: Pass
x64: true
inputs:
  a: { shape: [2, 3], dtype: bfloat16 }
  b: { shape: [4], dtype: float16 }
  c: { shape: [4], dtype: float64 }
layers:
  - { name: ra, type: reshape, input: a, shape: [6] }
  - { name: rb, type: reshape, input: b, shape: [2, 2] }
outputs: { a6: ra, a: a, b22: rb, c: c }
`,
};

// Signed zero, NaN of both signs, infinities, the smallest subnormal, the largest finite.
const A = new Uint16Array([0x8000, 0xffc0, 0x7fc0, 0xff80, 0x0001, 0x7f7f]);
const B = new Uint16Array([0x8000, 0x0001, 0x7bff, 0xfc00]);
const C = new Float64Array([Math.PI, 1e300, -0, 5e-324]);

const backends: [string, () => Promise<Backend>][] = [
  ["default native backend", () => nativeBackend()],
  ["onnxruntime-node", () => ortBackend()],
  ["onnxruntime-web (wasm)", () => webBackend()],
];

describe.each(backends)("%s", (_label, backend) => {
  it("feeds and fetches bfloat16, float16 and float64 unchanged, bit for bit", async () => {
    const m = await compileSpecModel(SPEC, { seed: 0 }, { backend: await backend() });
    try {
      const out = await m.run({ a: tensor("bfloat16", [2, 3], A), b: tensor("float16", [4], B), c: tensor("float64", [4], C) });
      const bits = (t: Tensor | undefined) => Array.from(t!.data as Uint16Array);
      expect(out.a6!.dtype).toBe("bfloat16");
      expect(out.a6!.data).toBeInstanceOf(Uint16Array);
      expect(bits(out.a6)).toEqual([...A]);
      expect(out.a!.dtype).toBe("bfloat16");
      expect(bits(out.a)).toEqual([...A]);
      expect(out.b22!.dtype).toBe("float16");
      expect(out.b22!.data).toBeInstanceOf(Uint16Array);
      expect(out.b22!.shape).toEqual([2, 2]);
      expect(bits(out.b22)).toEqual([...B]);
      expect(out.c!.dtype).toBe("float64");
      expect(Array.from(out.c!.data as Float64Array)).toEqual([...C]);
      expect(Object.is((out.c!.data as Float64Array)[2], -0)).toBe(true);
    } finally {
      await m.release();
    }
  });
});

describe("BuildOptions.float32Interface", () => {
  it("declares bfloat16 inputs and outputs float32 with a Cast on each side, and leaves the rest", () => {
    const g = new GraphBuilder();
    const x = g.input("x", "bfloat16", [3]);
    g.input("y", "float16", [3]);
    g.output(g.node("Neg", [x]), "z", "bfloat16", [3]);
    g.output(x, "x", "bfloat16", [3]);
    const plain = decodeModel(g.build({ externalAbove: Infinity }).bytes);
    const widened = decodeModel(g.build({ externalAbove: Infinity, float32Interface: ["bfloat16"] }).bytes);
    const elem = (m: DecodedModel, list: "inputs" | "outputs") => m.graph[list].map((v) => `${v.name}:${v.elemType}`);
    // ONNX element types: FLOAT 1, FLOAT16 10, BFLOAT16 16.
    expect(elem(plain, "inputs")).toEqual(["x:16", "y:10"]);
    expect(elem(widened, "inputs")).toEqual(["x:1", "y:10"]);
    expect(elem(widened, "outputs")).toEqual(["z:1", "x:1"]);
    expect(widened.graph.nodes.map((n) => n.op)).toEqual(["Cast", "Neg", "Cast"]);
    expect(plain.graph.nodes.map((n) => n.op)).toEqual(["Neg"]);
  });
});
