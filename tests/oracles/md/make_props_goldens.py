#!/usr/bin/python3
"""LAMMPS + KIM MEAM oracle for zero-temperature properties with the
transcribed Ag-Cu-Sn files: equilibrium lattice (fix box/relax aniso 0,
minimize), energy per atom, cubic elastic constants from +-0.5 % strains
(central differences of the pressure tensor, atoms relaxed), the relaxed
vacancy formation energy in 3x3x3 fcc Ag and Cu, relaxed (100)/(110)/(111)
surface energies (LAMMPS-built oriented slabs, 15 A vacuum) and dilute heats
of solution (one solute in 3x3x3 fcc, relaxed at fixed cell; references: the
lowest-energy structure of each element in this table).

Usage: /usr/bin/python3 make_props_goldens.py OUT.csv
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as mg  # noqa: E402

STRUCTS = [
    # name, kind, a0, c/a, types, cubic
    ("Ag_fcc", "fcc", 4.07, 0.0, (0, 0), True),
    ("Cu_fcc", "fcc", 3.61, 0.0, (1, 1), True),
    ("Sn_fcc", "fcc", 4.9, 0.0, (2, 2), True),
    ("Ag_bcc", "bcc", 3.25, 0.0, (0, 0), True),
    ("Cu_bcc", "bcc", 2.87, 0.0, (1, 1), True),
    ("Ag_hcp", "hcp", 2.88, 0.0, (0, 0), False),
    ("Cu_hcp", "hcp", 2.55, 0.0, (1, 1), False),
    ("Sn_dia", "dia", 6.58, 0.0, (2, 2), True),
    ("Sn_bsn", "bsn", 5.86, 0.547, (2, 2), False),
    ("AgCu_b2", "b2", 3.1, 0.0, (0, 1), True),
    ("AgSn_b2", "b2", 3.3, 0.0, (0, 2), True),
    ("CuSn_b2", "b2", 3.2, 0.0, (1, 2), True),
    ("Ag3Sn_l12", "l12", 4.26, 0.0, (0, 2), True),
    ("Cu3Sn_l12", "l12", 3.97, 0.0, (1, 2), True),
    ("Cu3Ag_l12", "l12", 3.8, 0.0, (1, 0), True),
    ("Ag3Cu_l12", "l12", 3.95, 0.0, (0, 1), True),
    ("Cu3Sn_d03", "d03", 6.1, 0.0, (1, 2), True),
]

RELAX = """kim init {model} metal
boundary p p p
box tilt large
read_data {data}
kim interactions Ag Cu Sn
neighbor 2.0 bin
thermo_style custom step pe lx ly lz pxx pyy pzz pyz
thermo_modify format float %.15g
min_modify line quadratic
fix r all box/relax aniso 0.0 vmax 0.001
minimize 0 1e-12 20000 200000
minimize 0 1e-12 20000 200000
unfix r
print "TSRES $(pe/atoms:%.15g) $(lx:%.15g) $(ly:%.15g) $(lz:%.15g) $(pxx:%.6g)"
"""

STRAIN = """kim init {model} metal
boundary p p p
box tilt large
read_data {data}
kim interactions Ag Cu Sn
neighbor 2.0 bin
thermo_style custom step pe pxx pyy pzz pyz
{deform}
minimize 0 1e-12 20000 200000
print "TSP $(pxx:%.15g) $(pyy:%.15g) $(pyz:%.15g)"
"""

VAC = """kim init {model} metal
boundary p p p
read_data {data}
kim interactions Ag Cu Sn
neighbor 2.0 bin
run 0
variable e0 equal pe
variable n0 equal atoms
print "TSE0 $(v_e0:%.15g) $(v_n0)"
group first id 1
delete_atoms group first
minimize 0 1e-12 20000 200000
print "TSE1 $(pe:%.15g)"
"""


SURF = """kim init {model} metal
boundary p p p
lattice fcc {a} orient x {ox} orient y {oy} orient z {oz} origin 0.01 0.01 0.01
region box block 0 {nx} 0 {ny} 0 {nz}
create_box 3 box
create_atoms {t} box
mass * 1.0
kim interactions Ag Cu Sn
neighbor 2.0 bin
thermo_style custom step pe lx ly lz
run 0
variable e0 equal pe
variable n0 equal atoms
variable area equal lx*ly
print "TSS0 $(v_e0:%.15g) $(v_n0) $(v_area:%.15g)"
change_box all z final 0 $(lz+15.0)
minimize 0 1e-12 20000 200000
print "TSS1 $(pe:%.15g)"
"""

SOL = """kim init {model} metal
boundary p p p
read_data {data}
kim interactions Ag Cu Sn
neighbor 2.0 bin
set atom 1 type {ts}
minimize 0 1e-12 20000 200000
print "TSSOL $(pe:%.15g) $(atoms)"
"""


def lmp(scratch, text, tag):
    inp = os.path.join(scratch, tag + ".in")
    with open(inp, "w") as f:
        f.write(text)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_ess_singleton_isolated="1",
               KIM_API_PORTABLE_MODELS_DIR=os.path.join(scratch, "pm"))
    r = subprocess.run(["lmp", "-in", inp, "-log", "none"], env=env, capture_output=True, text=True, cwd=scratch)
    if r.returncode:
        sys.exit("lammps failed (%s):\n%s" % (tag, r.stdout[-2000:]))
    return r.stdout


def grab(out, key):
    for line in out.splitlines():
        if line.startswith(key + " "):
            return [float(v) for v in line.split()[1:]]
    sys.exit("no %s in output" % key)


def write_tri(path, cell, pos, typ):
    # always triclinic so that tilts can be changed
    a, b, c = cell
    with open(path, "w") as f:
        f.write("props cell\n\n%d atoms\n3 atom types\n\n" % len(pos))
        f.write("0 %.17g xlo xhi\n0 %.17g ylo yhi\n0 %.17g zlo zhi\n" % (a[0], b[1], c[2]))
        f.write("%.17g %.17g %.17g xy xz yz\n\nMasses\n\n" % (b[0], c[0], c[1]))
        for t, m in enumerate(mg.MASSES):
            f.write("%d %.17g\n" % (t + 1, m))
        f.write("\nAtoms # atomic\n\n")
        for i, (p, t) in enumerate(zip(pos, typ)):
            f.write("%d %d %.17g %.17g %.17g\n" % (i + 1, t + 1, p[0], p[1], p[2]))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        model = mg.build_model(scratch, "agcusn")
        for name, kind, a0, ca, types, cubic in STRUCTS:
            cell, pos, typ = mg.lattice(kind, a0, (1, 1, 1), types=types, covera=ca)
            data = os.path.join(scratch, name + ".data")
            write_tri(data, cell, pos, typ)
            out = lmp(scratch, RELAX.format(model=model, data=data), name)
            epa, lx, ly, lz, _ = grab(out, "TSRES")
            covera = lz / lx if kind in ("hcp", "bsn") else 0.0
            c11 = c12 = c44 = float("nan")
            if cubic:
                # relaxed cubic cell (lx = ly = lz) with the original fractional positions
                cell2, pos2, typ2 = mg.lattice(kind, lx, (1, 1, 1), types=types)
                d2 = os.path.join(scratch, name + "_eq.data")
                write_tri(d2, cell2, pos2, typ2)
                p = {}
                for tag, deform in (("xp", "change_box all x scale 1.005 remap"),
                                    ("xm", "change_box all x scale 0.995 remap"),
                                    ("sp", "change_box all yz final %.17g remap" % (0.005 * lx)),
                                    ("sm", "change_box all yz final %.17g remap" % (-0.005 * lx))):
                    p[tag] = grab(lmp(scratch, STRAIN.format(model=model, data=d2, deform=deform),
                                      name + tag), "TSP")
                d = 0.005
                c11 = -(p["xp"][0] - p["xm"][0]) / (2 * d) * 1e-4
                c12 = -(p["xp"][1] - p["xm"][1]) / (2 * d) * 1e-4
                c44 = -(p["sp"][2] - p["sm"][2]) / (2 * d) * 1e-4
            rows.append((name, kind, types, lx, covera, epa, c11, c12, c44))
            print("%-10s a=%.6f c/a=%.5f E=%.8f C11=%.2f C12=%.2f C44=%.2f"
                  % (name, lx, covera, epa, c11, c12, c44))
        vac = {}
        for el, a in (("Ag", rows[0][3]), ("Cu", rows[1][3])):
            t = 0 if el == "Ag" else 1
            cell, pos, typ = mg.lattice("fcc", a, (3, 3, 3), types=(t, t))
            data = os.path.join(scratch, "vac%s.data" % el)
            mg.write_data(data, cell, pos, typ)
            out = lmp(scratch, VAC.format(model=model, data=data), "vac" + el)
            e0, n0 = grab(out, "TSE0")
            e1 = grab(out, "TSE1")[0]
            vac[el] = e1 - (n0 - 1) / n0 * e0
            print("vacancy %s: %.6f eV" % (el, vac[el]))
        surf = {}
        for el, t, a in (("Ag", 1, rows[0][3]), ("Cu", 2, rows[1][3])):
            for hkl, o, n in (("100", ("1 0 0", "0 1 0", "0 0 1"), (3, 3, 5)),
                              ("110", ("0 0 1", "1 -1 0", "1 1 0"), (3, 2, 4)),
                              ("111", None, None)):
                if o is None:
                    # (111): LAMMPS's oriented lattice gave overlapping atoms here; build the
                    # orthogonal [1-10] x [11-2] x [111] cell with numpy instead (6 x 2 x 4
                    # periods, 12 layers) and read it
                    d = np.array([[1, -1, 0], [1, 1, -2], [1, 1, 1]], float)
                    d /= np.linalg.norm(d, axis=1)[:, None]
                    L = np.array([a / np.sqrt(2) * 6, a * np.sqrt(6) / 2 * 2, a * np.sqrt(3) * 4])
                    base = np.array([[0, 0, 0], [.5, .5, 0], [.5, 0, .5], [0, .5, .5]])
                    m = int(np.ceil(L.sum() / a)) + 1
                    g = np.array([[i, j, k] for i in range(-m, m + 1) for j in range(-m, m + 1)
                                  for k in range(-m, m + 1)], float)
                    pts = ((g[:, None, :] + base[None]) * a).reshape(-1, 3) @ d.T
                    f = pts / L
                    keep = np.all((f > -1e-9) & (f < 1 - 1e-9), axis=1)
                    pos = np.maximum(pts[keep], 0.0)
                    data = os.path.join(scratch, "s111%s.data" % el)
                    mg.write_data(data, np.diag(L), pos, np.full(len(pos), t - 1))
                    text = SURF.split("kim interactions")[1]
                    head = "kim init %s metal\nboundary p p p\nread_data %s\n" % (model, data)
                    out = lmp(scratch, head + "kim interactions" + text, "surf%s%s" % (el, hkl))
                else:
                    out = lmp(scratch, SURF.format(model=model, a=a, ox=o[0], oy=o[1], oz=o[2], nx=n[0],
                                                   ny=n[1], nz=n[2], t=t), "surf%s%s" % (el, hkl))
                e0, n0, area = grab(out, "TSS0")
                e1 = grab(out, "TSS1")[0]
                surf[(el, hkl)] = (e1 - e0) / (2 * area) * 16.0217663
                print("surface %s(%s): %.5f J/m^2 (%d atoms)" % (el, hkl, surf[(el, hkl)], n0))
        # dilute heats of solution, references: lowest-energy structure per element
        eref = {}
        for name, kind, a, ca, e, *_ in [(r[0], r[1], r[3], r[4], r[5]) for r in rows]:
            el = name.split("_")[0]
            if el in ("Ag", "Cu", "Sn") and (el not in eref or e < eref[el]):
                eref[el] = e
        sol = {}
        for host, th, sv, ts_ in (("Ag", 0, "Sn", 3), ("Cu", 1, "Sn", 3), ("Ag", 0, "Cu", 2), ("Cu", 1, "Ag", 1)):
            a = rows[0][3] if host == "Ag" else rows[1][3]
            cell, pos, typ = mg.lattice("fcc", a, (3, 3, 3), types=(th, th))
            data = os.path.join(scratch, "sol%s%s.data" % (sv, host))
            mg.write_data(data, cell, pos, typ)
            e, n = grab(lmp(scratch, SOL.format(model=model, data=data, ts=ts_), "sol" + sv + host), "TSSOL")
            sol[(sv, host)] = e - (n - 1) * eref[host] - eref[sv]
            print("heat of solution %s in %s: %.6f eV" % (sv, host, sol[(sv, host)]))
    with open(sys.argv[1], "w") as f:
        f.write("# LAMMPS (29 Sep 2021, Debian) + KIM MEAM driver MEAM_LAMMPS__MD_249792265679_000,"
                " transcribed Ag-Cu-Sn files; generated by tests/oracles/md/make_props_goldens.py\n")
        f.write("structure,kind,type0,type1,a_A,c_over_a,E_eV_per_atom,C11_GPa,C12_GPa,C44_GPa\n")
        for name, kind, types, a, ca, e, c11, c12, c44 in rows:
            f.write("%s,%s,%d,%d,%.8f,%.6f,%.10f,%.3f,%.3f,%.3f\n"
                    % (name, kind, types[0], types[1], a, ca, e, c11, c12, c44))
        f.write("vacancy_Ag,fcc333,0,0,nan,nan,%.8f,nan,nan,nan\n" % vac["Ag"])
        f.write("vacancy_Cu,fcc333,1,1,nan,nan,%.8f,nan,nan,nan\n" % vac["Cu"])
        for (el, hkl), g in sorted(surf.items()):
            t = 0 if el == "Ag" else 1
            f.write("surface_%s_%s,fcc,%d,%d,nan,nan,%.6f,nan,nan,nan\n" % (el, hkl, t, t, g))
        for (sv, host), dh in sorted(sol.items()):
            f.write("solution_%s_in_%s,fcc333,%d,%d,nan,nan,%.8f,nan,nan,nan\n"
                    % (sv, host, mg.ELEMENTS.index(host), mg.ELEMENTS.index(sv), dh))


if __name__ == "__main__":
    main()
