/** Integers and dim symbols in a layer's fields (broadcast_to's shape, arange's bounds). */
import type { Lowering } from "../runtime/lowering.js";
import { concat } from "../runtime/onnx/ops_shape.js";
import { Expr } from "../shapes/expr.js";
import type { LayerContext } from "./kind.js";

/** The field's entries as expressions; undefined after reporting a symbol no input defines. */
export function dimsOf(ctx: LayerContext, field: string, raw: readonly (number | string)[], list: boolean): Expr[] | undefined {
  const out: Expr[] = [];
  for (const [k, d] of raw.entries()) {
    if (typeof d === "string" && !ctx.dims.has(d)) {
      ctx.error("NNX2073", list ? `${field}/${k}` : field, `"${d}" is not a dim symbol of any model input, so nothing can give it a value`, "use an integer, or a symbol from the inputs' shapes");
      return undefined;
    }
    out.push(typeof d === "number" ? Expr.const(d) : Expr.sym(d));
  }
  return out;
}

/** A 1-D int64 value of these dims: a constant when static, else read from the inputs' shapes. */
export function dimsValue(l: Lowering, dims: readonly Expr[]): string {
  if (dims.every((d) => d.isConst)) return l.g.constInt64(dims.map((d) => d.constant!));
  return concat(l.g, dims.map((d) => (d.isConst ? l.g.constInt64([d.constant!]) : l.symbol(d.toString()))), 0);
}
