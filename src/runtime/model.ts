/**
 * A spec made runnable: checked IR + validated parameters -> one ONNX graph -> one native
 * session. This is what `run`, `bench`, generated modules and library users execute.
 */
import { basenameOf as basename } from "../host.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { errorMessage, RuntimeFailure, UsageError, UserError } from "../diagnostics/errors.js";
import { formatDiagnostics } from "../diagnostics/format.js";
import { dimViolation, valueTypes, type IrModel } from "../ir/model.js";
import { resolveParams, type NameMapping, type ParamMap, type Prng } from "../params/store.js";
import { checkSpecText } from "../spec/load.js";
import { isDataOf, numElements, type Tensor } from "../tensor.js";
import { fromFloat32, toFloat32, type FloatDType } from "../io/convert.js";
import { VERSION } from "../version.js";
import { defaultBackend, type Backend, type OutputType, type Session } from "./backend.js";
import { checkParamBudget, checkRunBudget, memoryBudget, modelParamBytes } from "./budget.js";
import { lowerModel } from "./lower.js";
import { prepackWeights, type PrepackChoice } from "./prepack.js";
import { nameRecord, ownValue } from "../util/names.js";

/** `threads`: how many threads `--seed` draws on (default: the host's choice; see params/draws.ts). */
export type ParamSource = { seed?: number; prng?: Prng; threads?: number } | { params: string | ParamMap };

export interface CompileOptions {
  /** Intra-op threads (default 1). */
  threads?: number;
  /** How checkpoint parameter names map onto the spec's. */
  names?: NameMapping;
  /** Another backend than onnxruntime-node. */
  backend?: Backend;
  /** Bytes a run may allocate (default: NNX_GEN_MEMORY_BUDGET, else half the machine's memory; see budget.ts). */
  memoryBudget?: number;
  /** Whether onnxruntime packs weights at load (see prepack.ts); default "auto". */
  prepack?: PrepackChoice;
}

