/**
 * The Node host of the runtime-neutral core (see src/host.ts): files through node:fs, the
 * native backend, handlebars loaded on first use, zlib's inflate. Importing this module
 * installs it; the package root and the CLI import it first.
 */
import { constants as bufferConstants } from "node:buffer";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { inflateRawSync } from "node:zlib";
import { setHost, HostFileError, type Host } from "../host.js";
import { readParamsFile } from "../io/files.js";

const require = createRequire(import.meta.url);

function readFile(path: string, maxBytes: number): Uint8Array {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new HostFileError("directory", `${path} is a directory`);
    if (st.size > maxBytes) throw new HostFileError("too-large", `${path} is ${st.size} bytes, more than ${maxBytes}`, st.size);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof HostFileError) throw e;
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
    const { nativeBackend } = await import("../runtime/native.js");
    return nativeBackend();
  },
  // Loaded on first use: generated modules and `check` do not pay for a template engine.
  handlebars: () => require("handlebars") as typeof import("handlebars"),
  // The limit stops a lying size (or a zip bomb) from inflating past what was promised.
  inflateRaw: (data, size) => inflateRawSync(data, { maxOutputLength: Math.max(size, 1) }),
  maxBytes: bufferConstants.MAX_LENGTH,
};

setHost(nodeHost);
