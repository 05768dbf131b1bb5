/**
 * Errors that carry a stable diagnostic code and the CLI exit code they map to.
 * A UserError is the user's to fix (exit 1: bad data file, mismatched --dim, ...);
 * a RuntimeFailure is ours or the runtime's (exit 3, asks for a report).
 */

export class UserError extends Error {
  readonly exitCode = 1 as const;
  constructor(
    /** Stable code: NNX1xxx spec, NNX2xxx shapes, NNX3xxx params and data files. */
    readonly code: string,
    message: string,
    /** The file the problem is in, when there is one. */
    readonly file?: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UserError";
  }
}

export class UsageError extends Error {
  readonly exitCode = 2 as const;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export class RuntimeFailure extends Error {
  readonly exitCode = 3 as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RuntimeFailure";
  }
}

/** The message of anything thrown (an Error's message, else its text). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
