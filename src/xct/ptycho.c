/* Mixed-state multislice ptychography: forward model and amplitude-loss
 * gradients.
 *
 * Equations (notes/xct.md "Forward model", seed 001 section on ptychography):
 *   slice transmission  O = exp(i k (-delta + i beta) dz),  k = 2 pi / lambda
 *   multislice          psi_{j,m} = O^[L] P_dz[ ... P_dz[ P_{m}(r - r_j) O^[1] ] ]
 *   angular spectrum    P_dz u = F^-1{ F{u} H },  H exact or paraxial (xct.h)
 *   far field           I_j = sum_m |F psi_{j,m}|^2   (unitary DFT)
 *   amplitude loss      L = sum_j sum_q (sqrt(sum_m |F psi_jm|^2) - sqrt(I_jq))^2  (note eq. 1)
 *   gradients (Wirtinger, g = 2 dL/dz*):
 *     G_m   = 2 (A - a) / A * Psi_m,  A = sqrt(sum_m |Psi_m|^2), a = sqrt(I)
 *     g^[L] = F^H G_m;  g_O^[l] += conj(u^[l]) g^[l];  g^[l-1] = P_{-dz}[conj(O^[l]) g^[l]]
 *     g_P  += conj(O^[1]) g^[1]
 *   (the note's form of the seed's missing eqs. 4-5.)
 * Layouts: see include/tinsel/xct.h. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "ptycho_internal.h"

int ts_xct_ptycho_kernel(int np, double dx_nm, double dz_nm, double lambda_nm, int exact,
                         double complex *H)
{
    if (np < 2 || !(dx_nm > 0) || !isfinite(dz_nm) || !(lambda_nm > 0) || !H)
        return ts_error_set(TS_ERR_INVAL, "ptycho kernel: np >= 2, dx > 0, lambda > 0 needed");
    double il = 1.0 / lambda_nm, df = 1.0 / (np * dx_nm);
    for (int r = 0; r < np; r++) {
        double fy = (r <= np / 2 ? r : r - np) * df;
        for (int c = 0; c < np; c++) {
            double fx = (c <= np / 2 ? c : c - np) * df, f2 = fx * fx + fy * fy;
            double complex h;
            if (!exact) {
                h = cexp(-I * XCT_PI * lambda_nm * dz_nm * f2);
            } else if (f2 < il * il) {
                /* sqrt(il^2 - f2) - il without cancellation */
                double kz = -f2 / (sqrt(il * il - f2) + il);
                h = cexp(I * 2 * XCT_PI * dz_nm * kz);
            } else {
                /* evanescent: exp(i 2pi dz (i sqrt(f2 - il^2) - il)) */
                h = exp(-2 * XCT_PI * fabs(dz_nm) * sqrt(f2 - il * il)) *
                    cexp(-I * 2 * XCT_PI * dz_nm * il);
            }
            H[(size_t)r * np + c] = h;
        }
    }
    return 0;
}

