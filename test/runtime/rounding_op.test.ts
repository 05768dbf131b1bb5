/**
 * The native binding's one-pass bfloat16 rounding (native/nnx_ort.c RoundBFloat16, swapped in for
 * Cast pairs by onnx/fuse_rounding.ts) gives the bits onnxruntime's Cast(to=BFLOAT16) ->
 * Cast(to=FLOAT) gives, on every class of float32: every exponent and sign with the low 16 bits
 * at the tie, either side of it, zero and all ones (so ties to even and odd, overflow to
 * infinity, subnormals, infinities and every NaN payload's high half), and random patterns.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ADDON_PATH, nativeBackend } from "../../src/node/native.js";
import { ortBackend } from "../../src/node/ort.js";
import { GraphBuilder } from "../../src/runtime/onnx/graph.js";
import { ROUNDING_DOMAIN } from "../../src/runtime/onnx/fuse_rounding.js";
import { tensor } from "../../src/tensor.js";
import { decodeModel } from "./onnx_decode.js";

const LOW = [0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xffff, 0x4000, 0xc000];

function patterns(): Uint32Array {
  const out = new Uint32Array(65536 * (LOW.length + 2));
  let k = 0;
  let seed = 0x9e3779b9;
  for (let hi = 0; hi < 65536; hi++) {
    for (const lo of LOW) out[k++] = ((hi << 16) | lo) >>> 0;
    for (let r = 0; r < 2; r++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      out[k++] = ((hi << 16) | (seed >>> 16)) >>> 0;
    }
  }
  return out;
}

/** Round to nearest even on the bits; a NaN: the quiet NaN of its sign, as onnxruntime's Cast pair gives. */
function reference(u: number): number {
  if ((u & 0x7fffffff) >>> 0 > 0x7f800000) return ((u & 0x80000000) | 0x7fc00000) >>> 0;
  return ((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000) >>> 0;
}

function graph(roundingOp: boolean): Uint8Array {
  const g = new GraphBuilder();
  const x = g.node("Neg", [g.node("Neg", [g.input("x", "float32", ["n"])])]);
  g.output(g.roundTo(x, "bfloat16"), "y", "float32", ["n"]);
  return g.build({ roundingOp, externalAbove: Infinity }).bytes;
}

/** x [rows, d] -> round -> + b [c] -> round, as a 16-bit Linear's bias add lowers. */
function biasGraph(roundingOp: boolean, d: number, b: Float32Array, relu = false): Uint8Array {
  const g = new GraphBuilder();
  // x * 1 first: an intermediate, whose buffer the op may take over (in place), as in a model.
  const x = g.node("Mul", [g.input("x", "float32", ["rows", d]), g.constant(tensor("float32", [], [1]), "one")]);
  const sum = g.node("Add", [g.roundTo(x, "bfloat16"), g.constant(tensor("float32", [b.length], b), "bias")]);
  const y = g.roundTo(sum, "bfloat16");
  g.output(relu ? g.node("Relu", [y]) : y, "y", "float32", ["rows", Math.max(d, b.length)]);
  return g.build({ roundingOp, externalAbove: Infinity }).bytes;
}

describe.skipIf(!existsSync(ADDON_PATH))("RoundBFloat16 on nnx-gen's binding", () => {
  it("replaces the Cast pair, and only where asked", () => {
    const ops = (b: Uint8Array) => decodeModel(b).graph.nodes.map((n) => `${n.domain ?? ""}:${n.op}`);
    expect(ops(graph(true))).toEqual([":Neg", ":Neg", `${ROUNDING_DOMAIN}:RoundBFloat16`]);
    expect(ops(graph(false))).toEqual([":Neg", ":Neg", ":Cast", ":Cast"]);
  });

  it("gives the bits of onnxruntime's Cast pair on every class of float32", async () => {
    const bits = patterns();
    const x = tensor("float32", [bits.length], new Float32Array(bits.buffer));
    const fused = await (await nativeBackend()).load(graph(true));
    const casts = await (await ortBackend()).load(graph(false));
    try {
      const a = new Uint32Array(((await fused.run({ x })).y!.data as Float32Array).buffer);
      const b = new Uint32Array(((await casts.run({ x })).y!.data as Float32Array).buffer);
      let mismatches = 0;
      let wrong = 0;
      for (let i = 0; i < bits.length; i++) {
        if (a[i] !== b[i]) mismatches++;
        if (a[i] !== reference(bits[i]!)) wrong++;
      }
      const diff = [...bits.keys()].filter((i) => a[i] !== b[i]).slice(0, 8).map((i) => [bits[i]!, a[i]!, b[i]!].map((v) => v.toString(16)).join(" "));
      expect(mismatches, diff.join("; ")).toBe(0);
      expect(wrong).toBe(0);
      // The classes are there: a tie rounded up to even, one kept, an overflow to infinity, a NaN.
      const at = (u: number) => a[bits.indexOf(u)];
      expect(at(0x3f818000)).toBe(0x3f820000);
      expect(at(0x3f808000)).toBe(0x3f800000);
      expect(at(0x7f7f8000)).toBe(0x7f800000);
      expect(at(0xff800001)).toBe(0xffc00000);
      expect(at(0x7fffffff)).toBe(0x7fc00000);
      expect(at(0x00018000)).toBe(0x00020000);
    } finally {
      await fused.release();
      await casts.release();
    }
  });

  it("RoundAddBFloat16 (round, bias add, round in one pass) and RoundAddReluBFloat16 give the bits of the Cast pairs, Add and Relu", async () => {
    const ops = (bytes: Uint8Array) => decodeModel(bytes).graph.nodes.map((n) => n.op);
    // Biases: ordinary, zero of both signs, one that makes ties and overflows, infinity, NaN.
    const b8 = new Float32Array([0.375, -0, 0, 1.00390625, 3.3895314e38, -Infinity, NaN, -2.5e-39]);
    const bits = patterns();
    for (const [d, b, relu] of [[8, b8, false], [1, b8, false], [8, b8.subarray(3, 4), false], [8, b8, true], [1, b8, true]] as const) {
      expect(ops(biasGraph(true, d, b, relu))).toEqual(["Mul", relu ? "RoundAddReluBFloat16" : "RoundAddBFloat16"]);
      const rows = Math.floor(bits.length / d);
      const x = tensor("float32", [rows, d], new Float32Array(bits.buffer, 0, rows * d));
      const fused = await (await nativeBackend()).load(biasGraph(true, d, b, relu));
      const casts = await (await ortBackend()).load(biasGraph(false, d, b, relu));
      try {
        const ya = (await fused.run({ x })).y!;
        const yb = (await casts.run({ x })).y!;
        expect(ya.shape).toEqual(yb.shape);
        const a = new Uint32Array((ya.data as Float32Array).buffer, 0, ya.data.length);
        const c = new Uint32Array((yb.data as Float32Array).buffer, 0, yb.data.length);
        const diff = [...a.keys()].filter((i) => a[i] !== c[i]);
        expect(diff.length, diff.slice(0, 4).map((i) => `${i}: ${a[i]!.toString(16)} vs ${c[i]!.toString(16)}`).join("; ")).toBe(0);
      } finally {
        await fused.release();
        await casts.release();
      }
    }
  });
});
