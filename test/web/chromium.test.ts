/**
 * nnx-gen/web in real headless Chromium: every parity case of fixtures/parity and a sample of
 * fixtures/parity_extra (every layer kind and op that appears there, at least once) runs in the
 * page on onnxruntime-web's wasm and matches the oracle within the case's tolerances; a
 * generated `--target web` module runs in the page and matches the native runtime; check,
 * summary and generate run in the page. A missing browser fails (CI installs it), never skips.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateModule } from "../../src/codegen/index.js";
import { readNpy } from "../../src/io/npy.js";
import { compileSpecModel } from "../../src/runtime/model.js";
import { checkSpecFile } from "../../src/spec/load.js";
import { tensor } from "../../src/tensor.js";
import { generateFromFile } from "../codegen/golden.js";
import { expectClose, expectParityOutput, type OutputTensor, type ParityCase } from "../parity/helpers.js";
import { openPage, ROOT, type BrowserPage } from "./browser.js";

interface PlainTensor {
  dtype: string;
  shape: number[];
  data: number[];
}

const SPEC = join(ROOT, "fixtures/examples/tiny_cnn.yaml");
const casesOf = (folder: string) => JSON.parse(readFileSync(join(ROOT, "fixtures", folder, "cases.json"), "utf8")) as ParityCase[];

/** The layer and op types a case's spec uses. */
function typesOf(folder: string, c: ParityCase): string[] {
  const text = readFileSync(join(ROOT, "fixtures", folder, c.name, "spec.yaml"), "utf8");
  return [...text.matchAll(/\btype:\s*([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

/**
 * The first case for every type not yet covered, in the file's order, and every case of a
 * lowering only the web target uses (kernels.ts: Winograd convolutions).
 */
export function sampleCases(folder: string): ParityCase[] {
  const covered = new Set<string>();
  return casesOf(folder).filter((c) => {
    const fresh = typesOf(folder, c).filter((t) => !covered.has(t));
    for (const t of fresh) covered.add(t);
    return fresh.length > 0 || c.name.includes("winograd");
  });
}

let browser: BrowserPage;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "nnx-gen-web-page-"));
  const generated = join(tmp, "tiny_cnn.ts");
  writeFileSync(generated, generateFromFile(SPEC, "web").code);
  browser = await openPage(generated);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function compare(c: ParityCase, folder: string, got: Record<string, PlainTensor>) {
  for (const o of c.outputs) {
    const want = readNpy(readFileSync(join(ROOT, "fixtures", folder, c.name, "expected", `${o}.npy`)), o);
    expect(got[o], `output ${o}`).toBeDefined();
    expectParityOutput(c, o, got[o] as OutputTensor, want);
  }
}

for (const [folder, cases] of [
  ["parity", casesOf("parity")],
  ["parity_extra", sampleCases("parity_extra")],
] as const) {
  describe(`fixtures/${folder} in Chromium (onnxruntime-web wasm)`, () => {
    for (const c of cases) {
      it(`${c.name}: ${c.about}`, async () => {
        const got = await browser.page.evaluate(
          ([dir, inputs]) => (globalThis as unknown as { app: { runCase(d: string, i: string[]): Promise<Record<string, PlainTensor>> } }).app.runCase(dir, inputs),
          [`/fixtures/${folder}/${c.name}`, c.inputs] as const,
        );
        compare(c, folder, got);
      });
    }
  });
}

describe("nnx-gen/web tools and generated modules in Chromium", () => {
  it("the sample of parity_extra covers every type its specs use", () => {
    const all = new Set(casesOf("parity_extra").flatMap((c) => typesOf("parity_extra", c)));
    const sampled = new Set(sampleCases("parity_extra").flatMap((c) => typesOf("parity_extra", c)));
    expect([...all].filter((t) => !sampled.has(t))).toEqual([]);
    expect(sampled.size).toBeGreaterThan(10);
  });

  it("a generated --target web module runs in the page and matches the native runtime", async () => {
    const batch = 2;
    const image = Array.from({ length: batch * 28 * 28 }, (_, i) => ((i * 7919) % 1000) / 1000);
    const got = await browser.page.evaluate(
      ([img, b]) => (globalThis as unknown as { app: { runGenerated(i: number[], b: number): Promise<PlainTensor> } }).app.runGenerated(img, b),
      [image, batch] as const,
    );
    const native = await compileSpecModel({ file: SPEC, text: readFileSync(SPEC, "utf8") }, { seed: 0 });
    try {
      const { logits } = await native.run({ image: tensor("float32", [batch, 28, 28, 1], Float32Array.from(image)) });
      expect(got.shape).toEqual([batch, 10]);
      expectClose(got.data, logits!.data as Float32Array, 1e-5, 1e-4);
    } finally {
      await native.release();
    }
  });

  it("check, summary and generate run in the page and agree with Node", async () => {
    const failSpec = "fixtures/fail/attend_features.fail.yaml";
    const r = await browser.page.evaluate(
      ([s, f]) => (globalThis as unknown as { app: { tools(s: string, f: string): Promise<{ clean: boolean; summary: unknown; generated: string; failCodes: string[]; backend: string }> } }).app.tools(s, f),
      ["/fixtures/examples/tiny_cnn.yaml", `/${failSpec}`] as const,
    );
    expect(r.clean).toBe(true);
    const checked = checkSpecFile(SPEC);
    expect(r.generated).toBe(generateModule(checked.model!, readFileSync(SPEC, "utf8"), "tiny_cnn.yaml", "web").code);
    const expectLine = /# expect: (NNX\d+ \d+:\d+)/.exec(readFileSync(join(ROOT, failSpec), "utf8"))![1]!;
    expect(r.failCodes).toContain(expectLine);
    expect(r.backend).toMatch(/^1\.\d+/);
  });

  it("the page fetched nothing from any other origin", () => {
    expect(browser.foreignRequests).toEqual([]);
  });
});
