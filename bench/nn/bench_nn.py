#!/usr/bin/python3
"""nn benchmark: forward + backward of the same networks in tinsel (bench_nn,
built by CMake into build/tests/nn/) and in PyTorch (Debian python3-torch, CPU)
at the same thread count, run alternately in this one script; prints the median
times and the ratio PyTorch / tinsel (> 1: tinsel is faster).

usage: /usr/bin/python3 bench/nn/bench_nn.py [--threads 2] [--reps 5] [--rounds 3]
                                             [--bin build/tests/nn/bench_nn]
Networks (identical to bench_nn.c):
  conv_stack: x [8, 32, 64, 64] -> 4 x (conv3x3 32->32, GroupNorm(8), GELU)
  unet:       x [8, 1, 64, 64]; blocks conv3x3-GN(8)-GELU; 32 -> 64 -> 128 channels,
              max-pool down, GN(1) + 4-head attention (residual) at 16x16,
              bilinear x2 up + skip concat, 1x1 out conv
"""
import argparse
import math
import statistics
import subprocess
import time

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
    """(median, min) of reps timed forward+backward runs after one warm-up."""
    dy = torch.randn_like(model(x))
    ts = []
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        model.zero_grad(set_to_none=False)
        y = model(x)
        y.backward(dy)
        if rep:
            ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", default="build/tests/nn/bench_nn")
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
                k, med, mn = line.split()
                tin[k].append((float(med), float(mn)))
        pt["conv_stack"].append(torch_time(stack, xs, a.reps))
        pt["unet"].append(torch_time(unet, xu, a.reps))
    print("threads %d, %d rounds x %d reps, torch %s (MKL-DNN %s)" % (
        a.threads, a.rounds, a.reps, torch.__version__, torch.backends.mkldnn.is_available()))
    print("%-11s %11s %11s %8s %11s %11s %8s" % ("network", "tinsel_med", "torch_med", "ratio",
                                                 "tinsel_min", "torch_min", "ratio"))
    for k in ["conv_stack", "unet"]:
        tm = statistics.median([m for m, _ in tin[k]]); tn = min(n for _, n in tin[k])
        pm = statistics.median([m for m, _ in pt[k]]); pn = min(n for _, n in pt[k])
        print("%-11s %11.4f %11.4f %8.3f %11.4f %11.4f %8.3f" % (k, tm, pm, pm / tm, tn, pn, pn / tn))
    print("seconds per forward+backward; ratio = PyTorch / tinsel (>= 1: tinsel at least as fast)")


if __name__ == "__main__":
    main()
