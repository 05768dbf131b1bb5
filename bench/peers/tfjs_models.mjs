#!/usr/bin/env node
/**
 * The full-size shipped examples written by hand on TensorFlow.js (wasm backend, XNNPACK + SIMD,
 * one thread), as bench/peers/torch_models.py writes them in PyTorch, loading the weights
 * nnx-gen writes (`nnx-gen export --format safetensors`, Flax names and layouts):
 *
 *   gpt2_small (tokens [B, T] -> logits), vit_b16 and resnet18 (image [B, 224, 224, 3] -> logits),
 *   gemma_block (x [B, T, 2048] -> out)
 *
 * What a tfjs user would run: weights prepared once at load (the three attention projections
 * fused into one matrix, the tied head's table transposed once, since matMul with transposeB is
 * ~10x slower on wasm; BatchNorm folded into the conv kernels and biases, as the TF.js converter
 * folds it), then fused matMul / conv2d kernels with bias and relu.
 *
 *   node --no-liftoff bench/peers/tfjs_models.mjs --model M --params P.safetensors --input NAME=F.npy [--warmup 1 --duration 3]
 *   ... --check DIR   (DIR/<output>.npy, e.g. from `nnx-gen run --out DIR`; max|d| <= 1e-4 max|ref|)
 */

import path from "node:path";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { gelu, readSafetensors } from "./tfjs_peer.mjs";
import { median, readNpy } from "./ort_peer.mjs";

const keep = (x) => tf.keep(x);

/** x [..., in] @ k [in, out] + b, one fused kernel. */
function linear(x, k, b, activation = "linear") {
  const y = tf.fused.matMul({ a: tf.reshape(x, [-1, k.shape[0]]), b: k, bias: b, activation });
  return tf.reshape(y, [...x.shape.slice(0, -1), k.shape[1]]);
}

function layerNorm(x, scale, bias, eps) {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), scale), bias);
}

const rmsNorm = (x, scale, eps = 1e-6) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), scale);

/**
 * nnx.MultiHeadAttention as self-attention: query/key/value kernels [D, H, d] (key/value with
 * kv heads), out [H, d, D]; softmax(q k^T / sqrt(d)), causal mask as float32's lowest value.
 * Multi-query (kv < H): each key/value head serves H / kv query heads, as one batched matMul.
 */
function attention(p, name, causal) {
  const q = p(`${name}.query.kernel`);
  const [D, H, d] = q.shape;
  const kv = p(`${name}.key.kernel`).shape[1];
  const w = keep(tf.concat(["query", "key", "value"].map((n) => tf.reshape(p(`${name}.${n}.kernel`), [D, -1])), 1));
  const hasBias = p(`${name}.query.bias`, true) !== undefined;
  const b = hasBias ? keep(tf.concat(["query", "key", "value"].map((n) => tf.reshape(p(`${name}.${n}.bias`), [-1])), 0)) : undefined;
  const wOut = keep(tf.reshape(p(`${name}.out.kernel`), [H * d, D]));
  const bOut = hasBias ? p(`${name}.out.bias`) : undefined;
  const lowest = keep(tf.scalar(-3.4028234663852886e38));
  const masks = new Map();
  return (x) => {
    const [B, T] = x.shape;
    const qkv = linear(x, w, b);
    const [qs, ks, vs] = tf.split(qkv, [H * d, kv * d, kv * d], -1);
    const heads = (t, n) => tf.transpose(tf.reshape(t, [B, T, n, d]), [0, 2, 1, 3]); // [B, n, T, d]
    let qh = tf.mul(heads(qs, H), 1 / Math.sqrt(d));
    if (kv !== H) qh = tf.reshape(qh, [B * kv, (H / kv) * T, d]);
    const kh = kv !== H ? tf.reshape(heads(ks, kv), [B * kv, T, d]) : heads(ks, kv);
    const vh = kv !== H ? tf.reshape(heads(vs, kv), [B * kv, T, d]) : heads(vs, kv);
    let s = tf.reshape(tf.matMul(qh, kh, false, true), [B, H, T, T]);
    if (causal) {
      if (!masks.has(T)) masks.set(T, keep(tf.cast(tf.linalg.bandPart(tf.ones([T, T]), -1, 0), "bool")));
      s = tf.where(masks.get(T), s, lowest);
    }
    let a = tf.softmax(s);
    if (kv !== H) a = tf.reshape(a, [B * kv, (H / kv) * T, T]);
    const o = tf.reshape(tf.matMul(a, vh), [B, H, T, d]);
    return linear(tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B, T, H * d]), wOut, bOut);
  };
}

