/**
 * The library API the CLI is built from. Importing it never loads the native runtime:
 * the runtime is loaded on first use by the functions that execute models.
 */
import "./node/host.js";
export { tensor, DTYPES, type DType, type Tensor, type DataOf } from "./tensor.js";
export { toFloat32, fromFloat32, inputAs, type FloatDType } from "./io/convert.js";
export type { Diagnostic, Severity } from "./diagnostics/diagnostic.js";
export { formatDiagnostics, DIAGNOSTIC_FORMATS, type DiagnosticFormat } from "./diagnostics/format.js";
export { CODES } from "./diagnostics/codes.js";
export { UserError, RuntimeFailure, UsageError } from "./diagnostics/errors.js";
export { checkSpecFile, checkSpecText, type CheckedSpec } from "./spec/load.js";
export type { IrModel, IrLayer, IrInput, IrOutput, ParamSpec, TensorType } from "./ir/model.js";
export { Expr, type Shape } from "./shapes/expr.js";
export { summarize, type ModelSummary, type LayerSummary } from "./summary/summary.js";
export { main } from "./cli/program.js";
export { compileSpecModel, compileModel, bindInputs, type CompiledModel, type CompileOptions, type ParamSource } from "./runtime/model.js";
export { lowerModel } from "./runtime/lower.js";
export { runDraws, runDraw, type DrawJob, type DrawResult } from "./params/draws.js";
export { resolveParams, initializeParams, initializeParamsAsync, validateParams, declaredParams, layerDraws, type NameMapping, type Prng } from "./params/store.js";
export { seedKey, foldIn, split, randomBits, threefry2x32, type Key, type PrngLayout } from "./params/threefry.js";
export { RngStream } from "./params/rngs.js";
export { sampleInitializer, planInitializer, endInitialization, canonicalInitializer, type Initializer } from "./params/initializers.js";
export { generateModule, isGeneratedModule, snakeCase, GENERATED_MARKER, type GeneratedModule } from "./codegen/index.js";
export { readNpy, writeNpy } from "./io/npy.js";
export { readSafetensors, writeSafetensors } from "./io/safetensors.js";
export { readParamsFile } from "./node/params_file.js";
