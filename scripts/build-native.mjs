// Build step: compile nnx-gen's own onnxruntime binding (native/nnx_ort.c) into
// dist/native/nnx_ort.node with the system C compiler and Node's own headers.
// It is optional: without a compiler, or headers, or on another OS than Linux, this prints why
// and exits 0, and nnx-gen runs models on onnxruntime-node's binding instead (one output copy
// more per run; see src/node/native.ts). Nothing is downloaded.
// Usage: node scripts/build-native.mjs [package root, default .]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const root = process.argv[2] ?? ".";
const out = join(root, "dist/native/nnx_ort.node");
// What happened, for the tests: a machine without the tools is fine, a failed compile is a bug.
const status = join(root, "dist/native/status.json");
mkdirSync(dirname(out), { recursive: true });

/** Give up: `missingTools` when the machine lacks what the build needs, else the build failed. */
function skip(why, missingTools) {
  rmSync(out, { force: true });
  writeFileSync(status, `${JSON.stringify({ built: false, missingTools, reason: why })}\n`);
  process.stderr.write(`nnx-gen: native binding not built (${why}); models will run on onnxruntime-node's own binding\n`);
  process.exit(0);
}

if (process.platform !== "linux") skip(`only built on Linux, this is ${process.platform}`, true);

// Where Node's headers are: next to this node binary, or where npm is told to build addons.
const headerDirs = [
  join(dirname(process.execPath), "..", "include", "node"),
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include", "node"),
  "/usr/include/node",
  "/usr/local/include/node",
].filter(Boolean);
const headers = headerDirs.find((d) => existsSync(join(d, "node_api.h")));
if (!headers) skip(`no node_api.h in ${headerDirs.join(", ")}`, true);

const cc = process.env.CC ?? "cc";
const partial = `${out}.${process.pid}.tmp`;
const r = spawnSync(
  cc,
  ["-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-fPIC", "-shared", "-I", headers, "-I", join(root, "native"), join(root, "native/nnx_ort.c"), "-o", partial, "-ldl"],
  { encoding: "utf8" },
);
if (r.error || r.status !== 0) {
  rmSync(partial, { force: true });
  skip(r.error ? `${cc}: ${r.error.message}` : `${cc} failed:\n${r.stderr.trim()}`, r.error !== undefined);
}
if (r.stderr.trim()) process.stderr.write(r.stderr);
renameSync(partial, out);
writeFileSync(status, `${JSON.stringify({ built: true })}\n`);
