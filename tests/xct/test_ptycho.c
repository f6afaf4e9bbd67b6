/* Ptychography forward model and gradients: unitarity, Parseval, the
 * propagator against NumPy and the mixed-state multislice model, its loss and
 * gradients against PyTorch autograd (tests/oracles/xct/make_ptycho_goldens.py),
 * gradients against central finite differences, scans and bad input. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ts_test.h"
#include "tinsel/xct.h"

#define PGOLDEN TS_SOURCE_DIR "/tests/oracles/xct/goldens_ptycho.h5"

/* Double-precision FFTs of <= 64^2 points: the round-off of a forward+inverse
 * pair is ~ log2(N) eps ~ 3e-15 relative; 1e-12 leaves a 300x margin. */
#define FFT_TOL 1e-12
/* Three slices, two modes, eight FFTs per mode: measured ~1e-15 relative
 * against PyTorch (both double); 1e-12 leaves a 1000x margin. */
#define MODEL_TOL 1e-12
/* Central differences with h = 1e-6 (relative to |z| ~ 1): truncation
 * O(h^2 L''') ~ 1e-12, cancellation eps L / h ~ 1e-10 L; 1e-6 relative
 * (plus 1e-7 of the largest gradient entry) leaves a wide margin. */
#define FD_H 1e-6
#define FD_TOL 1e-6

static double *gold(const char *name, size_t *n)
{
    int rank;
    size_t d[8], tot = 1;
    if (ts_h5_info(PGOLDEN, name, &rank, d)) return NULL;
    for (int i = 0; i < rank; i++) tot *= d[i];
    double *v = malloc(tot * sizeof *v);
    if (v && ts_h5_read_f64(PGOLDEN, name, NULL, NULL, v)) {
        free(v);
        return NULL;
    }
    if (n) *n = tot;
    return v;
}

static double maxabs_c(const double complex *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = cabs(a[i]) > m ? cabs(a[i]) : m;
    return m;
}

static double maxdiff_c(const double complex *a, const double *b_ri, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = cabs(a[i] - (b_ri[2 * i] + I * b_ri[2 * i + 1]));
        m = d > m ? d : m;
    }
    return m;
}

static ts_xct_ptycho *model(int n, int np, int L, int M, double dx, double dz, double lam,
                            int exact, int npos, const int *pos)
{
    ts_xct_ptycho_geom g = {n, L, np, M, dx, dz, lam, exact};
    ts_xct_ptycho *m = NULL;
    TS_CHECK_OK(ts_xct_ptycho_create(&g, npos, pos, &m));
    return m;
}

static void rand_c(ts_rng *r, double complex *v, size_t n, double a)
{
    for (size_t i = 0; i < n; i++) v[i] = a * (ts_rng_normal(r, 0, 1) + I * ts_rng_normal(r, 0, 1));
}

/* Propagator: |H| = 1, forward then backward = identity, Parseval,
 * paraxial -> exact as the angles shrink. */
