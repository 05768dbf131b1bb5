#!/usr/bin/env node
/**
 * How fast is `nnx-gen check` compared with starting Node at all?
 *
 * Generates 240 specs (40 renamed copies of each shipped example) into a temp dir, then
 * times `nnx-gen check <dir>` (one call, every spec) against a bare `node -e 0` on the same
 * machine, and prints both times and their ratio. The target is a ratio within 8x.
 *
 *   npm run build && node bench/check-speed.mjs [--runs N] [--specs N] [--json]
 *
 * NNX_GEN_BIN points at another build's bin/nnx-gen.js. This is a measurement, not a test:
 * it exits 0 whatever the ratio (1 only if check itself fails).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = process.env.NNX_GEN_BIN ?? join(ROOT, "bin/nnx-gen.js");
const TARGET = 8;

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const RUNS = flag("--runs", 7);
const SPECS = flag("--specs", 240);
const JSON_OUT = process.argv.includes("--json");

/** 40 copies of each example, each with its own model name, so every spec is parsed afresh. */
function generateSpecs(dir) {
  const examplesDir = join(ROOT, "fixtures/examples");
  const examples = readdirSync(examplesDir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ name: f.replace(/\.yaml$/, ""), text: readFileSync(join(examplesDir, f), "utf8") }));
  for (let i = 0; i < SPECS; i++) {
    const ex = examples[i % examples.length];
    const copy = Math.floor(i / examples.length);
    const text = ex.text.replace(/^model: (\w+)/m, (_m, name) => `model: ${name}V${copy}`);
    writeFileSync(join(dir, `${ex.name}_${String(copy).padStart(3, "0")}.yaml`), text);
  }
}

function time(args) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), "nnx-gen-check-speed-"));
try {
  generateSpecs(dir);
  // Warm the file system cache and check that the run is clean.
  const warm = time([BIN, "check", dir]);
  if (warm.status !== 0) {
    process.stderr.write(`check failed (exit ${warm.status}):\n${warm.stdout}${warm.stderr}`);
    process.exit(1);
  }
  if (!warm.stdout.includes(`${SPECS} specs checked, no problems`)) {
    process.stderr.write(`unexpected check output: ${warm.stdout}`);
    process.exit(1);
  }
  time(["-e", "0"]);

  const nodeMs = [];
  const checkMs = [];
  for (let i = 0; i < RUNS; i++) {
    // Interleave so that machine load affects both equally.
    nodeMs.push(time(["-e", "0"]).ms);
    checkMs.push(time([BIN, "check", dir]).ms);
  }
  const node = median(nodeMs);
  const check = median(checkMs);
  const ratio = check / node;
  const result = {
    specs: SPECS,
    runs: RUNS,
    node_e0_ms: Number(node.toFixed(1)),
    check_ms: Number(check.toFixed(1)),
    per_spec_ms: Number(((check - node) / SPECS).toFixed(2)),
    ratio: Number(ratio.toFixed(2)),
    target: TARGET,
    within_target: ratio <= TARGET,
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
  };
  if (JSON_OUT) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  else {
    process.stdout.write(
      [
        `node -e 0:                 ${result.node_e0_ms} ms (median of ${RUNS})`,
        `nnx-gen check (${SPECS} specs): ${result.check_ms} ms (median of ${RUNS}; ~${result.per_spec_ms} ms per spec beyond start-up)`,
        `ratio:                     ${result.ratio}x (target: within ${TARGET}x) ${result.within_target ? "OK" : "OVER TARGET"}`,
        `machine:                   ${result.cpu}, Node ${result.node}`,
        "",
      ].join("\n"),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
