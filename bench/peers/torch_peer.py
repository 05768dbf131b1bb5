#!/usr/bin/python3
"""PyTorch CPU peer for the nnx-gen benchmark suite.

Runs an nnx-gen spec (the subset in spec_plan.py) with PyTorch under its best conditions and
prints JSON with the latency samples. Run it with Debian's /usr/bin/python3 (python3-torch,
python3-numpy, libopenblas0-pthread).

Conditions, set here before NumPy/PyTorch load (glibc reads GLIBC_TUNABLES only at exec, so the
script re-executes itself when the malloc setting has to change):
  - OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = --threads, OPENBLAS_CORETYPE unset, and
    torch.set_num_threads(--threads): torch.set_num_threads alone does not limit OpenBLAS;
  - --malloc plain (glibc defaults) or tuned (no mmap for big blocks, no trimming: freed
    memory is reused instead of being returned to the kernel and faulted in again on every run);
  - --memory-format channels_last (default) or contiguous for convolutions;
  - torch.inference_mode(), intermediates freed after their last use, warm-up runs.

  torch_peer.py --spec bench/models/reference_cnn.yaml --dim batch=8 [--params P.safetensors | --seed 0]
  torch_peer.py --spec ... --dim batch=2 --check [--write-reference REF.safetensors]
"""

import argparse
import json
import os
import sys

# What nnx-gen's bench sets for itself (src/node/malloc_tuning.ts); hugetlb=1 made no
# difference to these models.
TUNED_MALLOC = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spec", required=True, help="nnx-gen YAML spec")
    p.add_argument("--dim", action="append", help="NAME=N for each symbolic dim")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--params", help=".safetensors with Flax-layout parameters")
    src.add_argument("--seed", type=int, default=0, help="initialise parameters (default 0)")
    p.add_argument("--save-params", help="write the parameters used to this .safetensors file")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--malloc", choices=["plain", "tuned"], default="plain")
    p.add_argument("--glibc-tunables", default=TUNED_MALLOC, help="the GLIBC_TUNABLES of --malloc tuned")
    p.add_argument("--memory-format", choices=["channels_last", "contiguous"], default="channels_last")
    p.add_argument("--warmup", type=int, default=5)
    count = p.add_mutually_exclusive_group()
    count.add_argument("--iterations", type=int)
    count.add_argument("--duration", type=float, help="seconds (default 3, at least 10 runs)")
    p.add_argument("--check", action="store_true", help="compare with a NumPy reference instead of timing")
    p.add_argument("--write-reference", help="with --check: write inputs and reference outputs (.safetensors)")
    p.add_argument("--reference-only", action="store_true",
                   help="with --write-reference: only the NumPy reference, for models the torch peer does not run")
    return p.parse_args(argv)


def prepare_process(args):
    """Thread and malloc settings that must be in place before the libraries load."""
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.pop("OPENBLAS_CORETYPE", None)  # a forced core type can pick slower kernels
    want = args.glibc_tunables if args.malloc == "tuned" else None
    if os.environ.get("GLIBC_TUNABLES") != want:
        if want:
            os.environ["GLIBC_TUNABLES"] = want
        else:
            os.environ.pop("GLIBC_TUNABLES", None)
        os.execv(sys.executable, [sys.executable, *sys.argv])


ARGS = parse_args(sys.argv[1:])
prepare_process(ARGS)

import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import yaml  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spec_plan as sp  # noqa: E402
from numpy_reference import reference_forward  # noqa: E402


def _to_nchw(x, rank, channels_last):
    """A channels-last activation (B, *spatial, C) as the NCHW (NCDHW) view torch's conv and
    pool take. With channels_last this is only a view; 1-D is treated as 2-D with H = 1."""
    if rank == 1:
        x = x.unsqueeze(1)
    x = x.permute(0, 4, 1, 2, 3) if rank == 3 else x.permute(0, 3, 1, 2)
    return x if channels_last else x.contiguous()


def _from_nchw(y, rank):
    if rank == 3:
        return y.permute(0, 2, 3, 4, 1)
    y = y.permute(0, 2, 3, 1)
    return y.squeeze(1) if rank == 1 else y


def _memory_format(rank, channels_last):
    if not channels_last:
        return torch.contiguous_format
    return torch.channels_last_3d if rank == 3 else torch.channels_last


