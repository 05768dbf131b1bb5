/**
 * Property: random edits of the example specs never crash `check`. Every diagnostic has a
 * position inside the file and a stable NNX code, and a spec reported clean builds a model
 * whose every layer and output is in the IR (and can be summarized).
 *
 * NNX_FUZZ_RUNS and NNX_FUZZ_SEED override the run count and the seed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { checkSpecText } from "../../src/spec/load.js";
import { summarize } from "../../src/summary/summary.js";
import { EXAMPLES } from "../cli/helpers.js";
import { positionProblems } from "./positions.js";

const RUNS = Number(process.env["NNX_FUZZ_RUNS"] ?? 400);
const SEED = Number(process.env["NNX_FUZZ_SEED"] ?? 20240611);

const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => readFileSync(join(EXAMPLES, f), "utf8"));

type Edit =
  | { kind: "deleteLine"; at: number }
  | { kind: "duplicateLine"; at: number }
  | { kind: "swapLines"; a: number; b: number }
  | { kind: "swapValues"; a: number; b: number }
  | { kind: "number"; at: number; value: number | string }
  | { kind: "word"; at: number; value: string }
  | { kind: "truncate"; at: number };

/** Tokens an edit can target: numbers and identifier-like words (keys, names, dtypes, symbols). */
const NUMBER = /-?\b\d+\b/g;
const WORD = /\b[A-Za-z_][A-Za-z0-9_]*\b/g;
/** Values after "key: " on a line, up to a comma, brace or end of line. */
const VALUE = /(?<=: )[^,{}[\]\n]+/g;

function nth(text: string, re: RegExp, k: number): RegExpExecArray | undefined {
  const all = [...text.matchAll(re)];
  return all.length === 0 ? undefined : (all[k % all.length] as RegExpExecArray);
}

function replaceAt(text: string, m: RegExpExecArray, value: string): string {
  return text.slice(0, m.index) + value + text.slice(m.index + m[0].length);
}

function apply(text: string, e: Edit): string {
  const lines = text.split("\n");
  switch (e.kind) {
    case "deleteLine":
      lines.splice(e.at % lines.length, 1);
      return lines.join("\n");
    case "duplicateLine": {
      const i = e.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    }
    case "swapLines": {
      const a = e.a % lines.length;
      const b = e.b % lines.length;
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join("\n");
    }
    case "swapValues": {
      const all = [...text.matchAll(VALUE)];
      if (all.length < 2) return text;
      const [x, y] = [all[e.a % all.length]!, all[e.b % all.length]!].sort((p, q) => p.index - q.index) as [RegExpExecArray, RegExpExecArray];
      if (x.index === y.index) return text;
      return text.slice(0, x.index) + y[0] + text.slice(x.index + x[0].length, y.index) + x[0] + text.slice(y.index + y[0].length);
    }
    case "number": {
      const m = nth(text, NUMBER, e.at);
      return m ? replaceAt(text, m, String(e.value)) : text;
    }
    case "word": {
      const m = nth(text, WORD, e.at);
      return m ? replaceAt(text, m, e.value) : text;
    }
    case "truncate":
      return text.slice(0, e.at % (text.length + 1));
  }
}

const interestingNumber = fc.oneof(
  fc.constantFrom(0, -1, 1, 2, 3, -2, 63, 64, -64, 4096, 2147483647, 2147483648, 2 ** 53, -(2 ** 31)),
  fc.integer({ min: -100, max: 5000 }),
  fc.constantFrom("1e308", "1180591620717411303424", "-0", "0x10", ".inf", ".nan", "1.5", "~"),
);

