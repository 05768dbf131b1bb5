/** `nnx-gen run`: execute a spec on the native runtime and write one .npy per output. */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { UserError } from "../diagnostics/errors.js";
import type { IrModel } from "../ir/model.js";
import { readInputFile, writeFileAtomic } from "../io/files.js";
import { writeNpy } from "../io/npy.js";
import { writeSafetensors } from "../io/safetensors.js";
import { Rng } from "../params/prng.js";
import { compileModel } from "../runtime/model.js";
import { allocate, isFloatDType, numElements, type Tensor } from "../tensor.js";
import { bindDims } from "./dims.js";
import { collect, type CliIO } from "./io.js";
import { addParamOptions, nameMapping, paramSource, threadsOption, type ParamFlags } from "./model_options.js";
import { requireModel, type CommandResult } from "./program.js";

interface RunFlags extends ParamFlags {
  input: string[];
  dim: string[];
  out: string;
  saveParams?: string;
  threads: number;
}

/** Read `--input NAME=FILE` files, converted to the spec's dtypes. */
export async function readInputs(model: IrModel, flags: readonly string[]): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const f of flags) {
    const eq = f.indexOf("=");
    const name = f.slice(0, eq);
    const input = model.inputs.find((i) => i.name === name);
    if (eq <= 0 || !input) {
      throw new UserError("NNX3064", `--input ${f}: ${eq <= 0 ? "expected NAME=FILE" : `the model has no input "${name}" (its inputs: ${model.inputs.map((i) => i.name).join(", ")})`}`);
    }
    out[name] = await readInputFile(f.slice(eq + 1), input.type.dtype, input.type.shape.length);
  }
  return out;
}

/** Symbol values implied by the given input files (contradictions are reported by bindInputs). */
export function dimsFromInputs(model: IrModel, inputs: Readonly<Record<string, Tensor>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of model.inputs) {
    const t = inputs[i.name];
    if (!t || t.shape.length !== i.type.shape.length) continue;
    i.type.shape.forEach((d, k) => {
      if (!d.isConst) out[d.toString()] ??= t.shape[k]!;
    });
  }
  return out;
}

/**
 * Random inputs for those not given: standard normal for floats; integers uniform over
 * [0, num_embeddings) of the Embed that reads them, else [0, 100). Seeded like the params.
 */
export function randomInputs(model: IrModel, given: Readonly<Record<string, Tensor>>, dims: Readonly<Record<string, number>>, seed: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = { ...given };
  for (const i of model.inputs) {
    if (out[i.name]) continue;
    const shape = i.type.shape.map((d) => d.evaluate(dims));
    const data = allocate(i.type.dtype, numElements(shape));
    const rng = new Rng(seed, `input:${i.name}`);
    if (isFloatDType(i.type.dtype)) rng.fillNormal(data as Float32Array);
    else {
      const embed = model.layers.find((l) => l.type === "Embed" && l.inputs[0] === i.name);
      const high = embed ? (embed.attrs as { numEmbeddings: number }).numEmbeddings : 100;
      const big = i.type.dtype.endsWith("64");
      for (let k = 0; k < data.length; k++) {
        const v = Math.floor(rng.uniform01() * high);
        (data as unknown as (number | bigint)[])[k] = big ? BigInt(v) : v;
      }
    }
    out[i.name] = { dtype: i.type.dtype, shape, data };
  }
  return out;
}

export function registerRun(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  const cmd = program
    .command("run")
    .description("execute a spec on the native CPU runtime; writes <out>/<output>.npy")
    .argument("<spec>", "spec file");
  addParamOptions(cmd)
    .option("--input <NAME=FILE>", "an input from .npy or .json (repeatable); missing inputs are random", collect, [])
    .option("--dim <NAME=N>", "bind a symbolic dim (repeatable)", collect, [])
    .option("--out <dir>", "output directory (created if needed)", ".")
    .option("--save-params <file.safetensors>", "write the parameters used")
    .addOption(threadsOption())
    .action(async (spec: string, flags: RunFlags) => {
      const model = requireModel(spec, io);
      const given = await readInputs(model, flags.input);
      const dims = bindDims(model, flags.dim, { requireAll: true, fromInputs: dimsFromInputs(model, given) });
      const inputs = randomInputs(model, given, dims, flags.seed ?? 0);
      const compiled = await compileModel(model, paramSource(flags), { threads: flags.threads, names: nameMapping(flags) });
      try {
        const outputs = await compiled.run(inputs);
        await mkdir(flags.out, { recursive: true }).catch((e: Error) => {
          throw new UserError("NNX3040", `cannot create output directory ${flags.out}: ${e.message}`);
        });
        for (const o of model.outputs) {
          const t = outputs[o.name]!;
          const path = join(flags.out, `${o.name}.npy`);
          await writeFileAtomic(path, writeNpy(t));
          io.stdout(`${o.name}: ${t.dtype}[${t.shape.join(", ")}] -> ${path}\n`);
        }
        if (flags.saveParams !== undefined) {
          await writeFileAtomic(flags.saveParams, writeSafetensors(compiled.params));
          io.stdout(`parameters (${compiled.params.size}) -> ${flags.saveParams}\n`);
        }
      } finally {
        await compiled.release();
      }
      done({ exitCode: 0 });
    });
}
