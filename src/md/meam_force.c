/* 2NN-MEAM energy, forces and virial (seed 004, section "Potential":
 * E = sum_i [F(rhobar_i) + 1/2 sum_j S_ij phi_ij(R_ij)]; partial densities
 * rho^(l), l = 0..3, with the angular sums of Baskes PRB 46 (1992) 2727
 * eqs. (8a-d); Gamma = sum_l t^(l) (rho^(l)/rho^(0))^2; rhobar = rho^(0)
 * G(Gamma); screening S_ij = prod_k S_ikj with C = [2(X_ik + X_kj) - (X_ik -
 * X_kj)^2 - 1] / [1 - (X_ik - X_kj)^2], f_c(x) = [1 - (1 - x)^4]^2 between
 * Cmin and Cmax per triplet, radial taper f_c((rc - r)/delr)). The algebra
 * of the derivatives follows LAMMPS meam_dens_init.cpp, meam_dens_final.cpp
 * and meam_force.cpp, so that results agree with pair_style meam to
 * rounding.
 *
 * Threading: the pair loops run over the half list in parallel over i; the
 * contributions scattered to j (and to screening atoms k) go to per-thread
 * buffers that are summed afterwards (deterministic for a fixed thread
 * count). With one thread this is the plain serial reference kernel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "md/calc_internal.h"

/* offsets in the per-atom accumulator block of MD_NACC doubles */
enum { A_RHO0 = 0, A_ARHO2B = 1, A_ARHO1 = 2, A_ARHO2 = 5, A_ARHO3 = 11, A_ARHO3B = 21,
       A_TAVE = 24, A_TSQ = 27 };

static const int v2D[6] = {1, 2, 2, 1, 2, 1};
static const int v3D[10] = {1, 3, 3, 3, 6, 3, 1, 3, 3, 1};
static const int vind2D[3][3] = {{0, 1, 2}, {1, 3, 4}, {2, 4, 5}};
static const int vind3D[3][3][3] = {{{0, 1, 2}, {1, 3, 4}, {2, 4, 5}},
                                    {{1, 3, 4}, {3, 6, 7}, {4, 7, 8}},
                                    {{2, 4, 5}, {4, 7, 8}, {5, 8, 9}}};

static int nthreads_of(const ts_md_calc *c)
{
#ifdef _OPENMP
    if (c->reference) return 1;
    return c->nthreads > 0 ? c->nthreads : omp_get_max_threads();
#else
    (void)c;
    return 1;
#endif
}

/* ---- screening: S_ij, dS_ij/dr_ij / r_ij and the radial taper ---------- */

static int kc_push(md_kcache *kb, int k, double d1, double d2)
{
    if (kb->n == kb->cap) {
        long cap = kb->cap ? 2 * kb->cap : 4096;
        int *nk = realloc(kb->k, (size_t)cap * sizeof *nk);
        if (!nk) return -1;
        kb->k = nk;
        double *nd = realloc(kb->d, (size_t)cap * 2 * sizeof *nd);
        if (!nd) return -1;
        kb->d = nd;
        kb->cap = cap;
    }
    kb->k[kb->n] = k;
    kb->d[2 * kb->n] = d1;
    kb->d[2 * kb->n + 1] = d2;
    kb->n++;
    return 0;
}

/* kb: this thread's cache (NULL: reference kernel, no cache) */
static void screen_atom(ts_md_calc *c, int i, md_kcache *kb, int tid)
{
    const ts_md_meam *p = c->pot;
    const md_neigh *nb = &c->nb;
    const double *x = nb->xall;
    const int *type = nb->typeall;
    const double rc = p->rc, rc2 = rc * rc, drinv = 1.0 / p->delr;
    int elti = type[i];
    double xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
    int f0 = nb->full_off[i], f1 = nb->full_off[i + 1];
    for (int jn = nb->half_off[i]; jn < nb->half_off[i + 1]; jn++) {
        int j = nb->half_j[jn], eltj = type[j];
        double xj = x[3 * j], yj = x[3 * j + 1], zj = x[3 * j + 2];
        double dx = xj - xi, dy = yj - yi, dz = zj - zi;
        double rij2 = dx * dx + dy * dy + dz * dz;
        if (rij2 > rc2) {
            c->scrfcn[jn] = c->dscrfcn[jn] = c->fcpair[jn] = 0.0;
            if (kb) c->kc_cnt[jn] = 0;
            continue;
        }
        double rbound = p->ebtight[elti][eltj] * rij2, rij = sqrt(rij2);
        double rnorm = (rc - rij) * drinv, sij = 1.0, dsum = 0.0;
        double rlim = sqrt(rbound) + c->skin + 1e-9;
        long kstart = kb ? kb->n : 0;
        /* one pass over the screening atoms: the product S_ij and the sum of
         * dS_ikj/S_ikj (LAMMPS makes two passes; same terms, same order) */
        for (int kn = f0; kn < f1; kn++) {
            if (nb->full_r[kn] > rlim) break;
            int k = nb->full_j[kn];
            if (k == j) continue;
            double xk = x[3 * k], yk = x[3 * k + 1], zk = x[3 * k + 2];
            double rjk2 = (xk - xj) * (xk - xj) + (yk - yj) * (yk - yj) + (zk - zj) * (zk - zj);
            if (rjk2 > rbound) continue;
            double rik2 = (xk - xi) * (xk - xi) + (yk - yi) * (yk - yi) + (zk - zi) * (zk - zi);
            if (rik2 > rbound) continue;
            double xik = rik2 / rij2, xjk = rjk2 / rij2;
            double a = 1 - (xik - xjk) * (xik - xjk);
            if (a <= 0.0) continue;
            double cikj = (2.0 * (xik + xjk) + a - 2.0) / a;
            int eltk = type[k];
            double Cmax = p->Cmax[elti][eltj][eltk], Cmin = p->Cmin[elti][eltj][eltk];
            if (cikj >= Cmax) continue;
            if (cikj <= Cmin) {
                sij = 0.0;
                break;
            }
            double delc = Cmax - Cmin, dfikj;
            double sikj = meam_dfcut((cikj - Cmin) / delc, &dfikj);
            sij *= sikj;
            double coef = dfikj / (delc * sikj);
            dsum += coef * meam_dCfunc(rij2, rik2, rjk2);
            if (kb && coef != 0.0) {
                double d1, d2;
                meam_dCfunc2(rij2, rik2, rjk2, &d1, &d2);
                if (kc_push(kb, k, coef * d1, coef * d2)) c->kc_err = 1;
            }
        }
        double dfc, fc = meam_dfcut(rnorm, &dfc);
        double fcij = fc, dfcij = dfc * drinv, dscr = 0.0, sfcij = sij * fcij;
        if (!meam_iszero(sfcij) && !meam_isone(sfcij)) dscr = dsum * sfcij - sij * dfcij / rij;
        if (kb) {
            double sf = sij * fcij;
            if (meam_iszero(sf) || meam_isone(sf)) kb->n = kstart; /* no three-body forces */
            c->kc_tid[jn] = tid;
            c->kc_off[jn] = kstart;
            c->kc_cnt[jn] = (int)(kb->n - kstart);
        }
        c->scrfcn[jn] = sij;
        c->dscrfcn[jn] = dscr;
        c->fcpair[jn] = fcij;
    }
}

