/** `nnx-gen run`: execute a spec on the native runtime and write one .npy per output (or one .safetensors). */
import { mkdir, stat } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError, UserError } from "../diagnostics/errors.js";
import type { IrModel } from "../ir/model.js";
import { integerRange } from "../io/dtypes.js";
import { fsProblem, readInputFile, writeFilesAtomic } from "../node/files.js";
import { writeNpy } from "../io/npy.js";
import { writeSafetensors } from "../io/safetensors.js";
import { Rng } from "../params/prng.js";
import { checkRunBudget } from "../runtime/budget.js";
import { compileModel } from "../runtime/model.js";
import { didYouMean } from "../util/suggest.js";
import { allocate, isFloatDType, numElements, tensor, type Tensor } from "../tensor.js";
import { fromFloat32, toFloat32, type FloatDType } from "../io/convert.js";
import { bindDims, requireBoundDims } from "./dims.js";
import { collect, parseDims, type CliIO } from "./io.js";
import { addParamOptions, budgetOf, givenThreads, nameMapping, paramSource, prepackOption, threadsOption, type ParamFlags } from "./model_options.js";
import type { PrepackChoice } from "../runtime/prepack.js";
import { requireModel, type CommandResult } from "./program.js";
import { nameRecord, ownValue } from "../util/names.js";

/** What `--out-format safetensors` writes in `--out`: every output under its name. */
export const OUTPUTS_FILE = "outputs.safetensors";

interface RunFlags extends ParamFlags {
  input: string[];
  dim: string[];
  out: string;
  outFormat: string;
  saveParams?: string;
  threads: number;
  prepack: PrepackChoice;
}

/** Read `--input NAME=FILE` files, converted to the spec's dtypes. */
export async function readInputs(model: IrModel, flags: readonly string[], onNote?: (message: string) => void): Promise<Record<string, Tensor>> {
  // Every flag is checked before any file is read.
  const files = new Map<string, { file: string; input: IrModel["inputs"][number] }>();
  for (const f of flags) {
    const eq = f.indexOf("=");
    // A malformed flag is a usage error, like a malformed --dim or --rename.
    if (eq <= 0 || eq === f.length - 1) throw new UsageError(`--input expects NAME=FILE, got "${f}"`);
    const name = f.slice(0, eq);
    if (files.has(name)) throw new UsageError(`--input ${name} is given more than once`);
    const input = model.inputs.find((i) => i.name === name);
    if (!input) {
      const names = model.inputs.map((i) => i.name);
      throw new UserError("NNX3064", `--input ${f}: the model has no input "${name}" (its inputs: ${names.join(", ")})`, undefined, didYouMean(name, names));
    }
    files.set(name, { file: f.slice(eq + 1), input });
  }
  const out = nameRecord<Tensor>();
  for (const [name, { file, input }] of files) out[name] = await readInputFile(file, input.type.dtype, input.type.shape.length, { name, x64: x64Of(model), ...(onNote ? { onNote } : {}) });
  return out;
}

/** The spec's `x64` (jax_enable_x64), off unless set. */
function x64Of(model: IrModel): boolean {
  return (model as IrModel & { readonly x64?: boolean }).x64 === true;
}

/** Symbol values implied by the given input files (contradictions are reported by bindInputs). */
export function dimsFromInputs(model: IrModel, inputs: Readonly<Record<string, Tensor>>): Record<string, number> {
  const out = nameRecord<number>();
  for (const i of model.inputs) {
    const t = ownValue(inputs, i.name);
    if (!t || t.shape.length !== i.type.shape.length) continue;
    i.type.shape.forEach((d, k) => {
      if (!d.isConst) out[d.toString()] ??= t.shape[k]!;
    });
  }
  return out;
}

/**
 * Random inputs for those not given: standard normal for floats; integers uniform over
 * [0, num_embeddings) of the Embed that reads them, else [0, 100), and within the dtype's
 * range. Each input has its own stream of `seed`.
 */
