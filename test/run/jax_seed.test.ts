/**
 * `--seed N` gives the parameters `nnx.Rngs(N)` gives: every shipped example's `run --seed 0
 * --save-params` against the NumPy reference (fixtures/prng/cases.json, keys drawn by rules
 * written there from Flax's constructors), in both threefry layouts, the four full-size ones
 * included (hash of every parameter); and the draw order of
 * layers with and without a bias.
 */
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../src/io/safetensors.js";
import { canonicalInitializer, initializeParam, sampleInitializer } from "../../src/params/initializers.js";
import { RngStream } from "../../src/params/rngs.js";
import { initializeParams } from "../../src/params/store.js";
import { CASES } from "../params/prng_cases.js";
import { cli, dimFlags, dimsFor, EXAMPLES, exampleSpecs, expectOk, FULL_SIZE_EXAMPLES, loadModel, sharedTempDir, writeSpec } from "./helpers.js";

const t = sharedTempDir("jax-seed");

/** Distance in float32 ulps between two bit patterns of the same sign, else Infinity. */
function ulpDistance(a: number, b: number): number {
  return (a ^ b) >>> 31 ? (a === b ? 0 : Infinity) : Math.abs((a | 0) - (b | 0));
}

/** `run --seed 0 --save-params` (one initialization) against the reference, param by param. */
async function matchesReference(name: string, spec: string, layout: "partitionable" | "legacy"): Promise<void> {
  const model = loadModel(spec);
  const file = t.path(`${name}-${layout}.safetensors`);
  const args = ["run", spec, ...dimFlags(dimsFor(model)), "--seed", "0", "--out", t.path(`${name}-${layout}`), "--save-params", file];
  expectOk(await cli(...args, ...(layout === "legacy" ? ["--prng", "legacy"] : [])));
  const got = readSafetensors(readFileSync(file), file);
  rmSync(file); // the full-size examples write up to 440 MB
  const want = CASES.examples[`${name}/${layout}`]!;
  expect([...got.keys()].sort()).toEqual(Object.keys(want).sort());
  let sampled = 0;
  let oneUlp = 0;
  let more = 0;
  const differing: string[] = [];
  for (const [pname, ref] of Object.entries(want)) {
    const data = got.get(pname)!.data as Float32Array;
    expect(data.length).toBe(ref.n);
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (createHash("sha256").update(bytes).digest("hex") !== ref.sha256) differing.push(pname);
    const sample = new Uint32Array(new Uint8Array(Buffer.from(ref.sample, "base64")).buffer);
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    sample.forEach((w, i) => {
      const d = ulpDistance(bits[i * ref.stride]!, w);
      sampled++;
      if (d === 1) oneUlp++;
      else if (d > 1) more++;
    });
  }
  console.log(`${name} (${layout}): ${Object.keys(want).length} params; of ${sampled} sampled values ${oneUlp} differ by 1 ulp, ${more} by more`);
  expect(more).toBe(0);
  expect(differing).toEqual([]);
}

const LAYOUTS = ["partitionable", "legacy"] as const;

describe.each(exampleSpecs().map((s) => [basename(s, ".yaml"), s] as const))("%s: run --seed 0 --save-params", (name, spec) => {
  it.each(LAYOUTS)("%s layout matches the NumPy reference bit for bit", (layout) => matchesReference(name, spec, layout));
});

// The full-size examples (11.7M to 124M parameters, ~330M values in all): the same check, one
// initialization per layout, each given minutes on a loaded machine.
describe.each([...FULL_SIZE_EXAMPLES].sort().map((f) => [basename(f, ".yaml"), join(EXAMPLES, f)] as const))("%s (full size): run --seed 0 --save-params", (name, spec) => {
  it.each(LAYOUTS)("%s layout matches the NumPy reference bit for bit", (layout) => matchesReference(name, spec, layout), 600_000);
});

describe("keys follow Flax's constructors", () => {
  let spec: string;
  const s = sharedTempDir("jax-seed-order", (dir) => {
    spec = writeSpec(
      dir,
      "order.yaml",
      `
model: Order
inputs:
  x: { shape: [2, 3], dtype: float32 }
layers:
  - { name: a, type: Linear, out_features: 4, use_bias: false }
  - { name: b, type: Linear, out_features: 5, bias_init: ones }
  - { name: c, type: Einsum, einsum_str: "bi,io->bo", kernel_shape: [5, 2] }
  - { name: d, type: LinearGeneral, out_features: [2, 3], kernel_init: { name: normal, stddev: 0.5 } }
`,
    );
  });

  it("a layer without a bias draws one key, a layer with one draws two (even for a constant bias)", () => {
    void s;
    const model = loadModel(spec);
    const params = initializeParams(model, 3);
    const rngs = RngStream.fromSeed(3);
    const lecun = canonicalInitializer("lecun_normal");
    const want: [string, Float32Array][] = [
      ["a.kernel", sampleInitializer(lecun, [3, 4], rngs.next(), "float32")],
      ["b.kernel", sampleInitializer(lecun, [4, 5], rngs.next(), "float32")],
      ["b.bias", sampleInitializer({ kind: "ones" }, [5], rngs.next(), "float32")],
      ["c.kernel", sampleInitializer(lecun, [5, 2], rngs.next(), "float32")],
      ["d.kernel", sampleInitializer({ kind: "normal", stddev: 0.5 }, [2, 6], rngs.next(), "float32")],
      ["d.bias", sampleInitializer({ kind: "zeros" }, [6], rngs.next(), "float32")],
    ];
    expect([...params.keys()]).toEqual(want.map(([n]) => n));
    for (const [n, v] of want) expect(Array.from(params.get(n)!.data as Float32Array), n).toEqual(Array.from(v));
    expect(rngs.drawn).toBe(6);
  });

  it("--prng xoshiro keeps the previous per-parameter streams", () => {
    const model = loadModel(spec);
    const params = initializeParams(model, 3, "xoshiro");
    expect(Array.from(params.get("b.kernel")!.data as Float32Array)).toEqual(Array.from(initializeParam(canonicalInitializer("lecun_normal"), [4, 5], 3, "b.kernel")));
  });

  it("--prng needs --seed, not --params", async () => {
    const r = await cli("run", spec, "--params", "x.safetensors", "--prng", "legacy", "--out", s.path("u"));
    expect(r.code).toBe(2);
  });
});
