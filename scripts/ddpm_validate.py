#!/usr/bin/env python3
"""Issue #9 item 4: validation of generated micrographs by the micro pipeline.

For every generated set (a `tinsel micro generate-matrix` folder with
images/<cond>.tif, a `tinsel micro sample` folder per cell, or an .npz with
images[28, n, S, S] and names from scripts/ddpm_train_torch.py) and for the
real-like crops of a `tinsel micro dataset` folder:
  1. segment every image with one random forest (`tinsel micro segment`), trained
     on a few real-like crops of SEEN conditions with their labels (never on
     unseen/unknown labels, never on generated images);
  2. descriptors per condition (`tinsel micro quantify --index`): mean +- sd of
     Cu3Sn, Cu6Sn5, cumulative thickness, pore area, interface line length;
     a seen / unseen cell passes a descriptor when |mean_gen - mean_real| <= sd_real;
  3. kinetics (`tinsel micro kinetics real --compare gen`) over the 18 measured
     conditions: k_IMC, k_pore per impurity level, Q_K ratios and their ordering;
  4. MS-SSIM (TensorFlow formula, numpy transcription of
     tests/oracles/micro/make_goldens.py; max_val 2, 3 scales at 64 px):
     generated vs real, real vs real, nearest seen condition's real crops vs real.
Writes OUT/summary.md and per-set folders.

usage: ddpm_validate.py --tinsel PATH --dataset DIR --out DIR NAME=SOURCE [NAME=SOURCE ...]
"""
import argparse, csv, glob, math, os, subprocess, sys

import numpy as np
import tifffile
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracles", "micro"))
from make_goldens import msssim_tf  # noqa: E402

LEVELS = ["PVD", "ECD1", "ECD2", "ECD3"]
CODES = [0, 30, 60, 120]
TIMES = [0, 50, 100, 300, 750, 1000, 3000]
MEASURED = [[1, 1, 1, 1, 0, 1, 1], [1, 0, 0, 0, 1, 0, 1], [1, 1, 1, 1, 0, 1, 1], [1, 0, 0, 0, 1, 0, 1]]
UNSEEN = {(0, 3), (1, 4)}
TRAIN_CELLS = ["PVD_0000h", "PVD_1000h", "PVD_3000h", "ECD1_3000h", "ECD2_0300h", "ECD2_3000h", "ECD3_0750h",
               "ECD3_3000h"]
DESC = ["cu3sn_um", "cu6sn5_um", "imc_um", "pore_um2", "line_ratio"]


def status(l, t):
    return "unknown" if not MEASURED[l][t] else ("unseen" if (l, t) in UNSEEN else "seen")


def cname(l, t):
    return "%s_%04dh" % (LEVELS[l], TIMES[t])


CELLS = [(l, t) for l in range(4) for t in range(7)]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd[:4]), r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def save_png16(path, x):  # x in [-1, 1] -> 16-bit grey in [0, 1]
    g = np.clip((np.asarray(x, np.float64) + 1) / 2, 0, 1)
    Image.fromarray((g * 65535 + 0.5).astype(np.uint16)).save(path)


def load_set(src):
    """-> {cell name: array [n, S, S] in [-1, 1]}"""
    out = {}
    if src.endswith(".npz"):
        z = np.load(src)
        for name, im in zip(z["names"], z["images"]):
            out[str(name)] = np.asarray(im, np.float32)
    elif os.path.isdir(os.path.join(src, "images")):
        for p in glob.glob(os.path.join(src, "images", "*.tif")):
            a = tifffile.imread(p)
            out[os.path.basename(p)[:-4]] = a[None] if a.ndim == 2 else a
    else:  # one `micro sample` folder per cell: SRC/<LEVEL>_<hours>/samples.tif
        for p in glob.glob(os.path.join(src, "*", "samples.tif")):
            lv, h = os.path.basename(os.path.dirname(p)).split("_")
            a = tifffile.imread(p)
            out["%s_%04dh" % (lv, int(h))] = a[None] if a.ndim == 2 else a
    return out


