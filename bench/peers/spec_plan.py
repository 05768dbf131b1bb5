"""The part of an nnx-gen spec the peers need, resolved for concrete dims.

Shared by torch_peer.py (and its NumPy reference): layer names as nnx-gen gives them
(`<type>_<k>` for unnamed layers), each layer's input, output shape and parameter shapes in
Flax layouts (Conv kernel HWIO, Linear (in, out), Embed (N, F), Einsum kernel_shape,
LinearGeneral in_features + out_features). Only the layers and ops the reference models use,
plus a few simple ones, are supported; anything else is refused by name.

Also: a small .safetensors reader/writer on NumPy, and the seeded initialisation used when no
parameter file is given (lecun-normal kernels, zero biases, as Flax's defaults).
"""

import json
import math
import re

import numpy as np

ELEMENTWISE = ("relu", "gelu", "silu", "sigmoid", "tanh")
SOFTMAXES = ("softmax", "log_softmax")
BINARY = ("add", "subtract", "multiply")
REDUCTIONS = ("mean", "sum", "max")
POOLS = ("avg_pool", "max_pool")
PARAM_LAYERS = ("Conv", "Linear", "Embed", "Einsum", "LinearGeneral")


class SpecError(Exception):
    pass


def _as_list(v, n=None):
    if isinstance(v, (list, tuple)):
        return list(v)
    return [v] * (n if n is not None else 1)


def _dim(d, dims):
    if isinstance(d, int):
        return d
    if d not in dims:
        raise SpecError(f"dim {d!r} needs a value (--dim {d}=N)")
    return dims[d]