def build_torch(layers, params, channels_last):
    """One closure per layer over channels-last activations, Flax semantics."""
    t = {n: torch.from_numpy(v) for n, v in params.items()}
    steps = []
    for l in layers:
        p = lambda name, l=l: t[f"{l.name}.{name}"]  # noqa: E731
        bias = p("bias") if "bias" in l.params else None
        if l.type == "Conv":
            if l.rank not in (1, 2, 3):
                raise sp.SpecError(f"{l.name}: the torch peer runs 1-D, 2-D and 3-D convolutions")
            k = p("kernel")
            w = k.permute(l.rank + 1, l.rank, *range(l.rank))  # HWIO -> OIHW
            if l.rank == 1:
                w = w.unsqueeze(2)
            fmt = _memory_format(l.rank, channels_last)
            w = w.contiguous(memory_format=fmt)
            sym = all(lo == hi for lo, hi in l.pads) and not l.circular
            # F.pad lists the last axis first: channels, then the spatial axes in reverse.
            flat_pads = [0, 0] + [q for lo, hi in reversed(l.pads) for q in (lo, hi)]
            # Circular padding on the NCHW view, which pads the spatial axes only.
            spatial_pads = [q for lo, hi in reversed(l.pads) for q in (lo, hi)] + ([0, 0] if l.rank == 1 else [])
            conv_pad = [lo for lo, _ in l.pads] if sym else [0] * l.rank
            stride, dil = list(l.strides), list(l.dilation)
            if l.rank == 1:
                conv_pad, stride, dil = [0] + conv_pad, [1] + stride, [1] + dil
            conv = F.conv3d if l.rank == 3 else F.conv2d

            def fn(x, w=w, b=bias, l=l, sym=sym, flat_pads=flat_pads, sp_pads=spatial_pads, cp=conv_pad, s=stride, d=dil, conv=conv, fmt=fmt):
                batch = x.shape[:len(l.batch_shape)]
                x = x.reshape(-1, *x.shape[len(l.batch_shape):]) if len(batch) != 1 else x
                if l.circular:
                    xn = F.pad(_to_nchw(x, l.rank, channels_last), sp_pads, mode="circular").contiguous(memory_format=fmt)
                else:
                    xn = _to_nchw(x if sym else F.pad(x, flat_pads), l.rank, channels_last)
                y = _from_nchw(conv(xn, w, b, s, cp, d, l.groups), l.rank)
                return y.reshape(*batch, *y.shape[1:]) if len(batch) != 1 else y
        elif l.type == "Linear":
            wt = p("kernel").t().contiguous()
            fn = lambda x, wt=wt, b=bias: F.linear(x, wt, b)  # noqa: E731
        elif l.type == "Embed":
            fn = lambda x, e=p("embedding"): F.embedding(x, e)  # noqa: E731
        elif l.type == "Einsum":
            eq, k = l.f["einsum_str"], p("kernel")
            fn = (lambda x, eq=eq, k=k: torch.einsum(eq, x, k)) if bias is None else \
                (lambda x, eq=eq, k=k, b=bias: torch.einsum(eq, x, k) + b)
        elif l.type == "LinearGeneral":
            k, dims = p("kernel"), (l.axes, list(range(len(l.axes))))
            fn = (lambda x, k=k, dims=dims: torch.tensordot(x, k, dims)) if bias is None else \
                (lambda x, k=k, dims=dims, b=bias: torch.tensordot(x, k, dims) + b)
        elif l.type == "attend":
            fn = lambda x, e=t[l.table]: F.linear(x, e)  # noqa: E731
        elif l.type == "relu":
            fn = F.relu
        elif l.type == "gelu":
            approx = "tanh" if l.f.get("approximate", True) else "none"
            fn = lambda x, a=approx: F.gelu(x, approximate=a)  # noqa: E731
        elif l.type in ("silu", "sigmoid", "tanh"):
            fn = {"silu": F.silu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[l.type]
        elif l.type in sp.SOFTMAXES:
            axes = tuple(l.axes)
            if len(axes) == 1:
                f = F.log_softmax if l.type == "log_softmax" else F.softmax
                fn = lambda x, a=axes[0], f=f: f(x, dim=a)  # noqa: E731
            else:
                def fn(x, a=axes, log=l.type == "log_softmax"):
                    y = x - torch.logsumexp(x, dim=a, keepdim=True)
                    return y if log else torch.exp(y)
        elif l.type in sp.BINARY:
            op = {"add": torch.add, "subtract": torch.sub, "multiply": torch.mul}[l.type]

            def fn(*xs, op=op):
                y = xs[0]
                for z in xs[1:]:
                    y = op(y, z)
                return y
        elif l.type == "einsum":
            fn = lambda *xs, eq=l.f["equation"]: torch.einsum(eq, *xs)  # noqa: E731
        elif l.type == "reshape":
            fn = lambda x, shape=tuple(l.out_shape): x.reshape(shape)  # noqa: E731
        elif l.type in sp.REDUCTIONS:
            axes = tuple(l.axes)
            fn = {"mean": lambda x, a=axes: x.mean(dim=a), "sum": lambda x, a=axes: x.sum(dim=a),
                  "max": lambda x, a=axes: x.amax(dim=a)}[l.type]
        elif l.type in sp.POOLS:
            rank = len(l.window)
            if rank not in (1, 2, 3):
                raise sp.SpecError(f"{l.name}: the torch peer pools over 1, 2 or 3 axes")
            win, st = ([1] if rank == 1 else []) + l.window, ([1] if rank == 1 else []) + l.strides
            pool = {(2, "avg_pool"): F.avg_pool2d, (2, "max_pool"): F.max_pool2d,
                    (3, "avg_pool"): F.avg_pool3d, (3, "max_pool"): F.max_pool3d}[(max(rank, 2), l.type)]
            fn = lambda x, r=rank, pool=pool, win=win, st=st: _from_nchw(pool(_to_nchw(x, r, channels_last), win, st), r)  # noqa: E731
        else:
            raise sp.SpecError(f"layer type {l.type} is not supported by the torch peer")
        steps.append((l.name, l.srcs, fn))
    return steps


def make_forward(steps, output_layers):
    """Run the steps, dropping each intermediate after its last use (as a runtime's memory
    planner would), and return the outputs."""
    last_use = {}
    for i, (_, srcs, _) in enumerate(steps):
        for src in srcs:
            last_use[src] = i
    keep = set(output_layers)

    def forward(feeds):
        env = dict(feeds)
        for i, (name, srcs, fn) in enumerate(steps):
            env[name] = fn(*[env[s] for s in srcs])
            for src in srcs:
                if last_use.get(src) == i and src not in keep and src in env:
                    del env[src]
        return [env[o] for o in output_layers]

    return forward


def torch_inputs(feeds):
    # Token ids as int64, the index type torch's embedding is fastest with.
    return {n: torch.from_numpy(v.astype(np.int64) if v.dtype.kind in "iu" else v) for n, v in feeds.items()}


def timed(forward, feeds, args):
    samples = []
    with torch.inference_mode():
        for _ in range(args.warmup):
            forward(feeds)
        start = time.perf_counter_ns()
        deadline = None if args.iterations else start + int((args.duration or 3.0) * 1e9)
        min_runs = args.iterations or (1 if args.duration else 10)
        while True:
            t0 = time.perf_counter_ns()
            forward(feeds)
            t1 = time.perf_counter_ns()
            samples.append((t1 - t0) / 1e6)
            if len(samples) >= min_runs and (deadline is None or t1 >= deadline):
                break
    return samples


def openblas_info():
    """What OpenBLAS actually uses, read from the loaded library, so the conditions are verified."""
    import ctypes
    with open("/proc/self/maps") as fh:
        path = next((ln.split()[-1] for ln in fh if "libopenblas" in ln), None)
    if path is None:
        return {"loaded": False}
    lib = ctypes.CDLL(path)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return {"threads": lib.openblas_get_num_threads(), "core": lib.openblas_get_corename().decode()}


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    with open(args.spec) as fh:
        spec = yaml.safe_load(fh)
    dims = sp.parse_dims(args.dim)
    inputs, layers, outputs = sp.plan(spec, dims)
    params = sp.read_safetensors(args.params) if args.params else sp.init_params(layers, args.seed)
    sp.check_params(layers, params)
    if args.save_params:
        sp.write_safetensors(args.save_params, params)
    feeds = sp.random_inputs(inputs, layers, args.seed)
    out_layers = [layer for _, layer in outputs]
    info = {"peer": "torch", "model": spec["model"], "dims": dims, "threads": args.threads,
            "torch_version": torch.__version__, "numpy_version": np.__version__,
            "conditions": {"memory_format": args.memory_format, "malloc": args.malloc,
                           "glibc_tunables": os.environ.get("GLIBC_TUNABLES"),
                           "openblas": openblas_info(), "torch_threads": torch.get_num_threads(),
                           "inference_mode": True}}

    if args.reference_only:
        ref = reference_forward(layers, params, feeds, out_layers)
        ref_io = {f"input:{n}": v for n, v in feeds.items()}
        ref_io.update({f"output:{n}": r.astype(np.float32) for (n, _), r in zip(outputs, ref)})
        sp.write_safetensors(args.write_reference, ref_io)
        print(json.dumps({**info, "reference": args.write_reference}))
        return 0

    if args.check:
        ref = reference_forward(layers, params, feeds, out_layers)
        report = {}
        ok = True
        for fmt in ("channels_last", "contiguous"):
            with torch.inference_mode():
                got = make_forward(build_torch(layers, params, fmt == "channels_last"), out_layers)(torch_inputs(feeds))
            for (out_name, _), g, r in zip(outputs, got, ref):
                diff = float(np.max(np.abs(g.numpy().astype(np.float64) - r)))
                scale = float(np.max(np.abs(r)))
                good = list(g.shape) == list(r.shape) and diff <= 1e-5 * scale + 1e-7
                ok &= good
                report[f"{out_name} ({fmt})"] = {"shape": list(g.shape), "max_abs_diff": diff, "max_abs_ref": scale, "ok": good}
        if args.write_reference:
            ref_io = {f"input:{n}": v for n, v in feeds.items()}
            ref_io.update({f"output:{n}": r.astype(np.float32) for (n, _), r in zip(outputs, ref)})
            sp.write_safetensors(args.write_reference, ref_io)
        print(json.dumps({**info, "check": "ok" if ok else "mismatch", "outputs": report}, indent=2))
        return 0 if ok else 1

    forward = make_forward(build_torch(layers, params, args.memory_format == "channels_last"), out_layers)
    samples = timed(forward, torch_inputs(feeds), args)
    print(json.dumps({**info, "warmup": args.warmup, "iterations": len(samples), "samples_ms": samples}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except sp.SpecError as e:
        print(f"torch_peer: {e}", file=sys.stderr)
        sys.exit(1)
