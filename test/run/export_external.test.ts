/**
 * Models whose weights pass protobuf's 2 GiB limit are exported with an external data file.
 * The same code path is exercised here on a small model by lowering the limit: raw
 * onnxruntime must load the pair from disk and compute what the embedded model computes.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { initializeParams } from "../../src/params/store.js";
import { writeOnnxModel } from "../../src/node/export_onnx.js";
import { checkSpecText } from "../../src/spec/load.js";

const SPEC = `nnx_gen: 1
model: Big
inputs:
  x: { shape: [batch, 64] }
layers:
  - { name: a, type: Linear, out_features: 128 }
  - { type: gelu }
  - { name: b, type: Linear, out_features: 16 }
`;

describe("export with external weights", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnx-external-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes <file>.data beside the model and computes what the embedded model computes", async () => {
    const model = checkSpecText("big.yaml", SPEC).model!;
    const params = initializeParams(model, 7);
    const embedded = join(dir, "embedded.onnx");
    const external = join(dir, "external.onnx");
    expect(await writeOnnxModel(model, params, embedded)).toBeUndefined();
    expect(await writeOnnxModel(model, params, external, 0)).toBe("external.onnx.data");
    expect(existsSync(join(dir, "external.onnx.data"))).toBe(true);
    // The weights left the model file: it is much smaller than the embedded one.
    expect(statSync(external).size).toBeLessThan(statSync(embedded).size / 4);
    expect(statSync(join(dir, "external.onnx.data")).size).toBeGreaterThanOrEqual((64 * 128 + 128 * 16) * 4);

    const x = new ort.Tensor("float32", Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i)), [3, 64]);
    const run = async (file: string) => {
      const s = await ort.InferenceSession.create(file);
      const out = (await s.run({ x }))["b"]!;
      await s.release();
      return out;
    };
    const a = await run(embedded);
    const b = await run(external);
    expect(b.dims).toEqual([3, 16]);
    expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
  });
});
