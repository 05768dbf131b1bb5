import { describe, expect, it } from "vitest";
import { buildResult, configKey, dimCombinations, formatNumber, reportCsv, reportJson, reportTable } from "../../src/bench/report.js";
import { PEAK, report, result } from "./helpers.js";

describe("buildResult", () => {
  it("derives throughput and GFLOP/s from the median", () => {
    const r = buildResult({
      dims: { batch: 8 }, threads: 1, examplesPerRun: 8, flops: 4e9, peakGflops: 200,
      measurement: { samplesMs: [10, 20, 40], warmup: 3, iterations: 3 },
    });
    expect(r.latency_ms).toEqual({ mean: 23.3333, p50: 20, p90: 36, p99: 39.6, min: 10, max: 40 });
    expect(r.throughput_per_s).toBe(400);
    expect(r.gflops).toBe(200);
    expect(r.peak_fraction).toBe(1);
  });

  it("omits peak_fraction without a peak", () => {
    expect("peak_fraction" in result({ batch: 1 }, 5)).toBe(false);
  });
});

describe("JSON layout", () => {
  it("has exactly the contract's fields", () => {
    const doc = JSON.parse(reportJson(report([result({ batch: 1 }, 5, { peakGflops: 100 })], { peak: PEAK })));
    expect(Object.keys(doc).sort()).toEqual(["backend", "environment", "model", "peak", "results"]);
    const r = doc.results[0];
    expect(Object.keys(r).sort()).toEqual(
      ["dims", "flops", "gflops", "iterations", "latency_ms", "peak_fraction", "threads", "throughput_per_s", "warmup"],
    );
    expect(Object.keys(r.latency_ms).sort()).toEqual(["max", "mean", "min", "p50", "p90", "p99"]);
    expect(r.dims).toEqual({ batch: 1 });
    expect(doc.environment).toMatchObject({ cpu_model: "Test CPU", cores: 2, node_version: "20.0.0", runtime_version: "1.30.0" });
    expect(doc.peak).toEqual({ gflops: 100, source: "flag", label: "--peak-gflops" });
  });
});

describe("configurations", () => {
  it("makes one combination per --dim value, first dim slowest", () => {
    expect(dimCombinations({ batch: [1, 8], seq: [64, 128] })).toEqual([
      { batch: 1, seq: 64 }, { batch: 1, seq: 128 }, { batch: 8, seq: 64 }, { batch: 8, seq: 128 },
    ]);
    expect(dimCombinations({})).toEqual([{}]);
  });

  it("keys configurations independently of dim order", () => {
    expect(configKey({ dims: { seq: 2, batch: 1 }, threads: 1 })).toBe(configKey({ dims: { batch: 1, seq: 2 }, threads: 1 }));
    expect(configKey({ dims: { batch: 1 }, threads: 1 })).not.toBe(configKey({ dims: { batch: 1 }, threads: 2 }));
  });
});

describe("CSV", () => {
  it("has a header and one row per result, with dim columns", () => {
    const csv = reportCsv(report([result({ batch: 1, seq: 4 }, 5), result({ batch: 2, seq: 4 }, 8)], { model: 'A,"B"' }));
    const lines = csv.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      "model,backend,dim_batch,dim_seq,threads,warmup,iterations,mean_ms,p50_ms,p90_ms,p99_ms,min_ms,max_ms,throughput_per_s,flops,gflops,peak_fraction",
    );
    expect(lines[1]).toBe('"A,""B""",onnxruntime-node 1.30.0 (cpu),1,4,1,2,3,5,5,5,5,5,5,200,1000000000,200,');
    expect(lines[2]!.split(",").length).toBe(lines[0]!.split(",").length + 1); // the quoted model holds one comma
  });
});

describe("text table", () => {
  it("names the environment and the peak's origin", () => {
    const text = reportTable(report([result({ batch: 8 }, 12.5, { peakGflops: 100 })], { peak: PEAK }));
    expect(text).toContain("Test CPU, 2 cores");
    expect(text).toContain("peak: 100 GFLOP/s, --peak-gflops");
    expect(text).toMatch(/batch=8\s+1\s+3\s+12\.5\s+12\.5/);
    expect(text).toContain("640.0%"); // 8 GFLOP in 12.5 ms = 640 GFLOP/s against 100
  });

  it("formats numbers compactly", () => {
    expect(formatNumber(12.3456)).toBe("12.35");
    expect(formatNumber(123456.7)).toBe("123457");
    expect(formatNumber(0.000123)).toBe("0.000123");
    expect(formatNumber(0)).toBe("0");
  });
});
