#!/usr/bin/python3
"""Golden data for the tinsel nn core, computed by PyTorch (Debian python3-torch).

Run from the repository root:  /usr/bin/python3 tests/oracles/nn/gen_goldens.py
Writes tests/oracles/nn/golden/{layers,optim,unet}.bin and MANIFEST.txt.

Format of a .bin file (little-endian), read by tests/nn/golden.c:
  8 bytes   magic "TSNNGOLD"
  u32       version (1)
  u32       number of records
  records:  u32 name length, name (UTF-8), u32 ndim, u32 dims[ndim],
            prod(dims) float32 values (row-major)
Every record is a float32 tensor; integer data (indices) are stored as floats.
Regenerating goldens is a deliberate, reviewed step (see docs/nn.md).
"""
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
VERSION = 1


class Golden:
    def __init__(self):
        self.recs = []

    def add(self, name, t):
        if isinstance(t, torch.Tensor):
            t = t.detach().cpu().numpy()
        a = np.array(t, dtype=np.float32, copy=True, order="C")  # a copy: tensors change later
        if a.ndim == 0:
            a = a.reshape(1)
        self.recs.append((name, a))

    def write(self, fname):
        path = os.path.join(OUT, fname)
        with open(path + ".tmp", "wb") as f:
            f.write(b"TSNNGOLD")
            f.write(struct.pack("<II", VERSION, len(self.recs)))
            for name, a in self.recs:
                nb = name.encode()
                f.write(struct.pack("<I", len(nb)))
                f.write(nb)
                f.write(struct.pack("<I", a.ndim))
                f.write(struct.pack("<%dI" % a.ndim, *a.shape))
                f.write(a.astype("<f4").tobytes())
        os.replace(path + ".tmp", path)
        return path


def grads_of(y, dy, tensors):
    gs = torch.autograd.grad(y, tensors, grad_outputs=dy, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for g, t in zip(gs, tensors)]


def randn(*s, scale=1.0):
    return (torch.randn(*s) * scale).requires_grad_(True)


