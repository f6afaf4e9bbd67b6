/* MEAM setup: off-diagonal alloy parameters, reference-structure background
 * densities, and the pair function phi(r) obtained by inverting the Rose
 * equation of state in the reference structure, with the 2NN series
 * (Lee & Baskes, PRB 62 (2000) 8564 eq. (21); seed 004 "Potential": "the
 * pair term from inverting E^u including the second-neighbour series").
 * phi is tabulated on nr = 1000 points, dr = 1.1 rc / nr, and interpolated
 * by the cubic Hermite scheme of LAMMPS (meam_setup_done.cpp), so energies
 * and forces match pair_style meam to rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/meam_internal.h"

/* ---- reference lattices ------------------------------------------------ */

int meam_get_Zij(meam_lattice latt)
{
    static const int Z[LAT_COUNT_] = {12, 8, 12, 1, 4, 4, 6, 10, 12, 8, 4, 2, 2, 2, 6};
    return (latt >= 0 && latt < LAT_COUNT_) ? Z[latt] : -1;
}

/* Second neighbours of the reference structure: count, distance ratio arat =
 * R2/R1, and their screening S by the numscr first neighbours between them. */
int meam_get_Zij2(meam_lattice latt, double cmin, double cmax, double stheta, double *arat,
                  double *S)
{
    int Zij2 = 0, numscr = 0, nn3 = 0;
    double ar = 0;
    switch (latt) {
    case LAT_FCC: Zij2 = 6; ar = sqrt(2.0); numscr = 4; break;
    case LAT_BCC: Zij2 = 6; ar = 2.0 / sqrt(3.0); numscr = 4; break;
    case LAT_HCP: Zij2 = 6; ar = sqrt(2.0); numscr = 4; break;
    case LAT_B1: Zij2 = 12; ar = sqrt(2.0); numscr = 2; break;
    case LAT_DIA: Zij2 = 12; ar = sqrt(8.0 / 3.0); numscr = 1; break;
    case LAT_DIA3: Zij2 = 12; ar = sqrt(11.0 / 3.0); numscr = 4; nn3 = 1; break;
    case LAT_L12: Zij2 = 6; ar = sqrt(2.0); numscr = 4; break;
    case LAT_B2: Zij2 = 6; ar = 2.0 / sqrt(3.0); numscr = 4; break;
    case LAT_ZIG: Zij2 = 2; ar = 2.0 * stheta; numscr = 1; break;
    case LAT_TRI: Zij2 = 1; ar = 2.0 * stheta; numscr = 2; break;
    case LAT_SC: Zij2 = 12; ar = sqrt(2.0); numscr = 2; break;
    default: /* dim, c11, ch4, lin: no second neighbours */
        *arat = 0;
        *S = 0;
        return 0;
    }
    *arat = ar;
    if (meam_iszero(ar)) { *S = 0; return 0; }
    double C = nn3 ? 1.0 : 4.0 / (ar * ar) - 1.0;
    double sijk = meam_fcut((C - cmin) / (cmax - cmin));
    *S = pow(sijk, numscr);
    return Zij2;
}

static int get_Zij2_b2nn(meam_lattice latt, double cmin, double cmax, double *S)
{
    int numscr = 0, Zij2 = 0;
    if (latt == LAT_ZIG || latt == LAT_TRI) { Zij2 = 2; numscr = 1; }
    double sijk = meam_fcut((1.0 - cmin) / (cmax - cmin));
    *S = pow(sijk, numscr);
    return Zij2;
}

/* Shape factors s^(1..3) of the reference structure. */
void meam_get_shpfcn(meam_lattice latt, double sthe, double cthe, double s[3])
{
    s[0] = s[1] = s[2] = 0.0;
    switch (latt) {
    case LAT_HCP: s[2] = 1.0 / 3.0; break;
    case LAT_DIA:
    case LAT_DIA3:
    case LAT_CH4: s[2] = 32.0 / 9.0; break;
    case LAT_DIM: s[0] = 1.0; s[1] = 2.0 / 3.0; s[2] = 0.40; break;
    case LAT_LIN: s[1] = 8.0 / 3.0; break;
    case LAT_ZIG:
    case LAT_TRI:
        s[0] = 4.0 * cthe * cthe;
        s[1] = 4.0 * (pow(cthe, 4) + pow(sthe, 4) - 1.0 / 3.0);
        s[2] = 4.0 * (cthe * cthe * (3 * pow(sthe, 4) + pow(cthe, 4)));
        s[2] = s[2] - 0.6 * s[0];
        break;
    default: break;
    }
}