/* ---- partial densities (scattered to i and owner(j)) ------------------- */

static void density_atom(const ts_md_calc *c, int i, double *acc)
{
    const ts_md_meam *p = c->pot;
    const md_neigh *nb = &c->nb;
    const double *x = nb->xall;
    const double rc2 = p->rc * p->rc;
    int elti = nb->typeall[i];
    for (int jn = nb->half_off[i]; jn < nb->half_off[i + 1]; jn++) {
        if (meam_iszero(c->scrfcn[jn])) continue;
        int j = nb->half_j[jn], oj = nb->owner[j], eltj = nb->typeall[j];
        double sij = c->scrfcn[jn] * c->fcpair[jn];
        double d[3] = {x[3 * j] - x[3 * i], x[3 * j + 1] - x[3 * i + 1],
                       x[3 * j + 2] - x[3 * i + 2]};
        double rij2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        if (rij2 >= rc2) continue;
        double rij = sqrt(rij2);
        double ai = rij / p->re[elti][elti] - 1.0, aj = rij / p->re[eltj][eltj] - 1.0;
        double ro0i = p->rho0[elti], ro0j = p->rho0[eltj];
        double rhoa0j = ro0j * exp(-p->beta0[eltj] * aj) * sij;
        double rhoa1j = ro0j * exp(-p->beta1[eltj] * aj) * sij;
        double rhoa2j = ro0j * exp(-p->beta2[eltj] * aj) * sij;
        double rhoa3j = ro0j * exp(-p->beta3[eltj] * aj) * sij;
        double rhoa0i = ro0i * exp(-p->beta0[elti] * ai) * sij;
        double rhoa1i = ro0i * exp(-p->beta1[elti] * ai) * sij;
        double rhoa2i = ro0i * exp(-p->beta2[elti] * ai) * sij;
        double rhoa3i = ro0i * exp(-p->beta3[elti] * ai) * sij;
        if (p->ialloy == 1) {
            rhoa1j *= p->t1[eltj];
            rhoa2j *= p->t2[eltj];
            rhoa3j *= p->t3[eltj];
            rhoa1i *= p->t1[elti];
            rhoa2i *= p->t2[elti];
            rhoa3i *= p->t3[elti];
        }
        double *Ai = acc + (size_t)MD_NACC * i, *Aj = acc + (size_t)MD_NACC * oj;
        Ai[A_RHO0] += rhoa0j;
        Aj[A_RHO0] += rhoa0i;
        if (p->ialloy != 2) {
            Ai[A_TAVE + 0] += p->t1[eltj] * rhoa0j;
            Ai[A_TAVE + 1] += p->t2[eltj] * rhoa0j;
            Ai[A_TAVE + 2] += p->t3[eltj] * rhoa0j;
            Aj[A_TAVE + 0] += p->t1[elti] * rhoa0i;
            Aj[A_TAVE + 1] += p->t2[elti] * rhoa0i;
            Aj[A_TAVE + 2] += p->t3[elti] * rhoa0i;
        }
        if (p->ialloy == 1) {
            Ai[A_TSQ + 0] += p->t1[eltj] * p->t1[eltj] * rhoa0j;
            Ai[A_TSQ + 1] += p->t2[eltj] * p->t2[eltj] * rhoa0j;
            Ai[A_TSQ + 2] += p->t3[eltj] * p->t3[eltj] * rhoa0j;
            Aj[A_TSQ + 0] += p->t1[elti] * p->t1[elti] * rhoa0i;
            Aj[A_TSQ + 1] += p->t2[elti] * p->t2[elti] * rhoa0i;
            Aj[A_TSQ + 2] += p->t3[elti] * p->t3[elti] * rhoa0i;
        }
        Ai[A_ARHO2B] += rhoa2j;
        Aj[A_ARHO2B] += rhoa2i;
        double A1j = rhoa1j / rij, A2j = rhoa2j / rij2, A3j = rhoa3j / (rij2 * rij);
        double A1i = rhoa1i / rij, A2i = rhoa2i / rij2, A3i = rhoa3i / (rij2 * rij);
        int nv2 = 0, nv3 = 0;
        for (int m = 0; m < 3; m++) {
            Ai[A_ARHO1 + m] += A1j * d[m];
            Aj[A_ARHO1 + m] -= A1i * d[m];
            Ai[A_ARHO3B + m] += rhoa3j * d[m] / rij;
            Aj[A_ARHO3B + m] -= rhoa3i * d[m] / rij;
            for (int n = m; n < 3; n++) {
                Ai[A_ARHO2 + nv2] += A2j * d[m] * d[n];
                Aj[A_ARHO2 + nv2] += A2i * d[m] * d[n];
                nv2++;
                for (int q = n; q < 3; q++) {
                    Ai[A_ARHO3 + nv3] += A3j * d[m] * d[n] * d[q];
                    Aj[A_ARHO3 + nv3] -= A3i * d[m] * d[n] * d[q];
                    nv3++;
                }
            }
        }
    }
}

/* ---- embedding energies and dE/d(partial densities) -------------------- */

