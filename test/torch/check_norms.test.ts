/**
 * Runs the PyTorch cross-check (check_norms.py) when Debian's python has torch; skipped
 * otherwise. It runs the built CLI, like the parity suites.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const PYTHON = "/usr/bin/python3";
const ROOT = join(import.meta.dirname, "../..");
const hasTorch = spawnSync(PYTHON, ["-c", "import torch, numpy"], { stdio: "ignore" }).status === 0;

describe.skipIf(!hasTorch)("norms against PyTorch", () => {
  it("check_norms.py: references and nnx-gen match torch on every configuration", () => {
    const r = spawnSync(PYTHON, [join(ROOT, "test/torch/check_norms.py")], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/norms: 120 configurations matched\n$/);
  }, 150_000);
});
