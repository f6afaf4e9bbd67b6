#!/usr/bin/python3
"""Benchmark: tinsel xct FBP and SIRT against scikit-image on the same input.

512 x 512 Shepp-Logan phantom, 360 angles over [0, 180), sinogram from
skimage.transform.radon. Ours: `tinsel xct recon` on a DXchange file holding
the same sinogram (no flat/dark, no -log); times are the reconstruction only
(recon.csv: wall and process CPU time, best of --repeat runs); skimage's are
best of 3 (iradon) or one call (iradon_sart), wall and CPU (time.process_time).
One SIRT iteration = (T(11 iterations) - T(1 iteration)) / 10, which leaves out
SIRT's set-up (the row and column sums A1 and A^T 1, two more projections).

Rows:
  * FBP and SIRT with 1 and 2 threads (threads over image rows / angles of one
    slice), with the kernels the CPU selects (AVX-512 where available) and
    with the portable loops (TINSEL_XCT_SIMD=generic), for comparison;
  * the slice-parallel path: NSLICE identical slices in one file, one slice
    per thread, time per slice.
On a shared machine the CPU-time ratio is the meaningful one; wall times
depend on the other jobs (the load average is printed before every row).
The issue's targets: FBP >= 50x faster than iradon; one SIRT iteration < 50 ms.

Usage: /usr/bin/python3 bench/xct/bench_xct.py [path/to/tinsel] [threads, e.g. 1,2] [nslice]
"""
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import tifffile
from skimage.data import shepp_logan_phantom
from skimage.transform import iradon, iradon_sart, radon, resize

