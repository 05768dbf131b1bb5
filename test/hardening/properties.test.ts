/**
 * Property tests with the audit's generators: ZIP members that lie about their sizes, names
 * that are JavaScript object keys in every name position, huge key counts, special files.
 */
import fc from "fast-check";
import { existsSync, symlinkSync } from "node:fs";
import { deflateRawSync, crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/diagnostics/errors.js";
import { readInputFile, readParamsFile } from "../../src/node/files.js";
import { limitsFor } from "../../src/io/limits.js";
import { readNpz } from "../../src/io/npz.js";
import { writeNpy } from "../../src/io/npy.js";
import { checkSpecFile, checkSpecText } from "../../src/spec/load.js";
import { tensor } from "../../src/tensor.js";
import { mkfifoSync } from "./fifo.js";
import { manyKeysSpec, OBJECT_KEYS, zipOf } from "./generators.js";
import { sharedTempDir } from "../run/helpers.js";

const t = sharedTempDir("properties");

describe("ZIP members that lie about their sizes", () => {
  it("parse, or fail with a UserError, and never inflate past the smaller of the claim and the limit", () => {
    const member = writeNpy(tensor("float32", [64, 64], new Float32Array(64 * 64).fill(1)));
    const compressed = deflateRawSync(member);
    const limits = limitsFor(1, 64 * 64 * 4);
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(member.length), fc.nat({ max: member.length * 2 }), fc.integer({ min: 0, max: 0xffffffff })),
        fc.boolean(),
        (size, honestCrc) => {
          const zip = zipOf([{ name: "w.npy", compressed, size, crc: honestCrc ? crc32(member) : 0x12345678 }]);
          try {
            const got = readNpz(zip, "lying.npz", limits);
            // Parsed: then every claim was true.
            expect(size).toBe(member.length);
            expect(honestCrc).toBe(true);
            expect(got.get("w")!.shape).toEqual([64, 64]);
          } catch (e) {
            if (!(e instanceof UserError)) throw e;
            expect(["NNX3023", "NNX3067", "NNX3021", "NNX3002"]).toContain(e.code);
            // 0xffffffff is not a size but ZIP64's "see the extra field" marker (missing here).
            if (size > limits.maxBytes && size !== 0xffffffff) expect(e.code).toBe("NNX3067");
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("names that are JavaScript object keys", () => {
  const positions = [
    (k: string) => `inputs:\n  ${k}: { shape: [2, 8] }\nlayers:\n  - { name: fc, type: Linear, out_features: 4 }\n`,
    (k: string) => `inputs:\n  x: { shape: [2, 8] }\nlayers:\n  - { name: ${k}, type: relu }\noutputs: [${k}]\n`,
    (k: string) => `inputs:\n  x: { shape: [2, 8] }\nlayers:\n  - { name: fc, type: relu }\noutputs:\n  ${k}: fc\n`,
    (k: string) => `inputs:\n  x: { shape: [${k}, 8] }\ndims:\n  ${k}: { min: 2 }\nlayers:\n  - { type: relu }\n`,
    (k: string) => `inputs:\n  x: { shape: [2, 8] }\nlayers:\n  - { type: relu, input: ${k} }\n`,
    (k: string) => `inputs:\n  x: { shape: [2, 8] }\nlayers:\n  - { type: attend, embed: ${k} }\n`,
  ];
  it("are checked as names like any other: a model or diagnostics, never a throw or a prototype's member", () => {
    fc.assert(
      fc.property(fc.constantFrom(...OBJECT_KEYS), fc.nat({ max: positions.length - 1 }), (k, p) => {
        const checked = checkSpecText("keys.yaml", `nnx_gen: 1\nmodel: Keys\n${positions[p]!(k)}`);
        for (const d of checked.diagnostics) expect(d.message).not.toMatch(/NaN|\[object Object\]|native code/);
        if (checked.model) {
          const names = [...checked.model.inputs.map((i) => i.name), ...checked.model.layers.map((l) => l.name), ...checked.model.outputs.map((o) => o.name)];
          if (p <= 2) expect(names).toContain(k);
          for (const c of Object.values(checked.model.dims)) expect(typeof c.min).toBe("number");
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("huge key counts", () => {
  it("are read in one linear pass that still finds every duplicate key, at its line", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 20_000 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n - 1 }), fc.nat({ max: n - 1 }))), ([n, at, copy]) => {
        const lines = manyKeysSpec(n).split("\n");
        const first = 7; // the line index of k0
        const dupOf = Math.min(copy, at - 1);
        lines[first + at] = `  k${dupOf}: { min: 1 }`;
        const dups = checkSpecText("keys.yaml", lines.join("\n")).diagnostics.filter((d) => d.code === "NNX1002");
        expect(dups.map((d) => [d.line, d.message])).toEqual([[first + at + 1, `duplicate key "k${dupOf}": keys must be unique in a mapping`]]);
      }),
      { numRuns: 5 },
    );
  }, 60_000);
});

describe("special files", () => {
  it("are refused, never read forever or waited on", async () => {
    const fifo = t.path("pipe");
    mkfifoSync(fifo);
    const special = ["/dev/zero", "/dev/null", "/dev/urandom", fifo, t.dir];
    // Links with the extensions the readers want, so the special file itself is opened.
    const linked = (file: string, ext: string) => {
      const link = t.path(`${file.replace(/\W+/g, "_")}${ext}`);
      if (!existsSync(link)) symlinkSync(file, link);
      return link;
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...special), fc.constantFrom("spec", "params", "input"), async (target, what) => {
        const file = what === "spec" ? target : linked(target, what === "params" ? ".safetensors" : ".npy");
        if (what === "spec") {
          const d = checkSpecFile(file).diagnostics;
          expect(d.map((x) => x.code)).toEqual(["NNX1004"]);
          return;
        }
        const read = what === "params" ? readParamsFile(`${file}`, limitsFor(1, 16)) : readInputFile(file, "float32");
        await expect(read).rejects.toMatchObject({ code: "NNX3001" });
      }),
      { numRuns: 30 },
    );
  }, 30_000);
});
