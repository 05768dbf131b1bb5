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
}

const CHOICES: Readonly<Record<RuntimeTarget, KernelChoices>> = {
  node: { winogradMinChannels: Infinity },
  web: { winogradMinChannels: 32 },
};

export function kernelChoices(g: GraphBuilder): KernelChoices {
  return CHOICES[g.target];
}
