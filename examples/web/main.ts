/**
 * The web demo: fetch a shipped example spec and its weights, check and summarize the spec,
 * build it on onnxruntime-web, run it, and show the outputs and the latency. Built by
 * `npm run demo:web` (build.mjs) into examples/web/dist/, with onnxruntime-web's .wasm files
 * copied from the installed package to dist/ort/ (nothing is fetched from elsewhere).
 */
import { checkSpecText, compileSpecModel, formatDiagnostics, formatSummaryTable, summarize, tensor, VERSION, type CompiledModel } from "nnx-gen/web";

const $ = (id: string) => document.getElementById(id)!;
const SPEC = "tiny_cnn.yaml";
const WEIGHTS = "tiny_cnn.safetensors";
const BATCH = 1;

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

async function build(ep: "wasm" | "webgpu"): Promise<CompiledModel> {
  const text = await (await fetch(SPEC)).text();
  const checked = checkSpecText(SPEC, text);
  if (!checked.model) throw new Error(formatDiagnostics(checked.diagnostics, "text", VERSION));
  $("summary").textContent = formatSummaryTable(checked.model, summarize(checked.model, { batch: BATCH }));
  return compileSpecModel({ file: SPEC, text }, { params: await fetchBytes(WEIGHTS) }, { executionProviders: [ep], wasmPaths: "./ort/" });
}

async function run(): Promise<void> {
  const ep = ($("ep") as HTMLSelectElement).value as "wasm" | "webgpu";
  const model = await build(ep);
  try {
    // A deterministic "digit": a bright diagonal stroke on a dark 28x28 image.
    const pixels = new Float32Array(BATCH * 28 * 28);
    for (let i = 4; i < 24; i++) pixels[i * 28 + i] = pixels[i * 28 + i + 1] = 1;
    const image = tensor("float32", [BATCH, 28, 28, 1], pixels);
    await model.run({ image }); // warm-up: the first run allocates
    const times: number[] = [];
    let out: Record<string, { data: ArrayLike<number | bigint>; shape: readonly number[] }> = {};
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      out = await model.run({ image });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    $("outputs").textContent = Object.entries(out)
      .map(([name, t]) => `${name} [${t.shape.join(", ")}]: ${Array.from(t.data, (v) => Number(v).toFixed(4)).join(" ")}`)
      .join("\n");
    $("latency").textContent = `${ep}: median ${times[times.length >> 1]!.toFixed(2)} ms, best ${times[0]!.toFixed(2)} ms over ${times.length} runs (batch ${BATCH})`;
  } finally {
    await model.release();
  }
}

$("run").addEventListener("click", () => void run().catch((e: unknown) => ($("outputs").textContent = String(e))));
void run().catch((e: unknown) => ($("outputs").textContent = String(e)));
