/**
 * Modules expand into the flat graph: a spec with nested modules, a plain repeat, a stacked
 * repeat and a module with two outputs computes what the same model written flat computes,
 * bit for bit, with nnx.state's parameter names.
 */
import { describe, expect, it } from "vitest";
import { checkSpecText } from "../../src/spec/load.js";
import { compileSpecModel } from "../../src/runtime/model.js";
import { declaredParams, initializeParams } from "../../src/params/store.js";
import { summarize, type TreeNode } from "../../src/summary/summary.js";
import { tensor, type Tensor } from "../../src/tensor.js";

const MODULES = `nnx_gen: 1
model: Tiny
inputs:
  x: { shape: [batch, 8] }
modules:
  Mlp:
    inputs: [x]
    layers:
      - { name: fc, type: Linear, out_features: 16 }
      - { type: gelu }
      - { name: proj, type: Linear, out_features: 8 }
  Block:
    inputs: [x]
    layers:
      - { name: ln, type: LayerNorm }
      - { name: mlp, type: Mlp }
      - { name: out, type: add, input: [x, mlp] }
  Two:
    inputs: [a]
    layers:
      - { name: p, type: Linear, out_features: 4 }
      - { name: q, type: Linear, out_features: 3, input: a }
    outputs: [p, q]
layers:
  - { name: h, type: Block, repeat: 3 }
  - { name: s, type: Block, repeat: { count: 2, stacked: true } }
  - { name: t, type: Two }
  - { name: y, type: concatenate, input: [t.p, t.q], axis: -1 }
outputs: [y, t.q]
`;

function flatBlock(prefix: string, input: string): string {
  return `  - { name: ${prefix}_ln, type: LayerNorm, input: ${input} }
  - { name: ${prefix}_mlp_fc, type: Linear, out_features: 16 }
  - { type: gelu }
  - { name: ${prefix}_mlp_proj, type: Linear, out_features: 8 }
  - { name: ${prefix}_out, type: add, input: [${input}, ${prefix}_mlp_proj] }
`;
}

const FLAT = `nnx_gen: 1
model: Tiny
inputs:
  x: { shape: [batch, 8] }
layers:
${flatBlock("h_0", "x")}${flatBlock("h_1", "h_0_out")}${flatBlock("h_2", "h_1_out")}${flatBlock("s_0", "h_2_out")}${flatBlock("s_1", "s_0_out")}  - { name: t_p, type: Linear, out_features: 4, input: s_1_out }
  - { name: t_q, type: Linear, out_features: 3, input: s_1_out }
  - { name: y, type: concatenate, input: [t_p, t_q], axis: -1 }
outputs: { y: y, t_q: t_q }
`;

