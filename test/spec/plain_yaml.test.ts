/**
 * The plain-YAML fast path against yaml itself: whatever readPlainYaml accepts, yaml must read
 * without errors or warnings to the same value. Checked on every shipped YAML file, on cases
 * chosen for each rule, on yaml's own output for random data, and on random edits of the
 * examples. The fast path must also actually take the shipped specs (it is what makes `check`
 * fast), so a reader that gave up on everything would fail here too.
 *
 * NNX_FUZZ_RUNS and NNX_FUZZ_SEED override the run count and the seed.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { parseDocument, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { NOT_PLAIN, readPlainYaml } from "../../src/spec/plain_yaml.js";
import { EXAMPLES, ROOT } from "../cli/helpers.js";

const RUNS = Number(process.env["NNX_FUZZ_RUNS"] ?? 3000);
const SEED = Number(process.env["NNX_FUZZ_SEED"] ?? 20261126);

/** yaml's reading, as SpecSource asks for it; undefined when yaml reports anything. */
function yamlReading(text: string): { value: unknown } | undefined {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, schema: "core" });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
  return { value: doc.toJS({ maxAliasCount: 1000 }) };
}

/** Empty when the fast path agrees with yaml (or left the text to it); else what differs. */
function disagreement(text: string): string {
  const fast = readPlainYaml(text);
  if (fast === NOT_PLAIN) return "";
  const slow = yamlReading(text);
  if (!slow) return `accepted text that yaml reports problems in:\n${text}`;
  if (!isDeepStrictEqual(fast, slow.value)) return `read ${JSON.stringify(fast)} where yaml reads ${JSON.stringify(slow.value)}:\n${text}`;
  return "";
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

const shipped = [...yamlFiles(join(ROOT, "fixtures")), ...yamlFiles(join(ROOT, "bench/models"))];
const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml")).sort().map((f) => readFileSync(join(EXAMPLES, f), "utf8"));

describe("readPlainYaml on shipped files", () => {
  it("agrees with yaml on every YAML file in fixtures/ and bench/models/", () => {
    expect(shipped.length).toBeGreaterThan(150);
    const problems = shipped.map((f) => disagreement(readFileSync(f, "utf8"))).filter(Boolean);
    expect(problems).toEqual([]);
  });

  it("reads every example and benchmark spec itself, and most parity specs", () => {
    for (const f of shipped.filter((f) => f.includes("/examples/") || f.includes("/bench/models/"))) {
      expect(readPlainYaml(readFileSync(f, "utf8")), f).not.toBe(NOT_PLAIN);
    }
    const parity = shipped.filter((f) => f.includes("/parity"));
    const read = parity.filter((f) => readPlainYaml(readFileSync(f, "utf8")) !== NOT_PLAIN);
    expect(read.length / parity.length).toBeGreaterThan(0.85);
  });
});

describe("readPlainYaml cases", () => {
  const values: [string, unknown][] = [
    ["a: 1\nb: [1, 2]\n", { a: 1, b: [1, 2] }],
    ["a:\n  b:\n    c: x\n", { a: { b: { c: "x" } } }],
    ["k:\n- 1\n- two\nn: 3\n", { k: [1, "two"], n: 3 }],
    ["k:\n  - {a: 1}\n  - b: 2\n    c: [x, 'y z']\n", { k: [{ a: 1 }, { b: 2, c: ["x", "y z"] }] }],
    ["- a: 1\n  b:\n  - 2\n- 3\n", [{ a: 1, b: [2] }, 3]],
    ["a: x # comment\n# whole line\nb: 'it''s' # c\n", { a: "x", b: "it's" }],
    ["a: x#y\nb: btd,dhk->bthk\nc: a [b] {c}\n", { a: "x#y", b: "btd,dhk->bthk", c: "a [b] {c}" }],
    ["a: [1,\n  2, # two\n\n  3]\nb: 1\n", { a: [1, 2, 3], b: 1 }],
    ["a: {b: [1, {c: d}], e: \"f: g\"}\n", { a: { b: [1, { c: "d" }], e: "f: g" } }],
    ["a: []\nb: {}\nc:\nd: ~\ne: null\nf: NULL\n", { a: [], b: {}, c: null, d: null, e: null, f: null }],
    ["a: true\nb: False\nc: TRUE\nd: yes\ne: on\n", { a: true, b: false, c: true, d: "yes", e: "on" }],
    ["a: 0o17\nb: 0x1F\nc: -12\nd: +7\ne: 007\nf: 1_000\n", { a: 15, b: 31, c: -12, d: 7, e: 7, f: "1_000" }],
    ["a: 1.5\nb: -.5\nc: 1e3\nd: 2.\ne: 1.0.0\nf: -0\n", { a: 1.5, b: -0.5, c: 1000, d: 2, e: "1.0.0", f: -0 }],
    ["a: 1180591620717411303424\nb: 1e308\n", { a: 1180591620717411303424, b: 1e308 }],
    ["a: -1\nb: -x\nc: http://h/p\nd: é → ×\n", { a: -1, b: "-x", c: "http://h/p", d: "é → ×" }],
    ["a.b-c: 1\n_x: 2\n", { "a.b-c": 1, _x: 2 }],
    ["- - 1\n  - - 2\n- 3\n", [[1, [2]], 3]],
    [`${"k".repeat(1024)}: 1\n`, { ["k".repeat(1024)]: 1 }],
    ["mask:\n  - - [1.0, 0.0]\n    - [0.0, 1.0]\n", { mask: [[[1, 0], [0, 1]]] }],
  ];
  it.each(values)("%j", (text, expected) => {
    expect(readPlainYaml(text)).toStrictEqual(expected);
    expect(disagreement(text)).toBe("");
  });

  const leftToYaml = [
    "", "# only a comment\n", "  a: 1\n", "---\na: 1\n", "%YAML 1.2\n---\na: 1\n", "a: 1\n...\n",
    "a: 1\na: 2\n", "a: {b: 1, b: 2}\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  text\n", "a: >\n  text\n",
    "a:\tb\n", "a: 1\r\nb: 2\r\n", "\uFEFFa: 1\n", "a: \"x\\ny\"\n", "a: 'x\n  y'\n", "a: long\n  text\n",
    "a: b: c\n", "a: b:\n", "? a\n: 1\n", "[1, 2]\n", "plain\n", "a: [1, 2,]\n", "a: [1\n  2]\n", "a: {b}\n",
    "a: {b:1}\n", "1: x\n", "null: x\n", "true: x\n", "__proto__: x\n", "'a': 1\n", "a b: 1\n", "- -\n",
    "-\n- 1\n", "a: .inf\n", "a: .nan\n", "a:\n  - 1\n b: 2\n", "a: 1\n  b: 2\n", "a: [1,\n2]\n", "a: [1,\n# c\n  2]\n",
    "a: [1] x\n", "a: \"x\" y\n", "a: [1]#c\n", "a: - 1\n", "a: @x\n", "a: `x`\n", "a: %x\n", "a: x: y\n",
    "a:\n  b: 1\n  - 2\n", `${"k".repeat(1025)}: 1\n`, `- ${"k".repeat(1025)}: 1\n`, `${"a:\n".repeat(1)}${"- ".repeat(0)}${"[".repeat(70)}${"]".repeat(70)}\n`,
  ];
  it.each(leftToYaml)("leaves %j to yaml", (text) => {
    expect(readPlainYaml(text)).toBe(NOT_PLAIN);
  });
});

describe("readPlainYaml properties", () => {
  // Mostly what specs hold, with a share of everything YAML treats specially.
  const key = fc.oneof(
    { arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/), weight: 8 },
    { arbitrary: fc.constantFrom("null", "true", "__proto__", "constructor", "a b", "1", "-x", "x:"), weight: 1 },
  );
  const scalar = fc.oneof(
    { arbitrary: fc.integer(), weight: 3 },
    { arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/), weight: 3 },
    { arbitrary: fc.oneof(fc.double(), fc.boolean(), fc.constant(null)), weight: 2 },
    { arbitrary: fc.string({ unit: fc.constantFrom(..."ab1 :#-,[]{}'\"\\.~!&*|>%@?\t\n→"), maxLength: 12 }), weight: 1 },
    { arbitrary: fc.constantFrom("null", "true", "1e3", "0x1F", "0o7", ".inf", "-", "- a", "a: b", "a #b", "SAME", "btd,dhk->bthk"), weight: 1 },
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("array"), tie("object")),
    array: fc.array(tie("value"), { maxLength: 4 }),
    object: fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  }));
  const style = fc.record({
    indent: fc.integer({ min: 1, max: 4 }),
    indentSeq: fc.boolean(),
    collectionStyle: fc.constantFrom("any", "block", "flow") as fc.Arbitrary<"any" | "block" | "flow">,
    lineWidth: fc.constantFrom(0, 20, 80),
    flowCollectionPadding: fc.boolean(),
  });

  it("agrees with yaml on yaml's own output for random data", () => {
    let read = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), style, (data, options) => {
        const text = stringify(data, options);
        if (readPlainYaml(text) !== NOT_PLAIN) read++;
        expect(disagreement(text)).toBe("");
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // The property must not hold only because everything was left to yaml.
    expect(read).toBeGreaterThan(RUNS / 10);
  });

  const edit = fc.record({
    at: fc.nat(),
    remove: fc.nat({ max: 3 }),
    insert: fc.string({ unit: fc.constantFrom(..." \n-:#[]{},'\"a1.|&*!?"), maxLength: 3 }),
  });
  it("agrees with yaml on random edits of the examples", () => {
    let read = 0;
    fc.assert(
      fc.property(fc.nat({ max: examples.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }), (i, edits) => {
        const text = edits.reduce((t, e) => {
          const at = e.at % (t.length + 1);
          return t.slice(0, at) + e.insert + t.slice(at + e.remove);
        }, examples[i]!);
        if (readPlainYaml(text) !== NOT_PLAIN) read++;
        expect(disagreement(text)).toBe("");
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(read).toBeGreaterThan(RUNS / 10);
  });
});
