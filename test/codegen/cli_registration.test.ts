/**
 * `generate` through the real CLI entry point, main(). Needs the one-line registration in
 * src/cli/model_commands.ts (registerGenerate(program, io, done)); the other generate tests
 * drive registerGenerate directly so they do not depend on it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { main } from "../../src/cli/program.js";
import { ROOT } from "./golden.js";

it("nnx-gen generate is registered in main() and maps its failures to exit codes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nnx-gen-main-"));
  let stderr = "";
  const io = { stdout: () => {}, stderr: (t: string) => void (stderr += t), stderrIsTTY: false };
  try {
    const spec = join(ROOT, "fixtures/examples/tiny_cnn.yaml");
    expect(await main(["generate", spec, "-o", dir], io), stderr).toBe(0);
    expect(existsSync(join(dir, "tiny_cnn.ts"))).toBe(true);
    expect(await main(["generate", spec, "-o", dir, "--check"], io)).toBe(0);
    expect(await main(["generate", join(dir, "missing.yaml"), "-o", dir], io)).toBe(1);
    expect(await main(["generate", spec], io)).toBe(2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