describe("modules", () => {
  it("name parameters by nnx.state path, stacked repeats with a leading axis", () => {
    const checked = checkSpecText("tiny.yaml", MODULES);
    expect(checked.diagnostics).toEqual([]);
    const params = declaredParams(checked.model!);
    const block = (p: string, lead: number[] = []) => [
      [`${p}.ln.scale`, [...lead, 8]],
      [`${p}.ln.bias`, [...lead, 8]],
      [`${p}.mlp.fc.kernel`, [...lead, 8, 16]],
      [`${p}.mlp.fc.bias`, [...lead, 16]],
      [`${p}.mlp.proj.kernel`, [...lead, 16, 8]],
      [`${p}.mlp.proj.bias`, [...lead, 8]],
    ];
    expect([...params].map(([n, p]) => [n, p.shape])).toEqual([
      ...block("h.0"),
      ...block("h.1"),
      ...block("h.2"),
      ...block("s", [2]),
      ["t.p.kernel", [8, 4]],
      ["t.p.bias", [4]],
      ["t.q.kernel", [8, 3]],
      ["t.q.bias", [3]],
    ]);
    expect(checked.model!.outputs).toEqual([
      { name: "y", value: "y" },
      { name: "t_q", value: "t.q" },
    ]);
    expect(checked.model!.uses!.map((u) => [u.path, u.module, u.repeat])).toEqual([
      ["h", "Block", { count: 3, stacked: false }],
      ["h.0", "Block", undefined],
      ["h.0.mlp", "Mlp", undefined],
      ["h.1", "Block", undefined],
      ["h.1.mlp", "Mlp", undefined],
      ["h.2", "Block", undefined],
      ["h.2.mlp", "Mlp", undefined],
      ["s", "Block", { count: 2, stacked: true }],
      ["s.0", "Block", undefined],
      ["s.0.mlp", "Mlp", undefined],
      ["s.1", "Block", undefined],
      ["s.1.mlp", "Mlp", undefined],
      ["t", "Two", undefined],
    ]);
  });

  it("compute what the flat model computes, bit for bit", async () => {
    const mod = await compileSpecModel({ file: "tiny.yaml", text: MODULES }, { seed: 3 });
    // The flat model gets the same values: list copies renamed, stacked slices cut out.
    const flat = new Map<string, Tensor>();
    for (const [name, t] of mod.params) {
      if (name.startsWith("s.")) {
        const per = t.data.length / 2;
        for (let k = 0; k < 2; k++) {
          flat.set(`s_${k}_${name.slice(2).replace(/\.(?=[^.]*\.)/g, "_")}`, { dtype: t.dtype, shape: t.shape.slice(1), data: t.data.slice(k * per, (k + 1) * per) } as Tensor);
        }
      } else flat.set(name.replace(/\.(?=[^.]*\.)/g, "_"), t);
    }
    // Each stacked slice is built from its own split stream, so the copies differ.
    expect(flat.get("s_0_mlp_fc.kernel")!.data).not.toEqual(flat.get("s_1_mlp_fc.kernel")!.data);
    const ref = await compileSpecModel({ file: "flat.yaml", text: FLAT }, { params: flat });
    const x = tensor("float32", [2, 8], Float32Array.from({ length: 16 }, (_, i) => Math.sin(i) * 2));
    const a = await mod.run({ x });
    const b = await ref.run({ x });
    expect(Object.keys(a).sort()).toEqual(["t_q", "y"]);
    expect(a["y"]!.shape).toEqual([2, 7]);
    expect(Array.from(a["y"]!.data)).toEqual(Array.from(b["y"]!.data));
    expect(Array.from(a["t_q"]!.data)).toEqual(Array.from(b["t_q"]!.data));
    expect(Array.from(a["y"]!.data).every(Number.isFinite)).toBe(true);
    await mod.release();
    await ref.release();
  });

  it("summarize as a tree with exact totals, cut at a depth", () => {
    const model = checkSpecText("tiny.yaml", MODULES).model!;
    const s = summarize(model, { batch: 2 });
    const shape = (n: TreeNode): unknown => [n.path, n.type, n.params, n.macs, ...(n.children ? [n.children.map(shape)] : [])];
    const block = (p: string, k: number) => [p, "Block", 296 * k, 256 * k * 2, [
      [`${p}.ln`, "LayerNorm", 16 * k, 0],
      [`${p}.mlp`, "Mlp", 280 * k, 256 * k * 2, [[`${p}.mlp.fc`, "Linear", 144 * k, 128 * k * 2], [`${p}.mlp.gelu_0`, "gelu", 0, 0], [`${p}.mlp.proj`, "Linear", 136 * k, 128 * k * 2]]],
      [`${p}.out`, "add", 0, 0],
    ]];
    expect(s.tree!.map(shape)).toEqual([
      ["h", "Block", 888, 1536, [block("h.0", 1), block("h.1", 1), block("h.2", 1)]],
      // A stacked repeat is one node per layer, holding every copy (as nnx.vmap's arrays do).
      block("s", 2),
      ["t", "Two", 63, 112, [["t.p", "Linear", 36, 64], ["t.q", "Linear", 27, 48]]],
      ["y", "concatenate", 0, 0],
    ]);
    const top = s.tree!.reduce((n, x) => n + x.params, 0);
    expect(top).toBe(s.totals.params);
    expect(s.totals.params).toBe(888 + 592 + 63);
    expect(s.tree![1]!.repeat).toEqual({ count: 2, stacked: true });
    const cut = summarize(model, {}, { depth: 1 });
    expect(cut.tree!.map((n) => [n.path, n.children])).toEqual([["h", undefined], ["s", undefined], ["t", undefined], ["y", undefined]]);
    expect(cut.layers.length).toBe(s.layers.length);
  });

  it("--seed: a stacked repeat draws one key from the enclosing stream (nnx.split_rngs), list copies draw in order", () => {
    const spec = (first: string) => `nnx_gen: 1
model: Seeded
inputs:
  x: { shape: [2, 8] }
modules:
  Block:
    inputs: [x]
    layers:
      - { name: fc, type: Linear, out_features: 8 }
layers:
${first}
  - { name: t, type: Linear, out_features: 3 }
`;
    const init = (first: string) => initializeParams(checkSpecText("s.yaml", spec(first)).model!, 0);
    const stacked = init("  - { name: s, type: Block, repeat: { count: 3, stacked: true } }");
    // One key drawn (then split), like a Linear without bias draws one.
    const oneDraw = init("  - { name: s, type: Linear, out_features: 8, use_bias: false }");
    expect(Array.from(stacked.get("t.kernel")!.data)).toEqual(Array.from(oneDraw.get("t.kernel")!.data));
    expect(stacked.get("s.fc.kernel")!.shape).toEqual([3, 8, 8]);
    const k = stacked.get("s.fc.kernel")!.data;
    expect(k.slice(0, 64)).not.toEqual(k.slice(64, 128));
    // A list repeat is three modules built in order from the same stream: six draws.
    const list = init("  - { name: s, type: Block, repeat: 3 }");
    const flat = init([0, 1, 2].map((i) => `  - { name: s${i}, type: Linear, out_features: 8 }`).join("\n"));
    expect(Array.from(list.get("s.2.fc.kernel")!.data)).toEqual(Array.from(flat.get("s2.kernel")!.data));
    expect(Array.from(list.get("t.kernel")!.data)).toEqual(Array.from(flat.get("t.kernel")!.data));
  });
});
