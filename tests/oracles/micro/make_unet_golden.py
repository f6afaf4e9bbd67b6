#!/usr/bin/env python3
"""Oracle for the C-DDPM U-Net (src/micro/unet_model.c): the same conditional
U-Net written independently in PyTorch (torch.nn layers, float64), random
weights, one forward and one backward of L = sum(out * g).  Writes
tests/micro/data/unet_tiny.safetensors with the weights (F32, the values the C
code loads), inputs in.x/in.t/in.cond/in.g, and the float64 references
ref.out, ref.dx and grad/<parameter>.

Run with /usr/bin/python3 (Debian python3-torch 1.13):
  /usr/bin/python3 tests/oracles/micro/make_unet_golden.py tests/micro/data/unet_tiny.safetensors
  /usr/bin/python3 tests/oracles/micro/make_unet_golden.py tests/micro/data/unet_tiny_plain.safetensors in_plain=1
Also used by bench/ddpm (build_model) to time the same network in PyTorch.
"""
import json, math, struct, sys
import torch
import torch.nn as nn
import torch.nn.functional as F

NCMAP = 2


class Block(nn.Module):
    def __init__(self, cin, cout, nconv, h, cemb, temb, attn, heads, groups, plain0=False):
        super().__init__()
        self.h, self.nconv, self.has_attn, self.plain0 = h, nconv, attn, plain0
        self.cmap = nn.Linear(cemb, NCMAP * h * h)
        self.temb = nn.Linear(temb, cout)
        for k in range(nconv):
            plain = plain0 and k == 0  # in_plain: conv with bias -> GELU, no GroupNorm
            setattr(self, f"conv{k}", nn.Conv2d(cin if k == 0 else cout, cout, 3, padding=1, bias=plain))
            if not plain:
                setattr(self, f"gn{k}", nn.GroupNorm(groups, cout))
        if attn:
            self.attn = nn.MultiheadAttention(cout, heads, batch_first=True)

    def forward(self, feats, e, s):
        n = feats[0].shape[0]
        cm = self.cmap(e).view(n, NCMAP, self.h, self.h)
        x = torch.cat(list(feats) + [cm], 1)
        for k in range(self.nconv):
            y = getattr(self, f"conv{k}")(x)
            x = F.gelu(y if (self.plain0 and k == 0) else getattr(self, f"gn{k}")(y))
        x = x + self.temb(s)[:, :, None, None]
        if self.has_attn:
            c = x.shape[1]
            tok = x.flatten(2).transpose(1, 2)
            y, _ = self.attn(tok, tok, tok, need_weights=False)
            x = x + y.transpose(1, 2).reshape(n, c, self.h, self.h)
        return x


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        L, ch, at, S = cfg["levels"], cfg["ch"], cfg["attn"], cfg["size"]
        kw = dict(cemb=cfg["cemb"], temb=cfg["temb"], heads=cfg["heads"], groups=cfg["groups"])
        self.cond = nn.Linear(2, cfg["cemb"])
        blocks = {"inc": Block(cfg["channels"] + NCMAP, ch[0], 2, S, attn=at[0], plain0=bool(cfg.get("in_plain", 0)),
                               **kw)}
        for l in range(1, L + 1):
            blocks[f"down{l}"] = Block(ch[l - 1] + NCMAP, ch[l], cfg["nconv"], S >> l, attn=at[l], **kw)
        blocks["mid"] = Block(ch[L] + NCMAP, ch[L], cfg["nmid"], S >> L, attn=at[L], **kw)
        for l in range(L - 1, -1, -1):
            blocks[f"up{l}"] = Block(ch[l + 1] + ch[l] + NCMAP, ch[l], cfg["nconv"], S >> l, attn=at[l], **kw)
        self.blocks = nn.ModuleDict(blocks)
        self.out = nn.Conv2d(ch[0], cfg["channels"], 1)

    def forward(self, x, t, cond):
        L, temb = self.cfg["levels"], self.cfg["temb"]
        e = F.silu(self.cond(cond))
        half = temb // 2
        f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=x.dtype, device=x.device) / half)
        s = F.silu(torch.cat([torch.sin(t[:, None] * f), torch.cos(t[:, None] * f)], 1))
        B = self.blocks
        skips = [B["inc"]([x], e, s)]
        for l in range(1, L + 1):
            skips.append(B[f"down{l}"]([F.max_pool2d(skips[-1], 2)], e, s))
        h = B["mid"]([skips[L]], e, s)
        for l in range(L - 1, -1, -1):
            up = F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)
            h = B[f"up{l}"]([up, skips[l]], e, s)
        return self.out(h)

    def c_state(self):
        """state_dict with the C names (block names without the 'blocks.' prefix)."""
        return {k.replace("blocks.", "", 1): v for k, v in self.state_dict().items()}


