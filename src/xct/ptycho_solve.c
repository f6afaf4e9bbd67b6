/* Ptychography: scans, probes and phase retrieval.
 *
 *  ePIE  Maiden & Rodenburg, Ultramicroscopy 109 (2009) 1256, eqs. (6)-(7):
 *        O += alpha conj(P) (psi' - psi) / max|P|^2,  P += beta conj(O) (psi' - psi) / max|O|^2
 *  rPIE  Maiden, Johnson & Li, Optica 4 (2017) 736, eq. (5):
 *        O += conj(P) (psi' - psi) / ((1 - alpha)|P|^2 + alpha max|P|^2)  (same for P)
 *  mixed states  Thibault & Menzel, Nature 494 (2013) 68: the modulus
 *        constraint scales every mode by sqrt(I) / sqrt(sum_m |Psi_m|^2), the
 *        object update sums over the modes.
 *  GRAD  the amplitude loss (notes/xct.md eq. 1) through the slices
 *        (src/xct/ptycho.c), preconditioned by the illumination, a diagonal
 *        Gauss-Newton step as in LSQ-ML (Odstrcil, Menzel & Guizar-Sicairos,
 *        Opt. Express 26 (2018) 3108); with one slice and unit step this
 *        is the error-reduction projection, which never increases the loss;
 *        steps that increase it are halved (backtracking, at most 6 times).
 *  Fermat spiral  Huang et al., Opt. Express 22 (2014) 12634. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptycho_internal.h"

/* ------------------------------------------------------------- scans */

static int check_step(int n, int np, double step)
{
    if (np < 2 || n < np)
        return ts_error_set(TS_ERR_RANGE, "ptycho scan: probe window %d px larger than the object %d px",
                            np, n);
    if (!(step >= 1) || !(step < np))
        return ts_error_set(TS_ERR_RANGE, "ptycho scan: step %g px must be in [1, %d) (the probe "
                            "window): neighbouring positions would not overlap", step, np);
    return 0;
}

int ts_xct_ptycho_scan_raster(int n, int np, double step, int **pos, int *npos)
{
    if (!pos || !npos) return ts_error_set(TS_ERR_INVAL, "ptycho scan: NULL output");
    *pos = NULL;
    *npos = 0;
    int rc = check_step(n, np, step);
    if (rc) return rc;
    int span = n - np, cnt = span > 0 ? (int)ceil(span / step) + 1 : 1;
    int *p = malloc((size_t)cnt * cnt * 2 * sizeof *p);
    TS_CHECK_ALLOC(p);
    for (int a = 0; a < cnt; a++)
        for (int b = 0; b < cnt; b++) {
            int k = a * cnt + b;
            p[2 * k] = cnt > 1 ? (int)lround((double)a * span / (cnt - 1)) : 0;
            p[2 * k + 1] = cnt > 1 ? (int)lround((double)b * span / (cnt - 1)) : 0;
        }
    *pos = p;
    *npos = cnt * cnt;
    return 0;
}

int ts_xct_ptycho_scan_fermat(int n, int np, double step, int **pos, int *npos)
{
    if (!pos || !npos) return ts_error_set(TS_ERR_INVAL, "ptycho scan: NULL output");
    *pos = NULL;
    *npos = 0;
    int rc = check_step(n, np, step);
    if (rc) return rc;
    double half = 0.5 * (n - np), c = step / sqrt(XCT_PI), rmax = half * sqrt(2.0) + step;
    const double golden = 137.508 * XCT_PI / 180;
    int cap = (int)(XCT_PI * rmax * rmax / (c * c)) + 2, cnt = 0;
    int *p = malloc((size_t)cap * 2 * sizeof *p);
    TS_CHECK_ALLOC(p);
    for (int k = 0; k < cap; k++) {
        double r = c * sqrt((double)k), ph = k * golden;
        if (r > rmax) break;
        double y = half + r * sin(ph), x = half + r * cos(ph);
        /* keep the points whose window lies in the object (within half a pixel) */
        if (y < -0.5 || x < -0.5 || y > n - np + 0.5 || x > n - np + 0.5) continue;
        int ry = (int)lround(y), rx = (int)lround(x);
        ry = ry < 0 ? 0 : ry > n - np ? n - np : ry;
        rx = rx < 0 ? 0 : rx > n - np ? n - np : rx;
        p[2 * cnt] = ry;
        p[2 * cnt + 1] = rx;
        cnt++;
    }
    *pos = p;
    *npos = cnt;
    return 0;
}

