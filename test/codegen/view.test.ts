/** IR -> view model: the type-level decisions, table-driven over tiny specs. */
import { describe, expect, it } from "vitest";
import { generateModule } from "../../src/codegen/index.js";
import { buildModuleView } from "../../src/codegen/view.js";
import { UserError } from "../../src/diagnostics/errors.js";
import { checkSpecText } from "../../src/spec/load.js";

function spec(model: string, inputs: string, layers: string, outputs = ""): string {
  return `nnx_gen: 1\nmodel: ${model}\ninputs:\n${inputs}\nlayers:\n${layers}\n${outputs}`;
}

function view(text: string) {
  const checked = checkSpecText("m.yaml", text);
  if (!checked.model) throw new Error(JSON.stringify(checked.diagnostics));
  return buildModuleView(checked.model, text, "m.yaml");
}

describe("tensor types", () => {
  it.each([
    [
      "a symbol is inferred at its first use only, even within one input",
      spec("Square", "  image: { shape: [batch, n, n, 3], dtype: float32 }", "  - { type: relu }"),
      { inputs: ['Tensor<"float32", readonly [Batch, N, NoInfer<N>, 3]>'], outputs: ['Tensor<"float32", readonly [Batch, N, N, 3]>'], run: "<Batch extends number, N extends number>" },
    ],
    [
      "arithmetic on a symbol is number, with the expression in the doc",
      spec("Strided", "  x: { shape: [seq, 4], dtype: float32 }", "  - { type: Conv, out_features: 2, kernel_size: [2], strides: 2 }"),
      { inputs: ['Tensor<"float32", readonly [Seq, 4]>'], outputs: ['Tensor<"float32", readonly [number, 2]>'], run: "<Seq extends number>" },
    ],
    [
      "a fully static model has no type parameters",
      spec("Fixed", "  x: { shape: [2, 4], dtype: float32 }", "  - { type: relu }"),
      { inputs: ['Tensor<"float32", readonly [2, 4]>'], outputs: ['Tensor<"float32", readonly [2, 4]>'], run: "" },
    ],
    [
      "integer inputs keep their dtype",
      spec("Tokens", "  ids: { shape: [b, 7], dtype: int16 }", "  - { type: Embed, num_embeddings: 10, features: 3 }"),
      { inputs: ['Tensor<"int16", readonly [B, 7]>'], outputs: ['Tensor<"float32", readonly [B, 7, 3]>'], run: "<B extends number>" },
    ],
  ])("%s", (_name, text, want) => {
    const v = view(text);
    expect(v.inputs.fields.map((f) => f.type)).toEqual(want.inputs);
    expect(v.outputs.fields.map((f) => f.type)).toEqual(want.outputs);
    expect(v.runTypeParams).toBe(want.run);
  });

  it("shows the spec's expression for a number dim", () => {
    const v = view(spec("Strided", "  x: { shape: [seq, 4], dtype: float32 }", "  - { type: Conv, out_features: 2, kernel_size: [2], strides: 2 }"));
    expect(v.outputs.fields[0]!.doc).toBe("float32[(seq + 1) // 2, 2]");
  });

  it("declares on the outputs type only the type parameters its fields use", () => {
    const v = view(spec("Pooled", "  x: { shape: [batch, seq, 4], dtype: float32 }", "  - { type: mean, axis: 1 }"));
    expect(v.inputs.typeParams).toBe("<Batch extends number = number, Seq extends number = number>");
    expect(v.outputs.typeParams).toBe("<Batch extends number = number>");
    expect(v.outputs.typeArgs).toBe("<Batch>");
  });

  it("renames a type parameter that would shadow a type the module uses", () => {
    const { code } = generateModule(checkSpecText("m.yaml", spec("Shadow", "  x: { shape: [tensor, 4], dtype: float32 }", "  - { type: relu }")).model!, "", "m.yaml");
    expect(code).toContain('readonly x: Tensor<"float32", readonly [TensorDim, 4]>;');
  });
});

describe("the class comment", () => {
  it("keeps the description's paragraphs without trailing whitespace", () => {
    const text = spec("Doc", "  x: { shape: [2], dtype: float32 }", "  - { type: relu }").replace("inputs:", 'description: "First line.   \\n\\nSecond paragraph."\ninputs:');
    const { code } = generateModule(checkSpecText("m.yaml", text).model!, text, "m.yaml");
    expect(code).toContain("/**\n * First line.\n *\n * Second paragraph.\n *\n * No parameters.\n */\nexport class Doc {");
  });
});

describe("model names", () => {
  it.each(["Tensor", "Promise", "CompiledModel", "NoInfer", "ReadonlyMap"])("refuses a class %s that would shadow a type the module uses", (name) => {
    const text = spec(name, "  x: { shape: [2], dtype: float32 }", "  - { type: relu }");
    expect(() => view(text)).toThrow(UserError);
  });

  it.each([
    ["TwoTower", "two_tower.ts"],
    ["HTTPModel", "http_model.ts"],
    ["Conv3dSame", "conv3d_same.ts"],
  ])("%s is written to %s", (name, fileName) => {
    const text = spec(name, "  x: { shape: [2], dtype: float32 }", "  - { type: relu }");
    expect(generateModule(checkSpecText("m.yaml", text).model!, text, "m.yaml").fileName).toBe(fileName);
  });
});
