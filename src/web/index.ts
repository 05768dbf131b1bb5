/**
 * `nnx-gen/web`: nnx-gen for browsers and any JavaScript runtime without native addons. The
 * same core as the package root (spec checking, shapes, summaries, code generation, the ONNX
 * lowering, parameter decoding), with no Node module: specs come as text, parameters as bytes
 * (a fetched `.safetensors`, `.npz` or Flax msgpack) or a map of tensors, or from a seed, and
 * models run on onnxruntime-web (WebAssembly with SIMD; WebGPU when asked for and present).
 */
import "./host.js";
import type { ParamMap } from "../params/store.js";
import type { NameMapping } from "../params/store.js";
import { compileSpecModel as compileSpecModelCore, compileModel as compileModelCore, type CompiledModel } from "../runtime/model.js";
import type { Backend } from "../runtime/backend.js";
import type { IrModel } from "../ir/model.js";
import { webBackend, type WebBackendOptions } from "./backend.js";
import { decodeParams, type ParamBytes } from "./params.js";

export { tensor, DTYPES, type DType, type Tensor, type DataOf } from "../tensor.js";
export { toFloat32, fromFloat32, inputAs, type FloatDType } from "../io/convert.js";
export type { Diagnostic, Severity } from "../diagnostics/diagnostic.js";
export { formatDiagnostics, DIAGNOSTIC_FORMATS, type DiagnosticFormat } from "../diagnostics/format.js";
export { CODES } from "../diagnostics/codes.js";
export { UserError, RuntimeFailure, UsageError } from "../diagnostics/errors.js";
export { checkSpecText, type CheckedSpec } from "../spec/load.js";
export type { IrModel, IrLayer, IrInput, IrOutput, ParamSpec, TensorType } from "../ir/model.js";
export { Expr, type Shape } from "../shapes/expr.js";
export { summarize, formatSummaryTable, formatSummaryMarkdown, type ModelSummary, type LayerSummary } from "../summary/summary.js";
export { bindInputs, type CompiledModel } from "../runtime/model.js";
export type { Backend, Session } from "../runtime/backend.js";
export { lowerModel } from "../runtime/lower.js";
export { initializeParams, validateParams, declaredParams, type NameMapping } from "../params/store.js";
export { generateModule, isGeneratedModule, snakeCase, GENERATED_MARKER, type GeneratedModule } from "../codegen/index.js";
export { readNpy, writeNpy } from "../io/npy.js";
export { readSafetensors, writeSafetensors } from "../io/safetensors.js";
export { VERSION } from "../version.js";
export { webBackend, type WebBackendOptions } from "./backend.js";
export { decodeParams, sniffParamFormat, type ParamBytes, type ParamFormat } from "./params.js";

/**
 * Where parameters come from in a page: `nnx.Rngs`-style initialization from a seed, the bytes
 * of checkpoint files (one buffer, or the shards of one checkpoint), or tensors by name.
 */
export type WebParamSource = { readonly seed?: number } | { readonly params: ParamBytes | readonly ParamBytes[] | ParamMap };

export interface WebCompileOptions extends WebBackendOptions {
  /** How checkpoint parameter names map onto the spec's. */
  readonly names?: NameMapping;
  /** Another backend than onnxruntime-web with these options. */
  readonly backend?: Backend;
}

function coreSource(source: WebParamSource): { seed?: number } | { params: ParamMap } {
  if (!("params" in source)) return source;
  return { params: source.params instanceof Map ? source.params : decodeParams(source.params as ParamBytes | readonly ParamBytes[]) };
}

async function coreOptions(options: WebCompileOptions) {
  return {
    backend: options.backend ?? (await webBackend(options)),
    ...(options.names !== undefined ? { names: options.names } : {}),
  };
}

/** Check a spec's text and build it on onnxruntime-web: what generated `--target web` modules call. */
export async function compileSpecModel(spec: { readonly file: string; readonly text: string }, source: WebParamSource, options: WebCompileOptions = {}): Promise<CompiledModel> {
  return compileSpecModelCore(spec, coreSource(source), await coreOptions(options));
}

/** Build a checked model (from `checkSpecText`) on onnxruntime-web. */
export async function compileModel(model: IrModel, source: WebParamSource, options: WebCompileOptions = {}): Promise<CompiledModel> {
  return compileModelCore(model, coreSource(source), await coreOptions(options));
}
