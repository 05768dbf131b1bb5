/**
 * The web target's avg_pool as sums (src/runtime/onnx/kernels.ts, avgPoolBySums): where windows
 * tile the input (float32, 2-D, VALID, strides = window) the web graph has no AveragePool and
 * matches a float64 window average on onnxruntime-web and native, for exact and cropped sizes,
 * 2-row and wider windows, symbolic and extra batch dims; elsewhere, and on the node target,
 * AveragePool stays.
 */
import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/runtime/backend.js";
import { GraphBuilder, type Dim, type RuntimeTarget } from "../../src/runtime/onnx/graph.js";
import { avgPool, type PoolOptions } from "../../src/runtime/onnx/ops_pool.js";
import { ortBackend } from "../../src/node/ort.js";
import { webBackend } from "../../src/web/backend.js";
import { arr, poolRef, rand } from "./reference.js";
import { expectClose, graphOps, runXY } from "./helpers.js";

function poolGraph(target: RuntimeTarget, shape: readonly Dim[], o: Omit<PoolOptions, "inputShape">): GraphBuilder {
  const g = new GraphBuilder("pool", undefined, target);
  const x = g.input("x", "float32", shape);
  g.output(avgPool(g, x, { ...o, inputShape: shape }), "y", "float32", shape.map((_, i) => `d${i}`));
  return g;
}



describe("avg_pool as sums on the web target", () => {
  const cases: { name: string; x: number[]; decl?: Dim[]; window: number[] }[] = [
    { name: "2x2 windows tiling the input", x: [2, 8, 6, 3], window: [2, 2] },
    { name: "odd sizes: the last row and column dropped", x: [2, 9, 7, 4], window: [2, 2] },
    { name: "3x3 windows (rows summed by ReduceSum), cropped", x: [1, 10, 9, 2], window: [3, 3] },
    { name: "2x3 windows, symbolic batch", x: [3, 6, 7, 5], decl: ["b", 6, 7, 5], window: [2, 3] },
    { name: "two batch dims", x: [2, 3, 4, 6, 2], window: [2, 2] },
  ];
  let web: Backend, native: Backend;

  for (const [i, t] of cases.entries()) {
    it(`${t.name}: no AveragePool; matches the window average on onnxruntime-web and native`, async () => {
      web ??= await webBackend();
      native ??= await ortBackend();
      const x = rand(t.x, 41 + i);
      const lead = t.x.slice(0, -3);
      const flat = arr([lead.reduce((a, b) => a * b, 1), ...t.x.slice(-3)], x.data);
      const want = poolRef(flat, t.window, t.window, [[0, 0], [0, 0]], "avg");
      const expected = arr([...lead, ...want.shape.slice(1)], want.data);
      const g = poolGraph("web", t.decl ?? t.x, { window: t.window, strides: t.window });
      expect(graphOps(g)).not.toContain("AveragePool");
      expect(graphOps(g)).toContain("ReduceSum");
      expectClose(await runXY(web, g, x), expected, 1e-6, 1e-6);
      expectClose(await runXY(native, g, x), expected, 1e-6, 1e-6);
    });
  }

  it("the node target, overlapping windows, padding, 1-D and symbolic spatial sizes keep AveragePool", () => {
    const has = (g: GraphBuilder) => graphOps(g).includes("AveragePool");
    expect(has(poolGraph("node", [2, 8, 8, 3], { window: [2, 2], strides: [2, 2] }))).toBe(true);
    expect(has(poolGraph("web", [2, 8, 8, 3], { window: [2, 2], strides: [1, 1] }))).toBe(true);
    // SAME on even sizes pads nothing: sums; on odd sizes it pads: AveragePool.
    expect(has(poolGraph("web", [2, 8, 8, 3], { window: [2, 2], strides: [2, 2], padding: { kind: "same" } }))).toBe(false);
    expect(has(poolGraph("web", [2, 7, 8, 3], { window: [2, 2], strides: [2, 2], padding: { kind: "same" } }))).toBe(true);
    expect(has(poolGraph("web", [2, 8, 3], { window: [2], strides: [2] }))).toBe(true);
    expect(has(poolGraph("web", [2, "h", 8, 3], { window: [2, 2], strides: [2, 2] }))).toBe(true);
    expect(has(poolGraph("web", [2, 8, 8, 3], { window: [2, 2], strides: [2, 2] }))).toBe(false);
  });
});
