/**
 * `tsc --noEmit` over the golden generated modules and the type tests (consumer.test-d.ts),
 * as a user's strict NodeNext project compiles them. An unused `@ts-expect-error` is a tsc
 * error, so a shape mistake that stops being a compile error fails here.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;

function tsc(project: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", project, "--pretty", "false"], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("generated modules type-check", () => {
  it("goldens and type tests compile under strict NodeNext, with every expected error present", () => {
    const { status, output } = tsc("test/types/tsconfig.json");
    expect(output).toBe("");
    expect(status).toBe(0);
  });

  it("generated modules have no diagnostics under the strictest flags (noUnused*, noPropertyAccessFromIndexSignature, ...)", () => {
    const { output } = tsc("test/types/tsconfig.strictest.json");
    // The package source is in the program too but is not held to these flags.
    const inGenerated = output.split("\n").filter((line) => /^(fixtures\/golden|test\/types\/generated)\//.test(line));
    expect(inGenerated).toEqual([]);
    expect(output).not.toMatch(/error TS(5\d{3}|6053|2307)/); // config errors and missing files would hide everything
  });
});
