/**
 * Every Flax parity case (fixtures/parity, from the independent NumPy oracle) runs through the
 * built CLI in a child process, from .safetensors and from .npz / .msgpack where present,
 * and matches within the case's tolerance (NaN where the oracle has NaN).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readNpy } from "../../src/io/npy.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const CASES = join(ROOT, "fixtures/parity");
const BIN = join(ROOT, "bin/nnx-gen.js");

interface Case {
  name: string;
  about: string;
  inputs: string[];
  outputs: string[];
  atol: number;
  rtol: number;
}

const cases = JSON.parse(readFileSync(join(CASES, "cases.json"), "utf8")) as Case[];

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (Number.isNaN(w)) {
      if (!Number.isNaN(g)) expect.fail(`element ${i}: got ${g}, want NaN`);
    } else if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      expect.fail(`element ${i}: got ${g}, want ${w} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

function runCase(c: Case, params: string): string {
  const dir = join(CASES, c.name);
  const out = mkdtempSync(join(tmpdir(), `parity-${c.name}-`));
  const args = [BIN, "run", join(dir, "spec.yaml"), "--params", join(dir, params), "--out", out];
  for (const i of c.inputs) args.push("--input", `${i}=${join(dir, `${i}.npy`)}`);
  execFileSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return out;
}

describe("Flax parity through the built CLI", () => {
  it("covers every case folder", () => {
    const dirs = readdirSync(CASES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(dirs).toEqual(cases.map((c) => c.name).sort());
  });
  for (const c of cases) {
    const formats = ["params.safetensors", "params.npz", "params.msgpack"].filter((f) => existsSync(join(CASES, c.name, f)));
    for (const params of formats) {
      it(`${c.name} (${params}): ${c.about}`, () => {
        const out = runCase(c, params);
        for (const o of c.outputs) {
          const want = readNpy(readFileSync(join(CASES, c.name, "expected", `${o}.npy`)), o);
          const got = readNpy(readFileSync(join(out, `${o}.npy`)), o);
          expect(got.dtype).toBe(want.dtype);
          expect([...got.shape]).toEqual([...want.shape]);
          expectClose(got.data as Float32Array, want.data as Float32Array, c.atol, c.rtol);
        }
      });
    }
  }
});