/* ------------------------------------------------------------ probes */

/* Modes 1.. from the base mode 0: base x polynomial, Gram-Schmidt, powers. */
static int make_modes(int np, int nmodes, double decay, double photons, double complex *probe)
{
    if (nmodes < 1 || !(photons > 0) || !(decay > 0))
        return ts_error_set(TS_ERR_INVAL, "ptycho probe: modes >= 1, photons > 0, decay > 0 needed");
    size_t nn = (size_t)np * np;
    double s = np / 4.0;
    for (int md = 1; md < nmodes; md++) {
        double complex *q = probe + md * nn;
        int deg = 1, idx = md;
        while (idx > deg + 1) { idx -= deg + 1; deg++; }
        int px = deg - (idx - 1), py = idx - 1; /* monomials x^px y^py of degree deg */
        for (int r = 0; r < np; r++)
            for (int c = 0; c < np; c++) {
                double x = (c - np / 2) / s, y = (r - np / 2) / s;
                q[(size_t)r * np + c] = probe[(size_t)r * np + c] * pow(x, px) * pow(y, py);
            }
    }
    for (int md = 0; md < nmodes; md++) {
        double complex *q = probe + md * nn;
        for (int k = 0; k < md; k++) {
            const double complex *b = probe + k * nn;
            double complex d = 0;
            for (size_t i = 0; i < nn; i++) d += conj(b[i]) * q[i];
            for (size_t i = 0; i < nn; i++) q[i] -= d * b[i];
        }
        double nrm = 0;
        for (size_t i = 0; i < nn; i++) nrm += creal(q[i] * conj(q[i]));
        if (!(nrm > 1e-300))
            return ts_error_set(TS_ERR_RANGE, "ptycho probe: mode %d is degenerate (window too small)", md);
        nrm = 1 / sqrt(nrm);
        for (size_t i = 0; i < nn; i++) q[i] *= nrm;
    }
    double wsum = 0;
    for (int md = 0; md < nmodes; md++) wsum += pow(decay, md);
    for (int md = 0; md < nmodes; md++) {
        double a = sqrt(photons * pow(decay, md) / wsum);
        for (size_t i = 0; i < nn; i++) probe[md * nn + i] *= a;
    }
    return 0;
}

int ts_xct_ptycho_probe_gaussian(int np, int nmodes, double sigma, double curv, double decay,
                                 double photons, double complex *probe)
{
    if (np < 2 || !probe || !(sigma > 0) || !isfinite(curv))
        return ts_error_set(TS_ERR_INVAL, "ptycho probe: np >= 2, sigma > 0 needed");
    for (int r = 0; r < np; r++)
        for (int c = 0; c < np; c++) {
            double x = c - np / 2, y = r - np / 2, r2 = x * x + y * y;
            probe[(size_t)r * np + c] = exp(-r2 / (2 * sigma * sigma)) * cexp(I * curv * r2);
        }
    return make_modes(np, nmodes, decay, photons, probe);
}

int ts_xct_ptycho_probe_zoneplate(int np, int nmodes, double na, double stop, double defocus_nm,
                                  double dx_nm, double lambda_nm, double decay, double photons,
                                  double complex *probe)
{
    if (np < 2 || !probe || !(na > 0) || na > 1 || !(stop >= 0) || stop >= 1 || !(dx_nm > 0) ||
        !(lambda_nm > 0) || !isfinite(defocus_nm))
        return ts_error_set(TS_ERR_INVAL, "ptycho zone plate: 0 < na <= 1, 0 <= stop < 1, dx, lambda > 0");
    size_t nn = (size_t)np * np;
    double fny = 0.5 / dx_nm, df = 1.0 / (np * dx_nm);
    /* pupil in centred frequency coordinates, then a centred inverse DFT
     * written directly (separable, O(np^3), np <= a few hundred) */
    double complex *pup = malloc(nn * sizeof *pup), *tmp = malloc(nn * sizeof *tmp),
                   *ew = malloc((size_t)np * np * sizeof *ew);
    if (!pup || !tmp || !ew) {
        free(pup); free(tmp); free(ew);
        return ts_error_set(TS_ERR_NOMEM, "ptycho zone plate: out of memory");
    }
    for (int r = 0; r < np; r++)
        for (int c = 0; c < np; c++) {
            double fy = (r - np / 2) * df, fx = (c - np / 2) * df, f = sqrt(fx * fx + fy * fy) / fny;
            pup[(size_t)r * np + c] = (f <= na && f >= stop * na)
                ? cexp(-I * XCT_PI * lambda_nm * defocus_nm * (f * fny) * (f * fny)) : 0;
        }
    for (int a = 0; a < np; a++)
        for (int b = 0; b < np; b++)
            ew[(size_t)a * np + b] = cexp(I * 2 * XCT_PI * (double)(a - np / 2) * (b - np / 2) / np);
    /* tmp[r][kc] -> over columns: tmp[r][x] = sum_kc pup[r][kc] e(x, kc) */
    for (int r = 0; r < np; r++)
        for (int x = 0; x < np; x++) {
            double complex s = 0;
            for (int k = 0; k < np; k++) s += pup[(size_t)r * np + k] * ew[(size_t)x * np + k];
            tmp[(size_t)r * np + x] = s;
        }
    for (int y = 0; y < np; y++)
        for (int x = 0; x < np; x++) {
            double complex s = 0;
            for (int k = 0; k < np; k++) s += tmp[(size_t)k * np + x] * ew[(size_t)y * np + k];
            probe[(size_t)y * np + x] = s;
        }
    free(pup); free(tmp); free(ew);
    return make_modes(np, nmodes, decay, photons, probe);
}

