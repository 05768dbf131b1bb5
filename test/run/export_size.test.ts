/**
 * A tied embedding (Embed + attend reading the same table) is stored once in the exported ONNX
 * file: the file is the parameter bytes plus a small graph, never a transposed or padded copy.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "./helpers.js";

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
});
