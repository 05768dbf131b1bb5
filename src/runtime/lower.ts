/**
 * Lower the whole IR to one ONNX graph, built in memory: inputs and outputs keep the spec's
 * names, dtypes and channels-last layouts; symbolic dims stay symbolic (dim_param); weights
 * become initializers so the runtime can pre-pack them.
 */
import { RuntimeFailure } from "../diagnostics/errors.js";
import type { IrModel, TensorType } from "../ir/model.js";
import { partName, qualifiedParamName, valueTypes } from "../ir/model.js";
import { LAYER_KINDS } from "../layers/registry.js";
import type { Tensor } from "../tensor.js";
import { layerParams } from "../params/stacked.js";
import type { Lowering } from "./lowering.js";
import { shapeOf } from "./onnx/ops_shape.js";
import { GraphBuilder, type BuildOptions, type BuiltModel, type Dim, type RuntimeTarget } from "./onnx/graph.js";
import { nameRecord } from "../util/names.js";

export function onnxDims(t: TensorType): Dim[] {
  return t.shape.map((d) => d.constant ?? d.toString());
}

export interface LowerOptions extends BuildOptions {
  /** The runtime the graph is for (default node): see onnx/kernels.ts. */
  readonly target?: RuntimeTarget;
}

export function lowerModel(model: IrModel, params: ReadonlyMap<string, Tensor>, options: LowerOptions = {}): BuiltModel {
  const g = new GraphBuilder(model.model, undefined, options.target);
  params = layerParams(model, params);
  const types = valueTypes(model);
  // compileModel refuses inputs outside `dims` before a run, so these minimums always hold.
  const mins = nameRecord(Object.fromEntries(Object.entries(model.dims).map(([sym, c]) => [sym, c.min])));
  const values = new Map<string, string>();
  for (const i of model.inputs) values.set(i.name, g.input(i.name, i.type.dtype, onnxDims(i.type)));
  const ctx: Lowering = {
    g,
    param: (layer, name) => {
      const t = params.get(qualifiedParamName(layer, name));
      if (!t) throw new RuntimeFailure(`parameter ${qualifiedParamName(layer, name)} is missing at lowering time`);
      return t;
    },
    dims: (value) => onnxDims(types.get(value)!),
    minDims: (value) => types.get(value)!.shape.map((d) => d.lowerBound(mins)),
    dtype: (value) => types.get(value)!.dtype,
    symbol: (name) => {
      for (const i of model.inputs) {
        const at = i.type.shape.findIndex((d) => d.constant === undefined && d.toString() === name);
        if (at !== -1) return shapeOf(g, values.get(i.name)!, at, at + 1);
      }
      throw new RuntimeFailure(`no model input has the dim ${name}`);
    },
  };
  for (const layer of model.layers) {
    const kind = LAYER_KINDS.get(layer.type)!;
    if (!kind.lower) throw new RuntimeFailure(`layer type ${layer.type} has no lowering`);
    const ins = layer.inputs.map((n) => values.get(n)!);
    try {
      const out = kind.lower(layer, ins, ctx);
      if (typeof out === "string") values.set(layer.name, out);
      else out.forEach((v, k) => values.set(partName(layer.name, k), v));
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
