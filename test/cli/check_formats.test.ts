/** `nnx-gen check`: output formats, exit codes, and several files in one pass. */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkSpecFile } from "../../src/spec/load.js";
import { EXAMPLE_COUNT, EXAMPLES, FAIL, parseJsonDiagnostics, runCli, STACK_FRAME, tempDir } from "./helpers.js";

const CAUSAL = join(FAIL, "conv_causal_2d.fail.yaml"); // one error, with a hint
const IN_FEATURES = join(FAIL, "conv_in_features.fail.yaml"); // one error, with a hint
const UNKNOWN_EMBED = join(FAIL, "attend_not_embed.fail.yaml"); // one error, no hint
const UNUSED = join(FAIL, "unused_layer.fail.yaml"); // one warning only
const TINY = join(EXAMPLES, "tiny_cnn.yaml");

const lineOf = (file: string, line: number) => readFileSync(file, "utf8").split("\n")[line - 1]!;

describe("text format", () => {
  it("file:line:col severity code pointer: message, then the hint, then a count", async () => {
    const r = await runCli(["check", CAUSAL]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      `${CAUSAL}:13:14 error NNX2003 layers/0/padding: conv: CAUSAL padding is only implemented for 1-D convolutions, but kernel_size has 2 entries`,
    );
    expect(lines[1]).toMatch(/^ {2}hint: \S/);
    expect(lines[2]).toBe("1 error, 0 warnings");
  });

  it("every diagnostic line of a whole directory has the same shape", async () => {
    const r = await runCli(["check", FAIL]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    const summary = lines.pop()!;
    expect(summary).toMatch(/^\d+ errors?, \d+ warnings?$/);
    for (const l of lines) {
      if (l.startsWith("  hint: ")) continue;
      expect(l).toMatch(/^(.+\.yaml):(\d+):(\d+) (error|warning) (NNX[123]\d{3}) (\S+: )?\S.*$/);
    }
    expect(r.stdout).not.toMatch(STACK_FRAME);
  });

  it("a clean run says so", async () => {
    const r = await runCli(["check", EXAMPLES]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${EXAMPLE_COUNT} specs checked, no problems\n`);
  });

  it("warnings are printed but do not fail the run", async () => {
    const r = await runCli(["check", UNUSED]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/:9:5 warning NNX2026 layers\/1: layer "aux" is never used/);
    expect(r.stdout).toMatch(/0 errors, 1 warning\n$/);
  });
});

describe("json format", () => {
  const KEYS = ["file", "line", "column", "endLine", "endColumn", "code", "severity", "message", "pointer"];

  it("has exactly the documented keys, in order, with hint last and only when there is one", async () => {
    const r = await runCli(["check", CAUSAL, UNKNOWN_EMBED, "--format", "json"]);
    expect(r.code).toBe(1);
    const diags = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Array.isArray(diags)).toBe(true);
    expect(diags).toHaveLength(2);
    const [withHint, without] = diags as [Record<string, unknown>, Record<string, unknown>];
    expect(Object.keys(withHint)).toEqual([...KEYS, "hint"]);
    expect(Object.keys(without)).toEqual(KEYS);
    expect(withHint).toMatchObject({ file: CAUSAL, line: 13, column: 14, endLine: 13, endColumn: 20, code: "NNX2003", severity: "error", pointer: "/layers/0/padding" });
    expect(typeof withHint["hint"]).toBe("string");
    expect(without).toMatchObject({ code: "NNX2019", pointer: "/layers/2/embed" });
  });

  it("endColumn is exclusive: the range covers exactly the offending value", async () => {
    const r = await runCli(["check", CAUSAL, IN_FEATURES, UNKNOWN_EMBED, "--format", "json"]);
    const covered = parseJsonDiagnostics(r.stdout).map((d) => {
      expect(d.endLine).toBe(d.line);
      return lineOf(d.file, d.line).slice(d.column - 1, d.endColumn - 1);
    });
    expect(covered).toEqual(["CAUSAL", "3", "proj"]);
  });

  it("lines and columns are 1-based and pointers are JSON pointers", async () => {
    const r = await runCli(["check", FAIL, "--format", "json"]);
    for (const d of parseJsonDiagnostics(r.stdout)) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
      expect(d.pointer === "" || d.pointer.startsWith("/")).toBe(true);
    }
  });

  it("a clean run prints an empty array", async () => {
    const r = await runCli(["check", TINY, "--format", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});

describe("github format", () => {
  it("prints one workflow command per diagnostic", async () => {
    const r = await runCli(["check", CAUSAL, UNUSED, "--format", "github"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^::error file=${CAUSAL.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")},line=13,col=14,(endLine=13,endColumn=20,)?title=NNX2003::conv: CAUSAL padding`));
    expect(lines[1]).toMatch(/^::warning file=.*unused_layer\.fail\.yaml,line=9,col=5,.*title=NNX2026::layer "aux" is never used/);
  });

  it("escapes property and message values as GitHub requires", async () => {
    const { dir, cleanup } = tempDir("github");
    try {
      const file = join(dir, "odd,name:100%.yaml");
      copyFileSync(CAUSAL, file);
      const r = await runCli(["check", file, "--format", "github"]);
      const line = r.stdout.trimEnd();
      expect(line).toContain(`file=${join(dir, "odd%2Cname%3A100%25.yaml").replace(/:/g, "%3A")}`);
      expect(line.split("\n")).toHaveLength(1);
    } finally {
      cleanup();
    }
  });

  it("prints nothing for a clean run", async () => {
    const r = await runCli(["check", TINY, "--format", "github"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });
});

describe("sarif format", () => {
  interface Sarif {
    $schema: string;
    version: string;
    runs: {
      tool: { driver: { name: string; version: string; informationUri?: string; rules: { id: string; shortDescription: { text: string } }[] } };
      results: {
        ruleId: string;
        ruleIndex: number;
        level: string;
        message: { text: string };
        locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number; endLine: number; endColumn: number } } }[];
      }[];
    }[];
  }

  it("is a valid SARIF 2.1.0 log", async () => {
    const r = await runCli(["check", FAIL, "--format", "sarif"]);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as Sarif;
    expect(log.version).toBe("2.1.0");
    expect(log.$schema).toMatch(/sarif.*2\.1\.0.*\.json$/);
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe("nnx-gen");
    expect(run.tool.driver.version).toMatch(/^\d+\.\d+\.\d+/);
    const ids = run.tool.driver.rules.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of run.tool.driver.rules) {
      expect(rule.id).toMatch(/^NNX[123]\d{3}$/);
      expect(rule.shortDescription.text.length).toBeGreaterThan(0);
    }
    const json = parseJsonDiagnostics((await runCli(["check", FAIL, "--format", "json"])).stdout);
    expect(run.results).toHaveLength(json.length);
    run.results.forEach((res, i) => {
      const d = json[i]!;
      expect(res.ruleId).toBe(d.code);
      expect(ids[res.ruleIndex]).toBe(res.ruleId);
      expect(["error", "warning", "note", "none"]).toContain(res.level);
      expect(res.level).toBe(d.severity);
      expect(res.message.text).toContain(d.message);
      expect(res.locations).toHaveLength(1);
      const { artifactLocation, region } = res.locations[0]!.physicalLocation;
      expect(artifactLocation.uri).toBe(d.file.split("\\").join("/"));
      expect(region).toEqual({ startLine: d.line, startColumn: d.column, endLine: d.endLine, endColumn: d.endColumn });
    });
  });

  it("has no results for a clean run", async () => {
    const r = await runCli(["check", TINY, "--format", "sarif"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Sarif).runs[0]!.results).toEqual([]);
  });
});

