/**
 * The onnxruntime-web backend: ONNX Runtime compiled to WebAssembly (SIMD), or WebGPU when
 * asked for. It runs in browsers and in any JavaScript runtime without native addons (Node
 * included, which is how the tests cross-check it against the native runtime). The package is
 * imported on first use; its .wasm files come from the installed package (or `wasmPaths`),
 * never from a CDN.
 */

import type { Backend } from "../runtime/backend.js";
import { loadOrtSession } from "../runtime/ort_session.js";

export interface WebBackendOptions {
  /** Execution providers in order of preference. Default: ["wasm"]. */
  readonly executionProviders?: readonly ("wasm" | "webgpu")[];
  /**
   * Where the page serves onnxruntime-web's .wasm files (a URL prefix, or a map per file), as
   * `ort.env.wasm.wasmPaths`. Default: beside onnxruntime-web's own module, which a bundler
   * copies from node_modules.
   */
  readonly wasmPaths?: string | Record<string, string>;
}

type OrtWeb = typeof import("onnxruntime-web");

let ortPromise: Promise<OrtWeb> | undefined;

/** The onnxruntime-web backend (loads the package on first call). */
export async function webBackend(options: WebBackendOptions = {}): Promise<Backend> {
  ortPromise ??= import("onnxruntime-web");
  const ort = await ortPromise;
  // One thread, like the native default: wasm threads need a cross-origin-isolated page.
  ort.env.wasm.numThreads = 1;
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  const executionProviders = [...(options.executionProviders ?? ["wasm"])];
  return {
    name: "onnxruntime-web",
    target: "web",
    version: ort.env.versions.web ?? ort.env.versions.common,
    load: (model, opts) => loadOrtSession(ort, model, opts ?? {}, { executionProviders }),
    // onnxruntime-common has no bfloat16 tensor type.
    float32Interface: ["bfloat16"],
  };
}