int ts_xct_ptycho_create(const ts_xct_ptycho_geom *g, int npos, const int *pos,
                         ts_xct_ptycho **out)
{
    if (!g || !out || (npos > 0 && !pos) || npos < 1)
        return ts_error_set(TS_ERR_INVAL, "ptycho: geometry and at least one position needed");
    *out = NULL;
    if (g->np < 2 || g->n < 2 || g->nslices < 1 || g->nmodes < 1 || g->nslices > 1024 ||
        g->nmodes > 64)
        return ts_error_set(TS_ERR_INVAL, "ptycho: n, np >= 2, 1 <= slices <= 1024, 1 <= modes <= 64 "
                            "(got n %d, np %d, slices %d, modes %d)", g->n, g->np, g->nslices, g->nmodes);
    if (g->np > g->n)
        return ts_error_set(TS_ERR_RANGE, "ptycho: probe window %d px larger than the object %d px",
                            g->np, g->n);
    if (!(g->pixel_nm > 0) || !(g->lambda_nm > 0) || !isfinite(g->dz_nm) || g->dz_nm < 0)
        return ts_error_set(TS_ERR_INVAL, "ptycho: pixel > 0, lambda > 0, dz >= 0 (nm) needed");
    for (int j = 0; j < npos; j++) {
        int r = pos[2 * j], c = pos[2 * j + 1];
        if (r < 0 || c < 0 || r + g->np > g->n || c + g->np > g->n)
            return ts_error_set(TS_ERR_RANGE, "ptycho: position %d (%d, %d) puts the %d px probe "
                                "outside the %d px object", j, r, c, g->np, g->n);
    }
    ts_xct_ptycho *m = calloc(1, sizeof *m);
    TS_CHECK_ALLOC(m);
    m->g = *g;
    m->npos = npos;
    size_t nn = (size_t)g->np * g->np;
    m->pos = malloc((size_t)npos * 2 * sizeof *m->pos);
    m->H = fftw_malloc(nn * sizeof *m->H);
    double complex *tmp = fftw_malloc(nn * sizeof *tmp);
    if (!m->pos || !m->H || !tmp) {
        fftw_free(tmp);
        ts_xct_ptycho_destroy(m);
        return ts_error_set(TS_ERR_NOMEM, "ptycho: out of memory");
    }
    memcpy(m->pos, pos, (size_t)npos * 2 * sizeof *m->pos);
    int rc = ts_xct_ptycho_kernel(g->np, g->pixel_nm, g->dz_nm, g->lambda_nm, g->exact, m->H);
    if (!rc) {
        /* planner calls are not thread-safe: serialised by the caller's
         * thread; FFTW_ESTIMATE does not touch the array contents */
#pragma omp critical(ts_fftw_planner)
        {
            m->pf = fftw_plan_dft_2d(g->np, g->np, (fftw_complex *)tmp, (fftw_complex *)tmp,
                                     FFTW_FORWARD, FFTW_ESTIMATE);
            m->pb = fftw_plan_dft_2d(g->np, g->np, (fftw_complex *)tmp, (fftw_complex *)tmp,
                                     FFTW_BACKWARD, FFTW_ESTIMATE);
        }
        if (!m->pf || !m->pb) rc = ts_error_set(TS_ERR_NOMEM, "ptycho: FFTW plan failed");
    }
    fftw_free(tmp);
    if (rc) {
        ts_xct_ptycho_destroy(m);
        return rc;
    }
    *out = m;
    return 0;
}

void ts_xct_ptycho_destroy(ts_xct_ptycho *m)
{
    if (!m) return;
#pragma omp critical(ts_fftw_planner)
    {
        if (m->pf) fftw_destroy_plan(m->pf);
        if (m->pb) fftw_destroy_plan(m->pb);
    }
    fftw_free(m->H);
    free(m->pos);
    free(m);
}

const ts_xct_ptycho_geom *ts_xct_ptycho_geometry(const ts_xct_ptycho *m) { return &m->g; }
int ts_xct_ptycho_npos(const ts_xct_ptycho *m) { return m->npos; }
const int *ts_xct_ptycho_positions(const ts_xct_ptycho *m) { return m->pos; }

/* Unitary FFTs in place on an np x np array (fftw_malloc'd or not: new-array
 * execution needs the same alignment as the plan's array, guaranteed by
 * fftw_malloc; all work buffers here are fftw_malloc'd). */
void xct_ptycho_fft(const ts_xct_ptycho *m, int sign, double complex *u)
{
    fftw_execute_dft(sign < 0 ? m->pb : m->pf, (fftw_complex *)u, (fftw_complex *)u);
    size_t nn = (size_t)m->g.np * m->g.np;
    double s = 1.0 / m->g.np;
    for (size_t i = 0; i < nn; i++) u[i] *= s;
}

int ts_xct_ptycho_propagate(const ts_xct_ptycho *m, int sign, double complex *u)
{
    if (!m || !u) return ts_error_set(TS_ERR_INVAL, "ptycho propagate: NULL argument");
    size_t nn = (size_t)m->g.np * m->g.np;
    xct_ptycho_fft(m, +1, u);
    if (sign >= 0)
        for (size_t i = 0; i < nn; i++) u[i] *= m->H[i];
    else
        for (size_t i = 0; i < nn; i++) u[i] *= conj(m->H[i]);
    xct_ptycho_fft(m, -1, u);
    return 0;
}

/* ------------------------------------------------ per-position kernels */