/** GPT-2's and ViT's pre-norm block: x + attn(ln1(x)), then + fc2(gelu_tanh(fc1(ln2(x)))). */
function preNormBlock(p, name, [ln1, ln2], [fc1, fc2], eps, causal) {
  const attn = attention(p, `${name}.attn`, causal);
  const n = (l) => [p(`${name}.${l}.scale`), p(`${name}.${l}.bias`)];
  const [s1, b1] = n(ln1), [s2, b2] = n(ln2);
  const f1 = [p(`${name}.${fc1}.kernel`), p(`${name}.${fc1}.bias`)], f2 = [p(`${name}.${fc2}.kernel`), p(`${name}.${fc2}.bias`)];
  return (x) => {
    const y = tf.add(x, attn(layerNorm(x, s1, b1, eps)));
    return tf.add(y, linear(gelu(linear(layerNorm(y, s2, b2, eps), ...f1), true), ...f2));
  };
}

const MODELS = {
  gpt2_small: {
    inputs: ["tokens"], output: "logits",
    build(p) {
      const wte = p("wte.embedding"), wpe = p("wpe.embedding");
      const wteT = keep(tf.transpose(wte)); // the tied head as a plain matMul
      const h = Array.from({ length: 12 }, (_, i) => preNormBlock(p, `h.${i}`, ["ln_1", "ln_2"], ["mlp.c_fc", "mlp.c_proj"], 1e-5, true));
      const [sf, bf] = [p("ln_f.scale"), p("ln_f.bias")];
      return (tokens) => {
        const T = tokens.shape[1];
        let x = tf.add(tf.gather(wte, tokens), tf.slice(wpe, [0, 0], [T, -1]));
        for (const block of h) x = block(x);
        return linear(layerNorm(x, sf, bf, 1e-5), wteT);
      };
    },
  },
  vit_b16: {
    inputs: ["image"], output: "logits",
    build(p) {
      const [pk, pb] = [p("embedding.kernel"), p("embedding.bias")]; // HWIO, as tfjs takes it
      const cls = p("cls"), pos = p("pos_embedding");
      const blocks = Array.from({ length: 12 }, (_, i) => preNormBlock(p, `encoderblock.${i}`, ["norm1", "norm2"], ["mlp.fc1", "mlp.fc2"], 1e-6, false));
      const [sn, bn] = [p("encoder_norm.scale"), p("encoder_norm.bias")];
      const head = [p("head.kernel"), p("head.bias")];
      return (image) => {
        const B = image.shape[0];
        const patches = tf.fused.conv2d({ x: image, filter: pk, strides: [16, 16], pad: "valid", bias: pb });
        let x = tf.add(tf.concat([tf.broadcastTo(cls, [B, 1, 768]), tf.reshape(patches, [B, 196, 768])], 1), pos);
        for (const block of blocks) x = block(x);
        const c = tf.reshape(tf.slice(layerNorm(x, sn, bn, 1e-6), [0, 0, 0], [B, 1, 768]), [B, 768]);
        return linear(c, ...head);
      };
    },
  },
  resnet18: {
    inputs: ["image"], output: "logits",
    build(p) {
      // Conv (no bias) + BatchNorm (inference, epsilon 1e-5) folded into one conv with bias.
      const convBn = (conv, bn, stride, pad) => {
        const f = tf.div(p(`${bn}.scale`), tf.sqrt(tf.add(p(`${bn}.var`), 1e-5)));
        const filter = keep(tf.mul(p(`${conv}.kernel`), f));
        const bias = keep(tf.sub(p(`${bn}.bias`), tf.mul(p(`${bn}.mean`), f)));
        const pads = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
        return (x, activation = "linear") => tf.fused.conv2d({ x, filter, strides: [stride, stride], pad: pad ? pads : "valid", bias, activation });
      };
      const block = (name, stride) => {
        const c1 = convBn(`${name}.conv1`, `${name}.bn1`, stride, 1);
        const c2 = convBn(`${name}.conv2`, `${name}.bn2`, 1, 1);
        const down = stride !== 1 ? convBn(`${name}.downsample.conv`, `${name}.downsample.bn`, stride, 0) : undefined;
        return (x) => tf.relu(tf.add(c2(c1(x, "relu")), down ? down(x) : x));
      };
      const stem = convBn("conv1", "bn1", 2, 3);
      const blocks = [1, 2, 3, 4].flatMap((i) => [block(`layer${i}.b0`, i === 1 ? 1 : 2), block(`layer${i}.b1`, 1)]);
      const fc = [p("fc.kernel"), p("fc.bias")];
      return (image) => {
        // Max pool 3x3/2, padding 1 on both sides (after ReLU: the pads never win).
        let x = tf.maxPool(stem(image, "relu"), [3, 3], [2, 2], 1);
        for (const b of blocks) x = b(x);
        return linear(tf.mean(x, [1, 2]), ...fc);
      };
    },
  },
  gemma_block: {
    inputs: ["x"], output: "out",
    build(p) {
      const attn = attention(p, "attn", true);
      const [n1, n2] = [p("pre_attention_norm.scale"), p("pre_ffw_norm.scale")];
      const g = p("mlp.gating_einsum.kernel"); // [2, D, H]
      const [D, Hf] = g.shape.slice(1);
      const wGateUp = keep(tf.concat(tf.unstack(g), 1)); // [D, 2H]: gate and up in one matMul
      const wLin = p("mlp.linear.kernel"); // [H, D]
      return (x) => {
        const y = tf.add(x, attn(rmsNorm(x, n1)));
        const [gate, up] = tf.split(linear(rmsNorm(y, n2), wGateUp), [Hf, Hf], -1);
        return tf.add(y, linear(tf.mul(gelu(gate, true), up), wLin));
      };
    },
  },
};

