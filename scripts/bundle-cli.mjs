// Build step: bundle the CLI into a few files (dist/cli-bundle/), one chunk per command.
// Node 20 resolves and links each ES module separately; loading ~70 of them cost more than
// a whole `check` of one spec. The library (dist/index.js) stays unbundled.
// Usage: node scripts/bundle-cli.mjs [package root, default .]
import { rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = process.argv[2] ?? ".";
// Chunk names carry content hashes: clear the old ones rather than let them pile up.
rmSync(join(root, "dist/cli-bundle"), { recursive: true, force: true });
await build({
  entryPoints: { "nnx-gen": join(root, "dist/cli/main.js") },
  outdir: join(root, "dist/cli-bundle"),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Native code, and the template engine generate loads on demand, stay real packages.
  external: ["onnxruntime-node", "handlebars"],
  // Bundled CommonJS dependencies call require(); ES modules have none of their own.
  banner: { js: "import { createRequire as __nnxRequire } from 'node:module'; const require = __nnxRequire(import.meta.url);" },
  logLevel: "warning",
});
