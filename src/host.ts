/**
 * What the runtime-neutral core needs from the JavaScript runtime it runs in, supplied by the
 * entry that loads it: the package root (`src/node/host.ts`: files, the native backend) or
 * `nnx-gen/web` (`src/web/host.ts`: no files, onnxruntime-web). The core imports no Node
 * module; everything that touches a file system or a native addon goes through this.
 */
import type { Backend } from "./runtime/backend.js";
import type { Tensor } from "./tensor.js";
import type { ReadLimits } from "./io/limits.js";
import type { DrawJob, DrawResult } from "./params/draws.js";

/** Why the host could not read a file; the message says it in words. */
export class HostFileError extends Error {
  constructor(
    readonly reason: "directory" | "not-regular" | "too-large" | "unreadable",
    message: string,
    /** The file's size, when it is too large. */
    readonly size?: number,
  ) {
    super(message);
  }
}

export interface Host {
  readonly name: string;
  /**
   * A whole file, synchronously (specs and the mask files they name). Throws a HostFileError
   * (or an Error whose message says why) when it cannot.
   */
  readFile(path: string, maxBytes: number): Uint8Array;
  /** `file` relative to the folder `dir` (a spec's folder). */
  resolve(dir: string, file: string): string;
  /** Parameters from a checkpoint file, by their names in the file. */
  /** Parameters from a checkpoint file, by their names in the file, within what the spec allows. */
  readParamsFile(path: string, limits?: ReadLimits): Promise<Map<string, Tensor>>;
  /** The backend models run on when the caller names none. */
  defaultBackend(): Promise<Backend>;
  /** The template engine (loaded on first use where the runtime can). */
  handlebars(): typeof import("handlebars");
  /** Inflate a raw DEFLATE stream of known size (a compressed .npz member). */
  inflateRaw(data: Uint8Array, size: number): Uint8Array;
  /** The largest byte array the runtime can hold. */
  readonly maxBytes: number;
  /** Environment variables (NNX_GEN_MEMORY_BUDGET); empty where there are none. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Bytes of memory the machine has (the default memory budget is half of it). */
  readonly totalMemory: number;
  /**
   * `--seed` draws on `threads` threads, the caller's among them, each job's values exactly as
   * `runDraw` (params/draws.ts) gives them. Absent where the runtime draws on one thread.
   */
  readonly drawInParallel?: (jobs: readonly DrawJob[], threads: number) => Promise<DrawResult[]>;
  /** The threads `--seed` draws on when not told (the machine's cores, capped). */
  readonly drawThreads?: number;
}

let current: Host | undefined;

/** Installed by the entry at import. */
export function setHost(host: Host): void {
  current = host;
}

/** Whether an entry installed a host (the web entry leaves Node's in place: it does more). */
export function hasHost(): boolean {
  return current !== undefined;
}

export function host(): Host {
  if (current) return current;
  throw new Error("nnx-gen: no runtime entry was loaded; import 'nnx-gen' (Node) or 'nnx-gen/web' (browsers) before the core");
}

/** The folder part of a path, as both POSIX and URL paths write it (`a/b/c.yaml` -> `a/b`). */
export function dirnameOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut < 0 ? "." : cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/** The last part of a path (`a/b/c.yaml` -> `c.yaml`). */
export function basenameOf(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  return trimmed.slice(Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\")) + 1);
}
