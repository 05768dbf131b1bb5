/**
 * flax.nnx.Conv on channels-last values: batch dims normalized to one, NHWC -> NCHW
 * Transposes around an ONNX Conv (ORT's NCHWc optimizer turns them into cheap reorders and
 * cancels them between consecutive convs), Flax's padding modes, input dilation.
 */

import type { Tensor } from "../../tensor.js";
import type { Dim, GraphBuilder } from "./graph.js";
import { mulHost, transposeHost } from "./host.js";
import { range, toChannelsFirst, toChannelsLast, withOneBatchDim } from "./ops_shape.js";
import { cropNegative, dilateInput, onnxPads, padConstant, padReflect, padWrap, resolvePadding, type Pair, type WindowPadding } from "./ops_spatial.js";

export type ConvPadding = WindowPadding | { readonly kind: "circular" } | { readonly kind: "reflect" } | { readonly kind: "causal" };

export interface ConvOptions {
  /** Shape of x: (batch dims..., spatial..., C); symbolic dims as strings. Any number of batch dims, 0 included. */
  readonly inputShape: readonly Dim[];
  /** The smallest each symbolic dim of x can be (undefined: unknown); lets padding skip size checks. */
  readonly minInputShape?: readonly (number | undefined)[];
  /**
   * The Flax kernel, HWIO (kernel_size + (in // groups, out)), re-laid out to OIHW at build
   * time; or the name of an existing OIHW value with its spatial size.
   */
  readonly kernel: Tensor | { readonly name: string; readonly kernelSize: readonly number[] };
  /** Multiplied into a Tensor kernel at build time (Flax `mask`, same shape as the kernel). */
  readonly mask?: Tensor;
  readonly bias?: Tensor | string;
  /** Defaults: all 1. */
  readonly strides?: readonly number[];
  readonly kernelDilation?: readonly number[];
  readonly inputDilation?: readonly number[];
  /** Default SAME, as Flax. */
  readonly padding?: ConvPadding;
  readonly groups?: number;
}

const isTensor = (k: ConvOptions["kernel"]): k is Tensor => "data" in k;

/** y = flax.nnx.Conv(x); returns the channels-last output value. */
export function convNhwc(g: GraphBuilder, x: string, o: ConvOptions): string {
  const kernelSize = isTensor(o.kernel) ? o.kernel.shape.slice(0, -2) : o.kernel.kernelSize;
  const r = kernelSize.length;
  const ones = kernelSize.map(() => 1);
  const strides = o.strides ?? ones;
  const kDil = o.kernelDilation ?? ones;
  const inDil = o.inputDilation ?? ones;
  const padding = o.padding ?? { kind: "same" };
  const nBatch = o.inputShape.length - (r + 1);
  const keff = kernelSize.map((k, i) => (k - 1) * kDil[i]! + 1);
  let spatial = o.inputShape.slice(nBatch, nBatch + r);
  let minSpatial = spatial.map((n, i) => (typeof n === "number" ? n : o.minInputShape?.[nBatch + i]));

  const b = withOneBatchDim(g, x, nBatch);
  let xc = toChannelsFirst(g, b.x, r);
  if (inDil.some((d) => d !== 1)) {
    // lax.conv_general_dilated refuses string padding together with lhs dilation.
    if (padding.kind !== "explicit") throw new Error(`Conv input dilation needs explicit padding, got ${padding.kind}`);
    xc = dilateInput(g, xc, inDil);
    spatial = spatial.map((n, i) => (typeof n === "number" ? Math.max(0, 1 + inDil[i]! * (n - 1)) : n));
    minSpatial = minSpatial.map((n, i) => (n === undefined ? undefined : Math.max(0, 1 + inDil[i]! * (n - 1))));
  }

  let convPads: readonly Pair[];
  switch (padding.kind) {
    case "circular":
    case "reflect": {
      // Flax pads a fixed ((keff-1)//2, keff//2), whatever the strides, then runs VALID.
      const pads = keff.map((k) => [Math.floor((k - 1) / 2), Math.floor(k / 2)] as const);
      xc = padding.kind === "circular" ? padWrap(g, xc, pads, spatial, minSpatial) : padReflect(g, xc, pads, spatial, minSpatial);
      convPads = pads.map(() => [0, 0]);
      break;
    }
    case "causal":
      if (r !== 1) throw new Error("Causal padding is only implemented for 1D convolutions.");
      convPads = [[kDil[0]! * (kernelSize[0]! - 1), 0]];
      break;
    default: {
      const res = resolvePadding(g, xc, padding, spatial, keff, strides);
      if (res.kind === "dynamic") {
        xc = padConstant(g, xc, res.pads, r);
        convPads = keff.map(() => [0, 0]);
      } else {
        const c = cropNegative(g, xc, res.pads);
        xc = c.x;
        convPads = c.pads;
      }
    }
  }

  let w: string;
  if (isTensor(o.kernel)) {
    const k = o.mask ? mulHost(o.kernel, o.mask) : o.kernel;
    w = g.constant(transposeHost(k, [r + 1, r, ...range(0, r)]), "conv_w");
  } else {
    w = o.kernel.name;
  }
  const ins = [xc, w];
  if (o.bias !== undefined) ins.push(typeof o.bias === "string" ? o.bias : g.constant(o.bias, "conv_b"));
  const y = g.node("Conv", ins, {
    kernel_shape: kernelSize,
    strides,
    dilations: kDil,
    pads: onnxPads(convPads),
    group: o.groups ?? 1,
  });
  return b.restore(toChannelsLast(g, y, r));
}
