#!/usr/bin/python3
"""Golden free energies for PFHub benchmark 1a/1b (spinodal decomposition).

Independent of tinsel: NumPy (numpy.fft.rfft2) for the periodic square and
SciPy (scipy.fft.dctn/idctn, type 2, orthonormal) for the zero-flux square,
with the same linearly stabilised semi-implicit step and second-order
finite-difference Laplacian eigenvalues as src/pf/pf_spinodal.c, fixed dt.
Output rows: variant (0 = 1a, 1 = 1b), n, dt, step, time, F.
Run: /usr/bin/python3 tests/oracles/pf/pfhub_bm1.py > tests/oracles/pf/pfhub_bm1.csv
"""
import numpy as np
import scipy.fft as sfft

RHO, CA, CB, KAP, M, C0, EPS, S = 5.0, 0.3, 0.7, 2.0, 5.0, 0.5, 0.01, 2.0


def init(n, periodic):
    off = 0.0 if periodic else 0.5
    x = (np.arange(n) + off)
    X, Y = np.meshgrid(x, x)  # [y][x]
    return C0 + EPS * (np.cos(0.105 * X) * np.cos(0.11 * Y) + (np.cos(0.13 * X) * np.cos(0.087 * Y)) ** 2
                       + np.cos(0.025 * X - 0.15 * Y) * np.cos(0.07 * X - 0.02 * Y))


def energy(c, periodic):
    f = RHO * (c - CA) ** 2 * (CB - c) ** 2
    if periodic:
        gx = np.roll(c, -1, axis=1) - c
        gy = np.roll(c, -1, axis=0) - c
    else:
        gx = np.diff(c, axis=1)
        gy = np.diff(c, axis=0)
    return f.sum() + 0.5 * KAP * ((gx ** 2).sum() + (gy ** 2).sum())


def run(periodic, n, dt, steps, every):
    c = init(n, periodic)
    if periodic:
        kx = np.arange(n // 2 + 1)
        ky = np.arange(n)
        lam = -(2 - 2 * np.cos(2 * np.pi * kx[None, :] / n)) - (2 - 2 * np.cos(2 * np.pi * ky[:, None] / n))
    else:
        k = np.arange(n)
        lam = -(2 - 2 * np.cos(np.pi * k[None, :] / n)) - (2 - 2 * np.cos(np.pi * k[:, None] / n))
    den = 1 - dt * M * lam * S + dt * M * KAP * lam ** 2
    rows = [(0, 0.0, energy(c, periodic))]
    for s in range(1, steps + 1):
        w = 2 * RHO * (c - CA) * (CB - c) * ((CB - c) - (c - CA)) - S * c
        if periodic:
            ch = (np.fft.rfft2(c) + dt * M * lam * np.fft.rfft2(w)) / den
            c = np.fft.irfft2(ch, s=c.shape)
        else:
            ch = (sfft.dctn(c, type=2, norm="ortho") + dt * M * lam * sfft.dctn(w, type=2, norm="ortho")) / den
            c = sfft.idctn(ch, type=2, norm="ortho")
        if s % every == 0:
            rows.append((s, s * dt, energy(c, periodic)))
    return rows


print("variant,n,dt,step,time,F")
for variant in (0, 1):
    for (s, t, F) in run(variant == 0, 200, 0.5, 400, 50):
        print(f"{variant},200,0.5,{s},{t:.17g},{F:.17g}")
