/**
 * Parameters initialized from a seed follow Flax's initializers, layer kind by layer kind: the
 * fan rules (Conv receptive field and feature groups, LinearGeneral's flat kernel with its batch
 * axes, Embed's out_axis=0), the distributions (truncated with JAX's 0.8796 correction, plain
 * normal, uniform) and the explicit `kernel_init`s of a spec. Checked on the file that
 * `run --save-params` writes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../src/io/safetensors.js";
import { initializeParams } from "../../src/params/store.js";
import type { Tensor } from "../../src/tensor.js";
import { ksCritical, ksStatistic, moments } from "../params/stats.js";
import { cli, expectOk, loadModel, sharedTempDir, writeSpec } from "./helpers.js";

/** Standard deviation of N(0, 1) truncated to (-2, 2). */
const TRUNC = 0.87962566103423978;

let params: Map<string, Tensor>;
let params1: Map<string, Tensor>;

const SPEC = `
model: InitStats
inputs:
  image: { shape: [1, 4, 4, 16], dtype: float32 }
  v: { shape: [1, 512], dtype: float32 }
  g: { shape: [4, 8, 32], dtype: float32 }
  ids: { shape: [1, 3], dtype: int32 }
layers:
  - { name: conv, type: Conv, input: image, out_features: 64, kernel_size: [3, 3] }
  - { name: gconv, type: Conv, input: image, out_features: 256, kernel_size: [3, 3], feature_group_count: 4 }
  - { name: lin, type: Linear, input: v, out_features: 256 }
  - name: lg
    type: LinearGeneral
    input: g
    in_features: [8, 32]
    out_features: 256
    axis: [1, 2]
    batch_axis: {0: 4}
  - { name: embed, type: Embed, input: ids, num_embeddings: 1000, features: 64 }
  - { name: normal, type: Linear, input: v, out_features: 256, kernel_init: { name: normal, stddev: 0.02 } }
  - { name: glorot, type: Linear, input: v, out_features: 256, kernel_init: glorot_uniform }
  - { name: he, type: Linear, input: v, out_features: 256, kernel_init: he_normal }
  - { name: const, type: Linear, input: v, out_features: 8, kernel_init: { name: constant, value: 0.5 }, bias_init: ones }
  - { name: one, type: Linear, input: v, out_features: 8, kernel_init: ones }
  - name: vs
    type: Linear
    input: v
    out_features: 256
    kernel_init: { name: variance_scaling, scale: 2.0, mode: fan_out, distribution: uniform }
outputs: [conv, gconv, lin, lg, embed, normal, glorot, he, const, one, vs]
`;

const t = sharedTempDir("init", async () => {
  const spec = writeSpec(t, "init.yaml", SPEC);
  const file = t.path("p.safetensors");
  const r = await cli("run", spec, "--seed", "0", "--out", t.path("out"), "--save-params", file);
  expectOk(r);
  params = readSafetensors(readFileSync(file), file);
  params1 = initializeParams(loadModel(spec), 1);
});

interface Stats {
  n: number;
  mean: number;
  std: number;
  kurtosis: number;
  maxAbs: number;
  values: Float64Array;
}

function stats(p: Tensor): Stats {
  expect(p.dtype).toBe("float32");
  const xs = Float64Array.from(p.data as Float32Array);
  const { mean, std, kurtosis, min, max } = moments(xs);
  return { n: xs.length, mean, std, kurtosis, maxAbs: Math.max(-min, max), values: xs };
}

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
  const s = Math.sign(x);
  const a = Math.abs(x);
  const k = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k * Math.exp(-a * a);
  return s * y;
}
const phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** Kolmogorov–Smirnov distance to `cdf`, and the critical value at alpha = 1e-4. */
function ks(xs: Float64Array, cdf: (x: number) => number): { d: number; critical: number } {
  return { d: ksStatistic(xs, cdf), critical: ksCritical(xs.length) };
}