static int final_atom(ts_md_calc *c, int i, const double *acc, double *Femb)
{
    const ts_md_meam *p = c->pot;
    int elti = c->nb.typeall[i], errorflag = 0;
    const double *A = acc + (size_t)MD_NACC * i;
    double rho1 = 0.0, rho2 = -1.0 / 3.0 * A[A_ARHO2B] * A[A_ARHO2B], rho3 = 0.0;
    for (int m = 0; m < 3; m++) {
        rho1 += A[A_ARHO1 + m] * A[A_ARHO1 + m];
        rho3 -= 3.0 / 5.0 * A[A_ARHO3B + m] * A[A_ARHO3B + m];
    }
    for (int m = 0; m < 6; m++) rho2 += v2D[m] * A[A_ARHO2 + m] * A[A_ARHO2 + m];
    for (int m = 0; m < 10; m++) rho3 += v3D[m] * A[A_ARHO3 + m] * A[A_ARHO3 + m];
    double rho0 = A[A_RHO0];
    double *tav = c->t_ave + 3 * (size_t)i;
    tav[0] = A[A_TAVE];
    tav[1] = A[A_TAVE + 1];
    tav[2] = A[A_TAVE + 2];
    if (rho0 > 0.0) {
        if (p->ialloy == 1) {
            for (int m = 0; m < 3; m++)
                tav[m] = meam_iszero(A[A_TSQ + m]) ? 0.0 : tav[m] / A[A_TSQ + m];
        } else if (p->ialloy == 2) {
            tav[0] = p->t1[elti];
            tav[1] = p->t2[elti];
            tav[2] = p->t3[elti];
        } else {
            for (int m = 0; m < 3; m++) tav[m] /= rho0;
        }
    }
    double gamma = tav[0] * rho1 + tav[1] * rho2 + tav[2] * rho3;
    if (rho0 > 0.0) gamma /= rho0 * rho0;
    int Z = meam_get_Zij(p->lattce[elti][elti]);
    double G = meam_G_gam(p, gamma, p->ibar[elti], &errorflag);
    if (errorflag)
        return ts_error_set(TS_ERR_NUMERIC, "MEAM: G(Gamma) undefined for ibar = %d (atom %d)",
                            p->ibar[elti], i);
    double shp[3], Gbar = 1.0, dGbar = 0.0, gam;
    meam_get_shpfcn(p->lattce[elti][elti], p->stheta[elti][elti], p->ctheta[elti][elti], shp);
    if (p->ibar[elti] > 0) {
        if (p->mix_ref_t == 1)
            gam = (tav[0] * shp[0] + tav[1] * shp[1] + tav[2] * shp[2]) / (Z * Z);
        else
            gam = (p->t1[elti] * shp[0] + p->t2[elti] * shp[1] + p->t3[elti] * shp[2]) / (Z * Z);
        Gbar = meam_G_gam(p, gam, p->ibar[elti], &errorflag);
    }
    double rho = rho0 * G, rho_bkgd;
    if (p->mix_ref_t == 1) {
        if (p->ibar[elti] <= 0) {
            Gbar = 1.0;
            dGbar = 0.0;
        } else {
            gam = (tav[0] * shp[0] + tav[1] * shp[1] + tav[2] * shp[2]) / (Z * Z);
            Gbar = meam_dG_gam(p, gam, p->ibar[elti], &dGbar);
        }
        rho_bkgd = p->rho0[elti] * Z * Gbar;
    } else if (p->bkgd_dyn == 1) {
        rho_bkgd = p->rho0[elti] * Z;
    } else {
        rho_bkgd = p->rho_ref[elti];
    }
    double rhob = rho / rho_bkgd, denom = 1.0 / rho_bkgd, dG;
    G = meam_dG_gam(p, gamma, p->ibar[elti], &dG);
    c->dgamma1[i] = (G - 2 * dG * gamma) * denom;
    c->dgamma2[i] = !meam_iszero(rho0) ? (dG / rho0) * denom : 0.0;
    c->dgamma3[i] = p->mix_ref_t == 1 ? rho0 * G * dGbar / (Gbar * Z * Z) * denom : 0.0;
    c->rho1[i] = rho1;
    c->rho2[i] = rho2;
    c->rho3[i] = rho3;
    c->rho0[i] = rho0;
    *Femb = meam_embedding(p, p->A[elti], p->Ec[elti][elti], rhob, &c->frhop[i]);
    return 0;
}

/* ---- forces --------------------------------------------------------------- */

