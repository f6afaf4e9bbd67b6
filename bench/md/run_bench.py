#!/usr/bin/python3
"""Benchmark: µs per atom-step of NVE MD with the transcribed Ag-Cu-Sn MEAM,
tinsel vs LAMMPS + KIM MEAM driver, on identical cells (the LAMMPS run reads
the data file tinsel writes, same velocities, same dt, neighbour skin 1.0 Å)
and core counts (LAMMPS: 1 MPI rank, and 2 MPI ranks when 2 threads are asked
for; Debian's LAMMPS has no OpenMP MEAM).

Usage: /usr/bin/python3 bench/md/run_bench.py BUILD_DIR [STEPS] [THREADS...]
Prints one line per case and the ratio t_LAMMPS / t_tinsel (>1: tinsel faster).
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "oracles", "md"))
import make_goldens as mg  # noqa: E402

POT = os.path.join(ROOT, "tests", "oracles", "md", "potentials")
CASES = [
    # name, kind, a, c/a, nx, ny, nz, type, T0 (>2000: liquid start)
    ("fcc Cu 4000", "fcc", 3.6141, 0.0, 10, 10, 10, 1, 300),
    ("beta-Sn 3584", "bsn", 5.8588, 0.5472, 8, 8, 14, 2, 300),
    ("liquid Sn 500", "fcc", 4.75, 0.0, 5, 5, 5, 2, 3000),
]

LMP = """kim init {model} metal
boundary p p p
read_data {data}
kim interactions Ag Cu Sn
neighbor 1.0 bin
neigh_modify every 1 delay 0 check yes
timestep 0.002
fix 1 all nve
thermo {steps}
run 1
run {steps}
"""


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    threads = [int(t) for t in sys.argv[3:]] or [1]
    with tempfile.TemporaryDirectory() as scratch:
        exe = os.path.join(scratch, "bench_md")
        subprocess.run(["gcc", "-O2", "-std=c17", "-fopenmp", "-D_POSIX_C_SOURCE=200809L",
                        "-I" + os.path.join(ROOT, "include"), os.path.join(HERE, "bench_md.c"),
                        "-L" + build, "-ltinsel", "-Wl,-rpath," + os.path.abspath(build), "-lm",
                        "-o", exe], check=True)
        model = mg.build_model(scratch, "agcusn")
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_ess_singleton_isolated="1", OMP_NUM_THREADS="1",
                   KIM_API_PORTABLE_MODELS_DIR=os.path.join(scratch, "pm"))
        for name, kind, a, ca, nx, ny, nz, ty, t0 in CASES:
            data = os.path.join(scratch, "bench.data")
            res = {}
            for nt in threads:
                out = subprocess.run([exe, os.path.join(POT, "AgCuSn.library.meam"),
                                      os.path.join(POT, "AgCuSn.meam"), kind, str(a), str(ca),
                                      str(nx), str(ny), str(nz), str(ty), str(steps), str(nt),
                                      str(t0), data], capture_output=True, text=True, check=True).stdout
                us = float(re.search(r"([0-9.]+) us/atom-step", out).group(1))
                cpu = float(re.search(r"cpu ([0-9.]+) us/atom-step", out).group(1))
                res[nt] = (us, cpu)
            inp = os.path.join(scratch, "bench.in")
            with open(inp, "w") as f:
                f.write(LMP.format(model=model, data=data, steps=steps))
            out = subprocess.run(["lmp", "-in", inp, "-log", "none"], env=env, capture_output=True,
                                 text=True, cwd=scratch).stdout
            lmp2 = None
            if 2 in threads:  # equal cores: 2 MPI ranks (Debian's LAMMPS has no OpenMP MEAM)
                o2 = subprocess.run(["mpirun", "-np", "2", "lmp", "-in", inp, "-log", "none"], env=env,
                                    capture_output=True, text=True, cwd=scratch).stdout
                l2 = re.findall(r"Loop time of ([0-9.eE+-]+) on 2 procs for (\d+) steps with (\d+) atoms", o2)
                if l2:
                    lmp2 = float(l2[-1][0]) * 1e6 / (int(l2[-1][1]) * int(l2[-1][2]))
            loops = re.findall(r"Loop time of ([0-9.eE+-]+) on 1 procs for (\d+) steps with (\d+) atoms", out)
            cpus = re.findall(r"([0-9.]+)% CPU use with 1 MPI tasks", out)
            if not loops:
                sys.exit("LAMMPS failed:\n" + out[-2000:])
            t, n, natoms = loops[-1]
            lus = float(t) * 1e6 / (int(n) * int(natoms))
            lcpu = lus * float(cpus[-1]) / 100.0 if cpus else lus
            line = "%-14s N=%5s  LAMMPS+KIM 1 core: wall %6.2f cpu %6.2f us/atom-step" % (name, natoms, lus, lcpu)
            for nt in threads:
                w, cp = res[nt]
                if nt == 2 and lmp2:
                    line += " | LAMMPS 2 ranks wall %6.2f" % lmp2
                    line += " | tinsel 2 thr: wall %6.2f (ratio %.2f)" % (w, lmp2 / w)
                    continue
                line += " | tinsel %d thr: wall %6.2f (ratio %.2f)" % (nt, w, lus / w)
                if nt == 1:
                    line += " cpu %6.2f (ratio %.2f)" % (cp, lcpu / cp)
            print(line, flush=True)


if __name__ == "__main__":
    main()
