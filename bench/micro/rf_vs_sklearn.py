#!/usr/bin/python3
"""Random-forest pixel classifier: tinsel (C) against scikit-learn's
RandomForestClassifier on the same images, the same filter bank and the same
training-pixel draw scheme.

Both sides train on the same 4 labelled synthetic micrographs (written by
`tinsel micro synth` with different dose / contrast) and segment the same 4
test micrographs without clean-up (`--no-cleanup`), so the comparison is
classifier against classifier.  The scikit-learn side computes the filter
bank with scipy.ndimage (tests/micro checks that both banks agree to float
rounding), draws training pixels the same way (up to 1500 per class and
image, half of them from class edges for Cu, Cu3Sn, Cu6Sn5 and pores) and
applies the same prior correction (class frequency in the images / in the
draws).  Trees: 32, depth 14, sqrt(features) per split, min 2 per leaf.

Prints per-class IoU for both and the time ratios (training; segmentation
per image, features included).
Usage: /usr/bin/python3 bench/micro/rf_vs_sklearn.py [path/to/tinsel] [--threads N]
"""
import csv
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.ndimage as ndi
from PIL import Image
from sklearn.ensemble import RandomForestClassifier

SCALES = (0.7, 1.0, 1.6, 3.5, 5.0)
NPH = 6
PHASES = ["Cu", "Cu3Sn", "Cu6Sn5", "SAC305", "pore", "Ag3Sn"]


def normalise(img):
    s = ndi.gaussian_filter(img.astype(np.float32), 1.0, mode="reflect", truncate=4.0)
    v = np.sort(s.ravel())
    n = v.size
    lo, hi = float(v[int(0.02 * (n - 1))]), float(v[int(0.98 * (n - 1))])
    return ((img - lo) / (hi - lo)).astype(np.float32)


def features(img):
    x = normalise(img).astype(np.float64)
    out = []
    for i, s in enumerate(SCALES):
        g = lambda oy, ox: ndi.gaussian_filter(x, s, order=(oy, ox), mode="reflect", truncate=4.0)
        G = g(0, 0)
        out.append(G)
        if i == 0:
            continue
        Gy, Gx, Gyy, Gxx, Gxy = g(1, 0), g(0, 1), g(2, 0), g(0, 2), g(1, 1)
        out.append(np.hypot(Gx, Gy))
        out.append(Gxx + Gyy)
        m = 0.5 * (Gxx + Gyy)
        d = np.sqrt(0.25 * (Gxx - Gyy) ** 2 + Gxy ** 2)
        out.append(m + d)
        out.append(m - d)
    return np.stack(out, axis=-1).astype(np.float32)  # [h, w, 21]


