/**
 * float16/bfloat16/float64 semantics (contract 6.5): the IR dtypes each layer gets from
 * flax.nnx.nn.dtypes.promote_dtype and JAX's promotion, where the lowering rounds (the Cast
 * pairs of runtime/onnx/rounding.ts), and end-to-end values on the native runtime against a
 * bit-exact emulation of JAX's per-op rounding.
 */
import { describe, expect, it } from "vitest";
import { checkSpecText } from "../../src/spec/load.js";
import { summarize } from "../../src/summary/summary.js";
import { lowerModel } from "../../src/runtime/lower.js";
import { compileModel } from "../../src/runtime/model.js";
import { bf16ToF32, f32ToBf16 } from "../../src/io/convert.js";
import type { IrModel } from "../../src/ir/model.js";
import type { Tensor } from "../../src/tensor.js";
import { decodeModel } from "../runtime/onnx_decode.js";

function check(body: string, inputs = "  x: { shape: [2, 8], dtype: bfloat16 }\n", extra = "") {
  const checked = checkSpecText("t.yaml", `nnx_gen: 1\nmodel: T\n${extra}inputs:\n${inputs}layers:\n${body}`);
  return { model: checked.model, diagnostics: checked.diagnostics };
}

function build(body: string, inputs?: string, extra?: string): IrModel {
  const { model, diagnostics } = check(body, inputs, extra);
  expect(diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return model!;
}

const out = (m: IrModel, name: string) => m.layers.find((l) => l.name === name)!.output.dtype;

describe("IR dtypes: promote_dtype per layer", () => {
  it.each([
    // [layer fields, input dtype, output dtype]
    ["{ name: y, type: Linear, out_features: 4 }", "bfloat16", "float32"], // result_type(bf16, f32 params)
    ["{ name: y, type: Linear, out_features: 4, param_dtype: bfloat16 }", "bfloat16", "bfloat16"],
    ["{ name: y, type: Linear, out_features: 4, param_dtype: bfloat16 }", "float32", "float32"],
    ["{ name: y, type: Linear, out_features: 4, dtype: bfloat16 }", "float32", "bfloat16"],
    ["{ name: y, type: Linear, out_features: 4, param_dtype: float16, dtype: float32 }", "float16", "float32"],
    ["{ name: y, type: Linear, out_features: 4, param_dtype: bfloat16, preferred_element_type: float32 }", "bfloat16", "float32"],
    ["{ name: y, type: Linear, out_features: 4, param_dtype: bfloat16, preferred_element_type: float32, use_bias: false }", "bfloat16", "float32"],
    ["{ name: y, type: Linear, out_features: 4, param_dtype: float16 }", "bfloat16", "float32"], // bf16 x f16 -> f32
    ["{ name: y, type: LinearGeneral, out_features: [2, 2], param_dtype: float16 }", "float16", "float16"],
    ["{ name: y, type: Einsum, einsum_str: 'bd,dk->bk', kernel_shape: [8, 3], param_dtype: bfloat16 }", "bfloat16", "bfloat16"],
    ["{ name: y, type: LayerNorm }", "bfloat16", "float32"], // canonicalize_dtype(x, scale, bias)
    ["{ name: y, type: LayerNorm, param_dtype: bfloat16 }", "bfloat16", "bfloat16"],
    ["{ name: y, type: RMSNorm, dtype: float16 }", "float32", "float16"],
    ["{ name: y, type: LayerNorm, use_scale: false, use_bias: false }", "float16", "float16"],
    ["{ name: y, type: Dropout, rate: 0.5, deterministic: true }", "bfloat16", "bfloat16"],
    ["{ name: y, type: reshape, shape: [16] }", "float16", "float16"],
    ["{ name: y, type: exp }", "bfloat16", "bfloat16"],
    ["{ name: y, type: add, input: [x, 2.0] }", "bfloat16", "bfloat16"], // a weak scalar does not widen
    ["{ name: y, type: add, input: [x, 2] }", "float16", "float16"],
    ["{ name: y, type: softmax }", "bfloat16", "bfloat16"],
    ["{ name: y, type: mean, axis: -1 }", "bfloat16", "bfloat16"],
    ["{ name: y, type: astype, dtype: bfloat16 }", "float32", "bfloat16"],
  ])("%s on %s gives %s", (layer, input, want) => {
    const m = build(`  - ${layer}\n`, `  x: { shape: [2, 8], dtype: ${input} }\n`);
    expect(out(m, "y")).toBe(want);
  });

  it("two strong 16-bit types join at float32; float32 with bfloat16 is float32", () => {
    const m = build("  - { name: a, type: add, input: [x, h] }\n  - { name: b, type: multiply, input: [x, f] }\n", "  x: { shape: [4], dtype: bfloat16 }\n  h: { shape: [4], dtype: float16 }\n  f: { shape: [4] }\n", "");
    expect(out(m, "a")).toBe("float32");
    expect(out(m, "b")).toBe("float32");
  });

  it("Embed gathers in dtype or its table's param_dtype; attend computes in the Embed's dtype", () => {
    const m = build(
      "  - { name: emb, type: Embed, input: ids, num_embeddings: 10, features: 8, param_dtype: bfloat16 }\n  - { name: e32, type: Embed, input: ids, num_embeddings: 10, features: 8, param_dtype: bfloat16, dtype: float32 }\n  - { name: logits, type: attend, input: q, embed: emb }\n",
      "  ids: { shape: [2, 3], dtype: int32 }\n  q: { shape: [2, 8] }\n",
    );
    expect(out(m, "emb")).toBe("bfloat16");
    expect(out(m, "e32")).toBe("float32");
    expect(out(m, "logits")).toBe("bfloat16"); // the float32 query is cast to the table's dtype
    expect(m.layers[0]!.params[0]!.dtype).toBe("bfloat16");
  });

  it("parameters are declared in param_dtype and summarized by their real bytes", () => {
    const m = build("  - { name: y, type: Linear, out_features: 4, param_dtype: bfloat16 }\n  - { name: z, type: Linear, out_features: 4, param_dtype: float16, use_bias: false }\n");
    expect(m.layers.flatMap((l) => l.params.map((p) => p.dtype))).toEqual(["bfloat16", "bfloat16", "float16"]);
    // (8*4 + 4) bfloat16 + 4*4 float16, 2 bytes each.
    expect(summarize(m, {}).totals.param_bytes).toBe((8 * 4 + 4 + 4 * 4) * 2);
  });

  it("x64 off: float64 inputs, params and dtypes are float32, each with a warning", () => {
    const { model, diagnostics } = check("  - { name: y, type: Linear, out_features: 4, param_dtype: float64, dtype: float64 }\n", "  x: { shape: [2, 8], dtype: float64 }\n");
    expect(diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(["warning NNX2110", "warning NNX2110", "warning NNX2110"]);
    expect(model!.inputs[0]!.type.dtype).toBe("float32");
    expect(out(model!, "y")).toBe("float32");
    expect(model!.layers[0]!.params[0]!.dtype).toBe("float32");
  });

  it("x64 on: float64 data movement and computation where onnxruntime has double kernels; else a check error at the field", () => {
    const ok = check("  - { name: y, type: reshape, shape: [16] }\n", "  x: { shape: [2, 8], dtype: float64 }\n", "x64: true\n");
    expect(ok.diagnostics).toEqual([]);
    expect(out(ok.model!, "y")).toBe("float64");
    const dense = check("  - { name: y, type: Linear, out_features: 4, dtype: float64 }\n", "  x: { shape: [2, 8] }\n", "x64: true\n");
    expect(dense.diagnostics).toEqual([]);
    expect(out(dense.model!, "y")).toBe("float64");
    const bad = check("  - { name: y, type: Conv, out_features: 4, kernel_size: [3], dtype: float64 }\n", "  x: { shape: [2, 8, 3] }\n", "x64: true\n");
    expect(bad.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["NNX2130", 7, 70]]);
  });
});

/** The op types in graph order, with Cast nodes written as their target (Cast:16 = bfloat16, Cast:1 = float32). */
function ops(m: IrModel, params: Map<string, Tensor>): string[] {
  const d = decodeModel(lowerModel(m, params).bytes);
  return d.graph.nodes.map((n) => (n.op === "Cast" ? `Cast:${n.attrs.find((a) => a.name === "to")!.i}` : n.op));
}

const zeros = (m: IrModel): Map<string, Tensor> =>
  new Map(m.layers.flatMap((l) => l.params.map((p) => [`${l.name}.${p.name}`, { dtype: p.dtype, shape: p.shape, data: new (p.dtype === "float32" ? Float32Array : Uint16Array)(p.shape.reduce((a, b) => a * b, 1)) } as Tensor])));

describe("lowering: Casts exactly where JAX rounds", () => {
  it("Linear in bfloat16: the input is widened, the dot rounds once, the bias add rounds again", () => {
    const m = build("  - { name: y, type: Linear, out_features: 4, param_dtype: bfloat16 }\n");
    expect(ops(m, zeros(m))).toEqual(["Cast:1", "MatMul", "Cast:16", "Cast:1", "Add", "Cast:16", "Cast:1"]);
  });

  it("preferred_element_type float32: no rounding after the dot, and the bias add stays float32", () => {
    const m = build("  - { name: y, type: Linear, out_features: 4, param_dtype: bfloat16, preferred_element_type: float32 }\n");
    expect(ops(m, zeros(m))).toEqual(["Cast:1", "MatMul", "Add"]);
  });

  it("dtype bfloat16 on float32: the input is rounded first (promote_dtype's cast)", () => {
    const m = build("  - { name: y, type: Linear, out_features: 4, dtype: bfloat16, use_bias: false }\n", "  x: { shape: [2, 8] }\n");
    expect(ops(m, zeros(m))).toEqual(["Cast:16", "Cast:1", "MatMul", "Cast:16", "Cast:1"]);
  });

  it("float16 Conv: the bias is not fused into the Conv, so the conv and the add round apart", () => {
    const m = build("  - { name: y, type: Conv, out_features: 2, kernel_size: [3], param_dtype: float16 }\n", "  x: { shape: [1, 5, 3], dtype: float16 }\n");
    const o = ops(m, zeros(m));
    const conv = o.indexOf("Conv");
    expect(o.slice(conv, conv + 3)).toEqual(["Conv", "Cast:10", "Cast:1"]);
    expect(o).toContain("Add");
  });

  it("LayerNorm in bfloat16: statistics and normalization in float32, one rounding at the end", () => {
    const m = build("  - { name: y, type: LayerNorm, param_dtype: bfloat16 }\n");
    const o = ops(m, zeros(m));
    expect(o[0]).toBe("Cast:1");
    expect(o.slice(1, -2).filter((op) => op.startsWith("Cast"))).toEqual([]);
    // The output is the rounding's own bfloat16 Cast (no third Cast).
    expect(o.slice(-2)).toEqual(["Cast:16", "Cast:1"]);
  });

  it("float32 models have no Cast at all", () => {
    const m = build("  - { name: y, type: Linear, out_features: 4 }\n  - { type: gelu }\n  - { type: softmax }\n", "  x: { shape: [2, 8] }\n");
    expect(ops(m, zeros(m)).filter((op) => op.startsWith("Cast"))).toEqual([]);
  });
});

// bfloat16 rounding of a float32 result, as XLA's convert does (round to nearest even).
const r = (v: number): number => bf16ToF32(f32ToBf16(Math.fround(v)));

describe("end to end on the native runtime: each op rounded as a jitted JAX bfloat16 chain", () => {
  it("sparse_plus, then x * t, then + 0.1 (a weak scalar rounded to bfloat16)", async () => {
    const m = build(
      "  - { name: t, type: sparse_plus }\n  - { name: p, type: multiply, input: [t, x] }\n  - { name: s, type: add, input: [p, 0.1] }\n",
      "  x: { shape: [512], dtype: bfloat16 }\n",
    );
    const bits = new Uint16Array(512);
    const xs: number[] = [];
    for (let i = 0; i < 512; i++) {
      bits[i] = f32ToBf16(-3 + (6 * i) / 511 + 1e-3 * Math.sin(i));
      xs.push(bf16ToF32(bits[i]!));
    }
    const compiled = await compileModel(m, { params: new Map() });
    try {
      const got = (await compiled.run({ x: { dtype: "bfloat16", shape: [512], data: bits } }))["s"]!;
      expect(got.dtype).toBe("bfloat16");
      const values = Array.from(got.data as Uint16Array, bf16ToF32);
      // jax.nn.sparse_plus: where(x <= -1, 0, where(x >= 1, x, (x + 1)**2 / 4)), each op rounded.
      const sparsePlus = (x: number, round: (v: number) => number) => {
        const t = round(x + 1);
        const q = round(round(t * t) / 4);
        return x <= -1 ? 0 : x >= 1 ? x : q;
      };
      const want = xs.map((x) => r(r(sparsePlus(x, r) * x) + r(0.1)));
      expect(values).toEqual(want);
      // Without the intermediate roundings the results differ: the test can tell.
      const fused = xs.map((x) => r(Math.fround(sparsePlus(x, Math.fround) * x) + 0.1));
      expect(fused).not.toEqual(want);
    } finally {
      await compiled.release();
    }
  });
});