static void force_atom(const ts_md_calc *c, int i, const double *acc, double *f, double *vir,
                       double *epair, double *eatom)
{
    const ts_md_meam *p = c->pot;
    const md_neigh *nb = &c->nb;
    const double *x = nb->xall;
    const int *type = nb->typeall;
    const double rc2 = p->rc * p->rc;
    int elti = type[i];
    const double *Acc_i = acc + (size_t)MD_NACC * i;
    const double *arho1i = Acc_i + A_ARHO1, *arho2i = Acc_i + A_ARHO2, *arho3i = Acc_i + A_ARHO3;
    const double *arho3bi = Acc_i + A_ARHO3B;
    double xi = x[3 * i], yi = x[3 * i + 1], zi = x[3 * i + 2];
    int f0 = nb->full_off[i], f1 = nb->full_off[i + 1];
    double shpi[3], shpj[3];
    meam_get_shpfcn(p->lattce[elti][elti], p->stheta[elti][elti], p->ctheta[elti][elti], shpi);

    for (int jn = nb->half_off[i]; jn < nb->half_off[i + 1]; jn++) {
        if (meam_iszero(c->scrfcn[jn])) continue;
        int j = nb->half_j[jn], oj = nb->owner[j], eltj = type[j];
        double sij = c->scrfcn[jn] * c->fcpair[jn];
        double delij[3] = {x[3 * j] - xi, x[3 * j + 1] - yi, x[3 * j + 2] - zi};
        double rij2 = delij[0] * delij[0] + delij[1] * delij[1] + delij[2] * delij[2];
        if (rij2 >= rc2) continue;
        const double *Acc_j = acc + (size_t)MD_NACC * oj;
        const double *arho1j = Acc_j + A_ARHO1, *arho2j = Acc_j + A_ARHO2,
                     *arho3j = Acc_j + A_ARHO3, *arho3bj = Acc_j + A_ARHO3B;
        double rij = sqrt(rij2), recip = 1.0 / rij;
        double phip, phi = ts_md_meam_phi(p, elti, eltj, rij, &phip);
        *epair += phi * sij;
        if (eatom) {
            eatom[i] += 0.5 * phi * sij;
            eatom[oj] += 0.5 * phi * sij;
        }
        double invrei = 1.0 / p->re[elti][elti], ai = rij * invrei - 1.0, ro0i = p->rho0[elti];
        double rhoa0i = ro0i * exp(-p->beta0[elti] * ai), drhoa0i = -p->beta0[elti] * invrei * rhoa0i;
        double rhoa1i = ro0i * exp(-p->beta1[elti] * ai), drhoa1i = -p->beta1[elti] * invrei * rhoa1i;
        double rhoa2i = ro0i * exp(-p->beta2[elti] * ai), drhoa2i = -p->beta2[elti] * invrei * rhoa2i;
        double rhoa3i = ro0i * exp(-p->beta3[elti] * ai), drhoa3i = -p->beta3[elti] * invrei * rhoa3i;
        double rhoa0j, drhoa0j, rhoa1j, drhoa1j, rhoa2j, drhoa2j, rhoa3j, drhoa3j;
        if (elti != eltj) {
            double invrej = 1.0 / p->re[eltj][eltj], aj = rij * invrej - 1.0, ro0j = p->rho0[eltj];
            rhoa0j = ro0j * exp(-p->beta0[eltj] * aj);
            drhoa0j = -p->beta0[eltj] * invrej * rhoa0j;
            rhoa1j = ro0j * exp(-p->beta1[eltj] * aj);
            drhoa1j = -p->beta1[eltj] * invrej * rhoa1j;
            rhoa2j = ro0j * exp(-p->beta2[eltj] * aj);
            drhoa2j = -p->beta2[eltj] * invrej * rhoa2j;
            rhoa3j = ro0j * exp(-p->beta3[eltj] * aj);
            drhoa3j = -p->beta3[eltj] * invrej * rhoa3j;
        } else {
            rhoa0j = rhoa0i; drhoa0j = drhoa0i;
            rhoa1j = rhoa1i; drhoa1j = drhoa1i;
            rhoa2j = rhoa2i; drhoa2j = drhoa2i;
            rhoa3j = rhoa3i; drhoa3j = drhoa3i;
        }
        const double t1mi = p->t1[elti], t2mi = p->t2[elti], t3mi = p->t3[elti];
        const double t1mj = p->t1[eltj], t2mj = p->t2[eltj], t3mj = p->t3[eltj];
        if (p->ialloy == 1) {
            rhoa1j *= t1mj; rhoa2j *= t2mj; rhoa3j *= t3mj;
            rhoa1i *= t1mi; rhoa2i *= t2mi; rhoa3i *= t3mi;
            drhoa1j *= t1mj; drhoa2j *= t2mj; drhoa3j *= t3mj;
            drhoa1i *= t1mi; drhoa2i *= t2mi; drhoa3i *= t3mi;
        }
        int nv2 = 0, nv3 = 0;
        double arg1i1 = 0, arg1j1 = 0, arg1i2 = 0, arg1j2 = 0, arg1i3 = 0, arg1j3 = 0;
        double arg3i3 = 0, arg3j3 = 0, arg;
        for (int n = 0; n < 3; n++) {
            for (int q = n; q < 3; q++) {
                for (int r = q; r < 3; r++) {
                    arg = delij[n] * delij[q] * delij[r] * v3D[nv3];
                    arg1i3 += arho3i[nv3] * arg;
                    arg1j3 -= arho3j[nv3] * arg;
                    nv3++;
                }
                arg = delij[n] * delij[q] * v2D[nv2];
                arg1i2 += arho2i[nv2] * arg;
                arg1j2 += arho2j[nv2] * arg;
                nv2++;
            }
            arg1i1 += arho1i[n] * delij[n];
            arg1j1 -= arho1j[n] * delij[n];
            arg3i3 += arho3bi[n] * delij[n];
            arg3j3 -= arho3bj[n] * delij[n];
        }
        /* rho0 terms */
        double drho0dr1 = drhoa0j * sij, drho0dr2 = drhoa0i * sij;
        /* rho1 terms */
        double a1 = 2 * sij / rij;
        double drho1dr1 = a1 * (drhoa1j - rhoa1j / rij) * arg1i1;
        double drho1dr2 = a1 * (drhoa1i - rhoa1i / rij) * arg1j1;
        double drho1drm1[3], drho1drm2[3], drho2drm1[3], drho2drm2[3], drho3drm1[3], drho3drm2[3];
        for (int m = 0; m < 3; m++) {
            drho1drm1[m] = a1 * rhoa1j * arho1i[m];
            drho1drm2[m] = -a1 * rhoa1i * arho1j[m];
        }
        /* rho2 terms */
        double a2 = 2 * sij / rij2;
        double drho2dr1 = a2 * (drhoa2j - 2 * rhoa2j / rij) * arg1i2 -
                          2.0 / 3.0 * Acc_i[A_ARHO2B] * drhoa2j * sij;
        double drho2dr2 = a2 * (drhoa2i - 2 * rhoa2i / rij) * arg1j2 -
                          2.0 / 3.0 * Acc_j[A_ARHO2B] * drhoa2i * sij;
        a2 = 4 * sij / rij2;
        for (int m = 0; m < 3; m++) {
            drho2drm1[m] = 0.0;
            drho2drm2[m] = 0.0;
            for (int n = 0; n < 3; n++) {
                drho2drm1[m] += arho2i[vind2D[m][n]] * delij[n];
                drho2drm2[m] -= arho2j[vind2D[m][n]] * delij[n];
            }
            drho2drm1[m] = a2 * rhoa2j * drho2drm1[m];
            drho2drm2[m] = -a2 * rhoa2i * drho2drm2[m];
        }
        /* rho3 terms */
        double rij3 = rij * rij2;
        double a3 = 2 * sij / rij3, a3a = 6.0 / 5.0 * sij / rij;
        double drho3dr1 = a3 * (drhoa3j - 3 * rhoa3j / rij) * arg1i3 -
                          a3a * (drhoa3j - rhoa3j / rij) * arg3i3;
        double drho3dr2 = a3 * (drhoa3i - 3 * rhoa3i / rij) * arg1j3 -
                          a3a * (drhoa3i - rhoa3i / rij) * arg3j3;
        a3 = 6 * sij / rij3;
        a3a = 6 * sij / (5 * rij);
        for (int m = 0; m < 3; m++) {
            drho3drm1[m] = 0.0;
            drho3drm2[m] = 0.0;
            nv2 = 0;
            for (int n = 0; n < 3; n++)
                for (int q = n; q < 3; q++) {
                    arg = delij[n] * delij[q] * v2D[nv2];
                    drho3drm1[m] += arho3i[vind3D[m][n][q]] * arg;
                    drho3drm2[m] += arho3j[vind3D[m][n][q]] * arg;
                    nv2++;
                }
            drho3drm1[m] = (a3 * drho3drm1[m] - a3a * arho3bi[m]) * rhoa3j;
            drho3drm2[m] = (-a3 * drho3drm2[m] + a3a * arho3bj[m]) * rhoa3i;
        }
        /* derivatives of the weighting factors t */
        const double *tavi = c->t_ave + 3 * (size_t)i, *tavj = c->t_ave + 3 * (size_t)oj;
        const double *tsqi = Acc_i + A_TSQ, *tsqj = Acc_j + A_TSQ;
        double t1i = tavi[0], t2i = tavi[1], t3i = tavi[2];
        double t1j = tavj[0], t2j = tavj[1], t3j = tavj[2];
        double dt1dr1 = 0, dt1dr2 = 0, dt2dr1 = 0, dt2dr2 = 0, dt3dr1 = 0, dt3dr2 = 0;
#define FDIV(n_, d_) (meam_iszero(d_) ? 0.0 : (n_) / (d_))
        if (p->ialloy == 1) {
            double a1i = FDIV(drhoa0j * sij, tsqi[0]), a1j = FDIV(drhoa0i * sij, tsqj[0]);
            double a2i = FDIV(drhoa0j * sij, tsqi[1]), a2j = FDIV(drhoa0i * sij, tsqj[1]);
            double a3i = FDIV(drhoa0j * sij, tsqi[2]), a3j = FDIV(drhoa0i * sij, tsqj[2]);
            dt1dr1 = a1i * (t1mj - t1i * t1mj * t1mj);
            dt1dr2 = a1j * (t1mi - t1j * t1mi * t1mi);
            dt2dr1 = a2i * (t2mj - t2i * t2mj * t2mj);
            dt2dr2 = a2j * (t2mi - t2j * t2mi * t2mi);
            dt3dr1 = a3i * (t3mj - t3i * t3mj * t3mj);
            dt3dr2 = a3j * (t3mi - t3j * t3mi * t3mi);
        } else if (p->ialloy != 2) {
            double ai0 = !meam_iszero(c->rho0[i]) ? drhoa0j * sij / c->rho0[i] : 0.0;
            double aj0 = !meam_iszero(c->rho0[oj]) ? drhoa0i * sij / c->rho0[oj] : 0.0;
            dt1dr1 = ai0 * (t1mj - t1i);
            dt1dr2 = aj0 * (t1mi - t1j);
            dt2dr1 = ai0 * (t2mj - t2i);
            dt2dr2 = aj0 * (t2mi - t2j);
            dt3dr1 = ai0 * (t3mj - t3i);
            dt3dr2 = aj0 * (t3mi - t3j);
        }
        /* LAMMPS passes elti's angle for j's shape factor; only the angular
         * reference structures (zig, tri) depend on it */
        meam_get_shpfcn(p->lattce[eltj][eltj], p->stheta[elti][elti], p->ctheta[elti][elti],
                        shpj);
        double g1i = c->dgamma1[i], g2i = c->dgamma2[i], g3i = c->dgamma3[i];
        double g1j = c->dgamma1[oj], g2j = c->dgamma2[oj], g3j = c->dgamma3[oj];
        double drhodr1 = g1i * drho0dr1 +
                         g2i * (dt1dr1 * c->rho1[i] + t1i * drho1dr1 + dt2dr1 * c->rho2[i] +
                                t2i * drho2dr1 + dt3dr1 * c->rho3[i] + t3i * drho3dr1) -
                         g3i * (shpi[0] * dt1dr1 + shpi[1] * dt2dr1 + shpi[2] * dt3dr1);
        double drhodr2 = g1j * drho0dr2 +
                         g2j * (dt1dr2 * c->rho1[oj] + t1j * drho1dr2 + dt2dr2 * c->rho2[oj] +
                                t2j * drho2dr2 + dt3dr2 * c->rho3[oj] + t3j * drho3dr2) -
                         g3j * (shpj[0] * dt1dr2 + shpj[1] * dt2dr2 + shpj[2] * dt3dr2);
        double drhodrm1[3], drhodrm2[3];
        for (int m = 0; m < 3; m++) {
            drhodrm1[m] = g2i * (t1i * drho1drm1[m] + t2i * drho2drm1[m] + t3i * drho3drm1[m]);
            drhodrm2[m] = g2j * (t1j * drho1drm2[m] + t2j * drho2drm2[m] + t3j * drho3drm2[m]);
        }
        double dscr = c->dscrfcn[jn];
        double drhods1 = 0, drhods2 = 0;
        if (!meam_iszero(dscr)) {
            double drho0ds1 = rhoa0j, drho0ds2 = rhoa0i;
            double b1 = 2.0 / rij, b2 = 2.0 / rij2, b3 = 2.0 / rij3, b3a = 6.0 / (5.0 * rij);
            double drho1ds1 = b1 * rhoa1j * arg1i1, drho1ds2 = b1 * rhoa1i * arg1j1;
            double drho2ds1 = b2 * rhoa2j * arg1i2 - 2.0 / 3.0 * Acc_i[A_ARHO2B] * rhoa2j;
            double drho2ds2 = b2 * rhoa2i * arg1j2 - 2.0 / 3.0 * Acc_j[A_ARHO2B] * rhoa2i;
            double drho3ds1 = b3 * rhoa3j * arg1i3 - b3a * rhoa3j * arg3i3;
            double drho3ds2 = b3 * rhoa3i * arg1j3 - b3a * rhoa3i * arg3j3;
            double dt1ds1 = 0, dt1ds2 = 0, dt2ds1 = 0, dt2ds2 = 0, dt3ds1 = 0, dt3ds2 = 0;
            if (p->ialloy == 1) {
                double a1i = FDIV(rhoa0j, tsqi[0]), a1j = FDIV(rhoa0i, tsqj[0]);
                double a2i = FDIV(rhoa0j, tsqi[1]), a2j = FDIV(rhoa0i, tsqj[1]);
                double a3i = FDIV(rhoa0j, tsqi[2]), a3j = FDIV(rhoa0i, tsqj[2]);
                dt1ds1 = a1i * (t1mj - t1i * t1mj * t1mj);
                dt1ds2 = a1j * (t1mi - t1j * t1mi * t1mi);
                dt2ds1 = a2i * (t2mj - t2i * t2mj * t2mj);
                dt2ds2 = a2j * (t2mi - t2j * t2mi * t2mi);
                dt3ds1 = a3i * (t3mj - t3i * t3mj * t3mj);
                dt3ds2 = a3j * (t3mi - t3j * t3mi * t3mi);
            } else if (p->ialloy != 2) {
                double ai0 = !meam_iszero(c->rho0[i]) ? rhoa0j / c->rho0[i] : 0.0;
                double aj0 = !meam_iszero(c->rho0[oj]) ? rhoa0i / c->rho0[oj] : 0.0;
                dt1ds1 = ai0 * (t1mj - t1i);
                dt1ds2 = aj0 * (t1mi - t1j);
                dt2ds1 = ai0 * (t2mj - t2i);
                dt2ds2 = aj0 * (t2mi - t2j);
                dt3ds1 = ai0 * (t3mj - t3i);
                dt3ds2 = aj0 * (t3mi - t3j);
            }
            drhods1 = g1i * drho0ds1 +
                      g2i * (dt1ds1 * c->rho1[i] + t1i * drho1ds1 + dt2ds1 * c->rho2[i] +
                             t2i * drho2ds1 + dt3ds1 * c->rho3[i] + t3i * drho3ds1) -
                      g3i * (shpi[0] * dt1ds1 + shpi[1] * dt2ds1 + shpi[2] * dt3ds1);
            drhods2 = g1j * drho0ds2 +
                      g2j * (dt1ds2 * c->rho1[oj] + t1j * drho1ds2 + dt2ds2 * c->rho2[oj] +
                             t2j * drho2ds2 + dt3ds2 * c->rho3[oj] + t3j * drho3ds2) -
                      g3j * (shpj[0] * dt1ds2 + shpj[1] * dt2ds2 + shpj[2] * dt3ds2);
        }
#undef FDIV
        double fpi = c->frhop[i], fpj = c->frhop[oj];
        double dUdrij = phip * sij + fpi * drhodr1 + fpj * drhodr2, dUdsij = 0.0, dUdrijm[3];
        if (!meam_iszero(dscr)) dUdsij = phi + fpi * drhods1 + fpj * drhods2;
        for (int m = 0; m < 3; m++) dUdrijm[m] = fpi * drhodrm1[m] + fpj * drhodrm2[m];

        double force = dUdrij * recip + dUdsij * dscr, fi[3];
        for (int m = 0; m < 3; m++) {
            fi[m] = delij[m] * force + dUdrijm[m];
            f[3 * i + m] += fi[m];
            f[3 * oj + m] -= fi[m];
        }
        vir[0] -= delij[0] * fi[0];
        vir[1] -= delij[1] * fi[1];
        vir[2] -= delij[2] * fi[2];
        vir[3] -= 0.5 * (delij[0] * fi[1] + delij[1] * fi[0]);
        vir[4] -= 0.5 * (delij[0] * fi[2] + delij[2] * fi[0]);
        vir[5] -= 0.5 * (delij[1] * fi[2] + delij[2] * fi[1]);

        /* forces on the screening atoms k through dS_ij */
        if (meam_iszero(sij) || meam_isone(sij)) continue;
        if (!c->reference) {
            /* fast path: the contributing k and their factors were cached by
             * the screening pass (same terms as the loop below) */
            const md_kcache *kb = &c->kc[c->kc_tid[jn]];
            long o = c->kc_off[jn];
            for (int q = 0; q < c->kc_cnt[jn]; q++) {
                int k = kb->k[o + q];
                double dsij1 = sij * kb->d[2 * (o + q)], dsij2 = sij * kb->d[2 * (o + q) + 1];
                double force1 = dUdsij * dsij1, force2 = dUdsij * dsij2;
                double dxik = x[3 * k] - xi, dyik = x[3 * k + 1] - yi, dzik = x[3 * k + 2] - zi;
                double dxjk = x[3 * k] - x[3 * j], dyjk = x[3 * k + 1] - x[3 * j + 1],
                       dzjk = x[3 * k + 2] - x[3 * j + 2];
                int ok = nb->owner[k];
                double fik[3] = {force1 * dxik, force1 * dyik, force1 * dzik};
                double fjk[3] = {force2 * dxjk, force2 * dyjk, force2 * dzjk};
                for (int m = 0; m < 3; m++) {
                    f[3 * i + m] += fik[m];
                    f[3 * oj + m] += fjk[m];
                    f[3 * ok + m] -= fik[m] + fjk[m];
                }
                vir[0] -= dxik * fik[0] + dxjk * fjk[0];
                vir[1] -= dyik * fik[1] + dyjk * fjk[1];
                vir[2] -= dzik * fik[2] + dzjk * fjk[2];
                vir[3] -= 0.5 * (dxik * fik[1] + dxjk * fjk[1] + dyik * fik[0] + dyjk * fjk[0]);
                vir[4] -= 0.5 * (dxik * fik[2] + dxjk * fjk[2] + dzik * fik[0] + dzjk * fjk[0]);
                vir[5] -= 0.5 * (dyik * fik[2] + dyjk * fjk[2] + dzik * fik[1] + dzjk * fjk[1]);
            }
            continue;
        }
        double rbound = rij2 * p->ebtight[elti][eltj];
        double xj = x[3 * j], yj = x[3 * j + 1], zj = x[3 * j + 2];
        double rlim = sqrt(rbound) + c->skin + 1e-9;
        for (int kn = f0; kn < f1; kn++) {
            if (nb->full_r[kn] > rlim) break;
            int k = nb->full_j[kn];
            if (k == j) continue;
            int eltk = type[k];
            double Cmax = p->Cmax[elti][eltj][eltk], Cmin = p->Cmin[elti][eltj][eltk];
            double dxjk = x[3 * k] - xj, dyjk = x[3 * k + 1] - yj, dzjk = x[3 * k + 2] - zj;
            double rjk2 = dxjk * dxjk + dyjk * dyjk + dzjk * dzjk;
            if (rjk2 > rbound) continue;
            double dxik = x[3 * k] - xi, dyik = x[3 * k + 1] - yi, dzik = x[3 * k + 2] - zi;
            double rik2 = dxik * dxik + dyik * dyik + dzik * dzik;
            if (rik2 > rbound) continue;
            double xik = rik2 / rij2, xjk = rjk2 / rij2;
            double a = 1 - (xik - xjk) * (xik - xjk);
            if (meam_iszero(a)) continue;
            double cikj = (2.0 * (xik + xjk) + a - 2.0) / a;
            if (!(cikj >= Cmin && cikj <= Cmax)) continue;
            double delc = Cmax - Cmin, dfc, d1, d2;
            double sikj = meam_dfcut((cikj - Cmin) / delc, &dfc);
            meam_dCfunc2(rij2, rik2, rjk2, &d1, &d2);
            double aa = sij / delc * dfc / sikj;
            double dsij1 = aa * d1, dsij2 = aa * d2;
            if (meam_iszero(dsij1) && meam_iszero(dsij2)) continue;
            double force1 = dUdsij * dsij1, force2 = dUdsij * dsij2;
            int ok = nb->owner[k];
            double fik[3] = {force1 * dxik, force1 * dyik, force1 * dzik};
            double fjk[3] = {force2 * dxjk, force2 * dyjk, force2 * dzjk};
            for (int m = 0; m < 3; m++) {
                f[3 * i + m] += fik[m];
                f[3 * oj + m] += fjk[m];
                f[3 * ok + m] -= fik[m] + fjk[m];
            }
            vir[0] -= dxik * fik[0] + dxjk * fjk[0];
            vir[1] -= dyik * fik[1] + dyjk * fjk[1];
            vir[2] -= dzik * fik[2] + dzjk * fjk[2];
            vir[3] -= 0.5 * (dxik * fik[1] + dxjk * fjk[1] + dyik * fik[0] + dyjk * fjk[0]);
            vir[4] -= 0.5 * (dxik * fik[2] + dxjk * fjk[2] + dzik * fik[0] + dzjk * fjk[0]);
            vir[5] -= 0.5 * (dyik * fik[2] + dyjk * fjk[2] + dzik * fik[1] + dzjk * fjk[1]);
        }
    }
}

