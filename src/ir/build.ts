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
import { dimMinDefault, layerDefaults, tensorDtypeDefault } from "../spec/schema.js";
import type { SpecSource } from "../spec/source.js";
import type { DType } from "../tensor.js";
import { didYouMean } from "../util/suggest.js";
import type { DimConstraint, IrInput, IrLayer, IrModel, IrOutput, TensorType } from "./model.js";

interface RawSpec {
  model: string;
  description?: string;
  inputs: Record<string, { shape: (number | string)[]; dtype?: DType }>;
  dims?: Record<string, { min?: number; max?: number }>;
  layers: Record<string, unknown>[];
  outputs?: string[] | Record<string, string>;
}

/**
 * Build the IR of a schema-valid spec; undefined when any error was reported. `bind` pins
 * symbols to values, so rules that hold only for some sizes are decided for these.
 */
export function buildModel(src: SpecSource, bind: Readonly<Record<string, number>> = {}): IrModel | undefined {
  const spec = src.data as RawSpec;
  const errorsBefore = src.diagnostics.filter((d) => d.severity === "error").length;

  const inputs: IrInput[] = Object.entries(spec.inputs).map(([name, t]) => ({
    name,
    pointer: pointerOf(["inputs", name]),
    type: {
      dtype: t.dtype ?? (tensorDtypeDefault() as DType),
      shape: t.shape.map((d) => (typeof d === "number" ? Expr.const(d) : Expr.sym(d))),
    },
  }));
  const dims = readDims(src, spec, inputs);
  const pinned = { ...dims };
  for (const [s, v] of Object.entries(bind)) if (Object.hasOwn(dims, s)) pinned[s] = { min: v, max: v };
  const table = new DimTable(pinned);

  // Names: explicit, or <type>_<k> with k counting every layer of that type.
  const perType = new Map<string, number>();
  const names = spec.layers.map((l) => {
    const type = l["type"] as string;
    const k = perType.get(type) ?? 0;
    perType.set(type, k + 1);
    return typeof l["name"] === "string" ? l["name"] : `${type}_${k}`;
  });
  const firstIndex = new Map<string, number>();
  names.forEach((n, i) => {
    const ptr = spec.layers[i]!["name"] !== undefined ? pointerOf(["layers", i, "name"]) : pointerOf(["layers", i]);
    if (Object.hasOwn(spec.inputs, n)) {
      src.report("NNX2002", ptr, `layer name "${n}" is already the name of a model input`);
    } else if (firstIndex.has(n)) {
      const explicit = spec.layers[i]!["name"] !== undefined;
      src.report("NNX2002", ptr, `duplicate layer name "${n}" (also layer ${firstIndex.get(n)})${explicit ? "" : " — it is the default name of this unnamed layer"}`, {
        hint: "give each layer a unique name",
      });
    } else firstIndex.set(n, i);
  });

  const values = new Map<string, TensorType | null>(inputs.map((i) => [i.name, i.type]));
  const fieldsByName = new Map(names.map((n, i) => [n, spec.layers[i]!]));
  const embedNames = names.filter((_, i) => spec.layers[i]!["type"] === "Embed");
  const layers: IrLayer[] = [];
  const consumed = new Set<string>();
  const specDir = dirname(src.file);

  spec.layers.forEach((raw, index) => {
    const type = raw["type"] as string;
    const name = names[index]!;
    const pointer = pointerOf(["layers", index]);
    const kind = LAYER_KINDS.get(type)!;
    const refs = resolveInputs(src, spec, raw, index, names, kind.arity, pointer);
    if (type === "attend") consumed.add(raw["embed"] as string);
    refs?.forEach((r) => consumed.add(r));
    const inputTypes = refs?.map((r) => values.get(r));
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
      error: (code, field, message, hint) => src.report(code, at(field), `${name}: ${message}`, { hint }),
      warn: (code, field, message, hint) => src.report(code, at(field), `${name}: ${message}`, { hint, severity: "warning" }),
      require: (exprs, fails, code, field, message, hint) => {
        const v = table.verdict(exprs, fails);
        if (v === "never") return true;
        const syms = [...new Set(exprs.flatMap((e) => e.symbols()))];
        const range = syms.length ? ` (allowed: ${syms.map((s) => table.describe(s)).join(", ")})` : "";
        src.report(code, at(field), `${name}: ${message(v)}${v === "some" ? range : ""}`, { hint, severity: v === "all" ? "error" : "warning" });
        return v === "some";
      },
      given: (field) => field in raw,
      layerFields: (n) => fieldsByName.get(n),
      embedNames: () => embedNames,
    };
    let built: Built<unknown> | undefined;
    try {
      built = kind.build(fields, inputTypes as TensorType[], ctx);
    } catch (e) {
      // A rule we did not foresee must still be a diagnostic, never a crash.
      src.report("NNX2023", pointer, `${name}: cannot infer this layer's shape: ${(e as Error).message}`);
    }
    values.set(name, built?.output ?? null);
    if (built) layers.push({ name, type, index, pointer, inputs: refs, attrs: built.attrs, output: built.output, params: built.params, cost: built.cost });
  });

  const outputs = resolveOutputs(src, spec, names, inputs);
  for (const o of outputs ?? []) consumed.add(o.value);
  // With unresolved outputs every would-be output looks unused: one typo, one diagnostic.
  names.forEach((n, i) => {
    if (outputs && !consumed.has(n) && firstIndex.get(n) === i) {
      const ptr = pointerOf(["layers", i]);
      src.report("NNX2026", ptr, `layer "${n}" is never used: no layer reads it and it is not an output`, {
        severity: "warning",
        hint: "add it to outputs, or remove it",
      });
    }
  });

  const errorsAfter = src.diagnostics.filter((d) => d.severity === "error").length;
  if (errorsAfter > errorsBefore || !outputs) return undefined;
  const model: IrModel = { file: src.file, model: spec.model, inputs, dims, layers, outputs };
  return spec.description === undefined ? model : { ...model, description: spec.description };
}