int xct_ptycho_work_init(const ts_xct_ptycho *m, xct_ptycho_work *w)
{
    size_t nn = (size_t)m->g.np * m->g.np;
    size_t nu = nn * m->g.nmodes * m->g.nslices;
    w->u = fftw_malloc(nu * sizeof *w->u);
    w->psi = fftw_malloc(nn * m->g.nmodes * sizeof *w->psi);
    w->t = fftw_malloc(nn * sizeof *w->t);
    if (!w->u || !w->psi || !w->t) {
        xct_ptycho_work_free(w);
        return ts_error_set(TS_ERR_NOMEM, "ptycho: out of memory for work buffers");
    }
    return 0;
}

void xct_ptycho_work_free(xct_ptycho_work *w)
{
    fftw_free(w->u);
    fftw_free(w->psi);
    fftw_free(w->t);
    w->u = w->psi = w->t = NULL;
}

/* Exit waves of position j into w->psi[m] (real space); w->u[m][l] keeps the
 * wave incident on slice l (u^[1] = probe) for the gradient. */
void xct_ptycho_exit(const ts_xct_ptycho *m, int j, const double complex *obj,
                     const double complex *probe, xct_ptycho_work *w)
{
    const int np = m->g.np, n = m->g.n, L = m->g.nslices;
    const size_t nn = (size_t)np * np, n2 = (size_t)n * n;
    const int r0 = m->pos[2 * j], c0 = m->pos[2 * j + 1];
    for (int md = 0; md < m->g.nmodes; md++) {
        double complex *psi = w->psi + md * nn;
        memcpy(psi, probe + md * nn, nn * sizeof *psi);
        for (int l = 0; l < L; l++) {
            if (l > 0) ts_xct_ptycho_propagate(m, +1, psi);
            memcpy(w->u + ((size_t)md * L + l) * nn, psi, nn * sizeof *psi);
            const double complex *o = obj + l * n2 + (size_t)r0 * n + c0;
            for (int r = 0; r < np; r++)
                for (int c = 0; c < np; c++) psi[(size_t)r * np + c] *= o[(size_t)r * n + c];
        }
    }
}

int ts_xct_ptycho_exit_wave(const ts_xct_ptycho *m, int j, const double complex *obj,
                            const double complex *probe, double complex *psi)
{
    if (!m || !obj || !probe || !psi || j < 0 || j >= m->npos)
        return ts_error_set(TS_ERR_INVAL, "ptycho exit wave: bad argument");
    xct_ptycho_work w = {0};
    int rc = xct_ptycho_work_init(m, &w);
    if (rc) return rc;
    xct_ptycho_exit(m, j, obj, probe, &w);
    memcpy(psi, w.psi, (size_t)m->g.np * m->g.np * m->g.nmodes * sizeof *psi);
    xct_ptycho_work_free(&w);
    return 0;
}

int ts_xct_ptycho_forward(const ts_xct_ptycho *m, const double complex *obj,
                          const double complex *probe, double *Iout)
{
    if (!m || !obj || !probe || !Iout) return ts_error_set(TS_ERR_INVAL, "ptycho forward: NULL argument");
    const size_t nn = (size_t)m->g.np * m->g.np;
    int err = 0;
#pragma omp parallel if (!xct_in_parallel() && m->npos > 1)
    {
        xct_ptycho_work w = {0};
        int lrc = xct_ptycho_work_init(m, &w);
        if (lrc) {
#pragma omp atomic write
            err = lrc;
        }
#pragma omp for schedule(dynamic, 4)
        for (int j = 0; j < m->npos; j++) {
            if (lrc) continue;
            xct_ptycho_exit(m, j, obj, probe, &w);
            double *Ij = Iout + (size_t)j * nn;
            memset(Ij, 0, nn * sizeof *Ij);
            for (int md = 0; md < m->g.nmodes; md++) {
                double complex *psi = w.psi + md * nn;
                xct_ptycho_fft(m, +1, psi);
                for (size_t q = 0; q < nn; q++) Ij[q] += creal(psi[q]) * creal(psi[q]) +
                                                         cimag(psi[q]) * cimag(psi[q]);
            }
        }
        xct_ptycho_work_free(&w);
    }
    return err ? ts_error_set(TS_ERR_NOMEM, "ptycho forward: out of memory") : 0;
}