/* ---- alloy parameters --------------------------------------------------- */

static void alloyparams(ts_md_meam *p)
{
    int n = p->nelt;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (i > j) {
                p->re[i][j] = p->re[j][i];
                p->Ec[i][j] = p->Ec[j][i];
                p->alpha[i][j] = p->alpha[j][i];
                p->lattce[i][j] = p->lattce[j][i];
                p->nn2[i][j] = p->nn2[j][i];
                p->zbl[i][j] = p->zbl[j][i];
                p->stheta[i][j] = p->stheta[j][i];
                p->ctheta[i][j] = p->ctheta[j][i];
                p->attrac[i][j] = p->attrac[j][i];
                p->repuls[i][j] = p->repuls[j][i];
            } else if (j > i) {
                if (meam_iszero(p->Ec[i][j])) {
                    if (p->lattce[i][j] == LAT_L12)
                        p->Ec[i][j] = (3 * p->Ec[i][i] + p->Ec[j][j]) / 4.0 - p->delta[i][j];
                    else if (p->lattce[i][j] == LAT_C11) {
                        if (p->lattce[i][i] == LAT_DIA)
                            p->Ec[i][j] = (2 * p->Ec[i][i] + p->Ec[j][j]) / 3.0 - p->delta[i][j];
                        else
                            p->Ec[i][j] = (p->Ec[i][i] + 2 * p->Ec[j][j]) / 3.0 - p->delta[i][j];
                    } else
                        p->Ec[i][j] = (p->Ec[i][i] + p->Ec[j][j]) / 2.0 - p->delta[i][j];
                }
                if (meam_iszero(p->alpha[i][j]))
                    p->alpha[i][j] = (p->alpha[i][i] + p->alpha[j][j]) / 2.0;
                if (meam_iszero(p->re[i][j])) p->re[i][j] = (p->re[i][i] + p->re[j][j]) / 2.0;
            }
        }
    /* Cmin[i][j][k] symmetric in i-j: i > j takes the i < j value */
    for (int i = 1; i < n; i++)
        for (int j = 0; j < i; j++)
            for (int k = 0; k < n; k++) {
                p->Cmin[i][j][k] = p->Cmin[j][i][k];
                p->Cmax[i][j][k] = p->Cmax[j][i][k];
            }
    /* ebound: (rik^2 or rjk^2) > ebound rij^2 puts k outside every ellipse */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++) {
                double c = p->Cmax[i][j][k];
                double eb = (c * c) / (4.0 * (c - 1.0));
                if (eb > p->ebound[i][j]) p->ebound[i][j] = eb;
                double et = c >= 2.0 ? eb : 1.0;
                if (k == 0 || et > p->ebtight[i][j]) p->ebtight[i][j] = et;
            }
}

/* ---- reference densities ------------------------------------------------ */

static void compute_reference_density(ts_md_meam *p)
{
    int errorflag = 0;
    for (int a = 0; a < p->nelt; a++) {
        int Z = meam_get_Zij(p->lattce[a][a]);
        double Gbar = 1.0, shp[3];
        if (p->ibar[a] > 0) {
            meam_get_shpfcn(p->lattce[a][a], p->stheta[a][a], p->ctheta[a][a], shp);
            double gam = (p->t1[a] * shp[0] + p->t2[a] * shp[1] + p->t3[a] * shp[2]) / (Z * Z);
            Gbar = meam_G_gam(p, gam, p->ibar[a], &errorflag);
        }
        double rho0 = p->rho0[a] * Z;
        if (p->nn2[a][a] == 1) {
            double arat, scrn;
            int Z2 = meam_get_Zij2(p->lattce[a][a], p->Cmin[a][a][a], p->Cmax[a][a][a],
                                   p->stheta[a][a], &arat, &scrn);
            double rho0_2nn = p->rho0[a] * exp(-p->beta0[a] * (arat - 1));
            rho0 += Z2 * rho0_2nn * scrn;
        }
        p->rho_ref[a] = rho0 * Gbar;
    }
}

