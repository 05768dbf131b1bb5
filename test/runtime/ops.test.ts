import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { gelu, logSoftmax, relu, sigmoid, silu, softmax, tanh } from "../../src/runtime/onnx/ops_activation.js";
import { attend, embedLookup } from "../../src/runtime/onnx/ops_embed.js";
import { einsum, linear, linearGeneral, linearGeneralEquation } from "../../src/runtime/onnx/ops_linear.js";
import { add, mul, reduce } from "../../src/runtime/onnx/ops_math.js";
import { avgPool, maxPool } from "../../src/runtime/onnx/ops_pool.js";
import { concat, reshape, transpose } from "../../src/runtime/onnx/ops_shape.js";
import type { WindowPadding } from "../../src/runtime/onnx/ops_spatial.js";
import { tensor, type DType, type Tensor } from "../../src/tensor.js";
import { arr, einsumRef, poolRef, rand, samePadsRef, type Arr } from "./reference.js";
import { expectClose, f32, runY } from "./helpers.js";

const values = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number>, Number);

/** Graph x -> f(x) -> y with float32 x of shape `shape`. */
async function unary(x: Arr, f: (g: GraphBuilder, x: string) => string): Promise<Tensor> {
  const g = new GraphBuilder();
  g.output(f(g, g.input("x", "float32", x.shape)), "y", "float32", ["?"]);
  return runY(g, { x: f32(x) });
}

const map = (x: Arr, f: (v: number) => number): Arr => ({ shape: x.shape, data: x.data.map(f) });

