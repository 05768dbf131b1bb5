/**
 * END TO END (needs the runtime: src/runtime/model.ts's compileSpecModel exported from the
 * package root, `nnx-gen run`, and a build, `npm run build`). A user's project, compiled with
 * tsc (strict, NodeNext) against the built package and run with node, imports a generated
 * module, runs it on the native runtime, and gets the numbers `nnx-gen run` writes.
 * This test fails, never skips, when any of that is missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/io/npy.js";
import { generateFromFile, ROOT } from "./golden.js";

const SPEC = join(ROOT, "fixtures/examples/tiny_cnn.yaml");
const BATCH = 2;

const CONSUMER = `import { readFileSync, writeFileSync } from "node:fs";
import { tensor, type Tensor } from "nnx-gen";
import { TinyCnn } from "./generated/tiny_cnn.js";

const pixels = (JSON.parse(readFileSync(process.argv[2]!, "utf8")) as number[][][][]).flat(3);
const model = await TinyCnn.create({ seed: 0 });
try {
  const image = tensor("float32", [${BATCH}, 28, 28, 1], Float32Array.from(pixels));
  const { logits } = await model.run({ image });
  const typed: Tensor<"float32", readonly [${BATCH}, 10]> = logits;
  writeFileSync(process.argv[3]!, JSON.stringify({ dtype: typed.dtype, shape: typed.shape, data: Array.from(typed.data) }));
} finally {
  await model.release();
}
`;

// x64: a generated module over real float64 (Tensor<"float64">, Float64Array in and out).
const SPEC_X64 = join(ROOT, "test/codegen/specs/x64_mlp.yaml");
const X64_INPUT = Array.from({ length: 2 * 8 }, (_, i) => Math.sin(i + 1) * 1.5 + 1e-12 * i);
const CONSUMER_X64 = `import { readFileSync, writeFileSync } from "node:fs";
import { tensor, type Tensor } from "nnx-gen";
import { X64Mlp } from "./generated/x64_mlp.js";

const values = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as number[];
const model = await X64Mlp.create({ seed: 0 });
try {
  const { act } = await model.run({ x: tensor("float64", [2, 8], Float64Array.from(values)) });
  const typed: Tensor<"float64", readonly [2, 4]> = act;
  const data: Float64Array = typed.data;
  writeFileSync(process.argv[3]!, JSON.stringify({ dtype: typed.dtype, shape: typed.shape, data: Array.from(data) }));
} finally {
  await model.release();
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    outDir: "out",
    rootDir: ".",
    typeRoots: [join(ROOT, "node_modules/@types")],
    types: ["node"],
  },
  include: ["*.ts", "generated/*.ts"],
};

function node(args: readonly string[], cwd: string) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8", env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" } });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Deterministic pixels in [0, 1). */
function pixels(): number[][][][] {
  let s = 12345;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: BATCH }, () => Array.from({ length: 28 }, () => Array.from({ length: 28 }, () => [next()])));
}

let project: string;
beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "nnx-gen-consumer-"));
  mkdirSync(join(project, "node_modules"));
  symlinkSync(ROOT, join(project, "node_modules", "nnx-gen"), "dir");
  mkdirSync(join(project, "generated"));
  writeFileSync(join(project, "generated", "tiny_cnn.ts"), generateFromFile(SPEC).code);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(project, "main.ts"), CONSUMER);
  writeFileSync(join(project, "image.json"), JSON.stringify(pixels()));
  writeFileSync(join(project, "generated", "x64_mlp.ts"), generateFromFile(SPEC_X64).code);
  writeFileSync(join(project, "main_x64.ts"), CONSUMER_X64);
  writeFileSync(join(project, "x64.json"), JSON.stringify(X64_INPUT));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("a user's project importing a generated module (end to end, real runtime)", () => {
  it("compiles with tsc against the built package, runs with node, and matches nnx-gen run", () => {
    expect(existsSync(join(ROOT, "dist/index.js")), "the package is not built: run npm run build").toBe(true);

    const compiled = node([join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], project);
    expect(compiled.output).toBe("");
    expect(compiled.status).toBe(0);

    const ran = node(["out/main.js", "image.json", "logits.json"], project);
    expect(ran.output).toBe("");
    expect(ran.status).toBe(0);
    const fromModule = JSON.parse(readFileSync(join(project, "logits.json"), "utf8")) as { dtype: string; shape: number[]; data: number[] };

    const cli = node([join(ROOT, "bin/nnx-gen.js"), "run", SPEC, "--seed", "0", "--input", `image=${join(project, "image.json")}`, "--out", join(project, "cli")], project);
    expect(cli.status, cli.output).toBe(0);
    const fromCli = readNpy(readFileSync(join(project, "cli", "logits.npy")), "logits.npy");

    expect(fromModule.dtype).toBe("float32");
    expect(fromModule.shape).toEqual([BATCH, 10]);
    expect([...fromCli.shape]).toEqual([BATCH, 10]);
    // Same spec, seed, runtime and thread count: the same float32 numbers.
    expect(fromModule.data).toEqual(Array.from(fromCli.data as Float32Array));
  });

  it("runs a generated x64 module in real float64 (Float64Array in and out), matching nnx-gen run", () => {
    const compiled = node([join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], project);
    expect(compiled.output).toBe("");
    const ran = node(["out/main_x64.js", "x64.json", "act.json"], project);
    expect(ran.output).toBe("");
    expect(ran.status).toBe(0);
    const fromModule = JSON.parse(readFileSync(join(project, "act.json"), "utf8")) as { dtype: string; shape: number[]; data: number[] };
    writeFileSync(join(project, "x64_input.json"), JSON.stringify([X64_INPUT.slice(0, 8), X64_INPUT.slice(8)]));
    const cli = node([join(ROOT, "bin/nnx-gen.js"), "run", SPEC_X64, "--seed", "0", "--input", `x=${join(project, "x64_input.json")}`, "--out", join(project, "cli_x64")], project);
    expect(cli.status, cli.output).toBe(0);
    const fromCli = readNpy(readFileSync(join(project, "cli_x64", "act.npy")), "act.npy");
    expect(fromModule.dtype).toBe("float64");
    expect(fromCli.dtype).toBe("float64");
    expect(fromModule.shape).toEqual([2, 4]);
    expect(fromModule.data).toEqual(Array.from(fromCli.data as Float64Array));
  });
});
