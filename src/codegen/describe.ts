/**
 * One short, nnx.tabulate-style description per layer for the forward-pass comments:
 * `Conv(3x3, 32)`, `Linear(3136 -> 128)`, `softmax(axis 3)`. Only what differs from Flax's
 * defaults is shown, so the common case reads like the spec.
 */
import type { IrLayer } from "../ir/model.js";
import type { ActivationAttrs } from "../layers/activations.js";
import type { AttendAttrs } from "../layers/attend.js";
import type { ConcatenateAttrs } from "../layers/concatenate.js";
import type { ConvAttrs, ConvPadding } from "../layers/conv.js";
import type { EinsumAttrs } from "../layers/einsum.js";
import type { EinsumOpAttrs } from "../layers/einsum_op.js";
import type { EmbedAttrs } from "../layers/embed.js";
import type { LinearAttrs } from "../layers/linear.js";
import type { LinearGeneralAttrs } from "../layers/linear_general.js";
import type { PoolAttrs } from "../layers/pooling.js";
import type { ReductionAttrs } from "../layers/reductions.js";
import type { ReshapeAttrs } from "../layers/reshape.js";
import type { TransposeAttrs } from "../layers/transpose.js";
import { shapeText } from "../shapes/expr.js";

export function describeLayer(layer: IrLayer): string {
  const { type, attrs } = layer;
  switch (type) {
    case "Conv":
      return conv(attrs as ConvAttrs);
    case "Linear": {
      const a = attrs as LinearAttrs;
      return call("Linear", [`${a.inFeatures} -> ${a.outFeatures}`, ...noBias(a.useBias)]);
    }
    case "LinearGeneral": {
      const a = attrs as LinearGeneralAttrs;
      return call("LinearGeneral", [
        `${list(a.inFeatures)} -> ${list(a.outFeatures)}`,
        `axis ${list(a.axis)}`,
        ...(a.batchSizes.length > 0 ? [`batch ${list(a.batchSizes)}`] : []),
        ...noBias(a.useBias),
      ]);
    }
    case "Embed": {
      const a = attrs as EmbedAttrs;
      return call("Embed", [String(a.numEmbeddings), String(a.features)]);
    }
    case "Einsum": {
      const a = attrs as EinsumAttrs;
      return call("Einsum", [a.equation, `kernel ${list(a.kernelShape)}`, ...(a.biasShape ? [`bias ${list(a.biasShape)}`] : [])]);
    }
    case "attend":
      return call("attend", [(attrs as AttendAttrs).embed]);
    case "einsum":
      return call("einsum", [(attrs as EinsumOpAttrs).equation]);
    case "gelu":
      return (attrs as ActivationAttrs).approximate === false ? "gelu(exact)" : "gelu";
    case "softmax":
    case "log_softmax":
      return call(type, [axes((attrs as ActivationAttrs).axes ?? [])]);
    case "mean":
    case "sum":
    case "max":
      return call(type, [axes((attrs as ReductionAttrs).axes)]);
    case "avg_pool":
    case "max_pool":
      return pool(type, attrs as PoolAttrs);
    case "reshape":
      return call("reshape", [shapeText((attrs as ReshapeAttrs).shape)]);
    case "transpose":
      return call("transpose", [list((attrs as TransposeAttrs).axes)]);
    case "concatenate":
      return call("concatenate", [`axis ${(attrs as ConcatenateAttrs).axis}`]);
    default:
      // relu, silu, sigmoid, tanh, add, multiply: the name says it all.
      return type;
  }
}

function conv(a: ConvAttrs): string {
  return call("Conv", [
    a.kernelSize.join("x"),
    String(a.outFeatures),
    ...unlessOnes("strides", a.strides),
    ...unlessOnes("kernel_dilation", a.kernelDilation),
    ...unlessOnes("input_dilation", a.inputDilation),
    ...(a.padding.kind === "SAME" ? [] : [convPadding(a.padding)]),
    ...(a.featureGroupCount === 1 ? [] : [`groups ${a.featureGroupCount}`]),
    ...noBias(a.useBias),
    ...(a.mask ? ["masked"] : []),
  ]);
}

function convPadding(p: ConvPadding): string {
  return p.kind === "explicit" ? `padding ${pairs(p.pads)}` : p.kind;
}

function pool(type: string, a: PoolAttrs): string {
  const padding = a.padding === "VALID" ? [] : [typeof a.padding === "string" ? a.padding : `padding ${pairs(a.padding)}`];
  const exclude = type === "avg_pool" && !a.countIncludePad ? ["count_include_pad false"] : [];
  return call(type, [a.windowShape.join("x"), ...unlessOnes("strides", a.strides), ...padding, ...exclude]);
}

function call(name: string, args: readonly string[]): string {
  return `${name}(${args.join(", ")})`;
}

function list(xs: readonly number[]): string {
  return `[${xs.join(", ")}]`;
}

function pairs(ps: readonly (readonly [number, number])[]): string {
  return `[${ps.map(([lo, hi]) => `[${lo}, ${hi}]`).join(", ")}]`;
}

function axes(xs: readonly number[]): string {
  return xs.length === 1 ? `axis ${xs[0]}` : `axes ${xs.join(", ")}`;
}

/** `strides 2` when uniform, `strides 1x2x2` otherwise; nothing for the default of ones. */
function unlessOnes(label: string, xs: readonly number[]): string[] {
  if (xs.every((x) => x === 1)) return [];
  return [`${label} ${xs.every((x) => x === xs[0]) ? xs[0] : xs.join("x")}`];
}

function noBias(useBias: boolean): string[] {
  return useBias ? [] : ["no bias"];
}