static void test_unitarity(void)
{
    const int np = 64;
    int pos[2] = {0, 0};
    ts_rng *r = ts_rng_create(5, 0);
    double complex *u = malloc(np * np * sizeof *u), *v = malloc(np * np * sizeof *v);
    double complex *H = malloc(np * np * sizeof *H);
    for (int exact = 0; exact < 2; exact++) {
        ts_xct_ptycho *m = model(np, np, 2, 1, 10.0, 5000.0, 0.1409, exact, 1, pos);
        if (!m) break;
        TS_CHECK_OK(ts_xct_ptycho_kernel(np, 10.0, 5000.0, 0.1409, exact, H));
        double dev = 0;
        for (int i = 0; i < np * np; i++) dev = fmax(dev, fabs(cabs(H[i]) - 1));
        TS_CHECK(dev < FFT_TOL);
        rand_c(r, u, np * np, 1);
        memcpy(v, u, np * np * sizeof *u);
        double n0 = 0, n1 = 0, d = 0;
        for (int i = 0; i < np * np; i++) n0 += creal(u[i] * conj(u[i]));
        TS_CHECK_OK(ts_xct_ptycho_propagate(m, +1, v));
        for (int i = 0; i < np * np; i++) n1 += creal(v[i] * conj(v[i]));
        TS_CHECK_CLOSE(n1, n0, 0, FFT_TOL);  /* Parseval: the propagator is unitary */
        TS_CHECK_OK(ts_xct_ptycho_propagate(m, -1, v));
        for (int i = 0; i < np * np; i++) d = fmax(d, cabs(v[i] - u[i]));
        printf("exact %d: | |H| - 1 | %.2e, norm ratio - 1 %.2e, back-forth error %.2e\n", exact, dev,
               n1 / n0 - 1, d);
        TS_CHECK(d < FFT_TOL * maxabs_c(u, np * np));
        ts_xct_ptycho_destroy(m);
    }
    /* exact vs paraxial: phase difference pi lambda^3 dz f^4 / 4 at the edge */
    double complex *Hp = malloc(np * np * sizeof *Hp);
    TS_CHECK_OK(ts_xct_ptycho_kernel(np, 10.0, 5000.0, 0.1409, 1, H));
    TS_CHECK_OK(ts_xct_ptycho_kernel(np, 10.0, 5000.0, 0.1409, 0, Hp));
    double f = 0.5 / 10.0 * sqrt(2.0), pred = 3.14159265358979 * pow(0.1409, 3) * 5000 * pow(f, 4) / 4;
    double dmax = 0;
    for (int i = 0; i < np * np; i++) dmax = fmax(dmax, fabs(carg(H[i] * conj(Hp[i]))));
    printf("exact - paraxial max phase %.3e rad (next Taylor term %.3e)\n", dmax, pred);
    TS_CHECK_CLOSE(dmax, pred, 0, 1e-3);
    free(Hp);
    free(u); free(v); free(H);
    ts_rng_destroy(r);
}

/* Against NumPy's angular-spectrum propagator. */
static void test_propagator_numpy(void)
{
    size_t n;
    double *par = gold("prop_params", NULL), *in = gold("prop_in", &n);
    double *gp = gold("prop_paraxial", NULL), *ge = gold("prop_exact", NULL);
    TS_CHECK(par && in && gp && ge);
    if (!par || !in || !gp || !ge) return;
    int np = (int)par[0], pos[2] = {0, 0};
    size_t nn = (size_t)np * np;
    double complex *u = malloc(nn * sizeof *u);
    for (int exact = 0; exact < 2; exact++) {
        ts_xct_ptycho *m = model(np, np, 2, 1, par[1], par[3], par[2], exact, 1, pos);
        if (!m) break;
        for (size_t i = 0; i < nn; i++) u[i] = in[2 * i] + I * in[2 * i + 1];
        TS_CHECK_OK(ts_xct_ptycho_propagate(m, +1, u));
        double d = maxdiff_c(u, exact ? ge : gp, nn), s = maxabs_c(u, nn);
        printf("propagator vs numpy (%s): max |diff| %.3e of max %.3e\n", exact ? "exact" : "paraxial", d, s);
        TS_CHECK(d <= FFT_TOL * s);
        ts_xct_ptycho_destroy(m);
    }
    free(u); free(par); free(in); free(gp); free(ge);
}

