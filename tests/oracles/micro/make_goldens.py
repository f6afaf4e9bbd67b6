#!/usr/bin/python3
"""Goldens for tests/micro from independent tools (not from tinsel):

  ssim.csv        SSIM / MS-SSIM of TensorFlow's tf.image.ssim / ssim_multiscale,
                  re-implemented here in NumPy/SciPy from TF's published
                  algorithm (scipy.signal.correlate2d 'valid' with the 11x11
                  Gaussian, np.pad(mode='symmetric') + 2x2 mean pooling); the
                  single-scale SSIM is cross-checked against scikit-image's
                  structural_similarity (gaussian_weights, sigma 1.5,
                  use_sample_covariance=False), which must agree to 1e-12.
  silhouette.csv  sklearn.metrics.silhouette_score on deterministic points.
  gauss1d.csv     scipy.ndimage.gaussian_filter1d (mode='reflect',
                  truncate=4) orders 0..2 along both axes, sample pixels.
  hessian.csv     Hessian eigenvalues (numpy.linalg.eigvalsh of the 2x2
                  scipy Gaussian-derivative Hessian), gradient magnitude, LoG.
  sqrtfit.csv     scipy.stats.linregress of y on sqrt(t).

Test images are built from integer hashes so C reproduces them bit for bit
(tests/micro/golden_images.h).  Run: /usr/bin/python3 make_goldens.py
"""
import csv
import os
import sys

import numpy as np
import scipy
import scipy.ndimage as ndi
import scipy.signal
import scipy.stats
import sklearn
import skimage
from skimage.metrics import structural_similarity
from sklearn.metrics import silhouette_score

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "micro", "data")


def hash01(i, j, k):
    """(i*73856093 ^ j*19349663 ^ k*83492791) mod 2^31 / 2^31, as in C (uint64)."""
    i = np.asarray(i, dtype=np.uint64)
    j = np.asarray(j, dtype=np.uint64)
    v = (i * np.uint64(73856093)) ^ (j * np.uint64(19349663)) ^ (np.uint64(k) * np.uint64(83492791))
    v = (v * np.uint64(2654435761)) % np.uint64(2147483648)
    return v.astype(np.float64) / 2147483648.0