def layers():
    g = Golden()
    torch.manual_seed(20261123)

    # conv2d cases: (name, N, C, H, W, OC, (kh, kw), (sh, sw), (ph, pw))
    convs = [("conv2d_a", 2, 3, 9, 8, 4, (3, 3), (1, 1), (1, 1)),
             ("conv2d_b", 2, 4, 11, 10, 5, (3, 5), (2, 1), (1, 2)),
             ("conv2d_c", 2, 6, 7, 7, 3, (1, 1), (1, 1), (0, 0)),
             ("conv2d_d", 2, 3, 12, 10, 4, (4, 4), (2, 2), (1, 1))]
    for name, N, C, H, W, OC, k, s, p in convs:
        x = randn(N, C, H, W)
        w = randn(OC, C, *k, scale=0.3)
        b = randn(OC, scale=0.3)
        y = F.conv2d(x, w, b, stride=s, padding=p)
        dy = torch.randn_like(y)
        dx, dw, db = grads_of(y, dy, [x, w, b])
        g.add(name + "/meta", [N, C, H, W, OC, k[0], k[1], s[0], s[1], p[0], p[1]])
        for n_, t in [("x", x), ("w", w), ("b", b), ("y", y), ("dy", dy), ("dx", dx), ("dw", dw), ("db", db)]:
            g.add(name + "/" + n_, t)

    convs3 = [("conv3d_a", 2, 2, 5, 6, 7, 3, 3, 1, 1), ("conv3d_b", 1, 3, 7, 6, 8, 2, 3, 2, 0)]
    for name, N, C, D, H, W, OC, k, s, p in convs3:
        x = randn(N, C, D, H, W)
        w = randn(OC, C, k, k, k, scale=0.2)
        b = randn(OC, scale=0.2)
        y = F.conv3d(x, w, b, stride=s, padding=p)
        dy = torch.randn_like(y)
        dx, dw, db = grads_of(y, dy, [x, w, b])
        g.add(name + "/meta", [N, C, D, H, W, OC, k, s, p])
        for n_, t in [("x", x), ("w", w), ("b", b), ("y", y), ("dy", dy), ("dx", dx), ("dw", dw), ("db", db)]:
            g.add(name + "/" + n_, t)

    # linear
    x = randn(5, 7); w = randn(4, 7, scale=0.4); b = randn(4)
    y = F.linear(x, w, b); dy = torch.randn_like(y)
    dx, dw, db = grads_of(y, dy, [x, w, b])
    for n_, t in [("x", x), ("w", w), ("b", b), ("y", y), ("dy", dy), ("dx", dx), ("dw", dw), ("db", db)]:
        g.add("linear/" + n_, t)

    # group norm: N=2, C=6, 5x5, G=3 (and G=1, the notes' GroupNorm(1, C))
    for name, G in [("groupnorm_a", 3), ("groupnorm_b", 1)]:
        x = randn(2, 6, 5, 5, scale=2.0)
        with torch.no_grad():
            x += 0.7
        ga = randn(6); be = randn(6)
        y = F.group_norm(x, G, ga, be, eps=1e-5); dy = torch.randn_like(y)
        dx, dga, dbe = grads_of(y, dy, [x, ga, be])
        g.add(name + "/meta", [2, 6, 25, G])
        for n_, t in [("x", x), ("gamma", ga), ("beta", be), ("y", y), ("dy", dy), ("dx", dx), ("dgamma", dga), ("dbeta", dbe)]:
            g.add(name + "/" + n_, t)

    # layer norm over the last dim
    x = randn(6, 10, scale=3.0); ga = randn(10); be = randn(10)
    y = F.layer_norm(x, (10,), ga, be, eps=1e-5); dy = torch.randn_like(y)
    dx, dga, dbe = grads_of(y, dy, [x, ga, be])
    for n_, t in [("x", x), ("gamma", ga), ("beta", be), ("y", y), ("dy", dy), ("dx", dx), ("dgamma", dga), ("dbeta", dbe)]:
        g.add("layernorm/" + n_, t)

    # activations on a wide range
    for name, fn in [("gelu", lambda t: F.gelu(t, approximate="none")), ("silu", F.silu), ("tanh", torch.tanh)]:
        x = randn(4, 50, scale=3.0)
        y = fn(x); dy = torch.randn_like(y)
        (dx,) = grads_of(y, dy, [x])
        for n_, t in [("x", x), ("y", y), ("dy", dy), ("dx", dx)]:
            g.add(name + "/" + n_, t)

    # pooling (N, C, H, W, k, s, p)
    for name, fn, (N, C, H, W, k, s, p) in [
            ("maxpool_a", F.max_pool2d, (2, 3, 8, 9, 2, 2, 0)),
            ("maxpool_b", F.max_pool2d, (2, 3, 9, 7, 3, 2, 1)),
            ("avgpool_a", F.avg_pool2d, (2, 3, 8, 9, 2, 2, 0)),
            ("avgpool_b", F.avg_pool2d, (2, 3, 9, 7, 3, 2, 1))]:
        x = randn(N, C, H, W)
        y = fn(x, k, s, p); dy = torch.randn_like(y)
        (dx,) = grads_of(y, dy, [x])
        g.add(name + "/meta", [N, C, H, W, k, s, p])
        for n_, t in [("x", x), ("y", y), ("dy", dy), ("dx", dx)]:
            g.add(name + "/" + n_, t)

    # bilinear resampling, both align_corners, integer and non-integer factors, down too
    for name, (N, C, H, W, OH, OW, ac) in [
            ("upsample_a", (2, 3, 5, 6, 10, 12, 0)), ("upsample_b", (2, 3, 5, 6, 10, 12, 1)),
            ("upsample_c", (1, 2, 5, 6, 7, 9, 0)), ("upsample_d", (1, 2, 5, 6, 7, 9, 1)),
            ("upsample_e", (1, 2, 8, 9, 3, 4, 0))]:
        x = randn(N, C, H, W)
        y = F.interpolate(x, size=(OH, OW), mode="bilinear", align_corners=bool(ac))
        dy = torch.randn_like(y)
        (dx,) = grads_of(y, dy, [x])
        g.add(name + "/meta", [N, C, H, W, OH, OW, ac])
        for n_, t in [("x", x), ("y", y), ("dy", dy), ("dx", dx)]:
            g.add(name + "/" + n_, t)

    # concatenation along channels
    a = randn(2, 3, 4, 5); b = randn(2, 2, 4, 5)
    y = torch.cat([a, b], 1); dy = torch.randn_like(y)
    da, db = grads_of(y, dy, [a, b])
    for n_, t in [("a", a), ("b", b), ("y", y), ("dy", dy), ("da", da), ("db", db)]:
        g.add("concat/" + n_, t)

    # multi-head self-attention over spatial positions: N=2, C=8, 4x4, 2 heads
    N, C, H, W, heads = 2, 8, 4, 4, 2
    mha = nn.MultiheadAttention(C, heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_bias.normal_(0, 0.2)
        mha.out_proj.bias.normal_(0, 0.2)
    x = randn(N, C, H, W)
    tok = x.flatten(2).transpose(1, 2)
    o, _ = mha(tok, tok, tok, need_weights=False)
    y = o.transpose(1, 2).reshape(N, C, H, W)
    dy = torch.randn_like(y)
    params = [x, mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias]
    dx, diw, dib, dow, dob = grads_of(y, dy, params)
    g.add("attention/meta", [N, C, H * W, heads])
    for n_, t in [("x", x), ("in_w", mha.in_proj_weight), ("in_b", mha.in_proj_bias),
                  ("out_w", mha.out_proj.weight), ("out_b", mha.out_proj.bias), ("y", y), ("dy", dy),
                  ("dx", dx), ("din_w", diw), ("din_b", dib), ("dout_w", dow), ("dout_b", dob)]:
        g.add("attention/" + n_, t)

    # sinusoidal timestep embedding, Ho et al. (DDPM) formula in float64 (shift 1)
    # and the Transformer form (shift 0)
    t = torch.tensor([0.0, 1.0, 17.0, 500.5, 999.0], dtype=torch.float64)
    for name, shift in [("timestep_a", 1), ("timestep_b", 0)]:
        dim = 32
        half = dim // 2
        e = math.log(10000.0) / (half - shift)
        freqs = torch.exp(torch.arange(half, dtype=torch.float64) * -e)
        arg = t[:, None] * freqs[None, :]
        emb = torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)
        g.add(name + "/meta", [5, dim, shift])
        g.add(name + "/t", t)
        g.add(name + "/y", emb)

    # learned embedding with repeated indices
    emb = nn.Embedding(10, 6)
    idx = torch.tensor([3, 7, 3, 0, 9, 3, 1])
    y = emb(idx); dy = torch.randn_like(y)
    (dtab,) = grads_of(y, dy, [emb.weight])
    for n_, t_ in [("idx", idx.float()), ("table", emb.weight), ("y", y), ("dy", dy), ("dtable", dtab)]:
        g.add("embedding/" + n_, t_)

    # losses
    p = randn(3, 20); tg = torch.randn(3, 20)
    loss = F.mse_loss(p, tg)
    (dp,) = torch.autograd.grad(loss, [p])
    for n_, t_ in [("p", p), ("t", tg), ("loss", loss), ("dp", dp)]:
        g.add("mse/" + n_, t_)
    p = randn(3, 20); tg = (0.5 * p.detach() + torch.randn(3, 20))
    eps = 1e-8
    pc = p - p.mean(1, keepdim=True); tc = tg - tg.mean(1, keepdim=True)
    r = (pc * tc).sum(1) / (pc.norm(dim=1) * tc.norm(dim=1) + eps)
    loss = -r.mean()
    (dp,) = torch.autograd.grad(loss, [p])
    for n_, t_ in [("p", p), ("t", tg), ("loss", loss), ("dp", dp)]:
        g.add("pearson/" + n_, t_)
    return g