/** Random identifiers, plus names that are special to JavaScript or to the spec format. */
const identifier = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/),
  fc.constantFrom(
    "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "prototype",
    "batch", "seq", "x", "image", "tokens", "embed", "logits", "hidden", "conv1",
    "Conv", "Linear", "LinearGeneral", "Einsum", "Embed", "attend", "relu", "reshape", "add", "concatenate",
    "SAME", "VALID", "CIRCULAR", "CAUSAL", "REFLECT", "float16", "int32", "bool",
    "input", "inputs", "outputs", "layers", "dims", "name", "type", "features", "out_features", "in_features",
    "kernel_size", "strides", "padding", "axis", "batch_axis", "mask", "shape", "dtype", "null", "true",
  ),
);

// Value edits are weighted up so that many mutants get past the YAML parser and the schema
// and exercise the shape rules; line edits and truncation exercise the parser.
const edit: fc.Arbitrary<Edit> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("number" as const), at: fc.nat(), value: interestingNumber }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant("word" as const), at: fc.nat(), value: identifier }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("swapValues" as const), a: fc.nat(), b: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("deleteLine" as const), at: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("duplicateLine" as const), at: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("swapLines" as const), a: fc.nat(), b: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }), weight: 1 },
);

const mutated = fc
  .tuple(fc.nat({ max: examples.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }))
  .map(([i, edits]) => edits.reduce(apply, examples[i]!));

/** What is wrong with checking this text; empty when the properties hold. */
function violations(text: string): string[] {
  const out: string[] = [];
  let checked;
  try {
    checked = checkSpecText("mutated.yaml", text);
  } catch (e) {
    return [`check threw: ${(e as Error).stack}`];
  }
  out.push(...positionProblems(text, checked.diagnostics));
  const errors = checked.diagnostics.some((d) => d.severity === "error");
  if (errors && checked.model) out.push("a model was returned despite errors");
  if (!errors) {
    if (!checked.model) return [...out, "no errors but no model"];
    const model = checked.model;
    const spec = parse(text) as { layers: unknown[]; modules?: unknown };
    // Module uses expand into their layers in the IR; only a flat spec maps one to one.
    if (spec.modules === undefined && model.layers.length !== spec.layers.length) out.push(`the spec has ${spec.layers.length} layers but the IR has ${model.layers.length}`);
    const values = new Set([...model.inputs.map((i) => i.name), ...model.layers.map((l) => l.name)]);
    for (const o of model.outputs) if (!values.has(o.value)) out.push(`output ${o.name} names "${o.value}", which is not in the IR`);
    for (const l of model.layers) for (const i of l.inputs) if (!values.has(i)) out.push(`layer ${l.name} reads "${i}", which is not in the IR`);
    try {
      summarize(model);
    } catch (e) {
      out.push(`summarize threw: ${(e as Error).stack}`);
    }
  }
  return out;
}

describe("mutated example specs", () => {
  it("the mutations apply to every example", () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const text of examples) expect(violations(text)).toEqual([]);
  });

  it("never crash, report valid positions and stable codes, and build a model when clean", () => {
    fc.assert(
      fc.property(mutated, (text) => {
        const v = violations(text);
        if (v.length > 0) throw new Error(`${v.join("\n")}\n--- spec ---\n${text}`);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: false },
    );
  });

  it("random edits reach the shape rules, not just the YAML parser", () => {
    // Guard against a fuzzer that only ever produces syntax errors.
    const samples = fc.sample(mutated, { numRuns: 400, seed: SEED });
    const stages = { yaml: 0, schema: 0, shapes: 0, clean: 0 };
    for (const text of samples) {
      const codes = checkSpecText("m.yaml", text).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
      if (codes.length === 0) stages.clean++;
      else if (codes.some((c) => c.startsWith("NNX2") || c.startsWith("NNX3"))) stages.shapes++;
      else if (codes.some((c) => c >= "NNX1010")) stages.schema++;
      else stages.yaml++;
    }
    expect(stages.shapes).toBeGreaterThan(10);
    expect(stages.schema).toBeGreaterThan(10);
    expect(stages.clean).toBeGreaterThan(10);
  });
});
