#!/usr/bin/python3
"""Write the intermetallic crystal structures of tinsel md as VASP 5 POSCAR
files (data/md/structures/) from space group, lattice constants and Wyckoff
positions. Run from the repository root:

    /usr/bin/python3 scripts/md/make_imc_structures.py data/md/structures

Each structure is expanded from its Wyckoff representatives with the
space-group operations (International Tables, origin as stated), duplicates
removed; the number of atoms per site is checked against the Wyckoff
multiplicity, and, where python3-spglib is installed, the space group of the
result is checked too. Cells are written in LAMMPS orientation (a along x,
b in the xy plane), coordinates Direct.

Sources (lattice constants; the internal coordinates are the ideal ones of
the structure type, see docs/md.md "Intermetallic structures"):
  D0a-Ag3Sn  Pmmn (59, origin choice 2), beta-Cu3Ti type: a = 5.968, b = 4.780,
             c = 5.184 A (Fairhurst & Cohen, Acta Cryst. B28 (1972) 371).
             Close-packed A3B layers normal to b, hcp stacking:
             Sn 2a (1/4,1/4,2/3), Ag 2b (1/4,3/4,1/3), Ag 4f (0,1/4,1/6).
  Cu3Sn      the same 8-atom Pmmn (D0a-like) subcell of the long-period
             Cmcm superstructure, whose cell is a = 5.5210, b = 47.781,
             c = 4.3340 A, Z = 20 (Mueller & Lidin, Acta Cryst. B70 (2014) 879;
             80 atoms = 10 subcells along b): subcell a = 5.5210 (2d along x),
             stacking axis 4.3340 A, in-layer 47.781/10 = 4.7781 A; written in
             the Pmmn setting above (a, b_stack, c) = (5.5210, 4.3340, 4.7781).
  Cu3Sn      the long-period Cmcm superstructure itself (80 atoms), same cell
             (Mueller & Lidin 2014): ten D0a subcells along b (close-packed
             layers normal to c), the Sn/Cu decoration shifted by a/2 (an
             antiphase boundary) after every 5 subcells; this ideal APB model
             has exactly the space group Cmcm in the published cell (checked
             with spglib), its Wyckoff positions are listed below; the
             published small displacements from it are not included.
  eta'-Cu6Sn5 C2/c (15, unique axis b, cell choice 1): a = 11.022, b = 7.282,
             c = 9.827 A, beta = 98.84 deg (Larsson, Stenberg & Lidin, Acta
             Cryst. B50 (1994) 636). NiAs-type subcell (a_h, c_h) with
             a = a1 - 2c_h, b = a1 + 2a2, c = 2a1 + c_h (10 subcells): Sn on
             the As sites, Cu on the octahedral (Ni) sites and 4 Cu on the
             trigonal-bipyramidal interstitial sites; of the 4845 ways to fill
             4 of the 20 interstitial sites exactly one class (5 translations)
             has symmetry C2/c, which fixes the Wyckoff positions below.
"""
import os
import sys
from fractions import Fraction as Fr

import numpy as np

PMMN2 = [  # No. 59 Pmmn, origin choice 2
    ((1, 1, 1), (0, 0, 0)), ((-1, -1, 1), (.5, .5, 0)), ((-1, 1, -1), (0, .5, 0)),
    ((1, -1, -1), (.5, 0, 0)), ((-1, -1, -1), (0, 0, 0)), ((1, 1, -1), (.5, .5, 0)),
    ((1, -1, 1), (0, .5, 0)), ((-1, 1, 1), (.5, 0, 0))]
C2C = [  # No. 15 C2/c, unique axis b, cell choice 1, without the centring
    ((1, 1, 1), (0, 0, 0)), ((-1, 1, -1), (0, 0, .5)), ((-1, -1, -1), (0, 0, 0)),
    ((1, -1, 1), (0, 0, .5))]
CMCM = [  # No. 63 Cmcm, standard setting, without the centring
    ((1, 1, 1), (0, 0, 0)), ((-1, -1, 1), (0, 0, .5)), ((-1, 1, -1), (0, 0, .5)),
    ((1, -1, -1), (0, 0, 0)), ((-1, -1, -1), (0, 0, 0)), ((1, 1, -1), (0, 0, .5)),
    ((1, -1, 1), (0, 0, .5)), ((-1, 1, 1), (0, 0, 0))]
CENT_C = [(0, 0, 0), (.5, .5, 0)]

