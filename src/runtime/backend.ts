/**
 * The execution backend seen by the rest of nnx-gen: load a serialized model, run it on host
 * tensors. Both implementations run onnxruntime's engine from the onnxruntime-node package:
 * nnx-gen's own binding (native.ts), which writes outputs in place, and onnxruntime-node's
 * binding (ort.ts), the fallback. Another backend only has to provide these two interfaces.
 */

import { host } from "../host.js";
import type { DType, Tensor } from "../tensor.js";
import type { RuntimeTarget } from "./onnx/graph.js";

/** An in-memory file a model refers to (ONNX external data for weights). */
export interface ExternalDataFile {
  readonly path: string;
  readonly data: Uint8Array;
  /**
   * The one initializer this file holds whole, when it does: a backend may hand ORT the tensor
   * itself over `data` (used in place) instead of a file to read it from (copied).
   */
  readonly initializer?: { readonly name: string; readonly dtype: DType; readonly dims: readonly number[] };
}

export interface LoadOptions {
  /** Intra-op threads. Default: 1 (see ort.ts for why). */
  readonly threads?: number;
  /** Files the model's external initializers point to. */
  readonly externalData?: readonly ExternalDataFile[];
  /** The folder of files on disk the model's initializers point to (BuildOptions.mappedFiles). */
  readonly externalDir?: string;
  /**
   * Whether onnxruntime packs weights into copies laid out for its kernels when the session
   * is created (its default, true), or its kernels read them where they are (false).
   */
  readonly prepackWeights?: boolean;
}

export interface Backend {
  readonly name: string;
  readonly version: string;
  /** The graph variant its kernels run fastest (default node): see onnx/kernels.ts. */
  readonly target?: RuntimeTarget;
  /**
   * The backend reads initializers from files on disk by location (LoadOptions.externalDir),
   * mapping them rather than copying: models are then built with BuildOptions.mappedFiles.
   */
  readonly mapsExternalFiles?: boolean;
  /** The backend runs onnxruntime's CPU kernels, com.microsoft ops included (BuildOptions.fuseTransposedWeights). */
  readonly ortContribOps?: boolean;
  /** nnx-gen's native binding registers its bfloat16 rounding op (onnx/fuse_rounding.ts). */
  readonly roundingOp?: boolean;
  load(model: Uint8Array, opts?: LoadOptions): Promise<Session>;
  /**
   * Dtypes this runtime's API cannot feed or fetch (bfloat16 for onnxruntime's JavaScript
   * packages): the graph carries them as float32 at its interface, converted exactly on both
   * sides, so callers still pass and get tensors of the spec's dtypes.
   */
  readonly float32Interface?: readonly DType[];
}

export interface OutputType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Run once. Outputs are fresh host tensors owned by the caller. `expected` gives the dtype
   * and shape of outputs known in advance, so a backend can have them written in place.
   */
  run(feeds: Readonly<Record<string, Tensor>>, expected?: Readonly<Record<string, OutputType>>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** Loaded on first use, so commands that never execute a model never load a runtime. */
export function defaultBackend(): Promise<Backend> {
  return host().defaultBackend();
}
