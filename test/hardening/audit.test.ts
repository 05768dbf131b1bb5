/**
 * The hostile-input audit, one case per finding: the exact input (or its generator) and the
 * required outcome: exit 1 with a message naming the problem, in bounded time and memory,
 * never exit 3, and no file left behind.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readNpy } from "../../src/io/npy.js";
import { BIN, cli, EXAMPLES, ROOT, runBin, spawnRun, sharedTempDir, expectUserError } from "../run/helpers.js";
import { mkfifoSync } from "./fifo.js";
import { checkSpecFile, checkSpecText } from "../../src/spec/load.js";
import { manyEmptyTensors, manyKeysSpec, zipBomb } from "./generators.js";

const TINY_CNN = join(EXAMPLES, "tiny_cnn.yaml");
/** The built bin, killed after `timeoutMs` (a read that never ends must not hang the suite). */
const runBinWithin = (args: readonly string[], timeoutMs: number) => spawnRun(process.execPath, [BIN, ...args], { timeoutMs });
const t = sharedTempDir("audit");

/** Prints the child's peak resident memory (KiB, as getrusage gives it) on stderr at exit. */
const PEAK = ["--import", "data:text/javascript,process.on('exit',()=>process.stderr.write('\\npeak_rss_kb='+process.resourceUsage().maxRSS+'\\n'))"];
const peakMiB = (stderr: string) => Number(/peak_rss_kb=(\d+)/.exec(stderr)?.[1]) / 1024;

describe("1. npz zip bomb", () => {
  it("a 1.5 MB .npz whose member inflates to 1.5 GB is refused before inflating: exit 1, under 1 GB and 5 s", async () => {
    const bomb = t.write("bomb.npz", zipBomb("conv1.kernel.npy", 1500));
    expect(bomb).toBeDefined();
    const started = Date.now();
    const r = await runBin(["run", TINY_CNN, "--dim", "batch=1", "--params", bomb, "--out", t.path("bomb_out")], { nodeArgs: PEAK });
    const seconds = (Date.now() - started) / 1000;
    expectUserError(r, "NNX3067", "bomb.npz", "inflate to 1572864", "the spec's 8 parameters take 1686568 bytes");
    expect(peakMiB(r.stderr)).toBeLessThan(1024);
    expect(seconds).toBeLessThan(5);
    expect(existsSync(t.path("bomb_out"))).toBe(false);
  }, 60_000);
});

