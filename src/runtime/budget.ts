/**
 * The memory budget: every parameter and every intermediate a run allocates is sized before
 * anything is allocated, so an absurd but schema-valid spec (a kernel_size of 1e9, a
 * 70000x70000 Linear, CIRCULAR padding with kernel_dilation 65536) is a clear exit 1 naming
 * the layer and the bytes, instead of an allocation failure deep in Node or onnxruntime.
 *
 * The budget is half the machine's memory, or `NNX_GEN_MEMORY_BUDGET` / `--memory-budget`
 * (bytes, or a number with K, M, G or T: binary units). `check` does not apply it: a spec is
 * valid whatever machine reads it.
 */
import { UsageError, UserError } from "../diagnostics/errors.js";
import type { IrLayer, IrModel, TensorType } from "../ir/model.js";
import type { ConvAttrs } from "../layers/conv.js";
import { host } from "../host.js";
import { BYTES_PER_ELEMENT } from "../tensor.js";

export const BUDGET_ENV = "NNX_GEN_MEMORY_BUDGET";

const UNITS: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** "8G", "512MiB", "1.5g", "1000000": bytes; undefined when not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** The budget: the flag, else the environment variable, else half the machine's memory. */
export function memoryBudget(flag?: string, env: Readonly<Record<string, string | undefined>> = host().env): number {
  if (flag !== undefined) {
    const b = parseSize(flag);
    if (b === undefined) throw new UsageError(`--memory-budget expects a size such as 16G or 512M, got "${flag}"`);
    return b;
  }
  const fromEnv = env[BUDGET_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    const b = parseSize(fromEnv);
    if (b === undefined) throw new UsageError(`${BUDGET_ENV} expects a size such as 16G or 512M, got "${fromEnv}"`);
    return b;
  }
  return Math.floor(host().totalMemory / 2);
}

/** "1.5 GiB (1610612736 bytes)" */
export function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toPrecision(3)} ${units[u]} (${n} bytes)`;
}

const HINT = `raise the budget with --memory-budget SIZE or ${BUDGET_ENV}=SIZE (default: half the machine's memory), or make the layer smaller`;

function bytesOf(t: { dtype: TensorType["dtype"] }, elements: number): number {
  return elements * BYTES_PER_ELEMENT[t.dtype];
}

function paramBytes(l: IrLayer): number {
  return l.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[p.dtype], 0);
}

/** The bytes of every parameter the model declares. */
export function modelParamBytes(model: IrModel): number {
  return model.layers.reduce((n, l) => n + paramBytes(l), 0);
}

/** Node holds no single array larger than this. */

function refuse(message: string, hint = HINT): never {
  throw new UserError("NNX3068", message, undefined, hint);
}

const ARRAY_HINT = "no budget raises this limit of Node's: make the layer smaller";

/**
 * Parameters alone: each must fit one array, all together the budget. Before they are read or
 * initialized (export, and the first thing run and bench do).
 */
export function checkParamBudget(model: IrModel, budget: number): void {
  let total = 0;
  for (const l of model.layers) {
    for (const p of l.params) {
      const bytes = p.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[p.dtype];
      if (bytes > host().maxBytes) refuse(`layer ${l.name} (${l.type}): parameter ${l.name}.${p.name} [${p.shape.join(", ")}] takes ${formatBytes(bytes)}; the runtime cannot hold one array over ${formatBytes(host().maxBytes)}`, ARRAY_HINT);
      if (bytes > budget) refuse(`layer ${l.name} (${l.type}): parameter ${l.name}.${p.name} [${p.shape.join(", ")}] takes ${formatBytes(bytes)}, over the memory budget of ${formatBytes(budget)} by ${formatBytes(bytes - budget)}`);
    }
    total += paramBytes(l);
  }
  if (total > budget) {
    const largest = [...model.layers].sort((a, b) => paramBytes(b) - paramBytes(a))[0]!;
    refuse(`the parameters take ${formatBytes(total)} together, over the memory budget of ${formatBytes(budget)} by ${formatBytes(total - budget)} (the largest: layer ${largest.name} (${largest.type}), ${formatBytes(paramBytes(largest))})`);
  }
}

