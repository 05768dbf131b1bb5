/**
 * Every `fixtures/fail/*.fail.yaml` declares the diagnostics it must produce in its leading
 * comment lines, and `checkSpecFile` must report exactly those: no more, no fewer.
 *
 *   # expect: NNX2003 14:16             an error with this code starting at line 14, column 16
 *   # expect: warning NNX2026 9:5       a warning
 *   # expect-message: NNX2007 [1, 2]    some NNX2007 diagnostic's message contains "[1, 2]"
 *   # expect-hint: NNX1010 "strides"    some NNX1010 diagnostic's hint contains "strides"
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CODES } from "../../src/diagnostics/codes.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { checkSpecFile } from "../../src/spec/load.js";
import { positionProblems } from "./positions.js";

const DIR = join(import.meta.dirname, "../../fixtures/fail");

interface Expectations {
  diagnostics: string[];
  messages: { code: string; text: string }[];
  hints: { code: string; text: string }[];
}

function readExpectations(text: string): Expectations {
  const out: Expectations = { diagnostics: [], messages: [], hints: [] };
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("#")) break;
    let m = /^# expect: (?:(error|warning) )?(NNX\d{4}) (\d+):(\d+)\s*$/.exec(line);
    if (m) {
      out.diagnostics.push(key(m[2]!, Number(m[3]), Number(m[4]), (m[1] ?? "error") as Diagnostic["severity"]));
      continue;
    }
    m = /^# expect-(message|hint): (NNX\d{4}) (.+)$/.exec(line);
    if (m) (m[1] === "message" ? out.messages : out.hints).push({ code: m[2]!, text: m[3]! });
    else if (/^# expect/.test(line)) throw new Error(`malformed expectation line: ${line}`);
  }
  return out;
}

function key(code: string, line: number, col: number, severity: Diagnostic["severity"]): string {
  return `${severity} ${code} ${line}:${col}`;
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith(".fail.yaml"))
  .sort();

describe("fail fixtures", () => {
  it("exist", () => {
    expect(fixtures.length).toBeGreaterThan(40);
    // Everything in the folder follows the naming scheme (no stray files that are never run).
    expect(readdirSync(DIR).filter((f) => !f.endsWith(".fail.yaml"))).toEqual([]);
  });

  for (const name of fixtures) {
    it(name, () => {
      const file = join(DIR, name);
      const text = readFileSync(file, "utf8");
      const want = readExpectations(text);
      expect(want.diagnostics.length, "a fail fixture must expect at least one diagnostic").toBeGreaterThan(0);

      const checked = checkSpecFile(file);
      const got = checked.diagnostics.map((d) => key(d.code, d.line, d.column, d.severity));
      const describeAll = checked.diagnostics.map((d) => `${key(d.code, d.line, d.column, d.severity)} ${d.pointer} ${d.message}`).join("\n");
      expect([...got].sort(), `diagnostics reported:\n${describeAll}`).toEqual([...want.diagnostics].sort());

      for (const { code, text: needle } of want.messages) {
        const msgs = checked.diagnostics.filter((d) => d.code === code).map((d) => d.message);
        expect(
          msgs.some((m) => m.includes(needle)),
          `a ${code} message should mention ${needle}; got: ${JSON.stringify(msgs)}`,
        ).toBe(true);
      }
      for (const { code, text: needle } of want.hints) {
        const hints = checked.diagnostics.filter((d) => d.code === code).map((d) => d.hint ?? "");
        expect(hints.some((h) => h.includes(needle)), `a ${code} hint should mention ${needle}; got: ${JSON.stringify(hints)}`).toBe(true);
      }

      // Positions are inside the file, ranges are not inverted, files are the one checked.
      expect(positionProblems(text, checked.diagnostics)).toEqual([]);
      for (const d of checked.diagnostics) {
        expect(d.file).toBe(file);
        expect(d.message.length).toBeGreaterThan(0);
        expect(d.message).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack frames in messages
      }
      // A spec with only warnings still builds; one with errors never does.
      const errors = checked.diagnostics.some((d) => d.severity === "error");
      expect(checked.model === undefined).toBe(errors);
    });
  }

  it("cover every shape, layer and schema rule in the code catalogue", () => {
    const expected = new Set<string>();
    for (const name of fixtures) {
      for (const k of readExpectations(readFileSync(join(DIR, name), "utf8")).diagnostics) expected.add(k.split(" ")[1]!);
    }
    // Covered elsewhere: unreadable/huge files and alias bombs (test/spec/hostile.test.ts),
    // "no spec files" (test/cli), and the parameter/data-file codes (run, not check).
    const elsewhere = new Set(["NNX1003", "NNX1004", "NNX1005", "NNX1020", /* run --seed, test/dtypes/x64.test.ts */ "NNX2131"]);
    const missing = Object.keys(CODES).filter((c) => !c.startsWith("NNX3") && !elsewhere.has(c) && !expected.has(c));
    expect(missing).toEqual([]);
    expect(expected.has("NNX3066")).toBe(true);
  });
});
