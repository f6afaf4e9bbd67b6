/* PFHub benchmark 1 (spinodal decomposition), 2D, with FFTW.
 *
 * Model (PFHub BM1, usnistgov/pfhub, public domain; notes/phasefield.md):
 *   F = int [ rho (c - ca)^2 (cb - c)^2 + kappa/2 |grad c|^2 ] dA,
 *   dc/dt = div( M grad( f'(c) - kappa lap c ) ).
 * 1a: periodic square (FFTW r2c/c2r, nodes x = i dx); 1b: zero-flux square
 * (cell centres x = (i + 1/2) dx, DCT-II / DCT-III = FFTW REDFT10 / REDFT01).
 * Both use the eigenvalues of the second-order finite-difference Laplacian,
 *   periodic: lam_m = -(2 - 2 cos(2 pi m / N)) / dx^2,
 *   zero flux: lam_m = -(2 - 2 cos(pi m / N)) / dx^2,
 * so the discrete energy (forward differences) is the one the scheme decreases.
 * Linearly stabilised semi-implicit step (Eyre / Chen-Shen), S >= max|f''|/2:
 *   c^{n+1}^ (1 - dt M lam S + dt M kappa lam^2) = c^n^ + dt M lam (f'(c^n)^ - S c^n^).
 */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/pf.h"

struct ts_pf_bm1 {
    ts_pf_bm1_params p;
    double t;
    long steps;
    double *c, *w;             /* [ny][nx] real fields */
    double *lam;               /* eigenvalue per spectral index (real-space layout size) */
    fftw_complex *ch, *wh;     /* periodic: [ny][nx/2+1] */
    double *cr, *wr;           /* zero flux: [ny][nx] cosine coefficients */
    fftw_plan fc, fw, bc;      /* forward c, forward w, backward */
    size_t nspec;
};

void ts_pf_bm1_default(ts_pf_bm1_params *p, int variant_b)
{
    p->nx = p->ny = 200;
    p->dx = 1.0;
    p->periodic = !variant_b;
    p->rho = 5.0;
    p->ca = 0.3;
    p->cb = 0.7;
    p->kappa = 2.0;
    p->M = 5.0;
    p->c0 = 0.5;
    p->eps = 0.01;
    p->S = 2.0;
}

static double fchem(const ts_pf_bm1_params *p, double c)
{
    double a = c - p->ca, b = p->cb - c;
    return p->rho * a * a * b * b;
}

static double dfchem(const ts_pf_bm1_params *p, double c)
{
    double a = c - p->ca, b = p->cb - c;
    return 2.0 * p->rho * a * b * (b - a);
}

void ts_pf_bm1_destroy(ts_pf_bm1 *s)
{
    if (!s) return;
    if (s->fc) fftw_destroy_plan(s->fc);
    if (s->fw) fftw_destroy_plan(s->fw);
    if (s->bc) fftw_destroy_plan(s->bc);
    fftw_free(s->c);
    fftw_free(s->w);
    fftw_free(s->ch);
    fftw_free(s->wh);
    fftw_free(s->cr);
    fftw_free(s->wr);
    free(s->lam);
    free(s);
}

