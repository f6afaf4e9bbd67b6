#!/usr/bin/python3
"""Sharp-interface (Stefan) oracle for diffusion-only growth of the
Cu | Cu3Sn | Cu6Sn5 | Sn layer system of seed 002 (no mechanics).

Independent of tinsel: each phase r has c_t = D_r c_xx on [X_r, X_{r+1}],
Landau-transformed to xi in [0, 1] and discretised with second-order finite
differences (method of lines); interfaces carry local equilibrium (the
common-tangent compositions, from numpy.roots as in common_tangent.py) and
the Stefan condition (c_L - c_R) dX/dt = J_L - J_R, J = -D c_x; zero flux at
both ends. Integrated with scipy.integrate.solve_ivp (Radau, rtol 1e-8).
Initial state as in tinsel: layers 10.8 / 2 / 2 / 10.8 um, c = c_init.

Usage: stefan.py CU_TANGENT(0|1) T_END N_OUT > golden.csv
Columns: time_s, X1_m, X2_m, X3_m, d_Cu3Sn_m, d_Cu6Sn5_m
"""
import sys
import numpy as np
from scipy.integrate import solve_ivp

A = [2.65e10, 1.794e11, 1.794e10, 8.97e12]
B = [-4.09e9, -4.09e9, 4.52e8, 4.52e8]
C = [-1.71e9, -2.61e9, -2.66e9, -2.42e9]
c0 = [0.026, 0.25, 0.455, 0.999958]
D = [1e-25, 4.04e-16, 1.12e-15, 1e-14]
cinit = [0.026, 0.25, 0.455, 0.999958]
W = [10.8e-6, 2e-6, 2e-6, 10.8e-6]


def tangent(r, s):
    a = -1 / (2 * A[r]) + 1 / (2 * A[s])
    b = B[r] / A[r] - B[s] / A[s] - c0[r] + c0[s]
    cc = -B[r] ** 2 / (2 * A[r]) + B[s] ** 2 / (2 * A[s]) + C[r] - C[s]
    best = None
    for mu in np.roots([a, b, cc]):
        mu = float(np.real(mu))
        cr, cs = c0[r] + (mu - B[r]) / A[r], c0[s] + (mu - B[s]) / A[s]
        if -0.5 <= cr <= 1.5 and -0.5 <= cs <= 1.5:
            d = abs(cr - c0[r]) + abs(cs - c0[s])
            if best is None or d < best[0]:
                best = (d, cr, cs)
    return best[1], best[2]


def main():
    cu_tangent, t_end, n_out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    if cu_tangent:
        C[0] = -1.79e9
    M = 80  # grid points per phase (including both ends)
    tie = [tangent(k, k + 1) for k in range(3)]  # (left comp, right comp)
    xi = np.linspace(0, 1, M)
    h = xi[1] - xi[0]
    L = sum(W)
    # unknowns: interior+free-end values of each phase, then X1..X3
    # phase 0: nodes 0..M-2 free (node M-1 = tie), phase 3: nodes 1..M-1 free,
    # phases 1, 2: nodes 1..M-2 free.
    def unpack(y):
        cs, k = [], 0
        for r in range(4):
            c = np.empty(M)
            if r == 0:
                c[:M - 1] = y[k:k + M - 1]; k += M - 1
                c[M - 1] = tie[0][0]
            elif r == 3:
                c[1:] = y[k:k + M - 1]; k += M - 1
                c[0] = tie[2][1]
            else:
                c[1:M - 1] = y[k:k + M - 2]; k += M - 2
                c[0] = tie[r - 1][1]
                c[M - 1] = tie[r][0]
            cs.append(c)
        X = y[k:k + 3]
        return cs, X

    def rhs(t, y):
        cs, X = unpack(y)
        bnd = [0.0, X[0], X[1], X[2], L]
        # interface fluxes (one-sided second-order derivatives)
        Jl, Jr = [], []
        for k in range(3):
            cl, cr_ = cs[k], cs[k + 1]
            ll, lr = bnd[k + 1] - bnd[k], bnd[k + 2] - bnd[k + 1]
            dl = (3 * cl[-1] - 4 * cl[-2] + cl[-3]) / (2 * h) / ll
            dr = (-3 * cr_[0] + 4 * cr_[1] - cr_[2]) / (2 * h) / lr
            Jl.append(-D[k] * dl)
            Jr.append(-D[k + 1] * dr)
        V = [(Jl[k] - Jr[k]) / (tie[k][0] - tie[k][1]) for k in range(3)]
        Vb = [0.0, V[0], V[1], V[2], 0.0]
        out = []
        for r in range(4):
            c = cs[r]
            ell = bnd[r + 1] - bnd[r]
            va, vb = Vb[r], Vb[r + 1]
            cxx = np.zeros(M)
            cx = np.zeros(M)
            cxx[1:-1] = (c[2:] - 2 * c[1:-1] + c[:-2]) / h ** 2
            cx[1:-1] = (c[2:] - c[:-2]) / (2 * h)
            if r == 0:  # zero flux at xi = 0 (ghost node)
                cxx[0] = 2 * (c[1] - c[0]) / h ** 2
            if r == 3:
                cxx[-1] = 2 * (c[-2] - c[-1]) / h ** 2
            dc = D[r] / ell ** 2 * cxx + (va + xi * (vb - va)) / ell * cx
            if r == 0:
                out.append(dc[:M - 1])
            elif r == 3:
                out.append(dc[1:])
            else:
                out.append(dc[1:M - 1])
        out.append(np.array(V))
        return np.concatenate(out)

    y0 = []
    for r in range(4):
        n_free = M - 1 if r in (0, 3) else M - 2
        y0.append(np.full(n_free, cinit[r]))
    bnd0 = np.cumsum(W)
    y0.append(bnd0[:3].copy())
    y0 = np.concatenate(y0)
    ts = np.linspace(0, t_end, n_out + 1)
    sol = solve_ivp(rhs, (0, t_end), y0, method="Radau", t_eval=ts, rtol=1e-8,
                    atol=np.concatenate([np.full(len(y0) - 3, 1e-10), np.full(3, 1e-13)]))
    if not sol.success:
        raise SystemExit(sol.message)
    print("time_s,X1_m,X2_m,X3_m,d_Cu3Sn_m,d_Cu6Sn5_m")
    for j, t in enumerate(sol.t):
        X = sol.y[-3:, j]
        print(f"{t:.17g},{X[0]:.17g},{X[1]:.17g},{X[2]:.17g},{X[1]-X[0]:.17g},{X[2]-X[1]:.17g}")


if __name__ == "__main__":
    main()
