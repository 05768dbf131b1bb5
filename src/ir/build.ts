/**
 * From validated spec data to the IR: names, wiring, defaults from the schema, and shape
 * inference layer by layer. Every problem is reported at its YAML node; a layer whose
 * inputs failed is skipped, so one mistake gives one diagnostic rather than a cascade.
 */
import { dirnameOf as dirname } from "../host.js";
import { pointerOf } from "../diagnostics/diagnostic.js";
import type { Built, LayerContext } from "../layers/kind.js";
import { LAYER_KINDS, PARAMETERIZED } from "../layers/registry.js";
import { DimTable } from "../shapes/dims.js";
import { Expr } from "../shapes/expr.js";
import { dimMinDefault, layerDefaults, tensorDtypeDefault, topLevelDefault } from "../spec/schema.js";
import { canonicalize } from "../dtypes/promote.js";
import type { SpecSource } from "../spec/source.js";
import type { BrokenLayers } from "../spec/validate.js";
import type { DType } from "../tensor.js";
import { didYouMean } from "../util/suggest.js";
import { parsePartRef, partName, type DimConstraint, type IrInput, type IrLayer, type IrModel, type IrOutput, type ParamSpec, type TensorType } from "./model.js";
import { expandModules, type ExpandableSpec } from "./modules.js";
import { nameRecord } from "../util/names.js";
import { float64Gap, type Float64Gap } from "../runtime/float64.js";

interface RawSpec {
  model: string;
  description?: string;
  inputs: Record<string, { shape: (number | string)[]; dtype?: DType }>;
  dims?: Record<string, { min?: number; max?: number }>;
  layers: Record<string, unknown>[];
  outputs?: string[] | Record<string, string>;
  x64?: boolean;
}

/**
 * An input's dtype as `jnp.asarray` makes it: with x64 off, 64-bit types are their 32-bit
 * counterparts (a float64 file is converted to float32), with a warning.
 */
function inputDtype(src: SpecSource, name: string, d: DType, x64: boolean): DType {
  const c = canonicalize(d, x64);
  if (c !== d) {
    src.report("NNX2110", pointerOf(["inputs", name, "dtype"]), `input ${name}: ${d} is ${c} in JAX's default (jax_enable_x64 off); nnx-gen computes it as ${c}`, {
      severity: "warning",
      hint: `set x64: true at the top of the spec for real ${d}, or declare ${c}`,
    });
  }
  return c;
}

/**
 * Build the IR of a schema-valid spec; undefined when any error was reported. `bind` pins
 * symbols to values, so rules that hold only for some sizes are decided for these.
 */
