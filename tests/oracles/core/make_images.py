#!/usr/bin/python3
"""Golden image files for tinsel's PNG/TIFF readers, written by independent
libraries (Pillow for PNG, tifffile for TIFF) from closed-form pixel values.

The C test (tests/core/test_images.c) recomputes the same formulas and
compares every pixel. Regenerate deliberately:
    /usr/bin/python3 tests/oracles/core/make_images.py tests/core/data
Provenance: numpy, Pillow, tifffile from Debian 12.
"""
import sys, os
import numpy as np
from PIL import Image
import tifffile

out = sys.argv[1] if len(sys.argv) > 1 else "tests/core/data"
os.makedirs(out, exist_ok=True)
W, H, P = 37, 23, 3
y, x = np.mgrid[0:H, 0:W]

u8 = ((x * 7 + y * 13) % 256).astype(np.uint8)
u16 = ((x * 1031 + y * 2053 + 17) % 65536).astype(np.uint16)
f32 = np.stack([(np.sin(0.1 * x + p) * np.cos(0.2 * y) * (p + 1) + 1e-3 * x * y).astype(np.float32)
                for p in range(P)])

Image.fromarray(u8, mode="L").save(os.path.join(out, "grey8.png"))
Image.fromarray(u16.astype(np.uint16), mode="I;16").save(os.path.join(out, "grey16.png"))
tifffile.imwrite(os.path.join(out, "grey8.tif"), u8)
tifffile.imwrite(os.path.join(out, "grey16.tif"), u16)
tifffile.imwrite(os.path.join(out, "stack_f32.tif"), f32, photometric="minisblack")  # 3 pages, float32
# A tiled float TIFF exercises the tile path of the reader.
tifffile.imwrite(os.path.join(out, "tiled_f32.tif"), np.pad(f32[0], ((0, 9), (0, 11))), tile=(16, 16))
print("wrote goldens to", out)

# HDF5 golden (h5py): an int16 3-D dataset in a nested group, a float64 vector
# and a string attribute, from the same closed forms.
import h5py
with h5py.File(os.path.join(out, "golden.h5"), "w") as f:
    z, yy, xx = np.mgrid[0:4, 0:5, 0:6]
    f.create_dataset("exchange/data", data=(z * 100 + yy * 10 + xx - 50).astype(np.int16))
    f.create_dataset("exchange/theta", data=np.linspace(0, np.pi, 7))
    f.attrs["title"] = "tinsel golden"
