import { describe, expect, it } from "vitest";
import { GraphBuilder, type Dim } from "../../src/runtime/onnx/graph.js";
import { convNhwc, type ConvOptions } from "../../src/runtime/onnx/ops_conv.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { arr, convRef, padRef, rand, samePadsRef, type Arr } from "./reference.js";
import { expectClose, f32, ones, runY } from "./helpers.js";
import { decodeModel } from "./onnx_decode.js";

/** x -> convNhwc -> y with the given (possibly symbolic) input dims. */
function convGraph(opts: Omit<ConvOptions, "inputShape">, inDims: readonly Dim[]): GraphBuilder {
  const g = new GraphBuilder();
  const xin = g.input("x", "float32", inDims);
  const y = convNhwc(g, xin, { ...opts, inputShape: inDims });
  g.output(y, "y", "float32", inDims.map((_, i) => `d${i}`));
  return g;
}

/** Build the graph and run it on `x`. */
async function conv(x: Arr, opts: Omit<ConvOptions, "inputShape">, dims?: Dim[]): Promise<Tensor> {
  return runY(convGraph(opts, dims ?? x.shape), { x: f32(x) });
}

const full = (shape: number[], v: number): Arr => arr(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(v));
const k1d = (taps: number[]): Tensor => tensor("float32", [taps.length, 1, 1], taps);
const x1to5 = arr([1, 5, 1], [1, 2, 3, 4, 5]);
const values = (t: Tensor): number[] => Array.from(t.data as Float32Array);

