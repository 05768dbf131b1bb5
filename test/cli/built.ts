/**
 * A private build of the package for tests that must run the compiled CLI in a child
 * process. It is compiled from src/ (and the CLI bundled) into a temp dir (never into the shared dist/, which
 * may be stale or being rebuilt), with schemas/, node_modules/ and package.json linked in
 * so that the layout matches the published package.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./helpers.js";

export interface Built {
  /** The package root: <root>/dist, <root>/schemas, <root>/node_modules, <root>/bin. */
  root: string;
  dist: string;
  cleanup: () => void;
}

export function buildPackage(): Built {
  const root = mkdtempSync(join(tmpdir(), "nnx-gen-built-"));
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.json"), "--outDir", join(root, "dist"), "--declaration", "false"], {
      cwd: ROOT,
      stdio: "pipe",
    });
  } catch (e) {
    // Type errors elsewhere in src/ still emit JavaScript; only a missing CLI is fatal.
    if (!existsSync(join(root, "dist/cli/program.js"))) throw e;
  }
  for (const name of ["schemas", "node_modules"]) symlinkSync(join(ROOT, name), join(root, name), "dir");
  // The bin runs the bundled CLI, as the published package does.
  execFileSync(process.execPath, [join(ROOT, "scripts/bundle-cli.mjs"), root], { cwd: ROOT, stdio: "pipe" });
  // Copied, not linked: Node resolves a linked bin script's imports from its real location.
  cpSync(join(ROOT, "bin"), join(root, "bin"), { recursive: true });
  copyFileSync(join(ROOT, "package.json"), join(root, "package.json"));
  return { root, dist: join(root, "dist"), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
