/**
 * `nnx-gen generate`: one typed TypeScript module per spec. All or nothing: if any spec has
 * errors, or any target is a file nnx-gen did not write, nothing is written. Each file is
 * written to a temporary file beside it and renamed into place, so readers never see half a
 * module.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { GENERATED_MARKER, generateModule, isGeneratedModule, type CodegenTarget, type GeneratedModule } from "../codegen/index.js";
import { UserError } from "../diagnostics/errors.js";
import { formatDiagnostics } from "../diagnostics/format.js";
import { tempPathFor } from "../node/files.js";
import { checkSpecFile } from "../spec/load.js";
import { VERSION } from "../version.js";
import type { CliIO } from "./io.js";
import type { CommandResult } from "./program.js";

interface GenerateOptions {
  out: string;
  check?: boolean;
  target: CodegenTarget;
}

/** A module and where it goes; `current` is what the target holds now, if anything. */
interface Target {
  readonly spec: string;
  readonly path: string;
  readonly module: GeneratedModule;
  readonly current: string | undefined;
}

export function registerGenerate(program: Command, io: CliIO, done: (r: CommandResult) => void): void {
  program
    .command("generate")
    .description("compile specs into typed TypeScript modules (<dir>/<model_snake>.ts)")
    .argument("<spec...>", "spec files")
    .requiredOption("-o, --out <dir>", "directory for the generated modules (created if missing)")
    .option("--check", "write nothing; exit 1 if a generated file is missing or would change")
    .addOption(new Option("--target <runtime>", "node: import nnx-gen (native runtime); web: import nnx-gen/web (onnxruntime-web, browsers)").choices(["node", "web"]).default("node"))
    .action((specs: string[], opts: GenerateOptions) => {
      const targets = planTargets(generateAll(specs, io, opts.target), opts.out);
      const stale = targets.filter((t) => t.current !== t.module.code);
      if (opts.check) {
        if (stale.length > 0) {
          throw new UserError(
            "NNX1000",
            `generated code is out of date:\n${stale.map((t) => `  ${t.path} (${t.current === undefined ? "missing" : "would change"}, from ${t.spec})`).join("\n")}`,
            undefined,
            `run nnx-gen generate ${specs.join(" ")} -o ${opts.out}`,
          );
        }
        io.stdout(`${plural(targets.length, "generated file")} up to date\n`);
      } else {
        writeAll(stale, opts.out);
        for (const t of targets) io.stdout(stale.includes(t) ? `wrote ${t.path}\n` : `${t.path} is up to date\n`);
      }
      done({ exitCode: 0 });
    });
}

/** Check every spec first; any error means nothing is generated. Diagnostics go to stderr. */
function generateAll(specs: readonly string[], io: CliIO, target: CodegenTarget): { spec: string; module: GeneratedModule }[] {
  const checked = specs.map((spec) => checkSpecFile(spec));
  const diagnostics = checked.flatMap((c) => c.diagnostics);
  if (diagnostics.length > 0) io.stderr(formatDiagnostics(diagnostics, "text", VERSION));
  const failed = checked.filter((c) => !c.model).map((c) => c.file);
  if (failed.length > 0) {
    throw new UserError("NNX1000", `${failed.join(", ")} ${failed.length === 1 ? "has" : "have"} errors; nothing was generated`, undefined, `nnx-gen check ${failed.join(" ")}`);
  }
  return checked.map((c) => ({ spec: c.file, module: generateModule(c.model!, readSpecText(c.file), c.file, target) }));
}

/** The text checkSpecFile just read and accepted, as it read it (without a BOM). */
function readSpecText(file: string): string {
  return readFileSync(file, "utf8").replace(/^\uFEFF/, "");
}

/** Where each module goes, refusing duplicates and files nnx-gen did not write. */
function planTargets(modules: readonly { spec: string; module: GeneratedModule }[], outDir: string): Target[] {
  const targets: Target[] = [];
  const problems: string[] = [];
  for (const { spec, module } of modules) {
    const path = join(outDir, module.fileName);
    const clash = targets.find((t) => t.path === path);
    if (clash) {
      problems.push(`${clash.spec} and ${spec} both generate ${path}; rename one of the models`);
      continue;
    }
    const current = readIfExists(path);
    if (current !== undefined && !isGeneratedModule(current)) {
      problems.push(`refusing to overwrite ${path}: nnx-gen did not generate it (it does not start with "${GENERATED_MARKER}")`);
    }
    targets.push({ spec, path, module, current });
  }
  if (problems.length > 0) throw new UserError("NNX1000", `${problems.join("\n")}\nnothing was written`, undefined, "move the file away or choose another -o directory");
  return targets;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new UserError("NNX1000", `cannot read ${path}: ${code === "EISDIR" ? "it is a directory" : (e as Error).message}`);
  }
}

/**
 * Stage every file as a temporary beside its target, then rename them all into place. A
 * failure while staging removes the temporaries and leaves every target as it was.
 */
function writeAll(targets: readonly Target[], outDir: string): void {
  if (targets.length === 0) return;
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UserError("NNX1000", `cannot create the output directory ${outDir}: ${(e as Error).message}`);
  }
  const staged: { temp: string; path: string }[] = [];
  try {
    for (const t of targets) staged.push({ temp: stageFile(t.path, t.module.code), path: t.path });
  } catch (e) {
    for (const s of staged) rmSync(s.temp, { force: true });
    throw new UserError("NNX1000", `cannot write to ${outDir}: ${(e as Error).message}; nothing was written`);
  }
  let renamed = 0;
  try {
    for (const s of staged) {
      renameSync(s.temp, s.path);
      renamed++;
    }
  } catch (e) {
    for (const s of staged.slice(renamed)) rmSync(s.temp, { force: true });
    const written = staged.slice(0, renamed).map((s) => s.path);
    throw new UserError("NNX1000", `cannot write ${staged[renamed]!.path}: ${(e as Error).message}${written.length > 0 ? `; already written: ${written.join(", ")}` : ""}`);
  }
}

/** Write text to a fresh temporary file in the target's directory (so rename is atomic). */
function stageFile(path: string, text: string): string {
  const temp = tempPathFor(path);
  try {
    writeFileSync(temp, text, { flag: "wx" });
  } catch (e) {
    // "wx" never touches an existing file; anything else may have left a partial one.
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") rmSync(temp, { force: true });
    throw e;
  }
  return temp;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
