/**
 * flax.nnx.Conv on channels-last values: batch dims normalized to one, NHWC -> NCHW
 * Transposes around an ONNX Conv (ORT's NCHWc optimizer turns them into cheap reorders and
 * cancels them between consecutive convs), Flax's padding modes, input dilation.
 */

import type { Tensor } from "../../tensor.js";
import type { Dim, GraphBuilder } from "./graph.js";
import { flipHost, mulHost, transposeHost } from "./host.js";
import { INT64_MAX, concat, range, reshape, shapeOf, slice, toChannelsFirst, toChannelsLast, withOneBatchDim } from "./ops_shape.js";
import { kernelChoices } from "./kernels.js";
import { winogradConv3x3 } from "./ops_winograd.js";
import { cropNegative, dilateInput, onnxPads, pad, padConstant, padReflect, padWrap, resolvePadding, samePads, type Pair, type WindowPadding } from "./ops_spatial.js";

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
  const wino = winogradPads(g, b.x, o, spatial, padding, [...strides, ...kDil, ...inDil]);
  if (wino) {
    const kernel = o.mask ? mulHost(o.kernel as Tensor, o.mask) : (o.kernel as Tensor);
    return b.restore(winogradConv3x3(g, b.x, { spatial: spatial as [number, number], kernel, pads: wino, ...(o.bias !== undefined ? { bias: o.bias } : {}) }));
  }
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
  // In 16 bits JAX rounds the conv, then the bias add (onnx/rounding.ts): no fused bias then.
  const bias = o.bias === undefined ? undefined : typeof o.bias === "string" ? o.bias : g.constant(o.bias, "conv_b");
  if (bias !== undefined && !g.rounding) ins.push(bias);
  const y = g.node("Conv", ins, {
    kernel_shape: kernelSize,
    strides,
    dilations: kDil,
    pads: onnxPads(convPads),
    group: o.groups ?? 1,
  });
  const out = b.restore(toChannelsLast(g, y, r));
  return bias !== undefined && g.rounding ? g.node("Add", [out, bias]) : out;
}

/**
 * The static, non-negative pads of a convolution that kernels.ts runs as Winograd F(2x2, 3x3)
 * on this target (3x3 float32 kernel, no strides or dilations, one group, static spatial
 * sizes, enough channels); undefined for any other.
 */
function winogradPads(g: GraphBuilder, x: string, o: ConvOptions, spatial: readonly Dim[], padding: ConvPadding, steps: readonly number[]): [Pair, Pair] | undefined {
  const k = o.kernel;
  if (!isTensor(k) || k.dtype !== "float32" || k.shape.length !== 4 || k.shape[0] !== 3 || k.shape[1] !== 3) return undefined;
  const min = kernelChoices(g).winogradMinChannels;
  if (k.shape[2]! < min || k.shape[3]! < min || (o.groups ?? 1) !== 1 || steps.some((s) => s !== 1)) return undefined;
  if (!spatial.every((n) => typeof n === "number") || padding.kind === "circular" || padding.kind === "reflect" || padding.kind === "causal") return undefined;
  const res = resolvePadding(g, x, padding, spatial, [3, 3], [1, 1]);
  if (res.kind !== "static" || res.pads.some(([lo, hi]) => lo < 0 || hi < 0)) return undefined;
  return [res.pads[0]!, res.pads[1]!];
}

export type ConvTransposePadding = { readonly kind: "same" | "valid" | "circular" | "same_lower" } | { readonly kind: "explicit"; readonly pads: readonly Pair[] };

export interface ConvTransposeOptions {
  /** Shape of x: (batch dims..., spatial..., C); symbolic dims as strings. */
  readonly inputShape: readonly Dim[];
  readonly minInputShape?: readonly (number | undefined)[];
  /** The Flax kernel as stored: kernel_size + (in, out), or + (out, in) with transposeKernel. */
  readonly kernel: Tensor;
  readonly transposeKernel: boolean;
  /** Multiplied into the stored kernel (Flax `mask`, the kernel's shape). */
  readonly mask?: Tensor;
  readonly bias?: Tensor;
  readonly strides: readonly number[];
  readonly kernelDilation: readonly number[];
  readonly padding: ConvTransposePadding;
  /**
   * "ConvTranspose": ONNX ConvTranspose, which skips the zeros between input elements;
   * "Conv": a Conv over the zero-dilated input, exactly lax's formulation. Default: Conv when
   * every stride is 1 (nothing to dilate, and ORT's NCHWc Conv is faster), else ConvTranspose
   * (measured ~3x faster at stride 2, test/runtime/bench_conv_transpose.ts).
   */
  readonly method?: "ConvTranspose" | "Conv";
}

