import { readFileSync } from "node:fs";
const ort = await import("onnxruntime-web");
ort.env.wasm.numThreads = 1;
const model = readFileSync(process.argv[2]);
for (const eps of [["wasm"], ["xnnpack", "wasm"]]) {
  try {
    const s = await ort.InferenceSession.create(model, { executionProviders: eps, graphOptimizationLevel: "all" });
    const x = new ort.Tensor("float32", new Float32Array(8 * 64 * 64 * 32).fill(0.5), [8, 64, 64, 32]);
    const feeds = { [s.inputNames[0]]: x };
    for (let i = 0; i < 3; i++) await s.run(feeds);
    const t = []; for (let i = 0; i < 10; i++) { const t0 = performance.now(); await s.run(feeds); t.push(performance.now() - t0); }
    t.sort((a, b) => a - b); console.log(eps.join(","), "median", t[5].toFixed(1));
  } catch (e) { console.log(eps.join(","), "ERR", String(e).slice(0, 200)); }
}
