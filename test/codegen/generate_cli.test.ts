/** `nnx-gen generate`: files, --check, refusing foreign files, all-or-nothing, determinism. */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateCli } from "./cli.js";
import { ROOT } from "./golden.js";

const EXAMPLES = join(ROOT, "fixtures/examples");
const TINY_CNN = join(EXAMPLES, "tiny_cnn.yaml");
const TIED_LM = join(EXAMPLES, "tied_lm.yaml");
const BROKEN = "nnx_gen: 1\nmodel: Broken\ninputs:\n  x: { shape: [2, 3], dtype: float32 }\nlayers:\n  - { type: Linear, out_features: 4, kernel_sise: 3 }\n";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nnx-gen-generate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (path: string) => readFileSync(path, "utf8");
const golden = (name: string) => read(join(ROOT, "fixtures/golden", name));

describe("generate", () => {
  it("writes <dir>/<model_snake>.ts for each spec, creating the directory", async () => {
    const out = join(dir, "a", "b");
    const r = await generateCli([TINY_CNN, TIED_LM, "-o", out]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(readdirSync(out).sort()).toEqual(["tied_lm.ts", "tiny_cnn.ts"]);
    expect(read(join(out, "tiny_cnn.ts"))).toBe(golden("tiny_cnn.ts"));
    expect(r.stdout).toBe(`wrote ${join(out, "tiny_cnn.ts")}\nwrote ${join(out, "tied_lm.ts")}\n`);
  });

  it("leaves up-to-date files untouched", async () => {
    await generateCli([TINY_CNN, "-o", dir]);
    const path = join(dir, "tiny_cnn.ts");
    const before = statSync(path).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const r = await generateCli([TINY_CNN, "-o", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${path} is up to date\n`);
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it("is a usage error (exit 2) without -o or without a spec", async () => {
    expect((await generateCli([TINY_CNN])).code).toBe(2);
    expect((await generateCli(["-o", dir])).code).toBe(2);
  });
});

describe("generate with spec errors", () => {
  it("prints the diagnostics on stderr, exits 1 and writes nothing, even for the good specs", async () => {
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, BROKEN);
    const out = join(dir, "out");
    const r = await generateCli([TINY_CNN, broken, "-o", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${broken}:6:`);
    expect(r.stderr).toContain("kernel_sise");
    expect(r.stderr).toContain("nothing was generated");
    expect(r.stdout).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  it("reports a missing spec file as a diagnostic", async () => {
    const r = await generateCli([join(dir, "nope.yaml"), "-o", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("NNX1004");
  });
});

describe("generate refuses to overwrite what it did not write", () => {
  it("exits 1 naming the file, leaves it alone, and writes none of the others", async () => {
    const mine = join(dir, "tiny_cnn.ts");
    writeFileSync(mine, "export const handWritten = true;\n");
    const r = await generateCli([TIED_LM, TINY_CNN, "-o", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refusing to overwrite ${mine}: nnx-gen did not generate it`);
    expect(read(mine)).toBe("export const handWritten = true;\n");
    expect(existsSync(join(dir, "tied_lm.ts"))).toBe(false);
  });

  it("but regenerates its own files, even when they were edited", async () => {
    await generateCli([TINY_CNN, "-o", dir]);
    const path = join(dir, "tiny_cnn.ts");
    writeFileSync(path, read(path).replace("readonly [Batch, 10]", "readonly [Batch, 11]"));
    expect((await generateCli([TINY_CNN, "-o", dir])).code).toBe(0);
    expect(read(path)).toBe(golden("tiny_cnn.ts"));
  });

  it("refuses two specs that generate the same file", async () => {
    const copy = join(dir, "copy.yaml");
    copyFileSync(TINY_CNN, copy);
    const r = await generateCli([TINY_CNN, copy, "-o", join(dir, "out")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("both generate");
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("refuses a directory in the way", async () => {
    mkdirSync(join(dir, "tiny_cnn.ts"));
    const r = await generateCli([TINY_CNN, "-o", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("it is a directory");
  });
});

describe("generate --check", () => {
  it("exits 0 and writes nothing when everything is up to date", async () => {
    await generateCli([TINY_CNN, TIED_LM, "-o", dir]);
    const r = await generateCli([TINY_CNN, TIED_LM, "-o", dir, "--check"]);
    expect(r).toMatchObject({ code: 0, stdout: "2 generated files up to date\n" });
  });

  it("exits 1 naming the missing and stale files, and writes nothing", async () => {
    await generateCli([TINY_CNN, "-o", dir]);
    const stale = join(dir, "tiny_cnn.ts");
    writeFileSync(stale, read(stale) + "// edited\n");
    const r = await generateCli([TINY_CNN, TIED_LM, "-o", dir, "--check"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${stale} (would change, from ${TINY_CNN})`);
    expect(r.stderr).toContain(`${join(dir, "tied_lm.ts")} (missing, from ${TIED_LM})`);
    expect(read(stale).endsWith("// edited\n")).toBe(true);
    expect(existsSync(join(dir, "tied_lm.ts"))).toBe(false);
  });

  it("does not create the output directory", async () => {
    const out = join(dir, "never");
    expect((await generateCli([TINY_CNN, "-o", out, "--check"])).code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});

describe("writes are atomic", () => {
  it("leaves no temporary files behind", async () => {
    await generateCli([TINY_CNN, TIED_LM, "-o", dir]);
    await generateCli([join(ROOT, "fixtures/examples/segmenter.yaml"), TINY_CNN, "-o", dir]);
    expect(readdirSync(dir).sort()).toEqual(["segmenter.ts", "tied_lm.ts", "tiny_cnn.ts"]);
  });
});

describe("output is deterministic", () => {
  it("is identical bytes on a second run", async () => {
    const first = join(dir, "1");
    const second = join(dir, "2");
    const all = readdirSync(EXAMPLES).map((f) => join(EXAMPLES, f));
    await generateCli([...all, "-o", first]);
    await generateCli([...all, "-o", second]);
    for (const f of readdirSync(first)) expect(read(join(second, f))).toBe(read(join(first, f)));
  });

  it("does not depend on the working directory or the spec's directory", async () => {
    const a = join(dir, "x", "specs");
    const b = join(dir, "y", "deeper", "models");
    for (const d of [a, b]) {
      mkdirSync(d, { recursive: true });
      copyFileSync(TINY_CNN, join(d, "tiny_cnn.yaml"));
    }
    const cwd = process.cwd();
    try {
      process.chdir(join(dir, "x"));
      await generateCli(["specs/tiny_cnn.yaml", "-o", "out"]);
      process.chdir(b);
      await generateCli(["./tiny_cnn.yaml", "-o", join(dir, "out2")]);
    } finally {
      process.chdir(cwd);
    }
    const fromA = read(join(dir, "x", "out", "tiny_cnn.ts"));
    expect(fromA).toBe(read(join(dir, "out2", "tiny_cnn.ts")));
    expect(fromA).toBe(golden("tiny_cnn.ts"));
    expect(fromA).not.toContain(dir);
    expect(fromA.split("\n")[0]).toBe("// @generated by nnx-gen from tiny_cnn.yaml. DO NOT EDIT.");
  });
});