def test_image(h, w, k):
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    base = 0.5 * (i / h) + 0.2 * (((i // 8) + (j // 8)) % 2)
    return base + 0.3 * hash01(i, j, k)


def pair(h, w, k):
    a = test_image(h, w, k)
    b = 0.7 * a + 0.3 * hash01(*np.meshgrid(np.arange(h), np.arange(w), indexing="ij"), k + 100)
    return a, b


# ---------------------------------------------------------------- TF SSIM
WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def fspecial_gauss(size=11, sigma=1.5):
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = -0.5 * coords ** 2 / sigma ** 2
    g2 = g[None, :] + g[:, None]
    e = np.exp(g2 - g2.max())
    return e / e.sum()  # softmax over the 2-D grid, as TF


def ssim_tf(x, y, max_val, k1=0.01, k2=0.03):
    ker = fspecial_gauss()
    red = lambda z: scipy.signal.correlate2d(z, ker, mode="valid")
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    m0, m1 = red(x), red(y)
    num0 = m0 * m1 * 2.0
    den0 = m0 ** 2 + m1 ** 2
    lum = (num0 + c1) / (den0 + c1)
    num1 = red(x * y) * 2.0
    den1 = red(x ** 2 + y ** 2)
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return float(np.mean(lum * cs)), float(np.mean(cs))


def down(z):
    h, w = z.shape
    z = np.pad(z, ((0, h % 2), (0, w % 2)), mode="symmetric")
    return 0.25 * (z[0::2, 0::2] + z[1::2, 0::2] + z[0::2, 1::2] + z[1::2, 1::2])


def msssim_tf(x, y, max_val, scales):
    w = np.array(WEIGHTS[:scales])
    if scales < 5:
        w = w / w.sum()  # tinsel's documented renormalisation for fewer scales
    vals = []
    for s in range(scales):
        if s > 0:
            x, y = down(x), down(y)
        ss, cs = ssim_tf(x, y, max_val)
        vals.append(max(cs, 0.0) if s < scales - 1 else max(ss, 0.0))
    return float(np.prod(np.array(vals) ** w))


def main():
    os.makedirs(OUT, exist_ok=True)
    prov = [f"numpy {np.__version__}", f"scipy {scipy.__version__}", f"scikit-image {skimage.__version__}",
            f"scikit-learn {sklearn.__version__}", f"python {sys.version.split()[0]}"]
    cases = [("a", 200, 180, 1.0, 5, 1), ("b", 161, 161, 1.0, 5, 2), ("c", 64, 70, 1.0, 3, 3),
             ("d", 33, 40, 2.0, 2, 4), ("e", 11, 11, 1.0, 1, 5)]
    with open(os.path.join(OUT, "ssim.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["case", "height", "width", "max_val", "scales", "k", "ssim", "cs", "msssim"])
        for name, h, w, mv, sc, k in cases:
            a, b = pair(h, w, k)
            if mv == 2.0:
                a, b = 2 * a - 1, 2 * b - 1
            s, cs = ssim_tf(a, b, mv)
            sk = structural_similarity(a, b, data_range=mv, gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False, win_size=11)
            assert abs(sk - s) < 1e-12, (name, sk, s)
            ms = msssim_tf(a, b, mv, sc)
            wr.writerow([name, h, w, mv, sc, k, repr(s), repr(cs), repr(ms)])

    # silhouette: 3 clusters in 4-D plus one singleton cluster
    n, d = 40, 4
    i = np.arange(n)[:, None]
    q = np.arange(d)[None, :]
    lab = (np.arange(n) % 3).astype(int)
    lab[7] = 3
    X = hash01(i, q, 7) + lab[:, None] * 0.6
    with open(os.path.join(OUT, "silhouette.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["n", "d", "hash_k", "offset", "singleton", "score"])
        wr.writerow([n, d, 7, 0.6, 7, repr(float(silhouette_score(X, lab, metric="euclidean")))])

    # Gaussian derivative filters on a 37 x 29 image (borders exercised)
    h, w = 37, 29
    img = test_image(h, w, 9).astype(np.float32).astype(np.float64)
    pts = [(0, 0), (0, 28), (36, 0), (36, 28), (5, 7), (18, 14), (30, 3), (2, 25)]
    with open(os.path.join(OUT, "gauss1d.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["sigma", "order", "axis", "row", "col", "value"])
        for sigma in (0.7, 1.6, 5.0):
            for order in (0, 1, 2):
                for axis in (0, 1):
                    r = ndi.gaussian_filter1d(img, sigma, axis=axis, order=order, mode="reflect", truncate=4.0)
                    for (y, x) in pts:
                        wr.writerow([sigma, order, axis, y, x, repr(float(r[y, x]))])
    with open(os.path.join(OUT, "hessian.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["sigma", "row", "col", "smooth", "gradmag", "log", "eig_hi", "eig_lo"])
        for sigma in (1.0, 3.5):
            g = lambda oy, ox: ndi.gaussian_filter(img, sigma, order=(oy, ox), mode="reflect", truncate=4.0)
            G, Gy, Gx, Gyy, Gxx, Gxy = g(0, 0), g(1, 0), g(0, 1), g(2, 0), g(0, 2), g(1, 1)
            for (y, x) in pts:
                H = np.array([[Gxx[y, x], Gxy[y, x]], [Gxy[y, x], Gyy[y, x]]])
                ev = np.linalg.eigvalsh(H)
                wr.writerow([sigma, y, x, repr(float(G[y, x])), repr(float(np.hypot(Gx[y, x], Gy[y, x]))),
                             repr(float(Gxx[y, x] + Gyy[y, x])), repr(float(ev[1])), repr(float(ev[0]))])

    t = np.array([0.0, 50, 100, 300, 1000, 3000])
    y = 2.3 + 0.15 * np.sqrt(t) + np.array([0.05, -0.08, 0.03, 0.1, -0.06, 0.02])
    lr = scipy.stats.linregress(np.sqrt(t), y)
    with open(os.path.join(OUT, "sqrtfit.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["slope", "intercept", "slope_se", "intercept_se", "r2"])
        wr.writerow([repr(lr.slope), repr(lr.intercept), repr(lr.stderr), repr(lr.intercept_stderr),
                     repr(lr.rvalue ** 2)])
    with open(os.path.join(OUT, "PROVENANCE.txt"), "w") as f:
        f.write("Generated by tests/oracles/micro/make_goldens.py with /usr/bin/python3\n")
        f.write("\n".join(prov) + "\n")


if __name__ == "__main__":
    main()
