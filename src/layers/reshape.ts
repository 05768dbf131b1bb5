/** jnp.reshape: integers, symbols and one -1; the element count must not change. */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { concat, reshape as reshapeOp, shapeOf } from "../runtime/onnx/ops_shape.js";
import { Expr, product, shapeText } from "../shapes/expr.js";
import { ZERO } from "./common.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";
import { call } from "./describe_text.js";

export interface ReshapeAttrs {
  shape: Expr[];
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<ReshapeAttrs> | undefined {
  const input = x!;
  const raw = f["shape"] as (number | string)[];
  const holes = raw.filter((d) => d === -1).length;
  if (holes > 1) {
    ctx.error("NNX2020", "shape", `reshape accepts at most one -1, got ${holes}`);
    return undefined;
  }
  for (const [k, d] of raw.entries()) {
    if (typeof d === "string" && !ctx.dims.has(d)) {
      ctx.error("NNX2001", `shape/${k}`, `reshape names the symbol "${d}", which no model input uses, so nothing can give it a value`, "use -1 for the dim to infer, or a symbol from the inputs");
      return undefined;
    }
  }
  const total = product(input.shape);
  const known = product(raw.filter((d) => d !== -1).map((d) => (typeof d === "number" ? Expr.const(d) : Expr.sym(d))));
  const hole = holes === 1 ? total.floordiv(known) : undefined;
  const shape = raw.map((d) => (d === -1 ? hole! : typeof d === "number" ? Expr.const(d) : Expr.sym(d)));
  const result = product(shape);
  const describe = `[${input.shape.map(String).join(", ")}] (${total.toString()} elements) into [${raw.join(", ")}]`;
  if (!result.equals(total)) {
    const fine = ctx.require([total, known], ([t, k]) => (hole ? k === 0 || t! % k! !== 0 : t !== k), "NNX2020", "shape", (v) =>
      `${v === "all" ? "cannot" : "for some allowed dims, cannot"} reshape ${describe}`,
    );
    if (!fine) return undefined;
  }
  return { attrs: { shape }, output: { dtype: input.dtype, shape }, params: [], cost: { macs: ZERO, flops: ZERO } };
}

/**
 * Static target dims are constants; one symbolic dim becomes -1; several are read from the
 * input's Shape where an input dim has the same expression.
 */
function lower(layer: IrLayer<ReshapeAttrs>, [x]: readonly string[], l: Lowering): string {
  const target = layer.attrs.shape;
  const symbolic = target.filter((d) => !d.isConst);
  if (symbolic.length <= 1) return reshapeOp(l.g, x!, target.map((d) => d.constant ?? -1));
  const inDims = l.dims(layer.inputs[0]!);
  const parts = target.map((d) => {
    if (d.isConst) return l.g.constInt64([d.constant!]);
    const at = inDims.indexOf(d.toString());
    if (at === -1) throw new Error(`reshape target dim ${d.toString()} is not an input dim; use -1 for it`);
    return shapeOf(l.g, x!, at, at + 1);
  });
  return reshapeOp(l.g, x!, concat(l.g, parts, 0));
}

export const reshape: LayerKind<ReshapeAttrs> = { types: ["reshape"], arity: "one", build, lower, describe: (a) => call("reshape", [shapeText(a.shape)]) };
