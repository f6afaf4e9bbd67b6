/* MEAM scalar functions: G(Gamma) for the ibar variants, embedding function,
 * Rose universal equation of state (three erose_form variants) and the ZBL
 * screened Coulomb pair. Equations: seed 004 (Ko, Lee, Kim 2022) section
 * "Potential", F(rho) = A Ec (rho/rho0) ln(rho/rho0), E^u(R) = -Ec(1 + a* +
 * d a*^3) e^{-a*}; Baskes PRB 46 (1992) 2727 and Huang et al., MSMSE 3 (1995)
 * 615 eqs. I.5, I.16; forms as in LAMMPS meam_funcs.cpp. */
#include <math.h>

#include "md/meam_internal.h"

/* G(Gamma): ibar 0/4: sqrt(1+Gamma) with the smooth tail below
 * -gsmooth/(gsmooth+1); 1: exp(Gamma/2); 3: 2/(1+exp(-Gamma));
 * -5: sign(1+Gamma) sqrt|1+Gamma|. */
double meam_G_gam(const ts_md_meam *p, double gamma, int ibar, int *errorflag)
{
    switch (ibar) {
    case 0:
    case 4: {
        double sw = -p->gsmooth_factor / (p->gsmooth_factor + 1);
        if (gamma < sw) {
            double G = 1 / (p->gsmooth_factor + 1) * pow(sw / gamma, p->gsmooth_factor);
            return sqrt(G);
        }
        return sqrt(1.0 + gamma);
    }
    case 1: return exp(gamma / 2.0);
    case 3: return 2.0 / (1.0 + exp(-gamma));
    case -5:
        if (1.0 + gamma >= 0) return sqrt(1.0 + gamma);
        return -sqrt(-1.0 - gamma);
    default: break;
    }
    *errorflag = 1;
    return 0.0;
}

double meam_dG_gam(const ts_md_meam *p, double gamma, int ibar, double *dG)
{
    double G;
    switch (ibar) {
    case 0:
    case 4: {
        double sw = -p->gsmooth_factor / (p->gsmooth_factor + 1);
        if (gamma < sw) {
            G = 1 / (p->gsmooth_factor + 1) * pow(sw / gamma, p->gsmooth_factor);
            G = sqrt(G);
            *dG = -p->gsmooth_factor * G / (2.0 * gamma);
            return G;
        }
        G = sqrt(1.0 + gamma);
        *dG = 1.0 / (2.0 * G);
        return G;
    }
    case 1:
        G = exp(gamma / 2.0);
        *dG = G / 2.0;
        return G;
    case 3:
        G = 2.0 / (1.0 + exp(-gamma));
        *dG = G * (2.0 - G) / 2;
        return G;
    case -5:
        if (1.0 + gamma >= 0) {
            G = sqrt(1.0 + gamma);
            *dG = 1.0 / (2.0 * G);
        } else {
            G = -sqrt(-1.0 - gamma);
            *dG = -1.0 / (2.0 * G);
        }
        return G;
    default: break;
    }
    *dG = 1.0;
    return 0.0;
}

/* F(rhobar) = A Ec rhobar ln(rhobar) (rhobar already divided by the
 * reference background density); for rhobar <= 0: 0, or -A Ec rhobar when
 * emb_lin_neg = 1. */
double meam_embedding(const ts_md_meam *p, double A, double Ec, double rhobar, double *dF)
{
    double AEc = A * Ec;
    if (rhobar > 0.0) {
        double lrb = log(rhobar);
        *dF = AEc * (1.0 + lrb);
        return AEc * rhobar * lrb;
    }
    if (p->emb_lin_neg == 0) {
        *dF = 0.0;
        return 0.0;
    }
    *dF = -AEc;
    return -AEc * rhobar;
}

double meam_zbl(double r, int z1, int z2)
{
    static const double c[] = {0.028171, 0.28022, 0.50986, 0.18175};
    static const double d[] = {0.20162, 0.40290, 0.94229, 3.1998};
    const double azero = 0.4685, cc = 14.3997;
    double a = azero / (pow(z1, 0.23) + pow(z2, 0.23));
    double result = 0.0, x = r / a;
    for (int i = 0; i <= 3; i++) result += c[i] * exp(-d[i] * x);
    if (r > 0.0) result = result * z1 * z2 / r * cc;
    return result;
}

/* Rose energy: form 0: d = a3/(r/re); 1: d = -attrac + repuls/r;
 * 2: d = attrac (a* >= 0) or repuls (a* < 0). */
double meam_erose(double r, double re, double alpha, double Ec, double repuls, double attrac,
                  int form)
{
    if (r <= 0.0) return 0.0;
    double astar = alpha * (r / re - 1.0);
    double a3 = astar >= 0 ? attrac : repuls;
    double c3 = astar * astar * astar;
    if (form == 1) return -Ec * (1 + astar + (-attrac + repuls / r) * c3) * exp(-astar);
    if (form == 2) return -Ec * (1 + astar + a3 * c3) * exp(-astar);
    return -Ec * (1 + astar + a3 * c3 / (r / re)) * exp(-astar);
}
