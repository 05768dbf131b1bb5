/**
 * Golden generated modules, compared byte for byte. Goldens are never rewritten by a normal
 * run: regenerate them deliberately with `UPDATE_GOLDEN=1 npx vitest run test/codegen`, then
 * review the diff. (test/types/ type-checks them.)
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { isGeneratedModule } from "../../src/codegen/index.js";
import { GOLDEN_SETS, ROOT, generateFromFile, specFiles } from "./golden.js";

const UPDATE = process.env["UPDATE_GOLDEN"] === "1";

describe.each(GOLDEN_SETS)("goldens of the $name", ({ specs, golden }) => {
  const files = specFiles(specs);

  it("exist for every spec", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [basename(f), f]))("%s generates its golden byte for byte", (_name, spec) => {
    const { fileName, code } = generateFromFile(spec);
    const path = join(ROOT, golden, fileName);
    if (UPDATE) {
      if (process.env["CI"]) throw new Error("UPDATE_GOLDEN is refused in CI: goldens are regenerated deliberately, locally");
      writeFileSync(path, code);
    }
    expect(existsSync(path), `${golden}/${fileName} is missing; run UPDATE_GOLDEN=1 npx vitest run test/codegen`).toBe(true);
    expect(code).toBe(readFileSync(path, "utf8"));
  });

  it("has no golden without a spec", () => {
    const expected = new Set(files.map((f) => generateFromFile(f).fileName));
    const stale = readdirSync(join(ROOT, golden)).filter((f) => f.endsWith(".ts") && !expected.has(f));
    if (UPDATE) for (const f of stale) rmSync(join(ROOT, golden, f));
    else expect(stale, "goldens whose spec is gone").toEqual([]);
  });
});

describe("generated text", () => {
  const all = GOLDEN_SETS.flatMap(({ specs }) => specFiles(specs)).map((f) => generateFromFile(f).code);

  it("starts with the marker that lets generate overwrite it (and only it)", () => {
    for (const code of all) expect(isGeneratedModule(code)).toBe(true);
  });

  it("is already formatted: LF, no tabs, no trailing spaces, one final newline", () => {
    for (const code of all) {
      expect(code).not.toMatch(/\r|\t/);
      expect(code).not.toMatch(/[ ]+\n/);
      expect(code.endsWith("}\n")).toBe(true);
      expect(code).not.toMatch(/\n\n\n/);
    }
  });
});
