/** Writing a model as a standard .onnx file, with weights beside it when protobuf cannot hold them. */
import { basename, dirname, join } from "node:path";
import { UserError } from "../diagnostics/errors.js";
import type { IrModel } from "../ir/model.js";
import { replaceFile, writeFileAtomic } from "./files.js";
import type { Tensor } from "../tensor.js";
import { lowerModel } from "../runtime/lower.js";
import { alignExternal, type BuiltModel, type RuntimeTarget } from "../runtime/onnx/graph.js";
import { PROTOBUF_MAX_BYTES } from "../runtime/onnx/proto.js";

/** Weights are embedded unless the model would pass protobuf's 2 GiB limit. */
export const EMBED_LIMIT = PROTOBUF_MAX_BYTES - 64 * 2 ** 20;

/** Write the external data file: tensors at the offsets the builder recorded. */
async function writeExternal(path: string, built: BuiltModel): Promise<void> {
  await replaceFile(path, async (fh) => {
    let offset = 0;
    for (const f of built.externalData) {
      offset = alignExternal(offset);
      await fh.write(f.data, 0, f.data.byteLength, offset);
      offset += f.data.byteLength;
    }
  });
}

/**
 * Write `file`; when the parameters exceed `embedLimit` bytes, weights of 1 KiB and more go
 * to `<file>.data` beside it (ONNX external data, offsets 64-byte aligned). Returns that
 * file's name when one was written.
 */
export async function writeOnnxModel(model: IrModel, params: ReadonlyMap<string, Tensor>, file: string, embedLimit = EMBED_LIMIT, target: RuntimeTarget = "node"): Promise<string | undefined> {
  const total = [...params.values()].reduce((n, t) => n + t.data.byteLength, 0);
  const dataFile = `${basename(file)}.data`;
  const external = total > embedLimit;
  const built = lowerModel(model, params, { ...(external ? { externalAbove: 1024, externalFile: dataFile } : { externalAbove: Infinity }), target });
  if (built.externalData.length > 0) {
    await writeExternal(join(dirname(file), dataFile), built).catch((e: Error) => {
      throw new UserError("NNX3040", `cannot write ${dataFile}: ${e.message}`);
    });
  }
  await writeFileAtomic(file, built.bytes);
  return built.externalData.length > 0 ? dataFile : undefined;
}
