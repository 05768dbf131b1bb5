/**
 * flax.nnx.Einsum: einsum(einsum_str, x, kernel) + bias. The bias broadcasts over every
 * output axis whose index is not a kernel index; it must hold exactly as many elements as
 * that broadcast shape (Flax reshapes it row-major).
 */
import type { TensorType } from "../ir/model.js";
import { Expr } from "../shapes/expr.js";
import { asList, dotNumerics, makeParams, paramDtype, requireFloatInput, typed } from "./common.js";
import { checkEqualities, einsumMacs, einsumOutputShape, einsumStructure, isProblem, parseEinsum, squeezedEquation } from "./einsum_equation.js";
import { reshapeHost } from "../runtime/onnx/host.js";
import { squeeze } from "../runtime/onnx/ops_shape.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { einsum as einsumOp } from "../runtime/onnx/ops_linear.js";
import { call, list } from "./describe_text.js";

export interface EinsumAttrs {
  /** Spaces removed, ellipses expanded. */
  equation: string;
  kernelShape: number[];
  biasShape?: number[];
  /** The bias reshaped for broadcasting against the output. */
  biasBroadcast?: number[];
  /** The size-1 axes of x and of the kernel that broadcast (squeezed before lowering). */
  broadcast: number[][];
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<EinsumAttrs> | undefined {
  const input = x!;
  if (!requireFloatInput(ctx, input, "Einsum")) return undefined;
  const raw = f["einsum_str"] as string;
  const structural = einsumStructure(raw, 2);
  if (structural) {
    ctx.error(structural.code, "einsum_str", structural.message, structural.hint);
    return undefined;
  }
  const kernelShape = f["kernel_shape"] as number[];
  const parsed = parseEinsum(raw, [input.shape, kernelShape.map((d) => Expr.const(d))]);
  if (isProblem(parsed)) {
    ctx.error(parsed.code, "einsum_str", `${parsed.message} (input [${input.shape.map(String).join(", ")}], kernel_shape [${kernelShape.join(", ")}])`, parsed.hint);
    return undefined;
  }
  if (!checkEqualities(ctx, parsed, "einsum_str")) return undefined;
  const kernelSubs = parsed.operands[1]!;
  const biasRaw = f["bias_shape"];
  const attrs: EinsumAttrs = { equation: parsed.expanded, kernelShape, broadcast: parsed.broadcast };
  if (biasRaw !== null && biasRaw !== undefined) {
    const biasShape = asList(biasRaw as number | number[]);
    if (new Set(kernelSubs).size !== kernelSubs.length) {
      ctx.error("NNX2036", "einsum_str", `kernel subscripts "${kernelSubs}" repeat an index, which Flax's bias broadcast does not allow`);
      return undefined;
    }
    const broadcast = [...parsed.output].map((c) => (kernelSubs.includes(c) ? kernelShape[kernelSubs.indexOf(c)]! : 1));
    const need = broadcast.reduce((a, b) => a * b, 1);
    const have = biasShape.reduce((a, b) => a * b, 1);
    if (need !== have) {
      ctx.error("NNX2017", "bias_shape", `bias_shape [${biasShape.join(", ")}] has ${have} elements but its broadcast shape [${broadcast.join(", ")}] needs ${need}`, `use bias_shape [${broadcast.filter((d) => d !== 1).join(", ")}]`);
      return undefined;
    }
    attrs.biasShape = biasShape;
    attrs.biasBroadcast = broadcast;
  }
  const params = makeParams(ctx, [
    { name: "kernel", shape: kernelShape, initField: "kernel_init", init: f["kernel_init"], shapeField: "kernel_shape" },
    ...(attrs.biasShape ? [{ name: "bias", shape: attrs.biasShape, initField: "bias_init", init: f["bias_init"], shapeField: "bias_shape" }] : []),
  ], paramDtype(ctx, f));
  if (!params) return undefined;
  const { numerics, output } = dotNumerics(ctx, f, input.dtype, params.map((p) => p.dtype), attrs.biasShape !== undefined);
  const macs = einsumMacs(parsed);
  return { attrs, numerics, output: typed(output, einsumOutputShape(parsed)), params, cost: { macs, flops: macs.mul(2) } };
}

export const einsum: LayerKind<EinsumAttrs> = {
  types: ["Einsum"],
  arity: "one",
  build,
  lower: (layer, [x], l) => {
    const [bx, bk] = layer.attrs.broadcast as [number[], number[]];
    const kernel = l.param(layer.name, "kernel");
    // The broadcast size-1 axes leave the operands (and their letters the equation).
    const k = bk.length ? reshapeHost(kernel, kernel.shape.filter((_, i) => !bk.includes(i))) : kernel;
    const xs = bx.length ? squeeze(l.g, x!, bx) : x!;
    const bias = layer.attrs.biasShape ? { bias: l.param(layer.name, "bias") } : {};
    return einsumOp(l.g, xs, squeezedEquation(layer.attrs.equation, layer.attrs.broadcast), k, bias);
  },
  describe: (a) => call("Einsum", [a.equation, `kernel ${list(a.kernelShape)}`, ...(a.biasShape ? [`bias ${list(a.biasShape)}`] : [])]),
};