describe("4. quadratic YAML", () => {
  it("40,000 keys are checked in linear time (yaml's own duplicate check took 20 s)", () => {
    const timed = (n: number) => {
      const started = performance.now();
      const checked = checkSpecText(`keys${n}.yaml`, manyKeysSpec(n));
      return { ms: performance.now() - started, checked };
    };
    timed(2_000); // warm up the parser
    const small = timed(10_000);
    const big = timed(40_000);
    expect(big.checked.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(["NNX1016 dims: must NOT have more than 64 properties"]);
    // Linear: 4x the keys, ~4x the time (quadratic was ~12x); a few seconds even on a loaded machine.
    expect(big.ms / small.ms).toBeLessThan(8);
    expect(big.ms).toBeLessThan(15_000);
  }, 60_000);

  it("duplicates among 40,000 keys are still found, each at its key", () => {
    const text = manyKeysSpec(40_000).replace("  k39999:", "  k17:").replace("  k5:", "  k3:");
    const dup = checkSpecText("dups.yaml", text).diagnostics.filter((d) => d.code === "NNX1002");
    expect(dup.map((d) => [d.line, d.column])).toEqual([
      [13, 3],
      [40007, 3],
    ]);
  });

  it("200,000 keys (over 1 MiB) are refused by size before parsing", async () => {
    const file = t.write("keys200k.yaml", manyKeysSpec(200_000));
    const started = Date.now();
    const r = await runBin(["check", file]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/NNX1005 spec is \d+ bytes or more; specs are limited to 1048576 bytes/);
  }, 30_000);
});

describe("5. unbounded reads", () => {
  for (const command of ["check", "run", "summary", "generate"]) {
    it(`${command} /dev/zero is refused: not a regular file`, async () => {
      const args = command === "generate" ? ["generate", "/dev/zero", "-o", t.path("gen")] : [command, "/dev/zero"];
      const r = await runBinWithin(args, 10_000);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain("/dev/zero is not a regular file");
    }, 15_000);
  }

  it("a FIFO is refused without blocking on it", async () => {
    const fifo = t.path("spec.fifo");
    mkfifoSync(fifo);
    const r = await runBinWithin(["check", fifo], 10_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("is not a regular file");
  }, 15_000);

  it("a mask file that is /dev/zero is a diagnostic", async () => {
    const spec = t.write(
      "mask_dev.yaml",
      "nnx_gen: 1\nmodel: M\ninputs:\n  x: { shape: [1, 8, 3] }\nlayers:\n  - { type: Conv, out_features: 2, kernel_size: [3], mask: { file: /dev/zero } }\n",
    );
    const r = await runBinWithin(["check", spec], 10_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/NNX3066 .*not a regular file/);
  }, 15_000);

  it("bench --baseline /dev/zero is exit 1", async () => {
    const r = await runBinWithin(["bench", TINY_CNN, "--dim", "batch=1", "--iterations", "1", "--warmup", "0", "--baseline", "/dev/zero", "--max-regression", "10"], 20_000);
    expectUserError(r, "NNX3050", "not a regular file");
  }, 30_000);
});

describe("6. a million empty tensors", () => {
  it("a safetensors header listing 1,000,000 tensors is refused in bounded time", async () => {
    const file = t.write("million.safetensors", manyEmptyTensors(1_000_000));
    const started = Date.now();
    const r = await runBin(["run", TINY_CNN, "--dim", "batch=1", "--params", file, "--out", t.path("million_out")]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expectUserError(r, "NNX3067", "million.safetensors", "header");
    expect(existsSync(t.path("million_out"))).toBe(false);
  }, 30_000);

  it("2,000 empty tensors (a small header) are refused by count", async () => {
    const file = t.write("two_thousand.safetensors", manyEmptyTensors(2_000));
    const r = await runBin(["run", TINY_CNN, "--dim", "batch=1", "--params", file, "--out", t.path("thousand_out")]);
    expectUserError(r, "NNX3067", "its header lists 2000 entries");
  }, 30_000);
});


describe("7. temporary files of a killed run", () => {
  it("run --out killed with SIGKILL mid-write leaves temporaries that the next run removes", async () => {
    const out = t.path("killed_out");
    const spec = t.write("big_out.yaml", "nnx_gen: 1\nmodel: BigOut\ninputs:\n  x: { shape: [4096, 256] }\nlayers:\n  - { name: h, type: Linear, out_features: 16384 }\n");
    // A real kill: the 256 MiB output takes a while to write; kill the run once its temporary exists.
    const child = spawn(process.execPath, [BIN, "run", spec, "--out", out], { stdio: "ignore" });
    const deadline = Date.now() + 60_000;
    let killed = false;
    while (Date.now() < deadline && child.exitCode === null) {
      if (existsSync(out) && readdirSync(out).some((f) => f.endsWith(".tmp"))) {
        child.kill("SIGKILL");
        killed = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => child.once("exit", r).exitCode !== null && r(undefined));
    if (!killed) {
      // The write finished before it could be caught: plant what a kill leaves (a dead pid).
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, `.h.npy.${child.pid}.0123456789ab.tmp`), "partial");
    }
    const leftover = readdirSync(out).filter((f) => f.endsWith(".tmp"));
    expect(leftover.length).toBeGreaterThan(0);
    // A live process's temporary is not touched.
    const live = join(out, `.h.npy.${process.pid}.ba9876543210.tmp`);
    writeFileSync(live, "in progress");
    const small = t.write("small_out.yaml", "nnx_gen: 1\nmodel: SmallOut\ninputs:\n  x: { shape: [2, 4] }\nlayers:\n  - { name: h, type: relu }\n");
    const r = await runBin(["run", small, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([`.h.npy.${process.pid}.ba9876543210.tmp`, "h.npy"]);
  }, 120_000);
});

describe("9. rough edges", () => {
  it("out-of-range token ids: one warning naming the input, the count and the range; Flax's NaN rows kept", async () => {
    const spec = t.write("ids.yaml", "nnx_gen: 1\nmodel: Ids\ninputs:\n  ids: { shape: [1, 4], dtype: int32 }\nlayers:\n  - { name: emb, type: Embed, num_embeddings: 10, features: 3 }\n");
    const ids = t.write("ids.json", "[[0, 12, -3, -11]]");
    const out = t.path("ids_out");
    const r = await cli("run", spec, "--input", `ids=${ids}`, "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:"));
    expect(warnings).toEqual(["warning: input ids: 2 of 4 ids are outside [0, 10) (or [-10, -1], which wrap) of Embed emb; their rows are NaN, as in Flax, and so is whatever they reach"]);
    const y = readNpy(new Uint8Array(readFileSync(join(out, "emb.npy"))), "emb.npy").data as Float32Array;
    expect([0, 1, 2, 3].map((row) => Number.isNaN(y[row * 3]!))).toEqual([false, true, false, true]);
    // In range: no warning.
    const fine = t.write("ids_fine.json", "[[0, 9, -1, -10]]");
    expect((await cli("run", spec, "--input", `ids=${fine}`, "--out", out)).stderr).not.toContain("warning");
  });

  it("run says the parameters came from seed 0 and the inputs were random", async () => {
    const r = await cli("run", TINY_CNN, "--dim", "batch=1", "--out", t.path("notes_out"));
    expect(r.stderr).toContain("note: parameters initialized from --seed 0");
    expect(r.stderr).toContain("note: input image is random (standard normal, seed 0)");
  });

  it("the quick start's logits.npy in the repository root is ignored by git", () => {
    expect(execFileSync("git", ["check-ignore", "logits.npy"], { cwd: ROOT, encoding: "utf8" }).trim()).toBe("logits.npy");
  });
});

describe("8. check reports every problem past a schema error", () => {
  it("one schema error and two shape errors elsewhere: all three, once each", () => {
    const d = checkSpecFile(join(ROOT, "fixtures/fail/schema_and_shape_errors.fail.yaml")).diagnostics;
    expect(d.map((x) => `${x.code} ${x.line}:${x.column}`)).toEqual(["NNX1010 14:5", "NNX2010 19:18", "NNX2020 21:42"]);
  });

  it("a layer whose type is unknown stops only the layers that read it", () => {
    const text = [
      "nnx_gen: 1",
      "model: M",
      "inputs:",
      "  x: { shape: [2, 8] }",
      "layers:",
      "  - { name: a, type: Linaer, out_features: 4 }",
      "  - { name: b, type: relu, input: a }",
      "  - { name: c, type: Linear, input: x, in_features: 3, out_features: 2 }",
      "outputs: [b, c]",
    ].join("\n");
    const d = checkSpecText("m.yaml", text).diagnostics;
    expect(d.map((x) => x.code)).toEqual(["NNX1017", "NNX2010"]);
  });
});

describe("9. a quiet install", () => {
  it("npm reads the project's .npmrc without a warning, and install scripts (onnxruntime-node's CUDA fetch) are off", () => {
    // Every npm command reads .npmrc and prints the unknown-config warnings an install printed
    // seven times; `npm config get` shows the setting as npm understands it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_|^ONNXRUNTIME_/i.test(k)));
    const r = spawnSync("npm", ["config", "get", "ignore-scripts"], { cwd: ROOT, env, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("true");
    expect(r.stderr).not.toMatch(/warn/i);
  }, 60_000);
});