def read_conditions(path):
    rows = {}
    with open(path) as fp:
        for r in csv.DictReader(fp):
            lv = r["level"]
            lv = LEVELS[int(float(lv))] if lv.replace(".", "").isdigit() else lv
            rows["%s_%04dh" % (lv, int(float(r["time_h"])))] = r
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinsel", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-blob", type=int, default=2)
    ap.add_argument("sets", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    idx = list(csv.DictReader(open(os.path.join(a.dataset, "index.csv"))))
    px = float(idx[0]["px_um_resized"])
    # real-like crops: all unmirrored pages of every cell
    real, rlab = {}, {}
    rdir = os.path.join(a.out, "real")
    os.makedirs(rdir, exist_ok=True)
    for l, t in CELLS:
        n = cname(l, t)
        im = tifffile.imread(os.path.join(a.dataset, "images", n + ".tif"))
        lb = tifffile.imread(os.path.join(a.dataset, "labels", n + ".tif"))
        real[n], rlab[n] = im[0::2], lb[0::2]
        for k in range(real[n].shape[0]):
            save_png16(os.path.join(rdir, "%s_%02d.png" % (n, k)), real[n][k])
            Image.fromarray(rlab[n][k].astype(np.uint8)).save(os.path.join(rdir, "%s_%02d_labels.png" % (n, k)))
    # the forest: real-like crops of seen conditions, two per training cell (first and middle window)
    tr = [os.path.join(rdir, "%s_%02d.png" % (n, k)) for n in TRAIN_CELLS for k in (0, real[n].shape[0] // 2)]
    segdir = os.path.join(a.out, "forest")
    out = run([a.tinsel, "micro", "segment", tr[0], "--train", ",".join(tr),
               "--train-labels", ",".join(p[:-4] + "_labels.png" for p in tr), "--px", str(px),
               "--min-blob", str(a.min_blob), "--out", segdir, "--quiet"])
    model = os.path.join(segdir, "model.rf")
    sets = [("real", None)] + [tuple(s.split("=", 1)) for s in a.sets]
    summary = ["# C-DDPM validation (scripts/ddpm_validate.py)", "",
               "pixel %.5f um, forest trained on %d real-like crops of seen cells (%s), min-blob %d px" %
               (px, len(tr), ", ".join(TRAIN_CELLS), a.min_blob), ""]
    cond_files = {}
    gens = {}
    for name, src in sets:
        sdir = os.path.join(a.out, name)
        os.makedirs(sdir, exist_ok=True)
        imgs, truths, rows = [], [], []
        if name == "real":
            for l, t in CELLS:
                n = cname(l, t)
                for k in range(real[n].shape[0]):
                    imgs.append(os.path.join(rdir, "%s_%02d.png" % (n, k)))
                    truths.append(imgs[-1][:-4] + "_labels.png")
                    rows.append((LEVELS[l], TIMES[t]))
        else:
            g = load_set(src)
            gens[name] = g
            for l, t in CELLS:
                n = cname(l, t)
                if n not in g:
                    continue
                for k in range(g[n].shape[0]):
                    p = os.path.join(sdir, "%s_%02d.png" % (n, k))
                    save_png16(p, g[n][k])
                    imgs.append(p)
                    rows.append((LEVELS[l], TIMES[t]))
        segs, segcsv = [], []
        for c0 in range(0, len(imgs), 64):  # `micro segment` takes up to 64 images per call
            od = os.path.join(sdir, "seg", "c%03d" % (c0 // 64))
            cmd = [a.tinsel, "micro", "segment"] + imgs[c0:c0 + 64] + ["--model", model, "--px", str(px),
                                                                      "--min-blob", str(a.min_blob), "--out", od,
                                                                      "--quiet"]
            if truths:
                cmd += ["--truth", ",".join(truths[c0:c0 + 64])]
            run(cmd)
            segs += [os.path.join(od, os.path.basename(p)[:-4] + "_seg.png") for p in imgs[c0:c0 + 64]]
            segcsv += list(csv.DictReader(open(os.path.join(od, "segment.csv"))))
        # index CSVs: all cells and the 18 measured
        for which in ("all", "measured"):
            with open(os.path.join(sdir, "index_%s.csv" % which), "w") as fp:
                fp.write("labels,level,time_h\n")
                for s_, (lv, h) in zip(segs, rows):
                    if which == "measured" and not MEASURED[LEVELS.index(lv)][TIMES.index(h)]:
                        continue
                    fp.write("%s,%s,%d\n" % (os.path.abspath(s_), lv, h))
            run([a.tinsel, "micro", "quantify", "--index", os.path.join(sdir, "index_%s.csv" % which),
                 "--label-px", str(px), "--out", os.path.join(sdir, "q_" + which), "--quiet"])
        cond_files[name] = os.path.join(sdir, "q_%s" % "measured", "conditions.csv")
        if name == "real":  # exact labels of the same crops, and the segmentation IoU
            with open(os.path.join(sdir, "index_exact.csv"), "w") as fp:
                fp.write("labels,level,time_h\n")
                for tp, (lv, h) in zip(truths, rows):
                    if MEASURED[LEVELS.index(lv)][TIMES.index(h)]:
                        fp.write("%s,%s,%d\n" % (os.path.abspath(tp), lv, h))
            run([a.tinsel, "micro", "quantify", "--index", os.path.join(sdir, "index_exact.csv"), "--label-px",
                 str(px), "--out", os.path.join(sdir, "q_exact"), "--quiet"])
            iou = segcsv
            keys = [k for k in iou[0] if k.startswith("iou")]
            summary.append("segmentation of the real-like crops (all 28 cells, %d crops), mean IoU per class: %s" % (
                len(iou), ", ".join("%s %.3f" % (k, np.nanmean([float(r[k]) for r in iou])) for k in keys)))
            summary.append("")
    # kinetics: real (segmented) vs each set; real exact vs real segmented
    kin = {}
    for name, _ in sets:
        if name != "real" and any(cname(l, t) not in gens[name] for l, t in CELLS if MEASURED[l][t]):
            summary.append("kinetics of %s skipped: not all 18 measured cells were generated" % name)
            continue
        kd = os.path.join(a.out, "kinetics_" + name)
        base = cond_files["real"] if name != "real" else os.path.join(a.out, "real", "q_exact", "conditions.csv")
        run([a.tinsel, "micro", "kinetics", base, "--compare", cond_files[name], "--name",
             "real_seg" if name != "real" else "real_exact", "--compare-name", name, "--out", kd, "--quiet"])
        kin[name] = kd
    # descriptor pass table and MS-SSIM
    rc = read_conditions(cond_files["real"])
    rall = read_conditions(os.path.join(a.out, "real", "q_all", "conditions.csv"))
    summary.append("## descriptors: |mean_gen - mean_real| <= sd_real (real = segmented real-like crops)")
    summary.append("")
    for name, _ in sets[1:]:
        gc = read_conditions(os.path.join(a.out, name, "q_all", "conditions.csv"))
        cols = [c for c in next(iter(gc.values())).keys() if c.endswith("_mean")]
        for st in ("seen", "unseen", "unknown"):
            ok = tot = 0
            per = {c: [0, 0] for c in cols}
            for l, t in CELLS:
                n = cname(l, t)
                if status(l, t) != st or n not in gc:
                    continue
                for c in cols:
                    m, s = float(rall[n][c]), float(rall[n][c[:-5] + "_sd"])
                    g = float(gc[n][c])
                    hit = abs(g - m) <= s
                    ok += hit
                    tot += 1
                    per[c][0] += hit
                    per[c][1] += 1
            if tot:
                summary.append("- %s, %s cells: %d / %d (cell, descriptor) pairs within 1 sd; %s" % (
                    name, st, ok, tot, ", ".join("%s %d/%d" % (c[:-5], v[0], v[1]) for c, v in per.items())))
    summary.append("")
    summary.append("## MS-SSIM (max_val 2, 3 scales), mean over cells")
    summary.append("")
    summary.append("| set | split | gen-real | real-real | nearest-seen-real |")
    summary.append("|---|---|---|---|---|")
    six = {n: real[n][np.linspace(0, real[n].shape[0] - 1, 6).round().astype(int)] for n in real}

    def mss(A, B, same=False):
        v = [msssim_tf(A[i].astype(np.float64), B[j].astype(np.float64), 2.0, 3)
             for i in range(len(A)) for j in range(len(B)) if not (same and i >= j)]
        return float(np.mean(v))

    def nearest(l, t):
        f = (CODES[l] / 120, math.sqrt(TIMES[t] / 3000))
        best, bd = None, 1e9
        for l2, t2 in CELLS:
            if (l2, t2) == (l, t) or status(l2, t2) != "seen":
                continue
            d = (f[0] - CODES[l2] / 120) ** 2 + (f[1] - math.sqrt(TIMES[t2] / 3000)) ** 2
            if d < bd:
                best, bd = (l2, t2), d
        return cname(*best)

    base = {}
    for l, t in CELLS:
        n = cname(l, t)
        base[n] = (mss(six[n], six[n], True), mss(six[nearest(l, t)], six[n]))
    with open(os.path.join(a.out, "msssim.csv"), "w") as fp:
        fp.write("set,cell,status,nearest_seen,gen_real,real_real,nearest_real\n")
        for name, _ in sets[1:]:
            g = gens[name]
            for st in ("seen", "unseen", "unknown"):
                vals = []
                for l, t in CELLS:
                    n = cname(l, t)
                    if status(l, t) != st or n not in g:
                        continue
                    gr = mss(g[n], six[n])
                    vals.append((gr,) + base[n])
                    fp.write("%s,%s,%s,%s,%.4f,%.4f,%.4f\n" % (name, n, st, nearest(l, t), gr, *base[n]))
                if vals:
                    v = np.mean(vals, 0)
                    summary.append("| %s | %s (%d) | %.3f | %.3f | %.3f |" % (name, st, len(vals), *v))
    summary.append("")
    for name, kd in kin.items():
        summary.append("## kinetics %s (%s)" % (name, kd))
        summary.append("")
        for f in sorted(glob.glob(os.path.join(kd, "*.csv"))):
            summary.append("%s:" % os.path.basename(f))
            summary.append("```")
            summary.append(open(f).read().rstrip())
            summary.append("```")
    open(os.path.join(a.out, "summary.md"), "w").write("\n".join(summary) + "\n")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
