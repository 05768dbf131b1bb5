/**
 * Lower the whole IR to one ONNX graph, built in memory: inputs and outputs keep the spec's
 * names, dtypes and channels-last layouts; symbolic dims stay symbolic (dim_param); weights
 * become initializers so the runtime can pre-pack them.
 */
import { RuntimeFailure } from "../diagnostics/errors.js";
import type { IrModel, TensorType } from "../ir/model.js";
import { partName, qualifiedParamName, valueTypes } from "../ir/model.js";
import { LAYER_KINDS } from "../layers/registry.js";
import { isFloatDType, tensor, type DType, type Tensor } from "../tensor.js";
import type { IrLayer } from "../ir/model.js";
import { bf16ToF32, f16ToF32 } from "../io/convert.js";
import { castValue, graphDtype } from "./onnx/ops_elementwise.js";
import { isHalf, roundingFor, roundScalar, type Half } from "./onnx/rounding.js";
import { onnxDType } from "./onnx/graph.js";
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
  for (const i of model.inputs) {
    const x = g.input(i.name, i.type.dtype, onnxDims(i.type));
    // 16-bit floats are float32 inside the graph (onnx/rounding.ts): widening them is exact.
    values.set(i.name, isHalf(i.type.dtype) ? g.node("Cast", [x], { to: onnxDType("float32") }) : x);
  }
  let current: IrLayer | undefined;
  const ctx: Lowering = {
    g,
    param: (layer, name) => {
      const t = params.get(qualifiedParamName(layer, name));
      if (!t) throw new RuntimeFailure(`parameter ${qualifiedParamName(layer, name)} is missing at lowering time`);
      return graphParam(t, current && castOf(current));
    },
    dims: (value) => onnxDims(types.get(value)!),
    minDims: (value) => types.get(value)!.shape.map((d) => d.lowerBound(mins)),
    dtype: (value) => graphDtype(types.get(value)!.dtype),
    valueDtype: (value) => types.get(value)!.dtype,
    symbol: (name) => {
      for (const i of model.inputs) {
        const at = i.type.shape.findIndex((d) => d.constant === undefined && d.toString() === name);
        if (at !== -1) return shapeOf(g, values.get(i.name)!, at, at + 1);
      }
      throw new RuntimeFailure(`no model input has the dim ${name}`);
    },
  };
  for (const layer of model.layers) {
    current = layer;
    try {
      const out = lowerLayer(layer, layer.inputs.map((n) => values.get(n)!), layer.inputs.map((n) => types.get(n)!.dtype), ctx);
      if (typeof out === "string") values.set(layer.name, out);
      else out.forEach((v, k) => values.set(partName(layer.name, k), v));
    } catch (e) {
      if (e instanceof RuntimeFailure) throw e;
      throw new RuntimeFailure(`cannot lower layer ${layer.name} (${layer.type}): ${(e as Error).message}`, { cause: e });
    }
  }
  for (const o of model.outputs) {
    const t = types.get(o.value)!;
    const v = values.get(o.value)!;
    // A model input is returned as fed; any other 16-bit output is exactly representable
    // already, and its Cast only narrows the storage.
    const isInput = model.inputs.some((i) => i.name === o.value);
    g.output(isInput ? o.value : isHalf(t.dtype) ? g.narrowTo(v, t.dtype) : v, o.name, t.dtype, onnxDims(t));
  }
  return g.build(options);
}

/**
 * One layer into `ctx.g`: floating inputs cast to its dtype (promote_dtype; integer ids and bool
 * masks are not), its arithmetic rounded where JAX rounds, and its output rounded once at the
 * end where it computed in float32 (norms) or wider. Also runtime/float64.ts's dry lowering.
 */
export function lowerLayer(layer: IrLayer, values: readonly string[], dtypes: readonly DType[], ctx: Lowering): string | readonly string[] {
  const { g } = ctx;
  const kind = LAYER_KINDS.get(layer.type)!;
  if (!kind.lower) throw new RuntimeFailure(`layer type ${layer.type} has no lowering`);
  const num = layer.numerics && { ...layer.numerics, cast: castOf(layer) };
  const ins = values.map((v, k) => (num?.cast && isFloatDType(dtypes[k]!) ? castValue(g, v, dtypes[k]!, num.cast) : v));
  const rounding = num ? roundingFor(num.compute ?? "float32", num.dot ?? num.compute ?? "float32") : undefined;
  const saved = g.floatScalars;
  g.floatScalars = num?.compute === "float64" || num?.cast === "float64" ? "float64" : undefined;
  let out: string | readonly string[];
  try {
    out = g.withRounding(rounding, () => kind.lower(layer, ins, ctx));
  } finally {
    g.floatScalars = saved;
  }
  return typeof out === "string" && num && isHalf(layer.output.dtype) && rounding?.ops !== layer.output.dtype ? g.roundTo(out, layer.output.dtype) : out;
}

/**
 * The dtype a layer's inputs and parameters are cast to. preferred_element_type float64 on
 * float32 operands: XLA widens them (exactly) and dots in double, and the float32 bias widens
 * exactly too, so such a layer is computed in float64 throughout.
 */
export function castOf(layer: IrLayer): DType | undefined {
  const num = layer.numerics;
  return num?.dot === "float64" && num.cast === "float32" ? "float64" : num?.cast;
}

const graphParams = new WeakMap<Tensor, Map<string, Tensor>>();

/**
 * A parameter as the graph holds it (onnx/rounding.ts): float16/bfloat16 widened to float32,
 * and rounded to `cast` when the layer promotes it to a 16-bit dtype (promote_dtype's
 * jnp.asarray). Cached per tensor, so a tied table stays one initializer.
 */
export function graphParam(t: Tensor, cast: DType | undefined): Tensor {
  const to = cast !== undefined && isHalf(cast) && t.dtype !== cast ? cast : undefined;
  // x64: widened exactly for a layer computing in float64; a float64 parameter of a layer
  // computing in float32 (dtype: float32) rounded, as jnp.asarray does.
  const wide = cast === "float64" && t.dtype !== "float64" ? "float64" : cast === "float32" && t.dtype === "float64" ? "float32" : undefined;
  if (!isHalf(t.dtype) && to === undefined && wide === undefined) return t;
  let byCast = graphParams.get(t);
  if (!byCast) graphParams.set(t, (byCast = new Map()));
  const key = `${to ?? ""}:${wide ?? ""}`;
  let out = byCast.get(key);
  if (!out) byCast.set(key, (out = convertParam(t, wide ?? "float32", to)));
  return out;
}

function convertParam(t: Tensor, dtype: "float32" | "float64", round?: Half): Tensor {
  const n = t.data.length;
  const out = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  const src = t.data;
  const decode = t.dtype === "bfloat16" ? bf16ToF32 : t.dtype === "float16" ? f16ToF32 : undefined;
  for (let i = 0; i < n; i++) {
    const v = decode ? decode((src as Uint16Array)[i]!) : Number(src[i]!);
    out[i] = round ? roundScalar(v, round) : v;
  }
  return tensor(dtype, t.shape, out);
}
