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

/** Parse repeated `--dim NAME=N` flags into a map. */
export function parseDims(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^([a-z_][a-z0-9_]*)=(\d+)$/.exec(v);
    if (!m) throw new Error(`--dim expects NAME=N with a lower_snake name and a non-negative integer, got "${v}"`);
    if (!Number.isSafeInteger(Number(m[2]))) throw new Error(`--dim ${m[1]}: ${m[2]} is too large`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