export function buildModel(src: SpecSource, bind: Readonly<Record<string, number>> = {}, broken?: BrokenLayers): IrModel | undefined {
  const data = src.data as RawSpec;
  // A layer that is not even a mapping (a schema error) has no fields to read.
  const mappings = data.layers.map((l) => (l !== null && typeof l === "object" && !Array.isArray(l) ? l : {}));
  // Module uses become their body's layers, named by path (modules.ts).
  const exp = expandModules(src, { ...data, layers: mappings } as ExpandableSpec);
  const spec = { ...data, layers: exp.layers, outputs: exp.outputs } as RawSpec;
  const rawLayers = spec.layers;
  // Schema errors are reported per spec layer: a top-level layer's index in the spec.
  const brokenFields = (index: number) => {
    const m = /^\/layers\/(\d+)$/.exec(exp.pointers[index]!);
    return m ? broken?.get(Number(m[1])) : undefined;
  };
  const errorsBefore = src.diagnostics.filter((d) => d.severity === "error").length;

  const x64 = spec.x64 ?? (topLevelDefault("x64") as boolean);
  const inputs: IrInput[] = Object.entries(spec.inputs).map(([name, t]) => ({
    name,
    pointer: pointerOf(["inputs", name]),
    type: {
      dtype: inputDtype(src, name, t.dtype ?? (tensorDtypeDefault() as DType), x64),
      shape: t.shape.map((d) => (typeof d === "number" ? Expr.const(d) : Expr.sym(d))),
    },
  }));
  const dims = readDims(src, spec, inputs);
  const pinned = nameRecord(dims);
  for (const [s, v] of Object.entries(bind)) if (Object.hasOwn(dims, s)) pinned[s] = { min: v, max: v };
  const table = new DimTable(pinned);

  // Names: explicit, or <type>_<k> with k counting every layer of that type.
  const perType = new Map<string, number>();
  const names = rawLayers.map((l) => {
    const type = l["type"] as string;
    const k = perType.get(type) ?? 0;
    perType.set(type, k + 1);
    return typeof l["name"] === "string" ? l["name"] : `${type}_${k}`;
  });
  const firstIndex = new Map<string, number>();
  names.forEach((n, i) => {
    const ptr = rawLayers[i]!["name"] !== undefined ? `${exp.pointers[i]}/name` : exp.pointers[i]!;
    if (Object.hasOwn(spec.inputs, n)) {
      src.report("NNX2002", ptr, `layer name "${n}" is already the name of a model input`);
    } else if (firstIndex.has(n)) {
      const explicit = rawLayers[i]!["name"] !== undefined;
      src.report("NNX2002", ptr, `duplicate layer name "${n}" (also layer ${firstIndex.get(n)})${explicit ? "" : " — it is the default name of this unnamed layer"}`, {
        hint: "give each layer a unique name",
      });
    } else firstIndex.set(n, i);
  });

  const values = new Map<string, TensorType | null>(inputs.map((i) => [i.name, i.type]));
  const fieldsByName = new Map(names.map((n, i) => [n, rawLayers[i]!]));
  const embedNames = names.filter((_, i) => rawLayers[i]!["type"] === "Embed");
  const layers: IrLayer[] = [];
  const consumed = new Set<string>();
  const splitParts = new Map<string, number>();
  const specDir = dirname(src.file);

  rawLayers.forEach((given, index) => {
    const type = given["type"] as string;
    const name = names[index]!;
    const pointer = exp.pointers[index]!;
    if (exp.broken.has(index)) return void values.set(name, null);
    const kind = LAYER_KINDS.get(type);
    // A layer with schema errors: inferred from its valid fields, quietly (its errors are
    // reported), so the layers after it are still checked; its wiring must be intact.
    const badFields = brokenFields(index);
    if (!kind || (badFields && ["", "type", "input", "embed"].some((f) => badFields.has(f)))) {
      values.set(name, null);
      return;
    }
    const raw = badFields ? Object.fromEntries(Object.entries(given).filter(([k]) => !badFields.has(k))) : given;
    let quietFailure = false;
    const main = resolveInputs(src, spec, raw, index, names, kind.arity, pointer);
    // Fields that name other values (an attention mask) are read after the inputs.
    const extra = (kind.valueRefs?.(raw) ?? []).map(({ field, name: r }) => (refOk(src, spec, r, `${pointer}/${field}`, index, names) ? r : undefined));
    const refs = main && extra.every((r) => r !== undefined) ? [...main, ...(extra as string[])] : undefined;
    if (type === "attend") consumed.add(raw["embed"] as string);
    refs?.forEach((r) => consumed.add(parsePartRef(r)?.layer ?? r));
    const partsOk = refs ? checkPartRefs(src, refs, raw["input"] !== undefined, pointer, kind.arity, splitParts, values) : false;
    const inputTypes = partsOk ? refs?.map((r) => values.get(r)) : undefined;
    if (!refs || !inputTypes || inputTypes.some((t) => !t)) {
      values.set(name, null);
      return;
    }
    const fields = { ...layerDefaults(type), ...raw };
    const at = (field: string | undefined) => (field === undefined ? pointer : `${pointer}/${field}`);
    const ctx: LayerContext = {
      name,
      specDir,
      dims: table,
      error: (code, field, message, hint) => (badFields ? (quietFailure = true) : src.report(code, at(field), `${name}: ${message}`, { hint })),
      warn: (code, field, message, hint) => void (badFields || src.report(code, at(field), `${name}: ${message}`, { hint, severity: "warning" })),
      require: (exprs, fails, code, field, message, hint) => {
        const v = table.verdict(exprs, fails);
        if (v === "never") return true;
        if (badFields) {
          quietFailure ||= v === "all";
          return v !== "all";
        }
        const syms = [...new Set(exprs.flatMap((e) => e.symbols()))];
        const range = syms.length ? ` (allowed: ${syms.map((s) => table.describe(s)).join(", ")})` : "";
        src.report(code, at(field), `${name}: ${message(v)}${v === "some" ? range : ""}`, { hint, severity: v === "all" ? "error" : "warning" });
        return v === "some";
      },
      given: (field) => field in raw,
      layerFields: (n) => fieldsByName.get(n),
      embedNames: () => embedNames,
      literal: (field) => src.literal(at(field)),
      x64,
    };
    let built: Built<unknown> | undefined;
    try {
      built = kind.build(fields, inputTypes as TensorType[], ctx);
    } catch (e) {
      // A rule we did not foresee must still be a diagnostic, never a crash.
      if (!badFields) src.report("NNX2023", pointer, `${name}: cannot infer this layer's shape: ${(e as Error).message}`);
      quietFailure = true;
    }
    // Data movement too: some lowerings compute (max's NaN check, max_pool's padding).
    if (built && !quietFailure && x64 && (computesFloat64(built) || [built.output, ...(inputTypes as TensorType[])].some((t) => t?.dtype === "float64"))) {
      const layer: IrLayer = { name, type, index, pointer, inputs: refs, attrs: built.attrs, ...(built.numerics ? { numerics: built.numerics } : {}), output: built.output, params: built.params, cost: built.cost };
      const paramOf = (owner: string, p: string) => (owner === name ? layer : layers.find((l) => l.name === owner))?.params.find((s) => s.name === p);
      quietFailure = !float64Lowerable(ctx, layer, inputTypes as TensorType[], paramOf, nameRecord(Object.fromEntries(Object.entries(dims).map(([s, c]) => [s, c.min]))));
    }
    values.set(name, quietFailure ? null : (built?.output ?? null));
    if (built?.parts && !quietFailure) {
      splitParts.set(name, built.parts.length);
      built.parts.forEach((t, k) => values.set(partName(name, k), t));
    }
    if (built && !badFields) layers.push({ name, type, index, pointer, inputs: refs, attrs: built.attrs, ...(built.numerics ? { numerics: built.numerics } : {}), output: built.output, params: built.params, cost: built.cost, ...(built.parts ? { parts: built.parts } : {}) });
  });

  const outputs = resolveOutputs(src, spec, names, inputs, splitParts, (layer) => values.get(layer) === null);
  for (const o of outputs ?? []) consumed.add(parsePartRef(o.value)?.layer ?? o.value);
  // With unresolved outputs every would-be output looks unused: one typo, one diagnostic.
  names.forEach((n, i) => {
    if (outputs && !consumed.has(n) && firstIndex.get(n) === i && !exp.internal.has(n)) {
      const ptr = exp.pointers[i]!;
      src.report("NNX2026", ptr, `layer "${n}" is never used: no layer reads it and it is not an output`, {
        severity: "warning",
        hint: "add it to outputs, or remove it",
      });
    }
  });

  const errorsAfter = src.diagnostics.filter((d) => d.severity === "error").length;
  if (errorsAfter > errorsBefore || !outputs || broken) return undefined;
  const model: IrModel = { file: src.file, model: spec.model, inputs, dims, layers, outputs, ...(x64 ? { x64 } : {}), ...(exp.uses.length ? { uses: exp.uses, stacked: Object.fromEntries(exp.stacked) } : {}) };
  return spec.description === undefined ? model : { ...model, description: spec.description };
}