def conv_padding(padding, in_sizes, kernel, strides, dilation):
    """Flax's padding rule: (low, high) per spatial axis, and the output sizes."""
    rank = len(kernel)
    eff = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    if isinstance(padding, str):
        p = padding.upper()
        if p == "SAME":
            pads = []
            for n, e, s in zip(in_sizes, eff, strides):
                total = max((-(-n // s) - 1) * s + e - n, 0)
                pads.append((total // 2, total - total // 2))
        elif p == "VALID":
            pads = [(0, 0)] * rank
        elif p == "CIRCULAR":
            # Flax pads with mode "wrap": (keff - 1) // 2 before, keff // 2 after, then VALID.
            pads = [((e - 1) // 2, e // 2) for e in eff]
        elif p == "CAUSAL":
            if rank != 1:
                raise SpecError("CAUSAL padding needs a 1-D convolution")
            pads = [(eff[0] - 1, 0)]
        else:
            raise SpecError(f"padding {padding} is not supported by the peers")
    elif isinstance(padding, int):
        pads = [(padding, padding)] * rank
    else:
        pads = [tuple(p) if isinstance(p, (list, tuple)) else (p, p) for p in padding]
    out = [(n + lo + hi - e) // s + 1 for n, (lo, hi), e, s in zip(in_sizes, pads, eff, strides)]
    return pads, out


def _einsum_out(eq, shapes):
    lhs, out = eq.replace(" ", "").split("->")
    sizes = {}
    for sub, shape in zip(lhs.split(","), shapes):
        for c, n in zip(sub, shape):
            sizes[c] = n
    return [sizes[c] for c in out]


def _axes(axis, rank):
    return sorted(a % rank for a in _as_list(axis))


class Layer:
    def __init__(self, name, type_, fields, srcs, in_shapes, dims):
        self.name, self.type, self.f = name, type_, fields
        # srcs: every input; src / in_shape: the first (all but add/einsum read one).
        self.srcs, self.in_shapes, self.dims = srcs, in_shapes, dims
        self.src, self.in_shape = srcs[0], in_shapes[0]
        self.params = {}  # param name -> shape
        self.out_shape = None


def plan(spec, dims):
    """Resolve a spec (parsed YAML) for concrete dims. Returns (inputs, layers, outputs)."""
    inputs = []
    shapes, dtypes = {}, {}
    for name, t in spec["inputs"].items():
        shape = [_dim(d, dims) for d in t["shape"]]
        inputs.append((name, shape, t.get("dtype", "float32")))
        shapes[name], dtypes[name] = shape, t.get("dtype", "float32")

    layers, counters = [], {}
    prev = inputs[0][0] if len(inputs) == 1 else None
    for raw in spec["layers"]:
        t = raw["type"]
        k = counters.get(t, 0)
        counters[t] = k + 1
        name = raw.get("name", f"{t}_{k}")
        src = raw.get("input", prev)
        srcs = [src] if isinstance(src, str) else list(src)
        if src is None:
            raise SpecError(f"{name}: the input of the first layer of a model with several inputs must be named")
        f = {key: v for key, v in raw.items() if key not in ("name", "type", "input")}
        layer = Layer(name, t, f, srcs, [shapes[s] for s in srcs], dims)
        layer.out_shape = _infer(layer, layers)
        shapes[name], dtypes[name] = layer.out_shape, "float32"
        layers.append(layer)
        prev = name

    out = spec.get("outputs") or [layers[-1].name]
    outputs = list(out.items()) if isinstance(out, dict) else [(o, o) for o in out]
    return inputs, layers, outputs


def _infer(layer, done):
    t, f, x = layer.type, layer.f, layer.in_shape
    if t == "Conv":
        ks = _as_list(f["kernel_size"])
        rank = len(ks)
        strides = _as_list(f.get("strides", 1), rank)
        dil = _as_list(f.get("kernel_dilation", 1), rank)
        if f.get("input_dilation", 1) not in (1, [1] * rank) or "mask" in f:
            raise SpecError(f"{layer.name}: input_dilation and masks are not supported by the peers")
        cout = f.get("out_features", f.get("features"))
        padding = f.get("padding", "SAME")
        layer.circular = isinstance(padding, str) and padding.upper() == "CIRCULAR"
        # Flax: leading axes beyond the kernel's rank are batch axes (kernel_size: 1 on NHWC
        # is a 1-D conv over W with B and H as batch).
        layer.batch_shape = x[:len(x) - rank - 1]
        layer.pads, out = conv_padding(padding, x[len(x) - rank - 1:-1], ks, strides, dil)
        layer.strides, layer.dilation, layer.rank = strides, dil, rank
        layer.groups = f.get("feature_group_count", 1)
        layer.params["kernel"] = ks + [x[-1] // layer.groups, cout]
        if f.get("use_bias", True):
            layer.params["bias"] = [cout]
        return layer.batch_shape + out + [cout]
    if t == "Linear":
        layer.params["kernel"] = [x[-1], f["out_features"]]
        if f.get("use_bias", True):
            layer.params["bias"] = [f["out_features"]]
        return x[:-1] + [f["out_features"]]
    if t == "Embed":
        layer.params["embedding"] = [f["num_embeddings"], f["features"]]
        return x + [f["features"]]
    if t == "Einsum":
        layer.params["kernel"] = list(f["kernel_shape"])
        if f.get("bias_shape") is not None:
            layer.params["bias"] = list(f["bias_shape"])
        return _einsum_out(f["einsum_str"], [x, f["kernel_shape"]])
    if t == "LinearGeneral":
        if f.get("batch_axis"):
            raise SpecError(f"{layer.name}: batch_axis is not supported by the peers")
        layer.axes = _axes(f.get("axis", -1), len(x))
        out = _as_list(f["out_features"])
        layer.params["kernel"] = [x[a] for a in layer.axes] + out
        if f.get("use_bias", True):
            layer.params["bias"] = out
        return [n for i, n in enumerate(x) if i not in layer.axes] + out
    if t == "attend":
        embed = next((l for l in done if l.name == f["embed"] and l.type == "Embed"), None)
        if embed is None:
            raise SpecError(f"{layer.name}: no Embed layer named {f['embed']!r} before it")
        layer.table = f"{embed.name}.embedding"
        return x[:-1] + [embed.params["embedding"][0]]
    if t in ELEMENTWISE:
        return x
    if t in SOFTMAXES:
        layer.axes = _axes(f.get("axis", -1), len(x))
        return x
    if t in BINARY:
        return list(np.broadcast_shapes(*[tuple(s) for s in layer.in_shapes]))
    if t == "einsum":
        return _einsum_out(f["equation"], layer.in_shapes)
    if t == "reshape":
        raw = [d if isinstance(d, int) else _dim(d, layer.dims) for d in f["shape"]]
        if -1 in raw:
            known = math.prod(d for d in raw if d != -1)
            raw = [math.prod(x) // known if d == -1 else d for d in raw]
        if math.prod(raw) != math.prod(x):
            raise SpecError(f"{layer.name}: cannot reshape {x} into {f['shape']}")
        return raw
    if t in REDUCTIONS:
        layer.axes = list(range(len(x))) if f.get("axis") is None else _axes(f["axis"], len(x))
        return [n for i, n in enumerate(x) if i not in layer.axes]
    if t in POOLS:
        w = list(f["window_shape"])
        s = _as_list(f.get("strides", [1] * len(w)), len(w))
        if str(f.get("padding", "VALID")).upper() != "VALID":
            raise SpecError(f"{layer.name}: only VALID pooling is supported by the peers")
        layer.window, layer.strides = w, s
        return [x[0]] + [(n - k) // st + 1 for n, k, st in zip(x[1:-1], w, s)] + [x[-1]]
    raise SpecError(f"layer type {t!r} is not supported by the peers")


def param_shapes(layers):
    return {f"{l.name}.{p}": shape for l in layers for p, shape in l.params.items()}


def init_params(layers, seed):
    """Flax's default kinds: lecun-normal kernels (fan_in = prod(shape[:-1])), zero biases,
    variance-scaled normal embeddings. Not bit-identical to JAX; only the scale matters here."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in param_shapes(layers).items():
        if name.endswith(".bias"):
            out[name] = np.zeros(shape, np.float32)
        elif name.endswith(".embedding"):
            out[name] = (rng.standard_normal(shape) / math.sqrt(shape[-1])).astype(np.float32)
        else:
            out[name] = (rng.standard_normal(shape) / math.sqrt(math.prod(shape[:-1]))).astype(np.float32)
    return out


def check_params(layers, params):
    want = param_shapes(layers)
    missing = sorted(set(want) - set(params))
    extra = sorted(set(params) - set(want))
    bad = [f"{n}: {list(params[n].shape)} != {s}" for n, s in want.items() if n in params and list(params[n].shape) != s]
    if missing or extra or bad:
        raise SpecError(f"parameters do not match the spec: missing {missing}, unexpected {extra}, shapes {bad}")
    for n, v in params.items():
        if v.dtype != np.float32:
            raise SpecError(f"{n}: dtype {v.dtype}, the peers run float32")


def random_inputs(inputs, layers, seed):
    """Standard normal floats; integer tokens uniform over the reading Embed's table."""
    rng = np.random.default_rng(seed + 1)
    out = {}
    for name, shape, dtype in inputs:
        if dtype.startswith(("int", "uint")):
            reader = next((l for l in layers if name in l.srcs and l.type == "Embed"), None)
            high = reader.f["num_embeddings"] if reader else 100
            out[name] = rng.integers(0, high, size=shape).astype(dtype)
        else:
            out[name] = rng.standard_normal(shape).astype(np.float32)
    return out


# --- safetensors ------------------------------------------------------------------------------

_ST = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I8": "i1", "I16": "<i2", "I32": "<i4", "I64": "<i8",
       "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
_ST_BACK = {np.dtype(v).str: k for k, v in _ST.items()}


def read_safetensors(path):
    with open(path, "rb") as fh:
        data = fh.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _ST:
            raise SpecError(f"{path}: {name} has dtype {info['dtype']}, not supported by the peers")
        dt = np.dtype(_ST[info["dtype"]])
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data, dt, (e - b) // dt.itemsize, 8 + n + b).reshape(info["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        a = a.astype(a.dtype.newbyteorder("<")) if a.dtype.byteorder == ">" else a
        raw = a.tobytes()
        header[name] = {"dtype": _ST_BACK[a.dtype.str], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format asks for an 8-byte aligned data start
    with open(path, "wb") as fh:
        fh.write(len(text).to_bytes(8, "little") + text + b"".join(blobs))


def parse_dims(values):
    dims = {}
    for v in values or []:
        m = re.fullmatch(r"([a-z_][a-z0-9_]*)=(\d+)", v)
        if not m:
            raise SpecError(f"--dim {v}: expected NAME=N")
        dims[m.group(1)] = int(m.group(2))
    return dims
