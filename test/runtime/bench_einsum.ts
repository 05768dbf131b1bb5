/**
 * Measurement script (not a test): ORT's Einsum op vs the MatMul lowering of ops_linear.ts
 * on btd,dhk->bthk, 4x128x256 · 256x8x32, one thread, interleaved rounds.
 *   npx vite-node test/runtime/bench_einsum.ts
 */

import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { einsum } from "../../src/runtime/onnx/ops_linear.js";
import { ortBackend } from "../../src/node/ort.js";
import { tensor } from "../../src/tensor.js";
import { rand } from "./reference.js";

const eq = "btd,dhk->bthk";
const kernel = tensor("float32", [256, 8, 32], Float32Array.from(rand([256, 8, 32], 1).data));
const x = tensor("float32", [4, 128, 256], Float32Array.from(rand([4, 128, 256], 2).data));
const flops = 2 * 4 * 128 * 256 * 8 * 32;

const backend = await ortBackend();
const sessions = await Promise.all(
  [true, false].map(async (useEinsumOp) => {
    const g = new GraphBuilder();
    g.output(einsum(g, g.input("x", "float32", [4, 128, 256]), eq, kernel, { useEinsumOp }), "y", "float32", [4, 128, 8, 32]);
    return { name: useEinsumOp ? "Einsum op" : "MatMul lowering", s: await backend.load(g.toBytes(), { threads: 1 }), times: [] as number[] };
  }),
);
for (const { s } of sessions) for (let i = 0; i < 20; i++) await s.run({ x });
for (let round = 0; round < 10; round++) {
  for (const e of sessions) {
    for (let i = 0; i < 30; i++) {
      const t0 = process.hrtime.bigint();
      await e.s.run({ x });
      e.times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
}
for (const e of sessions) {
  const t = e.times.sort((a, b) => a - b);
  const med = t[t.length >> 1]!;
  console.log(`${e.name.padEnd(16)} median ${med.toFixed(3)} ms  min ${t[0]!.toFixed(3)} ms  ${(flops / med / 1e6).toFixed(0)} GFLOP/s`);
  await e.s.release();
}