function readDims(src: SpecSource, spec: RawSpec, inputs: IrInput[]): Record<string, DimConstraint> {
  const used = new Set(inputs.flatMap((i) => i.type.shape.flatMap((d) => d.symbols())));
  const out = nameRecord<DimConstraint>();
  for (const s of used) out[s] = { min: dimMinDefault() };
  for (const [name, c] of Object.entries(spec.dims ?? {})) {
    const ptr = pointerOf(["dims", name]);
    if (!used.has(name)) {
      src.report("NNX2029", ptr, `dims constrains "${name}", which no input shape uses`, { at: "key", hint: didYouMean(name, used) });
      continue;
    }
    const min = c.min ?? dimMinDefault();
    if (c.max !== undefined && c.max < min) {
      src.report("NNX2029", `${ptr}/max`, `dims.${name}: max ${c.max} is below min ${min}`);
      continue;
    }
    out[name] = c.max === undefined ? { min } : { min, max: c.max };
  }
  return out;
}

function resolveInputs(
  src: SpecSource,
  spec: RawSpec,
  raw: Record<string, unknown>,
  index: number,
  names: string[],
  arity: "one" | "many" | "oneOrMany" | "none",
  pointer: string,
): string[] | undefined {
  const given = raw["input"];
  if (arity === "none") return [];
  if (given === undefined) {
    if (index > 0) return [names[index - 1]!];
    const inputNames = Object.keys(spec.inputs);
    if (inputNames.length === 1) return [inputNames[0]!];
    src.report("NNX2028", pointer, `the first layer has no input and the model has ${inputNames.length} inputs (${inputNames.join(", ")})`, {
      hint: `set input: ${inputNames[0]}`,
    });
    return undefined;
  }
  // The schema gives a list for "many", a name for "one", and either for "oneOrMany".
  const refs = Array.isArray(given) ? (given as (string | number)[]) : [given as string];
  let ok = true;
  refs.forEach((r, k) => {
    // A number is a scalar constant (schema: only ops that take them allow it); the kind reads it from `input`.
    if (typeof r === "number") return;
    if (!refOk(src, spec, r, Array.isArray(given) ? `${pointer}/input/${k}` : `${pointer}/input`, index, names)) ok = false;
  });
  return ok ? refs.filter((r): r is string => typeof r === "string") : undefined;
}

