/**
 * `check`, `summary`, `generate` and running models are in nnx-gen/web's browser bundle, and
 * nothing in it imports a Node built-in (esbuild, platform browser). The package root, which is
 * Node's, is the positive control: the same detector must find its node: imports.
 */
import { describe, expect, it } from "vitest";
import { bundleForBrowser } from "./bundle.js";

describe("nnx-gen/web bundled for the browser", () => {
  it("imports no Node built-in", async () => {
    const b = await bundleForBrowser("src/web/index.ts");
    expect(b.nodeImports).toEqual([]);
    const js = [...b.files].find(([p]) => p.endsWith(".js"))![1];
    const text = new TextDecoder().decode(js);
    // What the page gets: checking, summaries, code generation, the runtime.
    for (const name of ["checkSpecText", "summarize", "generateModule", "compileSpecModel", "webBackend"]) expect(text).toContain(name);
  });

  it("positive control: the Node entry's node: imports are found", async () => {
    const b = await bundleForBrowser("src/index.ts", { external: ["onnxruntime-node"] });
    expect(b.nodeImports.some((i) => i.includes("-> node:fs"))).toBe(true);
  });
});
