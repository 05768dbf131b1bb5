/**
 * The onnxruntime-node backend. The package is an optional dependency and costs ~30 ms to
 * load, so it is imported lazily, only by commands that execute models.
 */

import { errorMessage, RuntimeFailure } from "../diagnostics/errors.js";
import type { Backend } from "../runtime/backend.js";
import { loadOrtSession } from "../runtime/ort_session.js";

type Ort = typeof import("onnxruntime-node");

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
    load: (model, opts) => loadOrtSession(ort, model, opts ?? {}),
    // onnxruntime-common has no bfloat16 tensor type.
    float32Interface: ["bfloat16"],
  };
}