def optim():
    g = Golden()
    torch.manual_seed(7)
    n, steps = 37, 10
    p0 = torch.randn(n)
    grads = torch.randn(steps, n)
    g.add("p0", p0)
    g.add("grads", grads)
    cases = [
        ("sgd_plain", lambda ps: torch.optim.SGD(ps, lr=0.1)),
        ("sgd_momentum", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
        ("sgd_nesterov", lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("adam", lambda ps: torch.optim.Adam(ps, lr=1e-2)),
        ("adam_wd", lambda ps: torch.optim.Adam(ps, lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
        ("adamw", lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=0.05)),
    ]
    for name, mk in cases:
        p = p0.clone().requires_grad_(True)
        opt = mk([p])
        traj = []
        for k in range(steps):
            p.grad = grads[k].clone()
            opt.step()
            traj.append(p.detach().clone())
        g.add(name + "/traj", torch.stack(traj))

    # a small MLP trained 10 Adam steps on fixed data: linear(3,16)-tanh-linear(16,2), MSE
    torch.manual_seed(11)
    net = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))
    x = torch.randn(32, 3)
    y = torch.stack([torch.sin(x[:, 0]) * x[:, 1], x[:, 2] ** 2], 1)
    names = ["l1.w", "l1.b", "l2.w", "l2.b"]
    for nm, t_ in zip(names, net.parameters()):
        g.add("mlp/init/" + nm, t_)
    g.add("mlp/x", x)
    g.add("mlp/y", y)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for k in range(10):
        opt.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        losses.append(loss.item())
        opt.step()
    g.add("mlp/losses", losses)
    for nm, t_ in zip(names, net.parameters()):
        g.add("mlp/final/" + nm, t_)

    # learning-rate schedules, 20 steps, base 0.1
    total = 20

    def lrs(mk):
        p = torch.zeros(1, requires_grad=True)
        opt_ = torch.optim.SGD([p], lr=0.1)
        sch = mk(opt_)
        out = []
        for _ in range(total):
            out.append(opt_.param_groups[0]["lr"])
            p.grad = torch.zeros(1)
            opt_.step()
            sch.step()
        return out
    S = torch.optim.lr_scheduler
    g.add("sched/cosine", lrs(lambda o: S.CosineAnnealingLR(o, T_max=total, eta_min=0.001)))
    g.add("sched/onecycle", lrs(lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=total, cycle_momentum=False)))
    g.add("sched/poly", lrs(lambda o: S.PolynomialLR(o, total_iters=total, power=2.0)))

    # gradient clipping over two tensors
    a = torch.randn(5) * 3; b = torch.randn(3, 4) * 3
    pa = torch.zeros(5, requires_grad=True); pb = torch.zeros(3, 4, requires_grad=True)
    pa.grad = a.clone(); pb.grad = b.clone()
    norm = torch.nn.utils.clip_grad_norm_([pa, pb], max_norm=2.0)
    g.add("clip/g", torch.cat([a, b.flatten()]))
    g.add("clip/norm", norm)
    g.add("clip/out", torch.cat([pa.grad, pb.grad.flatten()]))
    return g


