/**
 * Schema validation with ajv, turned into diagnostics at the offending YAML node.
 * All errors are reported (allErrors); alternatives (anyOf) are folded into one message.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { moduleUse as moduleUseValidator, spec as specValidator } from "../generated/spec_validator.js";
import { didYouMean } from "../util/suggest.js";
import { layerTypes, type JsonSchema } from "./schema.js";
import type { SpecSource } from "./source.js";

interface Validators {
  spec: ValidateFunction;
  /** A layer whose type is a declared module (see modules.ts). */
  moduleUse: ValidateFunction;
}

/**
 * The build compiles the schema to a standalone ES module validator (scripts/gen-assets.mjs,
 * with the options of ajv_options.ts): `check` neither loads ajv's compiler nor compiles the
 * schema at start-up, and browsers run no generated code (no `new Function`).
 */
function compiled(): Validators {
  return { spec: specValidator as unknown as ValidateFunction, moduleUse: moduleUseValidator as unknown as ValidateFunction };
}

/**
 * Layer index -> the fields of that layer with schema errors ("" for the layer as a whole).
 * Shape inference can go on past these layers (see buildModel), so one schema error does not
 * hide the shape errors elsewhere.
 */
export type BrokenLayers = ReadonlyMap<number, ReadonlySet<string>>;

/**
 * Validate the parsed data of a source; diagnostics go to the source. Returns true when
 * valid; the broken layers when every error lies inside layers (or in fields nothing else
 * reads); false when shapes cannot be inferred at all.
 */
export function validateSpec(src: SpecSource): true | BrokenLayers | false {
  const data = src.data;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    src.report("NNX1012", "", `a spec must be a YAML mapping, got ${describe(data)}`, {
      hint: "start from an example: nnx_gen: 1, model: Name, inputs: {...}, layers: [...]",
    });
    return false;
  }
  const version = (data as Record<string, unknown>)["nnx_gen"];
  if (version !== undefined && version !== 1) {
    src.report("NNX1018", "/nnx_gen", `spec format ${JSON.stringify(version)} is not supported; this nnx-gen reads format 1`, {
      hint: "set nnx_gen: 1",
    });
    return false;
  }
  const { spec, moduleUse } = compiled();
  if (spec(data)) return true;
  const errors = foldAlternatives(checkModuleUses(data as Record<string, unknown>, spec.errors ?? [], moduleUse));
  if (errors.length === 0) return true;
  for (const e of errors) reportError(src, e);
  return brokenLayers(errors);
}

/** Top-level fields shape inference never reads. */
const INERT = new Set(["model", "description"]);

function brokenLayers(errors: readonly ErrorObject[]): BrokenLayers | false {
  const broken = new Map<number, Set<string>>();
  for (const e of errors) {
    // Where the error is: an unknown key counts as its own field.
    const ptr = e.keyword === "additionalProperties" ? `${e.instancePath}/${escapeSeg(String((e.params as Record<string, unknown>)["additionalProperty"]))}` : e.instancePath;
    const m = /^\/layers\/(\d+)(?:\/([^/]+))?/.exec(ptr);
    if (m) {
      const fields = broken.get(Number(m[1])) ?? new Set<string>();
      fields.add(e.keyword === "required" && m[2] === undefined ? "" : (m[2] ?? ""));
      broken.set(Number(m[1]), fields);
    } else if (!INERT.has(ptr.split("/")[1] ?? "") && !(e.keyword === "additionalProperties" && e.instancePath === "")) return false;
  }
  return broken;
}

/** Module names the spec declares (for module uses and suggestions). */
function declaredModules(data: unknown): string[] {
  const modules = (data as { modules?: unknown } | null)?.modules;
  return modules !== null && typeof modules === "object" && !Array.isArray(modules) ? Object.keys(modules) : [];
}

/**
 * A layer whose type is a declared module fails the layer discriminator (its type is no
 * layer kind); it is checked against moduleUse instead, with errors at the same place.
 */
function checkModuleUses(data: Record<string, unknown>, errors: ErrorObject[], moduleUse: ValidateFunction): ErrorObject[] {
  const modules = new Set(declaredModules(data));
  if (modules.size === 0) return errors;
  const out: ErrorObject[] = [];
  for (const e of errors) {
    const tag = (e.params as { tagValue?: unknown }).tagValue;
    if (e.keyword !== "discriminator" || typeof tag !== "string" || !modules.has(tag)) {
      out.push(e);
      continue;
    }
    if (moduleUse(e.data)) continue;
    for (const inner of moduleUse.errors ?? []) out.push({ ...inner, instancePath: e.instancePath + inner.instancePath });
  }
  return out;
}

/**
 * For each failed anyOf/oneOf, keep the errors of the branches whose type matched the value
 * (every error but a type mismatch at the value itself), or else replace all branch errors
 * by one "expected ..." error. Ajv emits a branch's errors right before the
 * anyOf error itself (and inner alternatives before outer ones), so the branch errors are the
 * run of preceding errors at or below the same instance path. Their schemaPath cannot be
 * used: errors inside a $ref'd branch carry the $ref's own path.
 */
function foldAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if ((e.keyword !== "anyOf" && e.keyword !== "oneOf") || isDiscriminated(e)) {
      out.push(e);
      continue;
    }
    const at = e.instancePath;
    const within = (x: ErrorObject) => x.instancePath === at || x.instancePath.startsWith(at + "/");
    let first = out.length;
    while (first > 0 && within(out[first - 1]!)) first--;
    const branch = out.splice(first);
    const matched = branch.filter((x) => !(x.instancePath === at && x.keyword === "type"));
    out.push(...(matched.length > 0 ? matched : [e]));
  }
  return out;
}

function isDiscriminated(e: ErrorObject): boolean {
  return e.keyword === "oneOf" && typeof e.parentSchema === "object" && e.parentSchema !== null && "discriminator" in e.parentSchema;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing (null)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "number" && !Number.isInteger(v)) return `the number ${v}`;
  if (typeof v === "number") return `the integer ${v}`;
  return `${typeof v} ${String(v)}`;
}

function fieldName(pointer: string): string {
  const seg = pointer.split("/").pop() ?? "";
  return /^\d+$/.test(seg) ? `item ${seg}` : seg || "the spec";
}

function expected(e: ErrorObject): string | undefined {
  const ps = e.parentSchema as JsonSchema | undefined;
  const x = ps?.["x-expected"];
  return typeof x === "string" ? x : undefined;
}

function reportError(src: SpecSource, e: ErrorObject): void {
  const ptr = e.instancePath;
  const p = e.params as Record<string, unknown>;
  const field = fieldName(ptr);
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(p["additionalProperty"]);
      const props = Object.keys(((e.parentSchema as JsonSchema)?.["properties"] as object) ?? {});
      const where = ptr === "" ? "the spec" : describeParent(src, ptr);
      src.report("NNX1010", `${ptr}/${escapeSeg(key)}`, `unknown key "${key}" in ${where}`, {
        at: "key",
        hint: didYouMean(key, props) ?? (props.length ? `allowed keys: ${props.join(", ")}` : undefined),
      });
      return;
    }
    case "required": {
      const key = String(p["missingProperty"]);
      src.report("NNX1011", ptr, `missing required key "${key}" in ${ptr === "" ? "the spec" : describeParent(src, ptr)}`);
      return;
    }
    case "discriminator": {
      const tag = String(p["tag"]);
      const value = p["tagValue"];
      if (tag === "type") {
        const types = [...layerTypes(), ...declaredModules(src.data)];
        src.report("NNX1017", `${ptr}/type`, typeof value === "string" ? `unknown layer type "${value}"` : `layer type must be a string, got ${describe(value)}`, {
          hint: (typeof value === "string" && didYouMean(value, types)) || `layer types: ${types.join(", ")}`,
        });
      } else {
        src.report("NNX1013", `${ptr}/${tag}`, `unknown ${tag} ${JSON.stringify(value)}`, { hint: e.message });
      }
      return;
    }
    case "type": {
      const want = expected(e) ?? `${article(String(p["type"]))} ${p["type"]}`;
      src.report("NNX1012", ptr, `${field}: expected ${want}, got ${describe(e.data)}`);
      return;
    }
    case "enum":
    case "const": {
      const allowed = (e.keyword === "enum" ? (p["allowedValues"] as unknown[]) : [p["allowedValue"]]).filter((v) => v !== null);
      const names = allowed.map((v) => String(v));
      const hint = typeof e.data === "string" ? didYouMean(e.data, names) : undefined;
      src.report("NNX1013", ptr, `${field}: ${describe(e.data)} is not allowed; expected ${names.length === 1 ? names[0] : "one of " + names.join(", ")}`, {
        hint,
      });
      return;
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const cmp = { minimum: ">=", maximum: "<=", exclusiveMinimum: ">", exclusiveMaximum: "<" }[e.keyword];
      src.report("NNX1014", ptr, `${field}: ${describe(e.data)} is out of range; expected a value ${cmp} ${p["limit"]}`);
      return;
    }
    case "pattern": {
      if (e.propertyName !== undefined) {
        src.report("NNX1015", `${ptr}/${escapeSeg(e.propertyName)}`, `"${e.propertyName}" is not a valid name; expected ${expected(e) ?? "an identifier"}`, { at: "key" });
      } else {
        src.report("NNX1015", ptr, `${field}: ${describe(e.data)} is not valid; expected ${expected(e) ?? "to match " + String(p["pattern"])}`);
      }
      return;
    }
    case "propertyNames":
      return; // reported through the inner pattern error
    case "minItems":
    case "maxItems":
    case "minProperties":
    case "maxProperties":
    case "minLength":
    case "maxLength": {
      src.report("NNX1016", ptr, `${field}: ${e.message ?? "wrong size"}`);
      return;
    }
    case "anyOf":
    case "oneOf": {
      src.report("NNX1019", ptr, `${field}: expected ${expected(e) ?? "one of the accepted forms"}, got ${describe(e.data)}`);
      return;
    }
    default:
      src.report("NNX1019", ptr, `${field}: ${e.message ?? "invalid value"}`);
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

function escapeSeg(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** "layer 3 (Conv)" for layer mappings, else the pointer. */
function describeParent(src: SpecSource, ptr: string): string {
  const m = /^\/layers\/(\d+)$/.exec(ptr);
  if (m) {
    const layer = (src.data as { layers?: unknown[] }).layers?.[Number(m[1])] as Record<string, unknown> | undefined;
    const type = typeof layer?.["type"] === "string" ? ` (${layer["type"]})` : "";
    return `layer ${m[1]}${type}`;
  }
  return ptr.slice(1);
}
