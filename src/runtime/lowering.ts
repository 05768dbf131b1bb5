/** What a layer kind's `lower` gets: the graph being built, parameters, and value dims. */
import type { DType, Tensor } from "../tensor.js";
import type { Dim, GraphBuilder } from "./onnx/graph.js";

export interface Lowering {
  readonly g: GraphBuilder;
  /**
   * A parameter by layer and local name (attend reads its Embed's table), as the graph holds
   * it: 16-bit floats as float32, cast (rounded) to the lowered layer's promoted dtype.
   */
  param(layer: string, name: string): Tensor;
  /** The dims of a value: numbers where static, the expression text where symbolic. */
  dims(value: string): Dim[];
  /** The smallest each dim can be at run time (the spec's `dims` minimums), where provable. */
  minDims(value: string): (number | undefined)[];
  /** A value's dtype in the graph (float16/bfloat16 values are float32 there: ./onnx/rounding.ts). */
  dtype(value: string): DType;
  /** A value's dtype in the IR (float16/bfloat16 as such). */
  valueDtype(value: string): DType;
  /** A symbolic dim's run-time size, as a 1-D int64 value of one element (read from an input's Shape). */
  symbol(name: string): string;
}
