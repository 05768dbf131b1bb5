/**
 * Stacked repeats (`repeat: {count, stacked: true}`): the copies' params live in one array per
 * parameter with leading axes, as nnx.vmap stores them; each copy reads a view of its slice.
 * No Node imports: lowering (and so the browser entry) uses this.
 */
import { paramName, type IrLayer, type IrModel, type ParamSpec, type StackSlot } from "../ir/model.js";
import { numElements, type Tensor } from "../tensor.js";

/** The stored name of a stacked layer's param: its path without the copy indices. */
export function storedName(slot: StackSlot, l: IrLayer, p: ParamSpec): string {
  return paramName({ ...l, name: slot.name }, p);
}

/** Where a stacked copy's slice starts in the stored array, in elements. */
export function sliceOffset(slot: StackSlot, p: ParamSpec): number {
  let flat = 0;
  slot.index.forEach((k, level) => (flat = flat * slot.counts[level]! + k));
  return flat * numElements(p.shape);
}

/**
 * The per-layer params lowering reads (`<layer>.<param>`): the stored map plus, for every
 * layer of a stacked repeat, a view of its slice of the stored array (no copy).
 */
export function layerParams(model: IrModel, stored: ReadonlyMap<string, Tensor>): ReadonlyMap<string, Tensor> {
  if (!model.stacked || Object.keys(model.stacked).length === 0) return stored;
  const out = new Map(stored);
  for (const l of model.layers) {
    const slot = model.stacked[l.name];
    if (!slot) continue;
    for (const p of l.params) {
      const t = stored.get(storedName(slot, l, p));
      if (!t) continue;
      const start = sliceOffset(slot, p);
      out.set(paramName(l, p), { dtype: t.dtype, shape: [...p.shape], data: t.data.subarray(start, start + numElements(p.shape)) } as Tensor);
    }
  }
  return out;
}