/** Whether `r` names a model input or an earlier layer; reports at `ptr` otherwise. */
function refOk(src: SpecSource, spec: RawSpec, r: string, ptr: string, index: number, names: string[]): boolean {
  if (Object.hasOwn(spec.inputs, r)) return true;
  // An exact name first (a module path may end in a name), then a split part `<layer>.<k>`.
  const at = names.includes(r) ? names.indexOf(r) : names.indexOf(parsePartRef(r)?.layer ?? r);
  if (at === -1) {
    src.report("NNX2001", ptr, `unknown input "${r}": no model input or layer has that name`, { hint: didYouMean(r, [...Object.keys(spec.inputs), ...names.slice(0, index)]) });
    return false;
  }
  if (at >= index) {
    src.report("NNX2028", ptr, `input "${r}" is ${at === index ? "this layer itself" : `layer ${at}, which comes later`}; a layer can only read model inputs and earlier layers`);
    return false;
  }
  return true;
}

function resolveOutputs(src: SpecSource, spec: RawSpec, names: string[], inputs: IrInput[], splitParts: ReadonlyMap<string, number>, failed: (layer: string) => boolean): IrOutput[] | undefined {
  const last = names[names.length - 1]!;
  if (spec.outputs === undefined) {
    const n = splitParts.get(last);
    // A split's parts are the outputs `<layer>_<k>` (identifiers, for files and generated fields).
    return n === undefined ? [{ name: last, value: last }] : Array.from({ length: n }, (_, k) => ({ name: `${last}_${k}`, value: partName(last, k) }));
  }
  const entries: [string, string, string][] = Array.isArray(spec.outputs)
    ? spec.outputs.map((v, i) => [v.replace(".", "_"), v, pointerOf(["outputs", i])])
    : Object.entries(spec.outputs).map(([k, v]) => [k, v, pointerOf(["outputs", k])]);
  const known = new Set([...names, ...inputs.map((i) => i.name)]);
  for (const [layer, n] of splitParts) {
    known.delete(layer);
    for (let k = 0; k < n; k++) known.add(partName(layer, k));
  }
  let ok = true;
  const seen = new Set<string>();
  for (const [name, value, ptr] of entries) {
    const part = parsePartRef(value);
    if (!known.has(value) && part && failed(part.layer)) {
      ok = false; // reported at the layer
    } else if (!known.has(value) && (splitParts.has(value) || (part && names.includes(part.layer)))) {
      src.report("NNX2076", ptr, splitPartProblem(value, splitParts), { hint: splitParts.has(value) ? `use ${value}.0 ... ${value}.${splitParts.get(value)! - 1}` : undefined });
      ok = false;
    } else if (!known.has(value)) {
      src.report("NNX2001", ptr, `output "${value}" is not a layer or input of the model`, { hint: didYouMean(value, names) });
      ok = false;
    }
    if (seen.has(name)) {
      src.report("NNX2002", ptr, `duplicate output name "${name}"`);
      ok = false;
    } else if (name !== value && inputs.some((i) => i.name === name)) {
      // The exported graph and generated modules name values by these: one name, one value.
      src.report("NNX2002", ptr, `output name "${name}" is already the name of a model input`, { at: "key" });
      ok = false;
    }
    seen.add(name);
  }
  return ok ? entries.map(([name, value]) => ({ name, value })) : undefined;
}