/** lecun/he-style truncated normal: std `sigma`, support ±2·sigma/0.8796. */
function expectTruncatedNormal(p: Tensor, sigma: number, what: string): void {
  const s = stats(p);
  const bound = (2 * sigma) / TRUNC;
  expect(Math.abs(s.std / sigma - 1), `${what}: std ${s.std} vs ${sigma}`).toBeLessThan(0.03);
  expect(Math.abs(s.mean), `${what}: mean`).toBeLessThan((5 * sigma) / Math.sqrt(s.n));
  expect(s.maxAbs, `${what}: truncated at ${bound}`).toBeLessThanOrEqual(bound * (1 + 1e-6));
  expect(s.maxAbs, `${what}: reaches the truncation bound`).toBeGreaterThan(0.97 * bound);
  expect(Math.abs(s.kurtosis - 2.3663), `${what}: kurtosis ${s.kurtosis}`).toBeLessThan(0.15);
  const scale = sigma / TRUNC;
  const mass = phi(2) - phi(-2);
  const { d, critical } = ks(s.values, (x) => Math.min(1, Math.max(0, (phi(x / scale) - phi(-2)) / mass)));
  expect(d, `${what}: KS distance to the truncated normal`).toBeLessThan(critical);
}

function expectNormal(p: Tensor, sigma: number, what: string): void {
  const s = stats(p);
  expect(Math.abs(s.std / sigma - 1), `${what}: std ${s.std} vs ${sigma}`).toBeLessThan(0.03);
  expect(Math.abs(s.mean), `${what}: mean`).toBeLessThan((5 * sigma) / Math.sqrt(s.n));
  // Not truncated: values beyond 2·sigma (and beyond lecun's 2.27·sigma bound) occur.
  const beyond = s.values.filter((x) => Math.abs(x) > 2.5 * sigma).length;
  expect(beyond / s.n, `${what}: share beyond 2.5 sigma`).toBeGreaterThan(0.008);
  expect(Math.abs(s.kurtosis - 3), `${what}: kurtosis ${s.kurtosis}`).toBeLessThan(0.15);
  const { d, critical } = ks(s.values, (x) => phi(x / sigma));
  expect(d, `${what}: KS distance to the normal`).toBeLessThan(critical);
}

function expectUniform(p: Tensor, limit: number, what: string): void {
  const s = stats(p);
  expect(s.maxAbs, `${what}: within ±${limit}`).toBeLessThanOrEqual(limit * (1 + 1e-6));
  expect(s.maxAbs, `${what}: fills ±${limit}`).toBeGreaterThan(0.995 * limit);
  expect(Math.abs(s.std / (limit / Math.sqrt(3)) - 1), `${what}: std`).toBeLessThan(0.03);
  expect(Math.abs(s.kurtosis - 1.8), `${what}: kurtosis ${s.kurtosis}`).toBeLessThan(0.1);
  const { d, critical } = ks(s.values, (x) => Math.min(1, Math.max(0, (x + limit) / (2 * limit))));
  expect(d, `${what}: KS distance to the uniform`).toBeLessThan(critical);
}

function expectConstant(p: Tensor, value: number, what: string): void {
  const d = p.data as Float32Array;
  expect(d.length, what).toBeGreaterThan(0);
  expect(
    d.every((x) => x === value),
    `${what}: all ${value}`,
  ).toBe(true);
}

const get = (m: Map<string, Tensor>, name: string): Tensor => {
  const p = m.get(name);
  if (!p) throw new Error(`no parameter ${name} (have ${[...m.keys()].join(", ")})`);
  return p;
};

