#!/usr/bin/python3
"""Checks a `tinsel micro dataset` folder with independent tools (tifffile,
Pillow, NumPy): counts and splits of index.csv, [-1, 1] scaling, the
left-right mirror of images and labels, and every crop against the wide
micrograph cropped and resized by Pillow's antialiased BILINEAR (the wide
PNG is 8-bit, so agreement is to quantisation: 1/255 on [0, 1], 2/255 after
scaling to [-1, 1], plus 1e-3 for float32 rounding of the filter sums).
Usage: check_dataset.py DIR WINDOW STRIDE SIZE WIDE"""
import csv
import os
import sys

import numpy as np
import tifffile
from PIL import Image

d, window, stride, size, wide = sys.argv[1], *map(int, sys.argv[2:6])
rows = list(csv.DictReader(open(os.path.join(d, "index.csv"))))
nwin = (wide - window) // stride + 1
assert len(rows) == 28 * nwin * 2, len(rows)
unseen = {(r["level"], float(r["time_h"])) for r in rows if r["split"] == "unseen"}
assert unseen == {("PVD", 300.0), ("ECD1", 750.0)}, unseen
unknown = {(r["level"], float(r["time_h"])) for r in rows if r["split"] == "unknown"}
assert len(unknown) == 10, unknown
train = {(r["level"], float(r["time_h"])) for r in rows if r["split"] == "train"}
assert len(train) == 16, train
worst = 0.0
for f in sorted({r["image_file"] for r in rows}):
    im = tifffile.imread(os.path.join(d, f)).astype(np.float64)
    lab = tifffile.imread(os.path.join(d, f.replace("images/", "labels/")))
    assert im.shape == (nwin * 2, size, size), im.shape
    assert im.min() >= -1.0 and im.max() <= 1.0
    assert np.array_equal(im[1], im[0][:, ::-1]) and np.array_equal(lab[1], lab[0][:, ::-1])
    cond = os.path.basename(f)[:-4]
    widepng = Image.open(os.path.join(d, "wide", cond + ".png"))
    for w in range(nwin):
        crop = widepng.crop((w * stride, 0, w * stride + window, window))
        ref = np.asarray(crop.convert("F").resize((size, size), Image.BILINEAR), dtype=np.float64) / 255.0
        err = np.abs((im[2 * w] + 1) / 2 - ref).max()
        worst = max(worst, err)
        assert err < 1.0 / 255 + 1e-3, (f, w, err)
print(f"dataset ok: {len(rows)} crops, worst |crop - Pillow resize| = {worst:.2e}")
