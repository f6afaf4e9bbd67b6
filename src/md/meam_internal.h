/* Private: the 2NN-MEAM parameter set and its precomputed tables.
 * Layout and conventions follow LAMMPS pair_style meam (the reference
 * implementation of Baskes' MEAM with the Lee-Baskes 2NN extension). */
#ifndef TS_MD_MEAM_INTERNAL_H
#define TS_MD_MEAM_INTERNAL_H

#include "tinsel/md.h"

#define ME TS_MD_MAXELT
#define TS_MD_PI 3.14159265358979323846

/* Reference structures, in LAMMPS's order. */
typedef enum {
    LAT_FCC = 0, LAT_BCC, LAT_HCP, LAT_DIM, LAT_DIA, LAT_DIA3, LAT_B1, LAT_C11, LAT_L12,
    LAT_B2, LAT_CH4, LAT_LIN, LAT_ZIG, LAT_TRI, LAT_SC, LAT_COUNT_
} meam_lattice;

struct ts_md_meam {
    int nelt;
    char name[ME][8];
    double mass[ME];        /* g/mol (library atwt) */
    int ielt[ME];           /* atomic number */
    /* per element */
    double A[ME], rho0[ME], beta0[ME], beta1[ME], beta2[ME], beta3[ME];
    double t0[ME], t1[ME], t2[ME], t3[ME], rho_ref[ME];
    int ibar[ME];
    /* per pair */
    double Ec[ME][ME], re[ME][ME], alpha[ME][ME], delta[ME][ME];
    double attrac[ME][ME], repuls[ME][ME], ebound[ME][ME];
    /* tight ellipse bound: max of X_ik over {C < Cmax} is Cmax^2/(4(Cmax-1))
     * for Cmax >= 2 but 1 for Cmax < 2 (LAMMPS's ebound always uses the
     * first form, which is only an upper bound); used for list radii and
     * the k pre-screen, with identical results */
    double ebtight[ME][ME];
    double stheta[ME][ME], ctheta[ME][ME];
    meam_lattice lattce[ME][ME];
    int nn2[ME][ME], zbl[ME][ME];
    /* per triplet: Cmin[i][j][k] screening of pair i-j by k */
    double Cmin[ME][ME][ME], Cmax[ME][ME][ME];
    /* globals */
    double rc, delr, gsmooth_factor;
    int augt1, ialloy, mix_ref_t, erose_form, emb_lin_neg, bkgd_dyn;
    /* pair-function spline tables: [npair][nr] each */
    int eltind[ME][ME];
    int nr;
    double dr, rdr;
    double *phir, *phirar, *phirar1, *phirar2, *phirar3, *phirar4, *phirar5, *phirar6;
};

/* meam_setup.c */
int ts_md_meam_setup_done(ts_md_meam *p);
int meam_get_Zij(meam_lattice latt);
int meam_get_Zij2(meam_lattice latt, double cmin, double cmax, double stheta, double *arat,
                  double *S);
void meam_get_shpfcn(meam_lattice latt, double sthe, double cthe, double s[3]);

/* meam_funcs.c */
double meam_G_gam(const ts_md_meam *p, double gamma, int ibar, int *errorflag);
double meam_dG_gam(const ts_md_meam *p, double gamma, int ibar, double *dG);
double meam_embedding(const ts_md_meam *p, double A, double Ec, double rhobar, double *dF);
double meam_erose(double r, double re, double alpha, double Ec, double repuls, double attrac,
                  int form);
double meam_zbl(double r, int z1, int z2);

static inline int meam_iszero(double f) { return f < 1e-20 && f > -1e-20; }
static inline int meam_isone(double f) { return (f - 1.0) < 1e-20 && (f - 1.0) > -1e-20; }

/* Radial cutoff function f_c(x) = [1 - (1 - x)^4]^2 on [0, 1]. */
static inline double meam_fcut(double xi)
{
    if (xi >= 1.0) return 1.0;
    if (xi <= 0.0) return 0.0;
    double a = 1.0 - xi;
    a *= a;
    a *= a;
    a = 1.0 - a;
    return a * a;
}

static inline double meam_dfcut(double xi, double *dfc)
{
    if (xi >= 1.0) { *dfc = 0.0; return 1.0; }
    if (xi <= 0.0) { *dfc = 0.0; return 0.0; }
    double a = 1.0 - xi, a3 = a * a * a, a4 = a * a3, a1m4 = 1.0 - a4;
    *dfc = 8 * a1m4 * a3;
    return a1m4 * a1m4;
}

/* dC_ikj / d(r_ij) * (1/r_ij) in the form used by LAMMPS (inputs squared). */
static inline double meam_dCfunc(double rij2, double rik2, double rjk2)
{
    double rij4 = rij2 * rij2, a = rik2 - rjk2, b = rik2 + rjk2, asq = a * a;
    double denom = rij4 - asq;
    denom = denom * denom;
    return -4 * (-2 * rij2 * asq + rij4 * b + asq * b) / denom;
}

static inline void meam_dCfunc2(double rij2, double rik2, double rjk2, double *d1, double *d2)
{
    double rij4 = rij2 * rij2, rik4 = rik2 * rik2, rjk4 = rjk2 * rjk2, a = rik2 - rjk2;
    double denom = rij4 - a * a;
    denom = denom * denom;
    *d1 = 4 * rij2 * (rij4 + rik4 + 2 * rik2 * rjk2 - 3 * rjk4 - 2 * rij2 * a) / denom;
    *d2 = 4 * rij2 * (rij4 - 3 * rik4 + 2 * rik2 * rjk2 + rjk4 + 2 * rij2 * a) / denom;
}

#endif
