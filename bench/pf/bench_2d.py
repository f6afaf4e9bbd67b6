#!/usr/bin/python3
"""pf 2D benchmark: the 512 x 512 scalloped case over the seed's 44 h.

Runs `tinsel pf run2d` on examples/pf/scallops_512.ini (chemistry and
interfaces) and examples/pf/scallops_512_mech.ini (+ Hu-Chen elasticity and
J2 viscoplasticity, mechanics every 4th step) with OMP_NUM_THREADS threads
(default 2) and prints, per case: steps, wall time, CPU time of the child
(user + system, all threads), point updates per second (cells x steps / wall),
the load average before and after (the machine may be shared: CPU time is the
comparable number, wall time is what a user waits), and the per-part CPU
profile that run2d writes (profile.csv).
The anchor is the previous tinsel 2D solver (no threads, FFTW_ESTIMATE plans,
bracketed return map), run the same way when OLD_TINSEL is given; the speed
target of issue #5 is < 10 min wall on 2 cores for the 44 h case.

Usage: bench/pf/bench_2d.py [BUILD_DIR] [--t-end S] [--only chem|mech] [--old OLD_TINSEL]
                            [--mixture rank1|voigt]
  --t-end S  a shorter window (the per-step cost of the first hours is higher
             than the average: the step is error-limited below 50 s early on)
  --mixture  [grid2d] mixture of the runs (default: the input's, i.e. rank1)
"""
import argparse
import csv
import os
import resource
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(tinsel, ini, out, t_end, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [tinsel, "pf", "run2d", ini, "--out", out, "--quiet"]
    if t_end:
        cmd += ["--t-end", str(t_end)]
    la0 = os.getloadavg()[0]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    la1 = os.getloadavg()[0]
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, la0, la1, p.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    ap.add_argument("--t-end", type=float, default=0)
    ap.add_argument("--only", choices=("chem", "mech"))
    ap.add_argument("--old", help="previous tinsel binary (anchor)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mixture", choices=("rank1", "voigt"))
    a = ap.parse_args()
    cases = [("chem", "scallops_512.ini"), ("mech", "scallops_512_mech.ini")]
    with tempfile.TemporaryDirectory() as tmp:
        for tag, name in cases:
            if a.only and a.only != tag:
                continue
            ini = os.path.join(ROOT, "examples", "pf", name)
            if a.mixture:  # the same input with [grid2d] mixture set
                text = open(ini).read().replace("[grid2d]\n", f"[grid2d]\nmixture = {a.mixture}\n", 1)
                ini = os.path.join(tmp, f"{tag}_{a.mixture}.ini")
                with open(ini, "w") as f:
                    f.write(text)
            bins = [("tinsel", os.path.join(a.build, "tinsel"), a.threads)]
            if a.old:
                bins.append(("previous", a.old, 1))
            for who, exe, thr in bins:
                out = os.path.join(tmp, f"{tag}_{who}")
                wall, cpu, la0, la1, msg = run(exe, ini, out, a.t_end, thr)
                steps = int(msg.split(" steps")[0].split()[-1])
                print(f"{name} [{who}, {thr} thread(s), mixture {a.mixture or 'default'}]: {steps} steps, {wall:.1f} s wall, {cpu:.1f} s CPU, "
                      f"{512 * 512 * steps / wall / 1e6:.2f} M point-updates/s; load average {la0:.1f} -> {la1:.1f}")
                th = os.path.join(out, "thickness.csv")
                if os.path.exists(th):
                    with open(th) as f:
                        last = list(csv.DictReader(f))[-1]
                    print("    thickness at t = %s s: " % last["time_s"] +
                          ", ".join(f"{k[2:-2]} {float(v) * 1e6:.4f} um" for k, v in last.items() if k.startswith("d_")))
                prof = os.path.join(out, "profile.csv")
                if os.path.exists(prof):
                    with open(prof) as f:
                        for row in csv.DictReader(f):
                            if row['cpu_s']:
                                print(f"    {row['part']:<22s} {float(row['cpu_s']):8.1f} s CPU  (count {row['count']})")
                            else:  # step-control and c-solver counts
                                print(f"    {row['part']:<40s} {row['count']}")


if __name__ == "__main__":
    main()
