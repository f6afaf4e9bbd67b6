/* Closed-form stress in one wire segment [0, L], seed 003 eqs. (6)-(10)
 * with the errata of notes/em.md (the m = 0 term (1/L)∫h of eq. (7), the
 * decay factor exp(-κ (mπ/L)^2 t) printed as "e^{-M}", P chosen from
 * sqrt(κ t)/L instead of the seed's P = 2). Constant boundary gradients
 * (φ' = 0, so the convolution terms of eqs. (7) and (10) vanish):
 *   g(x,t) = 2 sqrt(κt/π) exp(-x²/4κt) - x erfc(x / 2 sqrt(κt))
 *   ζ1 = (2p+2)L - x, ζ2 = (2p+1)L - x, ζ3 = 2pL + x, ζ4 = (2p+1)L + x  (eq. 8)
 * no void (eq. 7):
 *   σ = Σ_p [-φ⁻ (g(ζ1)+g(ζ3)) + φ⁺ (g(ζ2)+g(ζ4))]
 *       + (1/L)∫h + (2/L) Σ_m e^{-κ(mπ/L)²t} cos(mπx/L) ∫h(u) cos(mπu/L) du
 * void at x = L (eq. 10):
 *   σ = φ⁻ Σ_p (-1)^p (g(ζ1) - g(ζ3))
 *       + (2/L) Σ_m e^{-κλ²t} cos(λx) ∫h(u) cos(λu) du,  λ = (m-½)π/L
 * (the seed's (-1)^{m+1} sin(λ(L-u)) equals cos(λu)). Void at x = 0 by
 * mirroring x -> L - x. */
#include <math.h>
#include <stddef.h>

#include "tinsel/em.h"

#define TS_EM_PI 3.14159265358979323846

static double gfun(double x, double kt)
{
    double s = sqrt(kt);
    return 2.0 * s / sqrt(TS_EM_PI) * exp(-x * x / (4.0 * kt)) - x * erfc(x / (2.0 * s));
}

/* ∫_0^L h(u) cos(λu) du for the piecewise-linear h (exact per interval). */
static double h_cos_integral(const ts_em_segment *s, double lam, int reversed)
{
    if (s->nh < 2) {
        double h = s->nh == 1 ? s->h[0] : s->h0;
        return lam == 0 ? h * s->L : h * sin(lam * s->L) / lam;
    }
    double du = s->L / (s->nh - 1), acc = 0;
    for (int k = 0; k + 1 < s->nh; k++) {
        double u0 = k * du, u1 = (k + 1) * du;
        double h0 = reversed ? s->h[s->nh - 1 - k] : s->h[k];
        double h1 = reversed ? s->h[s->nh - 2 - k] : s->h[k + 1];
        double beta = (h1 - h0) / du, alpha = h0 - beta * u0;
        if (lam == 0) {
            acc += alpha * (u1 - u0) + 0.5 * beta * (u1 * u1 - u0 * u0);
        } else {
            double F1 = (alpha + beta * u1) * sin(lam * u1) / lam + beta * cos(lam * u1) / (lam * lam);
            double F0 = (alpha + beta * u0) * sin(lam * u0) / lam + beta * cos(lam * u0) / (lam * lam);
            acc += F1 - F0;
        }
    }
    return acc;
}

static double h_at(const ts_em_segment *s, double x, int reversed)
{
    if (s->nh < 1) return s->h0;
    if (s->nh == 1) return s->h[0];
    double u = (reversed ? s->L - x : x) / s->L * (s->nh - 1);
    int k = (int)floor(u);
    if (k < 0) k = 0;
    if (k > s->nh - 2) k = s->nh - 2;
    double f = u - k;
    return (1 - f) * s->h[k] + f * s->h[k + 1];
}

static double void_at_L(const ts_em_segment *s, double phi, double x, double t, int reversed)
{
    double L = s->L, kt = s->kappa * t, acc = 0;
    for (int p = 0; p <= s->P; p++) {
        double z1 = (2 * p + 2) * L - x, z3 = 2 * p * L + x;
        acc += ((p & 1) ? -1.0 : 1.0) * (gfun(z1, kt) - gfun(z3, kt));
    }
    acc *= phi;
    for (int m = 1; m <= s->M; m++) {
        double lam = (m - 0.5) * TS_EM_PI / L;
        double decay = exp(-lam * lam * kt);
        if (decay < 1e-18) break; /* the remaining terms are below round-off of |h| */
        acc += 2.0 / L * decay * cos(lam * x) * h_cos_integral(s, lam, reversed);
    }
    return acc;
}

double ts_em_segment_stress(const ts_em_segment *s, double x, double t)
{
    if (!s || !(s->L > 0) || !(s->kappa > 0)) return NAN;
    if (x < 0) x = 0;
    if (x > s->L) x = s->L;
    if (t <= 0) return h_at(s, x, 0);
    double L = s->L, kt = s->kappa * t;
    if (s->kind == 1) return void_at_L(s, s->phi_minus, x, t, 0);
    if (s->kind == 2) return void_at_L(s, -s->phi_plus, L - x, t, 1);
    double acc = 0;
    for (int p = 0; p <= s->P; p++) {
        double z1 = (2 * p + 2) * L - x, z2 = (2 * p + 1) * L - x, z3 = 2 * p * L + x, z4 = (2 * p + 1) * L + x;
        acc += -s->phi_minus * (gfun(z1, kt) + gfun(z3, kt)) + s->phi_plus * (gfun(z2, kt) + gfun(z4, kt));
    }
    acc += h_cos_integral(s, 0.0, 0) / L;
    for (int m = 1; m <= s->M; m++) {
        double lam = m * TS_EM_PI / L;
        double decay = exp(-lam * lam * kt);
        if (decay < 1e-18) break; /* the remaining terms are below round-off of |h| */
        acc += 2.0 / L * decay * cos(lam * x) * h_cos_integral(s, lam, 0);
    }
    return acc;
}

int ts_em_segment_P(double L, double kappa, double t)
{
    /* images beyond 2PL contribute erfc(P L/sqrt(κt)) < erfc(5) ~ 1.5e-12 */
    double r = 5.0 * sqrt(kappa * (t > 0 ? t : 0)) / L;
    return (int)ceil(r) + 2;
}
