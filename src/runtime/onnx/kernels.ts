/**
 * The one place where the ONNX graph differs between runtimes: for each choice, the ops that
 * the runtime's kernels run fastest, measured (BENCHMARKS.md, "The browser runtime"). The
 * results are the same up to float rounding; the layer lowerings ask here and never test
 * the target themselves.
 */
import type { GraphBuilder, RuntimeTarget } from "./graph.js";

export interface KernelChoices {
  /**
   * 3x3, stride-1, ungrouped float32 convolutions on static spatial sizes with at least this
   * many input and output channels run as Winograd F(2x2, 3x3) (ops_winograd.ts) instead of
   * ONNX Conv. Native: never (its NCHWc Conv is faster). Wasm: MLAS's Conv there is im2col +
   * SGEMM; Winograd's 2.25x fewer multiplies win from 32 channels (1.3-1.8x on the reference
   * CNN's convolutions) and lose below (16 -> 16: 0.8x; 1 -> 32: 0.2x).
   */
  readonly winogradMinChannels: number;
  /**
   * A float32 2-D avg_pool whose windows tile the input (VALID, strides = window) runs as
   * sums: the window's rows added as Slices (a ReduceSum beyond 2 rows), then a ReduceSum
   * over each row's columns, then the division, channels-first as AveragePool is (ops_pool.ts).
   * Wasm: MLAS's AveragePool is scalar there and takes 1.5-1.6x as long (tiny_cnn's two pools:
   * 2.67 -> 1.65 and 1.52 -> 1.01 ms CPU). Native: AveragePool (its NCHWc kernel).
   */
  readonly avgPoolBySums: boolean;
}

const CHOICES: Readonly<Record<RuntimeTarget, KernelChoices>> = {
  node: { winogradMinChannels: Infinity, avgPoolBySums: false },
  web: { winogradMinChannels: 32, avgPoolBySums: true },
};

export function kernelChoices(g: GraphBuilder): KernelChoices {
  return CHOICES[g.target];
}
