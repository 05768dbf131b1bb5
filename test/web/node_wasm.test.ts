/**
 * onnxruntime-web (WebAssembly, SIMD, one thread) in Node: every parity case of fixtures/parity
 * and fixtures/parity_extra runs through the web entry (nnx-gen/web: spec text, parameter bytes,
 * onnxruntime-web) in-process and must match the oracle's expected outputs within the case's
 * tolerance, so the browser runtime and the native one are checked against the same references
 * in every `npm test`. (The Node host the test setup installs stays: a mask file is read.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileSpecModel, inputAs, readNpy, webBackend, type Backend, type Tensor } from "../../src/web/index.js";
import { expectParityOutput, type ParityCase } from "../parity/helpers.js";

const ROOT = new URL("../../", import.meta.url).pathname;

for (const folder of ["parity", "parity_extra"]) {
  const dir = join(ROOT, "fixtures", folder);
  const cases = JSON.parse(readFileSync(join(dir, "cases.json"), "utf8")) as ParityCase[];

  describe(`fixtures/${folder} on onnxruntime-web (wasm) in Node`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await webBackend();
    });

    for (const c of cases) {
      it(`${c.name}: ${c.about}`, async () => {
        const caseDir = join(dir, c.name);
        const spec = { file: join(caseDir, "spec.yaml"), text: readFileSync(join(caseDir, "spec.yaml"), "utf8") };
        const compiled = await compileSpecModel(spec, { params: readFileSync(join(caseDir, "params.safetensors")) }, { backend });
        try {
          const inputs: Record<string, Tensor> = {};
          // Input files as `run` reads them (int64 ids are int32, float64 float32, with x64 off).
          for (const i of c.inputs) {
            const declared = compiled.model.inputs.find((x) => x.name === i)!;
            inputs[i] = inputAs(readNpy(readFileSync(join(caseDir, `${i}.npy`)), i), declared.type.dtype, i, compiled.model.x64);
          }
          const got = await compiled.run(inputs);
          for (const o of c.outputs) {
            const want = readNpy(readFileSync(join(caseDir, "expected", `${o}.npy`)), o);
            expectParityOutput(c, o, got[o]!, want);
          }
        } finally {
          await compiled.release();
        }
      });
    }
  });
}
