#!/usr/bin/python3
"""Checks a safetensors file written by tinsel (tests/nn/test_nn_safetensors.c)
with an independent parser (json + struct, per the format specification) and
loads each tensor into torch: the file must hold exactly the tensors the C test
writes, with values given by the same closed-form rule:
  "a.weight"  [2, 3, 4]  value(i) = sin(0.37 i) * 3
  "b"         [7]        value(i) = i - 3.5
  "c"         []         value    = -1.0e-3
and metadata {"format": "pt", "who": "tinsel"}. Exit status 0 only on success."""
import json
import math
import struct
import sys

import numpy as np
import torch


def main(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert 8 + n <= len(raw), "header length past end"
    assert n % 8 == 0, "header not padded to 8 bytes"
    hdr = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = hdr.pop("__metadata__", {})
    assert meta == {"format": "pt", "who": "tinsel"}, meta
    expect = {
        "a.weight": ([2, 3, 4], np.array([math.sin(0.37 * i) * 3 for i in range(24)], dtype=np.float32)),
        "b": ([7], np.arange(7, dtype=np.float32) - 3.5),
        "c": ([], np.array([-1.0e-3], dtype=np.float32)),
    }
    assert sorted(hdr) == sorted(expect), sorted(hdr)
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1]) for v in hdr.values())
    pos = 0
    for b, e in spans:
        assert b == pos, "hole or overlap"
        pos = e
    assert pos == len(data), "data block size"
    for name, (shape, vals) in expect.items():
        h = hdr[name]
        assert h["dtype"] == "F32" and h["shape"] == shape, (name, h)
        b, e = h["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(shape)
        ref = torch.from_numpy(vals.reshape(shape))
        assert torch.equal(t, ref), (name, t, ref)
    print("torch read %d tensors from %s: ok" % (len(expect), path))


if __name__ == "__main__":
    main(sys.argv[1])
