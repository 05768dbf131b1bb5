import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { literalKind } from "../../src/layers/ops/kind.js";
import { opSchemaBranches } from "../../src/layers/ops/schema.js";
import { OPS } from "../../src/layers/ops/table.js";
import { LAYER_KINDS } from "../../src/layers/registry.js";
import { checkSpecText } from "../../src/spec/load.js";

const SCHEMA = JSON.parse(readFileSync(new URL("../../schemas/nnx-spec.schema.json", import.meta.url), "utf8"));

describe("the op table", () => {
  it("and the schema file agree (regenerate with scripts/ops-schema.mjs)", () => {
    const inFile = new Map<string, unknown>(SCHEMA.$defs.layer.oneOf.map((b: { properties: { type: { const: string } } }) => [b.properties.type.const, b]));
    for (const b of opSchemaBranches()) {
      const type = (b["properties"] as { type: { const: string } }).type.const;
      expect(inFile.get(type), type).toEqual(b);
    }
  });

  it("registers every name once", () => {
    const names = OPS.flatMap((d) => d.names);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(LAYER_KINDS.get(n)?.types).toContain(n);
  });

  it("is documented: the README names every op", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const n of OPS.flatMap((d) => d.names)) expect(readme.includes(`\`${n}\``), n).toBe(true);
  });

  it("lists every activation jax.nn exports except those documented as elsewhere or unsupported", () => {
    // jax/nn/__init__.py's functions (jax-ml/jax HEAD): the ones not here are one_hot (shape
    // ops), dot_product_attention (attention) and the fp8 scaled_matmul family.
    const jaxNn = ["celu", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax",
      "standardize", "relu", "identity", "relu6", "selu", "sigmoid", "soft_sign", "softmax", "softplus", "sparse_plus", "sparse_sigmoid", "silu", "swish",
      "squareplus", "mish", "log1mexp", "tanh", "logsumexp", "logmeanexp"];
    for (const n of jaxNn) expect(LAYER_KINDS.has(n), n).toBe(true);
  });
});

describe("Python scalar constants", () => {
  it.each([
    ["2", "int"], ["-3", "int"], ["0x10", "int"], ["2.0", "float"], ["1e-5", "float"], [".5", "float"], ["2.", "float"], ["1.0e+3", "float"], ["-.inf", "float"],
  ] as const)("%s is a weak %s", (text, kind) => {
    expect(literalKind(text, Number(text))).toBe(kind);
  });

  const spec = (layers: string, inputs = "x: { shape: [2, 3] }\n  ids: { shape: [2, 3], dtype: int32 }\n  m: { shape: [2, 3], dtype: bool }") =>
    `nnx_gen: 1\nmodel: T\ninputs:\n  ${inputs}\nlayers:\n${layers}\n`;
  const dtypeOf = (layer: string): string => {
    const r = checkSpecText("t.yaml", spec(`  - { name: y, ${layer} }`));
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return r.model!.layers.find((l) => l.name === "y")!.output.dtype;
  };

  it.each([
    ["type: multiply, input: [ids, 2]", "int32"],
    ["type: multiply, input: [ids, 2.0]", "float32"],
    ["type: multiply, input: [ids, 1e0]", "float32"],
    ["type: add, input: [ids, m]", "int32"],
    ["type: add, input: [m, m]", "bool"],
    ["type: divide, input: [ids, 2]", "float32"],
    ["type: power, input: [ids, 2]", "int32"],
    ["type: maximum, input: [ids, 0.5]", "float32"],
    ["type: relu, input: m", "int32"],
    ["type: relu6, input: ids", "float32"],
    ["type: exp, input: ids", "float32"],
    ["type: less, input: [ids, 2.5]", "bool"],
    ["type: logical_or, input: [x, ids]", "bool"],
    ["type: where, input: [m, ids, 0]", "int32"],
    ["type: where, input: [m, ids, 0.0]", "float32"],
    ["type: clip, input: ids, min: 0, max: 3", "int32"],
    ["type: clip, input: ids, min: 0, max: 3.0", "float32"],
    ["type: astype, input: x, dtype: bool", "bool"],
    ["type: astype, input: x, dtype: float64", "float32"],
  ])("%s -> %s", (layer, want) => {
    expect(dtypeOf(layer)).toBe(want);
  });

  it("count FLOPs per output element: 1 for plain ops, the table's count for composites", () => {
    const r = checkSpecText("t.yaml", spec("  - { name: a, type: add, input: [x, 1.0, x] }\n  - { name: e, type: elu, input: x }\n  - { name: s, type: sigmoid, input: x }"));
    const flops = Object.fromEntries(r.model!.layers.map((l) => [l.name, l.cost.flops.constant]));
    expect(flops).toEqual({ a: 12, e: 24, s: 6 });
  });

  it("describe constants in place in generated modules' forward-pass table", () => {
    const r = checkSpecText("t.yaml", spec("  - { name: a, type: multiply, input: [x, 0.125] }\n  - { name: b, type: add, input: [a, x] }\n  - { name: c, type: elu, input: b, alpha: 0.5 }"));
    const text = r.model!.layers.map((l) => LAYER_KINDS.get(l.type)!.describe?.(l.attrs) ?? l.type);
    expect(text).toEqual(["multiply(·, 0.125)", "add", "elu(alpha=0.5)"]);
  });
});
