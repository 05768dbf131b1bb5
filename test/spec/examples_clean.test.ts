/** Every shipped example spec, and every parity spec, checks clean: no errors, no warnings. */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpecFile } from "../../src/spec/load.js";
import { summarize } from "../../src/summary/summary.js";

const ROOT = join(import.meta.dirname, "../..");
const EXAMPLES = join(ROOT, "fixtures/examples");
const PARITY = join(ROOT, "fixtures/parity");

const examples = readdirSync(EXAMPLES)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => join(EXAMPLES, f));
const parity = existsSync(PARITY)
  ? readdirSync(PARITY, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(PARITY, d.name, "spec.yaml")))
      .map((d) => join(PARITY, d.name, "spec.yaml"))
  : [];

describe("shipped specs check clean", () => {
  it("there are examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  for (const file of [...examples, ...parity].sort()) {
    it(relative(ROOT, file), () => {
      const checked = checkSpecFile(file);
      expect(checked.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`)).toEqual([]);
      expect(checked.model).toBeDefined();
      const model = checked.model!;
      // Every layer made it into the IR and every output names a value of the model.
      expect(model.layers.length).toBeGreaterThan(0);
      const values = new Set([...model.inputs.map((i) => i.name), ...model.layers.map((l) => l.name)]);
      for (const o of model.outputs) expect(values.has(o.value)).toBe(true);
      // The summary of a clean model never throws and its totals are numbers or expressions.
      const s = summarize(model);
      expect(s.layers.length).toBe(model.layers.length);
      for (const v of [s.totals.macs, s.totals.flops]) expect(["number", "string"]).toContain(typeof v);
    });
  }
});
