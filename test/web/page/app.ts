/**
 * The test page's script (bundled by test/web/browser.ts with esbuild for the browser, with
 * `nnx-gen/web` and a generated `--target web` module aliased in). Everything it needs it
 * fetches from the test's server: specs, parameters, inputs.
 */
import * as nnx from "nnx-gen/web";
import { TinyCnn } from "generated-web-module";

const WASM = { wasmPaths: "/ort/" };

async function bytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

async function text(url: string): Promise<string> {
  return new TextDecoder().decode(await bytes(url));
}

export interface PlainTensor {
  dtype: string;
  shape: number[];
  data: number[];
}

const plain = (t: nnx.Tensor): PlainTensor => ({ dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data as ArrayLike<number | bigint>, Number) });

/** One parity case, as test/web/node_wasm.test.ts runs it in Node: spec text, params bytes, .npy inputs. */
async function runCase(dir: string, inputs: string[]): Promise<Record<string, PlainTensor>> {
  const spec = { file: `${dir}/spec.yaml`, text: await text(`${dir}/spec.yaml`) };
  const model = await nnx.compileSpecModel(spec, { params: await bytes(`${dir}/params.safetensors`) }, WASM);
  try {
    const feeds: Record<string, nnx.Tensor> = {};
    // Input files as `run` reads them (int64 ids are int32, float64 float32, with x64 off).
    for (const i of inputs) {
      const declared = model.model.inputs.find((x) => x.name === i)!.type.dtype;
      feeds[i] = nnx.inputAs(nnx.readNpy(new Uint8Array(await bytes(`${dir}/${i}.npy`)), `${i}.npy`), declared, `${i}.npy`, model.model.x64);
    }
    const out = await model.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, plain(v)]));
  } finally {
    await model.release();
  }
}

/** The generated --target web module, from a seed, on the given image. */
async function runGenerated(image: number[], batch: number): Promise<PlainTensor> {
  const model = await TinyCnn.create({ seed: 0 }, WASM);
  try {
    const { logits } = await model.run({ image: nnx.tensor("float32", [batch, 28, 28, 1], Float32Array.from(image)) });
    return plain(logits);
  } finally {
    await model.release();
  }
}

/** check, summary and generate, in the page. */
async function tools(specUrl: string, failUrl: string) {
  const file = specUrl.split("/").pop()!;
  const checked = nnx.checkSpecText(file, await text(specUrl));
  const failing = nnx.checkSpecText("bad.yaml", await text(failUrl));
  return {
    clean: checked.model !== undefined && checked.diagnostics.length === 0,
    summary: nnx.summarize(checked.model!).totals,
    generated: nnx.generateModule(checked.model!, await text(specUrl), file, "web").code,
    failCodes: failing.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`),
    backend: (await nnx.webBackend(WASM)).version,
  };
}

(globalThis as { app?: unknown }).app = { runCase, runGenerated, tools };
document.title = "ready";
