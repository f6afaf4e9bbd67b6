/* Shared by the em BPINN tests: Monte Carlo moments of the exact flux
 * oracle (ts_em_jmodel_solve per draw, closed-form stresses), the reference
 * the BPINN's mean and std are checked against (issue #10). */
#ifndef TS_TEST_EM_ORACLE_H
#define TS_TEST_EM_ORACLE_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/em.h"
#include "ts_test.h"

/* Oracle MC moments over N draws (streams (seed, 0..N-1), as ts_em_bpinn_predict
 * and ts_em_mc_run): the exact flux oracle per draw, population mean and std
 * om, os [K+1][nv]. */
static void oracle_moments(const ts_em_jmodel *m, const ts_em_tree *t, const ts_em_variation *v, int K, long N,
                           uint64_t seed, double *om, double *os)
{
    int ns = t->nwire, nv = t->nvert;
    size_t nq = (size_t)(K + 1) * nv;
    double *j = malloc((size_t)ns * 8), *phi = malloc((size_t)2 * ns * K * 8), *sig = malloc((size_t)2 * ns * K * 8),
           *sv = malloc(nq * 8);
    memset(om, 0, nq * 8);
    memset(os, 0, nq * 8);
    for (long d = 0; d < N && j && phi && sig && sv; d++) {
        TS_CHECK_OK(ts_em_variation_draw(v, t->j_mean, ns, seed, (uint64_t)d, j, NULL, NULL));
        TS_CHECK_OK(ts_em_jmodel_solve(m, j, phi));
        ts_em_jmodel_stress(m, phi, sig);
        ts_em_jmodel_vertex_stress(m, sig, sv);
        for (size_t q = 0; q < nq; q++) {
            double dl = sv[q] - om[q];
            om[q] += dl / (d + 1);
            os[q] += dl * (sv[q] - om[q]);
        }
    }
    for (size_t q = 0; q < nq; q++) os[q] = sqrt(os[q] / N);
    free(j);
    free(phi);
    free(sig);
    free(sv);
}

#endif
