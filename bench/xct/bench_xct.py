#!/usr/bin/python3
"""Benchmark: tinsel xct FBP and SIRT against scikit-image on the same input.

512 x 512 Shepp-Logan phantom, 360 angles over [0, 180), sinogram from
skimage.transform.radon. Ours: `tinsel xct recon` on a DXchange file holding
the same sinogram (no flat/dark, no -log); times are the reconstruction only
(recon.csv: wall and process CPU time, best of --repeat runs); skimage's are
best of 3 (iradon) or one call (iradon_sart), wall and CPU (time.process_time).
One SIRT iteration = (T(11 iterations) - T(1 iteration)) / 10.
On a shared machine the CPU-time ratio is the meaningful one; wall times
depend on the other jobs (the load average is printed).

Usage: /usr/bin/python3 bench/xct/bench_xct.py [path/to/tinsel] [threads list, e.g. 1,2]
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
n, nang = 512, 360
ph = resize(shepp_logan_phantom(), (n, n), anti_aliasing=True)
theta = np.linspace(0.0, 180.0, nang, endpoint=False)
sino = radon(ph, theta=theta, circle=True)                  # [n][nang]
yy, xx = np.mgrid[:n, :n] - n // 2
disc = xx ** 2 + yy ** 2 < (n // 2 - 2) ** 2


def err(rec):
    return np.sqrt(((rec - ph)[disc] ** 2).sum() / (ph[disc] ** 2).sum())


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


def ours(algo, extra, nthreads, repeat):
    out = os.path.join(tmp, 'out_%s_%d' % (algo, nthreads))
    env = dict(os.environ, OMP_NUM_THREADS=str(nthreads), OMP_WAIT_POLICY='passive')
    subprocess.run([tinsel, 'xct', 'recon', h5, '--algo', algo, '--normalize', '0', '--minus-log', '0',
                    '--repeat', str(repeat), '--quiet', '--out', out] + extra, check=True, env=env,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(out, 'recon.csv')) as f:
        row = f.read().splitlines()[1].split(',')
    rec = tifffile.imread(os.path.join(out, 'recon.tif')).astype(np.float64)
    return float(row[4]), float(row[5]), rec


print('input: %d x %d Shepp-Logan, %d angles; %d cores, load average %.1f'
      % (n, n, nang, os.cpu_count(), os.getloadavg()[0]))
w_sk, c_sk, rec_sk = best_of(3, lambda: iradon(sino, theta=theta, filter_name='ramp', circle=True))
print('skimage iradon (ramp)       wall %8.4f s  cpu %8.4f s  error vs phantom %.4f' % (w_sk, c_sk, err(rec_sk)))
for nt in threads:
    w, c, rec = ours('fbp', ['--filter', 'ramlak'], nt, 10)
    print('tinsel fbp ramlak, %2d thr   wall %8.4f s  cpu %8.4f s  error vs phantom %.4f  '
          'speed-up vs iradon: wall x%.1f, cpu x%.1f' % (nt, w, c, err(rec), w_sk / w, c_sk / c))
w_sa, c_sa, rec_sa = best_of(1, lambda: iradon_sart(sino, theta=theta))
print('skimage iradon_sart (1 it)  wall %8.4f s  cpu %8.4f s  error vs phantom %.4f' % (w_sa, c_sa, err(rec_sa)))
for nt in threads:
    w1, c1, _ = ours('sirt', ['--iters', '1', '--stall', '0'], nt, 1)
    w11, c11, rec = ours('sirt', ['--iters', '11', '--stall', '0'], nt, 1)
    wi, ci = (w11 - w1) / 10, (c11 - c1) / 10
    print('tinsel sirt, %2d thr         wall %8.4f s  cpu %8.4f s per iteration (error after 11: %.4f); '
          'vs one iradon_sart iteration: wall x%.1f, cpu x%.1f' % (nt, wi, ci, err(rec), w_sa / wi, c_sa / ci))
