/**
 * Parity cases (spec, params, inputs, expected outputs; tolerances in cases.json) run through
 * the built CLI in a child process and compared with the oracle's outputs.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { readNpy } from "../../src/io/npy.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin/nnx-gen.js");

export interface ParityCase {
  name: string;
  about: string;
  inputs: string[];
  outputs: string[];
  atol: number;
  rtol: number;
  /** The dtype cases (cases_dtypes.py): each output's dtype, and the tolerance in its ulps. */
  dtypes?: Record<string, string>;
  ulps?: number;
}

/** |got - want| <= atol + rtol·|want|; NaN where the oracle has NaN; the same infinity. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (Number.isNaN(w)) {
      if (!Number.isNaN(g)) expect.fail(`element ${i}: got ${g}, want NaN`);
    } else if (!Number.isFinite(w)) {
      if (g !== w) expect.fail(`element ${i}: got ${g}, want ${w}`);
    } else if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
      expect.fail(`element ${i}: got ${g}, want ${w} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

/** The float types whose outputs are compared in ulps. float16 arrives as raw bits (readNpy keeps
 * them in a Uint16Array); bfloat16 as float32 values, since `.npy` outputs of bfloat16 are written
 * as float32 (exact). */
export type UlpDtype = "float32" | "float16" | "bfloat16";

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function f32Bits(v: number): number {
  F32[0] = v;
  return U32[0]!;
}

/** The bits of an element as its dtype stores them (bfloat16: the high half of the float32). */
function elementBits(v: number, dtype: UlpDtype): number {
  if (dtype === "float16") return v;
  return dtype === "bfloat16" ? f32Bits(v) >>> 16 : f32Bits(v);
}

/** Integers in value order, consecutive for neighbouring values of the dtype; +0 and -0 are 0. */
function ordinal(bits: number, dtype: UlpDtype): number {
  const sign = dtype === "float32" ? 0x80000000 : 0x8000;
  const magnitude = bits & (sign - 1);
  return (bits & sign) !== 0 ? -magnitude : magnitude;
}

function isNaNBits(bits: number, dtype: UlpDtype): boolean {
  const [exp, man] = dtype === "float32" ? [0x7f800000, 0x007fffff] : dtype === "float16" ? [0x7c00, 0x03ff] : [0x7f80, 0x007f];
  return (bits & exp) === exp && (bits & man) !== 0;
}

function isInfBits(bits: number, dtype: UlpDtype): boolean {
  const [exp, man] = dtype === "float32" ? [0x7f800000, 0x007fffff] : dtype === "float16" ? [0x7c00, 0x03ff] : [0x7f80, 0x007f];
  return (bits & exp) === exp && (bits & man) === 0;
}

function show(bits: number, v: number, dtype: UlpDtype): string {
  return dtype === "float16" ? `0x${bits.toString(16).padStart(4, "0")}` : `${v}`;
}

/**
 * The first element where `got` is not within `ulps` ulps of `want` in `dtype` (as a message), or
 * undefined. A bfloat16 output must hold bfloat16 values (a float32 result that was never rounded
 * fails whatever the tolerance); NaN must be NaN; an infinity the same infinity.
 */