/* ------------------------------------------------------------ errors */

static double complex phase_factor(int npix, const double complex *o, const double complex *t,
                                   const uint8_t *mask)
{
    double complex s = 0;
    for (int i = 0; i < npix; i++)
        if (!mask || mask[i]) s += conj(o[i]) * t[i];
    return cabs(s) > 0 ? s / cabs(s) : 1;
}

int ts_xct_ptycho_phase_error(int npix, const double complex *obj, const double complex *truth,
                              const uint8_t *mask, double *out)
{
    if (npix < 1 || !obj || !truth || !out) return ts_error_set(TS_ERR_INVAL, "phase error: bad argument");
    double complex g = phase_factor(npix, obj, truth, mask);
    double s = 0;
    long cnt = 0;
    for (int i = 0; i < npix; i++)
        if (!mask || mask[i]) {
            double d = carg(obj[i] * g * conj(truth[i]));
            s += d * d;
            cnt++;
        }
    if (!cnt) return ts_error_set(TS_ERR_RANGE, "phase error: empty mask");
    *out = sqrt(s / cnt);
    return 0;
}

int ts_xct_ptycho_object_error(int npix, const double complex *obj, const double complex *truth,
                               const uint8_t *mask, double *out)
{
    if (npix < 1 || !obj || !truth || !out) return ts_error_set(TS_ERR_INVAL, "object error: bad argument");
    double complex g = phase_factor(npix, obj, truth, mask);
    double num = 0, den = 0;
    for (int i = 0; i < npix; i++)
        if (!mask || mask[i]) {
            double complex d = obj[i] * g - truth[i];
            num += creal(d * conj(d));
            den += creal(truth[i] * conj(truth[i]));
        }
    if (!(den > 0)) return ts_error_set(TS_ERR_RANGE, "object error: empty mask or zero truth");
    *out = sqrt(num / den);
    return 0;
}

/* illum[n][n] = sum_j sum_m |P_m(r - r_j)|^2 */
static void illumination(const ts_xct_ptycho *m, const double complex *probe, double *illum)
{
    const int np = m->g.np, n = m->g.n;
    const size_t nn = (size_t)np * np;
    memset(illum, 0, (size_t)n * n * sizeof *illum);
    for (int j = 0; j < m->npos; j++) {
        int r0 = m->pos[2 * j], c0 = m->pos[2 * j + 1];
        for (int md = 0; md < m->g.nmodes; md++)
            for (int r = 0; r < np; r++)
                for (int c = 0; c < np; c++) {
                    double complex p = probe[md * nn + (size_t)r * np + c];
                    illum[(size_t)(r0 + r) * n + c0 + c] += creal(p * conj(p));
                }
    }
}

int ts_xct_ptycho_illum_mask(const ts_xct_ptycho *m, const double complex *probe, double frac,
                             uint8_t *mask)
{
    if (!m || !probe || !mask) return ts_error_set(TS_ERR_INVAL, "illum mask: NULL argument");
    size_t n2 = (size_t)m->g.n * m->g.n;
    double *il = malloc(n2 * sizeof *il);
    TS_CHECK_ALLOC(il);
    illumination(m, probe, il);
    double mx = 0;
    for (size_t i = 0; i < n2; i++) mx = il[i] > mx ? il[i] : mx;
    for (size_t i = 0; i < n2; i++) mask[i] = mx > 0 && il[i] >= frac * mx;
    free(il);
    return 0;
}

