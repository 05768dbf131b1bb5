/**
 * Indexing and shape ops in the IR: the slice grammar, NumPy's clamping kept symbolic, split
 * parts as values and outputs, and Param's parameter name (the layer's own path).
 */
import { describe, expect, it } from "vitest";
import { declaredParams } from "../../src/params/store.js";
import { parseIndex } from "../../src/layers/slice.js";
import { shapeText } from "../../src/shapes/expr.js";
import { checkSpecText } from "../../src/spec/load.js";

function build(layers: string, extra = "") {
  const text = `nnx_gen: 1\nmodel: T\ninputs:\n  x: { shape: [batch, seq, 8] }\n${extra}layers:\n${layers}`;
  const checked = checkSpecText("t.yaml", text);
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return checked.model!;
}

describe("slice index grammar", () => {
  it.each([
    ["[:, 0]", [{ kind: "slice" }, { kind: "int", value: 0 }]],
    ["..., ::-2", [{ kind: "ellipsis" }, { kind: "slice", step: -2 }]],
    ["[None, 1:seq, -3]", [{ kind: "none" }, { kind: "slice", start: 1, stop: "seq" }, { kind: "int", value: -3 }]],
    ["[0,]", [{ kind: "int", value: 0 }]],
    ["[]", []],
  ])("%s", (text, want) => {
    expect(parseIndex(text)).toEqual(want);
  });
  it.each([
    ["[:, 1:2:3:4]", "more than two colons"],
    ["[:, x+1]", '"x+1"'],
    ["[:, 1.5]", '"1.5"'],
    ["[:, 0", "unbalanced"],
    ["[__import__('os')]", "is not an integer, a slice"],
  ])("rejects %s", (text, part) => {
    expect(parseIndex(text)).toContain(part);
  });
});

describe("shapes", () => {
  it("clamp as slice.indices does, symbolically", () => {
    const m = build(
      [
        "  - { name: a, type: slice, input: x, index: '[:, :seq, :seq]' }",
        "  - { name: b, type: slice, input: x, index: '[:, 1:, ::3]' }",
        "  - { name: c, type: slice, input: x, index: '[..., -100:2, None]' }",
        "  - { name: d, type: arange, stop: seq }",
        "outputs: [a, b, c, d]",
      ].join("\n") + "\n",
      "dims:\n  seq: { min: 2 }\n",
    );
    const shape = (n: string) => shapeText(m.layers.find((l) => l.name === n)!.output.shape);
    expect(shape("a")).toBe("[batch, seq, min(seq, 8)]");
    expect(shape("b")).toBe("[batch, seq - 1, 3]");
    expect(shape("c")).toBe("[batch, seq, 2, 1]");
    expect(shape("d")).toBe("[seq]");
  });

  it("split parts are values <layer>.<k>; list outputs name them <layer>_<k>", () => {
    const m = build(["  - { name: s, type: split, input: x, indices_or_sections: [3], axis: -1 }", "  - { name: y, type: add, input: [s.1, s.1] }", "outputs: [s.0, y]"].join("\n") + "\n");
    const s = m.layers.find((l) => l.name === "s")!;
    expect(s.parts!.map((p) => shapeText(p.shape))).toEqual(["[batch, seq, 3]", "[batch, seq, 5]"]);
    expect(m.layers.find((l) => l.name === "y")!.inputs).toEqual(["s.1", "s.1"]);
    expect(m.outputs).toEqual([{ name: "s_0", value: "s.0" }, { name: "y", value: "y" }]);
  });

  it("a Param's parameter is named by the layer alone", () => {
    const m = build(["  - { name: pos_embedding, type: Param, shape: [1, 8], init: zeros }", "  - { name: y, type: add, input: [x, pos_embedding] }"].join("\n") + "\n");
    expect([...declaredParams(m).keys()]).toEqual(["pos_embedding"]);
  });
});
