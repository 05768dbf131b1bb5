/**
 * Naive reference implementations (plain loops, float64) of the Flax/JAX ops the runtime
 * lowers, written from the semantics notes, to check the ONNX graphs against.
 */

export interface Arr {
  shape: number[];
  data: Float64Array;
}

export function arr(shape: number[], data?: ArrayLike<number>): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`arr: ${data.length} values for shape ${shape}`);
    d.set(Array.from(data));
  }
  return { shape, data: d };
}

/** Deterministic pseudo-random values in [-1, 1) (a small LCG, seedable). */
export function rand(shape: number[], seed: number): Arr {
  const a = arr(shape);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < a.data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a.data[i] = s / 2 ** 31 - 1;
  }
  return a;
}

function stridesOf(shape: number[]): number[] {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function unravel(i: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a]!;
    i = Math.floor(i / shape[a]!);
  }
  return idx;
}

export type PadMode = "constant" | "wrap" | "reflect";

/** numpy pad of the spatial axes of an (N, spatial..., C) array; negative pads crop. */
export function padRef(x: Arr, pads: [number, number][], mode: PadMode = "constant"): Arr {
  const r = pads.length;
  const outShape = x.shape.map((n, a) => (a >= 1 && a <= r ? n + pads[a - 1]![0] + pads[a - 1]![1] : n));
  const out = arr(outShape);
  const st = stridesOf(x.shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, outShape);
    let off = 0;
    let inside = true;
    for (let a = 0; a < idx.length; a++) {
      let q = idx[a]!;
      if (a >= 1 && a <= r) {
        const n = x.shape[a]!;
        q -= pads[a - 1]![0];
        if (q < 0 || q >= n) {
          if (mode === "constant") inside = false;
          else if (mode === "wrap") q = ((q % n) + n) % n;
          else if (n === 1) q = 0;
          else {
            // numpy reflect, any pad length: periodic reflection with period 2(n-1).
            const p = 2 * (n - 1);
            q = ((q % p) + p) % p;
            if (q >= n) q = p - q;
          }
        }
      }
      off += q * st[a]!;
    }
    out.data[i] = inside ? x.data[off]! : 0;
  }
  return out;
}

export interface ConvRefOptions {
  strides?: number[];
  lhsDilation?: number[];
  rhsDilation?: number[];
  /** Explicit (lo, hi) pads applied after lhs dilation; negative crops. */
  pads?: [number, number][];
  groups?: number;
  bias?: Arr;
}

/** lax.conv_general_dilated with NHWC input (one batch dim), HWIO kernel. */
export function convRef(x: Arr, w: Arr, o: ConvRefOptions = {}): Arr {
  const r = w.shape.length - 2;
  const ones = new Array<number>(r).fill(1);
  const s = o.strides ?? ones, ld = o.lhsDilation ?? ones, rd = o.rhsDilation ?? ones;
  const pads = o.pads ?? ones.map(() => [0, 0] as [number, number]);
  const G = o.groups ?? 1;
  const [N, C] = [x.shape[0]!, x.shape[r + 1]!];
  const K = w.shape.slice(0, r), Cg = w.shape[r]!, O = w.shape[r + 1]!;
  if (C !== Cg * G) throw new Error("convRef: channel mismatch");
  const nIn = x.shape.slice(1, r + 1);
  const nDil = nIn.map((n, i) => (n === 0 ? 0 : 1 + ld[i]! * (n - 1)));
  const outSp = nDil.map((n, i) => Math.max(0, Math.floor((n + pads[i]![0] + pads[i]![1] - ((K[i]! - 1) * rd[i]! + 1)) / s[i]!) + 1));
  const out = arr([N, ...outSp, O]);
  const xs = stridesOf(x.shape), ws = stridesOf(w.shape);
  const kCount = K.reduce((a, b) => a * b, 1);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, out.shape);
    const b = idx[0]!, f = idx[r + 1]!;
    const g = Math.floor(f / (O / G));
    let acc = o.bias ? o.bias.data[f]! : 0;
    for (let kk = 0; kk < kCount; kk++) {
      const kIdx = unravel(kk, K);
      let off = b * xs[0]!;
      let ok = true;
      for (let a = 0; a < r; a++) {
        const p = idx[a + 1]! * s[a]! + kIdx[a]! * rd[a]! - pads[a]![0];
        if (p < 0 || p >= nDil[a]! || p % ld[a]! !== 0) { ok = false; break; }
        off += (p / ld[a]!) * xs[a + 1]!;
      }
      if (!ok) continue;
      let woff = 0;
      for (let a = 0; a < r; a++) woff += kIdx[a]! * ws[a]!;
      for (let c = 0; c < Cg; c++) acc += x.data[off + (g * Cg + c)]! * w.data[woff + c * ws[r]! + f]!;
    }
    out.data[i] = acc;
  }
  return out;
}