/** Buffers a layer needs beside its inputs and output: a Conv's padded input and im2col columns. */
function workspace(l: IrLayer, inputs: readonly number[][], output: readonly number[]): { what: string; bytes: number }[] {
  if (l.type !== "Conv") return [];
  const a = l.attrs as ConvAttrs;
  const x = inputs[0]!;
  const rank = a.kernelSize.length;
  const spatialIn = x.slice(x.length - 1 - rank, x.length - 1);
  const batch = x.slice(0, x.length - 1 - rank).reduce((p, d) => p * d, 1);
  const keff = a.kernelSize.map((k, i) => (k - 1) * a.kernelDilation[i]! + 1);
  const out: { what: string; bytes: number }[] = [];
  if (a.padding.kind === "CIRCULAR" || a.padding.kind === "REFLECT" || a.padding.kind === "CAUSAL") {
    // These are lowered to an explicit padded copy of the input (keff - 1 more per axis).
    const padded = batch * spatialIn.reduce((p, n, i) => p * (n + keff[i]! - 1), 1) * a.inFeatures;
    out.push({ what: `its ${a.padding.kind}-padded input`, bytes: padded * 4 });
  }
  // onnxruntime's CPU Conv unfolds one image at a time: (in/groups * kernel taps) x output positions.
  const positions = output.slice(output.length - 1 - rank, output.length - 1).reduce((p, d) => p * d, 1);
  const taps = a.kernelSize.reduce((p, k) => p * k, 1) * (a.inFeatures / a.featureGroupCount);
  out.push({ what: "its im2col buffer", bytes: taps * positions * 4 });
  return out;
}

/**
 * Every value of a run with these symbol values: the inputs, each layer's output and
 * workspace, with all parameters resident. Before inputs are made or the session runs.
 */
export function checkRunBudget(model: IrModel, dims: Readonly<Record<string, number>>, budget: number): void {
  checkParamBudget(model, budget);
  const params = modelParamBytes(model);
  const shapes = new Map<string, number[]>();
  const returned = new Set(model.outputs.map((o) => o.value));
  // Inputs and outputs are JavaScript arrays; onnxruntime's own buffers have no such limit.
  const sizeOf = (name: string, t: TensorType, what: string): number => {
    const shape = t.shape.map((d) => d.evaluate(dims));
    shapes.set(name, shape);
    const bytes = bytesOf(t, shape.reduce((p, d) => p * d, 1));
    if (bytes > host().maxBytes && (returned.has(name) || model.inputs.some((i) => i.name === name))) refuse(`${what} ${t.dtype}[${shape.join(", ")}] takes ${formatBytes(bytes)}; the runtime cannot hold one array over ${formatBytes(host().maxBytes)}`, ARRAY_HINT);
    return bytes;
  };
  let inputs = 0;
  for (const i of model.inputs) inputs += sizeOf(i.name, i.type, `input ${i.name}`);
  if (params + inputs > budget) refuse(`the inputs take ${formatBytes(inputs)} and the parameters ${formatBytes(params)}, over the memory budget of ${formatBytes(budget)} by ${formatBytes(params + inputs - budget)}`);
  for (const l of model.layers) {
    const ins = l.inputs.map((n) => shapes.get(n)).filter((s): s is number[] => s !== undefined);
    const outBytes = sizeOf(l.name, l.output, `layer ${l.name} (${l.type}): its output`);
    const parts = [{ what: `its output ${l.output.dtype}[${shapes.get(l.name)!.join(", ")}]`, bytes: outBytes }, ...workspace(l, ins, shapes.get(l.name)!)];
    const need = params + inputs + parts.reduce((n, p) => n + p.bytes, 0);
    if (need > budget) {
      const what = parts.map((p) => `${p.what} ${formatBytes(p.bytes)}`).join(", ");
      refuse(`layer ${l.name} (${l.type}) needs ${formatBytes(need)} at once (${what}; with the parameters and inputs), over the memory budget of ${formatBytes(budget)} by ${formatBytes(need - budget)}`);
    }
  }
}
