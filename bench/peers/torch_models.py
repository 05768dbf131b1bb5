#!/usr/bin/python3
"""The shipped example models written by hand in PyTorch (torch 1.13; no torchvision, no HF),
loading the weights nnx-gen writes (`nnx-gen export --format safetensors`, Flax names and
layouts), for the cross-check (test/torch/check_models.py) and the benchmark (bench/run.js).

  fixtures/examples/gpt2_small.yaml   -> Gpt2Small    (tokens [B, T] -> logits [B, T, 50257])
  fixtures/examples/vit_b16.yaml      -> VitB16       (image [B, 224, 224, 3] -> logits [B, 1000])
  fixtures/examples/resnet18.yaml     -> ResNet18     (image [B, 224, 224, 3] -> logits [B, 1000])
  fixtures/examples/gemma_block.yaml  -> GemmaBlock   (x [B, T, 2048] -> out [B, T, 2048])

Each is an nn.Module written from the architecture's definition; `load(params)` converts Flax's
layouts once (HWIO conv kernels to OIHW, [in, out] kernels to F.linear's [out, in], the three
attention projections fused into one [3 * D, D] matrix as GPT-2's c_attn is), so the forward
pass is what a PyTorch user would run. Images enter in NHWC, as nnx-gen takes them; the model
permutes them once to NCHW (channels_last memory, a view of the same data).

Timing (bench/run.js), same conditions as torch_peer.py (threads, malloc, inference_mode):
  torch_models.py --model gpt2_small --params P.safetensors --input tokens=T.npy --threads 1 --duration 3
"""

import argparse
import json
import math
import os
import sys

TUNED_MALLOC = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296"


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--params", required=True)
    p.add_argument("--input", action="append", default=[], help="NAME=FILE.npy")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--malloc", choices=["plain", "tuned"], default="plain")
    p.add_argument("--glibc-tunables", default=TUNED_MALLOC)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--out", help="write the outputs as NAME.npy here instead of timing")
    return p.parse_args(argv)


if __name__ == "__main__":
    ARGS = _parse(sys.argv[1:])
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)
    os.environ.pop("OPENBLAS_CORETYPE", None)
    want = ARGS.glibc_tunables if ARGS.malloc == "tuned" else None
    if os.environ.get("GLIBC_TUNABLES") != want:  # glibc reads it only at exec
        if want:
            os.environ["GLIBC_TUNABLES"] = want
        else:
            os.environ.pop("GLIBC_TUNABLES", None)
        os.execv(sys.executable, [sys.executable, *sys.argv])

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spec_plan import read_safetensors  # noqa: E402


def _t(a):
    return torch.from_numpy(np.ascontiguousarray(a, np.float32))


def _linear(p, name):
    """A Flax Linear ([in, out] kernel) as F.linear's (weight [out, in], bias)."""
    return _t(p[f"{name}.kernel"]).t().contiguous(), (_t(p[f"{name}.bias"]) if f"{name}.bias" in p else None)


def _conv(p, name):
    """A Flax Conv kernel (HWIO) as torch's OIHW, channels_last memory."""
    w = _t(p[f"{name}.kernel"]).permute(3, 2, 0, 1).contiguous(memory_format=torch.channels_last)
    return w, (_t(p[f"{name}.bias"]) if f"{name}.bias" in p else None)