static int ensure_work(ts_md_calc *c, int n, int nt)
{
    if (n > c->cap) {
        double **arrs[] = {&c->rho0, &c->rho, &c->rho1, &c->rho2, &c->rho3, &c->gamma,
                           &c->dgamma1, &c->dgamma2, &c->dgamma3, &c->frhop};
        for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) {
            free(*arrs[k]);
            *arrs[k] = malloc((size_t)n * sizeof(double));
            if (!*arrs[k]) return ts_error_set(TS_ERR_NOMEM, "out of memory (MEAM arrays)");
        }
        free(c->t_ave);
        c->t_ave = malloc((size_t)n * 3 * sizeof(double));
        if (!c->t_ave) return ts_error_set(TS_ERR_NOMEM, "out of memory (MEAM arrays)");
        c->cap = n;
        free(c->tbuf);
        free(c->tforce);
        c->tbuf = c->tforce = NULL;
    }
    if (!c->tbuf) {
        c->tbuf = malloc((size_t)nt * c->cap * MD_NACC * sizeof(double));
        c->tforce = malloc((size_t)nt * c->cap * 3 * sizeof(double));
        if (!c->tbuf || !c->tforce) return ts_error_set(TS_ERR_NOMEM, "out of memory (MEAM buffers)");
    }
    if (!c->kc || c->kc_nt != nt) {
        if (c->kc)
            for (int t = 0; t < c->kc_nt; t++) {
                free(c->kc[t].k);
                free(c->kc[t].d);
            }
        free(c->kc);
        c->kc = calloc((size_t)nt, sizeof *c->kc);
        if (!c->kc) return ts_error_set(TS_ERR_NOMEM, "out of memory (screening cache)");
        c->kc_nt = nt;
    }
    long np = c->nb.half_off[n];
    if (np > c->pcap) {
        free(c->kc_tid);
        free(c->kc_cnt);
        free(c->kc_off);
        c->kc_tid = malloc((size_t)(np > 0 ? np : 1) * sizeof(int));
        c->kc_cnt = malloc((size_t)(np > 0 ? np : 1) * sizeof(int));
        c->kc_off = malloc((size_t)(np > 0 ? np : 1) * sizeof(long));
        if (!c->kc_tid || !c->kc_cnt || !c->kc_off)
            return ts_error_set(TS_ERR_NOMEM, "out of memory (screening cache)");
        free(c->scrfcn);
        c->scrfcn = malloc((size_t)(np > 0 ? np : 1) * 3 * sizeof(double));
        if (!c->scrfcn) return ts_error_set(TS_ERR_NOMEM, "out of memory (screening)");
        c->dscrfcn = c->scrfcn + np;
        c->fcpair = c->scrfcn + 2 * np;
        c->pcap = np;
    } else {
        c->dscrfcn = c->scrfcn + c->pcap;
        c->fcpair = c->scrfcn + 2 * c->pcap;
    }
    return 0;
}

