/**
 * Files that ship with the package (schema, templates, package.json), found from the package
 * root, so code works the same from src/ (tests), dist/ (the library) and the CLI bundle.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "schemas", "nnx-spec.schema.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("nnx-gen: cannot find the package root (schemas/nnx-spec.schema.json)");
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = packageRoot();

export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
