/**
 * Hostile input: `check` exits 1 with diagnostics (or 0 where the spec is valid), never
 * throws, never prints a stack trace, and every diagnostic lies inside the file.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSpecFile, checkSpecText } from "../../src/spec/load.js";
import { EXAMPLES, parseJsonDiagnostics, runCli, STACK_FRAME, tempDir, type JsonDiagnostic } from "../cli/helpers.js";
import { CODE_PATTERN, positionProblems } from "./positions.js";

const TINY_CNN = readFileSync(join(EXAMPLES, "tiny_cnn.yaml"), "utf8");
const EXAMPLE_TEXTS = ["tiny_cnn", "tied_lm", "text_classifier", "self_attention", "segmenter", "video_conv3d"].map((n) => ({
  name: n,
  text: readFileSync(join(EXAMPLES, `${n}.yaml`), "utf8"),
}));

/** A small valid spec to embed odd values in. */
function spec(body: { model?: string; description?: string; inputs?: string; layers?: string; extra?: string }): string {
  return [
    "nnx_gen: 1",
    `model: ${body.model ?? "Hostile"}`,
    ...(body.description !== undefined ? [`description: ${body.description}`] : []),
    "inputs:",
    body.inputs ?? "  x: { shape: [batch, 16] }",
    "layers:",
    body.layers ?? "  - { name: hidden, type: Linear, out_features: 8 }",
    ...(body.extra !== undefined ? [body.extra] : []),
    "",
  ].join("\n");
}

function billionLaughs(levels: number, fanout: number): string {
  let out = `l0: &l0 [${Array(fanout).fill('"lol"').join(", ")}]\n`;
  for (let i = 1; i < levels; i++) out += `l${i}: &l${i} [${Array(fanout).fill(`*l${i - 1}`).join(", ")}]\n`;
  return out;
}

interface Case {
  name: string;
  content: string | Buffer;
  /** Expected exit code ("either": 0 or 1, the case is only about not crashing). */
  exit: 0 | 1 | "either";
  /** Codes that must be among the diagnostics. */
  codes?: string[];
  /** Codes that must be the only ones reported. */
  only?: string[];
  /** Message text that must not appear (raw engine errors). */
  notInMessages?: RegExp;
}

