"""Independent PyTorch cross-check of the normalization layers.

(a) The float64 NumPy references (fixtures/parity_extra/oracle_norms.py, written from
    flax/nnx/nn/normalization.py) against torch.nn.functional.layer_norm, group_norm,
    batch_norm and an RMS norm written in torch, in float64, on random configurations
    (shapes, reduction and feature axes, eps, groups, scale/bias on or off).
(b) nnx-gen itself (the built CLI, `node bin/nnx-gen.js run`) on a subset of those
    configurations, all in one spec, compared with torch within float32 tolerance.

Run from the repository root with Debian's python (numpy and torch only):
    /usr/bin/python3 test/torch/check_norms.py
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
import oracle_norms as o  # noqa: E402

CONFIGS_PER_KIND = 30
RUN_PER_KIND = 6
EPSILONS = (1e-6, 1e-5, 1e-3, 0.1)


def t64(a):
    return torch.tensor(np.asarray(a, np.float64))


def feature_shape(shape, axes):
    return [shape[a] if a in axes else 1 for a in range(len(shape))]


# ---------------------------------------------------------------------------------------------
# torch versions, written from torch's functional API (not from the NumPy references)

def torch_normalized_over(x, axes, eps, rms=False):
    """Normalize over `axes` by moving them last and calling F.layer_norm (or an RMS norm)."""
    rank = x.dim()
    rest = [a for a in range(rank) if a not in axes]
    perm = rest + list(axes)
    xp = x.permute(perm)
    shape = [x.shape[a] for a in axes]
    if rms:
        dims = tuple(range(len(rest), rank))
        yp = xp * torch.rsqrt((xp * xp).mean(dim=dims, keepdim=True) + eps)
    else:
        yp = F.layer_norm(xp, shape, eps=eps)
    return yp.permute([perm.index(a) for a in range(rank)])


def torch_layer_norm(x, c, scale, bias, rms=False):
    y = torch_normalized_over(x, c['red'], c['eps'], rms)
    fs = feature_shape(list(x.shape), c['feat'])
    if scale is not None:
        y = y * t64(scale).reshape(fs)
    if bias is not None:
        y = y + t64(bias).reshape(fs)
    return y


def torch_group_norm(x, c, scale, bias):
    """F.group_norm wants (N, C, *): the kept axis becomes N, the last (feature) axis C."""
    rank = x.dim()
    kept = c['kept']
    others = [a for a in range(rank - 1) if a != kept]
    perm = [kept, rank - 1] + others
    y = F.group_norm(x.permute(perm), c['groups'], None if scale is None else t64(scale), None if bias is None else t64(bias), eps=c['eps'])
    return y.permute([perm.index(a) for a in range(rank)])


def torch_batch_norm(x, c, p):
    """F.batch_norm in eval mode wants the channel axis at 1."""
    rank = x.dim()
    ax = c['axis']
    rest = [a for a in range(rank) if a != ax]
    perm = [rest[0], ax] + rest[1:]
    y = F.batch_norm(x.permute(perm), t64(p['mean']), t64(p['var']), None if 'scale' not in p else t64(p['scale']),
                     None if 'bias' not in p else t64(p['bias']), training=False, eps=c['eps'])
    return y.permute([perm.index(a) for a in range(rank)])


# ---------------------------------------------------------------------------------------------
# random configurations

def rand_shape(rng, rank, lo=1, hi=6):
    return [int(rng.integers(lo, hi + 1)) for _ in range(rank)]


def subset(rng, rank):
    k = int(rng.integers(1, rank + 1))
    return sorted(int(a) for a in rng.choice(rank, size=k, replace=False))


def spell(axes, rank, rng):
    """Axes as a spec writes them: some negative, a single int sometimes."""
    out = [a - rank if rng.random() < 0.4 else a for a in axes]
    return out[0] if len(out) == 1 and rng.random() < 0.5 else out


def make_input(rng, shape):
    return (rng.standard_normal(shape) * rng.uniform(0.5, 3) + rng.uniform(-2, 2)).astype(np.float32)


def layer_norm_config(rng, i, rms):
    rank = int(rng.integers(1, 5))
    shape = rand_shape(rng, rank)
    red, feat = subset(rng, rank), subset(rng, rank)
    n = int(np.prod([shape[a] for a in feat]))
    c = {'kind': 'RMSNorm' if rms else 'LayerNorm', 'shape': shape, 'red': red, 'feat': feat, 'eps': float(rng.choice(EPSILONS)),
         'scale': bool(rng.random() < 0.7), 'bias': (not rms) and bool(rng.random() < 0.7), 'fast': bool(rng.random() < 0.5)}
    layer = {'type': c['kind'], 'reduction_axes': spell(red, rank, rng), 'feature_axes': spell(feat, rank, rng), 'epsilon': c['eps'],
             'use_scale': c['scale'], 'use_fast_variance': c['fast']}
    if not rms:
        layer['use_bias'] = c['bias']
    if rng.random() < 0.3:
        layer['num_features'] = n
    params = {}
    if c['scale']:
        params['scale'] = rng.standard_normal(n).astype(np.float32)
    if c['bias']:
        params['bias'] = rng.standard_normal(n).astype(np.float32)
    x = make_input(rng, shape)
    ref = (o.rms_norm(x, params.get('scale'), epsilon=c['eps'], reduction_axes=red, feature_axes=feat) if rms else
           o.layer_norm(x, params.get('scale'), params.get('bias'), epsilon=c['eps'], reduction_axes=red, feature_axes=feat, use_fast_variance=c['fast']))
    tch = torch_layer_norm(t64(x), c, params.get('scale'), params.get('bias'), rms).numpy()
    return c, layer, params, x, ref, tch


def group_norm_config(rng, i):
    rank = int(rng.integers(2, 5))
    groups, size = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    shape = rand_shape(rng, rank - 1) + [groups * size]
    kept = 0 if rng.random() < 0.6 else int(rng.integers(0, rank - 1))
    red = [a for a in range(rank) if a != kept]
    if size * int(np.prod([shape[a] for a in red[:-1]])) < 2:  # F.group_norm refuses single-value groups
        size = 2
        shape[-1] = groups * size
    c = {'kind': 'GroupNorm', 'shape': shape, 'groups': groups, 'kept': kept, 'eps': float(rng.choice(EPSILONS)),
         'scale': bool(rng.random() < 0.7), 'bias': bool(rng.random() < 0.7), 'fast': bool(rng.random() < 0.5)}
    layer = {'type': 'GroupNorm', 'epsilon': c['eps'], 'use_scale': c['scale'], 'use_bias': c['bias'], 'use_fast_variance': c['fast']}
    by_size = rng.random() < 0.5
    layer.update({'num_groups': None, 'group_size': size} if by_size else {'num_groups': groups})
    if kept != 0 or rng.random() < 0.3:
        layer['reduction_axes'] = spell(red, rank, rng)
    params = {}
    if c['scale']:
        params['scale'] = rng.standard_normal(groups * size).astype(np.float32)
    if c['bias']:
        params['bias'] = rng.standard_normal(groups * size).astype(np.float32)
    x = make_input(rng, shape)
    ref = o.group_norm(x, params.get('scale'), params.get('bias'), num_groups=None if by_size else groups, group_size=size if by_size else None,
                       epsilon=c['eps'], reduction_axes=red, use_fast_variance=c['fast'])
    tch = torch_group_norm(t64(x), c, params.get('scale'), params.get('bias')).numpy()
    return c, layer, params, x, ref, tch


def batch_norm_config(rng, i):
    rank = int(rng.integers(2, 5))
    shape = rand_shape(rng, rank)
    axis = int(rng.integers(0, rank))
    n = shape[axis]
    c = {'kind': 'BatchNorm', 'shape': shape, 'axis': axis, 'eps': float(rng.choice(EPSILONS)),
         'scale': bool(rng.random() < 0.7), 'bias': bool(rng.random() < 0.7)}
    layer = {'type': 'BatchNorm', 'axis': axis - rank if rng.random() < 0.5 else axis, 'epsilon': c['eps'], 'use_scale': c['scale'], 'use_bias': c['bias']}
    params = {'mean': (rng.standard_normal(n) * 2).astype(np.float32), 'var': rng.uniform(0.05, 5, n).astype(np.float32)}
    if c['scale']:
        params['scale'] = rng.standard_normal(n).astype(np.float32)
    if c['bias']:
        params['bias'] = rng.standard_normal(n).astype(np.float32)
    x = make_input(rng, shape)
    ref = o.batch_norm(x, params['mean'], params['var'], params.get('scale'), params.get('bias'), axis=axis, epsilon=c['eps'])
    tch = torch_batch_norm(t64(x), c, params).numpy()
    return c, layer, params, x, ref, tch


# ---------------------------------------------------------------------------------------------
# nnx-gen on a subset, all in one spec

def run_nnx_gen(configs):
    """One spec: layer l{i} on input x{i}; returns {name: output}."""
    inputs, layers, params, arrays = {}, [], {}, {}
    for i, (c, layer, p, x, _ref, _tch) in enumerate(configs):
        name = f'l{i}'
        shape = list(x.shape)
        # A symbolic leading dim where axis 0 holds no parameter (shapes must flow through).
        feat = c.get('feat', [c['axis']] if 'axis' in c else [len(shape) - 1])
        if 0 not in feat and i % 2 == 0:
            shape[0] = f'n{i}'
        inputs[f'x{i}'] = {'shape': shape, 'dtype': 'float32'}
        layers.append({'name': name, 'input': f'x{i}', **layer})
        params.update({f'{name}.{k}': v for k, v in p.items()})
        arrays[f'x{i}'] = x
    spec = {'nnx_gen': 1, 'model': 'TorchCheck', 'inputs': inputs, 'layers': layers, 'outputs': [f'l{i}' for i in range(len(configs))]}
    return run_spec(spec, params, arrays)


def main():
    rng = np.random.default_rng(20261202)
    makers = [lambda i: layer_norm_config(rng, i, False), lambda i: layer_norm_config(rng, i, True),
              lambda i: group_norm_config(rng, i), lambda i: batch_norm_config(rng, i)]
    configs = [make(i) for make in makers for i in range(CONFIGS_PER_KIND)]
    bad = 0
    for c, _layer, _p, _x, ref, tch in configs:
        err = np.abs(ref - tch).max() if ref.size else 0.0
        if not np.allclose(ref, tch, rtol=1e-9, atol=1e-9):
            bad += 1
            print(f'reference != torch ({err:.3g}): {c}')
    chosen = [cfg for k in range(len(makers)) for cfg in configs[k * CONFIGS_PER_KIND:k * CONFIGS_PER_KIND + RUN_PER_KIND]]
    outs = run_nnx_gen(chosen)
    bad += count_cli_mismatches(chosen, outs)
    return finish('norms', bad, len(configs), len(chosen))

if __name__ == '__main__':
    sys.exit(main())
