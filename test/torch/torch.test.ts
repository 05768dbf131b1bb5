/**
 * The independent PyTorch cross-checks: every `test/torch/check_*.py` compares the float64 NumPy
 * references behind the parity fixtures with `torch.nn.functional`, and runs the built CLI
 * against torch. They need Debian's python3 with python3-torch, which `.ci/run` installs: in CI a
 * missing torch fails the suite instead of skipping it. Elsewhere the checks are skipped with a
 * message when torch is not importable.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const PYTHON = process.env["NNX_GEN_TORCH_PYTHON"] ?? "/usr/bin/python3";
/** Scripts that check a few whole models rather than >= 100 random configurations. */
const MIN_CONFIGURATIONS: Record<string, number> = { "check_models.py": 4 };
const SCRIPTS = readdirSync(join(ROOT, "test/torch")).filter((f) => /^check_.*\.py$/.test(f)).sort();

function torchImportable(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ["-c", "import torch, numpy"], { stdio: "ignore" }).status === 0;
}

const available = torchImportable();

describe("PyTorch cross-checks", () => {
  it("has torch in CI", () => {
    if (process.env["CI"]) expect(available, `${PYTHON} cannot import torch; .ci/run installs python3-torch`).toBe(true);
  });

  for (const script of SCRIPTS) {
    // Asynchronous: a script runs for minutes, and a blocked worker loses vitest's RPC.
    it.skipIf(!available)(script, async () => {
      let out = "";
      try {
        out = (await promisify(execFile)(PYTHON, [join(ROOT, "test/torch", script)], { cwd: ROOT, encoding: "utf8", timeout: 600_000, maxBuffer: 64 * 2 ** 20 })).stdout;
      } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        expect.fail(`${script} exited ${err.status}:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
      }
      // Each script ends with "<topic>: N configurations matched".
      const m = /(\d+) configurations matched\s*$/.exec(out.trim());
      expect(m, `${script} printed no final count:\n${out}`).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(MIN_CONFIGURATIONS[script] ?? 100);
    }, 660_000);
  }
});
