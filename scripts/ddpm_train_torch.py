#!/usr/bin/env python3
"""Train the C-DDPM's U-Net with PyTorch (on a GPU when there is one) and write
the weights in the checkpoint layout that `tinsel micro sample` and
`tinsel micro generate-matrix` load (and `tinsel micro train --resume`
continues).

Same as `tinsel micro train` (src/micro/ddpm_model.c, app/micro_ddpm.c):
  * network: the independent PyTorch U-Net of tests/oracles/micro/make_unet_golden.py,
    which matches tinsel's forward to 1.3e-6 (test micro_ddpm); configuration
    from the same INI run file ([unet], [ddpm], [train]);
  * data: the seen conditions of a `tinsel micro dataset` folder
    (images/<cond>.tif, all pages, mirrored ones included), conditions
    f = (code / 120, sqrt(t_h / 3000 h)) in float32;
  * DDPM: beta = linspace(beta_start, beta_end, T) in float64, abar = cumprod(1 - beta);
    per image a uniform image index, a uniform t in 0..T-1 and eps ~ N(0, I);
    loss = mean((eps_theta(sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, t, f) - eps)^2);
  * Adam (torch.optim.Adam, lr from the file, betas 0.9/0.999, eps 1e-8: the nn core's
    Adam is PyTorch's); EMA copies the weights while step + 1 < ema_start, then
    ema = d ema + (1 - d) w.
Differs: initial weights (PyTorch's default init, not tinsel's), random streams,
float32 arithmetic on the GPU (cuDNN may use TF32 in convolutions: PyTorch's
default), and the batch size if --batch is given (recorded in the checkpoint).

Outputs in --out: model.safetensors (weights, ema/, optim.m/, optim.v/, metadata
step, optim, unet, ddpm, trained condition ranges, trainer), model_ema.safetensors
(the EMA weights alone, a sampling file, 1/4 of the size), loss.csv,
verify.safetensors (a fixed input and the float64 CPU forward of the EMA weights on it:
in.x, in.t, in.cond, ref.out; checked against tinsel by
tests/micro/ddpm_forward_check.c), run.txt.

Optional --ancestral N: N images per cell of the 4 x 7 matrix with the seed's
ancestral sampler in PyTorch (EMA weights), written to ancestral_torch.npz.

Other mode: --export-ema IN OUT writes the EMA weights of a tinsel checkpoint as a
sampling file (weights = EMA, no optimiser state).

usage: ddpm_train_torch.py DATASET --config INI --out DIR [--minutes M] [--steps N]
                           [--batch B] [--seed S] [--ancestral N]
       ddpm_train_torch.py --export-ema IN.safetensors OUT.safetensors
"""
import argparse, configparser, json, math, os, struct, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracles", "micro"))
import numpy as np
import torch
import torch.nn.functional as F
from make_unet_golden import UNet, parse_cfg, write_safetensors

LEVELS = ["PVD", "ECD1", "ECD2", "ECD3"]
CODES = [0.0, 30.0, 60.0, 120.0]
TIMES = [0, 50, 100, 300, 750, 1000, 3000]
MEASURED = [[1, 1, 1, 1, 0, 1, 1], [1, 0, 0, 0, 1, 0, 1], [1, 1, 1, 1, 0, 1, 1], [1, 0, 0, 0, 1, 0, 1]]
UNSEEN = {(0, 3), (1, 4)}  # PVD-300 h, ECD1-750 h (src/micro/conditions.c)


def status(l, t):
    if not MEASURED[l][t]:
        return "unknown"
    return "unseen" if (l, t) in UNSEEN else "seen"


def cond_name(l, t):
    return "%s_%04dh" % (LEVELS[l], TIMES[t])


def cond_vec(code, hours):  # ts_micro_ddpm_cond, float32 like the C code
    return np.array([code / 120.0, math.sqrt(max(hours, 0) / 3000.0)], dtype=np.float64).astype(np.float32)


