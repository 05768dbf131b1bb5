/**
 * Every shipped example: `run` with only --dim flags writes one finite .npy per output with the
 * shape `summary` predicts; the exported ONNX model, served by plain onnxruntime-node, computes
 * what `run` computes (at two sizes of its symbolic dims, which must stay symbolic); and the
 * exported safetensors are the parameters `run --save-params` uses.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { IrModel } from "../../src/ir/model.js";
import { valueTypes } from "../../src/ir/model.js";
import { writeNpy } from "../../src/io/npy.js";
import { Rng } from "../../src/params/prng.js";
import { isFloatDType, numElements, type Tensor } from "../../src/tensor.js";
import { cli, dimFlags, dimsFor, exampleSpecs, expectAllClose, expectFinite, expectOk, listDir, loadModel, readNpyFile, sharedTempDir, type Temp } from "./helpers.js";

const SPECS = exampleSpecs();

const t = sharedTempDir("examples");

interface SummaryJson {
  layers: { name: string; type: string; output_shape: (number | string)[] }[];
}

/** Deterministic inputs for the given dims: normal floats, ids inside the Embed's table. */
function makeInputs(model: IrModel, dims: Record<string, number>, seed: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const i of model.inputs) {
    const shape = i.type.shape.map((d) => d.evaluate(dims));
    const n = numElements(shape);
    const rng = new Rng(seed, `test-input:${i.name}`);
    if (isFloatDType(i.type.dtype)) {
      expect(i.type.dtype).toBe("float32");
      out[i.name] = { dtype: "float32", shape, data: rng.fillNormal(new Float32Array(n)) };
    } else {
      expect(i.type.dtype).toBe("int32");
      const embed = model.layers.find((l) => l.type === "Embed" && l.inputs[0] === i.name);
      const high = embed ? (embed.attrs as { numEmbeddings: number }).numEmbeddings : 100;
      const data = new Int32Array(n);
      for (let k = 0; k < n; k++) data[k] = Math.floor(rng.uniform01() * high);
      out[i.name] = { dtype: "int32", shape, data };
    }
  }
  return out;
}

function writeInputs(dir: Temp, tag: string, inputs: Record<string, Tensor>): string[] {
  return Object.entries(inputs).flatMap(([name, x]) => ["--input", `${name}=${dir.write(`${tag}-${name}.npy`, writeNpy(x))}`]);
}

function toOrt(x: Tensor): ort.Tensor {
  return new ort.Tensor(x.dtype as "float32" | "int32", x.data as Float32Array | Int32Array, x.shape);
}

it("ships examples", () => {
  expect(SPECS.length).toBeGreaterThanOrEqual(6);
});

describe.each(SPECS.map((s) => [basename(s, ".yaml"), s] as const))("%s", (name, spec) => {
  const model = loadModel(spec);
  const dims = dimsFor(model);

  it("runs with only --dim flags: one finite .npy per output, shaped as summary says", async () => {
    const out = t.path(`${name}-plain`);
    const r = await cli("run", spec, ...dimFlags(dims), "--out", out);
    expectOk(r);
    // Only the notes that say the parameters came from seed 0 and each input was random.
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      "note: parameters initialized from --seed 0 with the spec's initializers (no --params)",
      ...model.inputs.map((i) => expect.stringMatching(new RegExp(`^note: input ${i.name} is random \\((standard normal|uniform integers), seed 0\\); give it with --input ${i.name}=FILE$`))),
    ]);
    const summary = await cli("summary", spec, "--format", "json", ...dimFlags(dims));
    expectOk(summary);
    const layers = (JSON.parse(summary.stdout) as SummaryJson).layers;
    expect(listDir(out)).toEqual(model.outputs.map((o) => `${o.name}.npy`).sort());
    const types = valueTypes(model);
    for (const o of model.outputs) {
      const got = readNpyFile(t.path(`${name}-plain`, `${o.name}.npy`));
      const layer = layers.find((l) => l.name === o.value);
      expect(layer, `summary has layer ${o.value}`).toBeDefined();
      expect(layer!.output_shape.every((d) => typeof d === "number")).toBe(true);
      expect([...got.shape]).toEqual(layer!.output_shape);
      expect(got.dtype).toBe(types.get(o.value)!.dtype);
      expectFinite(got, `${name}:${o.name}`);
      expect(r.stdout).toContain(`${o.name}.npy`);
    }
  });

  it("exported ONNX (plain onnxruntime-node) equals run, symbolic dims kept; exported safetensors equal --save-params", async () => {
    const onnx = t.path(`${name}.onnx`);
    expectOk(await cli("export", spec, "--format", "onnx", "-o", onnx, "--seed", "3"));
    const session = await ort.InferenceSession.create(onnx);
    try {
      // The interface: the spec's input/output names, dtypes, channels-last shapes, symbols kept.
      expect([...session.inputNames]).toEqual(model.inputs.map((i) => i.name));
      expect([...session.outputNames]).toEqual(model.outputs.map((o) => o.name));
      const meta = session.inputMetadata as readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[];
      for (const i of model.inputs) {
        const m = meta.find((x) => x.name === i.name)!;
        expect(m.isTensor).toBe(true);
        expect(m.type).toBe(i.type.dtype);
        expect(m.shape).toEqual(i.type.shape.map((d) => d.constant ?? d.toString()));
      }

      const sizes = [dims, dimsFor(model, { batch: 3, seq: 5, height: 24, width: 40 })];
      for (const [k, d] of sizes.entries()) {
        const inputs = makeInputs(model, d, k);
        const out = t.path(`${name}-seed3-${k}`);
        const saved = t.path(`${name}-seed3-${k}.safetensors`);
        const r = await cli("run", spec, "--seed", "3", ...writeInputs(t, `${name}-${k}`, inputs), "--out", out, "--save-params", saved);
        expectOk(r);
        const feeds = Object.fromEntries(Object.entries(inputs).map(([n, x]) => [n, toOrt(x)]));
        const results = await session.run(feeds);
        for (const o of model.outputs) {
          const fromRun = readNpyFile(t.path(`${name}-seed3-${k}`, `${o.name}.npy`));
          const fromOnnx = results[o.name]!;
          expectFinite(fromRun, `${name}:${o.name}`);
          expectAllClose({ dtype: fromOnnx.type, shape: fromOnnx.dims, data: fromOnnx.data }, fromRun, `${name}:${o.name} at ${JSON.stringify(d)}`);
        }
      }
    } finally {
      await session.release();
    }

    const st = t.path(`${name}-export.safetensors`);
    expectOk(await cli("export", spec, "--format", "safetensors", "-o", st, "--seed", "3"));
    const exported = readFileSync(st);
    expect(exported.equals(readFileSync(t.path(`${name}-seed3-0.safetensors`)))).toBe(true);
    expect(exported.equals(readFileSync(t.path(`${name}-seed3-1.safetensors`)))).toBe(true);
  });
});
