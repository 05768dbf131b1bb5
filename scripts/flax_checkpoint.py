#!/usr/bin/env python3
"""Write a checkpoint exactly as Flax writes one, without Flax (numpy only).

Flax is not installable here, so this reproduces, from Flax's sources, what
`flax.serialization.to_bytes(nnx.to_pure_dict(nnx.state(model)))` and
`flax.serialization.msgpack_serialize(...)` write (flax/serialization.py, flax/nnx/statelib.py):

- nnx.to_pure_dict: the flat state {path tuple: value} unflattened into nested dicts
  (traversals.unflatten_mapping); a list-of-modules index is an int path element.
- to_bytes first applies to_state_dict, which for a dict stringifies every key, recursively
  (_dict_state_dict: {str(key): to_state_dict(value)}): integer list keys are written as "0".
  msgpack_serialize alone keeps them as msgpack integers.
- msgpack.packb(tree, default=_msgpack_ext_pack, strict_types=True): maps, str keys, and every
  array leaf as ExtType 1 (ndarray) whose data is msgpack.packb((shape, dtype.name,
  arr.tobytes('C')), use_bin_type=True); numpy scalars as ExtType 3 with the same payload.
  jax arrays, 0-d included, become np.ndarray first (ExtType 1).
- Arrays over MAX_CHUNK_SIZE = 2**30 bytes become {'__msgpack_chunked_array__': True,
  'shape': {'0': d0, ...}, 'chunks': {'0': flat[:n], ...}} (_chunk).
- RNG state (nnx.Dropout(rngs=...) and MultiHeadAttention with dropout forking an RngStream):
  `<module>.rngs.key` (a typed key: written as its jax.random.key_data, uint32[2] for
  threefry) and `<module>.rngs.count` (uint32 scalar array).

The msgpack encoding follows the msgpack spec as msgpack-python 1.x emits it (smallest
encoding for each int, str and bin; fixext for payloads of 1, 2, 4, 8 or 16 bytes; float64).

  flax_checkpoint.py IN.safetensors OUT.msgpack [--keys str|int] [--rng MODULE_PATH]...
  flax_checkpoint.py IN.safetensors OUT.safetensors [--rng MODULE_PATH]...   (flattened)
"""
import argparse
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'bench', 'peers'))
from spec_plan import read_safetensors, write_safetensors  # noqa: E402

MAX_CHUNK_SIZE = 2 ** 30
EXT_NDARRAY, EXT_NPSCALAR = 1, 3


def pack(obj, out):
    """msgpack-python's packb(obj, use_bin_type=True) for the types Flax's trees hold."""
    if obj is True:
        out.append(b'\xc3')
    elif obj is False:
        out.append(b'\xc2')
    elif obj is None:
        out.append(b'\xc0')
    elif isinstance(obj, int):
        _pack_int(obj, out)
    elif isinstance(obj, float):
        out.append(b'\xcb' + struct.pack('>d', obj))
    elif isinstance(obj, str):
        b = obj.encode('utf-8')
        n = len(b)
        out.append(bytes([0xa0 | n]) if n < 32 else b'\xd9' + struct.pack('>B', n) if n < 2 ** 8 else
                   b'\xda' + struct.pack('>H', n) if n < 2 ** 16 else b'\xdb' + struct.pack('>I', n))
        out.append(b)
    elif isinstance(obj, (bytes, bytearray, memoryview)):
        n = len(obj)
        out.append(b'\xc4' + struct.pack('>B', n) if n < 2 ** 8 else b'\xc5' + struct.pack('>H', n) if n < 2 ** 16 else
                   b'\xc6' + struct.pack('>I', n))
        out.append(bytes(obj))
    elif isinstance(obj, (list, tuple)):
        n = len(obj)
        out.append(bytes([0x90 | n]) if n < 16 else b'\xdc' + struct.pack('>H', n) if n < 2 ** 16 else b'\xdd' + struct.pack('>I', n))
        for v in obj:
            pack(v, out)
    elif isinstance(obj, dict):
        n = len(obj)
        out.append(bytes([0x80 | n]) if n < 16 else b'\xde' + struct.pack('>H', n) if n < 2 ** 16 else b'\xdf' + struct.pack('>I', n))
        for k, v in obj.items():
            pack(k, out)
            pack(v, out)
    elif isinstance(obj, np.ndarray):
        _pack_ext(EXT_NDARRAY, _ndarray_to_bytes(obj), out)
    elif isinstance(obj, np.generic):
        _pack_ext(EXT_NPSCALAR, _ndarray_to_bytes(np.asarray(obj)), out)
    else:
        raise TypeError(f'cannot serialize {type(obj).__name__}')


