/** `nnx-gen export`: a standard ONNX model (channels-last, spec names) or the parameters. */
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { UserError } from "../diagnostics/errors.js";
import { replaceFile, writeFileAtomic } from "../io/files.js";
import { writeSafetensors } from "../io/safetensors.js";
import { resolveParams } from "../params/store.js";
import { lowerModel } from "../runtime/lower.js";
import { checkInterfaceNames } from "../runtime/model.js";
import { alignExternal, type BuiltModel } from "../runtime/onnx/graph.js";
import { PROTOBUF_MAX_BYTES } from "../runtime/onnx/proto.js";
import type { CliIO } from "./io.js";
import { addParamOptions, nameMapping, paramSource, type ParamFlags } from "./model_options.js";
import { choice, requireModel, type CommandResult } from "./program.js";

const FORMATS = ["onnx", "safetensors"] as const;

interface ExportFlags extends ParamFlags {
  format: (typeof FORMATS)[number];
  output: string;
}

/** Weights are embedded unless the model would pass protobuf's 2 GiB limit. */
const EMBED_LIMIT = PROTOBUF_MAX_BYTES - 64 * 2 ** 20;

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

export function registerExport(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  const cmd = program
    .command("export")
    .description("write the model as ONNX, or its parameters as safetensors")
    .argument("<spec>", "spec file")
    .requiredOption("--format <format>", `onnx or safetensors`, choice(FORMATS))
    .requiredOption("-o, --output <file>", "output file");
  addParamOptions(cmd).action(async (spec: string, flags: ExportFlags) => {
    const model = requireModel(spec, io);
    const names = nameMapping(flags);
    checkInterfaceNames(model);
    const params = await resolveParams(model, paramSource(flags), names);
    if (flags.format === "safetensors") {
      await writeFileAtomic(flags.output, writeSafetensors(params));
      io.stdout(`${params.size} parameters -> ${flags.output}\n`);
      return done({ exitCode: 0 });
    }
    const total = [...params.values()].reduce((n, t) => n + t.data.byteLength, 0);
    const dataFile = `${basename(flags.output)}.data`;
    const built = lowerModel(model, params, total > EMBED_LIMIT ? { externalAbove: 1024, externalFile: dataFile } : { externalAbove: Infinity });
    if (built.externalData.length > 0) {
      await writeExternal(join(dirname(flags.output), dataFile), built).catch((e: Error) => {
        throw new UserError("NNX3040", `cannot write ${dataFile}: ${e.message}`);
      });
    }
    await writeFileAtomic(flags.output, built.bytes);
    io.stdout(`${model.model} -> ${flags.output}${built.externalData.length ? ` (+ weights in ${dataFile})` : ""}\n`);
    done({ exitCode: 0 });
  });
}
