"""The shipped example models against the same models written by hand in PyTorch.

For each of fixtures/examples/{gpt2_small,vit_b16,resnet18,gemma_block}.yaml: nnx-gen exports
seeded parameters (`export --format safetensors --seed 0`), runs the model on them (`run
--params`), and bench/peers/torch_models.py (hand-written torch modules, not torchvision or
HF) loads the same file and runs the same inputs. They must agree within 1e-4 relative, measured
as max |nnx - torch| / max |torch| over the whole output (float32 both sides), with the same
shape and every value finite.

Run from the repository root with Debian's python (numpy and torch only):
    /usr/bin/python3 test/torch/check_models.py
Exits 1 on any mismatch; the last line says how many configurations matched.
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_cli import ROOT  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'bench', 'peers'))
import torch_models as tm  # noqa: E402

REL_TOL = 1e-4
rng = np.random.default_rng(0)
# (model, dims, {input: array}): batch 1, short sequences (the architectures are full size).
CONFIGS = [
    ('gpt2_small', {'batch': 1, 'seq': 16}, {'tokens': rng.integers(0, 50257, (1, 16)).astype(np.int32)}),
    ('vit_b16', {'batch': 1}, {'image': rng.standard_normal((1, 224, 224, 3)).astype(np.float32)}),
    ('resnet18', {'batch': 1}, {'image': rng.standard_normal((1, 224, 224, 3)).astype(np.float32)}),
    ('gemma_block', {'batch': 1, 'seq': 16}, {'x': rng.standard_normal((1, 16, 2048)).astype(np.float32)}),
]


def cli(*args):
    r = subprocess.run(['node', os.path.join(ROOT, 'bin', 'nnx-gen.js'), *args], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr, sep='\n')
        raise SystemExit(f'nnx-gen {args[0]} failed with exit code {r.returncode}')


def main():
    torch.set_num_threads(1)
    bad = 0
    for model, dims, feeds in CONFIGS:
        t0 = time.time()
        spec = os.path.join(ROOT, 'fixtures', 'examples', f'{model}.yaml')
        with tempfile.TemporaryDirectory() as d:
            params = os.path.join(d, 'params.safetensors')
            cli('export', spec, '--format', 'safetensors', '--seed', '0', '-o', params)
            paths = {}
            for name, a in feeds.items():
                paths[name] = os.path.join(d, f'{name}.npy')
                np.save(paths[name], a)
            out = os.path.join(d, 'out')
            cli('run', spec, '--params', params, '--out', out, *[x for n, p in paths.items() for x in ('--input', f'{n}={p}')])
            cls = tm.MODELS[model]
            name = cls.outputs[0]
            got = np.load(os.path.join(out, f'{name}.npy'))
            with torch.inference_mode():
                want = tm.load(model, params)(*tm.feeds_from(cls, paths)).numpy()
        ok = got.shape == want.shape and np.isfinite(got).all() and np.isfinite(want).all()
        rel = float(np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()) if ok else float('nan')
        ok = ok and rel <= REL_TOL
        bad += not ok
        print(f'{model} {dims}: {name} {list(got.shape)} vs torch {list(want.shape)}, '
              f'max|nnx - torch| / max|torch| = {rel:.2e} ({"ok" if ok else "MISMATCH"}, {time.time() - t0:.1f} s)')
    if bad:
        print(f'models: {bad} mismatches')
        return 1
    print(f'models: {len(CONFIGS)} configurations matched')
    return 0


if __name__ == '__main__':
    sys.exit(main())
