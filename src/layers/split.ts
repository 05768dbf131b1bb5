/**
 * jnp.split: `indices_or_sections` N cuts the axis into N equal parts (N must divide its size,
 * as jnp.split raises otherwise); a list of indices cuts at those offsets, with JAX's rule that
 * the part sizes `diff([0, *indices, size])` are non-negative (no NumPy-style clamping). The
 * parts are the values `<layer>.0`, `<layer>.1`, ...
 */
import type { IrLayer, TensorType } from "../ir/model.js";
import type { Lowering } from "../runtime/lowering.js";
import { INT64_MAX, slice } from "../runtime/onnx/ops_shape.js";
import { Expr } from "../shapes/expr.js";
import { normalizeAxis, ZERO } from "./common.js";
import { call, list } from "./describe_text.js";
import type { Built, LayerContext, LayerKind } from "./kind.js";

export interface SplitAttrs {
  axis: number;
  /** Equal parts (the sections form). */
  sections?: number;
  /** Cut offsets (the indices form). */
  indices?: number[];
}

function build(f: Readonly<Record<string, unknown>>, [x]: readonly TensorType[], ctx: LayerContext): Built<SplitAttrs> | undefined {
  const input = x!;
  const axis = normalizeAxis(ctx, "axis", f["axis"] as number, input.shape.length);
  if (axis === undefined) return undefined;
  const size = input.shape[axis]!;
  const spec = f["indices_or_sections"] as number | number[];
  const part = (d: Expr): TensorType => ({ dtype: input.dtype, shape: input.shape.map((s, i) => (i === axis ? d : s)) });
  if (typeof spec === "number") {
    if (!ctx.require([size], ([n]) => n! % spec !== 0, "NNX2077", "indices_or_sections", (v) =>
      `array split does not result in an equal division: axis ${axis} of size ${size.toString()} into ${spec} sections${v === "some" ? " for some allowed sizes" : ""}`, "give a number of sections that divides the size, or a list of indices")) return undefined;
    const each = size.floordiv(spec);
    return { attrs: { axis, sections: spec }, output: part(each), parts: Array.from({ length: spec }, () => part(each)), params: [], cost: { macs: ZERO, flops: ZERO } };
  }
  const bounds = [0, ...spec];
  for (let k = 1; k < bounds.length; k++) {
    if (bounds[k]! < bounds[k - 1]!) {
      ctx.error("NNX2077", `indices_or_sections/${k - 1}`, `split index ${bounds[k]} is ${bounds[k]! < 0 ? "negative" : `below the previous index ${bounds[k - 1]}`}: jnp.split needs non-negative, non-decreasing indices (part sizes diff([0, *indices, size]) are never negative)`);
      return undefined;
    }
  }
  const last = bounds[bounds.length - 1]!;
  if (!ctx.require([size], ([n]) => n! < last, "NNX2077", `indices_or_sections/${spec.length - 1}`, (v) =>
    `split index ${last} is past the end of axis ${axis} of size ${size.toString()}${v === "some" ? " for some allowed sizes" : ""} (jnp.split would give a negative part size)`)) return undefined;
  const parts = [...bounds.slice(1).map((b, k) => part(Expr.const(b - bounds[k]!))), part(size.sub(last))];
  return { attrs: { axis, indices: spec }, output: parts[0]!, parts, params: [], cost: { macs: ZERO, flops: ZERO } };
}

function lower(layer: IrLayer<SplitAttrs>, [x]: readonly string[], l: Lowering): string[] {
  const { axis, sections, indices } = layer.attrs;
  if (sections !== undefined) return sections === 1 ? [x!] : l.g.nodeMulti("Split", [x!], sections, { axis, num_outputs: sections });
  const bounds = [0, ...indices!];
  return bounds.map((b, k) => slice(l.g, x!, [b], [k + 1 < bounds.length ? bounds[k + 1]! : INT64_MAX], [axis]));
}

export const split: LayerKind<SplitAttrs> = {
  types: ["split"],
  arity: "one",
  build,
  lower,
  describe: (a) => call("split", [a.sections !== undefined ? `${a.sections} sections` : `at ${list(a.indices!)}`, `axis ${a.axis}`]),
};
