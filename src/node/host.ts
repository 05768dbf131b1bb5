/**
 * The Node host of the runtime-neutral core (see src/host.ts): files through node:fs, the
 * native backend, handlebars loaded on first use, zlib's inflate. Importing this module
 * installs it; the package root and the CLI import it first.
 */
import { constants as bufferConstants } from "node:buffer";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { totalmem } from "node:os";
import { inflateRawSync } from "node:zlib";
import { setHost, HostFileError, type Host } from "../host.js";
import { BoundedReadError, readBoundedSync } from "./bounded.js";
import { readParamsFile } from "./files.js";
import { DRAW_THREADS, drawInParallel } from "./draw_workers.js";

const require = createRequire(import.meta.url);

function readFile(path: string, maxBytes: number): Uint8Array {
  try {
    return readBoundedSync(path, maxBytes);
  } catch (e) {
    if (e instanceof BoundedReadError) {
      const reason = e.problem === "directory" ? "directory" : e.problem === "too large" ? "too-large" : "not-regular";
      throw new HostFileError(reason, e.message, e.size);
    }
    const err = e as NodeJS.ErrnoException;
    throw new HostFileError("unreadable", err.code === "ENOENT" ? "no such file" : err.code === "EACCES" ? "permission denied" : err.message);
  }
}

export const nodeHost: Host = {
  name: "Node",
  readFile,
  resolve: (dir, file) => resolve(dir, file),
  readParamsFile,
  async defaultBackend() {
    const { nativeBackend } = await import("./native.js");
    return nativeBackend();
  },
  // Loaded on first use: generated modules and `check` do not pay for a template engine.
  handlebars: () => require("handlebars") as typeof import("handlebars"),
  // The limit stops a lying size (or a zip bomb) from inflating past what was promised.
  inflateRaw: (data, size) => inflateRawSync(data, { maxOutputLength: Math.max(size, 1) }),
  maxBytes: bufferConstants.MAX_LENGTH,
  env: process.env,
  totalMemory: totalmem(),
  drawInParallel,
  drawThreads: DRAW_THREADS,
};

setHost(nodeHost);
