/* Mean-field VI (src/em/vi.c) on a problem with a known Gaussian posterior:
 * Bayesian linear regression y = X β + e, e ~ N(0, σ² I), prior
 * β ~ N(0, α⁻¹ I). The posterior is N(m, Λ⁻¹) with Λ = α I + XᵀX/σ² and
 * m = Λ⁻¹ Xᵀy/σ² (closed form, solved here with LAPACK's Cholesky, an
 * independent computation); the mean-field optimum is μ = m exactly and
 * s_i² = 1/Λ_ii. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

#include "tinsel/em.h"
#include "ts_test.h"

enum { NOBS = 60, NP = 6 };

typedef struct {
    double X[NOBS][NP], y[NOBS], sigma, alpha;
} blr;

static int blr_potential(void *ctx, const double *b, double *U, double *g)
{
    const blr *p = ctx;
    double u = 0;
    for (int i = 0; i < NP; i++) {
        g[i] = p->alpha * b[i];
        u += 0.5 * p->alpha * b[i] * b[i];
    }
    for (int k = 0; k < NOBS; k++) {
        double r = -p->y[k];
        for (int i = 0; i < NP; i++)
            r += p->X[k][i] * b[i];
        u += r * r / (2 * p->sigma * p->sigma);
        for (int i = 0; i < NP; i++)
            g[i] += r * p->X[k][i] / (p->sigma * p->sigma);
    }
    *U = u;
    return 0;
}

static void test_vi_blr(void)
{
    blr p;
    p.sigma = 0.5;
    p.alpha = 2.0;
    ts_rng *r = ts_rng_create(11, 0);
    double beta[NP] = {1.0, -2.0, 0.5, 0.0, 3.0, -1.0};
    for (int k = 0; k < NOBS; k++) {
        double y = 0;
        for (int i = 0; i < NP; i++) {
            /* correlated columns: the posterior is not diagonal, so the
             * mean-field variances differ from the marginal ones */
            p.X[k][i] = ts_rng_normal(r, 0, 1) + (i ? 0.5 * p.X[k][i - 1] : 0.0);
            y += p.X[k][i] * beta[i];
        }
        p.y[k] = y + ts_rng_normal(r, 0, p.sigma);
    }
    ts_rng_destroy(r);
    double L[NP * NP], m[NP];
    for (int i = 0; i < NP; i++) {
        m[i] = 0;
        for (int j = 0; j < NP; j++) {
            double a = i == j ? p.alpha : 0.0;
            for (int k = 0; k < NOBS; k++)
                a += p.X[k][i] * p.X[k][j] / (p.sigma * p.sigma);
            L[i * NP + j] = a;
        }
        for (int k = 0; k < NOBS; k++)
            m[i] += p.X[k][i] * p.y[k] / (p.sigma * p.sigma);
    }
    double Lii[NP];
    for (int i = 0; i < NP; i++)
        Lii[i] = L[i * NP + i];
    TS_CHECK(LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', NP, 1, L, NP, m, 1) == 0);
    ts_em_vi_options o;
    ts_em_vi_options_default(&o);
    o.steps = 4000;
    o.mc = 4;
    o.lr = 2e-2;
    o.init_sd = 0.1;
    double mu[NP] = {0}, ls[NP], ne = 0;
    TS_CHECK_OK(ts_em_vi_fit(blr_potential, &p, NP, &o, mu, ls, &ne));
    double wm = 0, ws = 0;
    for (int i = 0; i < NP; i++) {
        double s = exp(ls[i]), s0 = 1 / sqrt(Lii[i]);
        wm = fmax(wm, fabs(mu[i] - m[i]) / s0);
        ws = fmax(ws, fabs(s / s0 - 1));
        printf("  beta_%d: VI %.5f +- %.5f, exact mean %.5f, mean-field sd %.5f\n", i, mu[i], s, m[i], s0);
    }
    printf("VI vs exact: worst mean error %.3g posterior sd, worst sd error %.3g relative\n", wm, ws);
    /* Tolerances: the Polyak average over 2000 steps of a stochastic
     * gradient with 4 draws leaves a noise of a few % of a posterior sd in
     * the mean and in log s; 0.1 sd for the mean and 10 % for the sd. */
    TS_CHECK_MSG(wm < 0.1, "VI mean vs the exact posterior mean: %.3g posterior sd", wm);
    TS_CHECK_MSG(ws < 0.1, "VI sd vs 1/sqrt(Lambda_ii): %.3g relative", ws);
    TS_CHECK(isfinite(ne));
    double mu2[NP] = {0}, ls2[NP];
    TS_CHECK_OK(ts_em_vi_fit(blr_potential, &p, NP, &o, mu2, ls2, NULL));
    for (int i = 0; i < NP; i++)
        TS_CHECK(mu2[i] == mu[i] && ls2[i] == ls[i]); /* deterministic in the seed */
    o.steps = 0;
    TS_CHECK_ERR(ts_em_vi_fit(blr_potential, &p, NP, &o, mu2, ls2, NULL), TS_ERR_INVAL);
}

int main(void)
{
    TS_RUN(test_vi_blr);
    return ts_test_summary();
}
