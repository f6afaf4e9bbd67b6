#!/usr/bin/python3
"""Regression comparison of two pf thickness histories (thickness.csv of
`tinsel pf run` or `run2d`): the largest difference of every layer thickness
over the common sample times, absolute (m) and relative to the layer's final
thickness, and the relative difference of the growth constant k fitted on
[T0, T1] (d = d0 + sqrt(k t), least squares on sqrt(t), as tinsel does).

Usage: /usr/bin/python3 bench/pf/compare_thickness.py OLD.csv NEW.csv [T0 T1]
Exit status 1 if a relative thickness difference exceeds --tol (default 1e-3).
"""
import csv
import sys

import numpy as np


def load(path):
    with open(path) as f:
        r = list(csv.reader(f))
    return r[0], np.array([[float(v) for v in row] for row in r[1:]])


def kfit(t, d, t0, t1):
    m = (t >= t0 * (1 - 1e-12)) & (t <= t1 * (1 + 1e-12))
    if m.sum() < 3:
        return float("nan")
    slope = np.polyfit(np.sqrt(t[m]), d[m], 1)[0]
    return np.sign(slope) * slope * slope


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--tol")]
    tol = 1e-3
    for a in sys.argv[1:]:
        if a.startswith("--tol="):
            tol = float(a.split("=", 1)[1])
    h0, a = load(args[0])
    h1, b = load(args[1])
    t0, t1 = (float(args[2]), float(args[3])) if len(args) >= 4 else (72000.0, 158400.0)
    ta, tb = a[:, 0], b[:, 0]
    common = np.intersect1d(np.round(ta, 6), np.round(tb, 6))
    ia = np.isin(np.round(ta, 6), common)
    ib = np.isin(np.round(tb, 6), common)
    worst = 0.0
    for j, name in enumerate(h0):
        if not name.startswith("d_"):
            continue
        da, db = a[ia, j], b[ib, j]
        diff = np.max(np.abs(da - db))
        rel = diff / max(abs(da[-1]), 1e-30)
        ka, kb = kfit(ta[ia], da, t0, t1), kfit(tb[ib], db, t0, t1)
        print(f"{name}: max |d_new - d_old| = {diff:.3e} m ({rel:.2e} of the final {da[-1]:.4e} m); "
              f"k old {ka:.5e}, new {kb:.5e} m^2/s (rel {abs(kb / ka - 1) if ka else float('nan'):.2e})")
        worst = max(worst, rel)
    print(f"{len(common)} common samples; worst relative thickness difference {worst:.2e} (tol {tol:g})")
    sys.exit(0 if worst <= tol else 1)


if __name__ == "__main__":
    main()