/**
 * The (lo, hi) pads of the conv_general_dilated that lax.conv_transpose runs (lhs dilation =
 * strides, window strides 1) for one spatial axis of dilated kernel size `keff`
 * (jax/_src/lax/convolution.py `_conv_transpose_padding`). CIRCULAR runs VALID, as Flax does;
 * SAME_LOWER (strides 1 only) is lax.padtype_to_pads' forward rule.
 */
export function convTransposePads(keff: number, s: number, p: ConvTransposePadding, i: number): Pair {
  switch (p.kind) {
    case "explicit":
      return p.pads[i]!;
    case "same_lower":
      return samePads(keff, keff, 1, true);
    case "same": {
      const len = keff + s - 2;
      const a = s > keff - 1 ? keff - 1 : Math.ceil(len / 2);
      return [a, len - a];
    }
    case "valid":
    case "circular":
      return [keff - 1, s - 1 + Math.max(keff - s, 0)];
  }
}

/** y = flax.nnx.ConvTranspose(x) (lax.conv_transpose, Flax's CIRCULAR fold, bias); channels-last in and out. */
export function convTransposeNhwc(g: GraphBuilder, x: string, o: ConvTransposeOptions): string {
  const r = o.kernel.shape.length - 2;
  const kernelSize = o.kernel.shape.slice(0, r);
  const spatialAxes = range(0, r);
  const keff = kernelSize.map((k, i) => (k - 1) * o.kernelDilation[i]! + 1);
  const pads = keff.map((k, i) => convTransposePads(k, o.strides[i]!, o.padding, i));
  const masked = o.mask ? mulHost(o.kernel, o.mask) : o.kernel;
  // lax.conv_transpose(transpose_kernel=True): flip the spatial axes, swap in/out.
  const hwio = o.transposeKernel ? transposeHost(flipHost(masked, spatialAxes), [...spatialAxes, r + 1, r]) : masked;
  const circular = o.padding.kind === "circular";
  const nBatch = o.inputShape.length - (r + 1);
  const spatialIn = o.inputShape.slice(nBatch, nBatch + r);
  if ((o.method ?? (o.strides.every((v) => v === 1) ? "Conv" : "ConvTranspose")) === "Conv") {
    const y = convNhwc(g, x, {
      inputShape: o.inputShape,
      ...(o.minInputShape ? { minInputShape: o.minInputShape } : {}),
      kernel: hwio,
      ...(o.bias && !circular ? { bias: o.bias } : {}),
      kernelDilation: o.kernelDilation,
      inputDilation: o.strides,
      padding: { kind: "explicit", pads },
    });
    if (!circular) return y;
    const folded = foldCircular(g, y, o.inputShape.length, nBatch, spatialIn, o);
    return o.bias ? g.node("Add", [folded, g.constant(o.bias, "convt_b")]) : folded;
  }
  // ONNX ConvTranspose scatters x[i] * W'[k] to i*s + k*d - lo', W' the spatially flipped
  // correlation kernel, lo' = keff - 1 - lo: the same sum as the conv over the dilated input.
  const w = g.constant(transposeHost(flipHost(hwio, spatialAxes), [r, r + 1, ...spatialAxes]), "convt_w");
  const onnx = pads.map(([lo, hi], i) => [keff[i]! - 1 - lo, keff[i]! - 1 - hi] as const);
  // ConvTranspose pads only crop: pads wider than keff - 1 add outputs no tap reaches (zeros).
  const extra = onnx.map(([lo, hi]) => [Math.max(0, -lo), Math.max(0, -hi)] as const);
  const padded = extra.some(([lo, hi]) => lo > 0 || hi > 0);
  const b = withOneBatchDim(g, x, nBatch);
  const ins = [toChannelsFirst(g, b.x, r), w];
  const biasInside = o.bias !== undefined && !padded && !circular && !g.rounding;
  if (biasInside) ins.push(g.constant(o.bias!, "convt_b"));
  let y = g.node("ConvTranspose", ins, {
    kernel_shape: kernelSize,
    strides: o.strides,
    dilations: o.kernelDilation,
    pads: onnxPads(onnx.map(([lo, hi]) => [Math.max(0, lo), Math.max(0, hi)] as const)),
  });
  if (padded) y = padConstant(g, y, extra, r);
  if (circular) y = foldCircular(g, y, r + 2, 2, spatialIn, o);
  if (o.bias && !biasInside) y = g.node("Add", [y, g.constant(reshapeBias(o.bias, r), "convt_b")]);
  return b.restore(toChannelsLast(g, y, r));
}