function readDims(src: SpecSource, spec: RawSpec, inputs: IrInput[]): Record<string, DimConstraint> {
  const used = new Set(inputs.flatMap((i) => i.type.shape.flatMap((d) => d.symbols())));
  const out: Record<string, DimConstraint> = {};
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
  arity: "one" | "many",
  pointer: string,
): string[] | undefined {
  const given = raw["input"];
  if (given === undefined) {
    if (index > 0) return [names[index - 1]!];
    const inputNames = Object.keys(spec.inputs);
    if (inputNames.length === 1) return [inputNames[0]!];
    src.report("NNX2028", pointer, `the first layer has no input and the model has ${inputNames.length} inputs (${inputNames.join(", ")})`, {
      hint: `set input: ${inputNames[0]}`,
    });
    return undefined;
  }
  const refs = arity === "many" ? (given as string[]) : [given as string];
  let ok = true;
  refs.forEach((r, k) => {
    const ptr = arity === "many" ? `${pointer}/input/${k}` : `${pointer}/input`;
    if (Object.hasOwn(spec.inputs, r)) return;
    const at = names.indexOf(r);
    if (at === -1) {
      src.report("NNX2001", ptr, `unknown input "${r}": no model input or layer has that name`, { hint: didYouMean(r, [...Object.keys(spec.inputs), ...names.slice(0, index)]) });
      ok = false;
    } else if (at >= index) {
      src.report("NNX2028", ptr, `input "${r}" is ${at === index ? "this layer itself" : `layer ${at}, which comes later`}; a layer can only read model inputs and earlier layers`);
      ok = false;
    }
  });
  return ok ? refs : undefined;
}

function resolveOutputs(src: SpecSource, spec: RawSpec, names: string[], inputs: IrInput[]): IrOutput[] | undefined {
  if (spec.outputs === undefined) return [{ name: names[names.length - 1]!, value: names[names.length - 1]! }];
  const entries: [string, string, string][] = Array.isArray(spec.outputs)
    ? spec.outputs.map((v, i) => [v, v, pointerOf(["outputs", i])])
    : Object.entries(spec.outputs).map(([k, v]) => [k, v, pointerOf(["outputs", k])]);
  const known = new Set([...names, ...inputs.map((i) => i.name)]);
  let ok = true;
  const seen = new Set<string>();
  for (const [name, value, ptr] of entries) {
    if (!known.has(value)) {
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

/** Layer kinds that own parameters (for summaries and codegen). */
export function hasParams(l: IrLayer): boolean {
  return PARAMETERIZED.has(l.type);
}