root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
tinsel = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, 'build', 'tinsel')
threads = [int(t) for t in (sys.argv[2] if len(sys.argv) > 2 else '1,2').split(',')]
nslice = int(sys.argv[3]) if len(sys.argv) > 3 else 8
n, nang = 512, 360
ph = resize(shepp_logan_phantom(), (n, n), anti_aliasing=True)
theta = np.linspace(0.0, 180.0, nang, endpoint=False)
sino = radon(ph, theta=theta, circle=True)                  # [n][nang]
yy, xx = np.mgrid[:n, :n] - n // 2
disc = xx ** 2 + yy ** 2 < (n // 2 - 2) ** 2


def err(rec):
    return np.sqrt(((rec - ph)[disc] ** 2).sum() / (ph[disc] ** 2).sum())


def load():
    return os.getloadavg()[0]


def best_of(k, fn):
    wall, cpu, out = 1e300, 1e300, None
    for _ in range(k):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


tmp = tempfile.mkdtemp(prefix='tinsel-bench-xct-')
h5 = os.path.join(tmp, 'sino.h5')
with h5py.File(h5, 'w') as f:
    f['/exchange/data'] = sino.T[:, None, :].astype(np.float32)
    f['/exchange/theta'] = theta
h5s = os.path.join(tmp, 'sino_stack.h5')
with h5py.File(h5s, 'w') as f:
    f['/exchange/data'] = np.repeat(sino.T[:, None, :], nslice, axis=1).astype(np.float32)
    f['/exchange/theta'] = theta


def ours(algo, extra, nthreads, repeat, simd='', data=h5):
    out = os.path.join(tmp, 'out_%s_%d_%s' % (algo, nthreads, simd or 'auto'))
    env = dict(os.environ, OMP_NUM_THREADS=str(nthreads), OMP_WAIT_POLICY='passive')
    env.pop('TINSEL_XCT_SIMD', None)
    if simd:
        env['TINSEL_XCT_SIMD'] = simd
    subprocess.run([tinsel, 'xct', 'recon', data, '--algo', algo, '--normalize', '0', '--minus-log', '0',
                    '--repeat', str(repeat), '--quiet', '--out', out] + extra, check=True, env=env,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(out, 'recon.csv')) as f:
        row = f.read().splitlines()[1].split(',')
    rec = tifffile.imread(os.path.join(out, 'recon.tif')).astype(np.float64)
    if rec.ndim == 3:
        rec = rec[0]
    return float(row[4]), float(row[5]), rec


rows = []   # (what, load, wall, cpu, error, ratio wall, ratio cpu)


def report(what, ld, w, c, e, w_ref, c_ref):
    rows.append((what, ld, w, c, e, w_ref / w, c_ref / c))
    print('%-44s load %4.1f  wall %8.4f s  cpu %8.4f s  err %s  ratio wall x%.1f  cpu x%.1f'
          % (what, ld, w, c, '%.4f' % e if e == e else '  -   ', w_ref / w, c_ref / c), flush=True)


print('input: %d x %d Shepp-Logan, %d angles; %d cores; tinsel %s' % (n, n, nang, os.cpu_count(), tinsel))
ld = load()
w_sk, c_sk, rec_sk = best_of(3, lambda: iradon(sino, theta=theta, filter_name='ramp', circle=True))
report('skimage iradon (ramp)', ld, w_sk, c_sk, err(rec_sk), w_sk, c_sk)
for simd in ('', 'generic'):
    for nt in threads:
        ld = load()
        w, c, rec = ours('fbp', ['--filter', 'ramlak'], nt, 20, simd)
        report('tinsel FBP ramlak, %d thr%s' % (nt, ', portable' if simd else ''), ld, w, c, err(rec),
               w_sk, c_sk)
for nt in threads:
    ld = load()
    w, c, _ = ours('fbp', ['--filter', 'ramlak'], nt, 5, '', h5s)
    report('tinsel FBP, %d slices, %d thr, per slice' % (nslice, nt), ld, w / nslice, c / nslice,
           float('nan'), w_sk, c_sk)

ld = load()
w_sa, c_sa, rec_sa = best_of(1, lambda: iradon_sart(sino, theta=theta))
report('skimage iradon_sart (1 iteration)', ld, w_sa, c_sa, err(rec_sa), w_sa, c_sa)
for simd in ('', 'generic'):
    for nt in threads:
        ld = load()
        w1, c1, _ = ours('sirt', ['--iters', '1', '--stall', '0'], nt, 3, simd)
        w11, c11, rec = ours('sirt', ['--iters', '11', '--stall', '0'], nt, 3, simd)
        report('tinsel SIRT, 1 iteration, %d thr%s' % (nt, ', portable' if simd else ''), ld,
               (w11 - w1) / 10, (c11 - c1) / 10, float('nan'), w_sa, c_sa)
for nt in threads:
    ld = load()
    w1, c1, _ = ours('sirt', ['--iters', '1', '--stall', '0'], nt, 1, '', h5s)
    w11, c11, _ = ours('sirt', ['--iters', '11', '--stall', '0'], nt, 1, '', h5s)
    report('tinsel SIRT, %d slices, %d thr, per it.+slice' % (nslice, nt), ld,
           (w11 - w1) / 10 / nslice, (c11 - c1) / 10 / nslice, float('nan'), w_sa, c_sa)

print('\nload average now %.1f (1 min), %.1f (5 min)' % os.getloadavg()[:2])
print('\n| | load | wall | CPU | error vs phantom | ratio wall / CPU |')
print('|---|---|---|---|---|---|')
for what, ld, w, c, e, rw, rc in rows:
    unit = (lambda v: '%.1f ms' % (v * 1e3)) if c < 1 else (lambda v: '%.3f s' % v)
    print('| %s | %.1f | %s | %s | %s | x%.1f / x%.1f |' % (what, ld, unit(w), unit(c),
          '%.4f' % e if e == e else '-', rw, rc))
fbp_best = max(r[6] for r in rows if r[0].startswith('tinsel FBP ramlak') and 'portable' not in r[0])
fbp_wall = max(r[5] for r in rows if r[0].startswith('tinsel FBP ramlak') and 'portable' not in r[0])
sirt_best = min(r[3] for r in rows if r[0].startswith('tinsel SIRT, 1 it') and 'portable' not in r[0])
sirt_wall = min(r[2] for r in rows if r[0].startswith('tinsel SIRT, 1 it') and 'portable' not in r[0])
print('\ntargets: FBP >= x50 vs iradon: best CPU-time ratio x%.1f (%s), best wall ratio x%.1f (%s); '
      'one SIRT iteration < 50 ms: best CPU %.1f ms (%s), best wall %.1f ms (%s)'
      % (fbp_best, 'met' if fbp_best >= 50 else 'NOT met', fbp_wall, 'met' if fbp_wall >= 50 else 'NOT met',
         sirt_best * 1e3, 'met' if sirt_best < 0.05 else 'NOT met', sirt_wall * 1e3,
         'met' if sirt_wall < 0.05 else 'NOT met'))
