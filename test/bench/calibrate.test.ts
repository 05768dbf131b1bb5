import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/diagnostics/errors.js";
import { cacheDirectory, calibratedPeak, flagPeak, resolvePeak, sgemmModel } from "../../src/bench/calibrate.js";
import type { Backend } from "../../src/runtime/backend.js";
import { ortBackend } from "../../src/node/ort.js";
import { tensor } from "../../src/tensor.js";

/** Only its name and version are used: the measurement is replaced too. */
const backend: Backend = { name: "onnxruntime-node", version: "9.9.9", load: () => Promise.reject(new Error("not in tests")) };

function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nnx-cache-"));
  const calls: number[] = [];
  const measurePeak = async (threads: number) => (calls.push(threads), 123.4);
  return { dir, calls, base: { env: { NNX_GEN_CACHE_DIR: dir }, backend, measurePeak } };
}

describe("peak calibration cache", () => {
  it("measures once per thread count and then reads the cache", async () => {
    const { dir, calls, base } = setup();
    const now = new Date("2025-03-04T05:06:07Z");
    const first = await calibratedPeak({ ...base, threads: 1, now });
    expect(first).toMatchObject({ gflops: 123.4, source: "calibrated", label: "calibrated (measured 2025-03-04)", threads: 1 });
    const again = await calibratedPeak({ ...base, threads: 1 });
    expect(again.label).toBe("calibrated (cached 2025-03-04)");
    await calibratedPeak({ ...base, threads: 2 });
    expect(calls).toEqual([1, 2]);
    const cache = JSON.parse(readFileSync(path.join(dir, "peak.json"), "utf8"));
    expect(Object.keys(cache.entries)).toHaveLength(2);
    expect(Object.keys(cache.entries)[0]).toMatch(/\|threads=1\|onnxruntime-node@9\.9\.9$/);
  });

  it("measures again on refresh, and over a damaged cache", async () => {
    const { dir, calls, base } = setup();
    await calibratedPeak({ ...base, threads: 1 });
    await calibratedPeak({ ...base, threads: 1, refresh: true });
    writeFileSync(path.join(dir, "peak.json"), "{not json");
    await calibratedPeak({ ...base, threads: 1 });
    expect(calls).toEqual([1, 1, 1]);
  });

  it("still works when the cache cannot be written", async () => {
    const { dir, base } = setup();
    writeFileSync(path.join(dir, "file"), "");
    const peak = await calibratedPeak({ ...base, env: { NNX_GEN_CACHE_DIR: path.join(dir, "file", "sub") }, threads: 1 });
    expect(peak.label).toMatch(/^calibrated \(measured .*; cache not writable\)$/);
  });

  it("prefers --peak-gflops and labels it", async () => {
    const { calls, base } = setup();
    expect(await resolvePeak(250, { ...base, threads: 1 })).toEqual({ gflops: 250, source: "flag", label: "--peak-gflops" });
    expect(calls).toEqual([]);
    expect(() => flagPeak(0)).toThrow(UsageError);
  });

  it("finds the cache directory", () => {
    expect(cacheDirectory({ NNX_GEN_CACHE_DIR: "/x", XDG_CACHE_HOME: "/y" })).toBe("/x");
    expect(cacheDirectory({ XDG_CACHE_HOME: "/y" })).toBe(path.join("/y", "nnx-gen"));
    expect(cacheDirectory({})).toBe(path.join(os.homedir(), ".cache", "nnx-gen"));
  });
});

describe("calibration model", () => {
  it("is a valid ONNX model computing sum(a @ b)", async () => {
    const [m, k, n] = [2, 3, 4];
    const b = tensor("float32", [k, n], Float32Array.from({ length: k * n }, (_, i) => i - 5));
    const a = tensor("float32", [m, k], Float32Array.from({ length: m * k }, (_, i) => (i % 4) * 0.5));
    let expected = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) expected += a.data[i * k + p]! * b.data[p * n + j]!;
    const session = await (await ortBackend()).load(sgemmModel(m, b));
    const { s } = await session.run({ a });
    expect(s!.shape).toEqual([]);
    expect(s!.data[0]).toBeCloseTo(expected, 4);
    await session.release();
  });
});
