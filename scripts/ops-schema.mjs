// Writes the schema branches of the elementwise ops and activations from their table
// (src/layers/ops/table.ts): run `npx tsc -p tsconfig.json && node scripts/ops-schema.mjs` after
// changing a row. test/layers/ops_table.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from "node:fs";

const { opSchemaBranches } = await import("../dist/layers/ops/schema.js");
const url = new URL("../schemas/nnx-spec.schema.json", import.meta.url);
const schema = JSON.parse(readFileSync(url, "utf8"));
const branches = opSchemaBranches();
const names = new Set(branches.map((b) => b.properties.type.const));
const oneOf = schema.$defs.layer.oneOf;
const first = oneOf.findIndex((b) => names.has(b.properties.type.const));
const kept = oneOf.filter((b) => !names.has(b.properties.type.const));
const at = first === -1 ? kept.length : oneOf.slice(0, first).filter((b) => !names.has(b.properties.type.const)).length;
schema.$defs.layer.oneOf = [...kept.slice(0, at), ...branches, ...kept.slice(at)];
writeFileSync(url, JSON.stringify(schema, null, 2));
console.log(`${branches.length} op branches written`);
