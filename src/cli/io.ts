import { UsageError } from "../diagnostics/errors.js";
import { nameRecord } from "../util/names.js";

/** The CLI's window on the world: tests pass their own streams and call main() in-process. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is an interactive terminal (progress bars). */
  stderrIsTTY: boolean;
}

export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: Boolean(process.stderr.isTTY),
};

/** Parse repeated `--dim NAME=N[,N...]` flags; lists only where `lists` allows them. */
export function parseDimValues(values: readonly string[], lists: boolean): Record<string, number[]> {
  const out = nameRecord<number[]>();
  for (const v of values) {
    const m = /^([a-z_][a-z0-9_]*)=(\d+(?:,\d+)*)$/.exec(v);
    const ns = m?.[2]!.split(",").map(Number) ?? [];
    if (!m || (!lists && ns.length > 1)) {
      throw new UsageError(`--dim expects NAME=${lists ? "N[,N...]" : "N"} with a lower_snake name and non-negative integers, got "${v}"`);
    }
    if (!ns.every(Number.isSafeInteger)) throw new UsageError(`--dim ${m[1]}: ${m[2]} is too large`);
    out[m[1]!] = [...new Set(ns)];
  }
  return out;
}

/** `--dim NAME=N` flags, one value each. */
export function parseDims(values: readonly string[]): Record<string, number> {
  return nameRecord(Object.fromEntries(Object.entries(parseDimValues(values, false)).map(([k, [v]]) => [k, v!])));
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