async function main() {
  const { values: o } = parseArgs({
    options: {
      model: { type: "string" }, params: { type: "string" }, input: { type: "string", multiple: true, default: [] },
      warmup: { type: "string", default: "1" }, duration: { type: "string", default: "3" }, check: { type: "string" },
      "min-runs": { type: "string", default: "2" },
    },
  });
  const def = MODELS[o.model];
  if (!def) throw new Error(`--model must be one of ${Object.keys(MODELS).join(", ")}`);
  const require = createRequire(import.meta.url);
  setWasmPaths(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + path.sep);
  await tf.setBackend("wasm");

  // Parameters go into the wasm heap one at a time; the file's copy is dropped as they go.
  const raw = readSafetensors(o.params);
  const t = {};
  const p = (name, optional = false) => {
    if (!(name in t)) {
      if (!raw[name]) {
        if (optional) return undefined;
        throw new Error(`parameter ${name} is missing from ${o.params}`);
      }
      t[name] = keep(tf.tensor(raw[name].data, raw[name].shape, "float32"));
      delete raw[name];
    }
    return t[name];
  };
  const fn = tf.tidy(() => def.build(p));
  const files = Object.fromEntries(o.input.map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]));
  const feeds = def.inputs.map((n) => {
    if (!files[n]) throw new Error(`--input ${n}=FILE.npy is required`);
    const a = readNpy(files[n]);
    return keep(tf.tensor(a.type === "float32" ? a.data : Int32Array.from(a.data, Number), a.dims, a.type === "float32" ? "float32" : "int32"));
  });
  const forward = () => {
    const y = tf.tidy(() => fn(...feeds));
    const data = y.dataSync(); // copied out, as a runtime returns it to JS
    y.dispose();
    return data;
  };
  const info = {
    peer: "tfjs (hand-written model)", model: o.model, threads: 1, tfjs_version: tf.version_core, backend: "wasm",
    conditions: { simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"), multithread: tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") },
  };

  if (o.check) {
    const got = forward();
    const want = readNpy(path.join(o.check, `${def.output}.npy`)).data;
    let diff = 0, scale = 0;
    for (let i = 0; i < want.length; i++) {
      diff = Math.max(diff, Math.abs(got[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    const ok = got.length === want.length && diff <= 1e-4 * scale + 1e-6;
    console.log(JSON.stringify({ ...info, check: ok ? "ok" : "mismatch", outputs: { [def.output]: { max_abs_diff: diff, max_abs_ref: scale, ok } } }, null, 2));
    process.exitCode = ok ? 0 : 1;
    return;
  }

  for (let i = 0; i < Number(o.warmup); i++) forward();
  const samples = [], cpuSamples = [];
  const deadline = process.hrtime.bigint() + BigInt(Math.round(Number(o.duration) * 1e9));
  for (;;) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    forward();
    const t1 = process.hrtime.bigint();
    const c = process.cpuUsage(c0);
    samples.push(Number(t1 - t0) / 1e6);
    cpuSamples.push((c.user + c.system) / 1000);
    if (samples.length >= Number(o["min-runs"]) && t1 >= deadline) break;
  }
  console.log(JSON.stringify({ ...info, warmup: Number(o.warmup), iterations: samples.length, p50_ms: median(samples), samples_ms: samples, cpu_samples_ms: cpuSamples }));
}

main().catch((e) => {
  console.error(`tfjs_models: ${e.message}`);
  process.exitCode = 1;
});
