/**
 * `check` (and `summary`) never load the native runtime. The compiled CLI runs in a child
 * process whose module loads are all recorded: ES module resolution through a
 * `module.register` hook, CommonJS through `Module._load`. A positive control proves the
 * recorder sees onnxruntime when it is loaded; a blocking mode proves the commands work
 * when the runtime cannot be loaded at all (as when it is not installed).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPackage, type Built } from "./built.js";
import { EXAMPLE_COUNT, EXAMPLES, FAIL, tempDir } from "./helpers.js";

const HOOKS = `
import { appendFileSync } from "node:fs";
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  appendFileSync(log, "esm-request " + specifier + "\\n");
  if (process.env.NNX_BLOCK_RUNTIME && /onnxruntime/.test(specifier)) throw new Error("blocked by test: " + specifier);
  const r = await next(specifier, context);
  appendFileSync(log, "esm-load " + r.url + "\\n");
  return r;
}
`;

const REGISTER = `
import { register } from "node:module";
register("./hooks.mjs", import.meta.url, { data: { log: process.env.NNX_LOAD_LOG } });
`;

const HARNESS = `
import Module from "node:module";
import { appendFileSync } from "node:fs";
const log = process.env.NNX_LOAD_LOG;
const load = Module._load;
Module._load = function (request, parent, isMain) {
  appendFileSync(log, "cjs-request " + request + "\\n");
  if (process.env.NNX_BLOCK_RUNTIME && /onnxruntime/.test(request)) throw new Error("blocked by test: " + request);
  return load.apply(this, arguments);
};
if (process.env.NNX_CONTROL) await import("onnxruntime-node").catch(() => {});
const { main } = await import(process.env.NNX_PROGRAM);
let out = "";
const io = { stdout: (t) => { out += t; }, stderr: (t) => { out += t; }, stderrIsTTY: false };
const code = await main(JSON.parse(process.env.NNX_ARGS), io);
process.stdout.write(JSON.stringify({ code, out }));
`;

interface Traced {
  code: number;
  out: string;
  loads: string[];
}

describe("check never loads the runtime", () => {
  let built: Built;
  const tmp = tempDir("loads");
  let n = 0;

  beforeAll(() => {
    built = buildPackage();
    writeFileSync(join(tmp.dir, "hooks.mjs"), HOOKS);
    writeFileSync(join(tmp.dir, "register.mjs"), REGISTER);
    writeFileSync(join(tmp.dir, "harness.mjs"), HARNESS);
  }, 120_000);
  afterAll(() => {
    built?.cleanup();
    tmp.cleanup();
  });

  function trace(args: string[], env: Record<string, string> = {}): Traced {
    const log = join(tmp.dir, `loads_${n++}.txt`);
    writeFileSync(log, "");
    const stdout = execFileSync(process.execPath, ["--import", pathToFileURL(join(tmp.dir, "register.mjs")).href, join(tmp.dir, "harness.mjs")], {
      cwd: built.root,
      env: {
        ...process.env,
        NODE_OPTIONS: "",
        NNX_LOAD_LOG: log,
        NNX_PROGRAM: pathToFileURL(join(built.dist, "cli/program.js")).href,
        NNX_ARGS: JSON.stringify(args),
        ...env,
      },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const { code, out } = JSON.parse(stdout) as { code: number; out: string };
    return { code, out, loads: readFileSync(log, "utf8").split("\n").filter(Boolean) };
  }

  const runtimeLoads = (t: Traced) => t.loads.filter((l) => /onnxruntime|\/dist\/runtime\/ort\.js/.test(l));

  it("the recorder sees the CLI's own modules (it works at all)", () => {
    const t = trace(["check", join(EXAMPLES, "tiny_cnn.yaml")]);
    expect(t.code).toBe(0);
    expect(t.loads.some((l) => l.startsWith("esm-load ") && l.endsWith("/dist/spec/load.js"))).toBe(true);
    expect(t.loads.some((l) => /esm-load .*\/node_modules\/yaml\//.test(l))).toBe(true);
  });

  it("positive control: loading onnxruntime-node is recorded", () => {
    const t = trace(["check", join(EXAMPLES, "tiny_cnn.yaml")], { NNX_CONTROL: "1" });
    expect(runtimeLoads(t).length).toBeGreaterThan(0);
  });

  it("check on every example and every fail fixture loads no runtime module", () => {
    const t = trace(["check", EXAMPLES, FAIL, "--format", "json"]);
    expect(t.code).toBe(1);
    expect(JSON.parse(t.out).length).toBeGreaterThan(40);
    expect(runtimeLoads(t)).toEqual([]);
  });

  it("summary loads no runtime module", () => {
    const t = trace(["summary", join(EXAMPLES, "tiny_cnn.yaml"), "--format", "json"]);
    expect(t.code).toBe(0);
    expect(runtimeLoads(t)).toEqual([]);
  });

  it("check and summary work when the runtime cannot be loaded", () => {
    const check = trace(["check", EXAMPLES], { NNX_BLOCK_RUNTIME: "1" });
    expect(check.out).toContain(`${EXAMPLE_COUNT} specs checked, no problems`);
    expect(check.code).toBe(0);
    const summary = trace(["summary", join(EXAMPLES, "tied_lm.yaml")], { NNX_BLOCK_RUNTIME: "1" });
    expect(summary.code).toBe(0);
    expect(summary.out).toContain("total");
  });

  it("the published bin runs check from a clean process", () => {
    const out = execFileSync(process.execPath, [join(built.root, "bin/nnx-gen.js"), "check", EXAMPLES], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    expect(out).toMatch(/specs checked, no problems/);
  });
});
