#!/usr/bin/env node
/**
 * TensorFlow.js (wasm backend, XNNPACK + SIMD; no threads in Node) peer for the nnx-gen
 * benchmark suite: runs the same spec subset as torch_peer.py and prints JSON with latency
 * samples. The .wasm files are loaded from the installed package, so nothing is downloaded.
 *
 *   node bench/peers/tfjs_peer.mjs --spec bench/models/reference_cnn.yaml --dim batch=8 [--params P.safetensors]
 *   node bench/peers/tfjs_peer.mjs --spec ... --dim batch=2 --check REF.safetensors   (from torch_peer.py --write-reference)
 *
 * Where the wasm backend has no op, the nearest equivalent is used: CAUSAL and other explicit
 * padding as conv2d explicit pads (1-D convs as 2-D with H = 1), Einsum and LinearGeneral as
 * reshape/transpose + matMul, attend as matMul with a transposed copy of the table (made once:
 * transposeB is ~10x slower on wasm). Conv/Linear followed by relu use tfjs's fused kernels,
 * its fastest path.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import YAML from "yaml";

class SpecError extends Error {}

// --- spec plan: the same rules as spec_plan.py ------------------------------------------------

const asList = (v, n = 1) => (Array.isArray(v) ? [...v] : Array(n).fill(v));
const prod = (a) => a.reduce((x, y) => x * y, 1);
const normAxes = (axis, rank) => asList(axis).map((a) => ((a % rank) + rank) % rank).sort((a, b) => a - b);

function convPadding(padding, inSizes, kernel, strides, dilation) {
  const eff = kernel.map((k, i) => (k - 1) * dilation[i] + 1);
  let pads;
  if (typeof padding === "string") {
    const p = padding.toUpperCase();
    if (p === "SAME") {
      pads = inSizes.map((n, i) => {
        const total = Math.max((Math.ceil(n / strides[i]) - 1) * strides[i] + eff[i] - n, 0);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
      });
    } else if (p === "VALID") pads = kernel.map(() => [0, 0]);
    else if (p === "CIRCULAR") pads = eff.map((e) => [Math.floor((e - 1) / 2), Math.floor(e / 2)]);
    else if (p === "CAUSAL") {
      if (kernel.length !== 1) throw new SpecError("CAUSAL padding needs a 1-D convolution");
      pads = [[eff[0] - 1, 0]];
    } else throw new SpecError(`padding ${padding} is not supported by the peers`);
  } else if (typeof padding === "number") pads = kernel.map(() => [padding, padding]);
  else pads = padding.map((p) => (Array.isArray(p) ? p : [p, p]));
  const out = inSizes.map((n, i) => Math.floor((n + pads[i][0] + pads[i][1] - eff[i]) / strides[i]) + 1);
  return { pads, out };
}

function plan(spec, dims) {
  const dim = (d) => {
    if (typeof d === "number") return d;
    if (!(d in dims)) throw new SpecError(`dim ${d} needs a value (--dim ${d}=N)`);
    return dims[d];
  };
  const shapes = {};
  const inputs = Object.entries(spec.inputs).map(([name, t]) => {
    shapes[name] = t.shape.map(dim);
    return { name, shape: shapes[name], dtype: t.dtype ?? "float32" };
  });
  const layers = [];
  const counters = {};
  let prev = inputs.length === 1 ? inputs[0].name : undefined;
  for (const raw of spec.layers) {
    const { name: given, type, input, ...f } = raw;
    const k = counters[type] ?? 0;
    counters[type] = k + 1;
    const name = given ?? `${type}_${k}`;
    const src = input ?? prev;
    if (src === undefined) throw new SpecError(`${name}: the input of the first layer of a model with several inputs must be named`);
    const srcs = Array.isArray(src) ? src : [src];
    const l = { name, type, f, src: srcs[0], srcs, inShape: shapes[srcs[0]], inShapes: srcs.map((s) => shapes[s]), dims, params: {} };
    l.outShape = infer(l, layers);
    shapes[name] = l.outShape;
    layers.push(l);
    prev = name;
  }
  const out = spec.outputs ?? [layers.at(-1).name];
  const outputs = Array.isArray(out) ? out.map((o) => [o, o]) : Object.entries(out);
  return { inputs, layers, outputs };
}

function infer(l, done) {
  const { type: t, f, inShape: x } = l;
  switch (t) {
    case "Conv": {
      const ks = asList(f.kernel_size);
      const rank = ks.length;
      if (asList(f.input_dilation ?? 1, rank).some((d) => d !== 1) || f.mask) {
        throw new SpecError(`${l.name}: input_dilation and masks are not supported by the peers`);
      }
      const cout = f.out_features ?? f.features;
      l.strides = asList(f.strides ?? 1, rank);
      l.dilation = asList(f.kernel_dilation ?? 1, rank);
      l.groups = f.feature_group_count ?? 1;
      const padding = f.padding ?? "SAME";
      l.circular = typeof padding === "string" && padding.toUpperCase() === "CIRCULAR";
      // Flax: leading axes beyond the kernel's rank are batch axes.
      l.batchShape = x.slice(0, x.length - rank - 1);
      const { pads, out } = convPadding(padding, x.slice(x.length - rank - 1, -1), ks, l.strides, l.dilation);
      l.pads = pads;
      l.rank = rank;
      l.params.kernel = [...ks, x.at(-1) / l.groups, cout];
      if (f.use_bias ?? true) l.params.bias = [cout];
      return [...l.batchShape, ...out, cout];
    }
    case "ConvTranspose": {
      // lax.conv_transpose: the input dilated by the strides, window stride 1, no kernel flip
      // (transpose_kernel flips it and swaps in/out); CIRCULAR as Flax: VALID, then folded.
      const ks = asList(f.kernel_size);
      const rank = ks.length;
      if (rank !== 2 || x.length !== 4) throw new SpecError(`${l.name}: the tfjs peer runs 2-D ConvTranspose on (N, H, W, C) only`);
      if (asList(f.kernel_dilation ?? 1, rank).some((d) => d !== 1) || f.mask) throw new SpecError(`${l.name}: kernel_dilation and masks are not supported by the peers`);
      const cout = f.out_features ?? f.features;
      l.strides = asList(f.strides ?? 1, rank);
      l.transposeKernel = f.transpose_kernel ?? false;
      const padding = f.padding ?? "SAME";
      const kind = typeof padding === "string" ? padding.toUpperCase() : "explicit";
      if (!["SAME", "VALID", "CIRCULAR", "explicit"].includes(kind)) throw new SpecError(`${l.name}: ConvTranspose padding ${padding} is not supported by the peers`);
      l.circular = kind === "CIRCULAR";
      // flax/lax _conv_transpose_padding for SAME and VALID (CIRCULAR runs VALID).
      l.pads = ks.map((k, i) => {
        const s = l.strides[i];
        if (kind === "explicit") return typeof padding === "number" ? [padding, padding] : Array.isArray(padding[i]) ? padding[i] : [padding[i], padding[i]];
        if (kind === "SAME") {
          const len = k + s - 2;
          const a = s > k - 1 ? k - 1 : Math.ceil(len / 2);
          return [a, len - a];
        }
        return [k - 1, s - 1 + Math.max(k - s, 0)];
      });
      const n = x.slice(1, 3);
      l.full = n.map((m, i) => (m - 1) * l.strides[i] + ks[i]); // every scattered tap
      const out = n.map((m, i) => (m - 1) * l.strides[i] + 1 + l.pads[i][0] + l.pads[i][1] - ks[i] + 1);
      l.ks = ks;
      l.params.kernel = [...ks, ...(l.transposeKernel ? [cout, x.at(-1)] : [x.at(-1), cout])];
      if (f.use_bias ?? true) l.params.bias = [cout];
      return [x[0], ...(l.circular ? n.map((m, i) => m * l.strides[i]) : out), cout];
    }
    case "LayerNorm":
      if ((f.reduction_axes ?? -1) !== -1 || (f.feature_axes ?? -1) !== -1) throw new SpecError(`${l.name}: the tfjs peer normalizes over the last axis only`);
      l.epsilon = f.epsilon ?? 1e-6;
      if (f.use_scale ?? true) l.params.scale = [x.at(-1)];
      if (f.use_bias ?? true) l.params.bias = [x.at(-1)];
      return x;
    case "MultiHeadAttention": {
      if (l.srcs.length !== 1 || f.normalize_qk || f.decode) throw new SpecError(`${l.name}: the tfjs peer runs self-attention without normalize_qk or decode only`);
      if (!(f.deterministic === true || !f.dropout_rate)) throw new SpecError(`${l.name}: dropout is not supported by the peers`);
      if (x.length !== 3) throw new SpecError(`${l.name}: the tfjs peer runs attention on (batch, length, features) only`);
      const qkv = f.qkv_features ?? x.at(-1);
      l.heads = f.num_heads;
      l.headDim = qkv / l.heads;
      l.causal = f.mask === "causal";
      if (f.mask != null && !l.causal) throw new SpecError(`${l.name}: the tfjs peer runs causal or no masks only`);
      const out = f.out_features ?? x.at(-1);
      for (const p of ["query", "key", "value"]) {
        l.params[`${p}.kernel`] = [x.at(-1), l.heads, l.headDim];
        if (f.use_bias ?? true) l.params[`${p}.bias`] = [l.heads, l.headDim];
      }
      l.params["out.kernel"] = [l.heads, l.headDim, out];
      if (f.use_bias ?? true) l.params["out.bias"] = [out];
      return [...x.slice(0, -1), out];
    }
    case "Linear":
      l.params.kernel = [x.at(-1), f.out_features];
      if (f.use_bias ?? true) l.params.bias = [f.out_features];
      return [...x.slice(0, -1), f.out_features];
    case "Embed":
      l.params.embedding = [f.num_embeddings, f.features];
      return [...x, f.features];
    case "Einsum": {
      l.params.kernel = [...f.kernel_shape];
      if (f.bias_shape != null) l.params.bias = [...f.bias_shape];
      const [lhs, outSub] = f.einsum_str.replace(/\s/g, "").split("->");
      const sizes = {};
      lhs.split(",").forEach((sub, i) => [...sub].forEach((c, j) => (sizes[c] = [x, f.kernel_shape][i][j])));
      return [...outSub].map((c) => sizes[c]);
    }
    case "LinearGeneral": {
      if (f.batch_axis && Object.keys(f.batch_axis).length) throw new SpecError(`${l.name}: batch_axis is not supported by the peers`);
      l.axes = normAxes(f.axis ?? -1, x.length);
      const out = asList(f.out_features);
      l.params.kernel = [...l.axes.map((a) => x[a]), ...out];
      if (f.use_bias ?? true) l.params.bias = out;
      return [...x.filter((_, i) => !l.axes.includes(i)), ...out];
    }
    case "attend": {
      const embed = done.find((d) => d.name === f.embed && d.type === "Embed");
      if (!embed) throw new SpecError(`${l.name}: no Embed layer named ${f.embed} before it`);
      l.table = `${embed.name}.embedding`;
      return [...x.slice(0, -1), embed.params.embedding[0]];
    }
    case "relu": case "gelu": case "silu": case "sigmoid": case "tanh":
      return x;
    case "softmax": case "log_softmax":
      l.axes = normAxes(f.axis ?? -1, x.length);
      return x;
    case "add": case "subtract": case "multiply": {
      const rank = Math.max(...l.inShapes.map((s) => s.length));
      return [...Array(rank).keys()].map((i) => Math.max(...l.inShapes.map((s) => s[s.length - rank + i] ?? 1)));
    }
    case "einsum": {
      const [lhs, outSub] = f.equation.replace(/\s/g, "").split("->");
      const sizes = {};
      lhs.split(",").forEach((sub, i) => [...sub].forEach((c, j) => (sizes[c] = l.inShapes[i][j])));
      return [...outSub].map((c) => sizes[c]);
    }
    case "reshape": {
      let shape = f.shape.map((d) => (typeof d === "number" ? d : l.dims[d]));
      if (shape.some((d) => d === undefined)) throw new SpecError(`${l.name}: reshape needs every symbol in --dim`);
      const known = prod(shape.filter((d) => d !== -1));
      shape = shape.map((d) => (d === -1 ? prod(x) / known : d));
      return shape;
    }
    case "mean": case "sum": case "max":
      l.axes = f.axis == null ? x.map((_, i) => i) : normAxes(f.axis, x.length);
      return x.filter((_, i) => !l.axes.includes(i));
    case "avg_pool": case "max_pool": {
      if (String(f.padding ?? "VALID").toUpperCase() !== "VALID") throw new SpecError(`${l.name}: only VALID pooling is supported by the peers`);
      l.window = [...f.window_shape];
      l.strides = asList(f.strides ?? l.window.map(() => 1), l.window.length);
      return [x[0], ...x.slice(1, -1).map((n, i) => Math.floor((n - l.window[i]) / l.strides[i]) + 1), x.at(-1)];
    }
    default:
      throw new SpecError(`layer type ${t} is not supported by the peers`);
  }
}

// --- parameters and inputs ---------------------------------------------------------------------

const ST_DTYPES = { F32: Float32Array, I32: Int32Array, I64: BigInt64Array };

export function readSafetensors(file) {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const Ctor = ST_DTYPES[info.dtype];
    if (!Ctor) throw new SpecError(`${file}: ${name} has dtype ${info.dtype}, not supported by the tfjs peer`);
    const [b, e] = info.data_offsets;
    const bytes = buf.subarray(8 + n + b, 8 + n + e);
    // Copy into an aligned buffer: the data offset need not be a multiple of the element size.
    const data = new Ctor(new Uint8Array(bytes).buffer);
    out[name] = { shape: info.shape, data: Ctor === BigInt64Array ? Int32Array.from(data, Number) : data };
  }
  return out;
}

/** A seeded standard normal generator (xorshift32 + Box-Muller). */
function normal(seed) {
  let s = (seed * 2654435761 + 1) >>> 0 || 1;
  const u = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Same kinds as spec_plan.init_params: lecun-normal kernels, zero biases, scaled embeddings. */
function initParams(layers, seed) {
  const rnd = normal(seed);
  const out = {};
  for (const l of layers) {
    for (const [p, shape] of Object.entries(l.params)) {
      const data = new Float32Array(prod(shape));
      if (p !== "bias") {
        const std = 1 / Math.sqrt(p === "embedding" ? shape.at(-1) : prod(shape.slice(0, -1)));
        for (let i = 0; i < data.length; i++) data[i] = rnd() * std;
      }
      out[`${l.name}.${p}`] = { shape, data };
    }
  }
  return out;
}

function checkParams(layers, params) {
  for (const l of layers) {
    for (const [p, shape] of Object.entries(l.params)) {
      const got = params[`${l.name}.${p}`];
      if (!got) throw new SpecError(`parameter ${l.name}.${p} is missing`);
      if (got.shape.join() !== shape.join()) throw new SpecError(`parameter ${l.name}.${p} has shape [${got.shape}], the spec needs [${shape}]`);
    }
  }
}

function randomInputs(inputs, layers, seed) {
  const rnd = normal(seed + 1);
  const out = {};
  for (const { name, shape, dtype } of inputs) {
    if (/^u?int/.test(dtype)) {
      const reader = layers.find((l) => l.srcs.includes(name) && l.type === "Embed");
      const high = reader ? reader.f.num_embeddings : 100;
      out[name] = { shape, data: Int32Array.from({ length: prod(shape) }, () => Math.min(high - 1, Math.floor(((rnd() + 4) / 8) * high))) };
    } else {
      out[name] = { shape, data: Float32Array.from({ length: prod(shape) }, rnd) };
    }
  }
  return out;
}

// --- the model on tfjs --------------------------------------------------------------------------

export const gelu = (x, approximate) => tf.tidy(() => {
  if (!approximate) throw new SpecError("exact (erf) gelu is not available in tfjs");
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
});

/**
 * Two-operand einsum as transpose + reshape + (batched) matMul. `k` is a constant tensor,
 * prepared once, or (with `kShape`) undefined: then the op takes both operands.
 */
function einsumOp(eq, xShape, k, kShape = k?.shape) {
  const [lhs, out] = eq.replace(/\s/g, "").split("->");
  const [a, b] = lhs.split(",");
  const batch = [...a].filter((c) => b.includes(c) && out.includes(c));
  const contract = [...a].filter((c) => b.includes(c) && !out.includes(c));
  const freeA = [...a].filter((c) => !b.includes(c));
  const freeB = [...b].filter((c) => !a.includes(c));
  if (freeA.some((c) => !out.includes(c)) || freeB.some((c) => !out.includes(c))) throw new SpecError(`einsum ${eq}: summing an index of one operand is not supported`);
  const size = {};
  [...a].forEach((c, i) => (size[c] = xShape[i]));
  [...b].forEach((c, i) => (size[c] = kShape[i]));
  const sz = (cs) => prod(cs.map((c) => size[c]));
  const permute = (t, from, order) => {
    const perm = order.map((c) => from.indexOf(c));
    return perm.every((p, i) => p === i) ? t : tf.transpose(t, perm);
  };
  const lead = batch.length ? [sz(batch)] : [];
  const prepB = (kk) => tf.reshape(permute(kk, [...b], [...batch, ...contract, ...freeB]), [...lead, sz(contract), sz(freeB)]);
  const kConst = k ? tf.keep(prepB(k)) : undefined;
  const mid = [...batch, ...freeA, ...freeB];
  return (x, kv) => {
    const kMat = kConst ?? prepB(kv);
    const xMat = tf.reshape(permute(x, [...a], [...batch, ...freeA, ...contract]), [...lead, sz(freeA), sz(contract)]);
    const y = tf.reshape(tf.matMul(xMat, kMat), mid.map((c) => size[c]));
    return permute(y, mid, [...out]);
  };
}

function buildModel(layers, params) {
  const t = {};
  for (const [n, v] of Object.entries(params)) t[n] = tf.keep(tf.tensor(v.data, v.shape, "float32"));
  const consumers = {};
  for (const l of layers) for (const s of l.srcs) consumers[s] = (consumers[s] ?? 0) + 1;
  const steps = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const p = (name) => t[`${l.name}.${name}`];
    const bias = "bias" in l.params ? p("bias") : undefined;
    // Fuse a relu that is the only reader of a Conv/Linear output, as tfjs models do.
    const next = layers[i + 1];
    const fuseRelu = (l.type === "Conv" || l.type === "ConvTranspose" || l.type === "Linear") && next?.type === "relu" && next.src === l.name && consumers[l.name] === 1;
    const activation = fuseRelu ? "relu" : "linear";
    let fn;
    switch (l.type) {
      case "Conv": {
        const one = l.rank === 1; // 1-D as 2-D with H = 1
        const filter = one ? tf.keep(tf.expandDims(p("kernel"), 0)) : p("kernel");
        const pad = [[0, 0], ...(one ? [[0, 0]] : []), ...l.pads, [0, 0]];
        const strides = one ? [1, l.strides[0]] : l.strides;
        const dilations = one ? [1, l.dilation[0]] : l.dilation;
        const spatial = l.inShape.length - l.rank - 1;
        // CIRCULAR: wrap with slices + concat (tfjs has no circular pad), then a VALID conv.
        const wrap = (x) => {
          let y = x;
          l.pads.forEach(([lo, hi], i) => {
            const ax = spatial + i;
            const n = y.shape[ax];
            const parts = [];
            if (lo) parts.push(tf.slice(y, y.shape.map((_, j) => (j === ax ? n - lo : 0)), y.shape.map((d, j) => (j === ax ? lo : d))));
            parts.push(y);
            if (hi) parts.push(tf.slice(y, y.shape.map(() => 0), y.shape.map((d, j) => (j === ax ? hi : d))));
            y = parts.length > 1 ? tf.concat(parts, ax) : y;
          });
          return y;
        };
        if (l.rank === 3) {
          if (l.circular || l.dilation.some((d) => d !== 1)) {
            throw new SpecError(`${l.name}: the tfjs peer runs 3-D convolutions with zero padding and no dilation only`);
          }
          // Grouped: split the channels, one conv3d per group, concat (tfjs has no grouped conv).
          const g = l.groups;
          const filters = g === 1 ? [filter] : tf.split(filter, g, 4).map((t) => tf.keep(t));
          // conv3d takes "same"/"valid" only: pad explicitly, then valid.
          const unpadded = l.pads.every(([lo, hi]) => lo === 0 && hi === 0);
          fn = (x) => {
            const xp = unpadded ? x : tf.pad(x, [[0, 0], ...l.pads, [0, 0]]);
            const xs = g === 1 ? [xp] : tf.split(xp, g, 4);
            const ys = xs.map((xi, i) => tf.conv3d(xi, filters[i], l.strides, "valid"));
            const y = g === 1 ? ys[0] : tf.concat(ys, 4);
            const yb = bias ? tf.add(y, bias) : y;
            return activation === "relu" ? tf.relu(yb) : yb;
          };
          break;
        }
        if (l.groups !== 1) throw new SpecError(`${l.name}: the tfjs peer runs grouped convolutions in 3-D only`);
        fn = (x) => {
          const batch = x.shape.slice(0, spatial);
          let xb = spatial === 1 ? x : tf.reshape(x, [-1, ...x.shape.slice(spatial)]);
          if (l.circular) xb = wrap(xb);
          const x4 = one ? tf.expandDims(xb, 1) : xb;
          const y = tf.fused.conv2d({ x: x4, filter, strides, pad: l.circular ? "valid" : pad, dataFormat: "NHWC", dilations, bias, activation });
          const y3 = one ? tf.squeeze(y, [1]) : y;
          return spatial === 1 ? y3 : tf.reshape(y3, [...batch, ...y3.shape.slice(1)]);
        };
        break;
      }
      case "ConvTranspose": {
        // tfjs's conv2dTranspose scatters x[i] * F[k] to i * s + k (the full, VALID-like
        // result): that is lax's conv of the dilated input with F = the spatially flipped
        // HWIO kernel, in/out swapped, i.e. the stored kernel itself with transpose_kernel.
        // Flax's output j is full[j + k - 1 - lo] (zeros outside).
        const k = p("kernel");
        const filter = tf.keep(l.transposeKernel ? k : tf.transpose(tf.reverse(k, [0, 1]), [0, 1, 3, 2]));
        const [n, cout] = [l.inShape[0], l.outShape.at(-1)];
        const crop = (y, axis, start, size) => {
          // y[start : start + size] along axis, zeros where it runs past either end.
          const len = y.shape[axis];
          const lo = Math.max(0, -start), hi = Math.max(0, start + size - len);
          const begin = y.shape.map((_, j) => (j === axis ? Math.max(0, start) : 0));
          const sz = y.shape.map((d, j) => (j === axis ? Math.min(len, start + size) - Math.max(0, start) : d));
          const c = tf.slice(y, begin, sz);
          return lo || hi ? tf.pad(c, y.shape.map((_, j) => (j === axis ? [lo, hi] : [0, 0]))) : c;
        };
        fn = (x) => {
          let y = tf.conv2dTranspose(x, filter, [n, ...l.full, cout], l.strides, "valid");
          for (let i = 0; i < 2; i++) {
            const ax = i + 1;
            if (!l.circular) {
              y = crop(y, ax, l.ks[i] - 1 - l.pads[i][0], l.outShape[ax]);
              continue;
            }
            // Flax's CIRCULAR: out[j] sums y[m] over m = j + c (mod P), P = n * stride.
            const P = l.outShape[ax];
            const e = Math.max(l.ks[i] - l.strides[i], 0);
            y = crop(y, ax, 0, P + e); // the VALID result
            if (e === 0) continue;
            if (e > P) throw new SpecError(`${l.name}: CIRCULAR with a kernel wider than the output is not supported by the tfjs peer`);
            const c = l.transposeKernel ? Math.ceil(e / 2) : Math.floor(e / 2);
            y = tf.add(crop(y, ax, c, P), tf.add(crop(y, ax, c + P, P), crop(y, ax, c - P, P)));
          }
          const yb = bias ? tf.add(y, bias) : y;
          return activation === "relu" ? tf.relu(yb) : yb;
        };
        break;
      }
      case "LayerNorm": {
        const scale = "scale" in l.params ? p("scale") : undefined;
        fn = (x) => {
          const { mean, variance } = tf.moments(x, -1, true);
          const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, l.epsilon)));
          const ys = scale ? tf.mul(y, scale) : y;
          return bias ? tf.add(ys, bias) : ys;
        };
        break;
      }
      case "MultiHeadAttention": {
        // Flax's dot_product_attention: q / sqrt(head_dim), softmax over keys, the causal mask
        // as the dtype's lowest value; projections as matMuls on (in, heads * head_dim). The
        // biases are new tensors, not reshapes: tfjs-backend-wasm 4.22's fused matMul reads a
        // reshaped bias's rank from the original ("only supports rank-1 bias but got rank 2").
        const [, len, feat] = l.inShape;
        const hd = l.heads * l.headDim;
        const proj = Object.fromEntries(["query", "key", "value"].map((q) => [q, [tf.keep(tf.reshape(p(`${q}.kernel`), [feat, hd])), `${q}.bias` in l.params ? tf.keep(tf.tensor(p(`${q}.bias`).dataSync(), [hd])) : undefined]]));
        const outK = tf.keep(tf.reshape(p("out.kernel"), [hd, -1]));
        const outB = "out.bias" in l.params ? p("out.bias") : undefined;
        const mask = l.causal ? tf.keep(tf.linalg.bandPart(tf.ones([len, len]), -1, 0)) : undefined;
        const lowest = tf.keep(tf.scalar(-3.4028234663852886e38));
        fn = (x) => {
          const x2 = tf.reshape(x, [-1, feat]);
          const heads = (q) => tf.transpose(tf.reshape(tf.fused.matMul({ a: x2, b: proj[q][0], bias: proj[q][1] }), [-1, len, l.heads, l.headDim]), [0, 2, 1, 3]);
          const q = tf.mul(heads("query"), 1 / Math.sqrt(l.headDim));
          let w = tf.matMul(q, heads("key"), false, true);
          if (mask) w = tf.where(tf.cast(mask, "bool"), w, lowest);
          const o = tf.matMul(tf.softmax(w), heads("value"));
          const merged = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [-1, hd]);
          return tf.reshape(tf.fused.matMul({ a: merged, b: outK, bias: outB }), [-1, len, outK.shape[1]]);
        };
        break;
      }
      case "Linear": {
        const k = p("kernel");
        fn = (x) => {
          const y = tf.fused.matMul({ a: tf.reshape(x, [-1, k.shape[0]]), b: k, bias, activation });
          return tf.reshape(y, [...x.shape.slice(0, -1), k.shape[1]]);
        };
        break;
      }
      case "Embed": fn = (x) => tf.gather(p("embedding"), x); break;
      case "Einsum": {
        const op = einsumOp(l.f.einsum_str, l.inShape, p("kernel"));
        fn = bias ? (x) => tf.add(op(x), bias) : op;
        break;
      }
      case "LinearGeneral": {
        const rank = l.inShape.length;
        const rest = [...Array(rank).keys()].filter((a) => !l.axes.includes(a));
        const perm = [...rest, ...l.axes];
        const inSize = prod(l.axes.map((a) => l.inShape[a]));
        const outDims = l.params.kernel.slice(l.axes.length);
        const k = tf.keep(tf.reshape(p("kernel"), [inSize, prod(outDims)]));
        const b = bias ? tf.keep(tf.reshape(bias, [-1])) : undefined;
        fn = (x) => {
          const xt = perm.every((q, j) => q === j) ? x : tf.transpose(x, perm);
          const y = tf.fused.matMul({ a: tf.reshape(xt, [-1, inSize]), b: k, bias: b });
          return tf.reshape(y, [...rest.map((a) => l.inShape[a]), ...outDims]);
        };
        break;
      }
      case "attend": {
        // x @ table.T. matMul(..., transposeB) is ~10x slower on wasm than a plain matMul
        // (3.7 s vs 0.34 s for [512,256] x [32000,256]^T), so transpose the constant table once.
        const [n, features] = t[l.table].shape;
        const tableT = tf.keep(tf.transpose(t[l.table]));
        fn = (x) => tf.reshape(tf.matMul(tf.reshape(x, [-1, features]), tableT), [...x.shape.slice(0, -1), n]);
        break;
      }
      case "relu": fn = tf.relu; break;
      case "gelu": fn = (x) => gelu(x, l.f.approximate ?? true); break;
      case "silu": fn = (x) => tf.mul(x, tf.sigmoid(x)); break;
      case "sigmoid": fn = tf.sigmoid; break;
      case "tanh": fn = tf.tanh; break;
      case "softmax": case "log_softmax": {
        if (l.axes.length !== 1 || l.axes[0] !== l.inShape.length - 1) throw new SpecError(`${l.name}: the tfjs peer runs softmax over the last axis only`);
        fn = l.type === "softmax" ? (x) => tf.softmax(x) : (x) => tf.logSoftmax(x);
        break;
      }
      case "add": case "subtract": case "multiply": {
        const op = { add: tf.add, subtract: tf.sub, multiply: tf.mul }[l.type];
        fn = (...xs) => xs.slice(1).reduce((y, z) => op(y, z), xs[0]);
        break;
      }
      case "einsum": {
        if (l.srcs.length !== 2) throw new SpecError(`${l.name}: the tfjs peer runs two-operand einsums only`);
        const op = einsumOp(l.f.equation, l.inShapes[0], undefined, l.inShapes[1]);
        fn = (x, y) => op(x, y);
        break;
      }
      case "reshape": fn = (x) => tf.reshape(x, l.outShape); break;
      case "mean": fn = (x) => tf.mean(x, l.axes); break;
      case "sum": fn = (x) => tf.sum(x, l.axes); break;
      case "max": fn = (x) => tf.max(x, l.axes); break;
      case "avg_pool": case "max_pool": {
        if (l.window.length !== 2 && l.window.length !== 3) throw new SpecError(`${l.name}: the tfjs peer pools over 2 or 3 axes`);
        if (l.window.length === 3 && l.type === "max_pool") {
          // tfjs-backend-wasm 4.22's maxPool3d returns wrong values (checked against the NumPy
          // reference); non-overlapping windows as slice + reshape + max instead.
          if (l.window.some((w, i) => w !== l.strides[i])) throw new SpecError(`${l.name}: the tfjs peer runs 3-D max pooling with strides equal to the window only`);
          const out = l.outShape;
          fn = (x) => {
            const cut = tf.slice(x, x.shape.map(() => 0), [out[0], ...l.window.map((w, i) => w * out[i + 1]), out[4]]);
            const split = tf.reshape(cut, [out[0], out[1], l.window[0], out[2], l.window[1], out[3], l.window[2], out[4]]);
            return tf.max(split, [2, 4, 6]);
          };
          break;
        }
        const pool = l.window.length === 3 ? tf.avgPool3d : l.type === "avg_pool" ? tf.avgPool : tf.maxPool;
        fn = (x) => pool(x, l.window, l.strides, "valid");
        break;
      }
      default: throw new SpecError(`layer type ${l.type} is not supported by the tfjs peer`);
    }
    if (l.type === "relu" && steps.at(-1)?.fusedRelu && steps.at(-1).name === l.src) fn = (x) => x;
    steps.push({ name: l.name, src: l.src, srcs: l.srcs, fn, fusedRelu: fuseRelu });
  }
  return steps;
}

