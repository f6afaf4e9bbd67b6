#!/usr/bin/python3
"""Generate MEAM oracle goldens with Debian's LAMMPS + the KIM MEAM driver.

Independent oracle: LAMMPS "29 Sep 2021 - Update 2" (Debian package lammps),
`pair_style kim` with the KIM portable-model driver MEAM_LAMMPS__MD_249792265679_000
(Debian package openkim-models / libkim-api-dev) on the very parameter files in
./potentials. For each potential a KIM portable model is built in a scratch
folder (never installed into a shared collection; found via
KIM_API_PORTABLE_MODELS_DIR). Cells are generated here with numpy, written as
LAMMPS data files (which are also the test inputs), and LAMMPS writes the
total energy, per-atom forces and pressure tensor (T = 0, so pure virial).

Neighbour skin 2.0 Å: the driver screens pair i-j with every atom k in i's
neighbour list, so results depend on the list radius until it covers the
screening ellipses (rc * sqrt(max ebound) <= 6.0 Å here); 2.0 Å of skin makes
the result converged (checked: skin 1.2, 2.0 and 3.0 agree to 1e-12 eV).

Usage: /usr/bin/python3 make_goldens.py OUTDIR     (OUTDIR = tests/md/golden)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
POT = os.path.join(HERE, "potentials")
DRIVER = "MEAM_LAMMPS__MD_249792265679_000"
ELEMENTS = ["Ag", "Cu", "Sn"]
MASSES = [107.87, 63.546, 118.71]

POTENTIALS = {
    # name: (library, parameter file, KIM model name)
    "agcusn": ("AgCuSn.library.meam", "AgCuSn.meam", "TinselAgCuSn__MO_000000000001_000"),
    "var1": ("var1.library.meam", "var1.meam", "TinselVar1__MO_000000000002_000"),
    "var2": ("var2.library.meam", "var2.meam", "TinselVar2__MO_000000000003_000"),
}

CMAKE = """cmake_minimum_required(VERSION 3.10)
list(APPEND CMAKE_PREFIX_PATH $ENV{{KIM_API_CMAKE_PREFIX_DIR}})
find_package(KIM-API-ITEMS 2.2 REQUIRED CONFIG)
kim_api_items_setup_before_project(ITEM_TYPE "portableModel")
project({name})
kim_api_items_setup_after_project(ITEM_TYPE "portableModel")
add_kim_api_model_library(NAME ${{PROJECT_NAME}} DRIVER_NAME "{driver}"
  PARAMETER_FILES "elements.txt" "library.meam" "params.meam")