int ts_xct_ptycho_poisson(double *inten, size_t n, uint64_t seed)
{
    if (!inten && n) return ts_error_set(TS_ERR_INVAL, "ptycho poisson: NULL data");
    ts_rng *r = ts_rng_create(seed, 0x50747963ULL);
    if (!r) return ts_error_set(TS_ERR_NOMEM, "ptycho poisson: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!(inten[i] >= 0) || !isfinite(inten[i])) {
            ts_rng_destroy(r);
            return ts_error_set(TS_ERR_NUMERIC, "ptycho poisson: mean %g at %zu", inten[i], i);
        }
        inten[i] = inten[i] > 0 ? ts_rng_poisson(r, inten[i]) : 0.0;
    }
    ts_rng_destroy(r);
    return 0;
}

/* Loss of position j and, if gobj/gprobe, its gradient added into them.
 * w->psi must hold the exit waves (xct_ptycho_exit) on entry. */
double xct_ptycho_pos_grad(const ts_xct_ptycho *m, int j, const double complex *obj,
                           const double complex *probe, const double *Ij, xct_ptycho_work *w,
                           double complex *gobj, double complex *gprobe, double *illum)
{
    const int np = m->g.np, n = m->g.n, L = m->g.nslices, M = m->g.nmodes;
    const size_t nn = (size_t)np * np, n2 = (size_t)n * n;
    (void)probe; /* the waves incident on each slice (w->u) already carry it */
    const int r0 = m->pos[2 * j], c0 = m->pos[2 * j + 1];
    for (int md = 0; md < M; md++) xct_ptycho_fft(m, +1, w->psi + md * nn);
    double loss = 0;
    /* t = model amplitude, then the factor 2 (A - a)/A */
    for (size_t q = 0; q < nn; q++) {
        double s = 0;
        for (int md = 0; md < M; md++) {
            double complex z = w->psi[md * nn + q];
            s += creal(z) * creal(z) + cimag(z) * cimag(z);
        }
        double A = sqrt(s), a = sqrt(Ij[q] > 0 ? Ij[q] : 0);
        loss += (A - a) * (A - a);
        w->t[q] = A > 0 ? 2 * (A - a) / A : 0;
    }
    if (!gobj && !gprobe) return loss;
    for (int md = 0; md < M; md++) {
        double complex *g = w->psi + md * nn;
        for (size_t q = 0; q < nn; q++) g[q] *= creal(w->t[q]);
        xct_ptycho_fft(m, -1, g);
        for (int l = L - 1; l >= 0; l--) {
            const double complex *u = w->u + ((size_t)md * L + l) * nn;
            const double complex *o = obj + l * n2 + (size_t)r0 * n + c0;
            if (illum) {
                double *il = illum + l * n2 + (size_t)r0 * n + c0;
                for (int r = 0; r < np; r++)
                    for (int c = 0; c < np; c++) {
                        double complex z = u[(size_t)r * np + c];
                        il[(size_t)r * n + c] += creal(z) * creal(z) + cimag(z) * cimag(z);
                    }
            }
            if (gobj) {
                double complex *go = gobj + l * n2 + (size_t)r0 * n + c0;
                for (int r = 0; r < np; r++)
                    for (int c = 0; c < np; c++)
                        go[(size_t)r * n + c] += conj(u[(size_t)r * np + c]) * g[(size_t)r * np + c];
            }
            for (int r = 0; r < np; r++)
                for (int c = 0; c < np; c++) g[(size_t)r * np + c] *= conj(o[(size_t)r * n + c]);
            if (l > 0) ts_xct_ptycho_propagate(m, -1, g);
        }
        if (gprobe) {
            double complex *gp = gprobe + md * nn;
            for (size_t q = 0; q < nn; q++) gp[q] += g[q];
        }
    }
    return loss;
}

int ts_xct_ptycho_loss_grad(const ts_xct_ptycho *m, const double complex *obj,
                            const double complex *probe, const double *inten, double *loss,
                            double complex *gobj, double complex *gprobe)
{
    return xct_ptycho_loss_grad_ex(m, obj, probe, inten, loss, gobj, gprobe, NULL);
}

