#!/usr/bin/python3
"""Benchmark: tinsel ptychography iterations against a NumPy implementation
of the same algorithms on the same data.

Data: `tinsel xct ptycho simulate` (IC phantom, Fermat spiral, Gaussian
probe). Ours: `tinsel xct ptycho recon` (its printed time covers the
iterations only). Anchor: the same iteration written with numpy.fft
(complex128, as ours), timed here: ePIE = one sequential pass over the
positions; grad = one gradient evaluation through L slices (forward and
backward, every mode) + one loss evaluation, i.e. the work of one GRAD
iteration without backtracking (ours may backtrack; it rarely does); ours
runs GRAD with the probe fixed (--probe-start 1000000) so that the work
matches (a probe step costs the same again); ePIE updates both in both.
Printed: time per iteration per position (us), ratio NumPy / tinsel (> 1:
tinsel faster), and tinsel's thread scaling (OMP_NUM_THREADS=1, 2).
The machine is shared: the load average is printed; rerun to judge noise.

Usage: /usr/bin/python3 bench/xct/bench_ptycho.py [path/to/tinsel] [quick]
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
tinsel = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != 'quick' else os.path.join(root, 'build', 'tinsel')
quick = 'quick' in sys.argv


def simulate(tmp, n, np_, step, modes, slices):
    out = os.path.join(tmp, 'sim_%d_%d_%d_%d' % (n, np_, modes, slices))
    subprocess.run([tinsel, 'xct', 'ptycho', 'simulate', '--quiet', '--n', str(n), '--np', str(np_),
                    '--step', str(step), '--modes', str(modes), '--slices', str(slices), '--nz', '64',
                    '--probe', 'gaussian', '--out', out], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, 'data.h5')


def ours(path, algo, iters, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY='passive')
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([tinsel, 'xct', 'ptycho', 'recon', path, '--quiet', '--algo', algo, '--iters',
                            str(iters), '--probe-start', '0' if algo != 'grad' else '1000000',
                            '--out', os.path.join(d, 'r')],
                           check=True, capture_output=True, text=True, env=env)
    m = re.search(r'in ([0-9.]+) s', r.stdout)
    return float(m.group(1)) / iters


def load(path):
    with h5py.File(path, 'r') as f:
        I = f['/ptycho/intensity'][...]
        pos = f['/ptycho/positions'][...].astype(int)
        pr = f['/ptycho/probe'][...]
        geo = f['/ptycho/geometry'][...]
    return I, pos, pr[..., 0] + 1j * pr[..., 1], geo


def numpy_epie(I, pos, probe, n, iters):
    M, P = probe.shape[0], probe.shape[1]
    O = np.ones((n, n), complex)
    Pr = probe.copy()
    a = np.sqrt(I)
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    for _ in range(iters):
        for j in rng.permutation(len(pos)):
            r, c = pos[j]
            o = O[r:r + P, c:c + P].copy()
            psi = Pr * o
            Psi = np.fft.fft2(psi, norm='ortho')
            A = np.sqrt((np.abs(Psi) ** 2).sum(0))
            Psi *= np.where(A > 1e-30, a[j] / np.maximum(A, 1e-30), 1.0)
            d = np.fft.ifft2(Psi, norm='ortho') - psi
            pw = (np.abs(Pr) ** 2).sum(0)
            O[r:r + P, c:c + P] += (np.conj(Pr) * d).sum(0) / pw.max()
            Pr += np.conj(o) * d / (np.abs(o) ** 2).max()
    return (time.perf_counter() - t0) / iters


def numpy_grad(I, pos, probe, n, L, H, iters):
    M, P = probe.shape[0], probe.shape[1]
    O = np.ones((L, n, n), complex)
    a = np.sqrt(I)
    prop = lambda u, h: np.fft.ifft2(np.fft.fft2(u, norm='ortho') * h, norm='ortho')
    t0 = time.perf_counter()
    for _ in range(iters):
        g = np.zeros_like(O)
        gp = np.zeros_like(probe)
        for j, (r, c) in enumerate(pos):
            us = []
            psi = probe.copy()
            for l in range(L):
                if l:
                    psi = prop(psi, H)
                us.append(psi)
                psi = psi * O[l, r:r + P, c:c + P]
            Psi = np.fft.fft2(psi, norm='ortho')
            A = np.sqrt((np.abs(Psi) ** 2).sum(0))
            G = np.fft.ifft2(2 * (A - a[j]) / np.maximum(A, 1e-300) * Psi, norm='ortho')
            for l in range(L - 1, -1, -1):
                g[l, r:r + P, c:c + P] += (np.conj(us[l]) * G).sum(0)
                G = G * np.conj(O[l, r:r + P, c:c + P])
                if l:
                    G = prop(G, np.conj(H))
            gp += G
        # the loss evaluation of the step (forward only)
        for j, (r, c) in enumerate(pos):
            psi = probe.copy()
            for l in range(L):
                if l:
                    psi = prop(psi, H)
                psi = psi * O[l, r:r + P, c:c + P]
            A = np.sqrt((np.abs(np.fft.fft2(psi, norm='ortho')) ** 2).sum(0))
    return (time.perf_counter() - t0) / iters


def kernel(P, dx, dz, lam):
    f = np.fft.fftfreq(P, d=dx)
    f2 = f[:, None] ** 2 + f[None, :] ** 2
    return np.exp(-2j * np.pi * dz * f2 / (np.sqrt(1 / lam ** 2 - f2) + 1 / lam))


print('load average', os.getloadavg())
print('%-34s %8s %12s %12s %9s %9s' % ('case', 'npos', 'numpy us/pos', 'ours us/pos', 'ratio', '2thr/1thr'))
cases = [('epie', 64, 1, 1), ('epie', 128, 1, 1), ('epie', 64, 3, 1), ('grad', 64, 1, 1), ('grad', 64, 1, 5),
         ('grad', 64, 3, 5), ('grad', 128, 3, 5)]
if quick:
    cases = cases[:1] + cases[3:5]
with tempfile.TemporaryDirectory() as tmp:
    for algo, P, M, L in cases:
        n, step = (256, 8.5) if P == 64 else (320, 17)
        path = simulate(tmp, n, P, step, M, L)
        I, pos, probe, geo = load(path)
        it_np = 1 if (algo == 'grad' or P == 128) else 2
        it_ours = 5 if P == 128 or algo == 'grad' else 10
        if algo == 'epie':
            t_np = numpy_epie(I, pos, probe, n, it_np)
        else:
            t_np = numpy_grad(I, pos, probe, n, L, kernel(P, geo[4], geo[5], geo[6]), it_np)
        t1 = ours(path, algo, it_ours, 1)
        t2 = ours(path, algo, it_ours, 2)
        t_best = min(t1, t2)
        print('%-34s %8d %12.1f %12.1f %9.2f %9.2f' % ('%s %dx%d M=%d L=%d' % (algo, P, P, M, L), len(pos),
              1e6 * t_np / len(pos), 1e6 * t_best / len(pos), t_np / t_best, t1 / t2))
        if algo == 'epie' and P == 64 and M == 1:
            print('   one ePIE iteration over %d positions: %.3f s (1 thread), %.3f s (2 threads); '
                  'over 500 positions: %.3f s' % (len(pos), t1, t2, t_best * 500 / len(pos)))