/* Average weighting factors in the reference structure (Huang eq. I.8). */
static void get_tavref(const ts_md_meam *p, double *t11av, double *t21av, double *t31av,
                       double *t12av, double *t22av, double *t32av, double t11, double t21,
                       double t31, double t12, double t22, double t32, double r, int a, int b,
                       meam_lattice latt)
{
    if (p->ialloy == 2) {
        *t11av = t11; *t21av = t21; *t31av = t31;
        *t12av = t12; *t22av = t22; *t32av = t32;
        return;
    }
    if (latt == LAT_L12) {
        double a1 = r / p->re[a][a] - 1.0, a2 = r / p->re[b][b] - 1.0;
        double rhoa01 = p->rho0[a] * exp(-p->beta0[a] * a1);
        double rhoa02 = p->rho0[b] * exp(-p->beta0[b] * a2);
        double rho01 = 8 * rhoa01 + 4 * rhoa02;
        *t12av = t11; *t22av = t21; *t32av = t31;
        if (rho01 > 0.0) {
            *t11av = (8 * t11 * rhoa01 + 4 * t12 * rhoa02) / rho01;
            *t21av = (8 * t21 * rhoa01 + 4 * t22 * rhoa02) / rho01;
            *t31av = (8 * t31 * rhoa01 + 4 * t32 * rhoa02) / rho01;
        } else {
            *t11av = (2.0 * t11 + t12) / 3.0;
            *t21av = (2.0 * t21 + t22) / 3.0;
            *t31av = (2.0 * t31 + t32) / 3.0;
        }
        return;
    }
    /* all neighbours of the opposite type */
    *t11av = t12; *t21av = t22; *t31av = t32;
    *t12av = t11; *t22av = t21; *t32av = t31;
}

static double get_sijk(const ts_md_meam *p, double C, int i, int j, int k)
{
    return meam_fcut((C - p->Cmin[i][j][k]) / (p->Cmax[i][j][k] - p->Cmin[i][j][k]));
}

/* Partial densities of atoms a and b in the reference structure of (a,b) at
 * first-neighbour distance r. */