class Attention(nn.Module):
    """nnx.MultiHeadAttention (self-attention): query/key/value kernels [D, H, d] (key and value
    with num_kv_heads heads), out [H, d, D]; softmax(q k^T / sqrt(d)), causal or not."""

    def __init__(self, p, name, causal):
        super().__init__()
        q, k, v = (p[f"{name}.{n}.kernel"] for n in ("query", "key", "value"))
        d_model, self.heads, self.head_dim = q.shape
        self.kv_heads = k.shape[1]
        w = np.concatenate([a.reshape(d_model, -1) for a in (q, k, v)], axis=1)
        self.w_qkv = _t(w).t().contiguous()
        has_bias = f"{name}.query.bias" in p
        self.b_qkv = _t(np.concatenate([p[f"{name}.{n}.bias"].reshape(-1) for n in ("query", "key", "value")])) if has_bias else None
        self.w_out = _t(p[f"{name}.out.kernel"].reshape(-1, d_model)).t().contiguous()
        self.b_out = _t(p[f"{name}.out.bias"]) if has_bias else None
        self.causal = causal

    def forward(self, x):
        b, t, _ = x.shape
        h, kv, d = self.heads, self.kv_heads, self.head_dim
        qkv = F.linear(x, self.w_qkv, self.b_qkv)
        q, k, v = qkv.split([h * d, kv * d, kv * d], dim=-1)
        q = q.view(b, t, h, d).transpose(1, 2)
        k = k.view(b, t, kv, d).transpose(1, 2)
        v = v.view(b, t, kv, d).transpose(1, 2)
        if kv != h:  # multi-query / grouped: each key/value head serves h // kv query heads
            q = q.reshape(b, kv, (h // kv) * t, d)
        s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d))
        if kv != h:
            s = s.view(b, h, t, t)
        if self.causal:
            s = s.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), torch.finfo(s.dtype).min)
        a = torch.softmax(s, dim=-1)
        if kv != h:
            a = a.reshape(b, kv, (h // kv) * t, t)
        y = torch.matmul(a, v)  # [b, h, t, d] (or [b, kv, g * t, d])
        y = y.reshape(b, h, t, d).transpose(1, 2).reshape(b, t, h * d)
        return F.linear(y, self.w_out, self.b_out)


class LayerNorm(nn.Module):
    def __init__(self, p, name, eps):
        super().__init__()
        self.w, self.b, self.eps = _t(p[f"{name}.scale"]), _t(p[f"{name}.bias"]), eps

    def forward(self, x):
        return F.layer_norm(x, self.w.shape, self.w, self.b, self.eps)


class RMSNorm(nn.Module):
    def __init__(self, p, name, eps=1e-6):
        super().__init__()
        self.w, self.eps = _t(p[f"{name}.scale"]), eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w


# --- GPT-2 small (OpenAI gpt-2 src/model.py; HF GPT2LMHeadModel) ---------------------------------

class Gpt2Block(nn.Module):
    def __init__(self, p, name):
        super().__init__()
        self.ln_1 = LayerNorm(p, f"{name}.ln_1", 1e-5)
        self.attn = Attention(p, f"{name}.attn", causal=True)
        self.ln_2 = LayerNorm(p, f"{name}.ln_2", 1e-5)
        self.fc = _linear(p, f"{name}.mlp.c_fc")
        self.proj = _linear(p, f"{name}.mlp.c_proj")

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + F.linear(F.gelu(F.linear(self.ln_2(x), *self.fc), approximate="tanh"), *self.proj)


class Gpt2Small(nn.Module):
    inputs, outputs = ("tokens",), ("logits",)

    def __init__(self, p):
        super().__init__()
        self.wte, self.wpe = _t(p["wte.embedding"]), _t(p["wpe.embedding"])
        self.h = nn.ModuleList(Gpt2Block(p, f"h.{i}") for i in range(12))
        self.ln_f = LayerNorm(p, "ln_f", 1e-5)

    def forward(self, tokens):
        x = F.embedding(tokens, self.wte) + self.wpe[: tokens.shape[1]]
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte)  # the tied head


# --- ViT-B/16 (Dosovitskiy et al. 2020; google-research/vision_transformer models_vit.py) --------

class VitBlock(nn.Module):
    def __init__(self, p, name):
        super().__init__()
        self.norm1 = LayerNorm(p, f"{name}.norm1", 1e-6)
        self.attn = Attention(p, f"{name}.attn", causal=False)
        self.norm2 = LayerNorm(p, f"{name}.norm2", 1e-6)
        self.fc1, self.fc2 = _linear(p, f"{name}.mlp.fc1"), _linear(p, f"{name}.mlp.fc2")

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + F.linear(F.gelu(F.linear(self.norm2(x), *self.fc1), approximate="tanh"), *self.fc2)


class VitB16(nn.Module):
    inputs, outputs = ("image",), ("logits",)

    def __init__(self, p):
        super().__init__()
        self.patch = _conv(p, "embedding")
        self.cls, self.pos = _t(p["cls"]), _t(p["pos_embedding"])
        self.blocks = nn.ModuleList(VitBlock(p, f"encoderblock.{i}") for i in range(12))
        self.norm = LayerNorm(p, "encoder_norm", 1e-6)
        self.head = _linear(p, "head")

    def forward(self, image):
        x = F.conv2d(image.permute(0, 3, 1, 2), *self.patch, stride=16)  # [B, 768, 14, 14]
        x = x.flatten(2).transpose(1, 2)  # [B, 196, 768], patches in row-major (h, w) order
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for block in self.blocks:
            x = block(x)
        return F.linear(self.norm(x)[:, 0], *self.head)


# --- ResNet-18 (torchvision resnet18: ResNet(BasicBlock, [2, 2, 2, 2])) -------------------------

class ConvBn(nn.Module):
    def __init__(self, p, conv, bn, stride, padding):
        super().__init__()
        self.w, _ = _conv(p, conv)
        self.mean, self.var = _t(p[f"{bn}.mean"]), _t(p[f"{bn}.var"])
        self.scale, self.bias = _t(p[f"{bn}.scale"]), _t(p[f"{bn}.bias"])
        self.stride, self.padding = stride, padding

    def forward(self, x):
        y = F.conv2d(x, self.w, None, self.stride, self.padding)
        return F.batch_norm(y, self.mean, self.var, self.scale, self.bias, False, 0.0, 1e-5)


class BasicBlock(nn.Module):
    def __init__(self, p, name, stride):
        super().__init__()
        self.c1 = ConvBn(p, f"{name}.conv1", f"{name}.bn1", stride, 1)
        self.c2 = ConvBn(p, f"{name}.conv2", f"{name}.bn2", 1, 1)
        self.down = ConvBn(p, f"{name}.downsample.conv", f"{name}.downsample.bn", stride, 0) if stride != 1 else None

    def forward(self, x):
        y = self.c2(F.relu(self.c1(x)))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet18(nn.Module):
    inputs, outputs = ("image",), ("logits",)

    def __init__(self, p):
        super().__init__()
        self.stem = ConvBn(p, "conv1", "bn1", 2, 3)
        self.stages = nn.ModuleList(
            nn.Sequential(BasicBlock(p, f"layer{i}.b0", 1 if i == 1 else 2), BasicBlock(p, f"layer{i}.b1", 1)) for i in range(1, 5))
        self.fc = _linear(p, "fc")

    def forward(self, image):
        x = image.permute(0, 3, 1, 2)  # NHWC data = a channels_last NCHW view
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        for stage in self.stages:
            x = stage(x)
        return F.linear(x.mean(dim=(2, 3)), *self.fc)


# --- A Gemma-style block (google-deepmind/gemma modules.py Block) -------------------------------

class GemmaBlock(nn.Module):
    inputs, outputs = ("x",), ("out",)

    def __init__(self, p):
        super().__init__()
        self.pre_attention_norm = RMSNorm(p, "pre_attention_norm")
        self.attn = Attention(p, "attn", causal=True)
        self.pre_ffw_norm = RMSNorm(p, "pre_ffw_norm")
        g = p["mlp.gating_einsum.kernel"]  # [2, D, H]
        self.w_gate_up = _t(np.concatenate([g[0], g[1]], axis=1)).t().contiguous()  # [2H, D]
        self.w_linear = _t(p["mlp.linear.kernel"]).t().contiguous()  # [D, H]

    def forward(self, x):
        x = x + self.attn(self.pre_attention_norm(x))
        gate, up = F.linear(self.pre_ffw_norm(x), self.w_gate_up).chunk(2, dim=-1)
        return x + F.linear(F.gelu(gate, approximate="tanh") * up, self.w_linear)


MODELS = {"gpt2_small": Gpt2Small, "vit_b16": VitB16, "resnet18": ResNet18, "gemma_block": GemmaBlock}


def load(model, params_path):
    return MODELS[model](read_safetensors(params_path)).eval()


def feeds_from(model_cls, inputs):
    """{name: .npy path} as torch tensors (token ids as int64, what F.embedding is fastest with)."""
    out = []
    for name in model_cls.inputs:
        a = np.load(inputs[name])
        out.append(torch.from_numpy(a.astype(np.int64) if a.dtype.kind in "iu" else np.ascontiguousarray(a)))
    return out


def main():
    import time
    args = ARGS
    torch.set_num_threads(args.threads)
    model = load(args.model, args.params)
    feeds = feeds_from(type(model), dict(i.split("=", 1) for i in args.input))
    with torch.inference_mode():
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            np.save(os.path.join(args.out, f"{type(model).outputs[0]}.npy"), model(*feeds).numpy())
            return 0
        for _ in range(args.warmup):
            model(*feeds)
        samples, start = [], time.perf_counter()
        while len(samples) < 3 or time.perf_counter() - start < args.duration:
            t0 = time.perf_counter_ns()
            model(*feeds)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
    print(json.dumps({"peer": "torch (hand-written model)", "model": args.model, "threads": args.threads, "torch_version": torch.__version__,
                      "conditions": {"malloc": args.malloc, "glibc_tunables": os.environ.get("GLIBC_TUNABLES"), "memory_format": "channels_last",
                                     "torch_threads": torch.get_num_threads(), "inference_mode": True},
                      "warmup": args.warmup, "iterations": len(samples), "samples_ms": samples}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
