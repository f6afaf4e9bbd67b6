#!/usr/bin/env python3
"""Does a trained C-DDPM interpolate in ageing time, or snap to the nearest seen condition?

Samples one impurity level at a sweep of ageing times with the SAME sampling noise (same
`--seed` for every time), segments every image with a forest trained by
scripts/ddpm_validate.py, and tabulates the measured layer thicknesses against sqrt(t), next to
the real-like crops of the dataset at the matrix times (segmented with the same forest).
A model that interpolates gives a smooth curve through the real points; one that memorises
the seen cells gives plateaus between them and jumps near the midpoints.

usage: ddpm_hours_sweep.py --tinsel T --model MODEL --dataset D64 --forest model.rf --out DIR
                           [--level PVD] [--hours 0,50,...] [-n 3] [--clip-x0] [--seed 1]
Writes DIR/sweep.csv (per image), DIR/summary.md (per time: generated mean and sd, real mean).
Needs Debian's python3-numpy, python3-tifffile, python3-pil.
"""
import argparse, csv, math, os, sys

import numpy as np
import tifffile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ddpm_validate import LEVELS, TIMES, run, save_png16, status  # noqa: E402


def segment(a, imgs, outdir, px):
    rows = []
    for c0 in range(0, len(imgs), 64):
        d = os.path.join(outdir, "seg%03d" % (c0 // 64))
        run([a.tinsel, "micro", "segment"] + imgs[c0:c0 + 64] +
            ["--model", a.forest, "--px", str(px), "--min-blob", "2", "--out", d, "--quiet"])
        with open(os.path.join(d, "segment.csv")) as f:
            rows += list(csv.DictReader(f))
    return {r["image"]: r for r in rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--tinsel", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--forest", required=True, help="model.rf written by ddpm_validate.py (OUT/forest/model.rf)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--level", default="PVD", choices=LEVELS)
    ap.add_argument("--hours", default="0,50,100,150,200,300,400,500,750,1000,1500,2000,3000")
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clip-x0", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    hours = [float(h) for h in a.hours.split(",")]
    os.makedirs(a.out, exist_ok=True)
    gen = {}
    for h in hours:
        d = os.path.join(a.out, "gen_%06.0fh" % h)
        if not os.path.exists(os.path.join(d, "samples.tif")):
            run([a.tinsel, "micro", "sample", a.model, "--impurity", a.level, "--hours", "%g" % h, "-n", str(a.n),
                 "--seed", str(a.seed), "--threads", str(a.threads), "--out", d, "--quiet"] +
                (["--clip-x0"] if a.clip_x0 else []))
        x = tifffile.imread(os.path.join(d, "samples.tif"))
        x = x[None] if x.ndim == 2 else x
        gen[h] = []
        for k in range(x.shape[0]):
            p = os.path.join(d, "g%02d.png" % k)
            save_png16(p, x[k])
            gen[h].append(p)
    real = {}
    for t in TIMES:
        p = os.path.join(a.dataset, "images", "%s_%04dh.tif" % (a.level, t))
        if not os.path.exists(p):
            continue
        x = tifffile.imread(p)
        x = x[None] if x.ndim == 2 else x
        d = os.path.join(a.out, "real_%04dh" % t)
        os.makedirs(d, exist_ok=True)
        real[t] = []
        for k in range(min(x.shape[0], 16)):
            q = os.path.join(d, "r%02d.png" % k)
            save_png16(q, x[k])
            real[t].append(q)
    allimgs = [p for v in gen.values() for p in v] + [p for v in real.values() for p in v]
    with open(os.path.join(a.dataset, "index.csv")) as f:
        px = float(next(csv.DictReader(f))["px_um_resized"])  # µm per pixel of the dataset's crops
    seg = segment(a, allimgs, a.out, px)
    keys = ["h_cu3sn_um", "h_cu6sn5_um", "h_imc_um", "pore_area_um2"]
    with open(os.path.join(a.out, "sweep.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["set", "hours", "sqrt_hours", "image"] + keys)
        for h, ps in gen.items():
            for p in ps:
                w.writerow(["generated", h, math.sqrt(h), p] + [seg[p][k] for k in keys])
        for t, ps in real.items():
            for p in ps:
                w.writerow(["real", t, math.sqrt(t), p] + [seg[p][k] for k in keys])

    def stats(ps, k):
        v = np.array([float(seg[p][k]) for p in ps])
        return v.mean(), v.std(ddof=1) if len(v) > 1 else 0.0

    lines = ["# C-DDPM ageing-time sweep, level %s (model %s, seed %d%s)" %
             (a.level, a.model, a.seed, ", x0 clipped" if a.clip_x0 else ""), "",
             "| hours | status | generated Cu3Sn (µm) | generated Cu6Sn5 | generated IMC | real IMC (segmented) |",
             "|---|---|---|---|---|---|"]
    for h in hours:
        st = (status(LEVELS.index(a.level), TIMES.index(h)) + " cell" if h in TIMES else "off the matrix")
        g = [stats(gen[h], k) for k in keys[:3]]
        r = stats(real[int(h)], "h_imc_um") if int(h) in real and h == int(h) else None
        lines.append("| %g | %s | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %s |" %
                     (h, st, g[0][0], g[0][1], g[1][0], g[1][1], g[2][0], g[2][1],
                      "%.3f ± %.3f" % r if r else "—"))
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
