/**
 * A tied embedding (Embed + attend reading the same table) is stored once in the exported ONNX
 * file: the file is the parameter bytes plus a small graph, never a transposed or padded copy.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, cli, EXAMPLES, spawnRun } from "./helpers.js";

describe("export stores each parameter once", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnx-export-size-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("tied_lm: the ONNX file is at most 1.02x its parameter bytes", async () => {
    const spec = join(EXAMPLES, "tied_lm.yaml");
    const onnx = join(dir, "tied.onnx");
    const st = join(dir, "tied.safetensors");
    expect((await cli("export", spec, "--format", "onnx", "-o", onnx)).code).toBe(0);
    expect((await cli("export", spec, "--format", "safetensors", "-o", st)).code).toBe(0);
    // 4096 x 256 table + 3 x 256 x 256 conv + 256 x 256 linear + biases, float32.
    const paramBytes = 4 * (4096 * 256 + 3 * 256 * 256 + 256 + 256 * 256 + 256);
    expect(statSync(st).size).toBeGreaterThan(paramBytes);
    expect(statSync(onnx).size / paramBytes).toBeLessThanOrEqual(1.02);
  });

  // Issue 10's second model: GPT-2 small, tied head through attend, exported from --seed 0 in
  // a child process (the JAX PRNG initialization of 124M params takes 10-40 s here).
  it("gpt2_small: the ONNX file is at most 1.02x its parameter bytes", async () => {
    const spec = join(EXAMPLES, "gpt2_small.yaml");
    const onnx = join(dir, "gpt2.onnx");
    const r = await spawnRun(process.execPath, [BIN, "export", spec, "--format", "onnx", "--seed", "0", "-o", onnx], { timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    // GPT-2 small's published 124,439,808 parameters (tied head counted once), float32.
    const paramBytes = 4 * 124_439_808;
    const summary = await cli("summary", spec, "--format", "json");
    expect((JSON.parse(summary.stdout) as { totals: { param_bytes: number } }).totals.param_bytes).toBe(paramBytes);
    expect(statSync(onnx).size).toBeGreaterThan(paramBytes);
    expect(statSync(onnx).size / paramBytes).toBeLessThanOrEqual(1.02);
  }, 660_000);
});
