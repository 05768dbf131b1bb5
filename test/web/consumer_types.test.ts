/**
 * A user's project with `strict`, `module: NodeNext`, no `@types/node` and no `skipLibCheck`
 * compiles a generated module of each target (`nnx-gen` and `nnx-gen/web`) against the built
 * package. The package is copied (not linked) into the project's node_modules, so a Node type
 * in a published .d.ts fails to resolve there, as it does for a user (TS2307 'node:fs/promises');
 * the program's file list must not contain @types/node either (its dependencies are linked).
 * Needs the build (`npm run build`, as `npm test` does).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateFromFile, ROOT } from "../codegen/golden.js";

const SPEC = join(ROOT, "fixtures/examples/tiny_cnn.yaml");

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023", "DOM"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    types: [],
  },
  include: ["*.ts", "node/*.ts", "web/*.ts"],
};

const MAIN = `import { fromFloat32, tensor, toFloat32 } from "nnx-gen";
import { decodeParams, fromFloat32 as webFromFloat32, tensor as webTensor, toFloat32 as webToFloat32 } from "nnx-gen/web";
import { TinyCnn as NodeCnn } from "./node/tiny_cnn.js";
import { TinyCnn as WebCnn } from "./web/tiny_cnn.js";

export async function both(weights: ArrayBuffer): Promise<number> {
  const image = tensor("float32", [1, 28, 28, 1]);
  const a = await NodeCnn.create({ seed: 0 });
  const b = await WebCnn.create({ params: weights }, { executionProviders: ["wasm"], wasmPaths: "/ort/" });
  const c = await WebCnn.create({ params: decodeParams([weights]) });
  const { logits } = await b.run({ image: webTensor("float32", [1, 28, 28, 1]) });
  await Promise.all([a.run({ image }), c.release()]);
  return logits.data[0]!;
}

export function conversions(): number {
  const words: Uint16Array = fromFloat32("bfloat16", tensor("float32", [2], [1, 2])).data;
  const half = webFromFloat32("float16", webTensor("float32", [1], [0.5]));
  return words[0]! + toFloat32(tensor("bfloat16", [1], words.subarray(0, 1))).data[0]! + webToFloat32(half).data[0]!;
}
`;

let project: string;

function tsc(args: readonly string[] = []) {
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", project, "--pretty", "false", ...args], { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  expect(existsSync(join(ROOT, "dist/web/index.d.ts")), "the package is not built: run npm run build").toBe(true);
  project = mkdtempSync(join(tmpdir(), "nnx-gen-consumer-types-"));
  const pkg = join(project, "node_modules", "nnx-gen");
  mkdirSync(pkg, { recursive: true });
  cpSync(join(ROOT, "dist"), join(pkg, "dist"), { recursive: true, filter: (src) => !src.includes(".browser-bundle-test") && !src.endsWith(".node") });
  cpSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  // The package's own dependencies, as npm installs them beside it (and nothing else: no @types).
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
  for (const dep of Object.keys({ ...manifest["dependencies"], ...manifest["optionalDependencies"] })) {
    const from = join(ROOT, "node_modules", dep);
    if (!existsSync(from)) continue;
    mkdirSync(join(project, "node_modules", dep, ".."), { recursive: true });
    symlinkSync(realpathSync(from), join(project, "node_modules", dep), "dir");
  }
  // onnxruntime-web's types come from onnxruntime-common, a dependency of it.
  symlinkSync(realpathSync(join(ROOT, "node_modules/onnxruntime-common")), join(project, "node_modules", "onnxruntime-common"), "dir");
  for (const target of ["node", "web"] as const) {
    mkdirSync(join(project, target));
    writeFileSync(join(project, target, "tiny_cnn.ts"), generateFromFile(SPEC, target).code);
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(project, "main.ts"), MAIN);
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("a consumer without @types/node and without skipLibCheck", () => {
  it("compiles generated modules of both targets (strict, NodeNext)", () => {
    const { status, output } = tsc();
    expect(output).toBe("");
    expect(status).toBe(0);
  });

  it("no file of @types/node is in the program (no Node type leaks through a dependency's types)", () => {
    const files = tsc(["--listFilesOnly"]).output.split("\n");
    expect(files.filter((f) => f.includes("@types/node"))).toEqual([]);
    expect(files.some((f) => f.includes("nnx-gen/dist/web/index.d.ts"))).toBe(true);
  });

  it("positive control: a published .d.ts with Node types fails to compile here", () => {
    writeFileSync(join(project, "leak.ts"), 'export type { FileContent } from "./node_modules/nnx-gen/dist/node/files.js";\n');
    try {
      const { status, output } = tsc();
      expect(status).not.toBe(0);
      expect(output).toMatch(/TS2307: Cannot find module 'node:fs\/promises'/);
    } finally {
      rmSync(join(project, "leak.ts"));
    }
  });
});