def draw(labels, per_class, rng):
    idx, freq, took = [], np.zeros(NPH), np.zeros(NPH)
    L = labels
    edge = np.zeros_like(L, dtype=bool)
    edge[:, 1:] |= L[:, 1:] != L[:, :-1]
    edge[:, :-1] |= L[:, :-1] != L[:, 1:]
    edge[1:, :] |= L[1:, :] != L[:-1, :]
    edge[:-1, :] |= L[:-1, :] != L[1:, :]
    flat, ef = L.ravel(), edge.ravel()
    for c in range(NPH):
        all_c = np.flatnonzero(flat == c)
        m = all_c.size
        take = min(m, per_class)
        freq[c] += m
        took[c] += take
        if take == 0:
            continue
        e = np.flatnonzero((flat == c) & ef)
        te = min(take // 2, e.size) if c not in (3, 5) else 0
        a = rng.choice(e, te, replace=False) if te else np.array([], dtype=int)
        rest = np.setdiff1d(all_c, a, assume_unique=True)
        b = rng.choice(rest, take - te, replace=False)
        idx.append(np.concatenate([a, b]))
    return np.concatenate(idx), freq, took


def iou(pred, truth):
    r = []
    for c in range(NPH):
        i = np.sum((pred == c) & (truth == c))
        u = np.sum((pred == c) | (truth == c))
        r.append(i / u if u else float("nan"))
    return r


def main():
    tinsel = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "build/tinsel"
    threads = 2
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    work = tempfile.mkdtemp(prefix="rf_bench_")
    train = [("PVD", 0, 30, 4.5), ("ECD2", 300, 120, 6.5), ("ECD3", 3000, 60, 5.5), ("ECD1", 750, 45, 5.0)]
    test = [("PVD", 100, 60, 5.5), ("ECD1", 3000, 60, 5.5), ("ECD2", 1000, 60, 5.5), ("ECD3", 750, 60, 5.5)]
    files = []
    for k, (lv, t, dose, con) in enumerate(train + test):
        d = os.path.join(work, f"s{k}")
        subprocess.run([tinsel, "micro", "synth", "--level", lv, "--time", str(t), "--dose", str(dose),
                        "--contrast", str(con), "--seed", str(100 + k), "--out", d, "--quiet"], check=True,
                       env=env, stdout=subprocess.DEVNULL)
        base = os.path.join(d, f"{lv}_{t:04d}h_0")
        files.append((base + ".png", base + "_labels.png"))
    tr, te = files[:4], files[4:]
    # ---- tinsel
    t0 = time.perf_counter()
    out = subprocess.run([tinsel, "micro", "segment", *[f for f, _ in te], "--train", ",".join(f for f, _ in tr),
                          "--train-labels", ",".join(l for _, l in tr), "--truth", ",".join(l for _, l in te),
                          "--no-cleanup", "--trees", "32", "--depth", "14", "--per-class", "1500",
                          "--out", os.path.join(work, "seg"), "--quiet"], check=True, env=env,
                         capture_output=True, text=True).stdout
    t_tinsel_total = time.perf_counter() - t0
    t_train_c = float([l for l in out.splitlines() if l.startswith("trained")][0].split(" in ")[1].split()[0])
    rows = list(csv.DictReader(open(os.path.join(work, "seg", "segment.csv"))))
    iou_c = np.array([[float(r["iou_" + p]) for p in PHASES] for r in rows])
    t_seg_c = float(np.mean([float(r["seconds"]) for r in rows]))
    # ---- scikit-learn
    rng = np.random.default_rng(1)
    read = lambda p: np.asarray(Image.open(p), dtype=np.float64) / 255.0
    t0 = time.perf_counter()
    X, y, freq, took = [], [], np.zeros(NPH), np.zeros(NPH)
    for f, l in tr:
        F = features(read(f))
        L = np.asarray(Image.open(l), dtype=np.uint8)
        idx, fr, tk = draw(L, 1500, rng)
        X.append(F.reshape(-1, F.shape[-1])[idx])
        y.append(L.ravel()[idx])
        freq += fr
        took += tk
    X, y = np.concatenate(X), np.concatenate(y)
    rf = RandomForestClassifier(n_estimators=32, max_depth=14, max_features="sqrt", min_samples_leaf=2,
                                n_jobs=threads, random_state=1)
    rf.fit(X, y)
    t_train_py = time.perf_counter() - t0
    w = (freq / freq.sum()) / np.where(took > 0, took / took.sum(), 1)
    iou_py, tseg = [], []
    for f, l in te:
        t0 = time.perf_counter()
        F = features(read(f))
        p = rf.predict_proba(F.reshape(-1, F.shape[-1]))
        cls = rf.classes_
        pw = p * w[cls][None, :]
        pred = cls[np.argmax(pw, axis=1)].reshape(F.shape[:2])
        tseg.append(time.perf_counter() - t0)
        iou_py.append(iou(pred, np.asarray(Image.open(l), dtype=np.uint8)))
    iou_py = np.array(iou_py)
    print(f"4 training + 4 test images of 450 x 450 px, {threads} threads; per-class IoU pooled as the mean over test images")
    print(f"{'class':8s} {'tinsel':>8s} {'sklearn':>8s}")
    for c, p in enumerate(PHASES):
        print(f"{p:8s} {np.nanmean(iou_c[:, c]):8.3f} {np.nanmean(iou_py[:, c]):8.3f}")
    print(f"training (features + draws + forest): tinsel {t_train_c:.2f} s, scikit-learn {t_train_py:.2f} s, "
          f"ratio sklearn/tinsel {t_train_py / t_train_c:.2f}")
    print(f"segmentation per image (features + forest): tinsel {t_seg_c:.3f} s, scikit-learn {np.mean(tseg):.3f} s, "
          f"ratio sklearn/tinsel {np.mean(tseg) / t_seg_c:.2f}")
    print(f"(tinsel command wall time incl. start-up and I/O: {t_tinsel_total:.2f} s)")


if __name__ == "__main__":
    main()
