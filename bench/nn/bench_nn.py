#!/usr/bin/python3
"""nn benchmark: forward + backward of the same networks in tinsel (bench_nn,
built by CMake into build/tests/nn/) and in PyTorch (Debian python3-torch, CPU)
at the same thread count, run alternately in this one script; prints the median
times and the ratio PyTorch / tinsel (> 1: tinsel is faster).

usage: /usr/bin/python3 bench/nn/bench_nn.py [--threads 2] [--reps 5] [--rounds 3]
                                             [--bin build/tests/nn/bench_nn] [--wait-policy passive]
The CPU-time ratio is the one to read on a shared machine: wall times of both
programs vary several-fold with the other jobs' load.
Networks (identical to bench_nn.c):
  conv_stack: x [8, 32, 64, 64] -> 4 x (conv3x3 32->32, GroupNorm(8), GELU)
  unet:       x [8, 1, 64, 64]; blocks conv3x3-GN(8)-GELU; 32 -> 64 -> 128 channels,
              max-pool down, GN(1) + 4-head attention (residual) at 16x16,
              bilinear x2 up + skip concat, 1x1 out conv
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

# Both programs use libgomp; it reads OMP_WAIT_POLICY when it loads, so the
# policy is fixed here, before torch is imported, and the tinsel binary inherits
# it. Default passive (idle threads sleep), as the tinsel command uses: on a
# loaded 2-core machine spin-waiting multiplies the CPU time of both programs.
if "--wait-policy" in sys.argv:
    os.environ["OMP_WAIT_POLICY"] = sys.argv[sys.argv.index("--wait-policy") + 1]
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(c, oc):
    return nn.Sequential(nn.Conv2d(c, oc, 3, padding=1), nn.GroupNorm(8, oc), nn.GELU())


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.ModuleList([block(1, 32), block(32, 32), block(32, 64), block(64, 64), block(64, 128),
                                block(128, 128), block(192, 64), block(64, 64), block(96, 32), block(32, 32)])
        self.gna = nn.GroupNorm(1, 128)
        self.attn = nn.MultiheadAttention(128, 4, batch_first=True)
        self.out = nn.Conv2d(32, 1, 1)

    def forward(self, x):
        b = self.b
        e1 = b[1](b[0](x))
        d1 = b[3](b[2](F.max_pool2d(e1, 2)))
        m1 = b[5](b[4](F.max_pool2d(d1, 2)))
        n, c, h, w = m1.shape
        z = self.gna(m1).flatten(2).transpose(1, 2)
        a, _ = self.attn(z, z, z, need_weights=False)
        m2 = m1 + a.transpose(1, 2).reshape(n, c, h, w)
        u = torch.cat([F.interpolate(m2, scale_factor=2, mode="bilinear", align_corners=False), d1], 1)
        v1 = b[7](b[6](u))
        u = torch.cat([F.interpolate(v1, scale_factor=2, mode="bilinear", align_corners=False), e1], 1)
        return self.out(b[9](b[8](u)))


def torch_time(model, x, reps):
    """(median, min, median CPU time) of reps timed forward+backward runs after one warm-up."""
    dy = torch.randn_like(model(x))
    ts, cs = [], []
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        c0 = time.process_time()
        model.zero_grad(set_to_none=False)
        y = model(x)
        y.backward(dy)
        if rep:
            ts.append(time.perf_counter() - t0)
            cs.append(time.process_time() - c0)
    return statistics.median(ts), min(ts), statistics.median(cs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", default="build/tests/nn/bench_nn")
    ap.add_argument("--wait-policy", default=None, help="OMP_WAIT_POLICY for both (default passive)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    stack = nn.Sequential(*[block(32, 32) for _ in range(4)])
    xs = torch.randn(8, 32, 64, 64, requires_grad=True)
    unet = UNet()
    xu = torch.randn(8, 1, 64, 64)
    tin = {"conv_stack": [], "unet": []}
    pt = {"conv_stack": [], "unet": []}
    # alternate the two programs so that both see the same machine load
    for _ in range(a.rounds):
        out = subprocess.run([a.bin, str(a.threads), str(a.reps)], check=True, capture_output=True,
                             text=True).stdout
        for line in out.split("\n"):
            if line.strip():
                k, med, mn, cpu = line.split()
                tin[k].append((float(med), float(mn), float(cpu)))
        pt["conv_stack"].append(torch_time(stack, xs, a.reps))
        pt["unet"].append(torch_time(unet, xu, a.reps))
    print("threads %d, %d rounds x %d reps, torch %s (MKL-DNN %s), OMP_WAIT_POLICY=%s, OPENBLAS_CORETYPE=%s, "
          "load average %s" % (a.threads, a.rounds, a.reps, torch.__version__, torch.backends.mkldnn.is_available(),
                               os.environ.get("OMP_WAIT_POLICY"), os.environ.get("OPENBLAS_CORETYPE", "(auto)"),
                               " ".join(open("/proc/loadavg").read().split()[:3])))
    print("%-11s %10s %10s %7s %10s %10s %7s %10s %10s %7s" % (
        "network", "tin_med", "torch_med", "ratio", "tin_min", "torch_min", "ratio", "tin_cpu", "torch_cpu", "ratio"))
    for k in ["conv_stack", "unet"]:
        tm = statistics.median([v[0] for v in tin[k]]); tn = min(v[1] for v in tin[k])
        tc = statistics.median([v[2] for v in tin[k]])
        pm = statistics.median([v[0] for v in pt[k]]); pn = min(v[1] for v in pt[k])
        pc = statistics.median([v[2] for v in pt[k]])
        print("%-11s %10.4f %10.4f %7.3f %10.4f %10.4f %7.3f %10.4f %10.4f %7.3f" % (
            k, tm, pm, pm / tm, tn, pn, pn / tn, tc, pc, pc / tc))
    print("seconds per forward+backward (wall: median and min; cpu: median process CPU time, all threads,")
    print("including OpenMP spin-waiting); ratio = PyTorch / tinsel (>= 1: tinsel at least as fast)")


if __name__ == "__main__":
    main()
