#!/usr/bin/python3
"""pf 1D benchmark: tinsel vs a NumPy/SciPy anchor of the same step.

The anchor implements the same semi-implicit step as src/pf/pf_solver1d.c
(no mechanics; chemistry, Moelans multi-well, phase-weighted mobility,
tridiagonal solves with scipy.linalg.solve_banded), run in this script at a
fixed dt on the same grid and initial state. Printed:
  * time per step and grid-point updates/s of both, and their ratio;
  * the final states' max difference (a cross-check of the C step);
  * a STREAM-like copy bandwidth (NumPy) and the memory-bandwidth bound on
    point updates for the state traffic of one step;
  * the 2D scalloped example (256 x 64, 2000 s) without and with elastoplasticity;
  * the wall time of the seed's 44 h case with mechanics and plasticity
    (adaptive, tinsel pf run examples/pf/NoApp_EqEig.ini).
Usage: bench/pf/bench_1d.py [BUILD_DIR]   (default build)
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.linalg import solve_banded

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
TINSEL = os.path.join(BUILD, "tinsel")

A = np.array([2.65e10, 1.794e11, 1.794e10, 8.97e12])
B = np.array([-4.09e9, -4.09e9, 4.52e8, 4.52e8])
C = np.array([-1.79e9, -2.61e9, -2.66e9, -2.42e9])
c0 = np.array([0.026, 0.25, 0.455, 0.999958])
D = np.array([1e-25, 4.04e-16, 1.12e-15, 1e-14])
W = np.array([10.8e-6, 2e-6, 2e-6, 10.8e-6])
kappa, gam, m, Lc = 2.25e-7, 1.5, 5e6, 8e-13


def init(n, dx):
    x = (np.arange(n) + 0.5) * dx
    bnd = np.concatenate([[0], np.cumsum(W)])
    delta = np.sqrt(2 * kappa / m)
    eta = np.empty((4, n))
    for r in range(4):
        left = np.ones(n) if r == 0 else 0.5 * (1 + np.tanh((x - bnd[r]) / delta))
        right = np.ones(n) if r == 3 else 0.5 * (1 - np.tanh((x - bnd[r + 1]) / delta))
        eta[r] = left * right
    phi = eta ** 2 / np.maximum((eta ** 2).sum(0), 1e-30)
    c = (phi * c0[:, None]).sum(0)
    return eta, c


def tri(n, lower, diag, upper, rhs):
    ab = np.zeros((3, n))
    ab[0, 1:] = upper[:-1]
    ab[1] = diag
    ab[2, :-1] = lower[1:]
    return solve_banded((1, 1), ab, rhs)


def step(eta, c, dt, dx):
    n = c.size
    s2 = np.maximum((eta ** 2).sum(0), 1e-30)
    phi = eta ** 2 / s2
    S = (phi / A[:, None]).sum(0)
    R = (phi * (c0 - B / A)[:, None]).sum(0)
    mu = (c - R) / S
    d = mu[None, :] - B[:, None]
    g = C[:, None] - mu[None, :] * c0[:, None] - d * d / (2 * A[:, None])
    gbar = (phi * g).sum(0)
    ab = np.abs(eta)
    num = np.zeros(n)
    den = np.zeros(n)
    for r in range(4):
        for q in range(r + 1, 4):
            w = ab[r] * ab[q]
            num += Lc * w
            den += w
    Lm = np.where(den > 1e-12, num / np.where(den > 1e-12, den, 1), Lc)
    others = s2[None, :] - eta ** 2
    F = 2 * eta / s2 * (g - gbar) + m * (eta ** 3 - eta + 2 * gam * eta * others)
    rhs = eta - dt * Lm * F
    al = dt * Lm * kappa / dx ** 2
    lower = np.where(np.arange(n) > 0, -al, 0.0)
    upper = np.where(np.arange(n) < n - 1, -al, 0.0)
    diag = 1 + np.where(np.arange(n) > 0, al, 0) + np.where(np.arange(n) < n - 1, al, 0)
    eta = np.array([tri(n, lower, diag, upper, rhs[r]) for r in range(4)])
    s2 = np.maximum((eta ** 2).sum(0), 1e-30)
    phi = eta ** 2 / s2
    S = (phi / A[:, None]).sum(0)
    R = (phi * (c0 - B / A)[:, None]).sum(0)
    Mb = (phi * (D / A)[:, None]).sum(0)
    h = dt / dx ** 2
    mp = np.zeros(n)
    mm = np.zeros(n)
    mp[:-1] = 0.5 * (Mb[:-1] + Mb[1:])
    mm[1:] = 0.5 * (Mb[1:] + Mb[:-1])
    diag = 1 + h * (mp + mm) / S
    lower = np.zeros(n)
    upper = np.zeros(n)
    lower[1:] = -h * mm[1:] / S[:-1]
    upper[:-1] = -h * mp[:-1] / S[1:]
    RS = R / S
    rr = np.zeros(n)
    rr[:-1] += mp[:-1] * (RS[1:] - RS[:-1])
    rr[1:] -= mm[1:] * (RS[1:] - RS[:-1])
    c = tri(n, lower, diag, upper, c - h * rr)
    return eta, c


def run_tinsel(ini_text, out):
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
        f.write(ini_text)
        path = f.name
    t0 = time.perf_counter()
    r = subprocess.run([TINSEL, "pf", "run", path, "--quiet", "--out", out], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    os.unlink(path)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    return wall, r.stdout


def run_tinsel_cmd(cmd, ini_text, out):
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
        f.write(ini_text)
        path = f.name
    t0 = time.perf_counter()
    r = subprocess.run([TINSEL, "pf", cmd, path, "--quiet", "--out", out], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    os.unlink(path)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    return wall, r.stdout


def stream_bandwidth():
    a = np.ones(2 ** 25)  # 256 MiB
    b = np.empty_like(a)
    best = 1e9
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return 2 * a.nbytes / best  # read + write


def main():
    print(f"tinsel: {TINSEL}")
    bw = stream_bandwidth()
    print(f"copy bandwidth (NumPy, 256 MiB): {bw / 1e9:.2f} GB/s")
    for n, steps in ((256, 20000), (4096, 2000)):
        dx = W.sum() / n
        dt = 0.5
        # tinsel, fixed dt, no mechanics; the run includes start-up and output,
        # measured against a 1-step run to isolate the stepping time
        ini = (f"[grid]\nn = {n}\ndx = {dx!r}\n[time]\nadaptive = 0\ndt_init = {dt}\ndt_min = {dt}\n"
               f"dt_max = {dt}\nt_end = {{T}}\n[output]\nn_out = 10\nfit_t0 = 0\nfit_t1 = 1\n")
        with tempfile.TemporaryDirectory() as tmp:
            w1, _ = run_tinsel(ini.replace("{T}", repr(dt * 10)), os.path.join(tmp, "a"))
            wN, _ = run_tinsel(ini.replace("{T}", repr(dt * (steps + 10))), os.path.join(tmp, "b"))
            prof = np.genfromtxt(os.path.join(tmp, "b", "profiles.csv"), delimiter=",", names=True)
        t_c = max(wN - w1, 1e-9) / steps
        # NumPy anchor on the same grid and steps
        eta, c = init(n, dx)
        ns = steps + 10
        t0 = time.perf_counter()
        for _ in range(ns):
            eta, c = step(eta, c, dt, dx)
        t_np = (time.perf_counter() - t0) / ns
        diff = np.nan
        if ns == steps + 10:
            diff = max(np.abs(prof["c_Sn"] - c).max(),
                       max(np.abs(prof[f"eta_{nm}"] - eta[r]).max()
                           for r, nm in enumerate(("Cu", "Cu3Sn", "Cu6Sn5", "Sn"))))
        bytes_per_point = (4 + 1) * 8 * 2 * 3  # state read+write, ~3 sweeps per step
        print(f"n = {n:5d}: tinsel {t_c * 1e6:8.2f} us/step ({n / t_c / 1e6:7.2f} Mpoint/s), "
              f"NumPy/SciPy {t_np * 1e6:8.1f} us/step -> ratio {t_np / t_c:6.1f}x; "
              f"bandwidth bound {bw / bytes_per_point / 1e6:7.1f} Mpoint/s; "
              f"max |state difference| after {steps + 10} steps: {diff:.2e}")
    # 2D (FFTW): the scalloped example, 2000 s, without and with elastoplasticity
    with tempfile.TemporaryDirectory() as tmp:
        base = open(os.path.join(ROOT, "examples", "pf", "scallops_2d.ini")).read().replace("t_end = 20000", "t_end = 2000")
        for mech in (0, 1):
            ini = base + ("\n[mechanics]\nenabled = 1\ne22 = -0.01\n" if mech else "")
            if mech:
                ini = ini.replace("[model]\n", "[model]\neigen = eq\n")
            w, out = run_tinsel_cmd("run2d", ini, os.path.join(tmp, f"m{mech}"))
            print(f"2D 256x64 scallops, 2000 s, mechanics={mech}: {w:.2f} s wall; {out.strip()}")
    # the seed's 44 h case with mechanics and plasticity
    with tempfile.TemporaryDirectory() as tmp:
        for case in ("NoApp_EqEig", "AppCompY_EqEig", "AppCompY_VolEig"):
            ini = open(os.path.join(ROOT, "examples", "pf", case + ".ini")).read()
            w, out = run_tinsel(ini, os.path.join(tmp, case))
            print(f"44 h case {case}: {w:.2f} s wall (target < 2 s); {out.splitlines()[0]}")


if __name__ == "__main__":
    main()
