#!/usr/bin/python3
"""Seed 002 Table 1: growth constants of the nine cases under alternative
readings of the set-up (an investigation, not a fit: no parameter is tuned
toward the table). Each variant changes one thing in examples/pf/<case>.ini
and runs `tinsel pf run`; k of Cu3Sn and Cu6Sn5 (fit 72 000-158 400 s unless the
variant says otherwise) are printed next to the seed's values.

Usage: /usr/bin/python3 scripts/pf_table1_variants.py [BUILD_DIR] > table1_variants.csv
(BUILD_DIR defaults to ./build; results are discussed in docs/pf.md).
"""
import csv
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINSEL = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"), "tinsel")
CASES = ["NoApp_ZeroEig", "NoApp_VolEig", "NoApp_EqEig", "NoApp_LowEig", "AppTensY_VolEig",
         "AppCompY_VolEig", "AppTensY_EqEig", "AppCompY_EqEig", "AppCompX_VolEig"]
EIG = {"zero": (0.0, 0.0), "vol": (-0.00327, -0.0279), "eq": (-0.00327, -0.00327), "low": (-0.00327, -0.001635)}


def set_key(text, section, key, value):
    """Set key in [section] (added if missing)."""
    lines = text.splitlines()
    out, cur, done = [], None, False
    for ln in lines:
        m = re.match(r"\s*\[(.+)\]\s*$", ln)
        if m:
            if cur == section and not done:
                out.append(f"{key} = {value}")
                done = True
            cur = m.group(1)
        elif cur == section and re.match(rf"\s*{re.escape(key)}\s*=", ln):
            ln = f"{key} = {value}"
            done = True
        out.append(ln)
    if not done:
        if cur != section:
            out.append(f"[{section}]")
        out.append(f"{key} = {value}")
    return "\n".join(out) + "\n"


def eigen_of(text):
    m = re.search(r"^eigen\s*=\s*(\w+)", text, re.M)
    return m.group(1) if m else "zero"


def v_base(t):
    return t


def v_cu_printed(t):
    return set_key(t, "model", "cu_free_energy", "printed")


def v_sharp(t):
    return set_key(t, "grid", "init", "sharp")


def v_L_half(t):
    return set_key(t, "model", "L", "4e-13")


def v_L_double(t):
    return set_key(t, "model", "L", "1.6e-12")


def v_eq8(t):
    return set_key(t, "model", "interface_mobility", "diffusion")


def v_eig3d(t):
    return set_key(t, "model", "eigen_zz", "1")


def v_eig_flip(t):
    e3, e6 = EIG[eigen_of(t)]
    t = set_key(t, "phase.Cu3Sn", "eigenstrain", repr(-e3))
    return set_key(t, "phase.Cu6Sn5", "eigenstrain", repr(-e6))


def v_stress_free_normal(t):
    if re.search(r"^e11\s*=\s*-", t, re.M):
        return None  # CompX: the normal load itself is a strain
    t = set_key(t, "mechanics", "normal", "stress")
    return set_key(t, "mechanics", "s11", "0")


def v_elastic(t):
    t = set_key(t, "phase.Cu", "plastic", "0")
    return set_key(t, "phase.Sn", "plastic", "0")


def v_late_fit(t):
    return set_key(t, "output", "fit_t0", "110000")


VARIANTS = [("base", v_base), ("cu_printed", v_cu_printed), ("init_sharp", v_sharp), ("L_x0.5", v_L_half),
            ("L_x2", v_L_double), ("mobility_eq8", v_eq8), ("eigen_3d_111", v_eig3d),
            ("eigen_sign_flipped", v_eig_flip), ("normal_stress_free", v_stress_free_normal),
            ("no_plasticity", v_elastic), ("fit_from_110000s", v_late_fit)]


def run(text, tmp, tag):
    ini = os.path.join(tmp, tag + ".ini")
    out = os.path.join(tmp, tag)
    with open(ini, "w") as f:
        f.write(text)
    r = subprocess.run([TINSEL, "pf", "run", ini, "--out", out, "--quiet"], capture_output=True, text=True)
    if r.returncode != 0:
        return None, None, (r.stderr.strip().splitlines() or ["failed"])[-1]
    k = {}
    with open(os.path.join(out, "k_fit.csv")) as f:
        for row in csv.DictReader(f):
            k[row["phase"]] = (float(row["k_m2_s"]), float(row["ref_k_m2_s"]))
    return k["Cu3Sn"], k["Cu6Sn5"], ""


def main():
    w = csv.writer(sys.stdout)
    w.writerow(["case", "variant", "k_Cu3Sn", "ref_Cu3Sn", "dev_Cu3Sn_pct", "k_Cu6Sn5", "ref_Cu6Sn5",
                "dev_Cu6Sn5_pct", "note"])
    only = os.environ.get("PF_VARIANTS")
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            base = open(os.path.join(ROOT, "examples", "pf", case + ".ini")).read()
            for name, fn in VARIANTS:
                if only and name not in only.split(","):
                    continue
                text = fn(base)
                if text is None:
                    continue
                k3, k6, note = run(text, tmp, f"{case}_{name}")
                if k3 is None:
                    w.writerow([case, name, "", "", "", "", "", "", note])
                    continue

                def dev(k):
                    return f"{100 * (k[0] / k[1] - 1):.1f}" if k[1] != 0 else ""

                w.writerow([case, name, f"{k3[0]:.4g}", f"{k3[1]:.4g}", dev(k3), f"{k6[0]:.4g}", f"{k6[1]:.4g}",
                            dev(k6), note])
                sys.stdout.flush()


if __name__ == "__main__":
    main()
