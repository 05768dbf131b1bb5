/**
 * The execution backend seen by the rest of nnx-gen: load a serialized model, run it on host
 * tensors. onnxruntime-node (ort.ts) is the one implementation today; a second backend only
 * has to provide these two interfaces.
 */

import type { Tensor } from "../tensor.js";

/** An in-memory file a model refers to (ONNX external data for weights). */
export interface ExternalDataFile {
  readonly path: string;
  readonly data: Uint8Array;
}

export interface LoadOptions {
  /** Intra-op threads. Default: 1 (see ort.ts for why). */
  readonly threads?: number;
  /** Files the model's external initializers point to. */
  readonly externalData?: readonly ExternalDataFile[];
}

export interface Backend {
  readonly name: string;
  readonly version: string;
  load(model: Uint8Array, opts?: LoadOptions): Promise<Session>;
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Run once. Outputs are fresh host tensors owned by the caller. */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** onnxruntime-node, imported on first use so commands that never execute a model never load it. */
export async function defaultBackend(): Promise<Backend> {
  const { ortBackend } = await import("./ort.js");
  return ortBackend();
}
