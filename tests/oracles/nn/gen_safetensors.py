#!/usr/bin/python3
"""An independent safetensors file for tinsel's reader, written with json + struct
from the format specification (huggingface/safetensors README, "Format"):
u64 little-endian header size, JSON header, data block. Debian has no
python3-safetensors, so the writer here is ours but shares no code with tinsel.

Writes tests/oracles/nn/golden/interop.safetensors and interop_expected.bin
(TSNNGOLD format, the values each tensor must read back as, in float32).
"""
import json
import os
import struct

import numpy as np

import gen_goldens as gg

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(5)
tensors = {
    "w": rng.standard_normal((3, 4)).astype("<f4"),
    "layer.0.bias": rng.standard_normal(5).astype("<f8"),
    "half": np.array([[1.0, -2.5, 65504.0], [6.0e-8, -0.0, np.inf]], dtype="<f2"),  # max, subnormal, inf
    "scalar": np.array(3.25, dtype="<f4"),
    "empty": np.zeros((0, 3), dtype="<f4"),
    "\u03b8/weight": rng.standard_normal((2, 2, 2)).astype("<f4"),
}
bf16_vals = np.array([1.0, -3.140625, 0.0078125, 1e30], dtype=np.float32)
bf16_bits = (bf16_vals.view(np.uint32) >> 16).astype("<u2")  # exact truncation (values chosen representable or not)

header = {"__metadata__": {"format": "pt", "note": "written by gen_safetensors.py"}}
blobs = []
off = 0
order = ["scalar", "w", "layer.0.bias", "half", "\u03b8/weight", "empty"]
for name in order:
    a = tensors[name]
    dt = {"<f4": "F32", "<f8": "F64", "<f2": "F16"}[a.dtype.str]
    b = a.tobytes()
    header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
b = bf16_bits.tobytes()
header["bf"] = {"data_offsets": [off, off + len(b)], "shape": [4], "dtype": "BF16"}  # keys in another order
blobs.append(b)
off += len(b)
hj = json.dumps(header, ensure_ascii=True).encode()  # \u escapes for the non-ASCII name
hj += b" " * ((8 - len(hj) % 8) % 8)
path = os.path.join(HERE, "golden", "interop.safetensors")
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(hj)))
    f.write(hj)
    for b in blobs:
        f.write(b)

g = gg.Golden()
for name in order:
    g.add(name, tensors[name].astype(np.float32).reshape(-1) if tensors[name].size else np.zeros(0, np.float32))
g.add("bf", (bf16_bits.astype(np.uint32) << 16).view(np.float32))
g.write("interop_expected.bin")
print(path)
