#!/usr/bin/env python3
"""PyTorch side of bench/micro/bench_ddpm.sh: the same conditional U-Net as
tinsel's (module from tests/oracles/micro/make_unet_golden.py), float32 on the
CPU, one DDPM training step (q-sample, forward, MSE, backward, Adam 3e-4) and
one sampling step (forward, no grad).  Prints 'train_s' and 'sample_s': mean
seconds over STEPS - 1 repeats after one warm-up, and 'train_cpu', 'sample_cpu':
the same in process CPU time (all threads).

usage: ddpm_torch.py "<unet config line>" BATCH THREADS STEPS SAMPLE_N
"""
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "oracles", "micro"))
import torch
from make_unet_golden import UNet, parse_cfg

cfg = parse_cfg(sys.argv[1])
B, threads, steps, ns = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)
net = UNet(cfg)
opt = torch.optim.Adam(net.parameters(), lr=3e-4)
S = cfg["size"]
beta = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
abar = torch.cumprod(1 - beta, 0).float()
data = torch.rand(64, 1, S, S) * 2 - 1
cond = torch.rand(64, 2)
print("weights", sum(p.numel() for p in net.parameters()))

def train_step():
    k = torch.randint(0, 64, (B,))
    t = torch.randint(0, 1000, (B,))
    eps = torch.randn(B, 1, S, S)
    a = abar[t][:, None, None, None]
    xt = a.sqrt() * data[k] + (1 - a).sqrt() * eps
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(net(xt, t.float(), cond[k]), eps)
    loss.backward()
    opt.step()

train_step()  # warm-up
t0, c0 = time.perf_counter(), time.process_time()
for _ in range(steps - 1):
    train_step()
print("train_s", (time.perf_counter() - t0) / (steps - 1))
print("train_cpu", (time.process_time() - c0) / (steps - 1))
x = torch.randn(ns, 1, S, S)
with torch.no_grad():
    net(x, torch.full((ns,), 500.0), cond[:ns])
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps - 1):
        net(x, torch.full((ns,), 500.0), cond[:ns])
print("sample_s", (time.perf_counter() - t0) / (steps - 1))
print("sample_cpu", (time.process_time() - c0) / (steps - 1))
