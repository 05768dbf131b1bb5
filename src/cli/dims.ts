/** `--dim NAME=N` values, checked against the model's symbols and `dims` constraints. */
import { UsageError, UserError } from "../diagnostics/errors.js";
import { modelSymbols, type IrModel } from "../ir/model.js";
import { didYouMean } from "../util/suggest.js";
import { parseDims } from "./io.js";

export function bindDims(model: IrModel, flags: readonly string[], opts: { requireAll: boolean; fromInputs?: Readonly<Record<string, number>> }): Record<string, number> {
  let given: Record<string, number>;
  try {
    given = parseDims(flags);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const symbols = modelSymbols(model);
  for (const [name, value] of Object.entries(given)) {
    if (!symbols.includes(name)) {
      throw new UserError("NNX3065", `--dim ${name}: the model has no symbolic dim "${name}"${symbols.length ? ` (it has ${symbols.join(", ")})` : " (all its dims are static)"}`, undefined, didYouMean(name, symbols));
    }
    const c = model.dims[name];
    if (c && (value < c.min || (c.max !== undefined && value > c.max))) {
      throw new UserError("NNX3065", `--dim ${name}=${value} is outside the spec's dims constraint (${c.min} <= ${name}${c.max !== undefined ? ` <= ${c.max}` : ""})`);
    }
    const seen = opts.fromInputs?.[name];
    if (seen !== undefined && seen !== value) throw new UserError("NNX3065", `--dim ${name}=${value} contradicts the input files, where ${name} is ${seen}`);
  }
  const bound = { ...opts.fromInputs, ...given };
  if (opts.requireAll) {
    const missing = symbols.filter((s) => bound[s] === undefined);
    if (missing.length) throw new UsageError(`symbolic dims need values: ${missing.map((m) => `--dim ${m}=N`).join(" ")}`);
  }
  return bound;
}