"""


def build_model(scratch, key):
    lib, par, name = POTENTIALS[key]
    src = os.path.join(scratch, "src_" + key)
    bld = os.path.join(scratch, "build_" + key)
    os.makedirs(src)
    os.makedirs(bld)
    with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
        f.write(CMAKE.format(name=name, driver=DRIVER))
    with open(os.path.join(src, "elements.txt"), "w") as f:
        f.write(" ".join(ELEMENTS) + "\n")
    for a, b in ((lib, "library.meam"), (par, "params.meam")):
        with open(os.path.join(POT, a)) as fi, open(os.path.join(src, b), "w") as fo:
            fo.write(fi.read())
    pm = os.path.join(scratch, "pm")
    subprocess.run(["cmake", src, "-DKIM_API_INSTALL_COLLECTION=ENVIRONMENT",
                    "-DKIM_API_PORTABLE_MODEL_INSTALL_PREFIX=" + pm],
                   cwd=bld, check=True, capture_output=True)
    subprocess.run(["make", "-j2"], cwd=bld, check=True, capture_output=True)
    subprocess.run(["make", "install"], cwd=bld, check=True, capture_output=True)
    return name


# ------------------------------------------------------------------ cells
def lattice(kind, a, n, types=(0, 1), covera=0.0):
    B = {
        "fcc": [((0, 0, 0), 0), ((.5, .5, 0), 0), ((.5, 0, .5), 0), ((0, .5, .5), 0)],
        "bcc": [((0, 0, 0), 0), ((.5, .5, .5), 0)],
        "b2": [((0, 0, 0), 0), ((.5, .5, .5), 1)],
        "l12": [((0, 0, 0), 1), ((.5, .5, 0), 0), ((.5, 0, .5), 0), ((0, .5, .5), 0)],
        "dia": [((0, 0, 0), 0), ((.5, .5, 0), 0), ((.5, 0, .5), 0), ((0, .5, .5), 0),
                ((.25, .25, .25), 0), ((.75, .75, .25), 0), ((.75, .25, .75), 0),
                ((.25, .75, .75), 0)],
        "hcp": [((0, 0, 0), 0), ((.5, .5, 0), 0), ((.5, 5 / 6, .5), 0), ((0, 1 / 3, .5), 0)],
        "bsn": [((0, 0, 0), 0), ((.5, .5, .5), 0), ((0, .5, .25), 0), ((.5, 0, .75), 0)],
        "d03": [((0, 0, 0), 1), ((.5, .5, 0), 1), ((.5, 0, .5), 1), ((0, .5, .5), 1),
                ((.5, 0, 0), 0), ((0, .5, 0), 0), ((0, 0, .5), 0), ((.5, .5, .5), 0),
                ((.25, .25, .25), 0), ((.75, .75, .25), 0), ((.75, .25, .75), 0),
                ((.25, .75, .75), 0), ((.75, .75, .75), 0), ((.25, .25, .75), 0),
                ((.25, .75, .25), 0), ((.75, .25, .25), 0)],
    }[kind]
    ax = ay = az = a
    if kind == "hcp":
        ay = a * np.sqrt(3.0)
        az = a * (covera or np.sqrt(8 / 3))
    if kind == "bsn":
        az = a * covera
    pos, typ = [], []
    for i in range(n[0]):
        for j in range(n[1]):
            for k in range(n[2]):
                for f, s in B:
                    pos.append(((i + f[0]) * ax, (j + f[1]) * ay, (k + f[2]) * az))
                    typ.append(types[s])
    cell = np.diag([ax * n[0], ay * n[1], az * n[2]])
    return cell, np.array(pos), np.array(typ)


def cells():
    rng = np.random.default_rng(20261123)
    out = {}

    def add(name, pot, cell, pos, typ, sd=0.0, frac=None):
        pos = pos.copy()
        typ = typ.copy()
        if frac is not None:
            typ = rng.choice(len(frac), size=len(typ), p=frac)
        if sd > 0:
            pos += rng.normal(0.0, sd, pos.shape)
        out[name] = (pot, cell, pos, typ)

    add("ag_fcc", "agcusn", *lattice("fcc", 4.0728, (3, 3, 3)))
    add("cu_fcc_perturbed", "agcusn", *lattice("fcc", 3.62, (3, 3, 3), types=(1, 1)), sd=0.06)
    add("cu_fcc_small", "agcusn", *lattice("fcc", 3.58, (2, 2, 2), types=(1, 1)), sd=0.03)
    add("cu_bcc", "agcusn", *lattice("bcc", 2.89, (4, 4, 4), types=(1, 1)), sd=0.04)
    add("ag_hcp", "agcusn", *lattice("hcp", 2.88, (4, 3, 3)), sd=0.03)
    add("sn_dia", "agcusn", *lattice("dia", 6.581, (2, 2, 2), types=(2, 2)), sd=0.05)
    add("sn_bsn", "agcusn", *lattice("bsn", 5.859, (3, 3, 5), types=(2, 2), covera=3.206 / 5.859), sd=0.04)
    add("agcu_b2", "agcusn", *lattice("b2", 3.13, (4, 4, 4), types=(0, 1)), sd=0.05)
    add("cusn_b2", "agcusn", *lattice("b2", 3.35, (4, 4, 4), types=(1, 2)), sd=0.05)
    add("ag3sn_l12", "agcusn", *lattice("l12", 4.264, (3, 3, 3), types=(0, 2)))
    add("cu3sn_l12", "agcusn", *lattice("l12", 3.969, (3, 3, 3), types=(1, 2)), sd=0.05)
    add("cu3sn_d03", "agcusn", *lattice("d03", 6.1, (2, 2, 2), types=(1, 2)), sd=0.04)
    add("ternary_random", "agcusn", *lattice("fcc", 3.95, (4, 4, 4)), sd=0.08, frac=[0.4, 0.4, 0.2])
    add("ternary_liquid", "agcusn", *lattice("fcc", 4.05, (4, 4, 4)), sd=0.20, frac=[0.3, 0.3, 0.4])
    # non-orthogonal cell: a sheared fcc ternary (LAMMPS restricted triclinic)
    cell, pos, typ = lattice("fcc", 3.9, (4, 4, 4))
    shear = np.array([[1.0, 0.0, 0.0], [0.21, 1.0, 0.0], [-0.13, 0.17, 1.0]])
    add("ternary_triclinic", "agcusn", cell @ shear, pos @ shear, typ, sd=0.07, frac=[0.5, 0.3, 0.2])
    # variant potentials: the same code paths with other flags / references
    add("var1_ternary", "var1", *lattice("fcc", 3.95, (4, 4, 4)), sd=0.1, frac=[0.35, 0.35, 0.3])
    add("var1_sn_dia", "var1", *lattice("dia", 6.5, (2, 2, 2), types=(2, 2)), sd=0.05)
    add("var2_ternary", "var2", *lattice("bcc", 3.15, (5, 5, 5)), sd=0.1, frac=[0.4, 0.3, 0.3])
    add("var2_liquid", "var2", *lattice("fcc", 4.0, (4, 4, 4)), sd=0.25, frac=[0.5, 0.2, 0.3])
    return out


def write_data(path, cell, pos, typ):
    a, b, c = cell
    # LAMMPS restricted triclinic: a along x, b in xy
    assert abs(a[1]) < 1e-12 and abs(a[2]) < 1e-12 and abs(b[2]) < 1e-12
    with open(path, "w") as f:
        f.write("tinsel md oracle cell (LAMMPS data, atomic)\n\n")
        f.write("%d atoms\n3 atom types\n\n" % len(pos))
        f.write("0.0 %.17g xlo xhi\n0.0 %.17g ylo yhi\n0.0 %.17g zlo zhi\n" % (a[0], b[1], c[2]))
        if abs(b[0]) > 0 or abs(c[0]) > 0 or abs(c[1]) > 0:
            f.write("%.17g %.17g %.17g xy xz yz\n" % (b[0], c[0], c[1]))
        f.write("\nMasses\n\n")
        for t, m in enumerate(MASSES):
            f.write("%d %.17g\n" % (t + 1, m))
        f.write("\nAtoms # atomic\n\n")
        for i, (p, t) in enumerate(zip(pos, typ)):
            f.write("%d %d %.17g %.17g %.17g\n" % (i + 1, t + 1, p[0], p[1], p[2]))


LMP_IN = """kim init {model} metal unit_conversion_mode
boundary p p p
box tilt large
read_data {data}
kim interactions Ag Cu Sn
neighbor 2.0 bin
thermo_style custom step pe pxx pyy pzz pxy pxz pyz
thermo_modify format float %.17g
dump d all custom 1 {dump} id fx fy fz
dump_modify d format float %.17g sort id
run 0
print "TSPE $(pe:%.17g)"
print "TSP $(pxx:%.17g) $(pyy:%.17g) $(pzz:%.17g) $(pxy:%.17g) $(pxz:%.17g) $(pyz:%.17g)"
"""


def run_lammps(scratch, model, data, name):
    dump = os.path.join(scratch, name + ".dump")
    inp = os.path.join(scratch, name + ".in")
    with open(inp, "w") as f:
        f.write(LMP_IN.format(model=model, data=data, dump=dump).replace(" unit_conversion_mode", ""))
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_ess_singleton_isolated="1",
               KIM_API_PORTABLE_MODELS_DIR=os.path.join(scratch, "pm"))
    r = subprocess.run(["lmp", "-in", inp, "-log", "none", "-screen", "none"] if False else
                       ["lmp", "-in", inp, "-log", "none"], env=env, capture_output=True, text=True, cwd=scratch)
    if r.returncode != 0:
        sys.exit("lammps failed for %s:\n%s\n%s" % (name, r.stdout[-3000:], r.stderr[-3000:]))
    pe = press = None
    for line in r.stdout.splitlines():
        if line.startswith("TSPE "):
            pe = float(line.split()[1])
        if line.startswith("TSP "):
            press = [float(v) for v in line.split()[1:7]]
    forces = []
    with open(dump) as f:
        lines = f.read().splitlines()
    k = lines.index("ITEM: ATOMS id fx fy fz")
    for line in lines[k + 1:]:
        w = line.split()
        forces.append([float(v) for v in w[1:4]])
    return pe, press, np.array(forces)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = os.path.abspath(sys.argv[1])
    os.makedirs(outdir, exist_ok=True)
    version = subprocess.run(["lmp", "-h"], capture_output=True, text=True).stdout.splitlines()
    version = next((l for l in version if "LAMMPS (" in l), "lmp (version unknown)")
    with tempfile.TemporaryDirectory() as scratch:
        models = {k: build_model(scratch, k) for k in POTENTIALS}
        index = []
        for name, (pot, cell, pos, typ) in cells().items():
            data = os.path.join(outdir, name + ".data")
            write_data(data, cell, pos, typ)
            pe, press, forces = run_lammps(scratch, models[pot], data, name)
            with open(os.path.join(outdir, name + ".ref"), "w") as f:
                f.write("# oracle: %s, pair_style kim %s (driver %s), neighbor 2.0 bin\n"
                        % (version.strip(), models[pot], DRIVER))
                f.write("potential %s %s %s\n" % (pot, POTENTIALS[pot][0], POTENTIALS[pot][1]))
                f.write("natoms %d\n" % len(pos))
                f.write("energy %.17g\n" % pe)
                f.write("pressure %s\n" % " ".join("%.17g" % v for v in press))
                f.write("forces\n")
                for fv in forces:
                    f.write("%.17g %.17g %.17g\n" % tuple(fv))
            index.append(name)
            print("%-20s %-7s N=%4d  E/N = %.12f eV" % (name, pot, len(pos), pe / len(pos)))
        with open(os.path.join(outdir, "cells.txt"), "w") as f:
            f.write("\n".join(index) + "\n")


if __name__ == "__main__":
    main()
