#!/usr/bin/python3
"""Golden stress profiles of one wire segment from the classical Fourier
series (independent of the image/convolution closed forms of seed 003 that
tinsel implements), with NumPy.

PDE  dσ/dt = κ d²σ/dx²  on [0, L], σ(x, 0) = 0, dσ/dx = -G at blocked ends.
 no void (both ends blocked):
   σ = G (L/2 - x) - Σ_{m odd} 4 G L/(m² π²) cos(mπx/L) exp(-κ (mπ/L)² t)
 void at x = 0 from t = 0 (σ(0) = 0), x = L blocked:
   σ = -G x + Σ_{m>=1} 2 G (-1)^{m+1}/(L λ²) sin(λ x) exp(-κ λ² t), λ = (m - ½)π/L
Constants: EMspice's (T = 373 K, D0 = 7.5e-8 m²/s, Ea = 0.84 eV with
e = 1.609e-19 C, kB = 1.3806e-23 J/K, B = 1e11 Pa, Ω = 1.182e-29 m³,
ρ = 3e-8 Ω m, Z = 10), L = 50 µm, j = 1e10 A/m², G = e ρ j Z/Ω (magnitude).
Output: tests/em/data/segment_series_golden.csv (case,t_s,x_m,sigma_Pa).
Run: /usr/bin/python3 tests/oracles/em/segment_series.py
"""
import os
import numpy as np

T, D0, E, KB, B, OM, RHO, Z = 373.0, 7.5e-8, 1.609e-19, 1.3806e-23, 1e11, 1.182e-29, 3e-8, 10.0
KAPPA = D0 * np.exp(-0.84 * E / (KB * T)) * B * OM / (KB * T)
L, J = 50e-6, 1e10
G = E * RHO * J * Z / OM
M = 200000  # terms: the omitted tail is below 1e-9 of G L

x = np.linspace(0, L, 51)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'em', 'data', 'segment_series_golden.csv')
with open(out, 'w') as f:
    f.write('# kappa=%.17g G=%.17g L=%.17g (numpy %s, %d terms)\n' % (KAPPA, G, L, np.__version__, M))
    f.write('case,t_s,x_m,sigma_Pa\n')
    for t in (1e6, 1e7, 1e8, 1e9):
        m = np.arange(1, 2 * M, 2, dtype=float)
        dec = np.exp(-KAPPA * (m * np.pi / L) ** 2 * t)
        s0 = G * (L / 2 - x) - (4 * G * L / (m[None, :] ** 2 * np.pi ** 2) * np.cos(np.outer(x, m) * np.pi / L) * dec).sum(1)
        mm = np.arange(1, M + 1, dtype=float)
        lam = (mm - 0.5) * np.pi / L
        s1 = -G * x + (2 * G * (-1.0) ** (mm + 1) / (L * lam ** 2) * np.sin(np.outer(x, lam)) * np.exp(-KAPPA * lam ** 2 * t)).sum(1)
        for xi, a, b in zip(x, s0, s1):
            f.write('0,%.17g,%.17g,%.17g\n' % (t, xi, a))
            f.write('1,%.17g,%.17g,%.17g\n' % (t, xi, b))
print('wrote', out)