f = Fr
STRUCTS = {
    "Ag3Sn_D0a": dict(
        comment="D0a-Ag3Sn Pmmn(59,o2) a,b,c from Fairhurst&Cohen Acta Cryst B28(1972)371; ideal D0a sites",
        cell=(5.968, 4.780, 5.184, 90.0), ops=PMMN2, cent=[(0, 0, 0)], number=59,
        sites=[("Sn", "2a", 2, (f(1, 4), f(1, 4), f(2, 3))),
               ("Ag", "2b", 2, (f(1, 4), f(3, 4), f(1, 3))),
               ("Ag", "4f", 4, (f(0), f(1, 4), f(1, 6)))]),
    "Cu3Sn_D0a": dict(
        comment="Cu3Sn Pmmn(59,o2) D0a-like subcell of Cmcm Cu3Sn (Mueller&Lidin Acta Cryst B70(2014)879); ideal sites",
        cell=(5.5210, 4.3340, 47.781 / 10, 90.0), ops=PMMN2, cent=[(0, 0, 0)], number=59,
        sites=[("Sn", "2a", 2, (f(1, 4), f(1, 4), f(2, 3))),
               ("Cu", "2b", 2, (f(1, 4), f(3, 4), f(1, 3))),
               ("Cu", "4f", 4, (f(0), f(1, 4), f(1, 6)))]),
    "Cu3Sn_Cmcm": dict(
        comment="Cu3Sn Cmcm(63) a,b,c from Mueller&Lidin Acta Cryst B70(2014)879; ideal APB model: D0a subcells, a/2 antiphase shift every 5",
        cell=(5.5210, 47.781, 4.3340, 90.0), ops=CMCM, cent=CENT_C, number=63,
        sites=[("Sn", "4c", 4, (f(0), f(1, 15), f(1, 4))),
               ("Sn", "4c", 4, (f(1, 2), f(1, 30), f(3, 4))),
               ("Sn", "4c", 4, (f(0), f(1, 6), f(1, 4))),
               ("Sn", "4c", 4, (f(1, 2), f(2, 15), f(3, 4))),
               ("Sn", "4c", 4, (f(0), f(4, 15), f(1, 4))),
               ("Cu", "4c", 4, (f(0), f(1, 30), f(3, 4))),
               ("Cu", "4c", 4, (f(1, 2), f(1, 15), f(1, 4))),
               ("Cu", "4c", 4, (f(0), f(2, 15), f(3, 4))),
               ("Cu", "4c", 4, (f(1, 2), f(1, 6), f(1, 4))),
               ("Cu", "4c", 4, (f(0), f(7, 30), f(3, 4))),
               ("Cu", "8g", 8, (f(3, 4), f(1, 60), f(1, 4))),
               ("Cu", "8g", 8, (f(3, 4), f(1, 12), f(3, 4))),
               ("Cu", "8g", 8, (f(3, 4), f(7, 60), f(1, 4))),
               ("Cu", "8g", 8, (f(3, 4), f(11, 60), f(3, 4))),
               ("Cu", "8g", 8, (f(3, 4), f(13, 60), f(1, 4)))]),
    "Cu6Sn5_eta1": dict(
        comment="eta'-Cu6Sn5 C2/c(15) a,b,c,beta from Larsson,Stenberg&Lidin Acta Cryst B50(1994)636; ideal NiAs-derived sites",
        cell=(11.022, 7.282, 9.827, 98.84), ops=C2C, cent=CENT_C, number=15,
        sites=[("Sn", "4e", 4, (f(0), f(5, 6), f(1, 4))),
               ("Sn", "8f", 8, (f(1, 10), f(1, 3), f(9, 20))),
               ("Sn", "8f", 8, (f(1, 5), f(1, 6), f(3, 20))),
               ("Cu", "4a", 4, (f(0), f(0), f(0))),
               ("Cu", "8f", 8, (f(1, 10), f(1, 2), f(1, 5))),
               ("Cu", "8f", 8, (f(1, 5), f(0), f(2, 5))),
               ("Cu", "4e", 4, (f(0), f(1, 6), f(1, 4)))]),
}


def orbit(rep, ops, cent):
    pts = set()
    for rot, tr in ops:
        for c in cent:
            p = tuple((Fr(rot[k]) * rep[k] + Fr(tr[k]).limit_denominator(4) + Fr(c[k]).limit_denominator(4)) % 1
                      for k in range(3))
            pts.add(p)
    return sorted(pts)


def lattice(a, b, c, beta):
    be = np.radians(beta)
    # a along x; b along y (orthorhombic/monoclinic-b); c in the xz plane
    return np.array([[a, 0, 0], [0, b, 0], [c * np.cos(be), 0, c * np.sin(be)]])


def build(st):
    L = lattice(*st["cell"])
    species, frac = [], []
    for el, wy, mult, rep in st["sites"]:
        pts = orbit(rep, st["ops"], st["cent"])
        if len(pts) != mult:
            sys.exit("%s %s: %d positions, Wyckoff multiplicity %d" % (el, wy, len(pts), mult))
        species += [el] * len(pts)
        frac += [[float(v) for v in p] for p in pts]
    return L, species, np.array(frac)


def min_dist(L, frac):
    n, best = len(frac), 1e9
    shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
    for i in range(n):
        for j in range(n):
            d = frac[j] - frac[i]
            d -= np.round(d)
            v = (d + shifts) @ L
            r = np.linalg.norm(v, axis=1)
            if i == j:
                r = r[r > 1e-9]
            best = min(best, r.min())
    return best


def write(path, st, L, species, frac):
    order = sorted(set(species), key=lambda e: ("Ag", "Cu", "Sn").index(e))
    with open(path, "w") as fh:
        fh.write(st["comment"] + "\n1.0\n")
        for row in L:
            fh.write("  %.12f %.12f %.12f\n" % tuple(row + 0.0))
        fh.write("  " + " ".join(order) + "\n")
        fh.write("  " + " ".join(str(species.count(e)) for e in order) + "\nDirect\n")
        for e in order:
            for s, p in zip(species, frac):
                if s == e:
                    fh.write("  %.12f %.12f %.12f  %s\n" % (p[0], p[1], p[2], s))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    try:
        import spglib
    except ImportError:
        spglib = None
    for name, st in STRUCTS.items():
        L, species, frac = build(st)
        dmin = min_dist(L, frac)
        msg = "%-12s %3d atoms, nearest neighbour %.4f A" % (name, len(species), dmin)
        if spglib:
            num = [("Ag", "Cu", "Sn").index(e) for e in species]
            sg = spglib.get_symmetry_dataset((L, frac, num), symprec=1e-4)
            if sg["number"] != st["number"]:
                sys.exit("%s: space group %s, expected %d" % (name, sg["international"], st["number"]))
            msg += ", space group %s (%d) [spglib]" % (sg["international"], sg["number"])
        print(msg)
        write(os.path.join(sys.argv[1], name + ".poscar"), st, L, species, frac)


if __name__ == "__main__":
    main()