const CASES: Case[] = [
  // Malformed YAML
  { name: "unclosed flow map", content: "nnx_gen: 1\nmodel: A\ninputs:\n  x: { shape: [1, 2]\nlayers: []\n", exit: 1, codes: ["NNX1001"] },
  { name: "unclosed flow sequence", content: "nnx_gen: 1\nmodel: A\ninputs:\n  x: { shape: [1, 2 }\n", exit: 1, codes: ["NNX1001"] },
  { name: "tab indentation", content: "nnx_gen: 1\nmodel: A\ninputs:\n\tx: { shape: [1] }\n", exit: 1, codes: ["NNX1001"] },
  { name: "unterminated quote", content: 'nnx_gen: 1\nmodel: "Tiny\ninputs: {}\n', exit: 1, codes: ["NNX1001"] },
  { name: "nested compact mapping", content: "nnx_gen: 1\nmodel: A: B\n", exit: 1, codes: ["NNX1001"] },
  { name: "stray closing bracket", content: "nnx_gen: 1\nmodel: A]\nlayers: ]\n", exit: 1 },
  { name: "bad escape", content: 'nnx_gen: 1\nmodel: "\\q"\n', exit: 1, codes: ["NNX1001"] },
  { name: "bare colons and dashes", content: "- - -\n: : :\n? ? ?\n", exit: 1 },
  { name: "several documents", content: "nnx_gen: 1\n---\nmodel: A\n", exit: 1, codes: ["NNX1001"] },
  { name: "duplicate top-level key", content: spec({}) + "model: Again\n", exit: 1, codes: ["NNX1002"] },
  { name: "undefined alias", content: spec({ layers: "  - *nothing" }), exit: 1 },
  // Alias bombs
  { name: "billion laughs", content: billionLaughs(10, 10), exit: 1, codes: ["NNX1003"] },
  {
    name: "alias bomb inside a valid-looking spec",
    content: billionLaughs(9, 9).replace(/^l/gm, "  l").replace(/^/, "nnx_gen: 1\nmodel: A\ninputs:\n  x: { shape: [1] }\ndims:\n") + "layers: *l8\n",
    exit: 1,
    codes: ["NNX1003"],
  },
  // Wrong types everywhere
  {
    name: "wrong types at the top level",
    content: "nnx_gen: 1\nmodel: 42\ndescription: [a, b]\ninputs: [x]\ndims: 7\nlayers: { type: relu }\noutputs: 3\n",
    exit: 1,
    codes: ["NNX1012"],
  },
  {
    name: "wrong types in a layer",
    content: spec({
      layers:
        "  - { name: 5, type: Conv, input: [x], out_features: [32], kernel_size: { a: 1 }, strides: true, padding: 1.5, use_bias: 0, mask: yes, kernel_init: 3 }",
    }),
    exit: 1,
  },
  { name: "wrong types in inputs", content: spec({ inputs: "  x: { shape: { a: 1 }, dtype: [float32] }\n  y: 3\n  z: ~" }), exit: 1 },
  { name: "layer that is a string", content: spec({ layers: "  - relu\n  - 3\n  - ~\n  - []" }), exit: 1 },
  { name: "layer type that is not a string", content: spec({ layers: "  - { type: 3 }\n  - { type: [Conv] }\n  - { type: ~ }\n  - { name: a }" }), exit: 1 },
  { name: "format version as a string", content: TINY_CNN.replace("nnx_gen: 1", 'nnx_gen: "1"'), exit: 1, codes: ["NNX1018"] },
  { name: "format version as a float", content: TINY_CNN.replace("nnx_gen: 1", "nnx_gen: 1.0000001"), exit: 1, codes: ["NNX1018"] },
  // Huge and odd numbers
  {
    name: "huge numbers",
    content: spec({
      inputs: "  x: { shape: [1180591620717411303424, 1e308, .inf, -.inf, .nan, -0, 1e-320] }",
      layers: "  - { type: Linear, out_features: 1180591620717411303424 }\n  - { type: Conv, out_features: 1e308, kernel_size: [9007199254740993], padding: -1180591620717411303424 }",
      extra: "dims:\n  batch: { min: -1e308, max: 1e308 }",
    }),
    exit: 1,
  },
  { name: "huge hex and octal", content: spec({ layers: "  - { type: Linear, out_features: 0xFFFFFFFFFFFFFFFFFF }\n  - { type: softmax, axis: 0o777777777777777 }" }), exit: 1 },
  {
    name: "huge static shapes",
    content: spec({
      inputs: "  x: { shape: [2147483647, 2147483647, 2147483647, 2147483647] }",
      layers: "  - { type: reshape, shape: [-1] }\n  - { type: relu }\n  - { type: sum }",
    }),
    exit: 1,
  },
  {
    name: "huge layer",
    content: spec({ inputs: "  x: { shape: [2147483647, 2147483647, 16] }", layers: "  - { type: Linear, out_features: 2147483647 }\n  - { type: Einsum, einsum_str: 'abc,cd->abd', kernel_shape: [16, 2147483647] }" }),
    exit: 1,
  },
  { name: "zero-size dims", content: spec({ inputs: "  x: { shape: [0, 0, 0] }", layers: "  - { type: Conv, out_features: 1, kernel_size: 3 }\n  - { type: max }\n  - { type: reshape, shape: [-1] }" }), exit: 1 },
  // Odd strings
  { name: "__proto__ as a top-level key", content: spec({ extra: "__proto__: { polluted: true }" }), exit: 1, codes: ["NNX1010"] },
  { name: "__proto__ and constructor as names", content: spec({ model: "Constructor", inputs: "  __proto__: { shape: [4] }\n  constructor: { shape: [4] }", layers: "  - { name: toString, type: add, input: [__proto__, constructor] }" }), exit: 0 },
  { name: "comment terminator and template syntax in strings", content: spec({ description: '"*/ ${process.exit(1)} `rm -rf` <script>alert(1)</script> {{x}}"' }), exit: 0 },
  { name: "control characters", content: spec({ model: '"A\\x01\\x1b[31m"', description: '"bell \\a nul \\0 esc \\e"' }), exit: 1 },
  { name: "raw control character", content: spec({ description: "a\u0001b\u0007c\u007f" }), exit: "either" },
  { name: "very long model name", content: spec({ model: "A" + "b".repeat(200_000) }), exit: 1, codes: ["NNX1016"] },
  { name: "very long description", content: spec({ description: "x".repeat(1_000_000) }), exit: 1 },
  { name: "very long key", content: spec({ extra: "k".repeat(100_000) + ": 1" }), exit: 1 },
  { name: "unicode names", content: spec({ model: "Modèle", layers: "  - { name: café, type: relu }\n  - { name: ‮evil, type: relu }\n  - { name: 🤖, type: relu }" }), exit: 1 },
  { name: "right-to-left override and emoji in a description", content: spec({ description: '"‮ emoji 🤖 zero-width \u200b"' }), exit: 0 },
  // Tags
  { name: "js function tag", content: spec({ layers: "  - { type: Linear, out_features: !!js/function 'function () { return 8 }' }" }), exit: 1, codes: ["NNX1006"] },
  { name: "js undefined and regexp tags", content: spec({ description: "!!js/undefined ''", extra: "outputs: !!js/regexp /x/" }), exit: 1, codes: ["NNX1006"] },
  { name: "python object tag", content: spec({ description: '!!python/object/apply:os.system ["rm -rf /"]' }), exit: 1, codes: ["NNX1006"] },
  { name: "python name tag on a layer", content: spec({ layers: "  - !!python/name:flax.nnx.Linear { type: Linear, out_features: 8 }" }), exit: 1, codes: ["NNX1006"] },
  { name: "verbatim tag", content: spec({ description: "!<tag:yaml.org,2002:js/function> 'x'" }), exit: 1, codes: ["NNX1006"] },
  { name: "binary, set and local tags", content: spec({ description: "!!binary aGVsbG8=", extra: "outputs: !Ref hidden" }), exit: 1 },
  // Not a mapping
  { name: "empty file", content: "", exit: 1, codes: ["NNX1012"] },
  { name: "whitespace only", content: "  \n\n\t\n", exit: 1 },
  { name: "comments only", content: "# just a comment\n# another\n", exit: 1, codes: ["NNX1012"] },
  { name: "document markers only", content: "---\n...\n", exit: 1 },
  { name: "null", content: "~\n", exit: 1, codes: ["NNX1012"] },
  { name: "a list", content: "- nnx_gen: 1\n- model: A\n", exit: 1, codes: ["NNX1012"] },
  { name: "a scalar", content: "TinyCnn\n", exit: 1, codes: ["NNX1012"] },
  { name: "a number", content: "1e308\n", exit: 1, codes: ["NNX1012"] },
  { name: "non-string keys", content: "1: a\nnull: b\ntrue: c\n? [a, b]\n: d\n? { e: f }\n: g\n", exit: 1 },
  { name: "merge key", content: spec({ inputs: "  x: { shape: [4] }\n  y: { <<: { shape: [4] }, dtype: float32 }" }), exit: 1 },
  // Binary content
  { name: "invalid UTF-8", content: Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x80, 0x81, 0xc3, 0x28]), exit: 1, codes: ["NNX1004"] },
  { name: "UTF-16 with a byte-order mark", content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TINY_CNN, "utf16le")]), exit: 1, codes: ["NNX1004"] },
  { name: "PNG header", content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]), exit: 1 },
  { name: "NUL bytes in valid UTF-8", content: "nnx_gen: 1\u0000\u0000\nmodel: A\u0000B\n", exit: 1 },
  { name: "pseudo-random bytes", content: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)), exit: 1 },
  // Nesting
  { name: "deeply nested flow sequences", content: spec({ layers: `  - { type: Conv, out_features: 1, kernel_size: 3, mask: ${"[".repeat(2000)}1${"]".repeat(2000)} }` }), exit: 1, notInMessages: /Maximum call stack|RangeError/ },
  { name: "very deeply nested flow sequences", content: "a: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n", exit: 1 },
  { name: "deeply nested block sequences", content: "nnx_gen: 1\nx:\n" + Array.from({ length: 3000 }, (_, i) => " ".repeat(i + 2) + "-").join("\n") + "\n", exit: 1, notInMessages: /Maximum call stack|RangeError/ },
  { name: "deeply nested maps", content: "a: " + "{a: ".repeat(20_000) + "1" + "}".repeat(20_000) + "\n", exit: 1 },
  // Size
  { name: "10001 layers", content: spec({ layers: Array(10_001).fill("  - { type: relu }").join("\n") }), exit: 1, codes: ["NNX1016"] },
  { name: "2000 layers", content: spec({ layers: Array(2000).fill("  - { type: relu }").join("\n") }), exit: 0 },
  // Valid, in unusual encodings
  { name: "byte-order mark and CRLF line ends", content: "\uFEFF" + TINY_CNN.replace(/\n/g, "\r\n"), exit: 0 },
  { name: "old Mac line ends", content: TINY_CNN.replace(/\n/g, "\r"), exit: 1 },
  // Positions after YAML error recovery, and at the very end of the file
  { name: "line numbers after a parse error", content: "  width:\nnn\n  - { name:", exit: 1 },
  { name: "a key without a value at the end of the file", content: spec({}).replace(/layers:[\s\S]*$/, "layers:"), exit: 1 },
];

