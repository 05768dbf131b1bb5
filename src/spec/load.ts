/** Load a spec: read -> YAML with positions -> schema -> IR with inferred shapes. */
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { hasErrors, sortDiagnostics } from "../diagnostics/diagnostic.js";
import { errorMessage } from "../diagnostics/errors.js";
import { host, HostFileError } from "../host.js";
import { buildModel } from "../ir/build.js";
import type { IrModel } from "../ir/model.js";
import { SpecSource } from "./source.js";
import { validateSpec } from "./validate.js";

/**
 * Specs are small (the largest example is under 4 KB); anything bigger is a mistake (or an
 * attack) and is not parsed. yaml reads about 20,000 keys a second here, so this bounds
 * `check` to a few seconds per file.
 */
export const MAX_SPEC_BYTES = 1024 * 1024;

export interface CheckedSpec {
  file: string;
  /** Present when the spec has no errors. */
  model?: IrModel;
  diagnostics: Diagnostic[];
}

export interface CheckOptions {
  /** Decide the shape rules for these symbol values (as `run --dim` binds them). */
  bind?: Readonly<Record<string, number>>;
}

/** Check spec text; `file` is used for messages and to resolve files the spec names. */
export function checkSpecText(file: string, text: string, options: CheckOptions = {}): CheckedSpec {
  const src = new SpecSource(file, text);
  let model: IrModel | undefined;
  const valid = src.data !== undefined && !hasErrors(src.diagnostics) ? validateSpec(src) : false;
  // Past schema errors inside layers, shapes are still inferred: all problems in one pass.
  if (valid !== false) model = buildModel(src, options.bind, valid === true ? undefined : valid);
  const diagnostics = sortDiagnostics(src.diagnostics);
  return hasErrors(diagnostics) || !model ? { file, diagnostics } : { file, model, diagnostics };
}

/** Read and check a spec file; unreadable files become diagnostics too. */
export function checkSpecFile(file: string, options: CheckOptions = {}): CheckedSpec {
  const fail = (code: string, message: string): CheckedSpec => ({
    file,
    diagnostics: [{ file, line: 1, column: 1, endLine: 1, endColumn: 1, code, severity: "error", message, pointer: "" }],
  });
  let text: string;
  try {
    const bytes = host().readFile(file, MAX_SPEC_BYTES);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    if (e instanceof HostFileError && e.reason === "directory") return fail("NNX1004", `${file} is a directory, not a spec file`);
    if (e instanceof HostFileError && e.reason === "not-regular") return fail("NNX1004", `${file} is not a regular file (a device, FIFO or socket); specs are read from files`);
    if (e instanceof HostFileError && e.reason === "too-large") return fail("NNX1005", `spec is ${e.size} bytes or more; specs are limited to ${MAX_SPEC_BYTES} bytes`);
    return fail("NNX1004", `cannot read spec ${file}: ${e instanceof TypeError ? "not valid UTF-8 text" : errorMessage(e)}`);
  }
  return checkSpecText(file, text.replace(/^\uFEFF/, ""), options);
}