def _pack_int(i, out):
    if 0 <= i < 128:
        out.append(bytes([i]))
    elif -32 <= i < 0:
        out.append(struct.pack('b', i))
    elif i >= 0:
        for code, fmt, lim in ((0xcc, '>B', 2 ** 8), (0xcd, '>H', 2 ** 16), (0xce, '>I', 2 ** 32), (0xcf, '>Q', 2 ** 64)):
            if i < lim:
                out.append(bytes([code]) + struct.pack(fmt, i))
                return
        raise OverflowError(i)
    else:
        for code, fmt, lim in ((0xd0, '>b', 2 ** 7), (0xd1, '>h', 2 ** 15), (0xd2, '>i', 2 ** 31), (0xd3, '>q', 2 ** 63)):
            if i >= -lim:
                out.append(bytes([code]) + struct.pack(fmt, i))
                return
        raise OverflowError(i)


def _pack_ext(code, data, out):
    n = len(data)
    fixed = {1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}
    if n in fixed:
        out.append(bytes([fixed[n], code]))
    elif n < 2 ** 8:
        out.append(b'\xc7' + struct.pack('>Bb', n, code))
    elif n < 2 ** 16:
        out.append(b'\xc8' + struct.pack('>Hb', n, code))
    else:
        out.append(b'\xc9' + struct.pack('>Ib', n, code))
    out.append(data)


def packb(obj):
    out = []
    pack(obj, out)
    return b''.join(out)


def _ndarray_to_bytes(arr):
    """flax.serialization._ndarray_to_bytes: packb((shape, dtype.name, C bytes), use_bin_type=True)."""
    return packb((tuple(int(d) for d in arr.shape), arr.dtype.name, np.ascontiguousarray(arr).tobytes('C')))


def _chunk(arr):
    """flax.serialization._chunk."""
    chunksize = max(1, int(MAX_CHUNK_SIZE / arr.dtype.itemsize))
    flat = arr.reshape(-1)
    chunks = [flat[i:i + chunksize] for i in range(0, flat.size, chunksize)]
    return {'__msgpack_chunked_array__': True, 'shape': {str(i): d for i, d in enumerate(arr.shape)},
            'chunks': {str(i): c for i, c in enumerate(chunks)}}


def _chunk_leaves(tree):
    if isinstance(tree, dict):
        return {k: _chunk_leaves(v) for k, v in tree.items()}
    if isinstance(tree, np.ndarray) and tree.size * tree.dtype.itemsize > MAX_CHUNK_SIZE:
        return _chunk(tree)
    return tree


def msgpack_serialize(tree):
    """flax.serialization.msgpack_serialize (keys as given)."""
    return packb(_chunk_leaves(tree))


def to_state_dict(tree):
    """flax.serialization.to_state_dict for nested dicts: every key stringified."""
    return {str(k): to_state_dict(v) for k, v in tree.items()} if isinstance(tree, dict) else tree


def to_bytes(tree):
    """flax.serialization.to_bytes."""
    return msgpack_serialize(to_state_dict(tree))


def to_pure_dict(flat):
    """nnx.to_pure_dict of a flat state {dotted path: array}: nested dicts, integer path
    elements (list-of-modules indices) as ints, as nnx.state's paths hold them."""
    tree = {}
    for name, v in flat.items():
        parts = [int(p) if p.isdigit() else p for p in name.split('.')]
        node = tree
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
    return tree


def rng_state(flat, modules, seed=0):
    """Add an RngStream's state under each module path, as a forked stream holds it."""
    out = dict(flat)
    for i, m in enumerate(modules):
        out[f'{m}.rngs.key'] = np.array([0, seed + i], np.uint32)  # key_data of a threefry key
        out[f'{m}.rngs.count'] = np.array(0, np.uint32)
    return out


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('params')
    p.add_argument('out')
    p.add_argument('--keys', choices=['str', 'int'], default='str',
                   help='msgpack: str = to_bytes (keys stringified), int = msgpack_serialize of to_pure_dict')
    p.add_argument('--rng', action='append', default=[], help='a module path holding an RngStream (rngs.key, rngs.count)')
    a = p.parse_args(argv)
    flat = rng_state(read_safetensors(a.params), a.rng)
    if a.out.endswith('.safetensors'):
        write_safetensors(a.out, flat)
    else:
        tree = to_pure_dict(flat)
        with open(a.out, 'wb') as f:
            f.write(to_bytes(tree) if a.keys == 'str' else msgpack_serialize(tree))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