describe("convNhwc: Flax linen/nnx test values (semantics §9.4)", () => {
  it("VALID with and without bias: 10 / 9", async () => {
    expectClose(await conv(ones([1, 8, 3]), { kernel: f32(ones([3, 3, 4])), bias: f32(ones([4])), padding: { kind: "valid" } }), full([1, 6, 4], 10));
    expectClose(await conv(ones([1, 8, 3]), { kernel: f32(ones([3, 3, 4])), padding: { kind: "valid" } }), full([1, 6, 4], 9));
  });

  it("multibatch (2,5,8,3) and unbatched (8,3) inputs", async () => {
    const o = { kernel: f32(ones([3, 3, 4])), bias: f32(ones([4])), padding: { kind: "valid" } } as const;
    expectClose(await conv(ones([2, 5, 8, 3]), o), full([2, 5, 6, 4], 10));
    expectClose(await conv(ones([8, 3]), o), full([6, 4], 10));
  });

  it("masked kernel: rows [10,7,4,1]", async () => {
    const mask = arr([3, 3, 4]);
    for (let k = 0; k < 3; k++) for (let i = 0; i < 3; i++) for (let o = 0; o < 4; o++) mask.data[k * 12 + i * 4 + o] = o <= i ? 1 : 0;
    const y = await conv(ones([8, 3]), { kernel: f32(ones([3, 3, 4])), mask: f32(mask), bias: f32(ones([4])), padding: { kind: "valid" } });
    expectClose(y, arr([6, 4], new Array(6).fill([10, 7, 4, 1]).flat()));
  });

  it("feature groups: 7", async () => {
    expectClose(await conv(ones([1, 8, 4]), { kernel: f32(ones([3, 2, 4])), bias: f32(ones([4])), groups: 2, padding: { kind: "valid" } }), full([1, 6, 4], 7));
  });

  it("CIRCULAR constant inputs give k*n_in (1-D) and k*k*n_in (2-D), pads larger than the input included", async () => {
    for (const [nb, n, nIn, f, k] of [[1, 1, 1, 1, 9], [3, 8, 3, 2, 3], [1, 16, 1, 1, 2], [3, 1, 3, 2, 2], [1, 8, 3, 2, 9]] as const) {
      const y = await conv(ones([nb, n, nIn]), { kernel: f32(ones([k, nIn, f])), padding: { kind: "circular" } });
      expectClose(y, full([nb, n, f], k * nIn));
    }
    for (const [nb, w, nIn, f, k] of [[1, 5, 1, 1, 9], [3, 10, 5, 2, 3], [1, 5, 5, 10, 2]] as const) {
      const y = await conv(ones([nb, 14, w, nIn]), { kernel: f32(ones([k, k, nIn, f])), padding: { kind: "circular" } });
      expectClose(y, full([nb, 14, w, f], k * k * nIn));
    }
  });

  it("CIRCULAR custom: stride 3 -> [9,16], dilation 3 -> [9,13,12,11,15], 2-D", async () => {
    expect(values(await conv(x1to5, { kernel: k1d([1, 2, 1]), strides: [3], padding: { kind: "circular" } }))).toEqual([9, 16]);
    expect(values(await conv(x1to5, { kernel: k1d([1, 2, 1]), kernelDilation: [3], padding: { kind: "circular" } }))).toEqual([9, 13, 12, 11, 15]);
    const x = arr([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const k = tensor("float32", [3, 3, 1, 1], [0, 1, 0, 1, 2, 1, 0, 1, 0]);
    expect(values(await conv(x, { kernel: k, padding: { kind: "circular" } }))).toEqual([18, 21, 24, 27, 30, 33, 36, 39, 42]);
  });

  it("REFLECT custom: stride 2 -> [6,12,18], 2-D", async () => {
    expect(values(await conv(x1to5, { kernel: k1d([1, 2, 1]), strides: [2], padding: { kind: "reflect" } }))).toEqual([6, 12, 18]);
    const x = arr([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const k = tensor("float32", [3, 3, 1, 1], [0, 1, 0, 1, 2, 1, 0, 1, 0]);
    expect(values(await conv(x, { kernel: k, padding: { kind: "reflect" } }))).toEqual([14, 18, 22, 26, 30, 34, 38, 42, 46]);
  });

  it("CAUSAL: rows [5,9,13,13,...]", async () => {
    const y = await conv(ones([1, 8, 4]), { kernel: f32(ones([3, 4, 4])), bias: f32(ones([4])), padding: { kind: "causal" } });
    expectClose(y, arr([1, 8, 4], [5, 9, 13, 13, 13, 13, 13, 13].flatMap((v) => [v, v, v, v])));
  });
});

describe("convNhwc: derived 1-D table (semantics §9.6), x=[1..5]", () => {
  const cases: [string, number[], Omit<ConvOptions, "inputShape" | "kernel">, number[]][] = [
    ["SAME", [1, 2, 1], {}, [4, 8, 12, 16, 14]],
    ["SAME stride 2", [1, 2, 1], { strides: [2] }, [4, 12, 14]],
    ["SAME kernel dilation 2", [1, 2, 1], { kernelDilation: [2] }, [5, 8, 12, 10, 13]],
    ["padding 1", [1, 2, 1], { padding: { kind: "explicit", pads: [[1, 1]] } }, [4, 8, 12, 16, 14]],
    ["padding [(2,1)]", [1, 2, 1], { padding: { kind: "explicit", pads: [[2, 1]] } }, [1, 4, 8, 12, 16, 14]],
    ["input dilation 2", [1, 2, 1], { inputDilation: [2], padding: { kind: "explicit", pads: [[0, 0]] } }, [3, 4, 5, 6, 7, 8, 9]],
    ["CAUSAL dilation 2", [1, 2, 1], { kernelDilation: [2], padding: { kind: "causal" } }, [1, 2, 5, 8, 12]],
    ["CAUSAL stride 2", [1, 2, 1], { strides: [2], padding: { kind: "causal" } }, [1, 8, 16]],
    ["[1,10] SAME", [1, 10], {}, [21, 32, 43, 54, 5]],
    ["4-tap SAME", [1, 10, 100, 1000], {}, [3210, 4321, 5432, 543, 54]],
    ["4-tap CIRCULAR", [1, 10, 100, 1000], { padding: { kind: "circular" } }, [3215, 4321, 5432, 1543, 2154]],
    ["4-tap REFLECT", [1, 10, 100, 1000], { padding: { kind: "reflect" } }, [3212, 4321, 5432, 4543, 3454]],
  ];
  for (const [name, taps, o, want] of cases) {
    it(name, async () => {
      expect(values(await conv(x1to5, { ...o, kernel: k1d(taps) }))).toEqual(want);
    });
  }
});

describe("convNhwc against the naive reference", () => {
  it("2-D: strides, kernel and input dilation, groups, asymmetric and negative pads, bias", async () => {
    const x = rand([2, 9, 7, 6], 1);
    const w6 = rand([3, 2, 2, 6], 3); // groups 3: 6/3 = 2 in-features per group
    const bias = rand([6], 4);
    for (const o of [
      { strides: [2, 1], kernelDilation: [1, 2], pads: [[1, 2], [0, 1]] as [number, number][] },
      { strides: [1, 3], inputDilation: [2, 3], pads: [[-1, 2], [3, -2]] as [number, number][] },
      { strides: [2, 2], kernelDilation: [2, 1], inputDilation: [1, 2], pads: [[-2, -1], [0, 0]] as [number, number][] },
    ]) {
      const y = await conv(x, { kernel: f32(w6), bias: f32(bias), groups: 3, strides: o.strides, kernelDilation: o.kernelDilation ?? [1, 1], inputDilation: o.inputDilation ?? [1, 1], padding: { kind: "explicit", pads: o.pads } });
      expectClose(y, convRef(x, w6, { strides: o.strides, rhsDilation: o.kernelDilation ?? [1, 1], lhsDilation: o.inputDilation ?? [1, 1], pads: o.pads, groups: 3, bias }));
    }
  });

  it("a kernel given as an OIHW value name", async () => {
    const x = rand([1, 6, 5, 2], 15);
    const w = rand([3, 2, 2, 4], 16);
    const g = new GraphBuilder();
    const oihw = g.constant(tensor("float32", [4, 2, 3, 2], Float32Array.from({ length: 48 }, (_, i) => {
      const [o, c, kh, kw] = [Math.floor(i / 12), Math.floor(i / 6) % 2, Math.floor(i / 2) % 3, i % 2];
      return w.data[((kh * 2 + kw) * 2 + c) * 4 + o]!;
    })));
    g.output(convNhwc(g, g.input("x", "float32", x.shape), { inputShape: x.shape, kernel: { name: oihw, kernelSize: [3, 2] }, padding: { kind: "valid" } }), "y", "float32", [1, 4, 4, 4]);
    expectClose(await runY(g, { x: f32(x) }), convRef(x, w));
  });

  it("3-D conv with SAME, strides and groups", async () => {
    const x = rand([2, 5, 6, 7, 4], 5);
    const w = rand([3, 2, 3, 2, 4], 6);
    const strides = [2, 1, 3];
    const y = await conv(x, { kernel: f32(w), groups: 2, strides });
    const pads = [5, 6, 7].map((n, i) => samePadsRef(n, [3, 2, 3][i]!, strides[i]!));
    expectClose(y, convRef(x, w, { strides, pads, groups: 2 }));
  });

  it("depthwise 2-D CIRCULAR and REFLECT vs numpy-style padding, with 2 extra batch dims", async () => {
    const x = rand([2, 3, 6, 5, 4], 7);
    const w = rand([3, 4, 1, 4], 8);
    for (const mode of ["circular", "reflect"] as const) {
      const y = await conv(x, { kernel: f32(w), groups: 4, padding: { kind: mode }, strides: [2, 2], kernelDilation: [1, 2] });
      const keff = [3, 7];
      const pads = keff.map((k) => [Math.floor((k - 1) / 2), Math.floor(k / 2)] as [number, number]);
      const flat = { shape: [6, 6, 5, 4], data: x.data };
      const ref = convRef(padRef(flat, pads, mode === "circular" ? "wrap" : "reflect"), w, { strides: [2, 2], rhsDilation: [1, 2], groups: 4 });
      expectClose(y, { shape: [2, 3, ...ref.shape.slice(1)], data: ref.data });
    }
  });

  it("symbolic batch and spatial dims: SAME with stride 2 computed in the graph, at odd and even sizes", async () => {
    const w = rand([3, 4, 3, 5], 9);
    for (const [h, wd] of [[7, 8], [8, 5], [1, 2]] as const) {
      const x = rand([2, h, wd, 3], 10 + h);
      const y = await conv(x, { kernel: f32(w), strides: [2, 3] }, ["batch", "h", "w", 3]);
      const pads = [samePadsRef(h, 3, 2), samePadsRef(wd, 4, 3)];
      expectClose(y, convRef(x, w, { strides: [2, 3], pads }));
    }
  });

  it("SAME_LOWER: the odd pad element low, static and symbolic (pads computed in the graph for strides > 1)", async () => {
    const lowerPads = (n: number, k: number, s: number): [number, number] => {
      const [lo, hi] = samePadsRef(n, k, s);
      return [hi, lo];
    };
    // x = [1..5], taps [1, 10]: SAME pads (0, 1) -> [21, 32, 43, 54, 5]; SAME_LOWER pads (1, 0) -> [10, 21, 32, 43, 54].
    expect(values(await conv(x1to5, { kernel: k1d([1, 10]), padding: { kind: "same_lower" } }))).toEqual([10, 21, 32, 43, 54]);
    expect(values(await conv(x1to5, { kernel: k1d([1, 10]), padding: { kind: "same_lower" } }, [1, "n", 1]))).toEqual([10, 21, 32, 43, 54]);
    const w = rand([4, 2, 3, 5], 50);
    for (const [h, wd] of [[7, 8], [8, 5], [1, 2]] as const) {
      const x = rand([2, h, wd, 3], 51 + h);
      const ref = convRef(x, w, { strides: [2, 3], rhsDilation: [1, 2], pads: [lowerPads(h, 4, 2), lowerPads(wd, 3, 3)] });
      const o = { kernel: f32(w), strides: [2, 3], kernelDilation: [1, 2], padding: { kind: "same_lower" } } as const;
      expectClose(await conv(x, o), ref);
      expectClose(await conv(x, o, ["batch", "h", "w", 3]), ref);
    }
  });

  it("CIRCULAR and REFLECT exact when the pads reach or exceed the size (1, 2, 3, 8), symbolic or static", async () => {
    // kernel (7, 3): pads (3, 3) on h and (1, 1) on w; h = 1 and 2 are smaller than the pad.
    const w = rand([7, 3, 2, 3], 21);
    for (const [h, wd] of [[1, 1], [2, 3], [3, 2], [8, 5]] as const) {
      const x = rand([2, h, wd, 2], 30 + h);
      for (const mode of ["circular", "reflect"] as const) {
        const ref = convRef(padRef(x, [[3, 3], [1, 1]], mode === "circular" ? "wrap" : "reflect"), w);
        expectClose(await conv(x, { kernel: f32(w), padding: { kind: mode } }, ["batch", "h", "w", 2]), ref);
        // and the same sizes static (Slice/Concat for wrap, stepwise Pad for reflect)
        expectClose(await conv(x, { kernel: f32(w), padding: { kind: mode } }), ref);
      }
    }
    // Symbolic sizes whose `dims` minimum covers the pads: Slice/Concat (wrap) or one reflect
    // Pad, no Gather; exact down to the smallest allowed size (wrap: n = pad; reflect: n = pad + 1).
    for (const mode of ["circular", "reflect"] as const) {
      const min = mode === "circular" ? 3 : 4;
      const opts = { kernel: f32(w), padding: { kind: mode }, minInputShape: [undefined, min, 1, 2] } as const;
      const ops = decodeModel(convGraph(opts, ["batch", "h", "w", 2]).toBytes()).graph.nodes.map((n) => n.op);
      // w's minimum 1 covers its wrap pads (1, 1) but not a reflection of them.
      expect(ops.filter((op) => op === "Gather")).toHaveLength(mode === "circular" ? 0 : 1);
      for (const h of [min, min + 1, 9]) {
        const xs = rand([2, h, 3, 2], 50 + h);
        expectClose(await conv(xs, opts, ["batch", "h", "w", 2]), convRef(padRef(xs, [[3, 3], [1, 1]], mode === "circular" ? "wrap" : "reflect"), w));
      }
    }
    // only one axis symbolic: the static one keeps Slice/Concat and Pad.
    const x = rand([1, 2, 4, 2], 40);
    for (const mode of ["circular", "reflect"] as const) {
      const y = await conv(x, { kernel: f32(w), padding: { kind: mode } }, [1, "h", 4, 2]);
      expectClose(y, convRef(padRef(x, [[3, 3], [1, 1]], mode === "circular" ? "wrap" : "reflect"), w));
    }
  });
});
