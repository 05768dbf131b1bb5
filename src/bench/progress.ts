/**
 * A one-line progress bar on stderr. It draws only on a terminal, so redirected output, CI
 * logs and `--json -` pipes stay clean, and it erases itself when done.
 */

export interface ProgressBar {
  /** Show `fraction` (0..1) done. Redraws only when the shown percentage changes. */
  update(fraction: number): void;
  /** Erase the bar. Safe to call more than once. */
  done(): void;
}

/** The part of a stream the bar needs; process.stderr satisfies it. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): unknown;
}

const CLEAR_LINE = "\r\x1b[2K";
const NOOP: ProgressBar = { update() {}, done() {} };

export function createProgressBar(label: string, stream: ProgressStream = process.stderr): ProgressBar {
  if (stream.isTTY !== true) return NOOP;
  let shown = -1;
  let open = false;
  return {
    update(fraction) {
      const percent = Math.floor(Math.max(0, Math.min(1, fraction)) * 100);
      if (percent === shown) return;
      shown = percent;
      open = true;
      // Leave room for the label, brackets and " 100%" within the terminal width.
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 10));
      const filled = Math.round((percent / 100) * width);
      stream.write(`${CLEAR_LINE}${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(percent).padStart(3)}%`);
    },
    done() {
      if (open) stream.write(CLEAR_LINE);
      open = false;
      shown = -1;
    },
  };
}
