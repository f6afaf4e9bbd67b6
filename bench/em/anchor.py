#!/usr/bin/python3
"""SciPy anchor for bench/em: the same finite-volume system of the same
250-segment tree (dumped by bench_em --dump), one backward-Euler step
  (V + dt A) s_new = V s + dt b
solved with scipy.sparse.linalg.spsolve (SuperLU, fresh each step) and with
a cached splu factorisation; optionally one step of EMspice's dense
least-squares approach (numpy.linalg.lstsq on the dense matrix) for context.
Also the armcore DC solve with spsolve. Prints seconds per step.
Usage: anchor.py TREE.txt [ARMCORE.sp] [--dense]
"""
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def tree_system(path):
    rows = [l.split() for l in open(path) if not l.startswith('#')]
    head = open(path).readline().split()
    ncell = int(head[head.index('ncell') + 1])
    kappa = float(head[head.index('kappa') + 1])
    nw = len(rows)
    nv = nw + 1
    n = nv + nw * (ncell - 1)
    vol = np.zeros(n)
    b = np.zeros(n)
    I, J, X = [], [], []
    for k, r in enumerate(rows):
        a, c, L, w, G = int(r[0]), int(r[1]), float(r[2]), float(r[3]), float(r[4])
        h = L / ncell
        pts = [a] + [nv + k * (ncell - 1) + i for i in range(ncell - 1)] + [c]
        for i in range(ncell):
            p, q = pts[i], pts[i + 1]
            cond = kappa * w / h
            vol[p] += 0.5 * w * h
            vol[q] += 0.5 * w * h
            I += [p, q, p, q]
            J += [p, q, q, p]
            X += [cond, cond, -cond, -cond]
            b[p] += kappa * w * G
            b[q] -= kappa * w * G
    A = sp.csc_matrix((X, (I, J)), shape=(n, n))
    return vol, A, b


def main():
    vol, A, b = tree_system(sys.argv[1])
    dt = 1e5
    M = (sp.diags(vol) + dt * A).tocsc()
    s = np.zeros(len(vol))
    nst = 200
    t0 = time.perf_counter()
    for _ in range(nst):
        s = spla.spsolve(M, vol * s + dt * b)
    t_sp = (time.perf_counter() - t0) / nst
    lu = spla.splu(M)
    t0 = time.perf_counter()
    for _ in range(nst):
        s = lu.solve(vol * s + dt * b)
    t_lu = (time.perf_counter() - t0) / nst
    print('anchor tree250 scipy spsolve per step: %.4g ms' % (t_sp * 1e3))
    print('anchor tree250 scipy splu (cached) per step: %.4g ms' % (t_lu * 1e3))
    if '--dense' in sys.argv:
        Md = M.toarray()
        t0 = time.perf_counter()
        np.linalg.lstsq(Md, vol * s + dt * b, rcond=None)
        print('anchor tree250 dense lstsq (EMspice style) per step: %.4g s' % (time.perf_counter() - t0))
    args = [a for a in sys.argv[2:] if not a.startswith('--')]
    if args:
        res, cur, vs = [], [], {}
        for line in open(args[0]):
            p = line.split()
            if not p or p[0][0] in '*.':
                continue
            c = p[0][0].lower()
            if c == 'r':
                res.append((p[1], p[2], float(p[3])))
            elif c == 'i':
                cur.append((p[1], float(p[3])))
            elif c == 'v':
                vs[p[1]] = float(p[3])
        t0 = time.perf_counter()
        names = sorted({n for r in res for n in r[:2]} - set(vs) - {'0'})
        idx = {n: i for i, n in enumerate(names)}
        I, J, X = [], [], []
        rhs = np.zeros(len(names))
        for a, c, R in res:
            g = 1 / R
            for x, y in ((a, c), (c, a)):
                if x in idx:
                    I.append(idx[x]); J.append(idx[x]); X.append(g)
                    if y in idx:
                        I.append(idx[x]); J.append(idx[y]); X.append(-g)
                    elif y in vs:
                        rhs[idx[x]] += g * vs[y]
        for a, v in cur:
            if a in idx:
                rhs[idx[a]] -= 0.4 * v
        G = sp.csc_matrix((X, (I, J)), shape=(len(names),) * 2)
        t1 = time.perf_counter()
        spla.spsolve(G, rhs)
        t2 = time.perf_counter()
        print('anchor armcore DC scipy: assemble %.3g ms, spsolve %.3g ms' % ((t1 - t0) * 1e3, (t2 - t1) * 1e3))


if __name__ == '__main__':
    main()
