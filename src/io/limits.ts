/**
 * How much a parameter file may hold, from what the spec declares. A reader checks these
 * before it inflates, decodes or walks anything, so a hostile file costs what the spec's
 * own parameters would (a 1.4 MB .npz declaring 1.5 GB, a header of a million entries).
 */
import { UserError } from "../diagnostics/errors.js";

const tooMuch = (file: string, what: string): never => {
  throw new UserError("NNX3067", `${file}: ${what}`, file, "is this the checkpoint of this spec? (extra entries are allowed only up to these limits)");
};

export interface ReadLimits {
  /** Bytes the file, and what its members inflate to, may hold. */
  readonly maxBytes: number;
  /** Tensors (entries, members, leaves) it may hold. */
  readonly maxTensors: number;
  /** What the limit is made of, for messages: "the spec's 8 parameters (421,642 bytes) plus 64 MiB". */
  readonly why: string;
}

/** Room beyond the declared parameters: headers, RNG state, entries dropped with a note. */
export const EXTRA_BYTES = 64 * 2 ** 20;
export const EXTRA_TENSORS = 1024;

/** `float64Extra`: the bytes float32 parameters gain when a file holds them as float64 (x64 off). */
export function limitsFor(declaredCount: number, declaredBytes: number, float64Extra = 0): ReadLimits {
  const widened = float64Extra > 0 ? ` (${declaredBytes + float64Extra} with float32 ones saved as float64)` : "";
  return {
    maxBytes: declaredBytes + float64Extra + EXTRA_BYTES,
    maxTensors: declaredCount + EXTRA_TENSORS,
    why: `the spec's ${declaredCount} parameter${declaredCount === 1 ? "" : "s"} take ${declaredBytes} bytes${widened}; a parameter file may hold that plus ${EXTRA_BYTES} bytes and ${EXTRA_TENSORS} more entries`,
  };
}

/** NNX3067 when `bytes` is over the limit. */
export function checkBytes(limits: ReadLimits | undefined, bytes: number, file: string, what: string): void {
  if (limits && bytes > limits.maxBytes) tooMuch(file, `${what} ${bytes} bytes, more than this spec's parameters can explain: ${limits.why}`);
}

/** NNX3067 when `count` tensors are over the limit. */
export function checkCount(limits: ReadLimits | undefined, count: number, file: string, what: string): void {
  if (limits && count > limits.maxTensors) tooMuch(file, `${what} ${count} entries, more than this spec's parameters can explain: ${limits.why}`);
}
