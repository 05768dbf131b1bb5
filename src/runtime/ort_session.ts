/**
 * A Session over any onnxruntime JavaScript package: onnxruntime-node and onnxruntime-web
 * share onnxruntime-common's InferenceSession and Tensor, so both backends wrap them here.
 * Runtime-neutral: no Node import.
 */

import { errorMessage, RuntimeFailure } from "../diagnostics/errors.js";
import { isDType, type DType, type Tensor } from "../tensor.js";
import type { LoadOptions, Session } from "./backend.js";
import { nameRecord } from "../util/names.js";

type Common = typeof import("onnxruntime-common");
type OrtTensor = import("onnxruntime-common").Tensor;
type InferenceSession = import("onnxruntime-common").InferenceSession;
type SessionOptions = import("onnxruntime-common").InferenceSession.SessionOptions;
type RunResult = Awaited<ReturnType<InferenceSession["run"]>>;

/** What a backend passes: the package's InferenceSession and Tensor classes. */
export interface OrtModule {
  readonly InferenceSession: Common["InferenceSession"];
  readonly Tensor: Common["Tensor"];
}

/**
 * One intra-op thread unless asked otherwise: runs are reproducible and comparable with the
 * one-thread numbers in the benchmarks, ORT's idle threads spin on a core the user may need,
 * and on small shared machines (2 cores here) two threads gave medians 2-3x worse than one.
 * Callers that want every core pass `threads` explicitly.
 */
export const DEFAULT_THREADS = 1;

/** Create a session from model bytes with nnx-gen's options plus `extra` (execution providers). */
export async function loadOrtSession(ort: OrtModule, model: Uint8Array, opts: LoadOptions, extra: SessionOptions = {}): Promise<Session> {
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
      // Session config entries: `extra.session.disable_prepacking` is "session.disable_prepacking".
      ...(opts.prepackWeights === false ? { extra: { session: { disable_prepacking: "1" } } } : {}),
      ...extra,
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
    private readonly ort: OrtModule,
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

/**
 * Wrap a host tensor without copying its data. float16 goes as its Uint16Array (ORT views it
 * as a Float16Array where there is one); bfloat16 never gets here: these backends declare it
 * in `float32Interface` and compileModel converts.
 */
function toOrt(ort: OrtModule, name: string, t: Tensor): OrtTensor {
  if (t.dtype === "bfloat16") {
    throw new RuntimeFailure(`input ${name}: onnxruntime's JavaScript API cannot take bfloat16 tensors; the graph must declare it float32 (Backend.float32Interface)`);
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
  let data = t.data as ArrayBufferView;
  // Where the JS runtime has Float16Array, ORT returns float16 as one: the same bits, as words.
  if (dtype === "float16" && !(data instanceof Uint16Array)) data = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  return { dtype: dtype as DType, shape: [...t.dims], data: data as Tensor["data"] };
}