describe("check on hostile input", () => {
  const { dir, cleanup } = tempDir("hostile");
  const files = new Map<string, string>();
  // Libraries warn through process.emitWarning, which Node prints to the process's stderr.
  const warnings: string[] = [];
  const emitWarning = process.emitWarning;

  beforeAll(() => {
    CASES.forEach((c, i) => {
      const file = join(dir, `case_${String(i).padStart(2, "0")}.yaml`);
      writeFileSync(file, c.content);
      files.set(c.name, file);
    });
    process.emitWarning = ((w: string | Error) => void warnings.push(String(w))) as typeof process.emitWarning;
  });
  afterAll(() => {
    process.emitWarning = emitWarning;
    cleanup();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const file = files.get(c.name)!;
      const before = warnings.length;
      const started = Date.now();
      const run = await runCli(["check", file, "--format", "json"]);
      expect(Date.now() - started, "check must stay fast on hostile input").toBeLessThan(15_000);
      expect(run.stderr).toBe("");
      if (c.exit === "either") expect([0, 1]).toContain(run.code);
      else expect(run.code, run.stdout.slice(0, 2000)).toBe(c.exit);
      const diags = parseJsonDiagnostics(run.stdout);
      // Exit 1 exactly when some diagnostic is an error.
      expect(diags.some((d) => d.severity === "error")).toBe(run.code === 1);
      for (const code of c.codes ?? []) expect(diags.map((d) => d.code)).toContain(code);
      if (c.only) expect([...new Set(diags.map((d) => d.code))].sort()).toEqual([...c.only].sort());
      // Positions are measured against the text check read (UTF-8 without the BOM).
      const text = Buffer.isBuffer(c.content) ? "" : c.content.replace(/^\uFEFF/, "");
      expect(positionProblems(text, diags as never)).toEqual([]);
      for (const d of diags) {
        expect(d.file).toBe(file);
        expect(d.message).not.toMatch(STACK_FRAME);
        if (c.notInMessages) expect(d.message).not.toMatch(c.notInMessages);
      }
      // The text format of the same run shows no stack either.
      const textRun = await runCli(["check", file]);
      expect(textRun.code).toBe(run.code);
      expect(textRun.stdout + textRun.stderr).not.toMatch(STACK_FRAME);
      // Nothing leaks to the process's own stderr as Node warnings (e.g. from the YAML library).
      expect(warnings.slice(before)).toEqual([]);
    });
  }

  it("a spec file just under the size limit with a valid spec parses", async () => {
    const file = join(dir, "big_valid.yaml");
    writeFileSync(file, TINY_CNN + ("# " + "x".repeat(1000) + "\n").repeat(1000));
    const run = await runCli(["check", file]);
    expect(run.code).toBe(0);
  });

  it("a 5 MB file is refused without parsing it", async () => {
    const file = join(dir, "five_mb.yaml");
    writeFileSync(file, TINY_CNN + ("# " + "x".repeat(1000) + "\n").repeat(5 * 1024));
    const started = Date.now();
    const run = await runCli(["check", file, "--format", "json"]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.code).toBe(1);
    const diags = parseJsonDiagnostics(run.stdout);
    expect(diags.map((d) => [d.code, d.line, d.column])).toEqual([["NNX1005", 1, 1]]);
  });

  it("a missing file", async () => {
    const file = join(dir, "does_not_exist.yaml");
    const run = await runCli(["check", file, "--format", "json"]);
    expect(run.code).toBe(1);
    const diags = parseJsonDiagnostics(run.stdout);
    expect(diags.map((d) => [d.code, d.line, d.column])).toEqual([["NNX1004", 1, 1]]);
    expect(diags[0]!.message).toContain("does_not_exist.yaml");
  });

  it("a directory passed to checkSpecFile", () => {
    const sub = join(dir, "a_directory.yaml");
    mkdirSync(sub);
    const r = checkSpecFile(sub);
    expect(r.model).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["NNX1004", 1, 1]]);
  });

  it("a directory with no specs in it", async () => {
    const sub = join(dir, "empty_dir");
    mkdirSync(sub);
    writeFileSync(join(sub, "notes.txt"), "not a spec");
    const run = await runCli(["check", sub, "--format", "json"]);
    expect(run.code).toBe(1);
    expect(parseJsonDiagnostics(run.stdout).map((d) => d.code)).toEqual(["NNX1020"]);
  });

  it("a directory with a symlink loop terminates", async () => {
    const sub = join(dir, "loop");
    mkdirSync(sub);
    writeFileSync(join(sub, "model.yaml"), TINY_CNN);
    try {
      symlinkSync(sub, join(sub, "again"));
    } catch {
      return; // no symlinks on this file system
    }
    const run = await runCli(["check", sub]);
    expect(run.code).toBe(0);
  });
});

