/** Symbolic dim values from `--dim NAME=N` and input files, checked against the spec. */
import { constants as bufferConstants } from "node:buffer";
import { UsageError, UserError } from "../diagnostics/errors.js";
import { dimViolation, modelSymbols, type IrModel } from "../ir/model.js";
import { checkSpecFile } from "../spec/load.js";
import { BYTES_PER_ELEMENT, numElements } from "../tensor.js";
import { didYouMean } from "../util/suggest.js";
import { nameRecord, ownValue } from "../util/names.js";

/** Inputs are generated and fed in one buffer each. */
const MAX_INPUT_BYTES = bufferConstants.MAX_LENGTH;

/**
 * Merge `--dim` flags with the values input files imply, and check each against the model's
 * symbols and `dims` constraints. With `requireAll`, every symbol needs a value.
 */
export function bindDims(model: IrModel, given: Readonly<Record<string, number>>, opts: { requireAll: boolean; fromInputs?: Readonly<Record<string, number>> }): Record<string, number> {
  const symbols = modelSymbols(model);
  for (const [name, value] of Object.entries(given)) {
    if (!symbols.includes(name)) {
      throw new UserError("NNX3065", `--dim ${name}: the model has no symbolic dim "${name}"${symbols.length ? ` (it has ${symbols.join(", ")})` : " (all its dims are static)"}`, undefined, didYouMean(name, symbols));
    }
    const seen = ownValue(opts.fromInputs, name);
    if (seen !== undefined && seen !== value) throw new UserError("NNX3065", `--dim ${name}=${value} contradicts the input files, where ${name} is ${seen}`);
  }
  const bound = nameRecord({ ...nameRecord(opts.fromInputs), ...nameRecord(given) });
  if (opts.requireAll) {
    const missing = symbols.filter((s) => bound[s] === undefined);
    if (missing.length) throw new UsageError(`symbolic dims need values: ${missing.map((m) => `--dim ${m}=N`).join(" ")}`);
  }
  for (const [name, value] of Object.entries(bound)) {
    const broken = dimViolation(model, name, value);
    if (broken) {
      const from = Object.hasOwn(given, name) ? `--dim ${name}=${value}` : `${name}=${value} (from the input files)`;
      throw new UserError("NNX3065", `${from} is outside the spec's dims constraint (${broken})`);
    }
  }
  return bound;
}

function boundText(dims: Readonly<Record<string, number>>): string {
  return Object.entries(dims)
    .map(([s, v]) => `${s}=${v}`)
    .join(" ");
}

/**
 * The values a run binds, checked before anything is generated or loaded: inputs small enough
 * to hold, and the shape rules `check` could decide only for some sizes (warnings there: a
 * VALID conv that is empty when h < 3, a reshape that needs 6*n divisible by 4) decided for
 * these sizes, by checking the spec again with each symbol pinned to its value.
 */
export function requireBoundDims(model: IrModel, dims: Readonly<Record<string, number>>): void {
  for (const i of model.inputs) {
    let shape: number[];
    try {
      shape = i.type.shape.map((d) => d.evaluate(dims));
    } catch {
      continue; // a symbol left unbound (summary): nothing to allocate
    }
    const bytes = numElements(shape) * BYTES_PER_ELEMENT[i.type.dtype];
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || bytes > MAX_INPUT_BYTES) {
      throw new UserError("NNX3065", `with ${boundText(dims)}, input ${i.name} would be ${i.type.dtype}[${shape.join(", ")}] (${bytes} bytes), more than can be held in memory; choose smaller --dim values`);
    }
  }
  if (Object.keys(dims).length === 0) return;
  const problems = checkSpecFile(model.file, { bind: dims })
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
  if (problems.length > 0) {
    throw new UserError(
      "NNX3065",
      `the model cannot run with ${boundText(dims)}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
      model.file,
      "choose --dim values (or input sizes) for which the spec's shape rules hold; `nnx-gen check` lists them as warnings",
    );
  }
}
