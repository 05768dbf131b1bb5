/**
 * Measurement script (not a test): MultiHeadAttention as lowered (three LinearGeneral
 * projections, ops_attention.ts, the out LinearGeneral) vs a hand-fused plain variant (one
 * MatMul for q, k and v, Split, the same MatMul/Softmax core) on a GPT-2-sized causal
 * self-attention block: 768 features, 12 heads, seq 128; one thread, interleaved rounds.
 *   npx vite-node test/runtime/bench_attention.ts [batch]
 */

import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { dotProductAttention } from "../../src/runtime/onnx/ops_attention.js";
import { linearGeneral } from "../../src/runtime/onnx/ops_linear.js";
import { reshape, transpose } from "../../src/runtime/onnx/ops_shape.js";
import { ortBackend } from "../../src/node/ort.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { interleaved } from "./bench_util.js";
import { rand } from "./reference.js";

const B = Number(process.argv[2] ?? 1);
const [T, F, N] = [128, 768, 12];
const H = F / N;
const t = (shape: number[], seed: number): Tensor => tensor("float32", shape, Float32Array.from(rand(shape, seed).data, (v) => v * 0.05));
const W = { q: t([F, N, H], 1), k: t([F, N, H], 2), v: t([F, N, H], 3), o: t([N, H, F], 4) };
const b = { q: t([N, H], 5), k: t([N, H], 6), v: t([N, H], 7), o: t([F], 8) };
const x = t([B, T, F], 9);
const flops = 2 * B * (4 * T * F * F + 2 * N * T * T * H);

function asLowered(g: GraphBuilder, xv: string): string {
  const proj = (k: "q" | "k" | "v") => linearGeneral(g, xv, { ndim: 3, axis: [-1], kernel: W[k], bias: b[k] });
  const att = dotProductAttention(g, proj("q"), proj("k"), proj("v"), { rank: 4, numHeads: N, numKvHeads: N, depth: H, causal: true });
  return linearGeneral(g, att, { ndim: 4, axis: [-2, -1], kernel: W.o, bias: b.o });
}

function fusedPlain(g: GraphBuilder, xv: string): string {
  const wqkv = new Float32Array(F * 3 * F);
  for (let i = 0; i < F; i++) for (const [j, k] of (["q", "k", "v"] as const).entries()) wqkv.set((W[k].data as Float32Array).subarray(i * F, (i + 1) * F), i * 3 * F + j * F);
  const bqkv = new Float32Array(3 * F);
  (["q", "k", "v"] as const).forEach((k, j) => bqkv.set(b[k].data as Float32Array, j * F));
  const qkv = g.node("Add", [g.node("MatMul", [xv, g.constant(tensor("float32", [F, 3 * F], wqkv))]), g.constant(tensor("float32", [3 * F], bqkv))]);
  const [q, k, v] = g.nodeMulti("Split", [qkv, g.constInt64([F, F, F])], 3, { axis: -1 });
  const heads = (y: string, perm: number[]) => transpose(g, reshape(g, y, [0, 0, N, H]), perm);
  let s = g.node("MatMul", [heads(q!, [0, 2, 1, 3]), heads(k!, [0, 2, 3, 1])]);
  s = g.node("Mul", [s, g.scalar(Math.fround(1 / Math.sqrt(H)), "float32")]);
  const tril = new Uint8Array(T * T).map((_, i) => (i % T <= Math.floor(i / T) ? 1 : 0));
  s = g.node("Where", [g.constant(tensor("bool", [T, T], tril)), s, g.scalar(Math.fround(-0.7 * 3.4028234663852886e38), "float32")]);
  const p = g.node("Softmax", [s], { axis: -1 });
  const o = reshape(g, transpose(g, g.node("MatMul", [p, heads(v!, [0, 2, 1, 3])]), [0, 2, 1, 3]), [0, 0, F]);
  return g.node("Add", [g.node("MatMul", [o, g.constant(tensor("float32", [F, F], W.o.data as Float32Array))]), g.constant(b.o)]);
}

const backend = await ortBackend();
const variants = await Promise.all(
  ([["as lowered", asLowered], ["fused plain", fusedPlain]] as const).map(async ([name, make]) => {
    const g = new GraphBuilder();
    g.output(make(g, g.input("x", "float32", [B, T, F])), "y", "float32", [B, T, F]);
    return { name, s: await backend.load(g.toBytes(), { threads: 1 }), out: new Float32Array() };
  }),
);
for (const e of variants) e.out = (await e.s.run({ x }))["y"]!.data as Float32Array;
let diff = 0;
variants[0]!.out.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - variants[1]!.out[i]!))));
const timings = await interleaved(variants.map((e) => ({ name: e.name, run: () => e.s.run({ x }) })), 8, 10);
console.log(`GPT-2 attention block, batch ${B}, seq ${T}, ${F} features, ${N} heads, causal (max |diff| ${diff.toExponential(1)})`);
for (const t of timings) console.log(`  ${t.name.padEnd(12)} median ${t.median.toFixed(2)} ms  min ${t.min.toFixed(2)} ms  ${(flops / t.min / 1e6).toFixed(1)} GFLOP/s at min`);
for (const e of variants) await e.s.release();