describe("every prefix of every example spec", () => {
  /** Check every prefix once; sort what went wrong into kinds so each kind is its own test. */
  function checkPrefixes(name: string, text: string): { crashes: string[]; starts: string[]; ends: string[] } {
    const out = { crashes: [] as string[], starts: [] as string[], ends: [] as string[] };
    for (let n = 0; n <= text.length; n++) {
      const prefix = text.slice(0, n);
      let checked;
      try {
        checked = checkSpecText(`${name}.yaml`, prefix);
      } catch (e) {
        out.crashes.push(`prefix ${n}: threw ${(e as Error).stack}`);
        continue;
      }
      for (const p of positionProblems(prefix, checked.diagnostics)) (p.startsWith("end outside") ? out.ends : out.starts).push(`prefix ${n}: ${p}`);
      const errors = checked.diagnostics.some((d) => d.severity === "error");
      if (!errors && !checked.model) out.crashes.push(`prefix ${n}: no errors but no model`);
      if (checked.model) {
        // A clean prefix is a complete spec: every layer it lists is in the IR.
        const layers = (parse(prefix) as { layers: unknown[] }).layers;
        if (checked.model.layers.length !== layers.length) out.crashes.push(`prefix ${n}: ${layers.length} layers but ${checked.model.layers.length} in the IR`);
      }
    }
    return out;
  }

  for (const { name, text } of EXAMPLE_TEXTS) {
    describe(name, () => {
      let result: ReturnType<typeof checkPrefixes>;
      beforeAll(() => {
        result = checkPrefixes(name, text);
      });
      it("never throws, and a prefix without errors builds the whole model", () => {
        expect(result.crashes.slice(0, 10)).toEqual([]);
      });
      it("diagnostics start inside the text, with stable codes", () => {
        expect(result.starts.slice(0, 10)).toEqual([]);
      });
      it("diagnostics end inside the text (even at the end of a truncated file)", () => {
        expect(result.ends.slice(0, 5)).toEqual([]);
      });
    });
  }
});

describe("diagnostic codes", () => {
  it("are stable NNX codes for all hostile cases", () => {
    for (const c of CASES) {
      if (Buffer.isBuffer(c.content)) continue;
      const r = checkSpecText("case.yaml", c.content);
      for (const d of r.diagnostics as JsonDiagnostic[]) expect(d.code, c.name).toMatch(CODE_PATTERN);
    }
  });
});