int md_meam_compute(ts_md_calc *c, ts_md_system *s, ts_md_result *res, double *eatom)
{
    int n = s->n, nt = nthreads_of(c);
    if (c->tbuf && c->nt_alloc != nt) {
        /* the OpenMP thread count changed since the buffers were made */
        free(c->tbuf);
        free(c->tforce);
        c->tbuf = c->tforce = NULL;
    }
    c->nt_alloc = nt;
    TS_TRY(ensure_work(c, n, nt));
    size_t blk = (size_t)n * MD_NACC;
    double energy = 0.0, vir[6] = {0, 0, 0, 0, 0, 0};
    int err = 0;
    if (eatom) memset(eatom, 0, (size_t)n * sizeof *eatom);
    /* Reproducibility: the result must not depend on thread scheduling.
     * Every loop that accumulates into per-thread blocks uses a fixed
     * (static, chunked) atom-to-thread assignment, and the per-thread energy
     * and virial partial sums are added in thread order after the region
     * (not in critical-section arrival order). With schedule(dynamic) and a
     * critical reduction the last bits of E, virial and forces changed from
     * run to run under load; the CG box relaxation, which resolves energy
     * differences near that noise floor, then sometimes failed its line
     * search and stopped at |P| > ptol (flaky md_dynamics). */
    double *part = malloc((size_t)nt * 7 * sizeof *part);
    if (!part) return ts_error_set(TS_ERR_NOMEM, "out of memory (MEAM reduction)");

#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        int tid = omp_get_thread_num();
#else
        int tid = 0;
#endif
        double *acc = c->tbuf + (size_t)tid * blk;
        memset(acc, 0, blk * sizeof *acc);
        {   /* the runtime may give fewer than nt threads: the reductions
             * below read all nt blocks, so empty the unused ones */
#ifdef _OPENMP
            int nth = omp_get_num_threads();
#else
            int nth = 1;
#endif
            for (int t = nth + tid; t < nt; t += nth) {
                memset(c->tbuf + (size_t)t * blk, 0, blk * sizeof *c->tbuf);
                memset(c->tforce + (size_t)t * n * 3, 0, (size_t)n * 3 * sizeof *c->tforce);
                for (int m = 0; m < 7; m++) part[(size_t)t * 7 + m] = 0.0;
            }
        }
        md_kcache *kb = c->reference ? NULL : &c->kc[tid];
        if (kb) kb->n = 0;
        /* screening and densities of atom i's pairs in one sweep (the
         * densities of pair entries of i need only i's screening results) */
#pragma omp for schedule(static, 16)
        for (int i = 0; i < n; i++) {
            screen_atom(c, i, kb, tid);
            density_atom(c, i, acc);
        }
        /* reduce the per-thread density blocks into block 0 */
#pragma omp for schedule(static)
        for (size_t q = 0; q < blk; q++) {
            double sum = c->tbuf[q];
            for (int t = 1; t < nt; t++) sum += c->tbuf[(size_t)t * blk + q];
            c->tbuf[q] = sum;
        }
        double emb = 0.0;
#pragma omp for schedule(static)
        for (int i = 0; i < n; i++) {
            double F = 0.0;
            if (final_atom(c, i, c->tbuf, &F)) {
#pragma omp atomic write
                err = 1;
                F = 0;
            }
            emb += F;
            if (eatom) eatom[i] += F;
        }
        double *f = c->tforce + (size_t)tid * n * 3;
        memset(f, 0, (size_t)n * 3 * sizeof *f);
        double v[6] = {0, 0, 0, 0, 0, 0}, ep = 0.0;
        /* per-atom pair energies go straight to eatom only with one thread */
        double *ea = (eatom && nt == 1) ? eatom : NULL;
#pragma omp for schedule(static, 16)
        for (int i = 0; i < n; i++) force_atom(c, i, c->tbuf, f, v, &ep, ea);
        part[(size_t)tid * 7] = emb + ep;
        for (int m = 0; m < 6; m++) part[(size_t)tid * 7 + 1 + m] = v[m];
#pragma omp barrier
#pragma omp for schedule(static)
        for (int q = 0; q < 3 * n; q++) {
            double sum = 0.0;
            for (int t = 0; t < nt; t++) sum += c->tforce[(size_t)t * n * 3 + q];
            s->f[q] = sum;
        }
    }
    for (int t = 0; t < nt; t++) {
        energy += part[(size_t)t * 7];
        for (int m = 0; m < 6; m++) vir[m] += part[(size_t)t * 7 + 1 + m];
    }
    free(part);
    if (err) return ts_error_set(TS_ERR_NUMERIC, "MEAM: G(Gamma) undefined for this ibar");
    if (c->kc_err) {
        c->kc_err = 0;
        return ts_error_set(TS_ERR_NOMEM, "out of memory (screening cache)");
    }
    if (eatom && nt > 1) {
        /* pair halves of the per-atom energy: a serial pass over the half list */
        const md_neigh *nb = &c->nb;
        for (int i = 0; i < n; i++)
            for (int jn = nb->half_off[i]; jn < nb->half_off[i + 1]; jn++) {
                if (meam_iszero(c->scrfcn[jn])) continue;
                int j = nb->half_j[jn];
                double d0 = nb->xall[3 * j] - nb->xall[3 * i],
                       d1 = nb->xall[3 * j + 1] - nb->xall[3 * i + 1],
                       d2 = nb->xall[3 * j + 2] - nb->xall[3 * i + 2];
                double r2 = d0 * d0 + d1 * d1 + d2 * d2;
                if (r2 >= c->pot->rc * c->pot->rc) continue;
                double e = ts_md_meam_phi(c->pot, nb->typeall[i], nb->typeall[j], sqrt(r2), NULL) *
                           c->scrfcn[jn] * c->fcpair[jn];
                eatom[i] += 0.5 * e;
                eatom[nb->owner[j]] += 0.5 * e;
            }
    }
    res->energy = energy;
    double vol = ts_md_system_volume(s);
    for (int m = 0; m < 6; m++) {
        res->virial[m] = vir[m];
        res->stress[m] = vir[m] / vol * TS_MD_EVA3_TO_BAR;
    }
    if (!isfinite(energy)) return ts_error_set(TS_ERR_NUMERIC, "MEAM: energy is not finite");
    return 0;
}
