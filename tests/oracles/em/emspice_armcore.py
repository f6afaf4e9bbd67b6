#!/usr/bin/python3
"""Independent oracles for tinsel em on EMspice's ARM-core grid.

Run: /usr/bin/python3 tests/oracles/em/emspice_armcore.py [SHARED_DIR]
(SHARED_DIR defaults to ../shared next to the source tree.)

1. DC: nodal analysis of armcore.sp with SciPy (scipy.sparse.linalg.spsolve,
   SuperLU), currents x 0.4 (EMspice's I_SCALE), checked against EMspice's
   tree_node_voltage.txt.
2. EMspice's stress pipeline re-implemented from its published Python code
   (sheldonucr/EMspice python_version/EM_spice.py: chain of branches in name
   order, uniform grid nx = 20 per branch over the summed tree length,
   full-cell boundary mass, a missing stencil row, backward Euler with
   t_total/10 steps), written as a finite-volume chain with one flag per
   departure; with all flags it reproduces u_stress.txt, removing them one by
   one ends at tinsel's scheme (compared with the golden of item 3).
3. Golden for the C finite-volume solver: the same physics as tinsel (vertex-
   centred FV with widths on the real wire lengths, backward Euler, 19 cells
   per wire, 9 steps of 1.5552e6 s, no voids), assembled and solved here with
   SciPy sparse LU — an independent implementation of the discretisation.
   Written to tests/em/data/armcore_fv_golden.csv (tree,node,sigma_Pa).
"""
import csv
import os
import sys

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(SRC, '..', 'shared'))
DATA = os.path.join(SHARED, 'data', 'em', 'emspice-armcore')
OUT = os.path.join(SRC, 'tests', 'em', 'data')

# EMspice constants (EM_spice_constant.txt)
T, D0, E, EA_RATIO, KB, B0, OMEGA, RHO, Z = 373, 7.5e-8, 1.609e-19, 0.84, 1.3806e-23, 1e11, 1.182e-29, 3e-8, 10
KAPPA = D0 * np.exp(-EA_RATIO * E / (KB * T)) * B0 * OMEGA / (KB * T)
T_TOTAL = 15552000.0
NX = 20
H_M = 6e-7  # EMspice pg_sim H_M34, layers 0-3


def parse(path):
    res, cur, vs = [], [], []
    for line in open(path):
        p = line.split()
        if not p or p[0].startswith('*') or p[0].startswith('.'):
            if p and p[0] == '.end':
                break
            continue
        c = p[0][0].lower()
        if c == 'r':
            res.append((p[0], p[1], p[2], float(p[3])))
        elif c == 'i':
            cur.append((p[1], p[2], float(p[3])))
        elif c == 'v':
            vs.append((p[1], p[2], float(p[3])))
    return res, cur, vs


def coords(n):
    a = n[1:].split('_')
    return int(a[0]), int(a[1]), int(a[2])


def dc_solve(res, cur, vs, scale):
    names = sorted({n for r in res for n in r[1:3]} | {c[0] for c in cur} | {v[0] for v in vs} - {'0'})
    idx = {n: i for i, n in enumerate(names)}
    fixed = {v[0]: v[2] for v in vs}
    free = [n for n in names if n not in fixed]
    fidx = {n: i for i, n in enumerate(free)}
    rows, cols, vals = [], [], []
    rhs = np.zeros(len(free))
    for _, a, b, R in res:
        g = 1.0 / R
        for x, y in ((a, b), (b, a)):
            if x in fidx:
                rows.append(fidx[x]); cols.append(fidx[x]); vals.append(g)
                if y in fidx:
                    rows.append(fidx[x]); cols.append(fidx[y]); vals.append(-g)
                elif y != '0':
                    rhs[fidx[x]] += g * fixed[y]
    for a, b, I in cur:
        if a in fidx:
            rhs[fidx[a]] -= I * scale
        if b in fidx:
            rhs[fidx[b]] += I * scale
    A = sp.csc_matrix((vals, (rows, cols)), shape=(len(free), len(free)))
    x = spla.spsolve(A, rhs)
    V = dict(fixed)
    for n, i in fidx.items():
        V[n] = x[i]
    return V


