/** What a layer kind's `lower` gets: the graph being built, parameters, and value dims. */
import type { DType, Tensor } from "../tensor.js";
import type { Dim, GraphBuilder } from "./onnx/graph.js";

export interface Lowering {
  readonly g: GraphBuilder;
  /** A parameter by layer and local name (attend reads its Embed's table). */
  param(layer: string, name: string): Tensor;
  /** The dims of a value: numbers where static, the expression text where symbolic. */
  dims(value: string): Dim[];
  /** The smallest each dim can be at run time (the spec's `dims` minimums), where provable. */
  minDims(value: string): (number | undefined)[];
  dtype(value: string): DType;
  /** What the backend the graph is built for prefers (absent: onnxruntime-node's CPU kernels). */
  readonly prefer?: LoweringPreferences;
}

/** Per-backend lowering choices, where two lowerings are equal in exact arithmetic. */
export interface LoweringPreferences {
  /**
   * false: no ONNX LayerNormalization; its two-pass statistics are built from primitive ops.
   * onnxruntime-web's wasm kernel is less exact than onnxruntime's CPU one (1.8e-4 off on rows
   * with a large mean).
   */
  readonly layerNormalizationOp?: boolean;
}