int ts_pf_bm1_create(const ts_pf_bm1_params *p, ts_pf_bm1 **out)
{
    *out = NULL;
    if (p->nx < 4 || p->ny < 4 || !(p->dx > 0) || !(p->kappa > 0) || !(p->M > 0) || !(p->S >= 0))
        return ts_error_set(TS_ERR_RANGE, "spinodal: need nx, ny >= 4 and dx, kappa, M > 0, S >= 0");
    ts_pf_bm1 *s = calloc(1, sizeof *s);
    TS_CHECK_ALLOC(s);
    s->p = *p;
    int nx = p->nx, ny = p->ny;
    size_t nr = (size_t)nx * ny;
    s->c = fftw_alloc_real(nr);
    s->w = fftw_alloc_real(nr);
    int ok = s->c && s->w;
    if (p->periodic) {
        s->nspec = (size_t)ny * (nx / 2 + 1);
        s->ch = fftw_alloc_complex(s->nspec);
        s->wh = fftw_alloc_complex(s->nspec);
        ok = ok && s->ch && s->wh;
    } else {
        s->nspec = nr;
        s->cr = fftw_alloc_real(nr);
        s->wr = fftw_alloc_real(nr);
        ok = ok && s->cr && s->wr;
    }
    s->lam = malloc(s->nspec * sizeof(double));
    if (!ok || !s->lam) {
        ts_pf_bm1_destroy(s);
        return ts_error_set(TS_ERR_NOMEM, "spinodal: out of memory for %d x %d", nx, ny);
    }
    double pi = 3.14159265358979323846, h2 = p->dx * p->dx;
    if (p->periodic) {
        s->fc = fftw_plan_dft_r2c_2d(ny, nx, s->c, s->ch, FFTW_ESTIMATE);
        s->fw = fftw_plan_dft_r2c_2d(ny, nx, s->w, s->wh, FFTW_ESTIMATE);
        s->bc = fftw_plan_dft_c2r_2d(ny, nx, s->ch, s->c, FFTW_ESTIMATE);
        for (int j = 0; j < ny; j++)
            for (int i = 0; i <= nx / 2; i++)
                s->lam[(size_t)j * (nx / 2 + 1) + i] =
                    -(2 - 2 * cos(2 * pi * i / nx)) / h2 - (2 - 2 * cos(2 * pi * j / ny)) / h2;
    } else {
        s->fc = fftw_plan_r2r_2d(ny, nx, s->c, s->cr, FFTW_REDFT10, FFTW_REDFT10, FFTW_ESTIMATE);
        s->fw = fftw_plan_r2r_2d(ny, nx, s->w, s->wr, FFTW_REDFT10, FFTW_REDFT10, FFTW_ESTIMATE);
        s->bc = fftw_plan_r2r_2d(ny, nx, s->cr, s->c, FFTW_REDFT01, FFTW_REDFT01, FFTW_ESTIMATE);
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++)
                s->lam[(size_t)j * nx + i] = -(2 - 2 * cos(pi * i / nx)) / h2 - (2 - 2 * cos(pi * j / ny)) / h2;
    }
    if (!s->fc || !s->fw || !s->bc) {
        ts_pf_bm1_destroy(s);
        return ts_error_set(TS_ERR_NOMEM, "spinodal: FFTW planning failed");
    }
    /* PFHub initial condition */
    double off = p->periodic ? 0.0 : 0.5;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double x = (i + off) * p->dx, y = (j + off) * p->dx;
            double q = cos(0.13 * x) * cos(0.087 * y);
            s->c[(size_t)j * nx + i] =
                p->c0 + p->eps * (cos(0.105 * x) * cos(0.11 * y) + q * q +
                                  cos(0.025 * x - 0.15 * y) * cos(0.07 * x - 0.02 * y));
        }
    *out = s;
    return 0;
}

int ts_pf_bm1_set_field(ts_pf_bm1 *s, const double *c)
{
    memcpy(s->c, c, (size_t)s->p.nx * s->p.ny * sizeof(double));
    return 0;
}

int ts_pf_bm1_step(ts_pf_bm1 *s, double dt)
{
    const ts_pf_bm1_params *p = &s->p;
    size_t nr = (size_t)p->nx * p->ny;
    for (size_t k = 0; k < nr; k++) s->w[k] = dfchem(p, s->c[k]) - p->S * s->c[k];
    fftw_execute(s->fc);
    fftw_execute(s->fw);
    double norm = p->periodic ? 1.0 / (double)nr : 1.0 / (4.0 * (double)nr);
    for (size_t k = 0; k < s->nspec; k++) {
        double lam = s->lam[k];
        double den = 1.0 - dt * p->M * lam * p->S + dt * p->M * p->kappa * lam * lam;
        double g = dt * p->M * lam;
        if (p->periodic) {
            s->ch[k][0] = (s->ch[k][0] + g * s->wh[k][0]) / den * norm;
            s->ch[k][1] = (s->ch[k][1] + g * s->wh[k][1]) / den * norm;
        } else {
            s->cr[k] = (s->cr[k] + g * s->wr[k]) / den * norm;
        }
    }
    fftw_execute(s->bc);
    for (size_t k = 0; k < nr; k++)
        if (!isfinite(s->c[k]))
            return ts_error_set(TS_ERR_NUMERIC, "spinodal: non-finite c at step %ld, point (%zu, %zu)",
                                s->steps + 1, k % (size_t)p->nx, k / (size_t)p->nx);
    s->t += dt;
    s->steps++;
    return 0;
}

double ts_pf_bm1_energy(const ts_pf_bm1 *s)
{
    const ts_pf_bm1_params *p = &s->p;
    int nx = p->nx, ny = p->ny;
    double e = 0, h = p->dx;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double c = s->c[(size_t)j * nx + i];
            e += fchem(p, c);
            int ip = i + 1, jp = j + 1;
            if (p->periodic) {
                ip %= nx;
                jp %= ny;
            }
            if (ip < nx) {
                double g = (s->c[(size_t)j * nx + ip] - c) / h;
                e += 0.5 * p->kappa * g * g;
            }
            if (jp < ny) {
                double g = (s->c[(size_t)jp * nx + i] - c) / h;
                e += 0.5 * p->kappa * g * g;
            }
        }
    return e * h * h;
}

void ts_pf_bm1_rewind_(ts_pf_bm1 *s, double dt)
{
    s->t -= dt;
    s->steps--;
}

const double *ts_pf_bm1_field(const ts_pf_bm1 *s) { return s->c; }
double ts_pf_bm1_time(const ts_pf_bm1 *s) { return s->t; }