describe("exit codes", () => {
  it.each([
    ["clean", ["check", TINY], 0],
    ["errors", ["check", CAUSAL], 1],
    ["warnings only", ["check", UNUSED], 0],
    ["warnings only, json", ["check", UNUSED, "--format", "json"], 0],
    ["errors and warnings", ["check", UNUSED, CAUSAL], 1],
    ["a missing file", ["check", join(FAIL, "nope.yaml")], 1],
    ["a glob that matches nothing", ["check", join(FAIL, "*.nothing.yaml")], 1],
    ["an unknown flag", ["check", "--bogus", TINY], 2],
    ["a missing argument", ["check"], 2],
    ["a bad --format", ["check", TINY, "--format", "xml"], 2],
    ["--format without a value", ["check", TINY, "--format"], 2],
    ["an unknown command", ["chekc", TINY], 2],
    ["summary without a spec", ["summary"], 2],
    ["summary with a bad --format", ["summary", TINY, "--format", "yaml"], 2],
    ["summary with a malformed --dim", ["summary", TINY, "--dim", "batch"], 2],
    ["summary of a spec with errors", ["summary", CAUSAL], 1],
    ["--help", ["--help"], 0],
    ["check --help", ["check", "--help"], 0],
    ["--version", ["--version"], 0],
  ] as const)("%s → %i", async (_name, argv, code) => {
    const r = await runCli(argv);
    expect(r.code).toBe(code);
    expect(r.stdout + r.stderr).not.toMatch(STACK_FRAME);
    if (code === 2) expect(r.stderr.length).toBeGreaterThan(0);
  });

  it("usage errors print nothing on stdout and name the problem", async () => {
    const r = await runCli(["check", TINY, "--format", "xml"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("xml");
  });
});

describe("several files, a directory and a glob in one call", () => {
  const { dir, cleanup } = tempDir("multi");
  afterAll(cleanup);

  it("reports every problem of every file in one pass", async () => {
    const sub = join(dir, "nested/deeper");
    mkdirSync(sub, { recursive: true });
    copyFileSync(join(FAIL, "pool_window.fail.yaml"), join(dir, "nested/pool.yaml"));
    copyFileSync(join(FAIL, "broadcast.fail.yaml"), join(sub, "broadcast.yml"));
    copyFileSync(TINY, join(sub, "clean.yaml"));
    writeFileSync(join(sub, "README.md"), "not a spec");
    const globbed = readdirSync(FAIL).filter((f) => f.startsWith("einsum_")).map((f) => join(FAIL, f));

    const args = ["check", CAUSAL, UNUSED, join(dir, "nested"), join(FAIL, "einsum_*.fail.yaml"), "--format", "json"];
    const r = await runCli(args);
    expect(r.code).toBe(1);
    const diags = parseJsonDiagnostics(r.stdout);
    const files = [...new Set(diags.map((d) => d.file))];
    expect(files).toEqual(expect.arrayContaining([CAUSAL, UNUSED, join(dir, "nested/pool.yaml"), join(sub, "broadcast.yml"), ...globbed]));
    expect(files).not.toContain(join(sub, "clean.yaml"));
    // Exactly what checking each file on its own reports, nothing lost and nothing added.
    const expected = [CAUSAL, UNUSED, join(dir, "nested/pool.yaml"), join(sub, "broadcast.yml"), join(sub, "clean.yaml"), ...globbed].flatMap(
      (f) => checkSpecFile(f).diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`),
    );
    expect(diags.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`).sort()).toEqual(expected.sort());
  });

  it("a file named twice (directly and through a glob) is reported once", async () => {
    const r = await runCli(["check", CAUSAL, join(FAIL, "conv_causal_*.yaml"), "--format", "json"]);
    expect(parseJsonDiagnostics(r.stdout)).toHaveLength(1);
  });

  it("a glob that matches nothing is reported and the other files are still checked", async () => {
    const r = await runCli(["check", join(FAIL, "no_such_*.yaml"), CAUSAL, "--format", "json"]);
    expect(r.code).toBe(1);
    const codes = parseJsonDiagnostics(r.stdout).map((d) => d.code);
    expect(codes).toContain("NNX1020");
    expect(codes).toContain("NNX2003");
  });

  it("relative paths are reported as given", async () => {
    const rel = relative(process.cwd(), CAUSAL);
    const r = await runCli(["check", rel, "--format", "json"]);
    expect(parseJsonDiagnostics(r.stdout)[0]!.file).toBe(rel);
  });
});
