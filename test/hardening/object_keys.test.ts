/**
 * Item 3 of the audit: names that are JavaScript object keys (`__proto__`, `constructor`, ...)
 * in every position a user names something. Each spec is valid, so check, summary, generate
 * and run must all succeed and print the name as given: never exit 3, never "NaN",
 * "[object Object]" or a function's source.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readNpy } from "../../src/io/npy.js";
import { cli, sharedTempDir, writeSpec } from "../run/helpers.js";
import { OBJECT_KEYS } from "./generators.js";

const t = sharedTempDir("object-keys");

/** Dim symbols are lower_snake: only some object keys qualify. */
const DIM_KEYS = OBJECT_KEYS.filter((k) => /^[a-z_][a-z0-9_]*$/.test(k));

const POSITIONS: Record<string, { keys: readonly string[]; spec: (k: string) => string; dims: (k: string) => string[]; outputs: (k: string) => string[] }> = {
  "input name": {
    keys: OBJECT_KEYS,
    spec: (k) => `model: Keys\ninputs:\n  ${k}: { shape: [2, 8] }\nlayers:\n  - { name: fc, type: Linear, out_features: 4 }\n`,
    dims: () => [],
    outputs: () => ["fc"],
  },
  "dim symbol": {
    keys: DIM_KEYS,
    spec: (k) => `model: Keys\ninputs:\n  x: { shape: [${k}, 8] }\ndims:\n  ${k}: { min: 1, max: 16 }\nlayers:\n  - { name: fc, type: Linear, out_features: 4 }\n`,
    dims: (k) => ["--dim", `${k}=3`],
    outputs: () => ["fc"],
  },
  "layer name and output list": {
    keys: OBJECT_KEYS,
    spec: (k) => `model: Keys\ninputs:\n  x: { shape: [2, 8] }\nlayers:\n  - { name: ${k}, type: Linear, out_features: 4 }\n  - { name: act, type: relu, input: ${k} }\noutputs: [${k}, act]\n`,
    dims: () => [],
    outputs: (k) => [k, "act"],
  },
  "output map key": {
    keys: OBJECT_KEYS,
    spec: (k) => `model: Keys\ninputs:\n  x: { shape: [2, 8] }\nlayers:\n  - { name: fc, type: Linear, out_features: 4 }\noutputs:\n  ${k}: fc\n`,
    dims: () => [],
    outputs: (k) => [k],
  },
  "Embed name read by attend": {
    keys: OBJECT_KEYS,
    spec: (k) => `model: Keys\ninputs:\n  ids: { shape: [2, 5], dtype: int32 }\nlayers:\n  - { name: ${k}, type: Embed, num_embeddings: 11, features: 4 }\n  - { name: logits, type: attend, embed: ${k} }\n`,
    dims: () => [],
    outputs: () => ["logits"],
  },
};

const NONSENSE = /NaN|\[object Object\]|native code|undefined|internal error/;

describe("names that are JavaScript object keys", () => {
  for (const [position, p] of Object.entries(POSITIONS)) {
    for (const k of p.keys) {
      it(`${position}: ${k}`, async () => {
        const name = `${position.replace(/\W+/g, "_")}_${k}`;
        const spec = writeSpec(t, `${name}.yaml`, p.spec(k));
        const check = await cli("check", spec, "--format", "json");
        expect(check.code, check.stdout).toBe(0);
        const summary = await cli("summary", spec, ...p.dims(k), "--format", "json");
        expect(summary.code, summary.stderr).toBe(0);
        expect(summary.stdout).not.toMatch(NONSENSE);
        const gen = await cli("generate", spec, "-o", t.path(`gen_${name}`));
        expect(gen.code, gen.stderr).toBe(0);
        const out = t.path(`out_${name}`);
        const run = await cli("run", spec, ...p.dims(k), "--out", out);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout + run.stderr).not.toMatch(NONSENSE);
        for (const o of p.outputs(k)) {
          const y = readNpy(new Uint8Array(readFileSync(`${out}/${o}.npy`)), o);
          expect(y.shape[0]).toBe(position === "dim symbol" ? 3 : 2);
        }
      }, 30_000);
    }
  }

  it("a --dim or --input naming an object key the model lacks is exit 1 or 2, never 3", async () => {
    const spec = writeSpec(t, "plain.yaml", "model: Plain\ninputs:\n  x: { shape: [batch, 8] }\nlayers:\n  - { type: relu }\n");
    for (const k of DIM_KEYS) {
      const r = await cli("run", spec, "--dim", "batch=1", "--dim", `${k}=2`, "--out", t.path("o"));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`the model has no symbolic dim "${k}"`);
    }
    for (const k of OBJECT_KEYS) {
      const r = await cli("run", spec, "--dim", "batch=1", "--input", `${k}=x.npy`, "--out", t.path("o"));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`the model has no input "${k}"`);
    }
  }, 60_000);
});