export function randomInputs(model: IrModel, given: Readonly<Record<string, Tensor>>, dims: Readonly<Record<string, number>>, seed: number): Record<string, Tensor> {
  const out = nameRecord(given);
  for (const i of model.inputs) {
    if (ownValue(out, i.name)) continue;
    const shape = i.type.shape.map((d) => d.evaluate(dims));
    const dtype = i.type.dtype;
    const rng = new Rng(seed, `input:${i.name}`);
    if (isFloatDType(dtype)) {
      // Drawn in float32 and rounded to 16-bit floats (widened exactly to float64), so an
      // input's values are the same draws in every dtype.
      out[i.name] = fromFloat32(dtype as FloatDType, tensor("float32", shape, rng.fillNormal(new Float32Array(numElements(shape)))));
      continue;
    }
    const data = allocate(dtype, numElements(shape));
    // Inside every Embed table that reads the input, and inside the dtype (int8 ids of a
    // 300-row table would otherwise wrap around to negative ids).
    const tables = model.layers.filter((l) => l.type === "Embed" && l.inputs[0] === i.name).map((l) => (l.attrs as { numEmbeddings: number }).numEmbeddings);
    const dtypeMax = Number(integerRange(i.type.dtype)?.[1] ?? 1n);
    const high = Math.min(tables.length > 0 ? Math.min(...tables) : 100, dtypeMax + 1);
    const big = i.type.dtype.endsWith("64");
    for (let k = 0; k < data.length; k++) {
      const v = Math.floor(rng.uniform01() * high);
      (data as unknown as (number | bigint)[])[k] = big ? BigInt(v) : v;
    }
    out[i.name] = { dtype, shape, data };
  }
  return out;
}

/**
 * One warning per (input, Embed) pair whose ids fall outside what the table can look up:
 * Flax gives such ids a row of NaN (jnp.take's fill mode), which then spreads through the
 * output without a word. Ids in [-N, -1] wrap once; a table of one row broadcasts.
 */
export function outOfRangeIdWarnings(model: IrModel, inputs: Readonly<Record<string, Tensor>>): string[] {
  const out: string[] = [];
  for (const l of model.layers) {
    if (l.type !== "Embed") continue;
    const t = ownValue(inputs, l.inputs[0]!);
    const n = (l.attrs as { numEmbeddings: number }).numEmbeddings;
    if (!t || n === 1) continue;
    let bad = 0;
    const data = t.data as ArrayLike<number | bigint>;
    for (let k = 0; k < data.length; k++) {
      const id = Number(data[k]);
      if (id < -n || id >= n) bad++;
    }
    if (bad > 0) {
      out.push(`input ${l.inputs[0]}: ${bad} of ${t.data.length} ids are outside [0, ${n}) (or [-${n}, -1], which wrap) of Embed ${l.name}; their rows are NaN, as in Flax, and so is whatever they reach`);
    }
  }
  return out;
}

