/**
 * The norm layers' IR: parameter names, shapes, order (the order Flax's constructors draw
 * `rngs.params()` keys) and collections, symbolic dims flowing through, describe strings,
 * and BatchNorm's host-computed factor. Numerics are in fixtures/parity_extra (cases_norms.py)
 * and test/torch/check_norms.py.
 */
import { describe, expect, it } from "vitest";
import { paramCollection, type IrLayer } from "../../src/ir/model.js";
import { LAYER_KINDS } from "../../src/layers/registry.js";
import { batchNormFactor } from "../../src/runtime/onnx/ops_norm.js";
import { checkSpecText } from "../../src/spec/load.js";
import { tensor } from "../../src/tensor.js";

function layers(input: string, ...specLayers: string[]): IrLayer[] {
  const text = `nnx_gen: 1\nmodel: M\ninputs:\n  x: { shape: ${input} }\nlayers:\n${specLayers.map((l) => `  - ${l}\n`).join("")}`;
  const r = checkSpecText("m.yaml", text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return [...r.model!.layers];
}

const params = (l: IrLayer) => l.params.map((p) => `${p.name}[${p.shape.join(",")}]:${paramCollection(p)}`);
const describeOf = (l: IrLayer) => LAYER_KINDS.get(l.type)!.describe!(l.attrs);

describe("norm layers in the IR", () => {
  it("LayerNorm(768) on [batch, seq, 768]: 1536 params, scale then bias, symbolic dims kept", () => {
    const [ln] = layers("[batch, seq, 768]", "{ name: ln, type: LayerNorm }");
    expect(params(ln!)).toEqual(["scale[768]:params", "bias[768]:params"]);
    expect(ln!.output.shape.map(String)).toEqual(["batch", "seq", "768"]);
    expect(ln!.cost.flops.toString()).toBe("5376*batch*seq");
    expect(describeOf(ln!)).toBe("LayerNorm(768)");
  });

  it("BatchNorm(64): mean and var are batch_stats created before scale and bias", () => {
    const [bn] = layers("[batch, 64, 8, 8]", "{ name: bn, type: BatchNorm, axis: 1, epsilon: 1.0e-3 }");
    expect(params(bn!)).toEqual(["mean[64]:batch_stats", "var[64]:batch_stats", "scale[64]:params", "bias[64]:params"]);
    expect(bn!.params.map((p) => p.init)).toEqual([{ kind: "zeros" }, { kind: "ones" }, { kind: "ones" }, { kind: "zeros" }]);
    expect(describeOf(bn!)).toBe("BatchNorm(64, axis 1, eps 0.001)");
  });

  it("disabled scale or bias declares no parameter (Flax draws no key for it)", () => {
    const [a, b, c] = layers("[2, 6]", "{ name: a, type: LayerNorm, use_scale: false }", "{ name: b, type: RMSNorm, input: x }", "{ name: c, type: GroupNorm, num_groups: 3, use_bias: false, input: x }");
    expect(params(a!)).toEqual(["bias[6]:params"]);
    expect(params(b!)).toEqual(["scale[6]:params"]);
    expect(params(c!)).toEqual(["scale[6]:params"]);
    expect(describeOf(a!)).toBe("LayerNorm(6, no scale)");
    expect(describeOf(c!)).toBe("GroupNorm(6, 3 groups, no bias)");
  });

  it("LayerNorm with two feature axes: num_features is their product, params stay 1-D", () => {
    const [ln] = layers("[batch, 4, 6]", "{ name: ln, type: LayerNorm, reduction_axes: [1, 2], feature_axes: [-2, -1], use_fast_variance: false }");
    expect(params(ln!)).toEqual(["scale[24]:params", "bias[24]:params"]);
    expect(describeOf(ln!)).toBe("LayerNorm(24, over axes 1, 2, features axes 1, 2, two-pass variance)");
  });

  it("repeated axes count once, as Flax's _canonicalize_axes makes a set", () => {
    const [ln] = layers("[2, 3, 4]", "{ name: ln, type: LayerNorm, reduction_axes: [1, -2, 2] }");
    expect((ln!.attrs as { reductionAxes: number[] }).reductionAxes).toEqual([1, 2]);
  });

  it("GroupNorm with group_size and Dropout", () => {
    const [gn, drop] = layers("[batch, 5, 12]", "{ name: gn, type: GroupNorm, num_groups: null, group_size: 4 }", "{ name: drop, type: Dropout, rate: 0.25 }");
    expect(describeOf(gn!)).toBe("GroupNorm(12, 3 groups)");
    expect(drop!.params).toEqual([]);
    expect(drop!.cost.flops.toString()).toBe("0");
    expect(describeOf(drop!)).toBe("Dropout(0.25)");
  });
});

describe("batchNormFactor", () => {
  it("is rsqrt(var + eps) * scale with each step rounded to float32", () => {
    const v = tensor("float32", [3], [1, 0, 1e-7]);
    const s = tensor("float32", [3], [2, 1, -3]);
    const f = Array.from(batchNormFactor(v, 1e-5, s).data as Float32Array);
    const want = [1, 0, 1e-7].map((x, i) => Math.fround(Math.fround(1 / Math.fround(Math.sqrt(Math.fround(Math.fround(x) + Math.fround(1e-5))))) * [2, 1, -3][i]!));
    expect(f).toEqual(want);
    expect(f[1]).toBeCloseTo(1 / Math.sqrt(1e-5), 1);
  });
});
