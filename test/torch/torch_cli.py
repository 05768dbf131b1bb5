"""What the check_*.py cross-checks share: running nnx-gen's built CLI on a spec from Python with
no pip packages (the spec is JSON, which is YAML; parameters are written as safetensors)."""
import json
import os
import struct
import subprocess
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        b = np.ascontiguousarray(v, '<f4').tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def run_spec(spec, params, arrays):
    """`node bin/nnx-gen.js run` on `spec` (a dict) with float32 `params` and the input `arrays`
    (.npy, by input name); returns {output name: array}. Exits the script when the run fails."""
    with tempfile.TemporaryDirectory() as d:
        args = []
        for name, a in arrays.items():
            np.save(os.path.join(d, f'{name}.npy'), a)
            args += ['--input', f'{name}={os.path.join(d, name + ".npy")}']
        with open(os.path.join(d, 'spec.yaml'), 'w') as f:
            json.dump(spec, f, indent=1)
        write_safetensors(os.path.join(d, 'params.safetensors'), params)
        out = os.path.join(d, 'out')
        cmd = ['node', os.path.join(ROOT, 'bin', 'nnx-gen.js'), 'run', os.path.join(d, 'spec.yaml'), '--params', os.path.join(d, 'params.safetensors'), '--out', out] + args
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout, r.stderr, sep='\n')
            raise SystemExit(f'nnx-gen run failed with exit code {r.returncode}')
        return {o: np.load(os.path.join(out, f'{o}.npy')) for o in spec['outputs']}


def count_cli_mismatches(chosen, outs, describe=str, scaled=False):
    """Compare nnx-gen's output l{i} with torch's (the last item of chosen[i]) within float32
    tolerance (1e-4; atol relative to the largest |value| when `scaled`); print each mismatch."""
    bad = 0
    for i, cfg in enumerate(chosen):
        y, tch = outs[f'l{i}'], cfg[-1]
        atol = 1e-4 * (max(1.0, float(np.abs(tch).max())) if scaled and tch.size else 1.0)
        if y.shape != tch.shape or not np.allclose(y, tch, rtol=1e-4, atol=atol):
            bad += 1
            err = np.abs(y - tch).max() if y.shape == tch.shape else f'shape {y.shape} vs {tch.shape}'
            print(f'nnx-gen != torch ({err}): {describe(cfg[0])}')
    return bad


def finish(topic, bad, n_configs, n_run):
    """The exit code, after the final line the test runner reads."""
    if bad:
        print(f'{topic}: {bad} mismatches')
        return 1
    print(f'{topic}: references matched torch on {n_configs} configurations; nnx-gen matched torch on {n_run} of them')
    print(f'{topic}: {n_configs} configurations matched')
    return 0
