/**
 * Bounded synchronous reads for small files named by users (specs, masks): only regular
 * files, and never more than a limit. `/dev/zero`, a FIFO or a terminal would otherwise be
 * read forever (stat reports their size as 0).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export type BoundedReadProblem = "not a regular file" | "directory" | "too large";

/** A read refused by readBoundedSync; fs errors are rethrown as they are. */
export class BoundedReadError extends Error {
  constructor(
    readonly problem: BoundedReadProblem,
    /** The size stat gave, for "too large". */
    readonly size: number,
  ) {
    super(problem);
    this.name = "BoundedReadError";
  }
}

/** The bytes of a regular file of at most `maxBytes`; reads stop at the limit whatever stat said. */
export function readBoundedSync(file: string, maxBytes: number): Uint8Array {
  // Non-blocking: opening a FIFO would otherwise wait for a writer before fstat can refuse it.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new BoundedReadError("directory", 0);
    if (!st.isFile()) throw new BoundedReadError("not a regular file", 0);
    if (st.size > maxBytes) throw new BoundedReadError("too large", st.size);
    // One byte more than allowed tells a file that grew since stat from one that fits.
    const buf = new Uint8Array(Math.min(st.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) break;
      filled += n;
      if (filled === buf.length) {
        if (filled > maxBytes) throw new BoundedReadError("too large", filled);
        break;
      }
    }
    return buf.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
