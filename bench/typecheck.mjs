#!/usr/bin/env node
/**
 * How long `tsc` takes to type-check a generated module for a large spec, and a consumer that
 * calls it. The generator does the shape arithmetic, so the types are literal tuples and one
 * type parameter per symbol, and the cost should stay near a small model's.
 *
 *   npm run build && node bench/typecheck.mjs [--layers 150] [--runs 3]
 *
 * Prints the wall time of `tsc --noEmit` (median of --runs) for a 2-layer and an N-layer
 * model, and tsc's own check time for the N-layer one. "nnx-gen" resolves to the built
 * package (dist/index.d.ts) through node_modules, as in a user's project.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSC = path.join(ROOT, "node_modules/typescript/bin/tsc");
const { values } = parseArgs({ options: { layers: { type: "string", default: "150" }, runs: { type: "string", default: "3" } } });
const LAYERS = Number(values.layers);
const RUNS = Number(values.runs);

const { checkSpecText } = await import(path.join(ROOT, "dist/spec/load.js"));
const { generateModule } = await import(path.join(ROOT, "dist/codegen/index.js"));

/** Residual blocks over [batch, seq, 64]: Linear, gelu, 1-D Conv, add, cycling until `n` layers. */
function deepSpec(n) {
  const layers = [];
  for (let i = 0; layers.length < n; i++) {
    const block = [
      `  - { name: proj_${i}, type: Linear, out_features: 64 }`,
      `  - { name: act_${i}, type: gelu }`,
      `  - { name: mix_${i}, type: Conv, out_features: 64, kernel_size: [3] }`,
      `  - { name: res_${i}, type: add, input: [mix_${i}, ${i === 0 ? "x" : `res_${i - 1}`}] }`,
    ];
    layers.push(...block.slice(0, n - layers.length));
  }
  return ["nnx_gen: 1", "model: DeepNet", "inputs:", "  x: { shape: [batch, seq, 64], dtype: float32 }", "layers:", ...layers, ""].join("\n");
}

const CONSUMER = `import { tensor, type Tensor } from "nnx-gen";
import { DeepNet } from "./deep_net.js";

export async function main(): Promise<number> {
  const model = await DeepNet.create({ seed: 0 });
  const outputs = await model.run({ x: tensor("float32", [8, 128, 64]) });
  const typed: Tensor<"float32", readonly [8, 128, 64]> = Object.values(outputs)[0]!;
  return typed.shape[2];
}
`;

function project(layers) {
  const dir = mkdtempSync(path.join(tmpdir(), "nnx-gen-typecheck-"));
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(ROOT, path.join(dir, "node_modules", "nnx-gen"), "dir");
  const text = deepSpec(layers);
  const checked = checkSpecText("deep_net.yaml", text);
  if (!checked.model) throw new Error(`the generated spec has errors: ${JSON.stringify(checked.diagnostics, null, 2)}`);
  const { fileName, code } = generateModule(checked.model, text, "deep_net.yaml");
  writeFileSync(path.join(dir, fileName), code);
  writeFileSync(path.join(dir, "main.ts"), CONSUMER);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  const compilerOptions = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: [] };
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["*.ts"] }));
  return { dir, lines: code.split("\n").length };
}

function tsc(dir) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [TSC, "-p", dir, "--extendedDiagnostics", "--pretty", "false"], { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const errors = r.stdout.split("\n").filter((l) => /error TS\d+/.test(l));
  const checkTime = /Check time:\s+([\d.]+)s/.exec(r.stdout)?.[1];
  return { ms, errors, checkMs: checkTime === undefined ? NaN : Number(checkTime) * 1000 };
}

function measure(layers) {
  const { dir, lines } = project(layers);
  try {
    const runs = Array.from({ length: RUNS }, () => tsc(dir));
    const sorted = [...runs].sort((a, b) => a.ms - b.ms);
    return { layers, lines, median: sorted[Math.floor(RUNS / 2)], errors: runs[0].errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const small = measure(2);
const large = measure(LAYERS);
for (const r of [small, large]) {
  console.log(`${String(r.layers).padStart(4)} layers (${r.lines} lines generated): tsc --noEmit ${r.median.ms.toFixed(0)} ms wall, check time ${r.median.checkMs.toFixed(0)} ms (median of ${RUNS})`);
}
console.log(`cost of the extra ${LAYERS - 2} layers: ${(large.median.ms - small.median.ms).toFixed(0)} ms wall, ${(large.median.checkMs - small.median.checkMs).toFixed(0)} ms check`);
if (large.errors.length > 0) {
  console.log(`\nnote: tsc reported errors (timings still taken):\n${large.errors.join("\n")}`);
  process.exitCode = 1;
}
