/**
 * Parameters in bfloat16, float16 and float64 (x64 on) in every format: read -> checked against
 * the spec (validateParams, what `run` does before it runs) -> saved as `--save-params` saves
 * them -> read, byte-identical. The spec's param_dtype is set on the IR here, so this runs
 * before the schema accepts `param_dtype: bfloat16` (the CLI tests of that live with it).
 */
import { describe, expect, it } from "vitest";
import { checkSpecText } from "../../src/spec/load.js";
import type { IrModel } from "../../src/ir/model.js";
import { readFlaxMsgpack, writeFlaxMsgpack } from "../../src/io/msgpack.js";
import { readNpz, writeNpz } from "../../src/io/npz.js";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { validateParams } from "../../src/params/store.js";
import { tensor, type DType, type Tensor } from "../../src/tensor.js";
import { UserError } from "../../src/diagnostics/errors.js";

const SPEC = `nnx_gen: 1
model: Lin
inputs:
  x: { shape: [2, 3], dtype: float32 }
layers:
  - { name: fc, type: Linear, out_features: 2 }
outputs: { y: fc }
`;

function modelWith(dtype: DType, x64 = false): IrModel {
  const model = checkSpecText("lin.yaml", SPEC).model!;
  return { ...model, x64, layers: model.layers.map((l) => ({ ...l, params: l.params.map((p) => ({ ...p, dtype })) })) } as IrModel;
}

const asMap = (r: Record<string, Tensor>) => new Map(Object.entries(r));
const bytesOf = (x: Tensor) => Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength);

const PARAMS: Record<string, Record<string, Tensor>> = {
  bfloat16: { "fc.kernel": tensor("bfloat16", [3, 2], new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x8000, 0x0001, 0x7fc1])), "fc.bias": tensor("bfloat16", [2], new Uint16Array([0x4049, 0xff80])) },
  float16: { "fc.kernel": tensor("float16", [3, 2], new Uint16Array([0x3c00, 0x0001, 0x7bff, 0xfc00, 0x8000, 0x7e01])), "fc.bias": tensor("float16", [2], new Uint16Array([0x3555, 0x0400])) },
  float64: { "fc.kernel": tensor("float64", [3, 2], new Float64Array([Math.PI, 1e300, -0, 5e-324, 1 + 2 ** -52, -1])), "fc.bias": tensor("float64", [2], new Float64Array([1 / 3, NaN])) },
};

const FORMATS = [
  ["safetensors", (p: Record<string, Tensor>) => writeSafetensors(p), readSafetensors],
  ["npz", (p: Record<string, Tensor>) => writeNpz(p), readNpz],
  ["msgpack", (p: Record<string, Tensor>) => writeFlaxMsgpack(p), readFlaxMsgpack],
] as const;

describe.each(Object.keys(PARAMS))("%s parameters", (dtype) => {
  it.each(FORMATS)("%s -> validate -> --save-params -> read is byte-identical", (_format, write, read) => {
    const model = modelWith(dtype as DType, dtype === "float64");
    const loaded = read(write(PARAMS[dtype]!), "p");
    const checked = validateParams(model, loaded, "p");
    const saved = readSafetensors(writeSafetensors(checked), "saved.safetensors");
    for (const [name, original] of Object.entries(PARAMS[dtype]!)) {
      expect(saved.get(name)!.dtype).toBe(dtype);
      expect(bytesOf(saved.get(name)!).equals(bytesOf(original)), name).toBe(true);
    }
  });

  it("a file of float32 for this param_dtype is NNX3063 naming both dtypes", () => {
    const f32 = { "fc.kernel": tensor("float32", [3, 2]), "fc.bias": tensor("float32", [2]) };
    let error: unknown;
    try {
      validateParams(modelWith(dtype as DType, true), asMap(f32), "f32.safetensors");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe("NNX3063");
    expect((error as UserError).message).toContain(`fc.kernel: the file holds float32 but the spec's param_dtype is ${dtype} (layer fc at lin.yaml#/layers/0)`);
  });
});

describe("float64 with x64", () => {
  it("off: a float64 file for float32 params is rounded (nearest even) and noted; on: it is a mismatch", () => {
    const notes: string[] = [];
    const checked = validateParams(modelWith("float32"), asMap(PARAMS.float64!), "p64", { onNote: (m) => notes.push(m) });
    expect(checked.get("fc.kernel")!.dtype).toBe("float32");
    expect(Array.from(checked.get("fc.kernel")!.data as Float32Array)).toEqual([Math.fround(Math.PI), Infinity, -0, 0, 1, -1]);
    expect(notes).toEqual([expect.stringContaining("p64: float64 converted to float32 (x64 is off")]);
    expect(() => validateParams(modelWith("float32", true), asMap(PARAMS.float64!), "p64")).toThrow(/fc\.kernel: the file holds float64 but the spec's param_dtype is float32/);
    // Only float64 is converted: a bfloat16 file for float32 params is still an error.
    expect(() => validateParams(modelWith("float32"), asMap(PARAMS.bfloat16!), "pbf")).toThrow(/holds bfloat16 but the spec's param_dtype is float32/);
  });
});
