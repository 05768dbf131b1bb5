/**
 * Measurement script (not a test): flax.nnx.ConvTranspose lowered to ONNX ConvTranspose vs a
 * Conv over the zero-dilated input (lax's own formulation), one thread, interleaved rounds.
 *   npx vite-node test/runtime/bench_conv_transpose.ts
 */

import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { convTransposeNhwc, type ConvTransposeOptions } from "../../src/runtime/onnx/ops_conv.js";
import { ortBackend } from "../../src/node/ort.js";
import { tensor } from "../../src/tensor.js";
import { interleaved } from "./bench_util.js";
import { rand } from "./reference.js";

interface Config { label: string; x: number[]; k: number[]; out: number; strides: number[]; padding: ConvTransposeOptions["padding"] }
const configs: Config[] = [
  { label: "2-D 8x16x16x64 -> 32, k4 s2 SAME", x: [8, 16, 16, 64], k: [4, 4], out: 32, strides: [2, 2], padding: { kind: "same" } },
  { label: "2-D 8x32x32x32 -> 16, k3 s1 SAME", x: [8, 32, 32, 32], k: [3, 3], out: 16, strides: [1, 1], padding: { kind: "same" } },
  { label: "1-D 8x256x64 -> 64, k8 s4 VALID", x: [8, 256, 64], k: [8], out: 64, strides: [4], padding: { kind: "valid" } },
];

const backend = await ortBackend();
for (const c of configs) {
  const kernel = tensor("float32", [...c.k, c.x.at(-1)!, c.out], Float32Array.from(rand([...c.k, c.x.at(-1)!, c.out], 1).data));
  const bias = tensor("float32", [c.out], Float32Array.from(rand([c.out], 3).data));
  const x = tensor("float32", c.x, Float32Array.from(rand(c.x, 2).data));
  const sessions = await Promise.all(
    (["ConvTranspose", "Conv"] as const).map(async (method) => {
      const g = new GraphBuilder();
      const y = convTransposeNhwc(g, g.input("x", "float32", c.x), { inputShape: c.x, kernel, bias, transposeKernel: false, strides: c.strides, kernelDilation: c.k.map(() => 1), padding: c.padding, method });
      g.output(y, "y", "float32", []);
      return { name: method, s: await backend.load(g.toBytes(), { threads: 1 }), out: undefined as Float32Array | undefined };
    }),
  );
  for (const e of sessions) e.out = (await e.s.run({ x }))["y"]!.data as Float32Array;
  let maxDiff = 0;
  sessions[0]!.out!.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - sessions[1]!.out![i]!))));
  const timings = await interleaved(sessions.map((e) => ({ name: e.name, run: () => e.s.run({ x }) })), 5, 10);
  console.log(`${c.label} (max |diff| ${maxDiff.toExponential(1)})`);
  for (const t of timings) console.log(`  ${t.name.padEnd(14)} median ${t.median.toFixed(3)} ms  min ${t.min.toFixed(3)} ms`);
  for (const e of sessions) await e.s.release();
}
