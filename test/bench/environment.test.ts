import { describe, expect, it } from "vitest";
import { collectEnvironment } from "../../src/bench/environment.js";

describe("collectEnvironment", () => {
  it("describes the machine, Node and the runtime", () => {
    const env = collectEnvironment({ name: "onnxruntime-node", version: "1.30.0" }, new Date("2025-01-02T03:04:05Z"));
    expect(env.cpu_model.length).toBeGreaterThan(0);
    expect(env.cores).toBeGreaterThanOrEqual(1);
    expect(env.node_version).toBe(process.versions.node);
    expect(env).toMatchObject({ runtime: "onnxruntime-node", runtime_version: "1.30.0", date: "2025-01-02T03:04:05.000Z" });
  });
});