class TinyUNet(nn.Module):
    """The U-Net shape of issue #9 in miniature (one level):
    inc conv3x3-GN-GELU (+time) -> maxpool -> conv3x3-GN-GELU (+time) -> attention
    (residual, pre-GroupNorm) -> bilinear x2 -> concat skip -> conv3x3-GN-GELU -> conv1x1."""

    def __init__(self, cin=2, c1=8, c2=16, temb=16, heads=2):
        super().__init__()
        self.temb = temb
        self.inc = nn.Conv2d(cin, c1, 3, padding=1); self.gn1 = nn.GroupNorm(2, c1)
        self.t1 = nn.Linear(temb, c1)
        self.down = nn.Conv2d(c1, c2, 3, padding=1); self.gn2 = nn.GroupNorm(4, c2)
        self.t2 = nn.Linear(temb, c2)
        self.gna = nn.GroupNorm(1, c2)
        self.attn = nn.MultiheadAttention(c2, heads, batch_first=True)
        self.up = nn.Conv2d(c2 + c1, c1, 3, padding=1); self.gn3 = nn.GroupNorm(2, c1)
        self.outc = nn.Conv2d(c1, cin, 1)

    def forward(self, x, t):
        half = self.temb // 2
        f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / (half - 1))
        a = t.double()[:, None] * f[None]
        e = torch.cat([torch.sin(a), torch.cos(a)], 1).float()
        e = F.silu(e)
        h1 = F.gelu(self.gn1(self.inc(x))) + self.t1(e)[:, :, None, None]
        h = F.max_pool2d(h1, 2)
        h2 = F.gelu(self.gn2(self.down(h))) + self.t2(e)[:, :, None, None]
        N, C, H, W = h2.shape
        z = self.gna(h2).flatten(2).transpose(1, 2)
        o, _ = self.attn(z, z, z, need_weights=False)
        h2 = h2 + o.transpose(1, 2).reshape(N, C, H, W)
        u = F.interpolate(h2, scale_factor=2, mode="bilinear", align_corners=False)
        u = torch.cat([u, h1], 1)
        u = F.gelu(self.gn3(self.up(u)))
        return self.outc(u)


def unet():
    g = Golden()
    torch.manual_seed(99)
    net = TinyUNet()
    with torch.no_grad():
        for m in [net.gn1, net.gn2, net.gna, net.gn3]:
            m.weight.normal_(1.0, 0.2); m.bias.normal_(0.0, 0.2)
        net.attn.in_proj_bias.normal_(0, 0.1); net.attn.out_proj.bias.normal_(0, 0.1)
    x = torch.randn(2, 2, 16, 16, requires_grad=True)
    t = torch.tensor([3.0, 250.0])
    target = torch.randn(2, 2, 16, 16)
    y = net(x, t)
    loss = F.mse_loss(y, target)
    loss.backward()
    g.add("x", x); g.add("t", t); g.add("target", target); g.add("y", y); g.add("loss", loss)
    g.add("dx", x.grad)
    for name, p in net.named_parameters():
        g.add("p/" + name, p)
        g.add("g/" + name, p.grad)
    return g


def main():
    os.makedirs(OUT, exist_ok=True)
    paths = [layers().write("layers.bin"), optim().write("optim.bin"), unet().write("unet.bin")]
    with open(os.path.join(OUT, "MANIFEST.txt"), "w") as f:
        f.write("tinsel nn goldens\n")
        f.write("generator: tests/oracles/nn/gen_goldens.py\n")
        f.write("torch %s, numpy %s, python %s\n" % (torch.__version__, np.__version__, sys.version.split()[0]))
        f.write("threads: 1, deterministic algorithms on, float32 unless noted\n")
        for p in paths:
            f.write("%s  %d bytes\n" % (os.path.basename(p), os.path.getsize(p)))
    print("\n".join(paths))


if __name__ == "__main__":
    main()
