/**
 * nnx-gen's own binding to onnxruntime (native/nnx_ort.c, built at install by
 * scripts/build-native.mjs). It runs the same library and kernels as onnxruntime-node, but
 * outputs whose shape is known before the run are allocated here and bound to the run, so ORT
 * writes the results straight into the tensors returned. onnxruntime-node instead copies every
 * output into a fresh zero-filled buffer after the run: ~7 ms a run for the reference tiny LM's
 * 65 MB of logits, 8% of the model (BENCHMARKS.md).
 *
 * Writing in place pays only where freed big blocks stay mapped (glibc with the tunables of
 * malloc_tuning.ts, which `bench` gives itself). Elsewhere every fresh output is
 * new pages, and ORT faulting them in during its kernels costs more than the copy out of its
 * arena (tiny LM 126 vs 114 ms), so outputs are then copied, as onnxruntime-node does.
 *
 * Falls back to onnxruntime-node's binding (ort.ts) when the addon was not built (no C
 * compiler at install, not Linux), cannot load, or NNX_GEN_BINDING=onnxruntime-node is set.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { errorMessage, RuntimeFailure } from "../diagnostics/errors.js";
import { packagePath } from "./package_paths.js";
import { allocateUninitialized, DTYPES, numElements, viewOf, type DType, type Tensor, type TypedArray } from "../tensor.js";
import type { Backend, LoadOptions, OutputType, Session } from "../runtime/backend.js";
import { hasTunables } from "./malloc_tuning.js";
import { ONNX_DTYPE } from "../runtime/onnx/proto.js";
import { nameRecord, ownValue } from "../util/names.js";

/** Set to `onnxruntime-node` to run models on that package's own binding. */
export const BINDING_ENV = "NNX_GEN_BINDING";
export const ADDON_PATH = packagePath("dist/native/nnx_ort.node");

interface WireTensor {
  type: number;
  dims: readonly number[];
  data: TypedArray;
}

/** native/nnx_ort.c's exports. */
interface Addon {
  open(libraryPath: string): string;
  createSession(
    model: Uint8Array,
    threads: number,
    externalNames: string[],
    externalData: Uint8Array[],
    initializerNames: string[],
    initializers: WireTensor[],
    externalDir: string,
    prepackWeights: boolean,
  ): object;
  names(session: object): { inputs: string[]; outputs: string[] };
  run(session: object, inputNames: string[], inputs: WireTensor[], outputNames: string[], outputs: (WireTensor | null)[]): ({ type: number; dims: number[]; data: ArrayBuffer } | null)[];
  release(session: object): void;
  mapFile(path: string, expectedBytes: number): ArrayBuffer;
}

const DTYPE_OF_ONNX = new Map<number, DType>(DTYPES.map((d) => [ONNX_DTYPE[d], d]));

/** How outputs come back (see the top of this file); `NNX_GEN_OUTPUTS=in-place|copy` overrides the choice. */
function defaultWriteInPlace(): boolean {
  const forced = process.env["NNX_GEN_OUTPUTS"];
  return forced ? forced === "in-place" : hasTunables(process.env);
}


/** The shared library inside the installed onnxruntime-node package, or undefined. */
function onnxruntimeLibrary(require: NodeJS.Require): string | undefined {
  let entry: string;
  try {
    entry = require.resolve("onnxruntime-node");
  } catch {
    return undefined;
  }
  const lib = join(dirname(entry), "..", "bin", "napi-v6", process.platform, process.arch, "libonnxruntime.so.1");
  return existsSync(lib) ? lib : undefined;
}

/** The addon, opened on onnxruntime-node's library, with its ORT version; undefined when unusable. */
function openAddon(): { addon: Addon; version: string } | undefined {
  if (process.env[BINDING_ENV] === "onnxruntime-node" || !existsSync(ADDON_PATH)) return undefined;
  const require = createRequire(import.meta.url);
  const lib = onnxruntimeLibrary(require);
  if (!lib) return undefined;
  try {
    const addon = require(ADDON_PATH) as Addon;
    return { addon, version: addon.open(lib) };
  } catch {
    // A stale or foreign build: onnxruntime-node's binding still works.
    return undefined;
  }
}

let opened: ReturnType<typeof openAddon> | null = null;

/**
 * The file's bytes over a private copy-on-write mapping (see map_file in nnx_ort.c), or
 * undefined when the addon is not usable or the mapping fails: the caller then reads the file.
 */
