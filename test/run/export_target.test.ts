/**
 * `export --target web` writes the graph nnx-gen/web runs (kernels.ts): tiny_cnn's 32 -> 64
 * channel 3x3 conv becomes Winograd (no Conv node for it), its 1 -> 32 conv stays a Conv, and
 * the default target keeps both Convs. An unknown target is a usage error.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeModel } from "../runtime/onnx_decode.js";
import { cli, EXAMPLES } from "./helpers.js";

describe("export --target", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnx-export-target-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const spec = join(EXAMPLES, "tiny_cnn.yaml");
  const ops = (file: string): string[] => decodeModel(readFileSync(file)).graph.nodes.map((n) => n.op);

  it("web: Winograd for the 32 -> 64 conv only; node (default): two Convs", async () => {
    const node = join(dir, "node.onnx"), web = join(dir, "web.onnx");
    expect((await cli("export", spec, "--format", "onnx", "--seed", "0", "-o", node)).code).toBe(0);
    expect((await cli("export", spec, "--format", "onnx", "--seed", "0", "--target", "web", "-o", web)).code).toBe(0);
    expect(ops(node).filter((op) => op === "Conv")).toHaveLength(2);
    expect(ops(web).filter((op) => op === "Conv")).toHaveLength(1);
    expect(ops(web).filter((op) => op === "MatMul").length).toBeGreaterThan(ops(node).filter((op) => op === "MatMul").length);
  });

  it("an unknown target is refused", async () => {
    const r = await cli("export", spec, "--format", "onnx", "--seed", "0", "--target", "gpu", "-o", join(dir, "x.onnx"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/expected one of node, web/);
  });
});