export function registerRun(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  const cmd = program
    .command("run")
    .description("execute a spec on the native CPU runtime; writes <out>/<output>.npy")
    .argument("<spec>", "spec file");
  addParamOptions(cmd)
    .option("--input <NAME=FILE>", "an input from .npy, .safetensors or .json (repeatable); missing inputs are random", collect, [])
    .option("--dim <NAME=N>", "bind a symbolic dim (repeatable)", collect, [])
    .option("--out <dir>", "output directory (created if needed)", ".")
    .option("--out-format <format>", `npy: <out>/<output>.npy each (bfloat16 as exact float32); safetensors: every output in its own dtype in <out>/${OUTPUTS_FILE}`, "npy")
    .option("--save-params <file.safetensors>", "write the parameters used (its directory is created if needed)")
    .addOption(threadsOption())
    .addOption(prepackOption())
    .action(async (spec: string, flags: RunFlags) => {
      const model = requireModel(spec, io);
      const names = nameMapping(flags, io);
      if (flags.outFormat !== "npy" && flags.outFormat !== "safetensors") throw new UsageError(`--out-format is npy or safetensors, got "${flags.outFormat}"`);
      if (flags.saveParams !== undefined && extname(flags.saveParams).toLowerCase() !== ".safetensors") {
        throw new UsageError(`--save-params writes safetensors; name the file *.safetensors, got "${flags.saveParams}"`);
      }
      const given = await readInputs(model, flags.input, (m) => io.stderr(`note: ${m}\n`));
      const dims = bindDims(model, parseDims(flags.dim), { requireAll: true, fromInputs: dimsFromInputs(model, given) });
      requireBoundDims(model, dims);
      // Sized before the random inputs, the parameters or the session are allocated.
      const budget = budgetOf(flags);
      checkRunBudget(model, dims, budget);
      const inputs = randomInputs(model, given, dims, flags.seed ?? 0);
      // Say where the numbers came from: a run without files is not a run of a trained model.
      if (flags.params === undefined) io.stderr(`note: parameters initialized from --seed ${flags.seed ?? 0} with the spec's initializers (no --params)\n`);
      for (const w of outOfRangeIdWarnings(model, inputs)) io.stderr(`warning: ${w}\n`);
      for (const i of model.inputs) {
        if (!Object.hasOwn(given, i.name)) io.stderr(`note: input ${i.name} is random (${isFloatDType(i.type.dtype) ? "standard normal" : "uniform integers"}, seed ${flags.seed ?? 0}); give it with --input ${i.name}=FILE\n`);
      }
      // Where the results go is checked before the model runs, not after.
      await checkDirectory(flags.out, "--out");
      if (flags.saveParams !== undefined) await checkDirectory(dirname(flags.saveParams), "--save-params");
      const compiled = await compileModel(model, paramSource(flags, givenThreads(cmd, flags)), { threads: flags.threads, names, memoryBudget: budget, prepack: flags.prepack });
      const files: { path: string; bytes: Uint8Array; note: string }[] = [];
      try {
        const outputs = await compiled.run(inputs);
        const results = model.outputs.map((o) => [o.name, ownValue(outputs, o.name)!] as const);
        if (flags.outFormat === "safetensors") {
          const path = join(flags.out, OUTPUTS_FILE);
          files.push({ path, bytes: writeSafetensors(new Map(results)), note: results.map(([name, t]) => `${name}: ${t.dtype}[${t.shape.join(", ")}]`).join(", ") + ` -> ${path}` });
        }
        for (const [name, t] of flags.outFormat === "npy" ? results : []) {
          const path = join(flags.out, `${name}.npy`);
          // np.load gives raw 2-byte voids for bfloat16 ('<V2'): float32 holds every bfloat16 exactly.
          const written = t.dtype === "bfloat16" ? toFloat32(t as Tensor<"bfloat16">) : t;
          if (written !== t) io.stderr(`note: output ${name} is bfloat16; ${path} holds its values as float32 (exact); --out-format safetensors keeps bfloat16\n`);
          files.push({ path, bytes: writeNpy(written), note: `${name}: ${t.dtype}[${t.shape.join(", ")}] -> ${path}${written !== t ? " (as float32)" : ""}` });
        }
        if (flags.saveParams !== undefined) {
          files.push({ path: flags.saveParams, bytes: writeSafetensors(compiled.params), note: `parameters (${compiled.params.size}) -> ${flags.saveParams}` });
        }
      } finally {
        await compiled.release();
      }
      await makeDirectory(flags.out, "--out");
      if (flags.saveParams !== undefined) await makeDirectory(dirname(flags.saveParams), "--save-params");
      await writeFilesAtomic(files);
      for (const f of files) io.stdout(`${f.note}\n`);
      done({ exitCode: 0 });
    });
}

/** The bound values as flags would give them: "batch=2 seq=16". */

/**
 * Check that `dir` is, or can be created as, a directory: the nearest existing path on the way
 * up must be a directory. A UserError naming the flag otherwise.
 */
async function checkDirectory(dir: string, flag: string): Promise<void> {
  let p = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const parent = dirname(p);
      if ((code === "ENOENT" || code === "ENOTDIR") && parent !== p) {
        p = parent;
        continue;
      }
      throw new UserError("NNX3040", `${flag}: cannot use ${dir}: ${fsProblem(e)}`);
    }
    if (!isDir) throw new UserError("NNX3040", `${flag}: ${p === resolve(dir) ? dir : `${p} (in ${dir})`} is not a directory`);
    return;
  }
}

async function makeDirectory(dir: string, flag: string): Promise<void> {
  await mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw new UserError("NNX3040", `${flag}: cannot create the directory ${dir}: ${fsProblem(e)}`);
  });
}