/** The bias as (C, 1, ...) for a channels-first value. */
function reshapeBias(bias: Tensor, r: number): Tensor {
  return { ...bias, shape: [bias.shape[0]!, ...range(0, r).map(() => 1)] };
}

/**
 * Flax's CIRCULAR ConvTranspose: the VALID result (size P + e per axis, P = n * stride,
 * e = max(keff - stride, 0)) padded to an odd number of periods and summed period by period.
 * Output j collects every y[i] with i = j + c (mod P), c = floor(e / 2) (ceil with
 * transpose_kernel), whatever the padding's whole periods: with e <= P that is
 * y[c : c + P], plus the last e - c elements of y on its head, plus the first c on its tail
 * (slices from the ends, so symbolic n works). Smaller static sizes do Flax's pad, reshape
 * and sum. `first` is the index of the first spatial axis of y.
 */
function foldCircular(g: GraphBuilder, y: string, rank: number, first: number, spatialIn: readonly Dim[], o: ConvTransposeOptions): string {
  const r = spatialIn.length;
  for (let i = 0; i < r; i++) {
    const s = o.strides[i]!;
    const keff = (o.kernel.shape[i]! - 1) * o.kernelDilation[i]! + 1;
    const e = Math.max(keff - s, 0);
    if (e === 0) continue;
    const axis = first + i;
    const c = o.transposeKernel ? Math.ceil(e / 2) : Math.floor(e / 2);
    const n = spatialIn[i]!;
    const least = typeof n === "number" ? n : o.minInputShape?.[o.inputShape.length - 1 - r + i];
    if (typeof n === "number" && n * s < e) {
      y = foldStatic(g, y, rank, axis, n * s, e, c);
      continue;
    }
    if (least === undefined || least * s < e) throw new Error(`CIRCULAR ConvTranspose needs input size * stride >= ${e} on spatial axis ${i}`);
    const main = slice(g, y, [c], [-(e - c)], [axis]);
    const parts: string[] = [];
    if (e - c > 0) parts.push(g.node("Add", [slice(g, main, [0], [e - c], [axis]), slice(g, y, [-(e - c)], [INT64_MAX], [axis])]));
    parts.push(slice(g, main, [e - c], [c > 0 ? -c : INT64_MAX], [axis]));
    if (c > 0) parts.push(g.node("Add", [slice(g, main, [-c], [INT64_MAX], [axis]), slice(g, y, [0], [c], [axis])]));
    y = concat(g, parts, axis);
  }
  return y;
}

/** Fold one static axis of size p + e: pad so that y[c] starts a period, then sum the periods. */
function foldStatic(g: GraphBuilder, y: string, rank: number, axis: number, p: number, e: number, c: number): string {
  const lo = (p - (c % p)) % p;
  const periods = Math.ceil((p + e + lo) / p);
  const padded = pad(g, y, rank, axis, [[lo, periods * p - (p + e) - lo]], "constant");
  const split = reshape(g, padded, concat(g, [shapeOf(g, y, 0, axis), g.constInt64([periods, p]), shapeOf(g, y, axis + 1)], 0));
  return g.node("ReduceSum", [split, g.constInt64([axis])], { keepdims: 0 });
}
