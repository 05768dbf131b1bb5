/**
 * Model parameters by their flattened `nnx.state` names (`<layer>.<param>`): initialized
 * from a seed, or read from a file and checked against the spec before anything runs.
 */
import { UserError } from "../diagnostics/errors.js";
import { paramName, type IrModel, type ParamSpec } from "../ir/model.js";
import { host } from "../host.js";
import type { Tensor } from "../tensor.js";
import { didYouMean } from "../util/suggest.js";
import { initializeParam } from "./initializers.js";

export type ParamMap = ReadonlyMap<string, Tensor>;

/** Every parameter the model declares, in layer order, by full name. */
export function declaredParams(model: IrModel): Map<string, ParamSpec> {
  const out = new Map<string, ParamSpec>();
  for (const l of model.layers) for (const p of l.params) out.set(paramName(l, p), p);
  return out;
}

/** Initialize every parameter from `seed`, each from its own stream (its full name). */
export function initializeParams(model: IrModel, seed: number): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, p] of declaredParams(model)) {
    out.set(name, { dtype: "float32", shape: [...p.shape], data: initializeParam(p.init, p.initShape, seed, name) });
  }
  return out;
}

/**
 * How checkpoint names map onto the spec's: prefixes to strip (`params.`), then renames of
 * a leading path (`layers.0` -> `conv1`, so `layers.0.kernel` becomes `conv1.kernel`).
 */
export interface NameMapping {
  stripPrefixes?: readonly string[];
  renames?: readonly (readonly [from: string, to: string])[];
}

export function mapName(name: string, m: NameMapping): string {
  let n = name;
  for (const p of m.stripPrefixes ?? []) if (n.startsWith(p)) n = n.slice(p.length);
  for (const [from, to] of m.renames ?? []) {
    if (n === from) return to;
    if (n.startsWith(from + ".")) return to + n.slice(from.length);
  }
  return n;
}

/** Check names, shapes and dtypes against the spec; every problem is listed in one error. */
export function validateParams(model: IrModel, given: ParamMap, file: string, mapping: NameMapping = {}): Map<string, Tensor> {
  const declared = declaredParams(model);
  const mapped = new Map<string, Tensor>();
  const problems: string[] = [];
  let code = "NNX3060";
  const note = (c: string, msg: string) => {
    if (problems.length === 0) code = c;
    problems.push(msg);
  };
  for (const [raw, t] of given) {
    const name = mapName(raw, mapping);
    if (mapped.has(name)) note("NNX3061", `two entries map to ${name} (one is ${raw})`);
    mapped.set(name, t);
  }
  for (const [name, p] of declared) {
    const t = mapped.get(name);
    if (!t) {
      note("NNX3060", `missing parameter ${name} (shape [${p.shape.join(", ")}])`);
      continue;
    }
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      note("NNX3062", `${name} has shape [${t.shape.join(", ")}] but the spec needs [${p.shape.join(", ")}]`);
    }
    if (t.dtype !== p.dtype) note("NNX3063", `${name} has dtype ${t.dtype} but the spec's param_dtype is ${p.dtype}`);
  }
  const extra = [...mapped.keys()].filter((n) => !declared.has(n));
  for (const n of extra) {
    const hint = didYouMean(n, declared.keys());
    note("NNX3061", `unexpected parameter ${n}${hint ? ` (${hint})` : ""}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).map((p) => `  - ${p}`);
    if (problems.length > 20) shown.push(`  - ... and ${problems.length - 20} more`);
    const suggestion = extra.length > 0 ? suggestMapping(extra, mapped, declared) : undefined;
    const renameHint =
      suggestion !== undefined
        ? `the checkpoint holds these parameters under other names; map them with ${suggestion}`
        : extra.length > 0
          ? "checkpoint names differ? map them with --strip-prefix PREFIX or --rename FROM=TO (e.g. --rename layers.0=conv1)"
          : undefined;
    throw new UserError(code, `${file} does not match the spec (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${shown.join("\n")}`, file, renameHint);
  }
  return new Map([...declared.keys()].map((n) => [n, mapped.get(n)!]));
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The flags that would map the unexpected names onto missing declared ones, when there is an
 * unambiguous answer: one prefix to strip (`params.`), or renames of whole layers matched by
 * their parameters' names and shapes, in order (`layers.0` -> `conv1`).
 */
function suggestMapping(extra: readonly string[], given: ReadonlyMap<string, Tensor>, declared: ReadonlyMap<string, ParamSpec>): string | undefined {
  const parts = extra[0]!.split(".");
  for (let k = 1; k < parts.length; k++) {
    const prefix = parts.slice(0, k).join(".") + ".";
    const fits = extra.every((n) => {
      const p = n.startsWith(prefix) ? declared.get(n.slice(prefix.length)) : undefined;
      return p !== undefined && !given.has(n.slice(prefix.length)) && sameShape(p.shape, given.get(n)!.shape);
    });
    if (fits) return `--strip-prefix ${prefix}`;
  }
  const groups = (names: Iterable<string>, shapeOf: (n: string) => readonly number[]) => {
    const out = new Map<string, Map<string, readonly number[]>>();
    for (const n of names) {
      const dot = n.lastIndexOf(".");
      if (dot <= 0) return undefined;
      const g = out.get(n.slice(0, dot)) ?? new Map<string, readonly number[]>();
      g.set(n.slice(dot + 1), shapeOf(n));
      out.set(n.slice(0, dot), g);
    }
    return out;
  };
  const from = groups(extra, (n) => given.get(n)!.shape);
  const to = groups(
    [...declared.keys()].filter((n) => !given.has(n)),
    (n) => declared.get(n)!.shape,
  );
  if (!from || !to) return undefined;
  const used = new Set<string>();
  const renames: string[] = [];
  for (const [path, leaves] of from) {
    const match = [...to].find(([layer, want]) => !used.has(layer) && want.size === leaves.size && [...leaves].every(([leaf, shape]) => want.has(leaf) && sameShape(want.get(leaf)!, shape)));
    if (!match) return undefined;
    used.add(match[0]);
    renames.push(`--rename ${path}=${match[0]}`);
  }
  return renames.join(" ");
}

/** Parameters from a file or an in-memory map (validated), or initialized from a seed. */
export async function resolveParams(
  model: IrModel,
  source: { seed?: number } | { params: string | ParamMap },
  mapping: NameMapping = {},
): Promise<Map<string, Tensor>> {
  if ("params" in source) {
    const isFile = typeof source.params === "string";
    const given = isFile ? await host().readParamsFile(source.params as string) : (source.params as ParamMap);
    return validateParams(model, given, isFile ? (source.params as string) : "the given parameters", mapping);
  }
  return initializeParams(model, source.seed ?? 0);
}
