import { describe, expect, it } from "vitest";
import { runBenchmark } from "../../src/bench/bench.js";
import { dimCombinations } from "../../src/bench/report.js";
import { PEAK } from "./helpers.js";

describe("runBenchmark", () => {
  it("measures every configuration and assembles the report", async () => {
    const prepared: unknown[] = [];
    let disposed = 0;
    let runs = 0;
    const report = await runBenchmark({
      model: "TinyCnn",
      backend: "fake",
      runtime: { name: "fake", version: "0" },
      configs: dimCombinations({ batch: [1, 4] }),
      threads: 1,
      warmup: 1,
      iterations: 3,
      peak: PEAK,
      progressStream: { isTTY: false, write: () => true },
      prepare: async (dims) => {
        prepared.push(dims);
        return { run: async () => void runs++, flops: 1e6, examplesPerRun: dims["batch"]!, dispose: async () => void disposed++ };
      },
    });
    expect(prepared).toEqual([{ batch: 1 }, { batch: 4 }]);
    expect(disposed).toBe(2);
    expect(runs).toBe(2 * (1 + 3));
    expect(report.peak).toEqual(PEAK);
    expect(report.environment.runtime).toBe("fake");
    expect(report.results.map((r) => [r.dims, r.warmup, r.iterations, r.flops])).toEqual([
      [{ batch: 1 }, 1, 3, 1e6],
      [{ batch: 4 }, 1, 3, 1e6],
    ]);
    expect(report.results.every((r) => r.peak_fraction !== undefined)).toBe(true);
  });
});
