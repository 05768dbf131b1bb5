/**
 * The JSON Schema branches of the table's ops. The schema file holds them (it is the one source
 * users and editors read); scripts/ops-schema.mjs writes them from here and a test checks that
 * the file and the table agree.
 */
import { OPS, type OpDef } from "./table.js";

type Json = Record<string, unknown>;

const NAME: Json = { $ref: "#/$defs/identifier", description: "Layer name; default <type>_<k>." };
const ONE_INPUT: Json = { $ref: "#/$defs/valueRef", description: "Input value: a model input or an earlier layer; default the previous layer's output." };

function inputSchema(def: OpDef): Json {
  if (def.inputs === 1) return ONE_INPUT;
  const what = def.inputs === 3 ? "[cond, x, y]" : def.inputs === 2 ? "[x, y]" : "the values to combine";
  return {
    type: "array",
    items: { anyOf: [{ $ref: "#/$defs/valueRef" }, { type: "number" }], "x-expected": "a value name or a number" },
    minItems: def.inputs === "many" ? 2 : 1,
    maxItems: 64,
    description: `Inputs: ${what}. A number is a Python scalar constant (2 a weak int, 2.0 a weak float).`,
  };
}

function branch(def: OpDef, type: string): Json {
  const props: Json = { type: { const: type }, name: NAME, input: inputSchema(def) };
  const required = ["type"];
  if (def.inputs !== 1) required.push("input");
  for (const [k, a] of Object.entries(def.args ?? {})) {
    props[k] = "default" in a ? { ...a.schema, default: a.default } : a.schema;
    if (!("default" in a)) required.push(k);
  }
  return { type: "object", description: `${def.jax}: ${def.doc}`, additionalProperties: false, required, properties: props };
}

/** One branch per type name, in table order. */
export function opSchemaBranches(): Json[] {
  return OPS.flatMap((def) => def.names.map((t) => branch(def, t)));
}