/* Mixed-state multislice intensities, loss and gradients against PyTorch. */
static void test_model_torch(void)
{
    size_t npos2, no, npr, nI;
    double *par = gold("fwd_params", NULL), *posd = gold("fwd_pos", &npos2);
    double *o = gold("fwd_obj", &no), *p = gold("fwd_probe", &npr), *gI = gold("fwd_intensity", &nI);
    double *meas = gold("fwd_meas", NULL), *gl = gold("fwd_loss", NULL);
    double *ggo = gold("fwd_grad_obj", NULL), *ggp = gold("fwd_grad_probe", NULL);
    TS_CHECK(par && posd && o && p && gI && meas && gl && ggo && ggp);
    if (!(par && posd && o && p && gI && meas && gl && ggo && ggp)) return;
    int n = (int)par[0], np = (int)par[1], L = (int)par[2], M = (int)par[3], npos = (int)(npos2 / 2);
    int *pos = malloc(npos2 * sizeof *pos);
    for (size_t i = 0; i < npos2; i++) pos[i] = (int)posd[i];
    no /= 2;
    npr /= 2;
    double complex *obj = malloc(no * sizeof *obj), *pr = malloc(npr * sizeof *pr);
    double complex *go = malloc(no * sizeof *go), *gp = malloc(npr * sizeof *gp);
    double *Iout = malloc(nI * sizeof *Iout);
    for (size_t i = 0; i < no; i++) obj[i] = o[2 * i] + I * o[2 * i + 1];
    for (size_t i = 0; i < npr; i++) pr[i] = p[2 * i] + I * p[2 * i + 1];
    ts_xct_ptycho *m = model(n, np, L, M, par[4], par[5], par[6], 1, npos, pos);
    if (m) {
        TS_CHECK_OK(ts_xct_ptycho_forward(m, obj, pr, Iout));
        double d = 0, s = 0;
        for (size_t i = 0; i < nI; i++) {
            d = fmax(d, fabs(Iout[i] - gI[i]));
            s = fmax(s, fabs(gI[i]));
        }
        double loss;
        TS_CHECK_OK(ts_xct_ptycho_loss_grad(m, obj, pr, meas, &loss, go, gp));
        double dgo = maxdiff_c(go, ggo, no), dgp = maxdiff_c(gp, ggp, npr);
        double sgo = 0, sgp = 0;
        for (size_t i = 0; i < 2 * no; i++) sgo = fmax(sgo, fabs(ggo[i]));
        for (size_t i = 0; i < 2 * npr; i++) sgp = fmax(sgp, fabs(ggp[i]));
        printf("vs torch: intensity %.2e of %.2e; loss %.15g (torch %.15g); grad obj %.2e of %.2e; "
               "grad probe %.2e of %.2e\n", d, s, loss, gl[0], dgo, sgo, dgp, sgp);
        TS_CHECK(d <= MODEL_TOL * s);
        TS_CHECK_CLOSE(loss, gl[0], 0, MODEL_TOL);
        TS_CHECK(dgo <= MODEL_TOL * sgo);
        TS_CHECK(dgp <= MODEL_TOL * sgp);
        /* Parseval per position: sum_q I = sum_m ||exit wave||^2 */
        double complex *psi = malloc((size_t)M * np * np * sizeof *psi);
        for (int j = 0; j < npos; j++) {
            TS_CHECK_OK(ts_xct_ptycho_exit_wave(m, j, obj, pr, psi));
            double a = 0, b = 0;
            for (int i = 0; i < M * np * np; i++) a += creal(psi[i] * conj(psi[i]));
            for (int i = 0; i < np * np; i++) b += Iout[(size_t)j * np * np + i];
            TS_CHECK_CLOSE(b, a, 0, FFT_TOL);
        }
        free(psi);
    }
    ts_xct_ptycho_destroy(m);
    free(pos); free(obj); free(pr); free(go); free(gp); free(Iout);
    free(par); free(posd); free(o); free(p); free(gI); free(meas); free(gl); free(ggo); free(ggp);
}

/* Every gradient against central differences, paraxial and exact, 1-3
 * slices, 1-2 modes, random entries of every slice and mode. */
