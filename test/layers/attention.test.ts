/**
 * ConvTranspose and MultiHeadAttention in the IR: parameter names, shapes and the order Flax's
 * constructors draw `rngs.params()` keys, the costs and the describe strings. Numerics are in
 * fixtures/parity_extra (cases_attention.py) and test/torch/check_attention.py.
 */
import { describe, expect, it } from "vitest";
import type { IrLayer } from "../../src/ir/model.js";
import { LAYER_KINDS } from "../../src/layers/registry.js";
import { checkSpecText } from "../../src/spec/load.js";

function layers(input: string, ...specLayers: string[]): IrLayer[] {
  const text = `nnx_gen: 1\nmodel: M\ninputs:\n  x: { shape: ${input} }\nlayers:\n${specLayers.map((l) => `  - ${l}\n`).join("")}`;
  const r = checkSpecText("m.yaml", text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return [...r.model!.layers];
}

const params = (l: IrLayer) => l.params.map((p) => `${p.name}[${p.shape.join(",")}]`);
const kindOf = (l: IrLayer) => LAYER_KINDS.get(l.type)!;

describe("attention layers in the IR", () => {
  it("GPT-2-sized MultiHeadAttention: Flax's names and shapes, query/key/value/out in key order, costs", () => {
    const [attn] = layers("[batch, seq, 768]", "{ name: attn, type: MultiHeadAttention, num_heads: 12, mask: causal }");
    expect(params(attn!)).toEqual([
      "query.kernel[768,12,64]", "query.bias[12,64]", "key.kernel[768,12,64]", "key.bias[12,64]",
      "value.kernel[768,12,64]", "value.bias[12,64]", "out.kernel[12,64,768]", "out.bias[768]",
    ]);
    expect(kindOf(attn!).rngDraws!(attn!)).toEqual(attn!.params.map((p) => p.name));
    // 4 projections of 768x768, then q.k and p.v: 2 * 12 * seq^2 * 64.
    expect(attn!.cost.macs.toString()).toBe("1536*batch*seq**2 + 2359296*batch*seq");
    // 2 x MACs + 3 per attention weight (scale, softmax, causal mask).
    expect(attn!.cost.flops.toString()).toBe("3108*batch*seq**2 + 4718592*batch*seq");
    expect(kindOf(attn!).describe!(attn!.attrs)).toBe("MultiHeadAttention(12 heads x 64, 768 -> 768, causal)");
  });

  it("normalize_qk adds query_ln/key_ln scales after value; dropout_rate > 0 ends with the dropout fork's key", () => {
    const [attn] = layers("[2, 5, 16]", "{ name: a, type: MultiHeadAttention, num_heads: 4, normalize_qk: true, use_bias: false, dropout_rate: 0.1, deterministic: true }");
    expect(params(attn!)).toEqual(["query.kernel[16,4,4]", "key.kernel[16,4,4]", "value.kernel[16,4,4]", "query_ln.scale[4]", "key_ln.scale[4]", "out.kernel[4,4,16]"]);
    expect(kindOf(attn!).rngDraws!(attn!)).toEqual(["query.kernel", "key.kernel", "value.kernel", "query_ln.scale", "key_ln.scale", "out.kernel", null]);
    // LinearGeneral initializes its kernels as flat 2-D matrices (fans of in x heads*head_dim).
    expect(attn!.params.map((p) => p.initShape)).toEqual([[16, 16], [16, 16], [16, 16], [4], [4], [16, 16]]);
  });

  it("ConvTranspose: kernel_size + [in, out], or + [out, in] with transpose_kernel; SAME gives n * s", () => {
    const [a, b] = layers("[batch, 7, 9, 3]",
      "{ name: up, type: ConvTranspose, out_features: 8, kernel_size: [3, 3], strides: 2, input: x }",
      "{ name: upt, type: ConvTranspose, out_features: 8, kernel_size: [4, 4], strides: [2, 1], padding: VALID, transpose_kernel: true, input: x }");
    expect(params(a!)).toEqual(["kernel[3,3,3,8]", "bias[8]"]);
    expect(a!.output.shape.map(String)).toEqual(["batch", "14", "18", "8"]);
    expect(a!.cost.macs.toString()).toBe("13608*batch");
    expect(params(b!)).toEqual(["kernel[4,4,8,3]", "bias[8]"]);
    // VALID: n * s + max(k - s, 0): 7*2 + 2, 9*1 + 3.
    expect(b!.output.shape.map(String)).toEqual(["batch", "16", "12", "8"]);
    expect(kindOf(b!).describe!(b!.attrs)).toBe("ConvTranspose(4x4, 8, strides 2x1, VALID, transpose_kernel)");
  });
});
