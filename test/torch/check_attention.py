"""Independent PyTorch cross-check of ConvTranspose, dot_product_attention and MultiHeadAttention.

(a) The float64 NumPy references (fixtures/parity_extra/oracle_attention.py, written from
    flax/nnx/nn/linear.py, flax/nnx/nn/attention.py and jax/_src/lax/convolution.py) against
    torch in float64, on random configurations:
    - ConvTranspose: torch.nn.functional.conv_transpose1d/2d/3d with padding 0 gives the full
      result, which is cropped or zero-padded to lax's pads; the kernel is flipped (or, with
      transpose_kernel, used as stored, Keras-style); CIRCULAR folds the VALID result with
      index_add (output j collects every y[i] with i = j + c mod n * stride);
    - dot_product_attention: torch's scaled dot product attention
      (F.scaled_dot_product_attention, or F._scaled_dot_product_attention on torch 1.13) with
      the mask, bias and causal mask folded into one float attention mask; grouped-query heads
      by repeat_interleave;
    - MultiHeadAttention: torch.nn.MultiheadAttention (batch_first) with Flax's kernels
      reshaped into its projection weights; causal as attn_mask, padding masks as
      key_padding_mask (torch's True means "ignore", Flax's "attend").
(b) nnx-gen itself (the built CLI, `node bin/nnx-gen.js run`) on a subset of those
    configurations, all in one spec (some with a symbolic batch dim), against torch within
    float32 tolerance.

Run from the repository root with Debian's python (numpy and torch only):
    /usr/bin/python3 test/torch/check_attention.py
Exits 1 on any mismatch; the last line says how many configurations matched.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_cli import ROOT, count_cli_mismatches, finish, run_spec  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'fixtures', 'parity_extra'))
import oracle_attention as o  # noqa: E402

N_CONVT, N_DPA, N_MHA = 60, 45, 25
RUN_CONVT, RUN_DPA, RUN_MHA = 10, 8, 6


def t64(a):
    return torch.tensor(np.asarray(a, np.float64))


def sdpa(q, k, v, attn_mask):
    """torch's scaled dot product attention, [..., L, E] layout; a float mask is added to the logits."""
    if hasattr(F, 'scaled_dot_product_attention'):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
    return F._scaled_dot_product_attention(q, k, v, attn_mask, 0.0, False, False)[0]


# ---------------------------------------------------------------------------------------------
# ConvTranspose

