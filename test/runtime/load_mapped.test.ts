/**
 * Load time of big models (BENCHMARKS.md, "Load time of big models"): a parameter file of
 * 16 MiB and more is mapped, the session points its initializers into that file (onnxruntime
 * maps it too, nothing is copied), other big weights go to ORT as tensors, and MatMul on a
 * transposed table becomes FusedMatMul(transB). The outputs must be bit-identical to the
 * onnxruntime-node binding's, which gets the plain graph with every weight copied in.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ADDON_PATH, nativeBackend } from "../../src/node/native.js";
import { ortBackend } from "../../src/node/ort.js";
import "../../src/node/host.js";
import { mappedFileOf, registerMappedFile } from "../../src/runtime/mapped_files.js";
import { compileModel } from "../../src/runtime/model.js";
import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { checkSpecText } from "../../src/spec/load.js";
import { tensor, type Tensor } from "../../src/tensor.js";
import { tiedLmSpec } from "./helpers.js";

// A tied LM whose table (6000 x 768 float32, 18.4 MB) is over the mapping threshold.
const SPEC = tiedLmSpec("MappedTiedLm", 6000);

function filled(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32 - 0.5) * 0.1;
  }
  return tensor("float32", shape, data);
}

describe.skipIf(!existsSync(ADDON_PATH))("big parameter files reach the session without copies", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnx-load-mapped-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "params.safetensors");
  writeFileSync(
    file,
    writeSafetensors(new Map([["wte.embedding", filled([6000, 768], 1)], ["fc.kernel", filled([768, 768], 2)], ["fc.bias", filled([768], 3)]])),
  );
  const checked = checkSpecText(join(dir, "spec.yaml"), SPEC);
  const tokens = { dtype: "int32" as const, shape: [2, 5], data: new Int32Array([0, 1, 5999, 42, 7, 3, 2999, 6000, -1, 100]) };

  it("maps the file, and runs bit-identically to onnxruntime-node's binding", async () => {
    const native = await compileModel(checked.model!, { params: file }, { backend: await nativeBackend() });
    const plain = await compileModel(checked.model!, { params: file }, { backend: await ortBackend() });
    try {
      // The tensors handed out are views of the mapped file.
      expect(mappedFileOf(native.params.get("wte.embedding")!.data.buffer)?.name).toBe("params.safetensors");
      const a = (await native.run({ tokens }))["logits"]!;
      const b = (await plain.run({ tokens }))["logits"]!;
      expect(a.shape).toEqual([2, 5, 6000]);
      expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(true);
      // Out-of-range ids give NaN rows (Embed's jnp.take fill), real rows finite values.
      expect(Number.isNaN((a.data as Float32Array)[7 * 6000])).toBe(true);
      expect(Number.isFinite((a.data as Float32Array)[0])).toBe(true);
    } finally {
      await native.release();
      await plain.release();
    }
  });
});

describe("GraphBuilder: mapped files and transposed weights", () => {
  const table = filled([64, 32], 4);
  const buildTied = (opts: Parameters<GraphBuilder["build"]>[0]) => {
    const g = new GraphBuilder("t");
    g.input("x", "float32", [2, 32]);
    const w = g.shared(table, "embedding");
    g.output(g.node("MatMul", ["x", g.node("Transpose", [w], { perm: [1, 0] })]), "y", "float32", [2, 64]);
    return g.build({ externalAbove: 1024, ...opts });
  };

  it("points an initializer in a mapped file at its offset there, with the file's folder", () => {
    const file = new ArrayBuffer(64 + table.data.byteLength);
    new Float32Array(file, 64).set(table.data as Float32Array);
    registerMappedFile(file, { dir: "/some/where", name: "p.safetensors" });
    const t = tensor("float32", [64, 32], new Float32Array(file, 64, 64 * 32));
    const g = new GraphBuilder("m");
    g.input("x", "float32", [2, 64]);
    g.output(g.node("MatMul", ["x", g.constant(t, "w")]), "y", "float32", [2, 32]);
    const mapped = g.build({ externalAbove: 1024, mappedFiles: true });
    expect(mapped.externalDir).toBe("/some/where");
    expect(mapped.externalData).toEqual([]);
    // The location and the offset 64 are in the serialized TensorProto's external_data.
    const text = Buffer.from(mapped.bytes).toString("latin1");
    expect(text).toContain("p.safetensors");
    const plain = g.build({ externalAbove: 1024 });
    expect(plain.externalDir).toBeUndefined();
    expect(plain.externalData.map((f) => f.initializer?.dims)).toEqual([[64, 32]]);
  });

  it("MatMul on a transposed 2-D initializer becomes FusedMatMul(transB) only when asked", () => {
    const fused = Buffer.from(buildTied({ fuseTransposedWeights: true }).bytes).toString("latin1");
    expect(fused).toContain("FusedMatMul");
    expect(fused).toContain("com.microsoft");
    expect(fused).not.toContain("Transpose");
    const plain = Buffer.from(buildTied({}).bytes).toString("latin1");
    expect(plain).not.toContain("FusedMatMul");
    expect(plain).toContain("Transpose");
  });

  it("keeps the Transpose when its output is read by anything but a MatMul's weight input", () => {
    const g = new GraphBuilder("t2");
    g.input("x", "float32", [2, 32]);
    const t = g.node("Transpose", [g.shared(table, "embedding")], { perm: [1, 0] });
    g.output(g.node("MatMul", ["x", t]), "y", "float32", [2, 64]);
    g.output(g.node("Relu", [t]), "z", "float32", [32, 64]);
    const text = Buffer.from(g.build({ externalAbove: 1024, fuseTransposedWeights: true }).bytes).toString("latin1");
    expect(text).not.toContain("FusedMatMul");
  });
});
