#!/usr/bin/python3
"""Golden common tangents of the seed-002 parabolic free energies.

Independent of tinsel: the common tangent of f_r = A/2 (c-c0)^2 + B (c-c0) + C
and f_s is found by numpy.roots on omega_r(mu) = omega_s(mu) and then refined
by scipy.optimize.fsolve on the two-equation tangent conditions
(equal slopes, equal intercepts) in the compositions.
Run: /usr/bin/python3 tests/oracles/pf/common_tangent.py > tests/oracles/pf/common_tangent.csv
"""
import numpy as np
from scipy.optimize import fsolve

A = [2.65e10, 1.794e11, 1.794e10, 8.97e12]
B = [-4.09e9, -4.09e9, 4.52e8, 4.52e8]
C_PRINTED = [-1.71e9, -2.61e9, -2.66e9, -2.42e9]
c0 = [0.026, 0.25, 0.455, 0.999958]


def f(C, r, c):
    x = c - c0[r]
    return A[r] / 2 * x * x + B[r] * x + C[r]


def df(r, c):
    return A[r] * (c - c0[r]) + B[r]


def tangent(C, r, s):
    # initial guess: the parabolas' minima; fsolve on slopes and intercepts
    def eqs(v):
        cr, cs = v
        mu = df(r, cr)
        return [(df(r, cr) - df(s, cs)) / 1e9,
                ((f(C, r, cr) - mu * cr) - (f(C, s, cs) - mu * cs)) / 1e9]
    cands = []
    a = -1 / (2 * A[r]) + 1 / (2 * A[s])
    b = B[r] / A[r] - B[s] / A[s] - c0[r] + c0[s]
    cc = -B[r] ** 2 / (2 * A[r]) + B[s] ** 2 / (2 * A[s]) + C[r] - C[s]
    for mu in np.roots([a, b, cc]):
        mu = float(np.real(mu))
        cr, cs = c0[r] + (mu - B[r]) / A[r], c0[s] + (mu - B[s]) / A[s]
        if -0.5 <= cr <= 1.5 and -0.5 <= cs <= 1.5:
            cands.append((abs(cr - c0[r]) + abs(cs - c0[s]), cr, cs))
    _, cr, cs = min(cands)
    cr, cs = fsolve(eqs, [cr, cs], xtol=1e-15)
    return cr, cs, df(r, cr)


print("cu_tangent,r,s,cr,cs,mu")
for cu_tangent in (0, 1):
    C = list(C_PRINTED)
    if cu_tangent:
        C[0] = -1.79e9
    for r, s in ((0, 1), (1, 2), (2, 3)):
        cr, cs, mu = tangent(C, r, s)
        print(f"{cu_tangent},{r},{s},{cr:.17g},{cs:.17g},{mu:.17g}")