int xct_ptycho_loss_grad_ex(const ts_xct_ptycho *m, const double complex *obj,
                            const double complex *probe, const double *inten, double *loss,
                            double complex *gobj, double complex *gprobe, double *illum)
{
    if (!m || !obj || !probe || !inten) return ts_error_set(TS_ERR_INVAL, "ptycho loss: NULL argument");
    const size_t nn = (size_t)m->g.np * m->g.np;
    const size_t no = (size_t)m->g.n * m->g.n * m->g.nslices, npr = nn * m->g.nmodes;
    if (gobj) memset(gobj, 0, no * sizeof *gobj);
    if (gprobe) memset(gprobe, 0, npr * sizeof *gprobe);
    int nth = 1;
#ifdef _OPENMP
    if (!xct_in_parallel()) nth = omp_get_max_threads();
#endif
    if (nth > m->npos) nth = m->npos;
    /* per-thread gradient buffers (thread 0 writes straight into the output) */
    double complex *extra = NULL;
    double *iextra = NULL;
    if (illum) {
        memset(illum, 0, no * sizeof *illum);
        if (nth > 1) {
            iextra = calloc((size_t)(nth - 1) * no, sizeof *iextra);
            if (!iextra) nth = 1;
        }
    }
    size_t per = (gobj ? no : 0) + (gprobe ? npr : 0);
    if (nth > 1 && per) {
        extra = calloc((size_t)(nth - 1) * per, sizeof *extra);
        if (!extra) nth = 1;
    }
    double total = 0;
    int err = 0;
#pragma omp parallel num_threads(nth) reduction(+ : total) if (nth > 1)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double complex *go = gobj, *gp = gprobe;
        double *il = illum && tid > 0 ? iextra + (size_t)(tid - 1) * no : illum;
        if (tid > 0) {
            double complex *b = extra + (size_t)(tid - 1) * per;
            go = gobj ? b : NULL;
            gp = gprobe ? b + (gobj ? no : 0) : NULL;
        }
        xct_ptycho_work w = {0};
        int lrc = xct_ptycho_work_init(m, &w);
        if (lrc) {
#pragma omp atomic write
            err = lrc;
        }
#pragma omp for schedule(static)
        for (int j = 0; j < m->npos; j++) {
            if (lrc) continue;
            xct_ptycho_exit(m, j, obj, probe, &w);
            total += xct_ptycho_pos_grad(m, j, obj, probe, inten + (size_t)j * nn, &w, go, gp, il);
        }
        xct_ptycho_work_free(&w);
    }
    for (int t = 1; t < nth && extra; t++) {
        const double complex *b = extra + (size_t)(t - 1) * per;
        if (gobj)
            for (size_t i = 0; i < no; i++) gobj[i] += b[i];
        if (gprobe)
            for (size_t i = 0; i < npr; i++) gprobe[i] += b[(gobj ? no : 0) + i];
    }
    for (int t = 1; t < nth && iextra; t++)
        for (size_t i = 0; i < no; i++) illum[i] += iextra[(size_t)(t - 1) * no + i];
    free(iextra);
    free(extra);
    if (err) return ts_error_set(TS_ERR_NOMEM, "ptycho loss: out of memory");
    if (loss) *loss = total;
    return 0;
}

int ts_xct_ptycho_object_from_index(int n, int nslices, const float *delta_nm,
                                    const float *beta_nm, double lambda_nm, double complex *obj)
{
    if (n < 1 || nslices < 1 || !delta_nm || !beta_nm || !obj || !(lambda_nm > 0))
        return ts_error_set(TS_ERR_INVAL, "ptycho object: bad argument");
    double k = 2 * XCT_PI / lambda_nm;
    size_t tot = (size_t)n * n * nslices;
    for (size_t i = 0; i < tot; i++) {
        if (!isfinite(delta_nm[i]) || !isfinite(beta_nm[i]))
            return ts_error_set(TS_ERR_NUMERIC, "ptycho object: non-finite index at %zu", i);
        obj[i] = exp(-k * beta_nm[i]) * cexp(-I * k * delta_nm[i]);
    }
    return 0;
}