static void get_densref(const ts_md_meam *p, double r, int a, int b, double *rho01, double *rho11,
                        double *rho21, double *rho31, double *rho02, double *rho12, double *rho22,
                        double *rho32)
{
    double a1 = r / p->re[a][a] - 1.0, a2 = r / p->re[b][b] - 1.0, s[3];
    double rhoa01 = p->rho0[a] * exp(-p->beta0[a] * a1);
    double rhoa11 = p->rho0[a] * exp(-p->beta1[a] * a1);
    double rhoa21 = p->rho0[a] * exp(-p->beta2[a] * a1);
    double rhoa31 = p->rho0[a] * exp(-p->beta3[a] * a1);
    double rhoa02 = p->rho0[b] * exp(-p->beta0[b] * a2);
    double rhoa12 = p->rho0[b] * exp(-p->beta1[b] * a2);
    double rhoa22 = p->rho0[b] * exp(-p->beta2[b] * a2);
    double rhoa32 = p->rho0[b] * exp(-p->beta3[b] * a2);
    meam_lattice lat = p->lattce[a][b];
    int Zij = meam_get_Zij(lat);
    *rho01 = *rho02 = 0.0;
    *rho11 = *rho21 = *rho31 = *rho12 = *rho22 = *rho32 = 0.0;
    switch (lat) {
    case LAT_FCC: *rho01 = 12.0 * rhoa02; *rho02 = 12.0 * rhoa01; break;
    case LAT_BCC: *rho01 = 8.0 * rhoa02; *rho02 = 8.0 * rhoa01; break;
    case LAT_B1:
    case LAT_SC: *rho01 = 6.0 * rhoa02; *rho02 = 6.0 * rhoa01; break;
    case LAT_DIA:
    case LAT_DIA3:
        *rho01 = 4.0 * rhoa02;
        *rho02 = 4.0 * rhoa01;
        *rho31 = 32.0 / 9.0 * rhoa32 * rhoa32;
        *rho32 = 32.0 / 9.0 * rhoa31 * rhoa31;
        break;
    case LAT_HCP:
        *rho01 = 12 * rhoa02;
        *rho02 = 12 * rhoa01;
        *rho31 = 1.0 / 3.0 * rhoa32 * rhoa32;
        *rho32 = 1.0 / 3.0 * rhoa31 * rhoa31;
        break;
    case LAT_DIM:
        meam_get_shpfcn(LAT_DIM, 0, 0, s);
        *rho01 = rhoa02;
        *rho02 = rhoa01;
        *rho11 = s[0] * rhoa12 * rhoa12;
        *rho12 = s[0] * rhoa11 * rhoa11;
        *rho21 = s[1] * rhoa22 * rhoa22;
        *rho22 = s[1] * rhoa21 * rhoa21;
        *rho31 = s[2] * rhoa32 * rhoa32;
        *rho32 = s[2] * rhoa31 * rhoa31;
        break;
    case LAT_C11:
        *rho01 = rhoa01; *rho02 = rhoa02;
        *rho11 = rhoa11; *rho12 = rhoa12;
        *rho21 = rhoa21; *rho22 = rhoa22;
        *rho31 = rhoa31; *rho32 = rhoa32;
        break;
    case LAT_L12:
        *rho01 = 8 * rhoa01 + 4 * rhoa02;
        *rho02 = 12 * rhoa01;
        if (p->ialloy == 1) {
            double d = rhoa21 * p->t2[a] - rhoa22 * p->t2[b];
            *rho21 = 8. / 3. * d * d;
            double denom = 8 * rhoa01 * p->t2[a] * p->t2[a] + 4 * rhoa02 * p->t2[b] * p->t2[b];
            if (denom > 0.) *rho21 = *rho21 / denom * *rho01;
        } else
            *rho21 = 8. / 3. * (rhoa21 - rhoa22) * (rhoa21 - rhoa22);
        break;
    case LAT_B2: *rho01 = 8.0 * rhoa02; *rho02 = 8.0 * rhoa01; break;
    case LAT_CH4:
        *rho01 = 4.0 * rhoa02;
        *rho02 = rhoa01;
        meam_get_shpfcn(LAT_DIM, 0, 0, s);
        *rho12 = s[0] * rhoa11 * rhoa11;
        *rho22 = s[1] * rhoa21 * rhoa21;
        *rho32 = s[2] * rhoa31 * rhoa31;
        meam_get_shpfcn(LAT_CH4, 0, 0, s);
        *rho11 = s[0] * rhoa12 * rhoa12;
        *rho21 = s[1] * rhoa22 * rhoa22;
        *rho31 = s[2] * rhoa32 * rhoa32;
        break;
    case LAT_LIN:
    case LAT_ZIG:
        *rho01 = rhoa02 * Zij;
        *rho02 = rhoa01 * Zij;
        meam_get_shpfcn(lat, p->stheta[a][b], p->ctheta[a][b], s);
        *rho12 = s[0] * rhoa11 * rhoa11;
        *rho22 = s[1] * rhoa21 * rhoa21;
        *rho32 = s[2] * rhoa31 * rhoa31;
        *rho11 = s[0] * rhoa12 * rhoa12;
        *rho21 = s[1] * rhoa22 * rhoa22;
        *rho31 = s[2] * rhoa32 * rhoa32;
        break;
    case LAT_TRI:
        *rho01 = rhoa02;
        *rho02 = rhoa01 * Zij;
        meam_get_shpfcn(LAT_TRI, p->stheta[a][b], p->ctheta[a][b], s);
        *rho12 = s[0] * rhoa11 * rhoa11;
        *rho22 = s[1] * rhoa21 * rhoa21;
        *rho32 = s[2] * rhoa31 * rhoa31;
        s[0] = 1.0;
        s[1] = 2.0 / 3.0;
        s[2] = 1.0 - 0.6 * s[0];
        *rho11 = s[0] * rhoa12 * rhoa12;
        *rho21 = s[1] * rhoa22 * rhoa22;
        *rho31 = s[2] * rhoa32 * rhoa32;
        break;
    default: break;
    }

    if (p->nn2[a][b] == 1) {
        double arat, scrn;
        int Zij2nn = meam_get_Zij2(lat, p->Cmin[a][a][b], p->Cmax[a][a][b], p->stheta[a][b],
                                   &arat, &scrn);
        a1 = arat * r / p->re[a][a] - 1.0;
        a2 = arat * r / p->re[b][b] - 1.0;
        double rhoa01nn = p->rho0[a] * exp(-p->beta0[a] * a1);
        double rhoa02nn = p->rho0[b] * exp(-p->beta0[b] * a2);
        if (lat == LAT_L12) {
            /* 1-1 second neighbours screened by two 1 and two 2 atoms, 2-2 by four 1 */
            double s111 = get_sijk(p, 1.0, a, a, a), s112 = get_sijk(p, 1.0, a, a, b);
            double s221 = get_sijk(p, 1.0, b, b, a);
            double S11 = s111 * s111 * s112 * s112, S22 = pow(s221, 4);
            *rho01 += 6 * S11 * rhoa01nn;
            *rho02 += 6 * S22 * rhoa02nn;
        } else {
            *rho01 += Zij2nn * scrn * rhoa01nn;
            Zij2nn = meam_get_Zij2(lat, p->Cmin[b][b][a], p->Cmax[b][b][a], p->stheta[a][b], &arat,
                                   &scrn);
            *rho02 += Zij2nn * scrn * rhoa02nn;
        }
    }
}

