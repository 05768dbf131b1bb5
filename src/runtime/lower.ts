/**
 * Lower the whole IR to one ONNX graph, built in memory: inputs and outputs keep the spec's
 * names, dtypes and channels-last layouts; symbolic dims stay symbolic (dim_param); weights
 * become initializers so the runtime can pre-pack them.
 */
import { RuntimeFailure } from "../diagnostics/errors.js";
import type { IrModel, TensorType } from "../ir/model.js";
import { valueTypes } from "../ir/model.js";
import { LAYER_KINDS } from "../layers/registry.js";
import type { Tensor } from "../tensor.js";
import type { Lowering, LoweringPreferences } from "./lowering.js";
import { GraphBuilder, type BuildOptions, type BuiltModel, type Dim } from "./onnx/graph.js";

export function onnxDims(t: TensorType): Dim[] {
  return t.shape.map((d) => d.constant ?? d.toString());
}

export function lowerModel(model: IrModel, params: ReadonlyMap<string, Tensor>, options: BuildOptions & { readonly prefer?: LoweringPreferences | undefined } = {}): BuiltModel {
  const g = new GraphBuilder(model.model);
  const types = valueTypes(model);
  // compileModel refuses inputs outside `dims` before a run, so these minimums always hold.
  const mins = Object.fromEntries(Object.entries(model.dims).map(([sym, c]) => [sym, c.min]));
  const values = new Map<string, string>();
  for (const i of model.inputs) values.set(i.name, g.input(i.name, i.type.dtype, onnxDims(i.type)));
  const ctx: Lowering = {
    g,
    param: (layer, name) => {
      const t = params.get(`${layer}.${name}`);
      if (!t) throw new RuntimeFailure(`parameter ${layer}.${name} is missing at lowering time`);
      return t;
    },
    dims: (value) => onnxDims(types.get(value)!),
    minDims: (value) => types.get(value)!.shape.map((d) => d.lowerBound(mins)),
    dtype: (value) => types.get(value)!.dtype,
    ...(options.prefer ? { prefer: options.prefer } : {}),
  };
  for (const layer of model.layers) {
    const kind = LAYER_KINDS.get(layer.type)!;
    if (!kind.lower) throw new RuntimeFailure(`layer type ${layer.type} has no lowering`);
    const ins = layer.inputs.map((n) => values.get(n)!);
    try {
      values.set(layer.name, kind.lower(layer, ins, ctx));
    } catch (e) {
      if (e instanceof RuntimeFailure) throw e;
      throw new RuntimeFailure(`cannot lower layer ${layer.name} (${layer.type}): ${(e as Error).message}`, { cause: e });
    }
  }
  for (const o of model.outputs) {
    const t = types.get(o.value)!;
    g.output(values.get(o.value)!, o.name, t.dtype, onnxDims(t));
  }
  return g.build(options);
}
