/** The web host alone (no Node host installed): no file access, with a clear diagnostic. */
import { describe, expect, it, vi } from "vitest";

describe("nnx-gen/web without the Node host", () => {
  it("a mask file is the NNX3066 diagnostic; inline masks and specs as text work", async () => {
    vi.resetModules();
    const hostModule = await import("../../src/host.js");
    // Forget the Node host of the test setup, as a browser never had one.
    hostModule.setHost(undefined as unknown as import("../../src/host.js").Host);
    const web = await import("../../src/web/index.js");
    expect(hostModule.host().name).toBe("JavaScript runtime");
    const spec = (mask: string) => `nnx_gen: 1\nmodel: M\ninputs:\n  x: { shape: [1, 4, 1] }\nlayers:\n  - { name: c, type: Conv, out_features: 1, kernel_size: [2], mask: ${mask} }\n`;
    const bad = web.checkSpecText("m.yaml", spec("{ file: mask.npy }"));
    expect(bad.diagnostics.map((d) => d.code)).toContain("NNX3066");
    expect(bad.diagnostics.find((d) => d.code === "NNX3066")!.message).toMatch(/no file system/);
    expect(web.checkSpecText("m.yaml", spec("[[[1.0]], [[0.0]]]")).model).toBeDefined();
  });
});
