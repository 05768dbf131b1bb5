/**
 * The onnxruntime-node backend. The package is an optional dependency and costs ~30 ms to
 * load, so it is imported lazily, only by commands that execute models.
 */

import { errorMessage, RuntimeFailure } from "../diagnostics/errors.js";
import { isDType, type DType, type Tensor } from "../tensor.js";
import type { Backend, LoadOptions, Session } from "./backend.js";
import { nameRecord } from "../util/names.js";

type Ort = typeof import("onnxruntime-node");
type OrtTensor = import("onnxruntime-node").Tensor;
type InferenceSession = import("onnxruntime-node").InferenceSession;
type RunResult = Awaited<ReturnType<InferenceSession["run"]>>;

/**
 * One intra-op thread unless asked otherwise: runs are reproducible and comparable with the
 * one-thread numbers in the benchmarks, ORT's idle threads spin on a core the user may need,
 * and on small shared machines (2 cores here) two threads gave medians 2-3x worse than one.
 * Callers that want every core pass `threads` explicitly.
 */
export const DEFAULT_THREADS = 1;

let ortPromise: Promise<Ort> | undefined;

async function loadOrt(): Promise<Ort> {
  ortPromise ??= import("onnxruntime-node").catch((e: unknown) => {
    ortPromise = undefined;
    throw ortImportFailure(e);
  });
  return ortPromise;
}

/** The RuntimeFailure for a failed `import("onnxruntime-node")`: not installed, or broken. */
export function ortImportFailure(e: unknown): RuntimeFailure {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
    return new RuntimeFailure(
      "the native runtime onnxruntime-node is not installed; install it with " +
        "`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node` (the variable skips the optional CUDA download)",
      { cause: e },
    );
  }
  return new RuntimeFailure(`onnxruntime-node failed to load: ${errorMessage(e)}`, { cause: e });
}


/** The onnxruntime-node backend (loads the package on first call). */
export async function ortBackend(): Promise<Backend> {
  const ort = await loadOrt();
  return {
    name: "onnxruntime-node",
    version: ort.env.versions.node ?? ort.env.versions.common,
    load: (model, opts) => loadSession(ort, model, opts ?? {}),
  };
}

async function loadSession(ort: Ort, model: Uint8Array, opts: LoadOptions): Promise<Session> {
  try {
    const session = await ort.InferenceSession.create(model, {
      // "all" enables the NCHWc layout transformer: +30% on convs (runtime-notes).
      graphOptimizationLevel: "all",
      // 4 = fatal only. At 3 ORT also prints every failing kernel's error to stderr in ANSI
      // colour; the same text reaches the user through the RuntimeFailure below.
      logSeverityLevel: 4,
      intraOpNumThreads: opts.threads ?? DEFAULT_THREADS,
      interOpNumThreads: 1,
      executionMode: "sequential",
      ...(opts.externalData?.length ? { externalData: opts.externalData.map((f) => ({ path: f.path, data: f.data })) } : {}),
    });
    return new OrtSession(ort, session, opts.externalData);
  } catch (e) {
    throw new RuntimeFailure(`onnxruntime could not load the model: ${errorMessage(e)}`, { cause: e });
  }
}

class OrtSession implements Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];

  constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    /** ORT may keep pointers into in-memory external data: held as long as the session. */
    readonly externalData: LoadOptions["externalData"],
  ) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const ortFeeds = nameRecord<OrtTensor>();
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(this.ort, name, t);
    let out: RunResult;
    try {
      out = await this.session.run(ortFeeds);
    } catch (e) {
      throw new RuntimeFailure(`onnxruntime run failed: ${errorMessage(e)}`, { cause: e });
    }
    const result = nameRecord<Tensor>();
    for (const [name, t] of Object.entries(out)) result[name] = fromOrt(name, t);
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Wrap a host tensor without copying its data. */
function toOrt(ort: Ort, name: string, t: Tensor): OrtTensor {
  if (t.dtype === "bfloat16") {
    throw new RuntimeFailure(`input ${name}: onnxruntime-node cannot take bfloat16 tensors; feed float32 and cast in the graph`);
  }
  try {
    return new ort.Tensor(t.dtype, t.data as never, t.shape);
  } catch (e) {
    throw new RuntimeFailure(`input ${name}: ${errorMessage(e)}`, { cause: e });
  }
}

function fromOrt(name: string, t: OrtTensor): Tensor {
  const dtype: string = t.type;
  if (!isDType(dtype)) throw new RuntimeFailure(`output ${name} has type ${dtype}, which nnx-gen does not handle`);
  return { dtype: dtype as DType, shape: [...t.dims], data: t.data as Tensor["data"] };
}