def read_config(path):
    cp = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    cp.read(path)
    u, d, tr = cp["unet"], cp["ddpm"], cp["train"]
    L = int(u.get("levels", 3))
    ch = [int(v) for v in u.get("channels", "16,32,32,64").split(",")]
    at = [int(v) for v in u.get("attention_levels", "2,3").split(",")]
    flags = ",".join("1" if l in at else "0" for l in range(L + 1))
    line = ("size=%d channels=1 levels=%d ch=%s attn=%s heads=%d groups=%d temb=%d cemb=%d nconv=%d nmid=%d" %
            (int(u.get("size", 32)), L, ",".join(map(str, ch)), flags, int(u.get("heads", 4)),
             int(u.get("groups", 1)), int(u.get("temb", 64)), int(u.get("cemb", 16)), int(u.get("convs", 4)),
             int(u.get("mid_convs", 6))))
    c = dict(unet=line, T=int(d.get("T", 1000)), beta1=float(d.get("beta_start", 1e-4)),
             betaT=float(d.get("beta_end", 0.02)), lr=float(tr.get("lr", 3e-4)), batch=int(tr.get("batch", 2)),
             ema_decay=float(tr.get("ema_decay", 0.995)), ema_start=int(tr.get("ema_start", 2000)),
             steps=int(tr.get("steps", 2000)), log_every=int(tr.get("log_every", 10)))
    return c


def write_st(path, tensors, meta):
    """safetensors (F32), atomic: the oracle's writer on a temporary file, then rename."""
    t = {k: (v if torch.is_tensor(v) else torch.from_numpy(np.ascontiguousarray(v))).detach().cpu().float()
         for k, v in tensors.items()}
    tmp = path + ".tmp"
    write_safetensors(tmp, t, {k: str(v) for k, v in meta.items()})
    os.replace(tmp, path)


def read_st(path):
    with open(path, "rb") as fp:
        n = struct.unpack("<Q", fp.read(8))[0]
        hdr = json.loads(fp.read(n))
        buf = fp.read()
    meta = hdr.pop("__metadata__", {})
    out = {}
    for k, v in hdr.items():
        a, b = v["data_offsets"]
        dt = {"F32": "<f4", "F64": "<f8"}[v["dtype"]]
        out[k] = np.frombuffer(buf[a:b], dtype=dt).reshape(v["shape"])
    return out, meta


def export_ema(src, dst):
    t, meta = read_st(src)
    ema = {k[4:]: v for k, v in t.items() if k.startswith("ema/")}
    if not ema:
        sys.exit("%s: no ema/ tensors" % src)
    meta = {k: v for k, v in meta.items() if k != "optim"}
    meta["export"] = "EMA weights of %s (step %s) as a sampling file" % (os.path.basename(src), meta.get("step", "?"))
    write_st(dst, ema, meta)
    print("wrote %s: %d tensors" % (dst, len(ema)))


def load_seen(dataset, size):
    import tifffile
    xs, cs = [], []
    codes, hours = [], []
    for l in range(4):
        for t in range(7):
            if status(l, t) != "seen":
                continue
            p = os.path.join(dataset, "images", cond_name(l, t) + ".tif")
            if not os.path.exists(p):
                continue
            a = tifffile.imread(p).astype(np.float32)
            if a.ndim == 2:
                a = a[None]
            if a.shape[1:] != (size, size):
                sys.exit("%s: images are %s, the model needs %d x %d" % (p, a.shape[1:], size, size))
            xs.append(a)
            cs.append(np.repeat(cond_vec(CODES[l], TIMES[t])[None], a.shape[0], 0))
            codes.append(CODES[l]), hours.append(TIMES[t])
    if not xs:
        sys.exit("%s: no training images" % dataset)
    return np.concatenate(xs)[:, None], np.concatenate(cs), (min(codes), max(codes), min(hours), max(hours))