describe("Embed", () => {
  const table = tensor("float32", [4, 3], [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
  async function lookup(ids: Tensor, t: Tensor = table): Promise<Tensor> {
    const g = new GraphBuilder();
    g.output(embedLookup(g, g.input("ids", ids.dtype, ids.shape), { table: t, idsDtype: ids.dtype }), "y", t.dtype, [...ids.shape, t.shape[1]!]);
    return runY(g, { ids });
  }

  it("arange(4) gives the table rows (Flax test_embed)", async () => {
    const y = await lookup(tensor("int32", [1, 4], [0, 1, 2, 3]));
    expect(y.shape).toEqual([1, 4, 3]);
    expect(values(y)).toEqual(values(table));
  });

  it("[-N, -1] wraps once; below -N or >= N is a NaN row, for every integer dtype", async () => {
    for (const dtype of ["int8", "int16", "int32", "int64", "uint8", "uint32", "uint64"] as DType[]) {
      const signed = !dtype.startsWith("u");
      const ids = signed ? [-1, -4, -5, 4, 2, 100] : [3, 4, 2, 200];
      const y = await lookup(tensor(dtype, [ids.length], ids));
      const want = ids.map((i) => (i >= 0 && i < 4 ? i : i < 0 && i >= -4 ? i + 4 : NaN));
      expectClose(y, arr([ids.length, 3], want.flatMap((v) => [v, v, v])), 0, 0);
    }
    // uint64 beyond 2^63 must not wrap around to a negative (then "valid") index.
    const big = await lookup(tensor("uint64", [1], [2n ** 64n - 1n]));
    expect(values(big).every(Number.isNaN)).toBe(true);
  });

  it("a float16 table fills with float16 NaN", async () => {
    const y = await lookup(tensor("int32", [2], [1, 9]), tensor("float16", [2, 1], [0x3c00, 0x4000]));
    expect(Array.from(y.data as Uint16Array)).toEqual([0x4000, 0x7e00]);
  });

  it("num_embeddings == 1 broadcasts the row whatever the index (Flax >= 0.10.5)", async () => {
    const one = tensor("float32", [1, 3], [7, 8, 9]);
    const y = await lookup(tensor("int16", [2, 3], [0, 10, -5, 1, 0, 3]), one);
    expect(y.shape).toEqual([2, 3, 3]);
    expect(values(y)).toEqual(new Array(6).fill([7, 8, 9]).flat());
  });

  it("0-d ids give a (features,) row, not (1, features): in range, wrapped, out of range, N == 1", async () => {
    for (const dtype of ["int32", "int64", "uint8"] as DType[]) {
      const y = await lookup(tensor(dtype, [], [2]));
      expect(y.shape).toEqual([3]);
      expect(values(y)).toEqual([2, 2, 2]);
    }
    const wrapped = await lookup(tensor("int32", [], [-1]));
    expect(wrapped.shape).toEqual([3]);
    expect(values(wrapped)).toEqual([3, 3, 3]);
    const out = await lookup(tensor("int64", [], [4]));
    expect(out.shape).toEqual([3]);
    expect(values(out).every(Number.isNaN)).toBe(true);
    const single = await lookup(tensor("int32", [], [5]), tensor("float32", [1, 3], [7, 8, 9]));
    expect(single.shape).toEqual([3]);
    expect(values(single)).toEqual([7, 8, 9]);
  });

  it("attend(ones(3)) = [0,3,6,9]", async () => {
    const g = new GraphBuilder();
    g.output(attend(g, g.input("q", "float32", [3]), table), "y", "float32", [4]);
    expect(values(await runY(g, { q: tensor("float32", [3], [1, 1, 1]) }))).toEqual([0, 3, 6, 9]);
  });
});

describe("Linear, LinearGeneral, Einsum", () => {
  it("Linear(3,4) with W=arange(12), b=[0.5,-1,2,0]: [[32.5,37,46,50]]", async () => {
    const g = new GraphBuilder();
    const W = tensor("float32", [3, 4], Array.from({ length: 12 }, (_, i) => i));
    g.output(linear(g, g.input("x", "float32", ["b", 3]), W, tensor("float32", [4], [0.5, -1, 2, 0])), "y", "float32", ["b", 4]);
    expect(values(await runY(g, { x: tensor("float32", [1, 3], [1, 2, 3]) }))).toEqual([32.5, 37, 46, 50]);
  });

  it("Einsum('ab,bc->ac', ones) + ones bias = 4", async () => {
    const g = new GraphBuilder();
    const k = tensor("float32", [3, 4], new Array(12).fill(1));
    g.output(einsum(g, g.input("x", "float32", [2, 3]), "ab,bc->ac", k, { bias: tensor("float32", [4], [1, 1, 1, 1]) }), "y", "float32", [2, 4]);
    expect(values(await runY(g, { x: tensor("float32", [2, 3], new Array(6).fill(1)) }))).toEqual(new Array(8).fill(4));
  });

  // The Flax einsum table (semantics §9.4) with ellipses expanded, plus batch/sum cases.
  const cases: [string, number[], number[], number[] | undefined][] = [
    ["abc,cde->abde", [3, 4, 5], [5, 6, 7], [6, 7]],
    ["abcd,abcd->abcd", [3, 4, 5, 6], [3, 4, 5, 6], [3, 4, 5, 6]],
    ["abcd,abcd->abd", [3, 4, 5, 6], [3, 4, 5, 6], [3, 4, 6]],
    ["abcd,cdef->abef", [3, 4, 5, 6], [5, 6, 7, 8], [7, 8]],
    ["abcd,eafc->bfed", [3, 4, 5, 6], [7, 3, 8, 5], [8, 7]],
    ["abcd,cbedf->abfe", [3, 4, 5, 6], [5, 4, 7, 6, 8], [4, 8, 7]],
    ["dhiab,bchi->adhic", [8, 6, 7, 3, 4], [4, 5, 6, 7], [6, 7, 5]],
    ["btd,dhk->bthk", [2, 5, 16], [16, 4, 8], undefined],
    ["abc,bd->ad", [2, 3, 4], [3, 5], undefined],
    ["ab,b->a", [3, 4], [4], undefined],
    ["abc,cc->ab", [2, 3, 4], [4, 4], undefined],
  ];
  for (const [eq, xs, ks, bs] of cases) {
    it(`${eq} matches a loop reference (MatMul lowering and Einsum op)`, async () => {
      const x = rand(xs, 11), k = rand(ks, 12);
      const want = einsumRef(eq, x, k);
      const out = eq.split("->")[1]!, kl = eq.split(",")[1]!.split("-")[0]!;
      const bias = bs ? rand(bs, 13) : undefined;
      if (bias) {
        const bshape = [...out].map((c) => (kl.includes(c) ? ks[kl.indexOf(c)]! : 1));
        const st = bshape.map((_, i) => bshape.slice(i + 1).reduce((a, b) => a * b, 1));
        for (let i = 0; i < want.data.length; i++) {
          let rem = i, bo = 0;
          for (let a = 0; a < want.shape.length; a++) {
            const sz = want.shape.slice(a + 1).reduce((p, c) => p * c, 1);
            const ia = Math.floor(rem / sz);
            rem %= sz;
            if (bshape[a] !== 1) bo += ia * st[a]!;
          }
          want.data[i]! += bias.data[bo]!;
        }
      }
      for (const useEinsumOp of [false, true]) {
        const g = new GraphBuilder();
        g.output(einsum(g, g.input("x", "float32", xs), eq, f32(k), { useEinsumOp, ...(bias ? { bias: f32(bias) } : {}) }), "y", "float32", want.shape);
        expectClose(await runY(g, { x: f32(x) }), want);
      }
    });
  }

  it("LinearGeneral equations follow Flax's normalized, sorted axes", () => {
    expect(linearGeneralEquation(4, [-2, 3], [], 2)).toBe("abcd,cdef->abef");
    expect(linearGeneralEquation(4, [3, -2], [], 2)).toBe("abcd,cdef->abef");
    expect(linearGeneralEquation(4, [-2, 3], [0], 2)).toBe("abcd,acdef->abef");
    expect(linearGeneralEquation(3, [0, 1], [], 1)).toBe("abc,abd->cd");
  });

  it("LinearGeneral batch_axis={0:2}, axis=(3,-2), ones: 16 (Flax test_dense_general_batch_dim)", async () => {
    const g = new GraphBuilder();
    const kernel = tensor("float32", [2, 3, 5, 7], new Array(210).fill(1));
    const bias = tensor("float32", [2, 7], new Array(14).fill(1));
    g.output(linearGeneral(g, g.input("x", "float32", [2, "n", 3, 5]), { ndim: 4, axis: [3, -2], batchAxis: [0], kernel, bias }), "y", "float32", [2, "n", 7]);
    const y = await runY(g, { x: tensor("float32", [2, 1, 3, 5], new Array(30).fill(1)) });
    expect(y.shape).toEqual([2, 1, 7]);
    expect(values(y)).toEqual(new Array(14).fill(16));
  });
});

describe("activations, softmax, arithmetic, reductions, shapes", () => {
  const x = arr([2, 5], [-3, -1, -0.25, 0, 0.5, 1, 2, 3, 4.5, -6]);
  const erf = (v: number): number => {
    // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead.
    let sum = v, term = v;
    for (let n = 1; n < 80; n++) {
      term *= (-v * v) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };

  it("gelu tanh form (JAX default) and erf form", async () => {
    expectClose(await unary(x, (g, v) => gelu(g, v)), map(x, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))), 1e-6, 1e-5);
    expectClose(await unary(x, (g, v) => gelu(g, v, false)), map(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), 1e-6, 1e-5);
  });

  it("relu, sigmoid, tanh, silu", async () => {
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    expectClose(await unary(x, relu), map(x, (v) => Math.max(0, v)));
    expectClose(await unary(x, sigmoid), map(x, sig), 1e-6, 1e-5);
    expectClose(await unary(x, tanh), map(x, Math.tanh), 1e-6, 1e-5);
    expectClose(await unary(x, silu), map(x, (v) => v * sig(v)), 1e-6, 1e-5);
  });

  it("softmax and log_softmax over an axis", async () => {
    const big = arr([2, 3], [1000, 1001, 1002, -5, 0, 5]);
    const sm = (axisVals: number[]): number[] => {
      const m = Math.max(...axisVals);
      const e = axisVals.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const want = arr([2, 3], [...sm([1000, 1001, 1002]), ...sm([-5, 0, 5])]);
    expectClose(await unary(big, (g, v) => softmax(g, v)), want, 1e-6, 1e-5);
    expectClose(await unary(big, (g, v) => logSoftmax(g, v, 1)), map(want, Math.log), 1e-5, 1e-5);
    const col = await unary(big, (g, v) => softmax(g, v, 0));
    expect(values(col)[0]).toBeCloseTo(1, 6);
  });

  it("reductions with keepdims 0 and over all axes; broadcasting add/mul; reshape/transpose/concat", async () => {
    const t = rand([2, 3, 4], 21);
    const g = new GraphBuilder();
    const v = g.input("x", "float32", [2, 3, 4]);
    g.output(reduce(g, v, "mean", [-1]), "mean", "float32", [2, 3]);
    g.output(reduce(g, v, "max", [0, 2]), "max", "float32", [3]);
    g.output(reduce(g, v, "sum"), "sum", "float32", []);
    g.output(add(g, v, g.constant(tensor("float32", [4], [1, 2, 3, 4]))), "add", "float32", [2, 3, 4]);
    g.output(mul(g, v, g.scalar(2, "float32")), "mul", "float32", [2, 3, 4]);
    g.output(transpose(g, reshape(g, v, [0, -1]), [1, 0]), "rt", "float32", [12, 2]);
    g.output(concat(g, [v, v], 1), "cat", "float32", [2, 6, 4]);
    const { runGraph } = await import("./helpers.js");
    const out = await runGraph(g, { x: f32(t) });
    const at = (i: number, j: number, k: number): number => t.data[i * 12 + j * 4 + k]!;
    const mean = arr([2, 3]);
    const mx = arr([3], [-Infinity, -Infinity, -Infinity]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
      mean.data[i * 3 + j]! += at(i, j, k) / 4;
      mx.data[j] = Math.max(mx.data[j]!, at(i, j, k));
    }
    expectClose(out.mean!, mean);
    expectClose(out.max!, mx);
    expectClose(out.sum!, arr([], [t.data.reduce((a, b) => a + b, 0)]));
    expectClose(out.add!, { shape: [2, 3, 4], data: t.data.map((v, i) => v + [1, 2, 3, 4][i % 4]!) });
    expectClose(out.mul!, map(t, (v) => 2 * v));
    expect(out.rt!.shape).toEqual([12, 2]);
    expect(values(out.rt!)[1]).toBeCloseTo(t.data[12]!, 6);
    expect(out.cat!.shape).toEqual([2, 6, 4]);
  });
});

describe("avg_pool / max_pool", () => {
  async function pool(x: Arr, kind: "avg" | "max", window: number[], strides: number[] | undefined, padding: WindowPadding, countIncludePad = true): Promise<Tensor> {
    const g = new GraphBuilder();
    const o = { inputShape: x.shape, window, ...(strides ? { strides } : {}), padding };
    const v = g.input("x", "float32", x.shape);
    g.output(kind === "max" ? maxPool(g, v, o) : avgPool(g, v, { ...o, countIncludePad }), "y", "float32", x.shape.map((_, i) => `d${i}`));
    return runY(g, { x: f32(x) });
  }

  it("count_include_pad false divides by real elements; true by the window size", async () => {
    const x = arr([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const same = { kind: "same" } as const;
    // SAME 3x3 stride 1: corner window holds 1,2,4,5.
    expect(values(await pool(x, "avg", [3, 3], undefined, same, false))[0]).toBeCloseTo(3, 6);
    expect(values(await pool(x, "avg", [3, 3], undefined, same, true))[0]).toBeCloseTo(12 / 9, 6);
    expect(values(await pool(x, "max", [3, 3], undefined, same))).toEqual([5, 6, 6, 8, 9, 9, 8, 9, 9]);
  });

  it("matches the reference: strides, SAME, SAME_LOWER, explicit pads larger than the window, negative pads", async () => {
    const x = rand([2, 7, 6, 3], 31);
    const cases: [number[], number[], WindowPadding][] = [
      [[2, 2], [2, 2], { kind: "valid" }],
      [[3, 2], [2, 3], { kind: "same" }],
      [[2, 3], [2, 2], { kind: "same_lower" }],
      [[2, 3], [1, 2], { kind: "explicit", pads: [[1, 0], [2, 1]] }],
      [[2, 2], [1, 1], { kind: "explicit", pads: [[3, 2], [0, 2]] }],
      [[2, 2], [2, 1], { kind: "explicit", pads: [[-1, 1], [1, -2]] }],
    ];
    for (const [window, strides, padding] of cases) {
      const pads = padding.kind === "valid" ? [[0, 0], [0, 0]] as [number, number][]
        : padding.kind === "same" ? [samePadsRef(7, window[0]!, strides[0]!), samePadsRef(6, window[1]!, strides[1]!)]
        : padding.kind === "same_lower" ? [samePadsRef(7, window[0]!, strides[0]!).reverse(), samePadsRef(6, window[1]!, strides[1]!).reverse()] as [number, number][]
        : padding.pads.map((p) => [...p] as [number, number]);
      for (const include of [true, false]) {
        // Crop negative pads first, as lax.pad does.
        const cropped = pads.some(([lo, hi]) => lo < 0 || hi < 0) ? cropRef(x, pads) : x;
        const pp = pads.map(([lo, hi]) => [Math.max(0, lo), Math.max(0, hi)] as [number, number]);
        expectClose(await pool(x, "avg", window, strides, padding, include), poolRef(cropped, window, strides, pp, "avg", include));
      }
      const cropped = pads.some(([lo, hi]) => lo < 0 || hi < 0) ? cropRef(x, pads) : x;
      expectClose(await pool(x, "max", window, strides, padding), poolRef(cropped, window, strides, pads.map(([lo, hi]) => [Math.max(0, lo), Math.max(0, hi)]), "max"));
    }
  });

  it("symbolic sizes: SAME with stride 2 computed in the graph (count_include_pad false, max)", async () => {
    const g = new GraphBuilder();
    const dims = ["b", "h", "w", 2];
    const v = g.input("x", "float32", dims);
    const o = { inputShape: dims, window: [3, 2], strides: [2, 2], padding: { kind: "same" } } as const;
    g.output(avgPool(g, v, { ...o, countIncludePad: false }), "avg", "float32", ["b", "p", "q", 2]);
    g.output(maxPool(g, v, o), "max", "float32", ["b", "p", "q", 2]);
    const { runGraph } = await import("./helpers.js");
    for (const [h, w] of [[5, 4], [6, 7]] as const) {
      const x = rand([2, h, w, 2], 50 + h);
      const out = await runGraph(g, { x: f32(x) });
      const pads = [samePadsRef(h, 3, 2), samePadsRef(w, 2, 2)];
      expectClose(out.avg!, poolRef(x, [3, 2], [2, 2], pads, "avg", false));
      expectClose(out.max!, poolRef(x, [3, 2], [2, 2], pads, "max"));
    }
  });

  it("unbatched (rank = len(window)+1) and two batch dims", async () => {
    const x = rand([5, 4, 2], 41);
    const y = await pool(x, "avg", [2, 2], [1, 2], { kind: "valid" });
    expectClose(y, dropBatch(poolRef({ shape: [1, 5, 4, 2], data: x.data }, [2, 2], [1, 2], [[0, 0], [0, 0]], "avg")));
    const x2 = rand([2, 3, 4, 2], 42);
    const y2 = await pool(x2, "max", [2], [1], { kind: "same" });
    const ref = poolRef({ shape: [6, 4, 2], data: x2.data }, [2], [1], [samePadsRef(4, 2, 1)], "max");
    expectClose(y2, { shape: [2, 3, 4, 2], data: ref.data });
  });
});

function dropBatch(a: Arr): Arr {
  return { shape: a.shape.slice(1), data: a.data };
}

/** Crop the negative parts of pads of an (N, H, W, C) array. */
function cropRef(x: Arr, pads: [number, number][]): Arr {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [t, b] = [Math.max(0, -pads[0]![0]), Math.max(0, -pads[0]![1])];
  const [l, r] = [Math.max(0, -pads[1]![0]), Math.max(0, -pads[1]![1])];
  const out = arr([n, h - t - b, w - l - r, c]);
  let o = 0;
  for (let i = 0; i < n; i++) for (let y = t; y < h - b; y++) for (let z = l; z < w - r; z++) for (let k = 0; k < c; k++) out.data[o++] = x.data[((i * h + y) * w + z) * c + k]!;
  return out;
}