/** jax.lax.padtype_to_pads SAME. */
export function samePadsRef(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const t = Math.max(0, (out - 1) * s + k - n);
  return [Math.floor(t / 2), t - Math.floor(t / 2)];
}

/** flax avg_pool / max_pool on (N, spatial..., C), explicit pads already resolved. */
export function poolRef(x: Arr, window: number[], strides: number[], pads: [number, number][], kind: "max" | "avg", countIncludePad = true): Arr {
  const r = window.length;
  const nIn = x.shape.slice(1, r + 1);
  const outSp = nIn.map((n, i) => Math.floor((n + pads[i]![0] + pads[i]![1] - window[i]!) / strides[i]!) + 1);
  const out = arr([x.shape[0]!, ...outSp, x.shape[r + 1]!]);
  const xs = stridesOf(x.shape);
  const wCount = window.reduce((a, b) => a * b, 1);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, out.shape);
    let acc = kind === "max" ? -Infinity : 0;
    let count = 0;
    for (let kk = 0; kk < wCount; kk++) {
      const kIdx = unravel(kk, window);
      let off = idx[0]! * xs[0]! + idx[r + 1]!;
      let ok = true;
      for (let a = 0; a < r; a++) {
        const p = idx[a + 1]! * strides[a]! + kIdx[a]! - pads[a]![0];
        if (p < 0 || p >= nIn[a]!) { ok = false; break; }
        off += p * xs[a + 1]!;
      }
      if (!ok) continue;
      count++;
      acc = kind === "max" ? Math.max(acc, x.data[off]!) : acc + x.data[off]!;
    }
    out.data[i] = kind === "max" ? acc : acc / (countIncludePad ? wCount : count);
  }
  return out;
}

/** einsum over explicit subscripts (no ellipsis), two operands. */
export function einsumRef(eq: string, a: Arr, b: Arr): Arr {
  const [lhs, out] = eq.split("->") as [string, string];
  const [sa, sb] = lhs.split(",") as [string, string];
  const size = new Map<string, number>();
  [...sa].forEach((c, i) => size.set(c, a.shape[i]!));
  [...sb].forEach((c, i) => size.set(c, b.shape[i]!));
  const letters = [...size.keys()];
  const outShape = [...out].map((c) => size.get(c)!);
  const res = arr(outShape);
  const total = letters.reduce((p, c) => p * size.get(c)!, 1);
  const as = stridesOf(a.shape), bs = stridesOf(b.shape), os = stridesOf(outShape);
  for (let i = 0; i < total; i++) {
    const v = unravel(i, letters.map((c) => size.get(c)!));
    const at = (c: string): number => v[letters.indexOf(c)]!;
    let ao = 0, bo = 0, oo = 0;
    [...sa].forEach((c, k) => (ao += at(c) * as[k]!));
    [...sb].forEach((c, k) => (bo += at(c) * bs[k]!));
    [...out].forEach((c, k) => (oo += at(c) * os[k]!));
    res.data[oo]! += a.data[ao]! * b.data[bo]!;
  }
  return res;
}
