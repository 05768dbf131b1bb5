/** What a layer kind's `lower` gets: the graph being built, parameters, and value dims. */
import type { DType, Tensor } from "../tensor.js";
import type { Dim, GraphBuilder } from "./onnx/graph.js";

export interface Lowering {
  readonly g: GraphBuilder;
  /** A parameter by layer and local name (attend reads its Embed's table). */
  param(layer: string, name: string): Tensor;
  /** The dims of a value: numbers where static, the expression text where symbolic. */
  dims(value: string): Dim[];
  dtype(value: string): DType;
}
