/**
 * The web target's Winograd F(2x2, 3x3) convolutions (src/runtime/onnx/kernels.ts decides when):
 * the graph has no Conv where it applies and a Conv where it does not, and its outputs match a
 * float64 direct convolution on onnxruntime-web (wasm, the runtime it is for) and on the
 * native runtime, for odd and even sizes, every padding kind it takes, masks and batch dims.
 */
import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/runtime/backend.js";
import { GraphBuilder, type RuntimeTarget } from "../../src/runtime/onnx/graph.js";
import { convNhwc, convTransposeNhwc, type ConvOptions } from "../../src/runtime/onnx/ops_conv.js";
import { ortBackend } from "../../src/node/ort.js";
import { webBackend } from "../../src/web/backend.js";
import { arr, convRef, rand, samePadsRef, type Arr } from "./reference.js";
import { expectClose, f32, graphOps, runXY } from "./helpers.js";

function convGraph(target: RuntimeTarget, x: Arr, o: Omit<ConvOptions, "inputShape">): GraphBuilder {
  const g = new GraphBuilder("conv", undefined, target);
  const xin = g.input("x", "float32", x.shape);
  g.output(convNhwc(g, xin, { ...o, inputShape: x.shape }), "y", "float32", x.shape.map((_, i) => `d${i}`));
  return g;
}



/** Flatten leading batch dims for the reference (one batch dim), and back. */
function refConv(x: Arr, w: Arr, pads: [number, number][], bias?: Arr): Arr {
  const lead = x.shape.slice(0, -3);
  const flat = arr([lead.reduce((a, b) => a * b, 1), ...x.shape.slice(-3)], x.data);
  const y = convRef(flat, w, { pads, ...(bias ? { bias } : {}) });
  return arr([...lead, ...y.shape.slice(1)], y.data);
}

describe("Winograd F(2x2, 3x3) on the web target", () => {
  const cases: { name: string; x: number[]; c: number; o: number; padding: ConvOptions["padding"]; pads: (h: number, w: number) => [number, number][] }[] = [
    { name: "SAME, even sizes", x: [2, 8, 10], c: 32, o: 40, padding: { kind: "same" }, pads: (h, w) => [samePadsRef(h, 3, 1), samePadsRef(w, 3, 1)] },
    { name: "SAME, odd sizes", x: [1, 7, 5], c: 33, o: 32, padding: { kind: "same" }, pads: (h, w) => [samePadsRef(h, 3, 1), samePadsRef(w, 3, 1)] },
    { name: "VALID, odd output", x: [3, 9, 6], c: 32, o: 32, padding: { kind: "valid" }, pads: () => [[0, 0], [0, 0]] },
    { name: "explicit asymmetric pads", x: [1, 6, 7], c: 48, o: 32, padding: { kind: "explicit", pads: [[2, 0], [1, 3]] }, pads: () => [[2, 0], [1, 3]] },
    { name: "two batch dims", x: [2, 2, 4, 4], c: 32, o: 32, padding: { kind: "same" }, pads: () => [[1, 1], [1, 1]] },
    { name: "unbatched", x: [5, 4], c: 32, o: 36, padding: { kind: "same" }, pads: () => [[1, 1], [1, 1]] },
  ];
  let web: Backend, native: Backend;

  for (const [i, t] of cases.entries()) {
    it(`${t.name}: no Conv node; matches the direct convolution on onnxruntime-web and native`, async () => {
      web ??= await webBackend();
      native ??= await ortBackend();
      const x = rand([...t.x, t.c], 11 + i);
      const w = rand([3, 3, t.c, t.o], 23 + i);
      const bias = rand([t.o], 37 + i);
      const mask = i === 1 ? rand([3, 3, t.c, t.o], 5) : undefined;
      if (mask) mask.data.forEach((v, k) => (mask.data[k] = v > 0 ? 1 : 0));
      const wEff = mask ? arr(w.shape, w.data.map((v, k) => v * mask.data[k]!)) : w;
      const [h, wd] = t.x.slice(-2) as [number, number];
      const want = refConv(t.x.length === 2 ? arr([1, ...x.shape], x.data) : x, wEff, t.pads(h, wd), bias);
      const expected = t.x.length === 2 ? arr(want.shape.slice(1), want.data) : want;
      const g = convGraph("web", x, { kernel: f32(w), bias: f32(bias), padding: t.padding, ...(mask ? { mask: f32(mask) } : {}) });
      expect(graphOps(g)).not.toContain("Conv");
      expect(graphOps(g)).toContain("MatMul");
      // Sums of up to 9 * 48 products of values in [-1, 1): float32 rounding, not 1e-4 errors.
      expectClose(await runXY(web, g, x), expected, 2e-5, 2e-5);
      expectClose(await runXY(native, g, x), expected, 2e-5, 2e-5);
    });
  }

  it("the node target, fewer than 32 channels, strides, dilation, groups and symbolic sizes keep Conv", () => {
    const x = rand([1, 8, 8, 32], 1);
    const k = (c: number, o: number) => f32(rand([3, 3, c, o], 2));
    expect(graphOps(convGraph("node", x, { kernel: k(32, 32) }))).toContain("Conv");
    expect(graphOps(convGraph("web", rand([1, 8, 8, 16], 1), { kernel: k(16, 32) }))).toContain("Conv");
    expect(graphOps(convGraph("web", x, { kernel: k(32, 16) }))).toContain("Conv");
    expect(graphOps(convGraph("web", x, { kernel: k(32, 32), strides: [2, 2] }))).toContain("Conv");
    expect(graphOps(convGraph("web", x, { kernel: k(32, 32), kernelDilation: [2, 2] }))).toContain("Conv");
    expect(graphOps(convGraph("web", x, { kernel: k(16, 32), groups: 2 }))).toContain("Conv");
    expect(graphOps(convGraph("web", x, { kernel: k(32, 32), padding: { kind: "circular" } }))).toContain("Conv");
    const g = new GraphBuilder("conv", undefined, "web");
    const dims = ["n", "h", 8, 32];
    g.output(convNhwc(g, g.input("x", "float32", dims), { kernel: k(32, 32), inputShape: dims }), "y", "float32", ["a", "b", "c", "d"]);
    expect(graphOps(g)).toContain("Conv");
  });

  it("a stride-1 ConvTranspose (a Conv over the input) runs as Winograd too and matches", async () => {
    web ??= await webBackend();
    const x = rand([2, 6, 5, 32], 3);
    const w = rand([3, 3, 32, 32], 4);
    const g = new GraphBuilder("convt", undefined, "web");
    const xin = g.input("x", "float32", x.shape);
    const y = convTransposeNhwc(g, xin, { inputShape: x.shape, kernel: f32(w), transposeKernel: false, strides: [1, 1], kernelDilation: [1, 1], padding: { kind: "same" } });
    g.output(y, "y", "float32", ["a", "b", "c", "d"]);
    expect(graphOps(g)).not.toContain("Conv");
    const node = new GraphBuilder("convt");
    node.output(convTransposeNhwc(node, node.input("x", "float32", x.shape), { inputShape: x.shape, kernel: f32(w), transposeKernel: false, strides: [1, 1], kernelDilation: [1, 1], padding: { kind: "same" } }), "y", "float32", ["a", "b", "c", "d"]);
    const want = await runXY(web, node, x);
    expectClose(await runXY(web, g, x), arr([...want.shape], want.data as Float32Array), 2e-5, 2e-5);
  });
});
