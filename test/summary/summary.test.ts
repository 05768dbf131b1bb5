/**
 * `nnx-gen summary` against hand-computed parameter counts and MACs for the shipped examples.
 *
 * Conventions (CONTRACT §3): Conv counts every kernel tap at every output position,
 * out_h·out_w·out_c·(k_h·k_w·in_c/groups); Linear out·in per example; an Einsum the product of
 * the sizes of all its distinct indices; attend ·features per output element.
 * FLOPs = 2·MACs + 1 per output element of elementwise ops (activations, add) + 1 per input
 * element of reductions (mean, softmax is an activation) + prod(window) per pooled output.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXAMPLES, FAIL, runCli, STACK_FRAME } from "../cli/helpers.js";

interface Summary {
  layers: { name: string; type: string; input_shapes: (number | string)[][]; output_shape: (number | string)[]; params: number; macs: number | string; flops: number | string; param_bytes: number; batch_stats: number; batch_stat_bytes: number }[];
  totals: { params: number; macs: number | string; flops: number | string; param_bytes: number; batch_stats: number; batch_stat_bytes: number };
}

async function summary(name: string, ...flags: string[]): Promise<Summary> {
  const r = await runCli(["summary", join(EXAMPLES, `${name}.yaml`), "--format", "json", ...flags]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Summary;
}

const layer = (s: Summary, name: string) => s.layers.find((l) => l.name === name)!;

describe("summary --format json", () => {
  it("has the documented keys", async () => {
    const s = await summary("tiny_cnn");
    expect(Object.keys(s)).toEqual(["layers", "totals"]);
    expect(Object.keys(s.totals)).toEqual(["params", "macs", "flops", "param_bytes", "batch_stats", "batch_stat_bytes"]);
    for (const l of s.layers) expect(Object.keys(l)).toEqual(["name", "type", "input_shapes", "output_shape", "params", "macs", "flops", "param_bytes", "batch_stats", "batch_stat_bytes"]);
  });

  it("tiny_cnn", async () => {
    const s = await summary("tiny_cnn");
    expect(s.layers.map((l) => l.name)).toEqual(["conv1", "relu_0", "avg_pool_0", "conv2", "relu_1", "avg_pool_1", "reshape_0", "hidden", "relu_2", "logits"]);
    // conv1: 3·3·1·32 kernel + 32 bias = 320; SAME keeps 28×28: 28·28·32·(3·3·1) = 225792 MACs
    expect(layer(s, "conv1")).toMatchObject({ params: 320, macs: "225792*batch", output_shape: ["batch", 28, 28, 32], param_bytes: 1280 });
    // avg_pool 2×2 stride 2 → 14×14×32; 4 FLOPs per output: 14·14·32·4 = 25088
    expect(layer(s, "avg_pool_0")).toMatchObject({ output_shape: ["batch", 14, 14, 32], macs: 0, flops: "25088*batch" });
    // conv2: 3·3·32·64 + 64 = 18496; 14·14·64·(3·3·32) = 12544·288 = 3612672
    expect(layer(s, "conv2")).toMatchObject({ params: 18496, macs: "3612672*batch" });
    // reshape [batch, -1]: 7·7·64 = 3136
    expect(layer(s, "reshape_0")).toMatchObject({ output_shape: ["batch", 3136], macs: 0, flops: 0 });
    // hidden: 3136·128 + 128 = 401536 params, 3136·128 = 401408 MACs
    expect(layer(s, "hidden")).toMatchObject({ params: 401536, macs: "401408*batch" });
    // logits: 128·10 + 10 = 1290 params, 1280 MACs
    expect(layer(s, "logits")).toMatchObject({ params: 1290, macs: "1280*batch", output_shape: ["batch", 10] });
    // totals: 320 + 18496 + 401536 + 1290 = 421642 params; 4 bytes each
    // MACs 225792 + 3612672 + 401408 + 1280 = 4241152
    // FLOPs 2·4241152 + relu 28·28·32 + pool 25088 + relu 14·14·64 + pool 7·7·64·4 + relu 128
    //     = 8482304 + 25088 + 25088 + 12544 + 12544 + 128 = 8557696
    expect(s.totals).toEqual({ params: 421642, macs: "4241152*batch", flops: "8557696*batch", param_bytes: 421642 * 4, batch_stats: 0, batch_stat_bytes: 0 });
  });

  it("tiny_cnn with --dim binds the batch", async () => {
    const s = await summary("tiny_cnn", "--dim", "batch=8");
    expect(s.totals).toEqual({ params: 421642, macs: 4241152 * 8, flops: 8557696 * 8, param_bytes: 1686568, batch_stats: 0, batch_stat_bytes: 0 });
    expect(layer(s, "conv1").input_shapes).toEqual([[8, 28, 28, 1]]);
    expect(layer(s, "conv1").macs).toBe(225792 * 8);
  });

  it("tied_lm", async () => {
    const s = await summary("tied_lm");
    // embed: 4096·256 = 1048576 params, no MACs (a lookup)
    expect(layer(s, "embed")).toMatchObject({ params: 1048576, macs: 0, output_shape: ["batch", "seq", 256] });
    // mix: 1-D CAUSAL conv, kernel 3·256·256 + 256 = 196864; seq·256·(3·256) = 196608 per token
    expect(layer(s, "mix")).toMatchObject({ params: 196864, macs: "196608*batch*seq", output_shape: ["batch", "seq", 256] });
    // proj: 256·256 + 256 = 65792; 65536 MACs per token
    expect(layer(s, "proj")).toMatchObject({ params: 65792, macs: "65536*batch*seq" });
    // logits = attend: no params of its own; 4096 outputs · 256 features = 1048576 per token
    expect(layer(s, "logits")).toMatchObject({ params: 0, macs: "1048576*batch*seq", output_shape: ["batch", "seq", 4096] });
    // params 1048576 + 196864 + 65792 = 1311232; MACs 196608 + 65536 + 1048576 = 1310720
    // FLOPs 2·1310720 + gelu 256 = 2621696
    expect(s.totals).toEqual({ params: 1311232, macs: "1310720*batch*seq", flops: "2621696*batch*seq", param_bytes: 1311232 * 4, batch_stats: 0, batch_stat_bytes: 0 });
  });

  it("tied_lm with all dims bound gives numbers, with some bound gives expressions", async () => {
    const all = await summary("tied_lm", "--dim", "batch=2", "--dim", "seq=16");
    expect(all.totals.macs).toBe(1310720 * 2 * 16);
    expect(all.totals.flops).toBe(2621696 * 32);
    const some = await summary("tied_lm", "--dim", "batch=2");
    expect(some.totals.macs).toBe("2621440*seq");
    expect(layer(some, "logits").output_shape).toEqual([2, "seq", 4096]);
  });

  it("text_classifier", async () => {
    const s = await summary("text_classifier");
    // embed 8000·128 = 1024000
    expect(layer(s, "embed").params).toBe(1024000);
    // heads: Einsum btd,dhk->bthk, kernel 128·4·32 = 16384 + bias 4·32 = 128;
    // MACs = b·t·d·h·k = batch·seq·128·4·32
    expect(layer(s, "heads")).toMatchObject({ params: 16512, macs: "16384*batch*seq", output_shape: ["batch", "seq", 4, 32] });
    // merge: LinearGeneral in [4, 32] → 128: kernel 4·32·128 = 16384 + bias 128; 128·128 MACs per token
    expect(layer(s, "merge")).toMatchObject({ params: 16512, macs: "16384*batch*seq", output_shape: ["batch", "seq", 128] });
    // pooled: mean over seq, one FLOP per input element
    expect(layer(s, "pooled")).toMatchObject({ macs: 0, flops: "128*batch*seq", output_shape: ["batch", 128] });
    // logits 128·5 + 5 = 645 params, 640 MACs per example
    expect(layer(s, "logits")).toMatchObject({ params: 645, macs: "640*batch" });
    // params 1024000 + 16512 + 16512 + 645 = 1057669; MACs 32768·batch·seq + 640·batch
    // FLOPs 65536·bs + gelu 4·32·bs + mean 128·bs + 1280·batch = 65792·bs + 1280·batch
    expect(s.totals).toEqual({ params: 1057669, macs: "32768*batch*seq + 640*batch", flops: "65792*batch*seq + 1280*batch", param_bytes: 1057669 * 4, batch_stats: 0, batch_stat_bytes: 0 });
  });

  it("self_attention", async () => {
    const s = await summary("self_attention");
    // query/key/value: 64·4·16 = 4096 + bias 64 = 4160 params each; 4096 MACs per token
    for (const n of ["query", "key", "value"]) expect(layer(s, n)).toMatchObject({ params: 4160, macs: "4096*batch*seq" });
    // scores bqhk,bthk->bhqt: b·q·h·k·t = batch·seq·4·16·seq
    expect(layer(s, "scores")).toMatchObject({ macs: "64*batch*seq**2", output_shape: ["batch", 4, "seq", "seq"] });
    expect(layer(s, "attended")).toMatchObject({ macs: "64*batch*seq**2", output_shape: ["batch", "seq", 4, 16] });
    // out: LinearGeneral [4, 16] → 64: 4096 + 64 = 4160
    expect(layer(s, "out")).toMatchObject({ params: 4160, macs: "4096*batch*seq" });
    // params 4·4160 = 16640; MACs 4·4096·bs + 2·64·bs² ;
    // FLOPs 2·MACs + softmax 4·s·s·b + add 64·bs = 260·b·s² + 32832·b·s
    expect(s.totals).toEqual({ params: 16640, macs: "128*batch*seq**2 + 16384*batch*seq", flops: "260*batch*seq**2 + 32832*batch*seq", param_bytes: 16640 * 4, batch_stats: 0, batch_stat_bytes: 0 });
    const bound = await summary("self_attention", "--dim", "batch=2", "--dim", "seq=10");
    // 128·2·100 + 16384·20 = 25600 + 327680
    expect(bound.totals.macs).toBe(353280);
  });

  it("video_conv3d", async () => {
    const s = await summary("video_conv3d");
    // stem: 3·3·3·3·16 + 16 = 1312; strides [1,2,2] SAME: 8×16×16×16 outputs · 3·3·3·3 taps = 32768·81
    expect(layer(s, "stem")).toMatchObject({ params: 1312, macs: "2654208*batch", output_shape: ["batch", 8, 16, 16, 16] });
    // block: groups 2 → kernel 3·3·3·(16/2)·32 + 32 = 6944; 4×8×8×32 outputs · 27·8 taps = 8192·216
    expect(layer(s, "block")).toMatchObject({ params: 6944, macs: "1769472*batch", output_shape: ["batch", 4, 8, 8, 32] });
    // max_pool 2×2×2: 2×4×4×32 outputs · 8 = 8192 FLOPs
    expect(layer(s, "max_pool_0")).toMatchObject({ output_shape: ["batch", 2, 4, 4, 32], flops: "8192*batch" });
    // logits: 32·400 + 400 = 13200
    expect(layer(s, "logits")).toMatchObject({ params: 13200, macs: "12800*batch" });
    // params 1312 + 6944 + 13200 = 21456; MACs 2654208 + 1769472 + 12800 = 4436480
    // FLOPs 2·4436480 + relu 32768 + silu 8192 + pool 8192 + mean 1024 = 8923136
    expect(s.totals).toEqual({ params: 21456, macs: "4436480*batch", flops: "8923136*batch", param_bytes: 21456 * 4, batch_stats: 0, batch_stat_bytes: 0 });
  });

  it("segmenter with its symbolic height and width bound", async () => {
    const s = await summary("segmenter", "--dim", "batch=1", "--dim", "height=64", "--dim", "width=48");
    // down: stride 2 SAME: ceil(64/2)=32, ceil(48/2)=24; 3·3·3·16 + 16 = 448; 32·24·16·27 = 331776
    expect(layer(s, "down")).toMatchObject({ params: 448, macs: 331776, output_shape: [1, 32, 24, 16] });
    // context: CIRCULAR keeps 32×24; 3·3·16·16 + 16 = 2320; 32·24·16·144 = 1769472
    expect(layer(s, "context")).toMatchObject({ params: 2320, macs: 1769472, output_shape: [1, 32, 24, 16] });
    // valid: VALID 3×3 → 30×22; 30·22·16·144 = 1520640
    expect(layer(s, "valid")).toMatchObject({ params: 2320, macs: 1520640, output_shape: [1, 30, 22, 16] });
    // classes: 1×1, 16·4 + 4 = 68; 30·22·4·16 = 42240
    expect(layer(s, "classes")).toMatchObject({ params: 68, macs: 42240, output_shape: [1, 30, 22, 4] });
    // params 448 + 2320 + 2320 + 68 = 5156; MACs 331776 + 1769472 + 1520640 + 42240 = 3664128
    // FLOPs 2·3664128 + relu 12288 + relu 12288 + tanh 10560 + log_softmax 2640 = 7366032
    expect(s.totals).toEqual({ params: 5156, macs: 3664128, flops: 7366032, param_bytes: 5156 * 4, batch_stats: 0, batch_stat_bytes: 0 });
  });

  it("segmenter without --dim prints shapes as Python-style expressions", async () => {
    const s = await summary("segmenter");
    expect(layer(s, "down").output_shape).toEqual(["batch", "(height + 1) // 2", "(width + 1) // 2", 16]);
    expect(layer(s, "valid").output_shape).toEqual(["batch", "(height + 1) // 2 - 2", "(width + 1) // 2 - 2", 16]);
    expect(typeof s.totals.macs).toBe("string");
    expect(s.totals.params).toBe(5156);
  });
});

describe("summary table and markdown", () => {
  it("the table ends with a totals row", async () => {
    const r = await runCli(["summary", join(EXAMPLES, "tiny_cnn.yaml")]);
    expect(r.code).toBe(0);
    const total = r.stdout.split("\n").find((l) => l.startsWith("total"));
    expect(total).toBeDefined();
    expect(total).toMatch(/\b421,642\b/);
    expect(total).toContain("4241152*batch");
    expect(total).toContain("8557696*batch");
    expect(r.stdout).toMatch(/^conv1\s+Conv\s/m);
  });

  it("the table with every dim bound shows numbers", async () => {
    const r = await runCli(["summary", join(EXAMPLES, "tiny_cnn.yaml"), "--dim", "batch=2", "--format", "table"]);
    const total = r.stdout.split("\n").find((l) => l.startsWith("total"))!;
    expect(total).toContain((4241152 * 2).toLocaleString("en-US"));
  });

  it("markdown has a header row, an alignment row and a bold totals row", async () => {
    const r = await runCli(["summary", join(EXAMPLES, "tied_lm.yaml"), "--format", "markdown"]);
    expect(r.code).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => l.startsWith("|"));
    expect(rows[0]).toMatch(/^\| name \| type \|/);
    expect(rows[1]).toMatch(/^\|(\s*:?-{3,}:?\s*\|)+$/);
    const total = rows.find((l) => l.startsWith("| **total** |"));
    expect(total).toBeDefined();
    expect(total).toContain("1,311,232");
    expect(total).toContain("1310720*batch*seq");
    // Every row has the same number of cells.
    const cells = (l: string) => l.replace(/\\\|/g, "").split("|").length;
    for (const row of rows) expect(cells(row)).toBe(cells(rows[0]!));
  });
});

describe("summary errors", () => {
  it.each([
    ["a dim the model does not have", ["--dim", "seq=3"], 1],
    ["a dim outside the dims constraint", ["--dim", "batch=5000"], 1],
    ["a malformed --dim", ["--dim", "batch=two"], 2],
  ] as const)("%s", async (_n, flags, code) => {
    const r = await runCli(["summary", join(EXAMPLES, "tiny_cnn.yaml"), ...flags]);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it("a spec with errors prints its diagnostics and exits 1", async () => {
    const r = await runCli(["summary", join(FAIL, "conv_causal_2d.fail.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("NNX2003");
    expect(r.stdout).toBe("");
  });
});

describe("summary of normalization layers", () => {
  const NORM_CNN = join(import.meta.dirname, "../codegen/specs/norm_cnn.yaml");

  it("norm_cnn: params and BatchNorm's batch stats counted apart, FLOPs per the norm convention", async () => {
    const r = await runCli(["summary", NORM_CNN, "--format", "json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    // BatchNorm(64): scale + bias = 128 params; mean + var = 128 batch stats. x - mean, x factor, + bias: 3 FLOPs per element.
    expect(layer(s, "bn1")).toMatchObject({ params: 128, param_bytes: 512, batch_stats: 128, batch_stat_bytes: 512, macs: 0, flops: `${32 * 32 * 64 * 3}*batch` });
    // GroupNorm / LayerNorm with fast variance, scale and bias: 3 + 1 + 1 + 1 + 1 = 7 per element.
    expect(layer(s, "gn2")).toMatchObject({ params: 128, batch_stats: 0, flops: `${16 * 16 * 64 * 7}*batch` });
    expect(layer(s, "ln")).toMatchObject({ params: 128, batch_stats: 0, flops: `${64 * 7}*batch` });
    expect(layer(s, "drop")).toMatchObject({ params: 0, macs: 0, flops: 0 });
    expect(s.totals).toMatchObject({ params: 1728 + 128 + 36928 + 128 + 128 + 650, batch_stats: 128, batch_stat_bytes: 512 });
  });

  it("shows the batch stats columns only for models that have some", async () => {
    const withStats = await runCli(["summary", NORM_CNN]);
    expect(withStats.stdout).toMatch(/param bytes +batch stats +batch stat bytes +MACs/);
    expect(withStats.stdout).toMatch(/\nbn1 +BatchNorm .* 128 +512 B +128 +512 B /);
    const without = await runCli(["summary", join(EXAMPLES, "tiny_cnn.yaml")]);
    expect(without.stdout).not.toContain("batch stats");
  });
});