def parse_cfg(text):
    cfg = {}
    for kv in text.split():
        k, v = kv.split("=")
        cfg[k] = [int(a) for a in v.split(",")] if k in ("ch", "attn") else int(v)
    return cfg


def write_safetensors(path, tensors, meta):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        arr = arr.detach().contiguous()
        dt = {torch.float32: "F32", torch.float64: "F64"}[arr.dtype]
        raw = arr.numpy().astype("<f4" if dt == "F32" else "<f8").tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = meta
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as fp:
        fp.write(struct.pack("<Q", len(h)))
        fp.write(h)
        for b in blobs:
            fp.write(b)


TINY = "size=16 channels=1 levels=2 ch=8,16,16 attn=0,1,1 heads=4 groups=2 temb=16 cemb=8 nconv=4 nmid=6"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "unet_tiny.safetensors"
    # optional second argument: extra configuration keys, e.g. "in_plain=1"
    conf = TINY + (" " + sys.argv[2] if len(sys.argv) > 2 else "")
    torch.manual_seed(20261123)
    cfg = parse_cfg(conf)
    net = UNet(cfg)
    with torch.no_grad():  # non-trivial GroupNorm and attention biases so that they are tested
        for k, v in net.named_parameters():
            if ".gn" in k or "in_proj_bias" in k or "out_proj.bias" in k or k.endswith("conv0.bias"):
                v.add_(0.2 * torch.randn_like(v))
    state32 = {k: v.detach().float().clone() for k, v in net.c_state().items()}
    net = net.double()
    n, S = 2, cfg["size"]
    x = torch.randn(n, 1, S, S, dtype=torch.float64).float().double().requires_grad_(True)
    t = torch.tensor([17.0, 803.0], dtype=torch.float64)
    cond = torch.tensor([[0.25, 0.4], [1.0, 0.05]], dtype=torch.float64).float().double()
    g = torch.randn(n, 1, S, S, dtype=torch.float64).float().double()
    y = net(x, t, cond)
    (y * g).sum().backward()
    tensors = dict(state32)
    tensors["in.x"] = x.detach().float()
    tensors["in.t"] = t.float()
    tensors["in.cond"] = cond.float()
    tensors["in.g"] = g.float()
    tensors["ref.out"] = y.detach()
    tensors["ref.dx"] = x.grad.detach()
    names = dict(net.named_parameters())
    for k in state32:
        tensors["grad/" + k] = names["blocks." + k if ("blocks." + k) in names else k].grad.detach()
    # DDIM (eta = 0) oracle for ts_micro_ddpm_denoise: 10 steps of the T = 1000 linear
    # schedule from a given x_T with these weights, x0 clipped (clip_x0 = 1) and not
    beta = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    ab = torch.cumprod(1 - beta, 0)
    xT = torch.randn(n, 1, S, S, dtype=torch.float64).float().double()
    tensors["in.xT"] = xT.float()
    with torch.no_grad():
        for clip in (0, 1):
            x = xT.clone()
            for k in range(9, -1, -1):
                tt, tp = k * 1000 // 10, ((k - 1) * 1000 // 10 if k else -1)
                e = net(x, torch.full((n,), float(tt), dtype=torch.float64), cond)
                x0 = (x - (1 - ab[tt]).sqrt() * e) / ab[tt].sqrt()
                if clip:
                    x0 = x0.clamp(-1, 1)
                    e = (x - ab[tt].sqrt() * x0) / (1 - ab[tt]).sqrt()
                abp = ab[tp] if tp >= 0 else torch.tensor(1.0, dtype=torch.float64)
                x = abp.sqrt() * x0 + (1 - abp).sqrt() * e
            tensors[f"ref.ddim10_clip{clip}"] = x.clamp(-1, 1)
    write_safetensors(out, tensors, {"unet": conf, "provenance": f"make_unet_golden.py, torch {torch.__version__}, float64"})
    print(f"wrote {out}: {len(state32)} parameters, {sum(v.numel() for v in state32.values())} weights")


if __name__ == "__main__":
    main()