def transpose_pads(keff, s, padding):
    """jax _conv_transpose_padding, restated: SAME gives n*s outputs, VALID n*s + max(k - s, 0)."""
    if padding == 'SAME':
        total = keff + s - 2
        lo = keff - 1 if s > keff - 1 else -(-total // 2)
    else:
        total = keff + s - 2 + max(keff - s, 0)
        lo = keff - 1
    return lo, total - lo


def torch_conv_transpose(x, kernel, bias, c):
    r = len(c['ks'])
    w = np.asarray(kernel, np.float64) * (1 if c['mask'] is None else c['mask'])
    if c['tk']:
        wt = t64(w).permute(r + 1, r, *range(r))  # stored (k..., out, in): torch (in, out, k...) as is
    else:
        wt = t64(w).flip(list(range(r))).permute(r, r + 1, *range(r))
    X = t64(x).permute(0, r + 1, *range(1, r + 1))
    conv = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][r - 1]
    y = conv(X, wt, None, stride=c['s'], padding=0, dilation=c['d'])
    keff = [(k - 1) * d + 1 for k, d in zip(c['ks'], c['d'])]
    p = c['padding']
    if p == 'CIRCULAR' or p in ('SAME', 'VALID'):
        pads = [transpose_pads(k, s, 'VALID' if p == 'CIRCULAR' else p) for k, s in zip(keff, c['s'])]
    elif isinstance(p, int):
        pads = [(p, p)] * r
    else:
        pads = [tuple(q) for q in p]
    # torch's padding-0 result is lax's with pads keff - 1 on both sides: crop or zero-pad to (lo, hi).
    fpad = []
    for (lo, hi), k in reversed(list(zip(pads, keff))):
        fpad += [lo - (k - 1), hi - (k - 1)]
    y = F.pad(y, fpad)
    if p == 'CIRCULAR':
        for i in range(r):
            axis = 2 + i
            period = x.shape[1 + i] * c['s'][i]
            e = y.shape[axis] - period
            shift = -(-e // 2) if c['tk'] else e // 2
            idx = (torch.arange(y.shape[axis]) - shift) % period
            shape = list(y.shape)
            shape[axis] = period
            y = torch.zeros(shape, dtype=y.dtype).index_add_(axis, idx, y)
    if bias is not None:
        y = y + t64(bias).reshape([-1] + [1] * r)
    return y.permute(0, *range(2, r + 2), 1).numpy()


def convt_config(rng, i):
    r = 1 + i % 3
    ks = [int(rng.integers(1, 5 if r < 3 else 4)) for _ in range(r)]
    s = [int(rng.integers(1, 4)) for _ in range(r)]
    d = [int(rng.integers(1, 3)) for _ in range(r)]
    n = [int(rng.integers(1, 7 if r < 3 else 4)) for _ in range(r)]
    keff = [(k - 1) * dd + 1 for k, dd in zip(ks, d)]
    kind = ['SAME', 'VALID', 'CIRCULAR', 'pairs', 'int'][i % 5]
    if kind == 'pairs':
        padding = []
        for j in range(r):
            while True:
                lo, hi = int(rng.integers(-1, keff[j] + 2)), int(rng.integers(-1, keff[j] + 2))
                if (n[j] - 1) * s[j] + 1 + lo + hi - keff[j] + 1 >= 1:
                    break
            padding.append([lo, hi])
    elif kind == 'int':
        padding = int(rng.integers(0, 3))
        n = [max(v, -(-(keff[j] - 2 * padding) // s[j])) for j, v in enumerate(n)]
    else:
        padding = kind
    in_f, out_f = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    tk = bool(rng.integers(0, 2))
    kshape = ks + ([out_f, in_f] if tk else [in_f, out_f])
    mask = (rng.random(kshape) > 0.3).astype(np.float32) if i % 4 == 3 else None
    use_bias = i % 6 != 5
    x = rng.standard_normal([int(rng.integers(1, 3))] + n + [in_f]).astype(np.float32)
    kernel = rng.standard_normal(kshape).astype(np.float32)
    bias = rng.standard_normal(out_f).astype(np.float32) if use_bias else None
    c = {'kind': 'ConvTranspose', 'ks': ks, 's': s, 'd': d, 'padding': padding, 'tk': tk, 'mask': mask, 'x': list(x.shape)}
    ref = o.flax_conv_transpose(x, kernel, bias, kernel_size=ks, strides=s, padding=padding, kernel_dilation=d, transpose_kernel=tk, mask=mask)
    tch = torch_conv_transpose(x, kernel, bias, c)
    layer = {'type': 'ConvTranspose', 'out_features': out_f, 'kernel_size': ks, 'strides': s, 'kernel_dilation': d, 'padding': padding,
             'transpose_kernel': tk, 'use_bias': use_bias}
    if mask is not None:
        layer['mask'] = mask.tolist()
    params = {'kernel': kernel, **({'bias': bias} if use_bias else {})}
    return c, layer, params, {'x': x}, ref, tch


# ---------------------------------------------------------------------------------------------
# dot_product_attention

def torch_dpa(q, k, v, mask, bias, causal):
    nb = q.ndim - 3
    perm = list(range(nb)) + [nb + 1, nb, nb + 2]  # [b.., L, heads, E] -> [b.., heads, L, E]
    Q, K, V = (t64(a).permute(perm) for a in (q, k, v))
    g = Q.shape[-3] // K.shape[-3]
    K, V = K.repeat_interleave(g, dim=-3), V.repeat_interleave(g, dim=-3)
    shape = Q.shape[:-1] + (K.shape[-2],)
    m = torch.zeros(shape, dtype=torch.float64)
    if bias is not None:
        m = m + t64(bias)
    keep = torch.ones(shape, dtype=torch.bool)
    if mask is not None:
        keep = keep & torch.tensor(np.asarray(mask, bool))
    if causal:
        keep = keep & torch.ones(shape[-2:], dtype=torch.bool).tril()
    m = m.masked_fill(~keep, float('-inf'))
    return sdpa(Q, K, V, m).permute(perm).numpy()


def dpa_config(rng, i):
    nb = i % 3
    batch = [int(rng.integers(1, 3)) for _ in range(nb)]
    kvh = int(rng.integers(1, 3))
    heads = kvh * int(rng.integers(1, 3))
    T, S, H = int(rng.integers(1, 6)), int(rng.integers(1, 7)), int(rng.integers(1, 7))
    causal = i % 4 == 1
    q = rng.standard_normal(batch + [T, heads, H]).astype(np.float32)
    k = rng.standard_normal(batch + [S, kvh, H]).astype(np.float32)
    v = rng.standard_normal(batch + [S, kvh, H]).astype(np.float32)
    weights = batch + [heads, T, S]

    def bshape():
        # batch dims all kept or all 1 (Flax flattens them), other axes kept or 1, maybe fewer leading axes
        keep_batch = bool(rng.integers(0, 2))
        shape = [w if (j < nb and keep_batch) or (j >= nb and rng.integers(0, 2)) else 1 for j, w in enumerate(weights)]
        drop = int(rng.integers(0, nb + 1)) if not keep_batch else 0
        return shape[drop:]
    mask = bias = None
    if i % 3 != 0:
        mask = rng.random(bshape()) < 0.7
        mask[..., 0] = True  # no fully masked row: torch gives NaN there, Flax uniform weights
    if i % 2 == 0:
        bias = rng.standard_normal(bshape()).astype(np.float32)
    rate = 0.1 if i % 5 == 4 else 0.0
    c = {'kind': 'dot_product_attention', 'q': list(q.shape), 'k': list(k.shape), 'mask': None if mask is None else list(mask.shape),
         'bias': None if bias is None else list(bias.shape), 'causal': causal, 'dropout_rate': rate}
    ref = o.flax_dot_product_attention(q, k, v, bias, mask, is_causal=causal, dropout_rate=rate)
    tch = torch_dpa(q, k, v, mask, bias, causal)
    layer = {'type': 'dot_product_attention', 'is_causal': causal, **({'dropout_rate': rate, 'deterministic': True} if rate else {})}
    inputs = {'q': q, 'k': k, 'v': v, **({'m': mask} if mask is not None else {}), **({'b': bias} if bias is not None else {})}
    return c, layer, {}, inputs, ref, tch


# ---------------------------------------------------------------------------------------------
# MultiHeadAttention

def torch_mha(xq, xk, xv, P, heads, mask_kind, pad):
    E = xq.shape[-1]
    kd = xk.shape[-1]
    use_bias = 'query.bias' in P
    mha = torch.nn.MultiheadAttention(E, heads, bias=use_bias, kdim=kd, vdim=kd, batch_first=True).double().eval()
    Wq, Wk, Wv = (t64(P[n + '.kernel']).reshape(-1, E).T for n in ('query', 'key', 'value'))
    with torch.no_grad():
        if mha._qkv_same_embed_dim:
            mha.in_proj_weight.copy_(torch.cat([Wq, Wk, Wv]))
        else:
            mha.q_proj_weight.copy_(Wq)
            mha.k_proj_weight.copy_(Wk)
            mha.v_proj_weight.copy_(Wv)
        if use_bias:
            mha.in_proj_bias.copy_(torch.cat([t64(P[n + '.bias']).reshape(-1) for n in ('query', 'key', 'value')]))
            mha.out_proj.bias.copy_(t64(P['out.bias']))
        mha.out_proj.weight.copy_(t64(P['out.kernel']).reshape(E, E).T)
    T, S = xq.shape[-2], xk.shape[-2]
    kw = {}
    if mask_kind == 'causal':
        kw['attn_mask'] = ~torch.ones(T, S, dtype=torch.bool).tril()
    elif mask_kind == 'padding':
        kw['key_padding_mask'] = ~torch.tensor(pad.reshape(pad.shape[0], -1))
    with torch.no_grad():
        y, _ = mha(t64(xq), t64(xk), t64(xv), need_weights=False, **kw)
    return y.numpy()


def mha_config(rng, i):
    heads = int(rng.integers(1, 4))
    E = heads * int(rng.integers(1, 5))
    B, T = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    form = ['self', 'kv', 'qkv'][i % 3]
    mask_kind = ['none', 'causal', 'padding'][(i // 3) % 3]
    S = T if form == 'self' or mask_kind == 'causal' else int(rng.integers(1, 7))
    kd = E if form == 'self' else int(rng.integers(1, 9))
    use_bias = i % 7 != 6
    xq = rng.standard_normal([B, T, E]).astype(np.float32)
    xk = xq if form == 'self' else rng.standard_normal([B, S, kd]).astype(np.float32)
    xv = xk if form != 'qkv' else rng.standard_normal([B, S, kd]).astype(np.float32)
    hd = E // heads
    P = {'query.kernel': rng.standard_normal([E, heads, hd]), 'key.kernel': rng.standard_normal([kd, heads, hd]),
         'value.kernel': rng.standard_normal([kd, heads, hd]), 'out.kernel': rng.standard_normal([heads, hd, E])}
    if use_bias:
        P.update({'query.bias': rng.standard_normal([heads, hd]), 'key.bias': rng.standard_normal([heads, hd]),
                  'value.bias': rng.standard_normal([heads, hd]), 'out.bias': rng.standard_normal([E])})
    P = {n: (a * 0.4).astype(np.float32) for n, a in P.items()}
    pad = None
    if mask_kind == 'padding':
        pad = rng.random([B, 1, 1, S]) < 0.7
        pad[..., 0] = True
    ks = None if form == 'self' else xk
    vs = None if form != 'qkv' else xv
    ref = o.flax_mha(xq, ks, vs, params=P, mask=pad, causal=mask_kind == 'causal')
    tch = torch_mha(xq, xk, xv, P, heads, mask_kind, pad)
    c = {'kind': 'MultiHeadAttention', 'form': form, 'mask': mask_kind, 'heads': heads, 'E': E, 'kd': kd, 'B': B, 'T': T, 'S': S, 'use_bias': use_bias}
    layer = {'type': 'MultiHeadAttention', 'num_heads': heads, 'use_bias': use_bias, **({'mask': 'causal'} if mask_kind == 'causal' else {})}
    inputs = {'q': xq, **({'k': xk} if form != 'self' else {}), **({'v': xv} if form == 'qkv' else {}), **({'m': pad} if pad is not None else {})}
    return c, layer, P, inputs, ref, tch


# ---------------------------------------------------------------------------------------------
# nnx-gen on a subset, all in one spec

def run_nnx_gen(configs):
    """Layer l{i} on its own inputs `<name>{i}`; returns {layer: output}."""
    inputs, layers, params, arrays = {}, [], {}, {}
    for i, (c, layer, p, xs, _ref, _tch) in enumerate(configs):
        name = f'l{i}'
        # A symbolic batch dim on every other config whose inputs all share that leading dim.
        lead = {a.shape[0] for a in xs.values() if a.ndim}
        symbolic = i % 2 == 0 and len(lead) == 1 and all(a.ndim >= 3 for a in xs.values())
        for k, a in xs.items():
            shape = list(a.shape)
            if symbolic:
                shape[0] = f'n{i}'
            inputs[f'{k}{i}'] = {'shape': shape, 'dtype': 'bool' if a.dtype == np.bool_ else 'float32'}
            arrays[f'{k}{i}'] = a
        layer = {'name': name, **layer}
        if c['kind'] == 'ConvTranspose':
            layer['input'] = f'x{i}'
        elif c['kind'] == 'dot_product_attention':
            layer['input'] = [f'q{i}', f'k{i}', f'v{i}']
        else:
            layer['input'] = [f'{k}{i}' for k in ('q', 'k', 'v') if k in xs]
            if len(layer['input']) == 1:
                layer['input'] = layer['input'][0]
        if 'm' in xs:
            layer['mask'] = f'm{i}'
        if 'b' in xs:
            layer['bias'] = f'b{i}'
        layers.append(layer)
        params.update({f'{name}.{k}': v for k, v in p.items()})
    spec = {'nnx_gen': 1, 'model': 'TorchAttentionCheck', 'inputs': inputs, 'layers': layers, 'outputs': [f'l{i}' for i in range(len(configs))]}
    return run_spec(spec, params, arrays)


def describe(c):
    return {k: (v if not isinstance(v, np.ndarray) else 'array') for k, v in c.items()}


def main():
    rng = np.random.default_rng(20261203)
    groups = [[convt_config(rng, i) for i in range(N_CONVT)], [dpa_config(rng, i) for i in range(N_DPA)], [mha_config(rng, i) for i in range(N_MHA)]]
    configs = [c for g in groups for c in g]
    bad = 0
    for c, _layer, _p, _x, ref, tch in configs:
        if ref.shape != tch.shape or not np.allclose(ref, tch, rtol=1e-9, atol=1e-9):
            bad += 1
            err = np.abs(ref - tch).max() if ref.shape == tch.shape else f'shape {ref.shape} vs {tch.shape}'
            print(f'reference != torch ({err}): {describe(c)}')
    chosen = groups[0][:RUN_CONVT] + groups[1][:RUN_DPA] + groups[2][:RUN_MHA]
    outs = run_nnx_gen(chosen)
    bad += count_cli_mismatches(chosen, outs, describe, scaled=True)
    return finish('attention', bad, len(configs), len(chosen))

if __name__ == '__main__':
    sys.exit(main())