def fmt_g(x):  # %g as the C code writes the ranges
    return "%g" % x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", nargs="?")
    ap.add_argument("--config")
    ap.add_argument("--out")
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ancestral", type=int, default=0)
    ap.add_argument("--export-ema", nargs=2, metavar=("IN", "OUT"))
    ap.add_argument("--ddim", type=int, default=0, help="with --sample: deterministic DDIM on this many steps "
                    "(tinsel's subsequence t_k = k T / S) instead of the ancestral sampler")
    ap.add_argument("--clip-x0", action="store_true", help="with --sample --ddim: clip the x0 estimate to [-1, 1]")
    ap.add_argument("--sample", metavar="MODEL", help="sample a tinsel checkpoint / sampling file (its EMA weights) "
                    "with the ancestral sampler on the GPU: --ancestral N images per cell into --out")
    a = ap.parse_args()
    if a.export_ema:
        return export_ema(*a.export_ema)
    if a.sample:
        return sample_file(a.sample, a.ancestral or 3, a.out or ".", a.seed, a.ddim, a.clip_x0)
    if not (a.dataset and a.config and a.out):
        ap.error("need DATASET, --config and --out")
    c = read_config(a.config)
    if a.batch:
        c["batch"] = a.batch
    if a.steps:
        c["steps"] = a.steps
    cfg = parse_cfg(c["unet"])
    S = cfg["size"]
    os.makedirs(a.out, exist_ok=True)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(a.seed)
    x0, cond, rng = load_seen(a.dataset, S)
    N = x0.shape[0]
    net = UNet(cfg).to(dev)
    names = list(net.c_state().keys())
    params = dict(net.named_parameters())
    pname = {k: ("blocks." + k if ("blocks." + k) in params else k) for k in names}
    nw = sum(p.numel() for p in net.parameters())
    print("torch %s on %s (%s): %d training images of %d px, %d weights, batch %d, lr %g" %
          (torch.__version__, dev, torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", N, S, nw,
           c["batch"], c["lr"]), flush=True)
    X = torch.from_numpy(x0).to(dev)
    Cd = torch.from_numpy(cond).to(dev)
    beta = torch.linspace(c["beta1"], c["betaT"], c["T"], dtype=torch.float64)
    abar = torch.cumprod(1 - beta, 0)
    sa, sb = abar.sqrt().float().to(dev), (1 - abar).sqrt().float().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=c["lr"], betas=(0.9, 0.999), eps=1e-8)
    plist = list(net.parameters())
    ema = [p.detach().clone() for p in plist]
    B, T, d = c["batch"], c["T"], c["ema_decay"]
    log = open(os.path.join(a.out, "loss.csv"), "w")
    log.write("step,loss_mean_log_every,seconds\n")
    losses = torch.zeros(c["log_every"], device=dev)
    t0 = time.time()
    step = 0
    while step < c["steps"]:
        k = torch.randint(0, N, (B,), device=dev)
        t = torch.randint(0, T, (B,), device=dev)
        eps = torch.randn(B, 1, S, S, device=dev)
        xt = sa[t][:, None, None, None] * X[k] + sb[t][:, None, None, None] * eps
        pred = net(xt, t.float(), Cd[k])
        loss = F.mse_loss(pred, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            if step + 1 < c["ema_start"]:
                for e, p in zip(ema, plist):
                    e.copy_(p)
            elif hasattr(torch, "_foreach_lerp_"):
                torch._foreach_lerp_(ema, [p.detach() for p in plist], 1.0 - d)
            else:  # older torch (Debian 1.13)
                for e, p in zip(ema, plist):
                    e.mul_(d).add_(p, alpha=1.0 - d)
            losses[step % c["log_every"]] = loss.detach()
        step += 1
        if step % c["log_every"] == 0:
            el = time.time() - t0
            m = losses.mean().item()
            log.write("%d,%.6g,%.2f\n" % (step, m, el))
            if step % (20 * c["log_every"]) == 0:
                log.flush()
                print("step %d loss %.4f %.1f s (%.1f steps/s)" % (step, m, el, step / el), flush=True)
            if a.minutes and el > 60 * a.minutes:
                break
    log.close()
    secs = time.time() - t0
    print("trained %d steps in %.1f s (%.2f steps/s)" % (step, secs, step / secs), flush=True)
    # checkpoint in tinsel's layout
    st = opt.state
    W, E, M, V = {}, {}, {}, {}
    where = {id(p): i for i, p in enumerate(plist)}
    for nm in names:
        p = params[pname[nm]]
        W[nm] = p.detach()
        E["ema/" + nm] = ema[where[id(p)]]
        M["optim.m/" + nm] = st[p]["exp_avg"]
        V["optim.v/" + nm] = st[p]["exp_avg_sq"]
    ddpm = "T=%d beta1=%.17g betaT=%.17g lr=%.17g batch=%d ema_decay=%.17g ema_start=%d seed=%d" % (
        T, c["beta1"], c["betaT"], c["lr"], B, d, c["ema_start"], a.seed)
    trainer = "scripts/ddpm_train_torch.py, torch %s, %s, %d steps in %.0f s" % (
        torch.__version__, torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", step, secs)
    meta = {"step": step, "optim": "adam", "unet": c["unet"], "ddpm": ddpm, "code_min": fmt_g(rng[0]),
            "code_max": fmt_g(rng[1]), "hours_min": fmt_g(rng[2]), "hours_max": fmt_g(rng[3]),
            "train_images": N, "trainer": trainer}
    full = dict(W)
    full.update(E), full.update(M), full.update(V)
    write_st(os.path.join(a.out, "model.safetensors"), full, meta)
    m2 = {k: v for k, v in meta.items() if k != "optim"}
    m2["export"] = "EMA weights (step %d) as a sampling file" % step
    write_st(os.path.join(a.out, "model_ema.safetensors"), {k[4:]: v for k, v in E.items()}, m2)
    # forward check input: float64 CPU forward of the EMA weights
    ref = UNet(cfg).double()
    rp = dict(ref.named_parameters())
    sd = {}
    for k, v in E.items():
        k = k[4:]
        sd["blocks." + k if ("blocks." + k) in rp else k] = torch.from_numpy(v.detach().cpu().numpy().astype(np.float64))
    ref.load_state_dict(sd, strict=True)
    g = torch.Generator().manual_seed(7)
    xin = torch.randn(3, 1, S, S, generator=g).float()
    tin = torch.tensor([5.0, 400.0, 950.0])
    cin = torch.tensor([[0.25, 0.4], [1.0, 0.05], [0.5, 1.0]])
    with torch.no_grad():
        out = ref(xin.double(), tin.double(), cin.double())
    write_st(os.path.join(a.out, "verify.safetensors"), {"in.x": xin, "in.t": tin, "in.cond": cin, "ref.out": out},
             {"provenance": "ddpm_train_torch.py: float64 CPU forward of the EMA weights"})
    with open(os.path.join(a.out, "run.txt"), "w") as fp:
        fp.write("%s\n%s\nconfig %s\ndataset %s\nsteps %d seconds %.1f images %d\n" %
                 (trainer, c["unet"], a.config, a.dataset, step, secs, N))
    if a.ancestral:
        ancestral(net, ema, plist, cfg, beta, abar, a.ancestral, dev, os.path.join(a.out, "ancestral_torch.npz"))


def sample_file(path, n, out, seed, ddim=0, clip=False):
    t, meta = read_st(path)
    cfg = parse_cfg(meta["unet"])
    dd = dict(kv.split("=") for kv in meta["ddpm"].split())
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net = UNet(cfg).to(dev)
    rp = dict(net.named_parameters())
    full = any(k.startswith("ema/") for k in t)
    sd = {}
    for k in net.c_state():
        v = t["ema/" + k] if full else t[k]
        sd["blocks." + k if ("blocks." + k) in rp else k] = torch.from_numpy(np.array(v, dtype=np.float32))
    net.load_state_dict(sd, strict=True)
    beta = torch.linspace(float(dd["beta1"]), float(dd["betaT"]), int(dd["T"]), dtype=torch.float64)
    abar = torch.cumprod(1 - beta, 0)
    plist = list(net.parameters())
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(seed)
    if ddim:
        return ddim_sample(net, cfg, abar, n, dev, ddim, clip, os.path.join(out, "ddim%d%s_torch.npz" % (
            ddim, "_clip" if clip else "")), seed=10 + seed)
    ancestral(net, [p.detach().clone() for p in plist], plist, cfg, beta, abar, n, dev,
              os.path.join(out, "ancestral_torch.npz"), seed=10 + seed)


def all_conds(n):
    conds = []
    for l in range(4):
        for t in range(7):
            conds += [cond_vec(CODES[l], TIMES[t])] * n
    return conds


def ddim_sample(net, cfg, abar, n, dev, S, clip, path, seed):
    """DDIM (eta = 0) as ts_micro_ddpm_denoise: t_k = k T / S, k = S-1..0."""
    T, sz = len(abar), cfg["size"]
    with torch.no_grad():
        cnd = torch.from_numpy(np.array(all_conds(n))).to(dev)
        g = torch.Generator(device=dev).manual_seed(seed)
        x = torch.randn(len(cnd), 1, sz, sz, device=dev, generator=g)
        t0 = time.time()
        for k in range(S - 1, -1, -1):
            t, tp = k * T // S, ((k - 1) * T // S if k else -1)
            e = net(x, torch.full((len(cnd),), float(t), device=dev), cnd)
            ab = abar[t].item()
            x0 = (x - math.sqrt(1 - ab) * e) / math.sqrt(ab)
            if clip:
                x0 = x0.clamp(-1, 1)
                e = (x - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
            abp = abar[tp].item() if tp >= 0 else 1.0
            x = math.sqrt(abp) * x0 + math.sqrt(1 - abp) * e
        x = x.clamp(-1, 1).cpu().numpy().reshape(28, n, sz, sz)
        names = [cond_name(l, t) for l in range(4) for t in range(7)]
        np.savez_compressed(path, images=x, names=np.array(names))
        print("DDIM %d%s sampling (PyTorch, EMA): %d images in %.1f s -> %s" %
              (S, " x0-clipped" if clip else "", 28 * n, time.time() - t0, path), flush=True)


def ancestral(net, ema, plist, cfg, beta, abar, n, dev, path, seed=11):
    """Seed eq. 3 with the EMA weights, all 28 cells, n images each, one batch."""
    S = cfg["size"]
    with torch.no_grad():
        for p, e in zip(plist, ema):
            p.copy_(e)
        conds = all_conds(n)
        cnd = torch.from_numpy(np.array(conds)).to(dev)
        g = torch.Generator(device=dev).manual_seed(seed)
        x = torch.randn(len(conds), 1, S, S, device=dev, generator=g)
        t0 = time.time()
        for t in range(len(beta) - 1, -1, -1):
            e = net(x, torch.full((len(conds),), float(t), device=dev), cnd)
            m = (x - beta[t].item() / math.sqrt(1 - abar[t].item()) * e) / math.sqrt(1 - beta[t].item())
            x = m + math.sqrt(beta[t].item()) * torch.randn(x.shape, device=dev, generator=g) if t > 0 else m
        x = x.clamp(-1, 1).cpu().numpy().reshape(28, n, S, S)
        names = [cond_name(l, t) for l in range(4) for t in range(7)]
        np.savez_compressed(path, images=x, names=np.array(names))
        print("ancestral sampling (PyTorch, EMA, 1000 steps): %d images in %.1f s -> %s" %
              (28 * n, time.time() - t0, path), flush=True)


if __name__ == "__main__":
    main()