/* phi_ab(r) from the reference structure, without the 2NN series. */
static double phi_meam(const ts_md_meam *p, double r, int a, int b);

static double phi_meam_series(const ts_md_meam *p, double scrn, int Z1, int Z2, int a, int b,
                              double r, double arat)
{
    double sum = 0.0;
    if (scrn > 0.0) {
        double b2nn = -Z2 * scrn / Z1;
        for (int n = 1; n <= 10; n++) {
            double v = pow(b2nn, n) * phi_meam(p, r * pow(arat, n), a, b);
            if (meam_iszero(v)) break;
            sum += v;
        }
    }
    return sum;
}

static double phi_meam(const ts_md_meam *p, double r, int a, int b)
{
    double t11av, t21av, t31av, t12av, t22av, t32av;
    double rho01, rho11, rho21, rho31, rho02, rho12, rho22, rho32;
    double rhobar1, rhobar2, dF, arat, scrn, scrn2;
    int errorflag = 0;
    int Z1 = meam_get_Zij(p->lattce[a][a]), Z2 = meam_get_Zij(p->lattce[b][b]);
    int Z12 = meam_get_Zij(p->lattce[a][b]);
    meam_lattice lab = p->lattce[a][b];

    get_densref(p, r, a, b, &rho01, &rho11, &rho21, &rho31, &rho02, &rho12, &rho22, &rho32);
    if (rho01 <= 1e-14 && rho02 <= 1e-14) return 0.0;

    if (lab == LAT_C11) {
        if (p->ialloy == 2) {
            t11av = p->t1[a]; t12av = p->t1[b];
            t21av = p->t2[a]; t22av = p->t2[b];
            t31av = p->t3[a]; t32av = p->t3[b];
        } else {
            double sc = 1.0 / (rho01 + rho02);
            t11av = t12av = sc * (p->t1[a] * rho01 + p->t1[b] * rho02);
            t21av = t22av = sc * (p->t2[a] * rho01 + p->t2[b] * rho02);
            t31av = t32av = sc * (p->t3[a] * rho01 + p->t3[b] * rho02);
        }
    } else {
        get_tavref(p, &t11av, &t21av, &t31av, &t12av, &t22av, &t32av, p->t1[a], p->t2[a],
                   p->t3[a], p->t1[b], p->t2[b], p->t3[b], r, a, b, lab);
    }

    if (lab == LAT_C11) {
        if (p->lattce[a][a] == LAT_DIA) {
            double h = (double)(Z12 / 2);
            rhobar1 = sqrt(pow(h * (rho02 + rho01), 2) + t11av * pow(rho12 - rho11, 2) +
                           t21av / 6.0 * pow(rho22 + rho21, 2) +
                           121.0 / 40.0 * t31av * pow(rho32 - rho31, 2));
            rhobar2 = sqrt(pow(Z12 * rho01, 2) + 2.0 / 3.0 * t21av * pow(rho21, 2));
        } else {
            double h = (double)(Z12 / 2);
            rhobar2 = sqrt(pow(h * (rho01 + rho02), 2) + t12av * pow(rho11 - rho12, 2) +
                           t22av / 6.0 * pow(rho21 + rho22, 2) +
                           121.0 / 40.0 * t32av * pow(rho31 - rho32, 2));
            rhobar1 = sqrt(pow(Z12 * rho02, 2) + 2.0 / 3.0 * t22av * pow(rho22, 2));
        }
    } else {
        double G1, G2, rho0_1 = 0, rho0_2 = 0, s1[3], s2[3], Gam1, Gam2;
        if (p->mix_ref_t == 1) {
            if (p->ibar[a] <= 0)
                G1 = 1.0;
            else {
                meam_get_shpfcn(p->lattce[a][a], p->stheta[a][a], p->ctheta[a][a], s1);
                Gam1 = (s1[0] * t11av + s1[1] * t21av + s1[2] * t31av) / (Z1 * Z1);
                G1 = meam_G_gam(p, Gam1, p->ibar[a], &errorflag);
            }
            if (p->ibar[b] <= 0)
                G2 = 1.0;
            else {
                meam_get_shpfcn(p->lattce[b][b], p->stheta[b][b], p->ctheta[b][b], s2);
                Gam2 = (s2[0] * t12av + s2[1] * t22av + s2[2] * t32av) / (Z2 * Z2);
                G2 = meam_G_gam(p, Gam2, p->ibar[b], &errorflag);
            }
            rho0_1 = p->rho0[a] * Z1 * G1;
            rho0_2 = p->rho0[b] * Z2 * G2;
        }
        Gam1 = t11av * rho11 + t21av * rho21 + t31av * rho31;
        Gam1 = rho01 < 1.0e-14 ? 0.0 : Gam1 / (rho01 * rho01);
        Gam2 = t12av * rho12 + t22av * rho22 + t32av * rho32;
        Gam2 = rho02 < 1.0e-14 ? 0.0 : Gam2 / (rho02 * rho02);
        G1 = meam_G_gam(p, Gam1, p->ibar[a], &errorflag);
        G2 = meam_G_gam(p, Gam2, p->ibar[b], &errorflag);
        double bk1, bk2;
        if (p->mix_ref_t == 1) {
            bk1 = rho0_1;
            bk2 = rho0_2;
        } else if (p->bkgd_dyn == 1) {
            bk1 = p->rho0[a] * Z1;
            bk2 = p->rho0[b] * Z2;
        } else {
            bk1 = p->rho_ref[a];
            bk2 = p->rho_ref[b];
        }
        rhobar1 = rho01 / bk1 * G1;
        rhobar2 = rho02 / bk2 * G2;
    }

    double F1 = meam_embedding(p, p->A[a], p->Ec[a][a], rhobar1, &dF);
    double F2 = meam_embedding(p, p->A[b], p->Ec[b][b], rhobar2, &dF);
    double Eu = meam_erose(r, p->re[a][b], p->alpha[a][b], p->Ec[a][b], p->repuls[a][b],
                           p->attrac[a][b], p->erose_form);
    double phi_m;
    switch (lab) {
    case LAT_C11:
        if (p->lattce[a][a] == LAT_DIA)
            phi_m = (3 * Eu - F2 - 2 * F1 - 5 * phi_meam(p, r, a, a)) / Z12;
        else
            phi_m = (3 * Eu - F1 - 2 * F2 - 5 * phi_meam(p, r, b, b)) / Z12;
        break;
    case LAT_L12: {
        double phiaa = phi_meam(p, r, a, a);
        int Z1nn = meam_get_Zij(p->lattce[a][a]);
        int Z2nn = meam_get_Zij2(p->lattce[a][a], p->Cmin[a][a][a], p->Cmax[a][a][a],
                                 p->stheta[a][b], &arat, &scrn);
        phiaa += phi_meam_series(p, scrn, Z1nn, Z2nn, a, a, r, arat);
        phi_m = Eu / 3.0 - F1 / 4.0 - F2 / 12.0 - phiaa;
        break;
    }
    case LAT_CH4: phi_m = (5 * Eu - F1 - 4 * F2) / 4; break;
    case LAT_ZIG:
        if (a == b)
            phi_m = (2 * Eu - F1 - F2) / Z12;
        else {
            int Zz1 = meam_get_Zij(lab);
            int Zz2 = get_Zij2_b2nn(lab, p->Cmin[a][a][b], p->Cmax[a][a][b], &scrn);
            double b11s = -(double)Zz2 / Zz1 * scrn;
            Zz2 = get_Zij2_b2nn(lab, p->Cmin[b][b][a], p->Cmax[b][b][a], &scrn2);
            double b22s = -(double)Zz2 / Zz1 * scrn2;
            double phiaa = phi_meam(p, 2.0 * p->stheta[a][b] * r, a, a);
            double phibb = phi_meam(p, 2.0 * p->stheta[a][b] * r, b, b);
            phi_m = (2.0 * Eu - F1 - F2 + phiaa * b11s + phibb * b22s) / Z12;
        }
        break;
    case LAT_TRI:
        if (a == b)
            phi_m = (3.0 * Eu - 2.0 * F1 - F2) / Z12;
        else {
            int Zz1 = meam_get_Zij(lab);
            int Zz2 = get_Zij2_b2nn(lab, p->Cmin[a][a][b], p->Cmax[a][a][b], &scrn);
            double b11s = -(double)Zz2 / Zz1 * scrn;
            double phiaa = phi_meam(p, 2.0 * p->stheta[a][b] * r, a, a);
            phi_m = (3.0 * Eu - 2.0 * F1 - F2 + phiaa * b11s) / Z12;
        }
        break;
    default: phi_m = (2 * Eu - F1 - F2) / Z12; break;
    }
    if (meam_iszero(r)) phi_m = 0.0;
    return phi_m;
}