/* ------------------------------------------------------------ solvers */

static const char *algo_names[] = {"epie", "rpie", "grad"};

int ts_xct_ptycho_algo_parse(const char *name, ts_xct_ptycho_algo *out)
{
    for (int a = 0; a < TS_XCT_PTYCHO_ALGO_COUNT_; a++)
        if (name && !strcmp(name, algo_names[a])) {
            *out = (ts_xct_ptycho_algo)a;
            return 0;
        }
    return ts_error_set(TS_ERR_INVAL, "unknown ptychography algorithm '%s' (expected epie, rpie, grad)",
                        name ? name : "");
}

const char *ts_xct_ptycho_algo_name(ts_xct_ptycho_algo a)
{
    return a >= 0 && a < TS_XCT_PTYCHO_ALGO_COUNT_ ? algo_names[a] : "?";
}

void ts_xct_ptycho_params_default(ts_xct_ptycho_params *p)
{
    memset(p, 0, sizeof *p);
    p->algo = TS_XCT_PTYCHO_EPIE;
    p->iters = 50;
    p->alpha = 1;
    p->beta = 1;
    p->probe_start = 2;
    p->seed = 1;
}

/* One ePIE / rPIE sweep in the order `order`; returns sum (A - a)^2. */
static double pie_sweep(const ts_xct_ptycho *m, const ts_xct_ptycho_params *p, int upd_probe,
                        const double *Iall, const int *order, double complex *obj,
                        double complex *probe, xct_ptycho_work *w, double complex *oold)
{
    const int np = m->g.np, n = m->g.n, M = m->g.nmodes;
    const size_t nn = (size_t)np * np;
    const int rpie = p->algo == TS_XCT_PTYCHO_RPIE;
    double err = 0;
    double complex *dpsi = w->u; /* M x nn, the u buffers are not needed here */
    for (int k = 0; k < m->npos; k++) {
        int j = order[k], r0 = m->pos[2 * j], c0 = m->pos[2 * j + 1];
        const double *Ij = Iall + (size_t)j * nn;
        double complex *o = obj + (size_t)r0 * n + c0;
        for (int r = 0; r < np; r++)
            memcpy(oold + (size_t)r * np, o + (size_t)r * n, np * sizeof *o);
        for (int md = 0; md < M; md++) {
            double complex *psi = w->psi + md * nn;
            const double complex *pr = probe + md * nn;
            for (size_t q = 0; q < nn; q++) psi[q] = pr[q] * oold[q];
            memcpy(dpsi + md * nn, psi, nn * sizeof *psi);
            xct_ptycho_fft(m, +1, psi);
        }
        for (size_t q = 0; q < nn; q++) {
            double s = 0;
            for (int md = 0; md < M; md++) {
                double complex z = w->psi[md * nn + q];
                s += creal(z) * creal(z) + cimag(z) * cimag(z);
            }
            double A = sqrt(s), a = sqrt(Ij[q] > 0 ? Ij[q] : 0);
            err += (A - a) * (A - a);
            double f = A > 1e-30 ? a / A : 1;
            for (int md = 0; md < M; md++) w->psi[md * nn + q] *= f;
        }
        double pmax = 0, omax = 0;
        for (size_t q = 0; q < nn; q++) {
            double s = 0;
            for (int md = 0; md < M; md++) s += creal(probe[md * nn + q] * conj(probe[md * nn + q]));
            w->t[q] = s;
            pmax = s > pmax ? s : pmax;
            double so = creal(oold[q] * conj(oold[q]));
            omax = so > omax ? so : omax;
        }
        for (int md = 0; md < M; md++) {
            double complex *psi = w->psi + md * nn, *d = dpsi + md * nn;
            xct_ptycho_fft(m, -1, psi);
            for (size_t q = 0; q < nn; q++) d[q] = psi[q] - d[q];
        }
        /* object */
        for (int r = 0; r < np; r++)
            for (int c = 0; c < np; c++) {
                size_t q = (size_t)r * np + c;
                double complex num = 0;
                for (int md = 0; md < M; md++) num += conj(probe[md * nn + q]) * dpsi[md * nn + q];
                double den = rpie ? (1 - p->alpha) * creal(w->t[q]) + p->alpha * pmax
                                  : pmax / p->alpha;
                if (den > 0) o[(size_t)r * n + c] += num / den;
            }
        if (!upd_probe) continue;
        for (int md = 0; md < M; md++)
            for (size_t q = 0; q < nn; q++) {
                double so = creal(oold[q] * conj(oold[q]));
                double den = rpie ? (1 - p->beta) * so + p->beta * omax : omax / p->beta;
                if (den > 0) probe[md * nn + q] += conj(oold[q]) * dpsi[md * nn + q] / den;
            }
    }
    return err;
}

