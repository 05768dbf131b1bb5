/** `nnx-gen export`: a standard ONNX model (channels-last, spec names) or the parameters. */
import type { Command } from "commander";
import { writeFileAtomic } from "../node/files.js";
import { writeSafetensors } from "../io/safetensors.js";
import { resolveParams } from "../params/store.js";
import { checkParamBudget } from "../runtime/budget.js";
import { writeOnnxModel } from "../node/export_onnx.js";
import type { CliIO } from "./io.js";
import { addParamOptions, budgetOf, nameMapping, paramSource, type ParamFlags } from "./model_options.js";
import { choice, requireModel, type CommandResult } from "./program.js";

const FORMATS = ["onnx", "safetensors"] as const;
const TARGETS = ["node", "web"] as const;

interface ExportFlags extends ParamFlags {
  format: (typeof FORMATS)[number];
  output: string;
  target: (typeof TARGETS)[number];
}

export function registerExport(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  const cmd = program
    .command("export")
    .description("write the model as ONNX, or its parameters as safetensors")
    .argument("<spec>", "spec file")
    .requiredOption("--format <format>", `onnx or safetensors`, choice(FORMATS))
    .requiredOption("-o, --output <file>", "output file")
    .option("--target <runtime>", "onnx: the runtime the graph is tuned for, node (onnxruntime) or web (onnxruntime-web); same results", choice(TARGETS), "node");
  addParamOptions(cmd).action(async (spec: string, flags: ExportFlags) => {
    const model = requireModel(spec, io);
    const names = nameMapping(flags, io);
    checkParamBudget(model, budgetOf(flags));
    const params = await resolveParams(model, paramSource(flags), names);
    if (flags.format === "safetensors") {
      await writeFileAtomic(flags.output, writeSafetensors(params));
      io.stdout(`${params.size} parameters -> ${flags.output}\n`);
      return done({ exitCode: 0 });
    }
    const dataFile = await writeOnnxModel(model, params, flags.output, undefined, flags.target);
    io.stdout(`${model.model} -> ${flags.output}${dataFile ? ` (+ weights in ${dataFile})` : ""}\n`);
    done({ exitCode: 0 });
  });
}