/* Cubic Hermite coefficients of the tabulated phi (LAMMPS interpolate_meam). */
static void interpolate(ts_md_meam *p, int ind)
{
    int nr = p->nr;
    double *f = p->phirar + (size_t)ind * nr, *f1 = p->phirar1 + (size_t)ind * nr;
    double *f2 = p->phirar2 + (size_t)ind * nr, *f3 = p->phirar3 + (size_t)ind * nr;
    double *f4 = p->phirar4 + (size_t)ind * nr, *f5 = p->phirar5 + (size_t)ind * nr;
    double *f6 = p->phirar6 + (size_t)ind * nr;
    memcpy(f, p->phir + (size_t)ind * nr, (size_t)nr * sizeof *f);
    f1[0] = f[1] - f[0];
    f1[1] = 0.5 * (f[2] - f[0]);
    f1[nr - 2] = 0.5 * (f[nr - 1] - f[nr - 3]);
    f1[nr - 1] = 0.0;
    for (int j = 2; j < nr - 2; j++)
        f1[j] = ((f[j - 2] - f[j + 2]) + 8.0 * (f[j + 1] - f[j - 1])) / 12.;
    for (int j = 0; j < nr - 1; j++) {
        f2[j] = 3.0 * (f[j + 1] - f[j]) - 2.0 * f1[j] - f1[j + 1];
        f3[j] = f1[j] + f1[j + 1] - 2.0 * (f[j + 1] - f[j]);
    }
    f2[nr - 1] = 0.0;
    f3[nr - 1] = 0.0;
    for (int j = 0; j < nr; j++) {
        f4[j] = f1[j] / p->dr;
        f5[j] = 2.0 * f2[j] / p->dr;
        f6[j] = 3.0 * f3[j] / p->dr;
    }
}

