/** Shared test plumbing: run a built graph once on onnxruntime, compare with references. */

import { expect } from "vitest";
import type { Backend } from "../../src/runtime/backend.js";
import type { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { ortBackend } from "../../src/node/ort.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { decodeModel } from "./onnx_decode.js";
import { arr, type Arr } from "./reference.js";

let backend: Promise<Backend> | undefined;

export async function runGraph(g: GraphBuilder, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  backend ??= ortBackend();
  const built = g.build();
  const s = await (await backend).load(built.bytes, { externalData: built.externalData });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** The op types of a built graph's nodes, in order. */
export const graphOps = (g: GraphBuilder): string[] => decodeModel(g.toBytes()).graph.nodes.map((n) => n.op);

/** Run a graph with one input "x" and one output "y" on `on` (e.g. onnxruntime-web). */
export async function runXY(on: Backend, g: GraphBuilder, x: Arr): Promise<Tensor> {
  const s = await on.load(g.toBytes());
  try {
    return (await s.run({ x: f32(x) })).y!;
  } finally {
    await s.release();
  }
}

/** Run a graph with a single output "y" and return it. */
export async function runY(g: GraphBuilder, feeds: Record<string, Tensor>): Promise<Tensor> {
  const out = await runGraph(g, feeds);
  return out.y!;
}

export const f32 = (a: Arr | { shape: number[]; data: ArrayLike<number> }): Tensor<"float32"> =>
  tensor("float32", a.shape, Float32Array.from(a.data));

export const ones = (shape: number[]): Arr => arr(shape, new Array(shape.reduce((p, c) => p * c, 1)).fill(1));

/** Expect shape equality and values within atol + rtol*|expected| (NaN matches NaN). */
export function expectClose(actual: Tensor, expected: Arr, atol = 1e-4, rtol = 1e-4): void {
  expect([...actual.shape]).toEqual(expected.shape);
  const a = actual.data as ArrayLike<number>;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i]!, v = Number(a[i]);
    if (v === e || (Number.isNaN(e) && Number.isNaN(v))) continue;
    if (!(Math.abs(v - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`element ${i}: got ${v}, expected ${e} (shape [${expected.shape.join(",")}])`);
    }
  }
}

/** A tied LM spec: Embed (vocab x 768), Linear 768, gelu, and the head through `attend`. */
export function tiedLmSpec(model: string, vocab: number): string {
  return `nnx_gen: 1
model: ${model}
inputs:
  tokens: { shape: [batch, seq], dtype: int32 }
dims:
  batch: { min: 1, max: 8 }
  seq: { min: 1, max: 64 }
layers:
  - { name: wte, type: Embed, num_embeddings: ${vocab}, features: 768 }
  - { name: fc, type: Linear, out_features: 768 }
  - { type: gelu }
  - { name: logits, type: attend, embed: wte }
outputs: [logits]
`;
}