export interface CompiledModel {
  readonly model: IrModel;
  /** The parameters the session was built with, by full name. */
  readonly params: ReadonlyMap<string, Tensor>;
  /** Run once; inputs are checked against the spec first. Outputs by output name. */
  run(inputs: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** Check inputs against the spec: names, dtypes, ranks, static dims, and one value per symbol. */
export function bindInputs(model: IrModel, inputs: Readonly<Record<string, Tensor>>): Record<string, number> {
  const problems: string[] = [];
  const bound = nameRecord<number>();
  for (const i of model.inputs) {
    const t = ownValue(inputs, i.name);
    const want = `${i.type.dtype}[${i.type.shape.map(String).join(", ")}]`;
    if (!t) {
      problems.push(`missing input ${i.name} (${want})`);
      continue;
    }
    if (t.dtype !== i.type.dtype) problems.push(`input ${i.name} has dtype ${t.dtype}, expected ${i.type.dtype}`);
    if (t.shape.length !== i.type.shape.length) {
      problems.push(`input ${i.name} has shape [${t.shape.join(", ")}], expected ${want}`);
      continue;
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      problems.push(`input ${i.name} has an invalid shape [${t.shape.join(", ")}]`);
      continue;
    }
    if (t.dtype === i.type.dtype && !isDataOf(t.dtype, t.data)) {
      problems.push(`input ${i.name} is ${t.dtype} but its data is a ${(t.data as object | undefined)?.constructor?.name ?? typeof t.data}`);
      continue;
    }
    if (t.data?.length !== numElements(t.shape)) {
      problems.push(`input ${i.name} has ${t.data?.length ?? "no"} elements of data for shape [${t.shape.join(", ")}] (${numElements(t.shape)} elements)`);
      continue;
    }
    i.type.shape.forEach((d, k) => {
      const got = t.shape[k]!;
      const c = d.constant;
      if (c !== undefined) {
        if (got !== c) problems.push(`input ${i.name} has size ${got} at axis ${k}, expected ${c}`);
        return;
      }
      const sym = d.toString();
      if (bound[sym] !== undefined && bound[sym] !== got) problems.push(`input ${i.name} has ${sym} = ${got} at axis ${k}, but another input has ${sym} = ${bound[sym]}`);
      bound[sym] ??= got;
      const broken = dimViolation(model, sym, got);
      if (broken) {
        problems.push(`input ${i.name}: ${sym} = ${got} is outside the spec's dims (${broken})`);
      }
    });
  }
  for (const name of Object.keys(inputs)) {
    if (!model.inputs.some((i) => i.name === name)) problems.push(`unexpected input ${name} (the model's inputs: ${model.inputs.map((i) => i.name).join(", ")})`);
  }
  if (problems.length) throw new UserError("NNX3064", `inputs do not match the spec:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return bound;
}


/** Build and load a session for a checked model. */
export async function compileModel(model: IrModel, source: ParamSource, options: CompileOptions = {}): Promise<CompiledModel> {
  const budget = options.memoryBudget ?? memoryBudget();
  checkParamBudget(model, budget);
  const prepack = prepackWeights(options.prepack ?? "auto", modelParamBytes(model));
  const params = await resolveParams(model, source, options.names);
  const backend = options.backend ?? (await defaultBackend());
  const float32Interface = backend.float32Interface ?? [];
  const widened = new Set(float32Interface);
  const built = lowerModel(model, params, {
    ...(float32Interface.length > 0 ? { float32Interface } : {}),
    ...(backend.target !== undefined ? { target: backend.target } : {}),
    mappedFiles: backend.mapsExternalFiles === true,
    fuseTransposedWeights: backend.ortContribOps === true,
    roundingOp: backend.roundingOp === true,
  });
  const load = {
    threads: options.threads ?? 1,
    externalData: built.externalData,
    ...(built.externalDir !== undefined ? { externalDir: built.externalDir } : {}),
    prepackWeights: prepack,
  };
  const session: Session = await backend.load(built.bytes, load).catch((e: unknown) => {
    throw asRuntimeFailure(e, `${backend.name} could not load the model`);
  });
  const types = valueTypes(model);
  let budgetChecked: string | undefined;
  return {
    model,
    params,
    async run(inputs) {
      const bound = bindInputs(model, inputs);
      // Once per set of dim values, not on every timed run of bench.
      const key = JSON.stringify(bound);
      if (key !== budgetChecked) {
        checkRunBudget(model, bound, budget);
        budgetChecked = key;
      }
      const expected = nameRecord<OutputType>();
      for (const o of model.outputs) {
        const t = types.get(o.value)!;
        // The IR's shapes with this run's symbol values: the backend can allocate the outputs.
        const shape = t.shape.map((d) => d.evaluate(bound));
        if (shape.every((d) => Number.isSafeInteger(d) && d >= 0)) expected[o.name] = { dtype: widened.has(t.dtype) ? "float32" : t.dtype, shape };
      }
      const feeds = widened.size > 0 ? mapRecord(inputs, (t) => (widened.has(t.dtype) ? toFloat32(t as Tensor<FloatDType>) : t)) : inputs;
      const outputs = await session.run(feeds, expected).catch((e: unknown) => {
        throw asRuntimeFailure(e, `${backend.name} failed to run the model`);
      });
      if (widened.size === 0) return outputs;
      // Back to the spec's dtypes: exact, the graph cast these values from them.
      for (const o of model.outputs) {
        const dtype = types.get(o.value)!.dtype;
        const t = ownValue(outputs, o.name);
        if (widened.has(dtype) && t?.dtype === "float32") outputs[o.name] = fromFloat32(dtype as FloatDType, t as Tensor<"float32">);
      }
      return outputs;
    },
    release: () => session.release(),
  };
}

function mapRecord(record: Readonly<Record<string, Tensor>>, f: (t: Tensor) => Tensor): Record<string, Tensor> {
  const out = nameRecord<Tensor>();
  for (const [k, t] of Object.entries(record)) out[k] = f(t);
  return out;
}

/**
 * A backend's failure as what it is: ours or the runtime's (exit 3), whatever the backend threw.
 * Errors that already say whose they are (a RuntimeFailure, or a UserError for bad input) pass.
 */
function asRuntimeFailure(e: unknown, what: string): Error {
  if (e instanceof RuntimeFailure || e instanceof UserError || e instanceof UsageError) return e;
  return new RuntimeFailure(`${what}: ${errorMessage(e)}`, { cause: e });
}

/** Check a spec's text and compile it: what generated modules call. */
export async function compileSpecModel(spec: { file: string; text: string }, source: ParamSource, options: CompileOptions = {}): Promise<CompiledModel> {
  const checked = checkSpecText(spec.file, spec.text);
  if (hasErrors(checked.diagnostics) || !checked.model) {
    throw new UserError("NNX1000", `${basename(spec.file)} has errors:\n${formatDiagnostics(checked.diagnostics, "text", VERSION)}`);
  }
  return compileModel(checked.model, source, options);
}
