#!/usr/bin/python3
"""Loads the model.safetensors written by `tinsel nn fit` into a PyTorch
nn.Sequential (parsed with json + struct per the safetensors format; names
"net.<i>.weight|bias" with the prefix stripped) and checks that PyTorch's forward
on the validation grid reproduces tinsel's values in fit.csv.
Tolerance: 1e-5 absolute on |f| <= ~1 (float32 forward in two libraries, three
layers of width <= 64: rounding ~1e-6).
usage: check_mlp_model.py RUN_DIR"""
import csv
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    hdr = json.loads(raw[8:8 + n])
    meta = hdr.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for k, v in hdr.items():
        assert v["dtype"] == "F32"
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy().reshape(v["shape"]))
    return out, meta


def main(run):
    sd, meta = read_safetensors(os.path.join(run, "model.safetensors"))
    sd = {k[len("net."):]: v for k, v in sd.items()}
    idx = sorted({int(k.split(".")[0]) for k in sd})
    layers = []
    for j, i in enumerate(idx):
        w = sd["%d.weight" % i]
        layers.append(nn.Linear(w.shape[1], w.shape[0]))
        if j < len(idx) - 1:
            layers.append(nn.Tanh())
    net = nn.Sequential(*layers)
    net.load_state_dict(sd, strict=True)
    rows = list(csv.DictReader(open(os.path.join(run, "fit.csv"))))
    x = torch.tensor([[float(r["x"]), float(r["y"])] for r in rows], dtype=torch.float32)
    ours = torch.tensor([float(r["f_network"]) for r in rows], dtype=torch.float32)
    with torch.no_grad():
        theirs = net(x)[:, 0]
    err = (theirs - ours).abs().max().item()
    print("torch forward of tinsel's model (%s): max |torch - tinsel| = %.3g over %d points" %
          (meta.get("architecture", "?"), err, len(rows)))
    assert err <= 1e-5, err


if __name__ == "__main__":
    main(sys.argv[1])
