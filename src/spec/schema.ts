/**
 * The JSON Schema is the single source of field names and defaults. The build copies
 * schemas/nnx-spec.schema.json into a module (scripts/gen-assets.mjs), so no file is read.
 */
import { SCHEMA_TEXT } from "../generated/assets.js";

export type JsonSchema = Record<string, unknown>;

let cached: JsonSchema | undefined;

export function specSchema(): JsonSchema {
  cached ??= JSON.parse(SCHEMA_TEXT) as JsonSchema;
  return cached;
}

function defs(): Record<string, JsonSchema> {
  return specSchema()["$defs"] as Record<string, JsonSchema>;
}

let layerSchemaCache: Map<string, JsonSchema> | undefined;

/** The schema branch of each layer type, keyed by type name. */
export function layerSchemas(): Map<string, JsonSchema> {
  if (layerSchemaCache) return layerSchemaCache;
  const out = new Map<string, JsonSchema>();
  layerSchemaCache = out;
  for (const branch of defs()["layer"]!["oneOf"] as JsonSchema[]) {
    const props = branch["properties"] as Record<string, JsonSchema>;
    out.set(props["type"]!["const"] as string, branch);
  }
  return out;
}

export function layerTypes(): string[] {
  return [...layerSchemas().keys()];
}

const defaultsCache = new Map<string, Record<string, unknown>>();

/** The defaults a layer type declares: field -> default value (shared: do not mutate). */
export function layerDefaults(type: string): Readonly<Record<string, unknown>> {
  const cached = defaultsCache.get(type);
  if (cached) return cached;
  const branch = layerSchemas().get(type);
  const out: Record<string, unknown> = {};
  defaultsCache.set(type, out);
  if (!branch) return out;
  for (const [k, v] of Object.entries(branch["properties"] as Record<string, JsonSchema>)) {
    if ("default" in v) out[k] = v["default"];
  }
  return out;
}

/** Defaults of an initializer map form (normal, truncated_normal, ...). */
export function initializerDefaults(name: string): Record<string, unknown> {
  const init = defs()["initializer"]!;
  const mapForm = (init["anyOf"] as JsonSchema[])[1]!;
  for (const branch of mapForm["oneOf"] as JsonSchema[]) {
    const props = branch["properties"] as Record<string, JsonSchema>;
    if (props["name"]!["const"] !== name) continue;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) if ("default" in v) out[k] = v["default"];
    return out;
  }
  return {};
}

export function tensorDtypeDefault(): string {
  return ((defs()["tensor"]!["properties"] as Record<string, JsonSchema>)["dtype"]!["default"] as string);
}

export function dimMinDefault(): number {
  return ((defs()["dimConstraint"]!["properties"] as Record<string, JsonSchema>)["min"]!["default"] as number);
}

/** The default of a top-level field (`x64`). */
export function topLevelDefault(field: string): unknown {
  return ((specSchema()["properties"] as Record<string, JsonSchema>)[field] ?? {})["default"];
}