static void test_grad_fd(void)
{
    const int n = 24, np = 12;
    int pos[8] = {0, 0, 0, 12, 9, 5, 12, 12};
    ts_rng *r = ts_rng_create(11, 1);
    for (int cfg = 0; cfg < 3; cfg++) {
        int L = cfg + 1, M = cfg == 0 ? 1 : 2, exact = cfg == 2;
        ts_xct_ptycho *m = model(n, np, L, M, 10.0, 800.0, 0.1409, exact, 4, pos);
        if (!m) continue;
        size_t no = (size_t)L * n * n, npr = (size_t)M * np * np, nI = (size_t)4 * np * np;
        double complex *obj = malloc(no * sizeof *obj), *pr = malloc(npr * sizeof *pr);
        double complex *go = malloc(no * sizeof *go), *gp = malloc(npr * sizeof *gp);
        double *meas = malloc(nI * sizeof *meas);
        for (size_t i = 0; i < no; i++)
            obj[i] = (0.9 + 0.1 * ts_rng_uniform(r)) * cexp(I * ts_rng_normal(r, 0, 0.7));
        rand_c(r, pr, npr, 1);
        TS_CHECK_OK(ts_xct_ptycho_forward(m, obj, pr, meas));
        for (size_t i = 0; i < nI; i++) meas[i] *= 0.5 + ts_rng_uniform(r);
        double loss;
        TS_CHECK_OK(ts_xct_ptycho_loss_grad(m, obj, pr, meas, &loss, go, gp));
        double gmax = fmax(maxabs_c(go, no), maxabs_c(gp, npr)), worst = 0;
        for (int k = 0; k < 24; k++) {
            int is_probe = k % 2;
            size_t idx;
            double complex *x;
            if (is_probe) {
                idx = ts_rng_uint(r, npr);
                x = pr;
            } else { /* an illuminated object pixel: inside a scan window */
                int l = (int)ts_rng_uint(r, L), j = (int)ts_rng_uint(r, 4);
                idx = (size_t)l * n * n + (size_t)(pos[2 * j] + ts_rng_uint(r, np)) * n +
                      pos[2 * j + 1] + ts_rng_uint(r, np);
                x = obj;
            }
            double complex gexact = is_probe ? gp[idx] : go[idx], x0 = x[idx];
            double fd[2];
            for (int part = 0; part < 2; part++) {
                double complex hv = part ? I * FD_H : FD_H;
                double a, b;
                x[idx] = x0 + hv;
                TS_CHECK_OK(ts_xct_ptycho_loss_grad(m, obj, pr, meas, &a, NULL, NULL));
                x[idx] = x0 - hv;
                TS_CHECK_OK(ts_xct_ptycho_loss_grad(m, obj, pr, meas, &b, NULL, NULL));
                x[idx] = x0;
                fd[part] = (a - b) / (2 * FD_H);
            }
            double err = cabs(gexact - (fd[0] + I * fd[1]));
            worst = fmax(worst, err / (1e-1 * gmax + cabs(gexact)));
            TS_CHECK_MSG(err <= FD_TOL * cabs(gexact) + 1e-7 * gmax,
                         "cfg %d %s[%zu]: analytic %.10g%+.10gi fd %.10g%+.10gi", cfg,
                         is_probe ? "probe" : "obj", idx, creal(gexact), cimag(gexact), fd[0], fd[1]);
        }
        printf("FD check L=%d M=%d %s: worst relative error %.2e (loss %.4g)\n", L, M,
               exact ? "exact" : "paraxial", worst, loss);
        ts_xct_ptycho_destroy(m);
        free(obj); free(pr); free(go); free(gp); free(meas);
    }
    ts_rng_destroy(r);
}