/** Run the steps and copy the outputs out of the backend (as a runtime returns them to JS). */
function forward(steps, feeds, outputLayers) {
  const outs = tf.tidy(() => {
    const env = { ...feeds };
    for (const s of steps) env[s.name] = s.fn(...s.srcs.map((n) => env[n]));
    return outputLayers.map((o) => env[o]);
  });
  const data = outs.map((o) => o.dataSync());
  tf.dispose(outs);
  return data;
}

// --- main -----------------------------------------------------------------------------------------

function parseDims(values = []) {
  const dims = {};
  for (const v of values) {
    const m = /^([a-z_][a-z0-9_]*)=(\d+)$/.exec(v);
    if (!m) throw new SpecError(`--dim ${v}: expected NAME=N`);
    dims[m[1]] = Number(m[2]);
  }
  return dims;
}

async function main() {
  const { values: a } = parseArgs({
    options: {
      spec: { type: "string" }, dim: { type: "string", multiple: true }, params: { type: "string" },
      seed: { type: "string", default: "0" }, warmup: { type: "string", default: "5" }, iterations: { type: "string" },
      duration: { type: "string" }, check: { type: "string" },
    },
  });
  if (!a.spec) throw new SpecError("--spec is required");
  const require = createRequire(import.meta.url);
  setWasmPaths(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + path.sep);
  await tf.setBackend("wasm");

  const spec = YAML.parse(readFileSync(a.spec, "utf8"));
  const dims = parseDims(a.dim);
  const { inputs, layers, outputs } = plan(spec, dims);
  const params = a.params ? readSafetensors(a.params) : initParams(layers, Number(a.seed));
  checkParams(layers, params);
  const steps = buildModel(layers, params);
  const ref = a.check ? readSafetensors(a.check) : undefined;
  const raw = ref ? Object.fromEntries(inputs.map((i) => [i.name, ref[`input:${i.name}`]])) : randomInputs(inputs, layers, Number(a.seed));
  const feeds = Object.fromEntries(inputs.map((i) => [i.name, tf.keep(tf.tensor(raw[i.name].data, i.shape, /int/.test(i.dtype) ? "int32" : "float32"))]));
  const outLayers = outputs.map(([, l]) => l);
  const info = {
    peer: "tfjs", model: spec.model, dims, threads: 1, tfjs_version: tf.version_core, backend: "wasm",
    conditions: { simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"), multithread: tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") },
  };

  if (ref) {
    const got = forward(steps, feeds, outLayers);
    let ok = true;
    const report = {};
    outputs.forEach(([name], i) => {
      const want = ref[`output:${name}`].data;
      let diff = 0;
      let scale = 0;
      for (let j = 0; j < want.length; j++) {
        diff = Math.max(diff, Math.abs(got[i][j] - want[j]));
        scale = Math.max(scale, Math.abs(want[j]));
      }
      const good = got[i].length === want.length && diff <= 1e-4 * scale + 1e-6;
      ok &&= good;
      report[name] = { max_abs_diff: diff, max_abs_ref: scale, ok: good };
    });
    console.log(JSON.stringify({ ...info, check: ok ? "ok" : "mismatch", outputs: report }, null, 2));
    return ok ? 0 : 1;
  }

  const warmup = Number(a.warmup);
  const iterations = a.iterations ? Number(a.iterations) : undefined;
  for (let i = 0; i < warmup; i++) forward(steps, feeds, outLayers);
  // As in ort_peer.mjs: at least 3 s of warm-up, so V8 has tiered the wasm kernels up.
  for (const until = performance.now() + 3000; performance.now() < until; ) forward(steps, feeds, outLayers);
  const samples = [];
  const cpuSamples = [];
  const start = process.hrtime.bigint();
  const deadline = iterations ? undefined : start + BigInt(Math.round(Number(a.duration ?? 3) * 1e9));
  const minRuns = iterations ?? (a.duration ? 1 : 10);
  for (;;) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    forward(steps, feeds, outLayers);
    const t1 = process.hrtime.bigint();
    const c = process.cpuUsage(c0);
    samples.push(Number(t1 - t0) / 1e6);
    cpuSamples.push((c.user + c.system) / 1000);
    if (samples.length >= minRuns && (deadline === undefined || t1 >= deadline)) break;
  }
  console.log(JSON.stringify({ ...info, warmup, iterations: samples.length, samples_ms: samples, cpu_samples_ms: cpuSamples }));
  return 0;
}

// Run only as a script: bench/peers/tfjs_models.mjs imports the helpers above.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => (process.exitCode = code), (e) => {
    if (!(e instanceof SpecError)) throw e;
    console.error(`tfjs_peer: ${e.message}`);
    process.exitCode = 1;
  });
}