describe("default initializers, per layer kind", () => {
  it("Conv kernel (3, 3, 16, 64): lecun_normal, fan_in 3*3*16", () => {
    for (const [seed, m] of [[0, params], [1, params1]] as const) {
      expect(get(m, "conv.kernel").shape).toEqual([3, 3, 16, 64]);
      expectTruncatedNormal(get(m, "conv.kernel"), Math.sqrt(1 / (3 * 3 * 16)), `conv.kernel seed ${seed}`);
    }
  });

  it("Conv with feature_group_count 4: kernel (3, 3, 4, 256), fan_in 3*3*(16/4)", () => {
    expect(get(params, "gconv.kernel").shape).toEqual([3, 3, 4, 256]);
    expectTruncatedNormal(get(params, "gconv.kernel"), Math.sqrt(1 / (9 * 4)), "gconv.kernel");
  });

  it("Linear 512 -> 256: lecun_normal, fan_in 512", () => {
    expect(get(params, "lin.kernel").shape).toEqual([512, 256]);
    expectTruncatedNormal(get(params, "lin.kernel"), Math.sqrt(1 / 512), "lin.kernel");
  });

  it("LinearGeneral in [8, 32], out 256, batch_axis {0: 4}: kernel (4, 8, 32, 256), flat init with fan_in 4*8*32", () => {
    expect(get(params, "lg.kernel").shape).toEqual([4, 8, 32, 256]);
    expect(get(params, "lg.bias").shape).toEqual([4, 256]);
    expectTruncatedNormal(get(params, "lg.kernel"), Math.sqrt(1 / (4 * 8 * 32)), "lg.kernel");
  });

  it("Embed (1000, 64): variance_scaling(1, fan_in, normal, out_axis=0), std sqrt(1/64), not truncated", () => {
    expect(get(params, "embed.embedding").shape).toEqual([1000, 64]);
    for (const [seed, m] of [[0, params], [1, params1]] as const) {
      expectNormal(get(m, "embed.embedding"), Math.sqrt(1 / 64), `embed.embedding seed ${seed}`);
    }
  });

  it("biases are zeros", () => {
    for (const name of ["conv", "gconv", "lin", "lg", "normal", "glorot", "he", "one", "vs"]) {
      expectConstant(get(params, `${name}.bias`), 0, `${name}.bias`);
    }
    expect(get(params, "conv.bias").shape).toEqual([64]);
    expect(get(params, "gconv.bias").shape).toEqual([256]);
    expect(params.has("embed.bias")).toBe(false);
  });
});

describe("initializers named in the spec", () => {
  it("{name: normal, stddev: 0.02}: plain normal", () => {
    expectNormal(get(params, "normal.kernel"), 0.02, "normal.kernel");
  });

  it("glorot_uniform: U(±sqrt(3 / fan_avg))", () => {
    expectUniform(get(params, "glorot.kernel"), Math.sqrt(3 / ((512 + 256) / 2)), "glorot.kernel");
  });

  it("he_normal: truncated normal with std sqrt(2 / fan_in)", () => {
    expectTruncatedNormal(get(params, "he.kernel"), Math.sqrt(2 / 512), "he.kernel");
  });

  it("{name: constant, value: 0.5} and ones", () => {
    expectConstant(get(params, "const.kernel"), 0.5, "const.kernel");
    expectConstant(get(params, "const.bias"), 1, "const.bias (bias_init: ones)");
    expectConstant(get(params, "one.kernel"), 1, "one.kernel");
  });

  it("{name: variance_scaling, scale: 2, mode: fan_out, distribution: uniform}: U(±sqrt(3 * 2 / fan_out))", () => {
    expectUniform(get(params, "vs.kernel"), Math.sqrt((3 * 2) / 256), "vs.kernel");
  });

  it("each parameter has its own stream: same-shaped kernels differ", () => {
    const a = get(params, "lin.kernel").data as Float32Array;
    const b = get(params1, "lin.kernel").data as Float32Array;
    const c = get(params, "he.kernel").data as Float32Array;
    const scaled = Float32Array.from(a, (x) => x * Math.SQRT2);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(false);
    // he_normal is lecun_normal * sqrt(2) in distribution, but not the same draws
    expect(c.some((x, i) => Math.abs(x - scaled[i]!) > 1e-6)).toBe(true);
  });
});