static void test_scans_and_errors(void)
{
    int *pos = NULL, npos = 0;
    TS_CHECK_OK(ts_xct_ptycho_scan_raster(64, 16, 4, &pos, &npos));
    TS_CHECK(npos == 13 * 13);
    int ok = 1;
    for (int j = 0; j < npos; j++) ok &= pos[2 * j] >= 0 && pos[2 * j] + 16 <= 64 && pos[2 * j + 1] + 16 <= 64;
    TS_CHECK(ok && pos[2 * (npos - 1)] == 48);
    free(pos);
    TS_CHECK_OK(ts_xct_ptycho_scan_fermat(128, 32, 6, &pos, &npos));
    /* each point owns step^2 of the (n - np)^2 span: about 96^2/36 = 256 */
    printf("fermat: %d positions (span^2/step^2 = %.0f)\n", npos, 96.0 * 96 / 36);
    TS_CHECK(npos > 200 && npos < 330);
    double mean_nn = 0;
    for (int a = 0; a < npos; a++) {
        double best = 1e30;
        for (int b = 0; b < npos; b++)
            if (a != b) {
                double dy = pos[2 * a] - pos[2 * b], dx = pos[2 * a + 1] - pos[2 * b + 1];
                best = fmin(best, sqrt(dx * dx + dy * dy));
            }
        mean_nn += best / npos;
    }
    printf("fermat: mean nearest-neighbour distance %.2f px for step 6\n", mean_nn);
    TS_CHECK(mean_nn > 4.0 && mean_nn < 7.5);
    free(pos);
    /* bad input */
    TS_CHECK_ERR(ts_xct_ptycho_scan_raster(16, 32, 4, &pos, &npos), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_xct_ptycho_scan_raster(64, 16, 16, &pos, &npos), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_xct_ptycho_scan_fermat(64, 16, 20, &pos, &npos), TS_ERR_RANGE);
    ts_xct_ptycho_geom g = {16, 1, 32, 1, 10, 0, 0.14, 1};
    ts_xct_ptycho *m = NULL;
    int p0[2] = {0, 0}, p1[2] = {10, 0};
    TS_CHECK_ERR(ts_xct_ptycho_create(&g, 1, p0, &m), TS_ERR_RANGE);
    g.np = 8;
    TS_CHECK_ERR(ts_xct_ptycho_create(&g, 1, p1, &m), TS_ERR_RANGE);
    TS_CHECK(m == NULL);
    /* probes: power and orthogonality of the modes */
    double complex *pr = malloc(3 * 32 * 32 * sizeof *pr);
    TS_CHECK_OK(ts_xct_ptycho_probe_zoneplate(32, 3, 0.5, 0.3, 2000, 10, 0.1409, 0.5, 1e6, pr));
    double tot = 0, cross = 0, p0n = 0;
    for (int i = 0; i < 3 * 32 * 32; i++) tot += creal(pr[i] * conj(pr[i]));
    for (int i = 0; i < 32 * 32; i++) p0n += creal(pr[i] * conj(pr[i]));
    double complex c01 = 0;
    for (int i = 0; i < 32 * 32; i++) c01 += conj(pr[i]) * pr[32 * 32 + i];
    cross = cabs(c01) / 1e6;
    TS_CHECK_CLOSE(tot, 1e6, 0, 1e-12);
    TS_CHECK_CLOSE(p0n, 1e6 / 1.75, 0, 1e-12);
    TS_CHECK(cross < 1e-12);
    free(pr);
}

/* Slabs add up to the projection; the back-rotation of a uniform disc
 * returns the uniform value. */
static void test_slabs(void)
{
    const int n = 48, ny = 3, L = 4;
    size_t n2 = (size_t)n * n;
    float *vol = calloc(ny * n2, sizeof *vol), *sl = malloc(L * n2 * sizeof *sl);
    float *acc = calloc(ny * n2, sizeof *acc), *w = calloc(ny * n2, sizeof *w);
    ts_rng *r = ts_rng_create(3, 3);
    for (int y = 0; y < ny; y++)
        for (int i = 0; i < n * n; i++) {
            int row = i / n, col = i % n;
            double dx = col - n / 2, dy = n / 2 - row;
            vol[y * n2 + i] = dx * dx + dy * dy < 20 * 20 ? (float)(y == 0 ? 2e-5 : ts_rng_uniform(r)) : 0;
        }
    double theta = 0.37, worst = 0, dev = 0;
    TS_CHECK_OK(ts_xct_slab_project(n, ny, vol, theta, L, 14.0, sl));
    ts_xct_geom *g = NULL;
    ts_xct_op *op = NULL;
    TS_CHECK_OK(ts_xct_geom_create(n, n, 1, &theta, -1, &g));
    TS_CHECK_OK(ts_xct_op_joseph_create(g, &op));
    float full[48];
    for (int y = 0; y < ny && op; y++) {
        op->forward(op, vol + y * n2, full);
        for (int k = 0; k < n; k++) {
            double s = 0;
            for (int l = 0; l < L; l++) s += sl[l * n2 + (size_t)y * n + k];
            worst = fmax(worst, fabs(s - 14.0 * full[k]) / (14.0 * 40 * 1.0));
        }
    }
    printf("slab sum vs projection: max rel %.2e\n", worst);
    TS_CHECK(worst < 1e-5); /* float sums of ~50 terms */
    TS_CHECK_OK(ts_xct_slab_backproject_add(n, ny, sl, theta, L, 14.0, acc, w));
    long cnt = 0;
    for (int i = 0; i < n * n; i++) {
        int row = i / n, col = i % n;
        double dx = col - n / 2, dy = n / 2 - row;
        if (dx * dx + dy * dy < 12 * 12 && w[i] > 0) {
            dev = fmax(dev, fabs(acc[i] / w[i] - 2e-5) / 2e-5);
            cnt++;
        }
    }
    /* inside the disc (away from its edge) every ray segment has the mean
     * 2e-5 exactly (path lengths from the same projector); float round-off */
    printf("back-rotation of a uniform disc: %ld px, max rel deviation %.3e\n", cnt, dev);
    TS_CHECK(cnt > 300 && dev < 1e-5);
    ts_xct_op_destroy(op);
    ts_xct_geom_destroy(g);
    ts_rng_destroy(r);
    free(vol); free(sl); free(acc); free(w);
}

