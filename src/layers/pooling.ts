/**
 * flax.nnx.avg_pool / max_pool: inputs (batch..., window dims..., features); an input with no
 * batch dim gets a batch of one. Strides default to ones; padding VALID, SAME or pairs.
 * avg_pool divides by prod(window_shape) when count_include_pad, else by the real count.
 */
import type { TensorType } from "../ir/model.js";
import { product, type Expr } from "../shapes/expr.js";
import { checkLength, inexactResult, requireFloatInput, typed, ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import type { IrLayer } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { avgPool, maxPool, type PoolOptions } from "../runtime/onnx/ops_pool.js";
import { tensorAttr, type GraphBuilder } from "../runtime/onnx/graph.js";
import type { Half } from "../runtime/onnx/rounding.js";
import { tensor } from "../tensor.js";
import { call, pairs, unlessOnes } from "./describe_text.js";

export interface PoolAttrs {
  windowShape: number[];
  strides: number[];
  padding: "SAME" | "VALID" | [number, number][];
  countIncludePad: boolean;
  batchDims: number;
}

function build(type: string) {
  return (f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<PoolAttrs> | undefined => {
    const input = x!;
    if (!requireFloatInput(ctx, input, type)) return undefined;
    const windowShape = f["window_shape"] as number[];
    const rank = windowShape.length;
    const strides = (f["strides"] as number[] | null) ?? windowShape.map(() => 1);
    if (!checkLength(ctx, "strides", strides, rank, "window_shape")) return undefined;
    const padding = f["padding"] as PoolAttrs["padding"];
    if (Array.isArray(padding) && padding.length !== rank) {
      ctx.error("NNX2007", "padding", `padding has ${padding.length} pairs but window_shape has ${rank} entries`);
      return undefined;
    }
    if (input.shape.length < rank + 1) {
      ctx.error("NNX2009", "input", `${type} with a ${rank}-D window needs an input of rank >= ${rank + 1} (window dims + features), got rank ${input.shape.length}`);
      return undefined;
    }
    const batchDims = input.shape.length - (rank + 1);
    const spatial: Expr[] = [];
    for (let i = 0; i < rank; i++) {
      const n = input.shape[batchDims + i]!;
      const k = windowShape[i]!;
      const s = strides[i]!;
      const out = padding === "SAME" ? n.ceildiv(s) : padding === "VALID" ? n.sub(k).floordiv(s).add(1) : n.add(padding[i]![0] + padding[i]![1] - k).floordiv(s).add(1);
      if (!ctx.require([out], ([v]) => v! < 1, "NNX2034", "window_shape", (v) => `${v === "all" ? "the" : "for some allowed sizes the"} window ${k} does not fit axis ${batchDims + i} of size ${n.toString()} (output size ${out.toString()})`)) return undefined;
      spatial.push(out);
    }
    const shape = [...input.shape.slice(0, batchDims), ...spatial, input.shape[input.shape.length - 1]!];
    const window = windowShape.reduce((a, b) => a * b, 1);
    const attrs: PoolAttrs = { windowShape, strides, padding, countIncludePad: type === "avg_pool" ? (f["count_include_pad"] as boolean) : true, batchDims };
    // avg_pool computes in the input's dtype, except that without count_include_pad Flax divides
    // by pooled float32 ones (a float32 result); max_pool only selects.
    const output = type === "avg_pool" && !attrs.countIncludePad ? inexactResult([input.dtype, "float32"], ctx.x64) : input.dtype;
    return { attrs, ...(type === "avg_pool" ? { numerics: { compute: input.dtype } } : {}), output: typed(output, shape), params: [], cost: { macs: ZERO, flops: product(shape).mul(window) } };
  };
}

function lower(type: string) {
  return (layer: IrLayer<PoolAttrs>, [x]: readonly string[], l: Lowering): string => {
    const a = layer.attrs;
    const o = {
      inputShape: l.dims(layer.inputs[0]!),
      dtype: l.dtype(layer.inputs[0]!),
      window: a.windowShape,
      strides: a.strides,
      padding: a.padding === "SAME" ? ({ kind: "same" } as const) : a.padding === "VALID" ? ({ kind: "valid" } as const) : ({ kind: "explicit", pads: a.padding } as const),
    };
    const half = l.g.rounding?.ops;
    if (type === "avg_pool" && half) return avgPool16(l.g, x!, o, a, half);
    return type === "avg_pool" ? avgPool(l.g, x!, { ...o, countIncludePad: a.countIncludePad }) : maxPool(l.g, x!, o);
  };
}

/**
 * flax avg_pool on float16/bfloat16: lax.reduce_window's sum (accumulated in float32, rounded
 * once), then divided by prod(window) in the dtype, or by the pooled float32 ones (a float32
 * division and result). The float32 sum is taken as window x the average (within an ulp of
 * float32 of XLA's sum, so the 16-bit rounding agrees but for near-ties).
 */
function avgPool16(g: GraphBuilder, x: string, o: PoolOptions, a: PoolAttrs, half: Half): string {
  const window = g.scalar(a.windowShape.reduce((p, k) => p * k, 1), "float32");
  const sumOf = (v: string) => g.node("Mul", [avgPool(g, v, { ...o, countIncludePad: true }), window]);
  const sum = g.roundTo(g.withRounding(undefined, () => sumOf(x)), half);
  if (a.countIncludePad) return g.node("Div", [sum, window]);
  return g.withRounding(undefined, () => {
    const ones = g.node("ConstantOfShape", [g.node("Shape", [x])], { value: tensorAttr(tensor("float32", [1], [1])) });
    return g.node("Div", [sum, g.node("Round", [sumOf(ones)])]);
  });
}

function describe(type: string) {
  return (a: PoolAttrs): string => {
    const padding = a.padding === "VALID" ? [] : [typeof a.padding === "string" ? a.padding : `padding ${pairs(a.padding)}`];
    const exclude = type === "avg_pool" && !a.countIncludePad ? ["count_include_pad false"] : [];
    return call(type, [a.windowShape.join("x"), ...unlessOnes("strides", a.strides), ...padding, ...exclude]);
  };
}

export const pooling: LayerKind<PoolAttrs>[] = ["avg_pool", "max_pool"].map((t) => ({ types: [t], arity: "one", build: build(t), lower: lower(t), describe: describe(t) }));