static double data_norm(const double *inten, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += inten[i] > 0 ? inten[i] : 0;
    return s > 0 ? s : 1;
}

/* Preconditioned gradient step on obj (which = 0) or probe (1) with
 * backtracking; *loss in: current loss, out: the loss after the step. */
static int grad_step(const ts_xct_ptycho *m, int which, double *step_io, double step_max,
                     const double *inten, double complex *obj, double complex *probe,
                     double complex *g, double *prec, double complex *save, double *loss,
                     double *loss_after)
{
    const int n = m->g.n, np = m->g.np, L = m->g.nslices, M = m->g.nmodes;
    const size_t n2 = (size_t)n * n, nn = (size_t)np * np;
    /* preconditioner: 2 sum_j |u^[l]_j|^2, the wave incident on each slice
     * (object), or 2 sum_j |O^[1]_j|^2 (probe) */
    int rc = xct_ptycho_loss_grad_ex(m, obj, probe, inten, loss, which ? NULL : g, which ? g : NULL,
                                     which ? NULL : prec);
    if (rc) return rc;
    size_t tot = which ? nn * M : n2 * L;
    double complex *x = which ? probe : obj;
    if (which) {
        memset(prec, 0, nn * sizeof *prec);
        for (int j = 0; j < m->npos; j++) {
            const double complex *o = obj + (size_t)m->pos[2 * j] * n + m->pos[2 * j + 1];
            for (int r = 0; r < np; r++)
                for (int c = 0; c < np; c++)
                    prec[(size_t)r * np + c] += creal(o[(size_t)r * n + c] * conj(o[(size_t)r * n + c]));
        }
    }
    size_t np_ = which ? nn : n2 * L;
    double mx = 0;
    for (size_t i = 0; i < np_; i++) mx = prec[i] > mx ? prec[i] : mx;
    double eps = 1e-3 * mx + 1e-300;
    memcpy(save, x, tot * sizeof *x);
    double step = *step_io;
    for (int tries = 0; tries < 7; tries++) {
        for (size_t i = 0; i < tot; i++) x[i] = save[i] - step * g[i] / (2 * prec[i % np_] + 2 * eps);
        double l1;
        if ((rc = ts_xct_ptycho_loss_grad(m, obj, probe, inten, &l1, NULL, NULL))) return rc;
        if (l1 <= *loss || tries == 6) {
            if (l1 > *loss) { /* no decrease even at step/64: keep the old point */
                memcpy(x, save, tot * sizeof *x);
                *loss_after = *loss;
                *step_io = step;
                return 0;
            }
            *loss_after = l1;
            /* the next iteration starts from the accepted step, 1.5x larger
             * (up to step_max) when it was accepted at once */
            *step_io = tries == 0 ? fmin(step_max, 1.5 * step) : step;
            return 0;
        }
        step *= 0.5;
    }
    return 0;
}