/* ePIE and rPIE (object and probe, two modes, two sweeps in a fixed order)
 * against the NumPy transcription of the papers' update rules. */
static void test_pie_numpy(void)
{
    size_t npos2, nI;
    double *par = gold("pie_params", NULL), *posd = gold("pie_pos", &npos2), *ord = gold("pie_order", NULL);
    double *I2 = gold("pie_intensity", &nI), *p0 = gold("pie_probe_start", NULL);
    TS_CHECK(par && posd && ord && I2 && p0);
    if (!(par && posd && ord && I2 && p0)) return;
    int n = (int)par[0], np = (int)par[1], M = (int)par[2], npos = (int)(npos2 / 2);
    int *pos = malloc(npos2 * sizeof *pos), *order = malloc(npos * sizeof *order);
    for (size_t i = 0; i < npos2; i++) pos[i] = (int)posd[i];
    for (int i = 0; i < npos; i++) order[i] = (int)ord[i];
    ts_xct_ptycho *m = model(n, np, 1, M, 10.0, 0, 0.1409, 1, npos, pos);
    size_t no = (size_t)n * n, npr = (size_t)M * np * np;
    double complex *o = malloc(no * sizeof *o), *pr = malloc(npr * sizeof *pr);
    const char *names[2] = {"epie", "rpie"};
    double al[2] = {1.0, 0.3}, be[2] = {0.9, 0.5};
    for (int a = 0; a < 2 && m; a++) {
        char on[32], pn[32];
        snprintf(on, sizeof on, "%s_object", names[a]);
        snprintf(pn, sizeof pn, "%s_probe", names[a]);
        double *go = gold(on, NULL), *gp = gold(pn, NULL);
        TS_CHECK(go && gp);
        if (!go || !gp) break;
        for (size_t i = 0; i < no; i++) o[i] = 1;
        for (size_t i = 0; i < npr; i++) pr[i] = p0[2 * i] + I * p0[2 * i + 1];
        ts_xct_ptycho_params p;
        ts_xct_ptycho_params_default(&p);
        p.algo = a ? TS_XCT_PTYCHO_RPIE : TS_XCT_PTYCHO_EPIE;
        p.iters = 2;
        p.alpha = al[a];
        p.beta = be[a];
        p.probe_start = 0;
        p.order = order;
        TS_CHECK_OK(ts_xct_ptycho_reconstruct(m, &p, I2, o, pr, NULL));
        double dO = maxdiff_c(o, go, no), dP = maxdiff_c(pr, gp, npr);
        double sO = 0, sP = 0;
        for (size_t i = 0; i < 2 * no; i++) sO = fmax(sO, fabs(go[i]));
        for (size_t i = 0; i < 2 * npr; i++) sP = fmax(sP, fabs(gp[i]));
        printf("%s vs numpy after 2 sweeps: object %.2e of %.2e, probe %.2e of %.2e\n", names[a], dO, sO,
               dP, sP);
        TS_CHECK(dO <= MODEL_TOL * sO);
        TS_CHECK(dP <= MODEL_TOL * sP);
        free(go);
        free(gp);
    }
    ts_xct_ptycho_destroy(m);
    free(o); free(pr); free(pos); free(order); free(par); free(posd); free(ord); free(I2); free(p0);
}