static void compute_pair_meam(ts_md_meam *p)
{
    int nv2 = 0;
    for (int a = 0; a < p->nelt; a++)
        for (int b = a; b < p->nelt; b++, nv2++) {
            double *phir = p->phir + (size_t)nv2 * p->nr;
            for (int j = 0; j < p->nr; j++) {
                double r = j * p->dr, arat, scrn, scrn2;
                phir[j] = phi_meam(p, r, a, b);
                if (p->nn2[a][b] == 1) {
                    meam_lattice lab = p->lattce[a][b];
                    int Z1 = meam_get_Zij(lab);
                    int Z2 = meam_get_Zij2(lab, p->Cmin[a][a][b], p->Cmax[a][a][b],
                                           p->stheta[a][b], &arat, &scrn);
                    if (lab == LAT_B1 || lab == LAT_B2 || lab == LAT_L12 || lab == LAT_DIA) {
                        double rarat = r * arat;
                        meam_lattice laa = p->lattce[a][a], lbb = p->lattce[b][b];
                        double phiaa = phi_meam(p, rarat, a, a);
                        Z1 = meam_get_Zij(laa);
                        Z2 = meam_get_Zij2(laa, p->Cmin[a][a][a], p->Cmax[a][a][a],
                                           p->stheta[a][a], &arat, &scrn);
                        phiaa += phi_meam_series(p, scrn, Z1, Z2, a, a, rarat, arat);
                        double phibb = phi_meam(p, rarat, b, b);
                        Z1 = meam_get_Zij(lbb);
                        Z2 = meam_get_Zij2(lbb, p->Cmin[b][b][b], p->Cmax[b][b][b],
                                           p->stheta[b][b], &arat, &scrn);
                        phibb += phi_meam_series(p, scrn, Z1, Z2, b, b, rarat, arat);
                        if (lab == LAT_B1 || lab == LAT_B2 || lab == LAT_DIA) {
                            Z1 = meam_get_Zij(lab);
                            Z2 = meam_get_Zij2(lab, p->Cmin[a][a][b], p->Cmax[a][a][b],
                                               p->stheta[a][b], &arat, &scrn);
                            phir[j] -= Z2 * scrn / (2 * Z1) * phiaa;
                            Z2 = meam_get_Zij2(lab, p->Cmin[b][b][a], p->Cmax[b][b][a],
                                               p->stheta[a][b], &arat, &scrn2);
                            phir[j] -= Z2 * scrn2 / (2 * Z1) * phibb;
                        } else { /* L12 */
                            double s111 = get_sijk(p, 1.0, a, a, a);
                            double s112 = get_sijk(p, 1.0, a, a, b);
                            double s221 = get_sijk(p, 1.0, b, b, a);
                            double S11 = s111 * s111 * s112 * s112, S22 = pow(s221, 4);
                            phir[j] = phir[j] - 0.75 * S11 * phiaa - 0.25 * S22 * phibb;
                        }
                    } else {
                        phir[j] += phi_meam_series(p, scrn, Z1, Z2, a, b, r, arat);
                    }
                }
                if (p->zbl[a][b] == 1) {
                    double astar = p->alpha[a][b] * (r / p->re[a][b] - 1.0);
                    if (astar <= -3.0)
                        phir[j] = meam_zbl(r, p->ielt[a], p->ielt[b]);
                    else if (astar > -3.0 && astar < -1.0) {
                        double frac = meam_fcut(1 - (astar + 1.0) / (-3.0 + 1.0));
                        double phizbl = meam_zbl(r, p->ielt[a], p->ielt[b]);
                        phir[j] = frac * phir[j] + (1 - frac) * phizbl;
                    }
                }
            }
            interpolate(p, nv2);
        }
}