int ts_xct_ptycho_reconstruct(const ts_xct_ptycho *m, const ts_xct_ptycho_params *p,
                              const double *inten, double complex *obj, double complex *probe,
                              ts_xct_ptycho_info *info)
{
    if (!m || !p || !inten || !obj || !probe) return ts_error_set(TS_ERR_INVAL, "ptycho recon: NULL argument");
    if (p->iters < 0 || !(p->alpha > 0) || !(p->beta > 0))
        return ts_error_set(TS_ERR_INVAL, "ptycho recon: iters >= 0, alpha > 0, beta > 0 needed");
    if ((p->algo == TS_XCT_PTYCHO_RPIE) && (p->alpha > 1 || p->beta > 1))
        return ts_error_set(TS_ERR_RANGE, "rPIE: alpha, beta in (0, 1]");
    if (p->algo != TS_XCT_PTYCHO_GRAD && m->g.nslices != 1)
        return ts_error_set(TS_ERR_UNSUPPORTED, "%s is single-slice here; use grad for %d slices",
                            ts_xct_ptycho_algo_name(p->algo), m->g.nslices);
    const int n = m->g.n, np = m->g.np, L = m->g.nslices, M = m->g.nmodes;
    const size_t n2 = (size_t)n * n, nn = (size_t)np * np, nI = nn * m->npos;
    const double inorm = data_norm(inten, nI);
    for (size_t i = 0; i < nI; i++)
        if (!isfinite(inten[i]) || inten[i] < 0)
            return ts_error_set(TS_ERR_NUMERIC, "ptycho recon: intensity %g at %zu", inten[i], i);
    uint8_t *mask = NULL;
    if (p->obj_true) {
        mask = malloc(n2);
        TS_CHECK_ALLOC(mask);
        ts_xct_ptycho_illum_mask(m, probe, 0.3, mask);
    }
    int rc = 0;
    xct_ptycho_work w = {0};
    int *order = NULL;
    double complex *g = NULL, *save = NULL, *oold = NULL;
    double *prec = NULL;
    ts_rng *rng = NULL;
    if (p->algo == TS_XCT_PTYCHO_GRAD) {
        size_t big = n2 * L > nn * M ? n2 * L : nn * M;
        g = malloc(big * sizeof *g);
        save = malloc(big * sizeof *save);
        prec = malloc((n2 * L > nn ? n2 * L : nn) * sizeof *prec);
        if (!g || !save || !prec) rc = ts_error_set(TS_ERR_NOMEM, "ptycho recon: out of memory");
    } else {
        order = malloc((size_t)m->npos * sizeof *order);
        oold = malloc(nn * sizeof *oold);
        rng = ts_rng_create(p->seed, 0x65504945ULL);
        if (!order || !oold || !rng) rc = ts_error_set(TS_ERR_NOMEM, "ptycho recon: out of memory");
        if (!rc) rc = xct_ptycho_work_init(m, &w);
    }
    int it = 0;
    double gloss = NAN;
    /* GRAD steps: the object's starts at alpha / L (every slice receives the
     * whole single-slice correction, which adds up L times in the exit
     * wave), the probe's at beta; each then continues from its last
     * accepted value (halved while the loss rises) */
    double ostep = p->alpha / L, pstep = p->beta;
    for (; !rc && it < p->iters; it++) {
        double derr;
        int upd_probe = it >= p->probe_start;
        if (p->algo == TS_XCT_PTYCHO_GRAD) {
            double l0, l0a, l1, l1a;
            rc = grad_step(m, 0, &ostep, p->alpha, inten, obj, probe, g, prec, save, &l0, &l0a);
            if (!rc && upd_probe)
                rc = grad_step(m, 1, &pstep, p->beta, inten, obj, probe, g, prec, save, &l1, &l1a);
            derr = l0 / inorm;
            gloss = l0;
        } else {
            for (int k = 0; k < m->npos; k++) {
                order[k] = p->order ? p->order[k] : k;
                if (order[k] < 0 || order[k] >= m->npos) {
                    rc = ts_error_set(TS_ERR_RANGE, "ptycho recon: order[%d] = %d outside 0 .. %d", k,
                                      order[k], m->npos - 1);
                    break;
                }
            }
            if (rc) break;
            for (int k = m->npos - 1; k > 0 && !p->order; k--) {
                int r = (int)ts_rng_uint(rng, (uint64_t)k + 1), t = order[k];
                order[k] = order[r];
                order[r] = t;
            }
            derr = pie_sweep(m, p, upd_probe, inten, order, obj, probe, &w, oold) / inorm;
        }
        if (rc) break;
        if (!isfinite(derr)) {
            rc = ts_error_set(TS_ERR_NUMERIC, "ptycho recon: data error is not finite at iteration %d", it);
            break;
        }
        if (info && info->data_error) info->data_error[it] = derr;
        if (info && info->object_error) {
            info->object_error[it] = NAN;
            if (p->obj_true) ts_xct_ptycho_object_error((int)n2, obj, p->obj_true, mask,
                                                        &info->object_error[it]);
        }
        if (p->progress) {
            char note[64];
            snprintf(note, sizeof note, "data error %.3e", derr);
            ts_progress_update(p->progress, it + 1, note);
        }
    }
    (void)gloss;
    if (info) info->iters = it;
    xct_ptycho_work_free(&w);
    ts_rng_destroy(rng);
    free(order); free(oold); free(g); free(save); free(prec); free(mask);
    return rc;
}
