/** Where `run` writes: --out created, files written atomically and all-or-nothing, clear errors. */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { cli, expectOk, expectUserError, listDir, readNpyFile, runBin, sharedTempDir, writeSpec } from "./helpers.js";

let spec: string;
const t = sharedTempDir("outputs", () => {
  spec = writeSpec(
    t,
    "multi.yaml",
    `
model: Multi
inputs:
  x: { shape: [batch, 8], dtype: float32 }
layers:
  - { name: hidden, type: Linear, out_features: 4 }
  - { name: act, type: tanh }
  - { name: probs, type: softmax }
outputs: { features: hidden, probabilities: probs }
`,
  );
});
// Undo the permission test's chmod, so the temp dir can be removed (afterAll hooks run last
// registered first: this one before sharedTempDir's removal).
afterAll(() => {
  try {
    chmodSync(t.path("readonly"), 0o755);
  } catch {
    /* not created */
  }
});

describe("--out", () => {
  it("is created, nested, and holds exactly one .npy per output (named by the outputs map), no temp files", async () => {
    const out = t.path("a", "b", "c");
    const r = await cli("run", spec, "--dim", "batch=3", "--out", out, "--save-params", t.path("a", "p.safetensors"));
    expectOk(r);
    expect(listDir(out)).toEqual(["features.npy", "probabilities.npy"]);
    expect(listDir(t.path("a"))).toEqual(["b", "p.safetensors"]);
    expect(readNpyFile(t.path("a", "b", "c", "features.npy")).shape).toEqual([3, 4]);
    const p = readNpyFile(t.path("a", "b", "c", "probabilities.npy"));
    expect(p.shape).toEqual([3, 4]);
    const d = p.data as Float32Array;
    for (let i = 0; i < 3; i++) expect(d[4 * i]! + d[4 * i + 1]! + d[4 * i + 2]! + d[4 * i + 3]!).toBeCloseTo(1, 5);
    expect(r.stdout).toContain("features: float32[3, 4] ->");
    expect(r.stdout).toContain("probabilities.npy");
    expect(r.stdout).toContain("parameters (2) ->");
  });

  it("overwrites earlier results in place, leaving no temp files", async () => {
    const out = t.path("again");
    expectOk(await cli("run", spec, "--dim", "batch=1", "--out", out, "--seed", "1"));
    const first = readFileSync(t.path("again", "features.npy"));
    expectOk(await cli("run", spec, "--dim", "batch=2", "--out", out, "--seed", "2"));
    expect(listDir(out)).toEqual(["features.npy", "probabilities.npy"]);
    expect(readFileSync(t.path("again", "features.npy")).equals(first)).toBe(false);
    expect(readNpyFile(t.path("again", "features.npy")).shape).toEqual([2, 4]);
  });

  it("defaults to the current directory", async () => {
    const here = t.path("cwd");
    mkdirSync(here);
    // a child process: the test worker cannot change its own directory in every vitest pool
    expectOk(await runBin(["run", spec, "--dim", "batch=1"], { cwd: here }));
    expect(listDir(here)).toEqual(["features.npy", "probabilities.npy"]);
  });

  it("a path under a regular file: exit 1, a clear message, nothing written", async () => {
    const file = t.write("plain.txt", "not a directory");
    for (const out of [t.path("plain.txt"), t.path("plain.txt", "sub"), t.path("plain.txt", "sub", "deeper")]) {
      const r = await cli("run", spec, "--dim", "batch=1", "--out", out, "--save-params", t.path("never.safetensors"));
      expectUserError(r, "--out", "plain.txt", "not a directory");
      expect(readFileSync(file, "utf8")).toBe("not a directory");
      expect(existsSync(t.path("never.safetensors"))).toBe(false);
    }
  });

  it("an unwritable --out: exit 1, nothing half-written", async () => {
    if (process.getuid?.() === 0) return; // root writes anywhere
    const ro = t.path("readonly");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    expectUserError(await cli("run", spec, "--dim", "batch=1", "--out", ro), "readonly");
    expect(listDir(ro)).toEqual([]);
  });
});

describe("output names", () => {
  it("an output that passes an input through works in run and export", async () => {
    const spec = writeSpec(
      t,
      "pass.yaml",
      `
model: Pass
inputs:
  x: { shape: [batch, 4], dtype: float32 }
layers:
  - { name: dense, type: Linear, out_features: 3 }
outputs: [x, dense]
`,
    );
    const x = t.write("x.json", JSON.stringify([[1, 2, 3, 4]]));
    expectOk(await cli("run", spec, "--input", `x=${x}`, "--out", t.path("pass")));
    expect([...(readNpyFile(t.path("pass", "x.npy")).data as Float32Array)]).toEqual([1, 2, 3, 4]);
    expectOk(await cli("export", spec, "--format", "onnx", "-o", t.path("pass.onnx")));
  });

  it("an output named after an input but holding another value: exit 1, not an internal error", async () => {
    const spec = writeSpec(
      t,
      "clash.yaml",
      `
model: Clash
inputs:
  x: { shape: [batch, 4], dtype: float32 }
layers:
  - { name: dense, type: Linear, out_features: 3 }
outputs: { x: dense }
`,
    );
    const run = await cli("run", spec, "--dim", "batch=1", "--out", t.path("clash"));
    expectUserError(run, '"x"');
    expect(run.stderr).not.toMatch(/internal error|report/);
    const exp = await cli("export", spec, "--format", "onnx", "-o", t.path("clash.onnx"));
    expectUserError(exp, '"x"');
    expect(existsSync(t.path("clash.onnx"))).toBe(false);
  });
});

describe("--save-params", () => {
  it("into a directory that does not exist: the directory is created, like --out", async () => {
    const out = t.path("half");
    const r = await cli("run", spec, "--dim", "batch=1", "--out", out, "--save-params", t.path("no", "such", "dir", "p.safetensors"));
    expectOk(r);
    expect(listDir(t.path("no", "such", "dir"))).toEqual(["p.safetensors"]);
  });

  it("under a regular file: exit 1, nothing written", async () => {
    t.write("blocker", "x");
    const out = t.path("half2");
    const r = await cli("run", spec, "--dim", "batch=1", "--out", out, "--save-params", t.path("blocker", "p.safetensors"));
    expectUserError(r, "--save-params", "blocker");
    expect(existsSync(out)).toBe(false);
  });

  it("onto an existing directory: exit 1, and the outputs are not written either", async () => {
    mkdirSync(t.path("isdir.safetensors"));
    const out = t.path("half3");
    const r = await cli("run", spec, "--dim", "batch=1", "--out", out, "--save-params", t.path("isdir.safetensors"));
    expectUserError(r, "isdir.safetensors");
    expect(existsSync(out) ? listDir(out) : []).toEqual([]);
    expect(listDir(t.path("isdir.safetensors"))).toEqual([]);
  });

  it("of another format than safetensors is a usage error", async () => {
    const r = await cli("run", spec, "--dim", "batch=1", "--out", t.path("fmt"), "--save-params", t.path("p.npz"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("safetensors");
    expect(existsSync(t.path("p.npz"))).toBe(false);
  });

  it("leaves the old file alone when a run fails", async () => {
    const old = t.write("keep.safetensors", "old contents");
    writeFileSync(t.path("bad.json"), "[[1, 2]]");
    const r = await cli("run", spec, "--input", `x=${t.path("bad.json")}`, "--out", t.path("keep"), "--save-params", old);
    expect(r.code).toBe(1);
    expect(readFileSync(old, "utf8")).toBe("old contents");
  });
});