/* The threaded loss/gradient (per-thread buffers, summed) against the
 * same computation on one thread: equal to rounding. */
static void test_threads(void)
{
#ifdef _OPENMP
    const int n = 40, np = 16, L = 2, M = 2;
    int *pos = NULL, npos = 0;
    TS_CHECK_OK(ts_xct_ptycho_scan_raster(n, np, 4, &pos, &npos));
    ts_xct_ptycho *m = model(n, np, L, M, 10.0, 500.0, 0.1409, 1, npos, pos);
    ts_rng *r = ts_rng_create(9, 9);
    size_t no = (size_t)L * n * n, npr = (size_t)M * np * np, nI = (size_t)npos * np * np;
    double complex *obj = malloc(no * sizeof *obj), *pr = malloc(npr * sizeof *pr);
    double complex *g1 = malloc(no * sizeof *g1), *g2 = malloc(no * sizeof *g2);
    double complex *p1 = malloc(npr * sizeof *p1), *p2 = malloc(npr * sizeof *p2);
    double *meas = malloc(nI * sizeof *meas), *I1 = malloc(nI * sizeof *I1);
    for (size_t i = 0; i < no; i++) obj[i] = cexp(I * ts_rng_normal(r, 0, 0.5));
    rand_c(r, pr, npr, 1);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    double l1, l2;
    TS_CHECK_OK(ts_xct_ptycho_forward(m, obj, pr, meas));
    for (size_t i = 0; i < nI; i++) meas[i] *= 0.8 + 0.4 * ts_rng_uniform(r);
    TS_CHECK_OK(ts_xct_ptycho_forward(m, obj, pr, I1));
    TS_CHECK_OK(ts_xct_ptycho_loss_grad(m, obj, pr, meas, &l1, g1, p1));
    omp_set_num_threads(3);
    double *I3 = malloc(nI * sizeof *I3);
    TS_CHECK_OK(ts_xct_ptycho_forward(m, obj, pr, I3));
    TS_CHECK_OK(ts_xct_ptycho_loss_grad(m, obj, pr, meas, &l2, g2, p2));
    omp_set_num_threads(saved);
    double dI = 0, dg = 0, dp = 0;
    for (size_t i = 0; i < nI; i++) dI = fmax(dI, fabs(I3[i] - I1[i]));
    for (size_t i = 0; i < no; i++) dg = fmax(dg, cabs(g2[i] - g1[i]));
    for (size_t i = 0; i < npr; i++) dp = fmax(dp, cabs(p2[i] - p1[i]));
    printf("3 threads vs 1: intensity %.1e (bitwise per position), loss rel %.1e, grad obj %.1e of %.1e, "
           "grad probe %.1e of %.1e\n", dI, fabs(l2 / l1 - 1), dg, maxabs_c(g1, no), dp, maxabs_c(p1, npr));
    TS_CHECK(dI == 0);
    TS_CHECK_CLOSE(l2, l1, 0, MODEL_TOL);
    TS_CHECK(dg <= MODEL_TOL * maxabs_c(g1, no));
    TS_CHECK(dp <= MODEL_TOL * maxabs_c(p1, npr));
    ts_xct_ptycho_destroy(m);
    ts_rng_destroy(r);
    free(pos); free(obj); free(pr); free(g1); free(g2); free(p1); free(p2); free(meas); free(I1); free(I3);
#endif
}

int main(void)
{
    TS_RUN(test_threads);
    TS_RUN(test_pie_numpy);
    TS_RUN(test_slabs);
    TS_RUN(test_unitarity);
    TS_RUN(test_propagator_numpy);
    TS_RUN(test_model_torch);
    TS_RUN(test_grad_fd);
    TS_RUN(test_scans_and_errors);
    return ts_test_summary();
}
