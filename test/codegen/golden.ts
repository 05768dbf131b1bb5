/** Goldens: every spec of a set, generated, lives committed as `<golden dir>/<model_snake>.ts`. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { generateModule, type CodegenTarget, type GeneratedModule } from "../../src/codegen/index.js";
import { checkSpecFile } from "../../src/spec/load.js";

export const ROOT = new URL("../../", import.meta.url).pathname;

export const GOLDEN_SETS = [
  { name: "shipped examples", specs: "fixtures/examples", golden: "fixtures/golden" },
  { name: "type-test specs", specs: "test/codegen/specs", golden: "test/types/generated" },
] as const;

export function specFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(ROOT, dir, f));
}

/** Generate as `nnx-gen generate` does: check, then embed the text that was checked. */
export function generateFromFile(specPath: string, target: CodegenTarget = "node"): GeneratedModule {
  const checked = checkSpecFile(specPath);
  if (!checked.model) throw new Error(`${specPath} has errors:\n${checked.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join("\n")}`);
  return generateModule(checked.model, readFileSync(specPath, "utf8"), specPath, target);
}
