/**
 * jax.nn.one_hot(x, num_classes, dtype=float32, axis=-1): `x[..., None] == arange(num_classes)`
 * with the class axis inserted at `axis` (counted in the output). Negative and out-of-range
 * indices give all zeros (no wrapping). Integer inputs only: JAX deprecates float inputs.
 */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { cast, unsqueeze } from "../runtime/onnx/ops_shape.js";
import { Expr, product } from "../shapes/expr.js";
import { isIntDType, tensor, type DType } from "../tensor.js";
import { normalizeAxis, ZERO } from "./common.js";
import { call } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface OneHotAttrs {
  numClasses: number;
  axis: number;
  dtype: DType;
  /** The class axis is the last (the default). */
  last: boolean;
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<OneHotAttrs> | undefined {
  const input = x!;
  if (!isIntDType(input.dtype)) {
    ctx.error("NNX2080", ctx.given("input") ? "input" : undefined, `one_hot needs integer indices, got ${input.dtype} (jax.nn.one_hot deprecates float inputs)`, "declare the input with an integer dtype such as int32");
    return undefined;
  }
  const numClasses = f["num_classes"] as number;
  const axis = normalizeAxis(ctx, "axis", f["axis"] as number, input.shape.length + 1);
  if (axis === undefined) return undefined;
  const shape = [...input.shape];
  shape.splice(axis, 0, Expr.const(numClasses));
  const dtype = f["dtype"] as DType;
  return { attrs: { numClasses, axis, dtype, last: axis === input.shape.length }, output: { dtype, shape }, params: [], cost: { macs: ZERO, flops: product(shape) } };
}

function lower(layer: IrLayer<OneHotAttrs>, [x]: readonly string[], l: Lowering): string {
  const g = l.g;
  const { numClasses, axis, dtype } = layer.attrs;
  const outRank = l.dims(layer.inputs[0]!).length + 1;
  // arange(num_classes) laid along `axis` of the output, ones elsewhere.
  const classesShape = Array.from({ length: outRank - axis }, (_, i) => (i === 0 ? numClasses : 1));
  const classes = g.constant(tensor("int64", classesShape, Array.from({ length: numClasses }, (_, i) => BigInt(i))), "classes");
  const ids = l.dtype(layer.inputs[0]!) === "int64" ? x! : cast(g, x!, "int64");
  const hot = g.node("Equal", [unsqueeze(g, ids, [axis]), classes]);
  return dtype === "bool" ? hot : cast(g, hot, dtype);
}

export const oneHot: LayerKind<OneHotAttrs> = {
  types: ["one_hot"],
  arity: "one",
  build,
  lower,
  describe: (a) => call("one_hot", [String(a.numClasses), ...(a.last ? [] : [`axis ${a.axis}`]), ...(a.dtype !== "float32" ? [a.dtype] : [])]),
};
