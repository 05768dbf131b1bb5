/**
 * `run` inputs: .npy and .json files, integer width conversion, --dim against the files and the
 * spec's dims constraints, random inputs (Embed ids inside the table), and the exit codes.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../src/io/npy.js";
import { randomInputs } from "../../src/cli/run.js";
import { cli, expectAllClose, expectFinite, expectOk, expectUserError, loadModel, readNpyFile, sharedTempDir, writeSpec } from "./helpers.js";

let embed: string;
let two: string;
const t = sharedTempDir("inputs", () => {
  embed = writeSpec(
    t,
    "embed.yaml",
    `
model: Tokens
inputs:
  ids: { shape: [batch, 3], dtype: int32 }
dims:
  batch: { min: 1, max: 8 }
layers:
  - { name: embed, type: Embed, num_embeddings: 10, features: 4 }
`,
  );
  two = writeSpec(
    t,
    "two.yaml",
    `
model: TwoInputs
inputs:
  a: { shape: [batch, 4], dtype: float32 }
  b: { shape: [batch, 4], dtype: float32 }
  n: { shape: [batch], dtype: int32 }
layers:
  - { name: s, type: add, input: [a, b] }
`,
  );
});

const IDS = [1, 2, 3, 4, 5, 9];

describe("input files", () => {
  it("a .json input gives what the same .npy gives", async () => {
    const npy = t.write("ids.npy", writeNpy({ dtype: "int32", shape: [2, 3], data: Int32Array.from(IDS) }));
    const json = t.write("ids.json", "[[1, 2, 3],\n [4, 5, 9]]\n");
    expectOk(await cli("run", embed, "--input", `ids=${npy}`, "--out", t.path("npy")));
    expectOk(await cli("run", embed, "--input", `ids=${json}`, "--out", t.path("json")));
    const a = readNpyFile(t.path("npy", "embed.npy"));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(readFileSync(t.path("json", "embed.npy")).equals(readFileSync(t.path("npy", "embed.npy")))).toBe(true);
    // float JSON for a float input
    const f = t.write("a.json", JSON.stringify([[1, 2, 3, 4.5]]));
    const g = t.write("b.json", JSON.stringify([[0.5, 0, -3, 1e-3]]));
    expectOk(await cli("run", two, "--input", `a=${f}`, "--input", `b=${g}`, "--out", t.path("sum")));
    const s = readNpyFile(t.path("sum", "s.npy"));
    expect(s.shape).toEqual([1, 4]);
    expect([...(s.data as Float32Array)]).toEqual([1.5, 2, 0, Math.fround(4.501)]);
  });

  it("an int64 .npy for an int32 input is accepted when its values fit, rejected (exit 1) when not", async () => {
    const ok = t.write("ids64.npy", writeNpy({ dtype: "int64", shape: [2, 3], data: BigInt64Array.from(IDS.map(BigInt)) }));
    expectOk(await cli("run", embed, "--input", `ids=${ok}`, "--out", t.path("i64")));
    expect(readFileSync(t.path("i64", "embed.npy")).equals(readFileSync(t.path("npy", "embed.npy")))).toBe(true);
    const u8 = t.write("ids8.npy", writeNpy({ dtype: "uint8", shape: [2, 3], data: Uint8Array.from(IDS) }));
    expectOk(await cli("run", embed, "--input", `ids=${u8}`, "--out", t.path("u8")));
    expect(readFileSync(t.path("u8", "embed.npy")).equals(readFileSync(t.path("npy", "embed.npy")))).toBe(true);

    const big = t.write("big64.npy", writeNpy({ dtype: "int64", shape: [2, 3], data: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 2n ** 40n]) }));
    const r = await cli("run", embed, "--input", `ids=${big}`, "--out", t.path("big"));
    expectUserError(r, "big64.npy", "1099511627776", "int32");
    expect(existsSync(t.path("big"))).toBe(false);
    const neg = t.write("neg64.npy", writeNpy({ dtype: "int64", shape: [2, 3], data: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, -(2n ** 35n)]) }));
    expectUserError(await cli("run", embed, "--input", `ids=${neg}`, "--out", t.path("neg")), "neg64.npy", "int32");
  });

  it("a float .npy for an integer input, and a malformed file: exit 1 naming the file", async () => {
    const f = t.write("idsf.npy", writeNpy({ dtype: "float32", shape: [2, 3], data: Float32Array.from(IDS) }));
    expectUserError(await cli("run", embed, "--input", `ids=${f}`, "--out", t.path("f")), "idsf.npy", "float32");
    const bad = t.write("bad.json", "[[1, 2, 3], [4, 5]]");
    expectUserError(await cli("run", embed, "--input", `ids=${bad}`, "--out", t.path("bad")), "bad.json");
    const junk = t.write("junk.npy", "not an npy file");
    expectUserError(await cli("run", embed, "--input", `ids=${junk}`, "--out", t.path("junk")), "junk.npy");
    expectUserError(await cli("run", embed, "--input", `ids=${t.path("absent.npy")}`, "--out", t.path("absent")), "absent.npy");
    const txt = t.write("ids.txt", "1 2 3");
    expectUserError(await cli("run", embed, "--input", `ids=${txt}`, "--out", t.path("txt")), "ids.txt");
  });

  it("an input of the wrong rank or static size: exit 1", async () => {
    const rank = t.write("rank.json", "[1, 2, 3]");
    expectUserError(await cli("run", embed, "--input", `ids=${rank}`, "--out", t.path("rank")), "rank.json");
    const size = t.write("size.json", "[[1, 2], [3, 4]]");
    expectUserError(await cli("run", embed, "--input", `ids=${size}`, "--out", t.path("size")), "ids");
  });

  it("inputs disagreeing on a symbolic dim: exit 1", async () => {
    const a = t.write("a2.json", JSON.stringify([[1, 2, 3, 4], [1, 2, 3, 4]]));
    const b = t.write("b3.json", JSON.stringify([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]));
    const r = await cli("run", two, "--input", `a=${a}`, "--input", `b=${b}`, "--out", t.path("disagree"));
    expectUserError(r, "batch");
    expect(existsSync(t.path("disagree"))).toBe(false);
  });

  it("an unknown --input name: exit 1, names it and the model's inputs", async () => {
    const r = await cli("run", embed, "--input", `tokens=${t.path("ids.npy")}`, "--out", t.path("unknown"));
    expectUserError(r, '"tokens"', "ids");
    expectUserError(await cli("run", embed, "--input", `id=${t.path("ids.npy")}`, "--out", t.path("unknown")), 'did you mean "ids"');
  });

  it("a malformed --input flag is a usage error (exit 2)", async () => {
    for (const flag of [t.path("ids.npy"), `=${t.path("ids.npy")}`, "ids="]) {
      const r = await cli("run", embed, "--input", flag, "--out", t.path("malformed"));
      expect(r.code, `${flag}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain("--input");
    }
    const twice = await cli("run", embed, "--input", `ids=${t.path("ids.npy")}`, "--input", `ids=${t.path("ids.json")}`, "--out", t.path("twice"));
    expect(twice.code, twice.stderr).toBe(2);
    expect(twice.stderr).toContain("more than once");
  });
});

describe("--dim", () => {
  it("a --dim contradicting an input file: exit 1", async () => {
    const r = await cli("run", embed, "--input", `ids=${t.path("ids.npy")}`, "--dim", "batch=3", "--out", t.path("contra"));
    expectUserError(r, "batch=3", "2");
    expect(existsSync(t.path("contra"))).toBe(false);
    // agreeing is fine
    expectOk(await cli("run", embed, "--input", `ids=${t.path("ids.npy")}`, "--dim", "batch=2", "--out", t.path("agree")));
  });

  it("a --dim outside the spec's dims constraints: exit 1", async () => {
    for (const v of ["9", "0"]) {
      const r = await cli("run", embed, "--dim", `batch=${v}`, "--out", t.path(`outside${v}`));
      expectUserError(r, `batch=${v}`, "1 <= batch <= 8");
      expect(existsSync(t.path(`outside${v}`))).toBe(false);
    }
    // an input file outside the constraints too
    const nine = t.write("nine.npy", writeNpy({ dtype: "int32", shape: [9, 3], data: new Int32Array(27) }));
    expectUserError(await cli("run", embed, "--input", `ids=${nine}`, "--out", t.path("nine")), "batch");
    // the bounds themselves are allowed
    expectOk(await cli("run", embed, "--dim", "batch=8", "--out", t.path("max")));
    expectOk(await cli("run", embed, "--dim", "batch=1", "--out", t.path("min")));
  });

  it("a symbolic dim with neither --dim nor an input file: usage error (exit 2)", async () => {
    const r = await cli("run", embed, "--out", t.path("nodim"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--dim batch=N");
    expect(existsSync(t.path("nodim"))).toBe(false);
    // one file fixes batch for the others
    const a = t.write("a1.json", JSON.stringify([[1, 2, 3, 4]]));
    expectOk(await cli("run", two, "--input", `a=${a}`, "--out", t.path("fromfile")));
    expect(readNpyFile(t.path("fromfile", "s.npy")).shape).toEqual([1, 4]);
  });

  it("values for which a shape rule fails (a check warning) are exit 1 naming the layer, not a runtime failure", async () => {
    const valid = writeSpec(
      t,
      "valid_conv.yaml",
      `
model: ValidConv
inputs:
  x: { shape: [1, h, 4], dtype: float32 }
layers:
  - { name: c, type: Conv, out_features: 2, kernel_size: 3, padding: VALID }
`,
    );
    for (const h of ["1", "2"]) {
      const r = await cli("run", valid, "--dim", `h=${h}`, "--out", t.path(`valid${h}`));
      expectUserError(r, `h=${h}`, "c: ", "VALID");
      expect(r.stderr).not.toMatch(/report/);
      expect(existsSync(t.path(`valid${h}`))).toBe(false);
    }
    expectOk(await cli("run", valid, "--dim", "h=3", "--out", t.path("valid3")));
    expect(readNpyFile(t.path("valid3", "c.npy")).shape).toEqual([1, 1, 2]);
    // the same through an input file
    const x1 = t.write("x1.npy", writeNpy({ dtype: "float32", shape: [1, 2, 4], data: new Float32Array(8) }));
    expectUserError(await cli("run", valid, "--input", `x=${x1}`, "--out", t.path("validf")), "h=2", "VALID");

    const reshape = writeSpec(
      t,
      "reshape.yaml",
      `
model: Reshape
inputs:
  x: { shape: [n, 6], dtype: float32 }
layers:
  - { name: r, type: reshape, shape: [-1, 4] }
`,
    );
    expectUserError(await cli("run", reshape, "--dim", "n=3", "--out", t.path("rs3")), "n=3", "r: ", "reshape");
    expectOk(await cli("run", reshape, "--dim", "n=2", "--out", t.path("rs2")));
    expect(readNpyFile(t.path("rs2", "r.npy")).shape).toEqual([3, 4]);
  });

  it("values too large to hold an input: exit 1", async () => {
    const spec = writeSpec(t, "unbounded.yaml", `\nmodel: Unbounded\ninputs:\n  x: { shape: [batch, 4], dtype: float32 }\nlayers:\n  - { type: relu }\n`);
    for (const v of ["100000000000", "99999999999999999999"]) {
      const r = await cli("run", spec, "--dim", `batch=${v}`, "--out", t.path("huge"));
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.code, r.stderr).not.toBe(3);
      expect(r.stderr).toContain("batch");
    }
  });

  it("a --dim the model does not have, or a malformed one", async () => {
    expectUserError(await cli("run", embed, "--dim", "batch=2", "--dim", "bacth=2", "--out", t.path("typo")), "bacth");
    for (const bad of ["batch", "batch=-1", "batch=x", "Batch=2"]) {
      const r = await cli("run", embed, "--dim", bad, "--out", t.path("bad"));
      expect(r.code, bad).toBe(2);
    }
  });
});

describe("random inputs", () => {
  it("Embed ids are uniform over [0, num_embeddings); other integers over [0, 100); floats standard normal", () => {
    const model = loadModel(embed);
    const ids = randomInputs(model, {}, { batch: 8 }, 5).ids!;
    expect(ids.dtype).toBe("int32");
    expect(ids.shape).toEqual([8, 3]);
    const big = randomInputs(loadModel(embed), {}, { batch: 8 }, 0);
    const seen = new Set<number>();
    for (let seed = 0; seed < 40; seed++) for (const v of randomInputs(model, {}, { batch: 8 }, seed).ids!.data as Int32Array) seen.add(v);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(big.ids!.data).toEqual(randomInputs(model, {}, { batch: 8 }, 0).ids!.data);

    const m2 = loadModel(two);
    const r = randomInputs(m2, {}, { batch: 5000 }, 1);
    const n = r.n!.data as Int32Array;
    expect(Math.min(...n)).toBe(0);
    expect(Math.max(...n)).toBe(99);
    const a = Float64Array.from(r.a!.data as Float32Array);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
    // a and b are different streams
    expect(r.a!.data).not.toEqual(r.b!.data);
  });

  it("random ids fit the input's dtype and every Embed that reads the input", async () => {
    const spec = writeSpec(
      t,
      "narrow.yaml",
      `
model: Narrow
inputs:
  small: { shape: [64, 64], dtype: int8 }
  bytes: { shape: [64, 64], dtype: uint8 }
  shared: { shape: [64, 64], dtype: int64 }
layers:
  - { name: e1, type: Embed, input: small, num_embeddings: 300, features: 2 }
  - { name: e2, type: Embed, input: bytes, num_embeddings: 300, features: 2 }
  - { name: e3, type: Embed, input: shared, num_embeddings: 10, features: 2 }
  - { name: e4, type: Embed, input: shared, num_embeddings: 5, features: 2 }
outputs: [e1, e2, e3, e4]
`,
    );
    const r = randomInputs(loadModel(spec), {}, {}, 0);
    const range = (x: ArrayLike<number | bigint>) => {
      const v = Array.from(x, Number);
      return [Math.min(...v), Math.max(...v)];
    };
    expect(range(r.small!.data as Int8Array)).toEqual([0, 127]);
    expect(range(r.bytes!.data as Uint8Array)).toEqual([0, 255]);
    expect(range(r.shared!.data as BigInt64Array)).toEqual([0, 4]);
  });

  it("through the CLI: random ids never leave the table (an id outside gives a NaN row)", async () => {
    const small = writeSpec(
      t,
      "tiny_table.yaml",
      `
model: TinyTable
inputs:
  ids: { shape: [batch, 64], dtype: int32 }
layers:
  - { name: embed, type: Embed, num_embeddings: 3, features: 2 }
`,
    );
    for (const seed of ["0", "1", "2"]) {
      expectOk(await cli("run", small, "--dim", "batch=64", "--seed", seed, "--out", t.path(`table${seed}`)));
      expectFinite(readNpyFile(t.path(`table${seed}`, "embed.npy")), `seed ${seed}`);
    }
    // and an explicit out-of-range id does give NaN (so the check above can fail)
    const oob = t.write("oob.json", JSON.stringify([[0, 1, 2, 3, ...new Array(60).fill(0)]]));
    expectOk(await cli("run", small, "--input", `ids=${oob}`, "--out", t.path("oob")));
    const e = readNpyFile(t.path("oob", "embed.npy")).data as Float32Array;
    expect(Number.isNaN(e[6])).toBe(true);
  });

  it("random inputs follow --seed and are reproducible", async () => {
    expectOk(await cli("run", two, "--dim", "batch=3", "--seed", "4", "--out", t.path("r4a")));
    expectOk(await cli("run", two, "--dim", "batch=3", "--seed", "4", "--out", t.path("r4b")));
    expectOk(await cli("run", two, "--dim", "batch=3", "--seed", "5", "--out", t.path("r5")));
    const a = readNpyFile(t.path("r4a", "s.npy"));
    expectAllClose(readNpyFile(t.path("r4b", "s.npy")), a, "same seed", 0, 0);
    expect(readFileSync(t.path("r5", "s.npy")).equals(readFileSync(t.path("r4a", "s.npy")))).toBe(false);
  });
});