export function ulpMismatch(got: ArrayLike<number>, want: ArrayLike<number>, dtype: UlpDtype, ulps: number): string | undefined {
  if (got.length !== want.length) return `${got.length} elements, want ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const gv = got[i]!;
    const wv = want[i]!;
    const g = elementBits(gv, dtype);
    const w = elementBits(wv, dtype);
    if (dtype === "bfloat16" && !Number.isNaN(gv) && (f32Bits(gv) & 0xffff) !== 0) {
      return `element ${i}: got ${gv}, which is not a bfloat16 value (not rounded to bfloat16)`;
    }
    if (isNaNBits(w, dtype) || isNaNBits(g, dtype)) {
      if (isNaNBits(w, dtype) !== isNaNBits(g, dtype)) return `element ${i}: got ${show(g, gv, dtype)}, want ${show(w, wv, dtype)} (NaN)`;
      continue;
    }
    if (isInfBits(w, dtype) || isInfBits(g, dtype)) {
      if (g !== w) return `element ${i}: got ${show(g, gv, dtype)}, want ${show(w, wv, dtype)} (infinity)`;
      continue;
    }
    const d = Math.abs(ordinal(g, dtype) - ordinal(w, dtype));
    if (d > ulps) return `element ${i}: got ${show(g, gv, dtype)}, want ${show(w, wv, dtype)}: ${d} ulps of ${dtype} apart (tolerance ${ulps})`;
  }
  return undefined;
}

/** A tensor as the suites hold one (Tensor, or the plain copy a browser page returns). */
export interface OutputTensor {
  dtype: string;
  shape: readonly number[];
  data: ArrayLike<number | bigint>;
}

/** bfloat16 raw bits -> their float32 values (exact). */
function bf16BitsToValues(bits: ArrayLike<number | bigint>): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = (Number(bits[i]) << 16) >>> 0;
  return new Float32Array(u.buffer);
}

/**
 * One output of a parity case against its expected file. The dtype cases (`ulps` in cases.json)
 * compare in ulps of the output's dtype: float16 as raw bits; bfloat16 expected as float32
 * values, got either so (a CLI `.npy`) or as raw bfloat16 bits (an in-process run). Every other
 * case: the same dtype and |got - want| <= atol + rtol·|want|.
 */
export function expectParityOutput(c: ParityCase, o: string, got: OutputTensor, want: OutputTensor): void {
  expect([...got.shape], `shape of ${o}`).toEqual([...want.shape]);
  const dtype = c.dtypes?.[o];
  if (c.ulps !== undefined && (dtype === "float32" || dtype === "float16" || dtype === "bfloat16")) {
    expect(want.dtype, `expected ${o}: bfloat16 is stored as float32`).toBe(dtype === "bfloat16" ? "float32" : dtype);
    let values = got.data as ArrayLike<number>;
    if (dtype === "bfloat16" && got.dtype === "bfloat16") values = bf16BitsToValues(got.data);
    else expect(got.dtype, `dtype of ${o}`).toBe(want.dtype);
    const bad = ulpMismatch(values, want.data as ArrayLike<number>, dtype, c.ulps);
    if (bad !== undefined) expect.fail(`${o} (${dtype}): ${bad}`);
    return;
  }
  expect(got.dtype, `dtype of ${o}`).toBe(want.dtype);
  expectClose(Array.from(got.data, Number), Array.from(want.data, Number), c.atol, c.rtol);
}

/**
 * One describe block: every case of `fixtures/<folder>`, from each parameter format it has, and
 * with `fallbackBinding` once more on onnxruntime-node's binding instead of nnx-gen's.
 */
export function paritySuite(title: string, folder: string, options: { fallbackBinding?: boolean } = {}): void {
  const casesDir = join(ROOT, "fixtures", folder);
  const cases = JSON.parse(readFileSync(join(casesDir, "cases.json"), "utf8")) as ParityCase[];
  const outDirs: string[] = [];

  // Asynchronous: hundreds of synchronous child processes in a row starve the worker of the
  // event loop, and vitest's RPC to it times out.
  const runCase = async (c: ParityCase, params: string, env: NodeJS.ProcessEnv = process.env): Promise<string> => {
    const dir = join(casesDir, c.name);
    const out = mkdtempSync(join(tmpdir(), `${folder}-${c.name}-`));
    outDirs.push(out);
    const args = [BIN, "run", join(dir, "spec.yaml"), "--params", join(dir, params), "--out", out];
    for (const i of c.inputs) args.push("--input", `${i}=${join(dir, `${i}.npy`)}`);
    try {
      await promisify(execFile)(process.execPath, args, { encoding: "utf8", env });
    } catch (e) {
      const err = e as { code?: number | string; stdout?: string; stderr?: string };
      expect.fail(`nnx-gen run exited ${err.code}:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
    }
    return out;
  };

  describe(title, () => {
    afterAll(() => {
      for (const d of outDirs) rmSync(d, { recursive: true, force: true });
    });

    it("covers every case folder, each with its spec, params, inputs and expected outputs", () => {
      const dirs = readdirSync(casesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
      expect(dirs).toEqual(cases.map((c) => c.name).sort());
      for (const c of cases) {
        const files = ["spec.yaml", "params.safetensors", ...c.inputs.map((i) => `${i}.npy`), ...c.outputs.map((o) => `expected/${o}.npy`)];
        for (const f of files) expect(existsSync(join(casesDir, c.name, f)), `${c.name}/${f}`).toBe(true);
      }
    });

    const expectOutputs = (c: ParityCase, out: string): void => {
      for (const o of c.outputs) {
        const want = readNpy(readFileSync(join(casesDir, c.name, "expected", `${o}.npy`)), o);
        const got = readNpy(readFileSync(join(out, `${o}.npy`)), o);
        expectParityOutput(c, o, got, want);
      }
    };

    for (const c of cases) {
      const formats = ["params.safetensors", "params.npz", "params.msgpack"].filter((f) => existsSync(join(casesDir, c.name, f)));
      for (const params of formats) {
        // nnx-gen's binding with outputs written in place, as `bench` runs (a plain `run` copies them).
        it(`${c.name} (${params}): ${c.about}`, async () => expectOutputs(c, await runCase(c, params, { ...process.env, NNX_GEN_OUTPUTS: "in-place" })));
      }
      if (options.fallbackBinding) {
        it(`${c.name} on onnxruntime-node's binding`, async () => expectOutputs(c, await runCase(c, "params.safetensors", { ...process.env, NNX_GEN_BINDING: "onnxruntime-node" })));
      }
    }
  });
}
