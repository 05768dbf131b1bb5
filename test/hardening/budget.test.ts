/**
 * Item 2 of the audit: absurd but schema-valid sizes pass `check` and are refused by run,
 * bench and export before anything is allocated: exit 1, NNX3068, the layer and the bytes.
 */
import { describe, expect, it } from "vitest";
import { memoryBudget, parseSize } from "../../src/runtime/budget.js";
import { totalmem } from "node:os";
import { cli, expectUserError, sharedTempDir, writeSpec } from "../run/helpers.js";

const t = sharedTempDir("budget");

/** The audit's specs: each is schema-valid and passes check. */
const AUDIT: [name: string, input: string, layer: string, mentions: (string | RegExp)[]][] = [
  ["kernel_size 1e9", "[1, 8, 1]", "{ name: wide, type: Conv, out_features: 1, kernel_size: [1000000000] }", ["layer wide (Conv)", "im2col buffer", "over the memory budget of 8.00 GiB"]],
  ["Linear 70000x70000", "[1, 70000]", "{ name: fc, type: Linear, out_features: 70000 }", ["layer fc (Linear): parameter fc.kernel [70000, 70000] takes 18.3 GiB (19600000000 bytes)"]],
  ["Linear 40000x40000", "[1, 40000]", "{ name: fc, type: Linear, out_features: 40000 }", ["layer fc (Linear): parameter fc.kernel [40000, 40000] takes 5.96 GiB (6400000000 bytes)"]],
  ["a 9 GB Conv", "[1, 8, 8, 3000]", "{ name: big, type: Conv, out_features: 250000, kernel_size: [3, 3] }", ["layer big (Conv): parameter big.kernel [3, 3, 3000, 250000] takes 25.1 GiB"]],
  [
    "CIRCULAR padding with kernel_dilation 65536",
    "[1, 64, 64, 3]",
    "{ name: circ, type: Conv, out_features: 8, kernel_size: [3, 3], padding: CIRCULAR, kernel_dilation: 65536 }",
    ["layer circ (Conv) needs 192 GiB", "its CIRCULAR-padded input 192 GiB (206359805952 bytes)", /over the memory budget of 8\.00 GiB \(8589934592 bytes\) by /],
  ],
];

describe("the memory budget", () => {
  for (const [name, shape, layer, mentions] of AUDIT) {
    it(`${name}: check passes, run and bench exit 1 naming the layer and the bytes`, async () => {
      const spec = writeSpec(t, `${name.replace(/\W+/g, "_")}.yaml`, `model: Big\ninputs:\n  x: { shape: ${shape} }\nlayers:\n  - ${layer}\n`);
      expect((await cli("check", spec)).code).toBe(0);
      const run = await cli("run", spec, "--memory-budget", "8G", "--out", t.path("out"));
      expectUserError(run, "NNX3068", ...mentions);
      const bench = await cli("bench", spec, "--memory-budget", "8G", "--iterations", "1");
      expectUserError(bench, "NNX3068", ...mentions);
    }, 30_000);
  }

  it("export checks the parameters; the environment variable sets the budget", async () => {
    const spec = writeSpec(t, "fc.yaml", "model: Fc\ninputs:\n  x: { shape: [1, 1000] }\nlayers:\n  - { name: fc, type: Linear, out_features: 1000 }\n");
    const small = await cli("export", spec, "--format", "safetensors", "-o", t.path("fc.safetensors"), "--memory-budget", "1M");
    expectUserError(small, "NNX3068", "layer fc (Linear): parameter fc.kernel [1000, 1000] takes 3.81 MiB (4000000 bytes), over the memory budget of 1.00 MiB (1048576 bytes) by 2.81 MiB (2951424 bytes)");
    process.env["NNX_GEN_MEMORY_BUDGET"] = "2M";
    try {
      expectUserError(await cli("run", spec, "--out", t.path("out")), "NNX3068", "over the memory budget of 2.00 MiB");
      // The flag wins over the variable.
      expect((await cli("run", spec, "--out", t.path("out"), "--memory-budget", "64M")).code).toBe(0);
    } finally {
      delete process.env["NNX_GEN_MEMORY_BUDGET"];
    }
    expect((await cli("run", spec, "--out", t.path("out"), "--memory-budget", "lots")).code).toBe(2);
  }, 30_000);

  it("intermediates depend on the bound dims", async () => {
    const spec = writeSpec(t, "sym.yaml", "model: Sym\ninputs:\n  x: { shape: [batch, 1024] }\nlayers:\n  - { name: up, type: Linear, out_features: 4096 }\n");
    expect((await cli("run", spec, "--dim", "batch=1", "--memory-budget", "64M", "--out", t.path("out"))).code).toBe(0);
    expectUserError(await cli("run", spec, "--dim", "batch=4096", "--memory-budget", "64M", "--out", t.path("out")), "NNX3068", "layer up (Linear) needs", "its output float32[4096, 4096] 64.0 MiB");
  }, 30_000);

  it("sizes and the default", () => {
    expect(parseSize("8G")).toBe(8 * 2 ** 30);
    expect(parseSize("512MiB")).toBe(512 * 2 ** 20);
    expect(parseSize("1.5k")).toBe(1536);
    expect(parseSize("100")).toBe(100);
    expect(parseSize("0")).toBeUndefined();
    expect(parseSize("-1G")).toBeUndefined();
    expect(memoryBudget(undefined, {})).toBe(Math.floor(totalmem() / 2));
    expect(memoryBudget(undefined, { NNX_GEN_MEMORY_BUDGET: "3G" })).toBe(3 * 2 ** 30);
    expect(memoryBudget("1G", { NNX_GEN_MEMORY_BUDGET: "3G" })).toBe(2 ** 30);
  });
});
