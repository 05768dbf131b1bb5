/** Flags shared by the commands that execute or export a model. */
import { Option, type Command } from "commander";
import { UsageError } from "../diagnostics/errors.js";
import type { NameMapping, Prng } from "../params/store.js";
import type { ParamSource } from "../runtime/model.js";
import { BUDGET_ENV, memoryBudget } from "../runtime/budget.js";
import { collect } from "./io.js";
import { integer } from "./program.js";
import { PREPACK_AUTO_MAX_BYTES, PREPACK_CHOICES } from "../runtime/prepack.js";

export interface ParamFlags {
  params?: string;
  seed?: number;
  prng?: Prng;
  stripPrefix: string[];
  rename: string[];
  memoryBudget?: string;
  ignoreExtra?: boolean;
}

export function addParamOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--params <file>", "parameters: .safetensors, .npz or Flax .msgpack").conflicts("seed"))
    .addOption(new Option("--seed <n>", "initialize parameters as nnx.Rngs(n) does in Flax, with JAX's PRNG (default 0)").argParser(integer(0)))
    .addOption(
      new Option("--prng <kind>", "the PRNG behind --seed: JAX's threefry, partitionable (JAX >= 0.5.0) or legacy (before); xoshiro: nnx-gen's own per-parameter streams (the former default)")
        .choices(["partitionable", "legacy", "xoshiro"])
        .conflicts("params"),
    )
    .option("--strip-prefix <prefix>", "strip this prefix from checkpoint parameter names (repeatable)", collect, [])
    .option("--rename <from=to>", "rename a leading checkpoint path, e.g. layers.0=conv1 (repeatable)", collect, [])
    .option("--memory-budget <size>", `bytes parameters and intermediates may take, e.g. 48G (default: ${BUDGET_ENV}, else half the machine's memory)`)
    .option("--ignore-extra", "drop checkpoint entries the spec does not declare (RNG state is always dropped)");
}

/** The memory budget the flags (or the environment) give. */
export function budgetOf(f: ParamFlags): number {
  return memoryBudget(f.memoryBudget);
}

/** `threads`: the threads --seed draws on (omitted: every core, see params/draws.ts). */
export function paramSource(f: ParamFlags, threads?: number): ParamSource {
  return f.params !== undefined ? { params: f.params } : { seed: f.seed ?? 0, ...(f.prng !== undefined ? { prng: f.prng } : {}), ...(threads !== undefined ? { threads } : {}) };
}

/** `--threads` when the user gave it (it then also bounds the threads --seed draws on), else undefined. */
export function givenThreads(cmd: Command, f: { threads: number }): number | undefined {
  return cmd.getOptionValueSource("threads") === "cli" ? f.threads : undefined;
}

export function nameMapping(f: ParamFlags, io?: { stderr: (text: string) => void }): NameMapping {
  if (f.params === undefined && (f.stripPrefix.length > 0 || f.rename.length > 0)) {
    throw new UsageError(`${f.stripPrefix.length > 0 ? "--strip-prefix" : "--rename"} maps the names in a --params file; there is none (parameters come from --seed)`);
  }
  const renames = f.rename.map((r) => {
    const eq = r.indexOf("=");
    if (eq <= 0 || eq === r.length - 1) throw new UsageError(`--rename expects FROM=TO, got "${r}"`);
    return [r.slice(0, eq), r.slice(eq + 1)] as const;
  });
  if (f.params === undefined && f.ignoreExtra) throw new UsageError("--ignore-extra applies to a --params file; there is none (parameters come from --seed)");
  const notes = io ? { onNote: (m: string) => io.stderr(`nnx-gen: note: ${m}\n`) } : {};
  return { stripPrefixes: f.stripPrefix, renames, ...(f.ignoreExtra ? { ignoreExtra: true } : {}), ...notes };
}

export const threadsOption = () => new Option("--threads <n>", "intra-op threads for the native runtime; given, also the threads --seed draws parameters on (else every core)").argParser(integer(1, 256)).default(1);

export const prepackOption = () =>
  new Option("--prepack <when>", `pre-pack weights for onnxruntime's kernels at load: auto (when the parameters take at most ${PREPACK_AUTO_MAX_BYTES / 2 ** 20} MiB), on, off`)
    .choices(PREPACK_CHOICES)
    .default("auto");
