import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError, UserError } from "../../src/diagnostics/errors.js";
import { compareWithBaseline, formatComparison, parseBaseline, readBaseline } from "../../src/bench/baseline.js";
import { reportJson } from "../../src/bench/report.js";
import { report, result } from "./helpers.js";

const old = report([result({ batch: 1 }, 10), result({ batch: 8 }, 40)]);
const baseline = parseBaseline(reportJson(old), "old.json");
const slower = report([result({ batch: 1 }, 10.5), result({ batch: 8 }, 48)]); // +5%, +20%

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error("expected a UserError");
}

describe("compareWithBaseline", () => {
  it("flags a 20% slowdown at --max-regression 10", () => {
    const c = compareWithBaseline(slower, baseline, 10);
    expect(c.regressed).toBe(true);
    expect(c.compared.map((r) => r.regressed)).toEqual([false, true]);
    expect(c.compared[1]!.changePct).toBeCloseTo(20, 9);
    const text = formatComparison(c);
    expect(text).toContain("batch=8, 1 thread: 40 ms -> 48 ms (+20.0%) REGRESSION");
    expect(text).toContain("1 configuration slower than allowed");
  });

  it("does not flag it at --max-regression 30", () => {
    const c = compareWithBaseline(slower, baseline, 30);
    expect(c.regressed).toBe(false);
    expect(formatComparison(c)).toContain("no regression");
  });

  it("matches by dims and threads, listing what the baseline lacks", () => {
    const now = report([result({ batch: 8 }, 30), result({ batch: 8 }, 30, { threads: 2 })]);
    const c = compareWithBaseline(now, baseline, 10);
    expect(c.compared).toHaveLength(1);
    expect(c.compared[0]!.changePct).toBeCloseTo(-25, 9);
    expect(c.notInBaseline).toEqual([{ dims: { batch: 8 }, threads: 2 }]);
  });

  it("warns when the baseline ran elsewhere", () => {
    const elsewhere = parseBaseline(reportJson({ ...old, environment: { ...old.environment, cpu_model: "Other CPU" } }), "b.json");
    expect(compareWithBaseline(slower, elsewhere, 30).warnings).toEqual(["the baseline ran on CPU Other CPU, this run on Test CPU"]);
  });

  it("rejects another model and a baseline with no common configuration", () => {
    expect(userError(() => compareWithBaseline({ ...slower, model: "Other" }, baseline, 10)).code).toBe("NNX3053");
    const e = userError(() => compareWithBaseline(report([result({ batch: 2 }, 1)]), baseline, 10));
    expect(e.code).toBe("NNX3054");
    expect(e.hint).toContain("batch=1, 1 thread; batch=8, 1 thread");
  });

  it("rejects a bad --max-regression as a usage error", () => {
    expect(() => compareWithBaseline(slower, baseline, -1)).toThrow(UsageError);
    expect(() => compareWithBaseline(slower, baseline, Number.NaN)).toThrow(UsageError);
  });
});

describe("parseBaseline", () => {
  it.each([
    ["not JSON", "{", "NNX3051"],
    ["an array", "[]", "NNX3052"],
    ["no results", '{"model":"TinyCnn"}', "NNX3052"],
    ["a result without p50", '{"model":"TinyCnn","results":[{"dims":{},"threads":1,"latency_ms":{}}]}', "NNX3052"],
    ["a fractional dim", '{"model":"TinyCnn","results":[{"dims":{"batch":1.5},"threads":1,"latency_ms":{"p50":1}}]}', "NNX3052"],
    ["a repeated configuration", JSON.stringify({ model: "TinyCnn", results: [...old.results, old.results[0]] }), "NNX3055"],
  ])("rejects %s", (_, text, code) => {
    const e = userError(() => parseBaseline(text, "old.json"));
    expect(e.code).toBe(code);
    expect(e.file).toBe("old.json");
    expect(e.message).toContain("old.json");
  });

  it("names the offending field", () => {
    const text = '{"model":"TinyCnn","results":[{"dims":{},"threads":1,"latency_ms":{"p50":-2}}]}';
    expect(userError(() => parseBaseline(text, "old.json")).message).toContain("results[0].latency_ms.p50");
  });

  it("reads files, and reports an unreadable one", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "nnx-baseline-"));
    const file = path.join(dir, "old.json");
    writeFileSync(file, reportJson(old));
    expect(readBaseline(file).results).toHaveLength(2);
    expect(userError(() => readBaseline(path.join(dir, "missing.json"))).code).toBe("NNX3050");
  });
});
