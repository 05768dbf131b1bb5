"""A plain NumPy (float64) evaluation of a resolved spec, written from Flax's definitions
independently of the torch peer, so `torch_peer.py --check` shows both compute one function."""

import numpy as np

import spec_plan as sp


def _conv(x, kernel, bias, pads, strides, dilation, groups=1, circular=False):
    """Channels-last convolution as a sum over kernel taps of strided input slices @ kernel[tap];
    grouped: each group of input channels feeds its own block of output channels."""
    if groups > 1:
        cin, cout = x.shape[-1] // groups, kernel.shape[-1] // groups
        ys = [_conv(x[..., g * cin:(g + 1) * cin], kernel[..., g * cout:(g + 1) * cout], None, pads, strides, dilation, 1, circular)
              for g in range(groups)]
        y = np.concatenate(ys, axis=-1)
        return y if bias is None else y + bias
    rank = kernel.ndim - 2
    xp = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)], mode="wrap" if circular else "constant")
    ks = kernel.shape[:rank]
    out_sp = [(xp.shape[1 + i] - ((ks[i] - 1) * dilation[i] + 1)) // strides[i] + 1 for i in range(rank)]
    y = np.zeros([x.shape[0], *out_sp, kernel.shape[-1]])
    for tap in np.ndindex(*ks):
        sl = tuple(slice(tap[i] * dilation[i], tap[i] * dilation[i] + (out_sp[i] - 1) * strides[i] + 1, strides[i])
                   for i in range(rank))
        y += xp[(slice(None), *sl, slice(None))] @ kernel[tap]
    return y if bias is None else y + bias


def _pool(x, window, strides, reduce):
    rank = len(window)
    out_sp = [(x.shape[1 + i] - window[i]) // strides[i] + 1 for i in range(rank)]
    taps = [x[(slice(None), *(slice(t[i], t[i] + (out_sp[i] - 1) * strides[i] + 1, strides[i]) for i in range(rank)), slice(None))]
            for t in np.ndindex(*window)]
    return reduce(np.stack(taps), axis=0)


def gelu(x, approximate=True):
    if approximate:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))


def reference_forward(layers, params, feeds, output_layers):
    p64 = {n: v.astype(np.float64) for n, v in params.items()}
    env = {n: (v if v.dtype.kind in "iu" else v.astype(np.float64)) for n, v in feeds.items()}
    for l in layers:
        x = env[l.src]
        xs = [env[s] for s in l.srcs]
        w = lambda name, l=l: p64.get(f"{l.name}.{name}")  # noqa: E731
        t = l.type
        if t == "Conv":
            xb = x.reshape(-1, *x.shape[len(l.batch_shape):])
            y = _conv(xb, w("kernel"), w("bias"), l.pads, l.strides, l.dilation, l.groups, l.circular)
            y = y.reshape(*l.batch_shape, *y.shape[1:])
        elif t == "Linear":
            y = x @ w("kernel") + (0 if w("bias") is None else w("bias"))
        elif t == "Embed":
            y = w("embedding")[x]
        elif t == "Einsum":
            y = np.einsum(l.f["einsum_str"], x, w("kernel")) + (0 if w("bias") is None else w("bias"))
        elif t == "LinearGeneral":
            y = np.tensordot(x, w("kernel"), (l.axes, list(range(len(l.axes))))) + (0 if w("bias") is None else w("bias"))
        elif t == "attend":
            y = x @ p64[l.table].T
        elif t == "relu":
            y = np.maximum(x, 0)
        elif t == "gelu":
            y = gelu(x, l.f.get("approximate", True))
        elif t == "silu":
            y = x / (1 + np.exp(-x))
        elif t == "sigmoid":
            y = 1 / (1 + np.exp(-x))
        elif t == "tanh":
            y = np.tanh(x)
        elif t in sp.SOFTMAXES:
            ax = tuple(l.axes)
            shifted = x - np.max(x, axis=ax, keepdims=True)
            lse = np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))
            y = shifted - lse if t == "log_softmax" else np.exp(shifted - lse)
        elif t in sp.BINARY:
            op = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply}[t]
            y = xs[0]
            for z in xs[1:]:
                y = op(y, z)
        elif t == "einsum":
            y = np.einsum(l.f["equation"], *xs)
        elif t == "reshape":
            y = np.reshape(x, l.out_shape)
        elif t in sp.REDUCTIONS:
            y = {"mean": np.mean, "sum": np.sum, "max": np.max}[t](x, axis=tuple(l.axes))
        elif t in sp.POOLS:
            y = _pool(x, l.window, l.strides, np.mean if t == "avg_pool" else np.max)
        else:
            raise sp.SpecError(f"layer type {t} has no NumPy reference")
        env[l.name] = y
    return [env[o] for o in output_layers]