export function mapFile(path: string, expectedBytes: number): Uint8Array | undefined {
  if (opened === null) opened = openAddon();
  if (!opened || expectedBytes <= 0) return undefined;
  try {
    return new Uint8Array(opened.addon.mapFile(path, expectedBytes));
  } catch {
    return undefined;
  }
}

/** nnx-gen's binding when it is usable, else onnxruntime-node's. */
export async function nativeBackend(opts: { writeInPlace?: boolean } = {}): Promise<Backend> {
  const writeInPlace = opts.writeInPlace ?? defaultWriteInPlace();
  if (opened === null) opened = openAddon();
  if (!opened) {
    const { ortBackend } = await import("./ort.js");
    return ortBackend();
  }
  const { addon, version } = opened;
  return {
    name: "onnxruntime (nnx-gen binding)",
    version,
    mapsExternalFiles: true,
    ortContribOps: true,
    roundingOp: true,
    load: async (model, options) => loadSession(addon, model, options ?? {}, writeInPlace),
  };
}

function loadSession(addon: Addon, model: Uint8Array, opts: LoadOptions, writeInPlace: boolean): Session {
  const external = opts.externalData ?? [];
  // Whole-tensor files go to ORT as tensors over their memory, used in place; others as files.
  const tensors = external.filter((f) => f.initializer);
  const files = external.filter((f) => !f.initializer);
  try {
    const handle = addon.createSession(
      model,
      opts.threads ?? 1,
      files.map((f) => f.path),
      files.map((f) => f.data),
      tensors.map((f) => f.initializer!.name),
      tensors.map(({ data, initializer: { dtype, dims } = { dtype: "uint8", dims: [] } }) => ({ type: ONNX_DTYPE[dtype], dims, data: viewOf(dtype, data.buffer, data.byteOffset, numElements(dims)) })),
      opts.externalDir ?? "",
      opts.prepackWeights ?? true,
    );
    return new NativeSession(addon, handle, addon.names(handle), external, writeInPlace);
  } catch (e) {
    throw new RuntimeFailure(errorMessage(e), { cause: e });
  }
}

class NativeSession implements Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];

  constructor(
    private readonly addon: Addon,
    private readonly handle: object,
    names: { inputs: string[]; outputs: string[] },
    /** ORT may point into in-memory external data: held as long as the session. */
    readonly externalData: LoadOptions["externalData"],
    private readonly writeInPlace: boolean,
  ) {
    this.inputNames = names.inputs;
    this.outputNames = names.outputs;
  }

  async run(feeds: Readonly<Record<string, Tensor>>, expected?: Readonly<Record<string, OutputType>>): Promise<Record<string, Tensor>> {
    const names = Object.keys(feeds);
    // An output that is also an input is not written by ORT into a bound buffer: it returns its own.
    const outputs = this.outputNames.map((name) => (this.writeInPlace && !Object.hasOwn(feeds, name) ? preallocate(ownValue(expected, name)) : null));
    let made;
    try {
      made = this.addon.run(this.handle, names, names.map((n) => wire(feeds[n]!)), [...this.outputNames], outputs);
    } catch (e) {
      throw new RuntimeFailure(errorMessage(e), { cause: e });
    }
    const out = nameRecord<Tensor>();
    this.outputNames.forEach((name, i) => {
      const given = outputs[i];
      out[name] = given ? { dtype: DTYPE_OF_ONNX.get(given.type)!, shape: given.dims, data: given.data } : fromWire(name, made[i]!);
    });
    return out;
  }

  async release(): Promise<void> {
    this.addon.release(this.handle);
  }
}

/** Every dtype passes as its raw storage: float16 and bfloat16 as their 16-bit words. */
function wire(t: Tensor): WireTensor {
  return { type: ONNX_DTYPE[t.dtype], dims: t.shape, data: t.data };
}

/** An output buffer for ORT to fill, when its type is known before the run. */
function preallocate(t: OutputType | undefined): WireTensor | null {
  if (!t) return null;
  return { type: ONNX_DTYPE[t.dtype], dims: [...t.shape], data: allocateUninitialized(t.dtype, numElements(t.shape)) };
}

function fromWire(name: string, r: { type: number; dims: number[]; data: ArrayBuffer }): Tensor {
  const dtype = DTYPE_OF_ONNX.get(r.type);
  if (!dtype) throw new RuntimeFailure(`output ${name} has ONNX element type ${r.type}, which nnx-gen does not handle`);
  return { dtype, shape: r.dims, data: viewOf(dtype, r.data, 0, numElements(r.dims)) };
}