def main():
    res, cur, vs = parse(os.path.join(DATA, 'armcore.sp'))
    # --- 1. DC
    V = dc_solve(res, cur, vs, 0.4)
    err = 0.0
    for line in open(os.path.join(DATA, 'tree_node_voltage.txt')):
        n, v = line.split()
        err = max(err, abs(V[n] - float(v)))
    print('SciPy %s DC vs EMspice tree_node_voltage.txt: max |dV| = %.3g V' % (scipy.__version__, err))
    V1 = dc_solve(res, cur, vs, 1.0)
    err1 = max(abs(V1[l.split()[0]] - float(l.split()[1])) for l in open(os.path.join(DATA, 'tree_node_voltage.txt')))
    print('  without the 0.4 current scale: max |dV| = %.3g V' % err1)

    # --- per-wire data
    wires = {}
    for name, a, b, R in res:
        la, xa, ya = coords(a)
        lb, xb, yb = coords(b)
        L = np.hypot(xa - xb, ya - yb) * 1e-9
        I = (V[a] - V[b]) / R
        w = RHO * L / (R * H_M)
        wires[name] = dict(a=a, b=b, L=L, w=w, j=I / (w * H_M))
    trees = {}
    for name in wires:
        trees.setdefault(name.rsplit('-', 1)[0], []).append(name)

    # EMspice's u_stress.txt
    us, cur_b = {}, None
    for line in open(os.path.join(DATA, 'u_stress.txt')):
        p = line.split()
        if len(p) == 2:
            cur_b = p[0]
            us[cur_b] = [float(p[1])]
        else:
            us[cur_b].append(float(p[0]))
    us_trees = sorted({b.rsplit('-', 1)[0] for b in us})

    # --- 2. EMspice's chain scheme, written as a finite-volume chain with flags
    # for each of its departures from tinsel's discretisation.
    def chain(tname):
        """Branches in name order joined end to end; orientation of each card
        along the chain (+1: card a -> b runs forward)."""
        bs = sorted(trees[tname])
        if len(bs) == 1:
            return bs, [1]
        a0, b0 = wires[bs[0]]['a'], wires[bs[0]]['b']
        a1, b1 = wires[bs[1]]['a'], wires[bs[1]]['b']
        node = b0 if b0 in (a1, b1) else a0  # end of branch 0
        dirs = [1 if node == b0 else -1]
        for b in bs[1:]:
            wa, wb = wires[b]['a'], wires[b]['b']
            dirs.append(1 if wa == node else -1)
            node = wb if wa == node else wa
        return bs, dirs

    def chain_solve(tname, emspice_length, emspice_width, emspice_mass, emspice_row, nsteps=9):
        bs, dirs = chain(tname)
        nw, nc = len(bs), NX - 1
        n = nc * nw + 1
        Ls = np.array([wires[b]['L'] for b in bs])
        if emspice_length:
            Ls = np.full(nw, Ls.sum() / nw)
        ws = np.ones(nw) if emspice_width else np.array([wires[b]['w'] for b in bs])
        # tinsel's electron-wind force along the chain: G = -e rho j Z / Omega
        Gf = np.array([-E * RHO * d * wires[b]['j'] * Z / OMEGA for b, d in zip(bs, dirs)])
        vol = np.zeros(n)
        src = np.zeros(n)
        A = np.zeros((n, n))
        for k in range(nw):
            h = Ls[k] / nc
            for c in range(nc):
                p, q = k * nc + c, k * nc + c + 1
                cond = KAPPA * ws[k] / h
                vol[p] += 0.5 * ws[k] * h
                vol[q] += 0.5 * ws[k] * h
                A[p, p] += cond; A[q, q] += cond; A[p, q] -= cond; A[q, p] -= cond
                src[p] += KAPPA * ws[k] * Gf[k]
                src[q] -= KAPPA * ws[k] * Gf[k]
        if emspice_mass:  # a full cell of mass at both chain ends
            vol[0] *= 2
            vol[-1] *= 2
        if emspice_row:  # EMspice's stencil loop stops one row early
            A[n - 2, :] = 0
        dt = T_TOTAL / 10
        M = np.diag(vol) + dt * A
        s = np.zeros(n)
        for _ in range(nsteps):
            s = np.linalg.solve(M, vol * s + dt * src)
        return s, bs, dirs

    worst = 0.0
    for tname in us_trees:
        s, bs, _ = chain_solve(tname, True, True, True, True)
        ref = np.concatenate([us[b] for b in bs])
        worst = max(worst, np.max(np.abs(s - ref)) / np.max(np.abs(ref)))
    print('EMspice scheme (chain in name order, equal branch lengths, no widths, full-cell end mass, '
          'missing stencil row, 9 BE steps of t_total/10, electron-wind sign along the chain) vs '
          'u_stress.txt: max |diff|/max|ref| over %d trees = %.3g' % (len(us_trees), worst))
    chain_cache = {}

    # --- 3. FV golden on the real geometry (tinsel's physics), no voids
    ncell, nsteps, dt = 19, 9, T_TOTAL / 10
    rows = []
    for tname in us_trees:
        bs = sorted(trees[tname])
        verts = {}
        for b in bs:
            for n in (wires[b]['a'], wires[b]['b']):
                verts.setdefault(n, len(verts))
        nv = len(verts)
        npts = nv + len(bs) * (ncell - 1)
        vol = np.zeros(npts)
        src = np.zeros(npts)
        Ai, Aj, Ax = [], [], []
        for k, b in enumerate(bs):
            wd = wires[b]
            h = wd['L'] / ncell
            Gf = -E * RHO * wd['j'] * Z / OMEGA  # electron wind against the current
            pts = [verts[wd['a']]] + [nv + k * (ncell - 1) + i for i in range(ncell - 1)] + [verts[wd['b']]]
            for c in range(ncell):
                p, q = pts[c], pts[c + 1]
                cond = KAPPA * wd['w'] / h
                vol[p] += 0.5 * wd['w'] * h; vol[q] += 0.5 * wd['w'] * h
                Ai += [p, q, p, q]; Aj += [p, q, q, p]; Ax += [cond, cond, -cond, -cond]
                src[p] += KAPPA * wd['w'] * Gf; src[q] -= KAPPA * wd['w'] * Gf
        A = sp.csc_matrix((Ax, (Ai, Aj)), shape=(npts, npts))
        Mt = sp.diags(vol) + dt * A
        lu = spla.splu(Mt.tocsc())
        s = np.zeros(npts)
        for _ in range(nsteps):
            s = lu.solve(vol * s + dt * src)
        for n, v in verts.items():
            rows.append((tname, n, s[v]))
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, 'armcore_fv_golden.csv')
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['tree', 'node', 'sigma_Pa'])
        for r in rows:
            w.writerow([r[0], r[1], repr(float(r[2]))])
    print('wrote %s (%d nodes of %d trees; t = %.6g s)' % (path, len(rows), len(us_trees), nsteps * dt))

    # remove EMspice's departures one at a time; the last line is tinsel's scheme
    golden = {(r[0], r[1]): r[2] for r in rows}
    steps = [('EMspice scheme', (True, True, True, True)),
             ('+ full stencil', (True, True, True, False)),
             ('+ half-cell end mass', (True, True, False, False)),
             ('+ real branch lengths', (False, True, False, False)),
             ('+ widths (= tinsel)', (False, False, False, False))]
    for label, flags in steps:
        worst = 0.0
        for tname in us_trees:
            s, bs, dirs = chain_solve(tname, *flags)
            nodes = []
            for b, d in zip(bs, dirs):
                nodes.append(wires[b]['a'] if d > 0 else wires[b]['b'])
            last = bs[-1]
            nodes.append(wires[last]['b'] if dirs[-1] > 0 else wires[last]['a'])
            mine = np.array([golden[(tname, nd)] for nd in nodes])
            at = s[::NX - 1]
            worst = max(worst, np.max(np.abs(at - mine)) / np.max(np.abs(mine)))
        print('  %-24s vs tinsel FV golden at the tree nodes: max |diff|/max = %.3g' % (label, worst))

    # compare tinsel's physics with EMspice's output at the same nodes (branch starts)
    num = den = 0.0
    golden = {(r[0], r[1]): r[2] for r in rows}
    for tname in us_trees:
        bs = sorted(trees[tname])
        _, dirs = chain(tname)
        for k, b in enumerate(bs):
            start = wires[b]['a'] if dirs[k] > 0 else wires[b]['b']
            ref = us[b][0]
            num += (golden[(tname, start)] - ref) ** 2
            den += ref ** 2
    print('FV on real geometry vs EMspice u_stress at branch starts: relative RMS difference %.3g' % np.sqrt(num / den))


if __name__ == '__main__':
    main()