int ts_md_meam_setup_done(ts_md_meam *p)
{
    for (int i = 0; i < p->nelt; i++) p->t1[i] += p->augt1 * 3.0 / 5.0 * p->t3[i];
    alloyparams(p);
    int nv2 = 0;
    for (int m = 0; m < p->nelt; m++)
        for (int n = m; n < p->nelt; n++) {
            p->eltind[m][n] = p->eltind[n][m] = nv2;
            nv2++;
        }
    /* checks that LAMMPS leaves to chance: values the formulas divide by */
    for (int i = 0; i < p->nelt; i++)
        for (int j = 0; j < p->nelt; j++) {
            if (p->re[i][j] <= 0)
                return ts_error_set(TS_ERR_RANGE, "MEAM: re(%d,%d) = %g must be > 0", i + 1,
                                    j + 1, p->re[i][j]);
            for (int k = 0; k < p->nelt; k++)
                if (!(p->Cmax[i][j][k] > p->Cmin[i][j][k]) || p->Cmax[i][j][k] <= 1.0)
                    return ts_error_set(TS_ERR_RANGE,
                                        "MEAM: need Cmax > Cmin and Cmax > 1 for (%d,%d,%d): "
                                        "Cmin = %g, Cmax = %g",
                                        i + 1, j + 1, k + 1, p->Cmin[i][j][k], p->Cmax[i][j][k]);
        }
    compute_reference_density(p);
    p->nr = 1000;
    p->dr = 1.1 * p->rc / p->nr;
    p->rdr = 1.0 / p->dr;
    size_t npair = (size_t)nv2, sz = npair * (size_t)p->nr;
    p->phir = calloc(sz, sizeof(double));
    p->phirar = calloc(7 * sz, sizeof(double));
    if (!p->phir || !p->phirar) return ts_error_set(TS_ERR_NOMEM, "MEAM: out of memory (tables)");
    p->phirar1 = p->phirar + sz;
    p->phirar2 = p->phirar + 2 * sz;
    p->phirar3 = p->phirar + 3 * sz;
    p->phirar4 = p->phirar + 4 * sz;
    p->phirar5 = p->phirar + 5 * sz;
    p->phirar6 = p->phirar + 6 * sz;
    compute_pair_meam(p);
    for (size_t k = 0; k < sz; k++)
        if (!isfinite(p->phir[k]))
            return ts_error_set(TS_ERR_NUMERIC,
                                "MEAM: pair function is not finite at r = %g A (check the "
                                "parameters)",
                                (double)(k % (size_t)p->nr) * p->dr);
    return 0;
}

double ts_md_meam_phi(const ts_md_meam *p, int a, int b, double r, double *dphi)
{
    int ind = p->eltind[a][b];
    double pp = r * p->rdr;
    int kk = (int)pp;
    if (kk > p->nr - 2) kk = p->nr - 2;
    pp -= kk;
    if (pp > 1.0) pp = 1.0;
    size_t o = (size_t)ind * p->nr + kk;
    if (dphi) *dphi = (p->phirar6[o] * pp + p->phirar5[o]) * pp + p->phirar4[o];
    return ((p->phirar3[o] * pp + p->phirar2[o]) * pp + p->phirar1[o]) * pp + p->phirar[o];
}
