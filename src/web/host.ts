/**
 * The browser host of the runtime-neutral core (see src/host.ts): no file system (specs come as
 * text, parameters as bytes), onnxruntime-web as the default backend, handlebars bundled, and
 * DEFLATE by the TypeScript inflater for compressed .npz members. Importing this module
 * installs it; `nnx-gen/web` imports it first.
 */
import handlebars from "handlebars";
import { hasHost, setHost, HostFileError, type Host } from "../host.js";
import { webBackend } from "./backend.js";
import { inflateRaw } from "./inflate.js";

const noFiles = (what: string): never => {
  throw new HostFileError("unreadable", `${what}: this runtime has no file system (nnx-gen/web takes specs as text and parameters as bytes)`);
};

export const webHost: Host = {
  name: "JavaScript runtime",
  readFile: (path) => noFiles(`cannot read ${path}`),
  // URL-style: the spec's folder, then the file (a mask file still cannot be read here).
  resolve: (dir, file) => (file.startsWith("/") || dir === "." ? file : `${dir}/${file}`),
  readParamsFile: async (path) => noFiles(`cannot read ${path}`),
  defaultBackend: () => webBackend(),
  handlebars: () => handlebars,
  inflateRaw,
  // Typed arrays past 2 GiB are not portable across browsers.
  maxBytes: 2 ** 31 - 1,
  env: {},
  // A page cannot see the machine's memory (navigator.deviceMemory is coarse and capped at 8):
  // 4 GiB, wasm32's whole address space, makes the default budget 2 GiB.
  totalMemory: 4 * 2 ** 30,
};

// In Node with the package root loaded too, its host stays: files and zlib work there, and the
// web entry passes its backend and parameter bytes explicitly anyway.
if (!hasHost()) setHost(webHost);