/** Why a reference to a split layer, or to a part of a layer, names no value. */
function splitPartProblem(ref: string, splitParts: ReadonlyMap<string, number>): string {
  const n = splitParts.get(ref);
  if (n !== undefined) return `"${ref}" is a split into ${n} parts; name one part, ${ref}.0 ... ${ref}.${n - 1}`;
  const p = parsePartRef(ref)!;
  const m = splitParts.get(p.layer);
  return m === undefined ? `"${ref}" names part ${p.part} of layer ${p.layer}, which is not a split` : `"${ref}": split ${p.layer} has ${m} parts (${p.layer}.0 ... ${p.layer}.${m - 1})`;
}

/**
 * Every reference to a split is to one of its parts, and every part reference is to a split
 * that has it. References to layers that failed are left alone (one mistake, one diagnostic).
 */
function checkPartRefs(
  src: SpecSource,
  refs: readonly string[],
  explicit: boolean,
  pointer: string,
  arity: "one" | "many" | "oneOrMany" | "none",
  splitParts: ReadonlyMap<string, number>,
  values: ReadonlyMap<string, TensorType | null>,
): boolean {
  let ok = true;
  refs.forEach((r, k) => {
    const part = parsePartRef(r);
    const bad = splitParts.has(r) || (part !== undefined && values.get(part.layer) !== null && !values.has(r));
    if (!bad) return;
    const ptr = !explicit ? pointer : arity === "many" ? `${pointer}/input/${k}` : `${pointer}/input`;
    const n = splitParts.get(r);
    src.report("NNX2076", ptr, `${explicit ? "" : "the previous layer, "}${splitPartProblem(r, splitParts)}`, { hint: n !== undefined ? `set input: ${r}.0` : undefined });
    ok = false;
  });
  return ok;
}

/** Whether a layer computes or stores float64 (data movement of a float64 value does neither). */
/**
 * Whether onnxruntime computes this float64 layer (runtime/float64.ts); if not, a `check`
 * error naming the op without a double kernel and what to write instead.
 */
function float64Lowerable(ctx: LayerContext, layer: IrLayer, inputs: readonly TensorType[], paramOf: (layer: string, name: string) => ParamSpec | undefined, mins: Readonly<Record<string, number>>): boolean {
  const field = ctx.given("dtype") ? "dtype" : ctx.given("param_dtype") ? "param_dtype" : ctx.given("preferred_element_type") ? "preferred_element_type" : undefined;
  const hint = "dtype" in layerDefaults(layer.type)
    ? "set dtype: float32 on this layer (promote_dtype then casts its inputs and float64 parameters to float32), or x64: false"
    : "convert its input first ({type: astype, dtype: float32}), or set x64: false";
  let gap: Float64Gap | undefined;
  try {
    gap = float64Gap(layer, inputs, paramOf, mins);
  } catch (e) {
    ctx.error("NNX2111", field, `${layer.type} computes in float64 here (x64: true), and nnx-gen cannot lower it in float64: ${(e as Error).message}`, hint);
    return false;
  }
  if (!gap) return true;
  if (gap.why === "mixed") ctx.error("NNX2111", field, `${layer.type} computes in float64 here (x64: true), and nnx-gen's lowering of it is not float64 throughout yet (float32 meets float64 at ${gap.op})`, hint);
  else ctx.error("NNX2130", field, `${layer.type} computes in float64 here (x64: true), and its lowering needs ONNX ${gap.op}, which has no double kernel in onnxruntime (native or web)`, hint);
  return false;
}

function computesFloat64(b: Built<unknown>): boolean {
  const n = b.numerics;
  const f64 = (d: DType | undefined) => d === "float64";
  return f64(n?.cast) || f64(n?.compute) || f64(n?.dot) || b.params.some((p) => f64(p.dtype)) || (n !== undefined && f64(b.output.dtype));
}

/** Layer kinds that own parameters (for summaries and codegen). */
export function hasParams(l: IrLayer): boolean {
  return PARAMETERIZED.has(l.type);
}
