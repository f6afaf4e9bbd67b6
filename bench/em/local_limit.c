/* Diagnostic for issue #10 (why the BPINN's std error stays near 20 %): the
 * best std accuracy any flux model with junction-local inputs can reach.
 * The exact fluxes are linear in the branch currents, so the best local
 * model is linear: per junction arm and time step t_n, least squares of the
 * exact oracle fluxes (ts_em_jmodel_solve) on the currents of the segments
 * within R hops of the junction (R = 1: the junction's own arms, the seed's
 * network inputs), fitted over NTR draws (streams 1000.., seed 99). Then the
 * stress mean/std over 100 test draws (seed 7, streams 0..99, as
 * `tinsel em bpinn predict`) against the oracle MC on the same draws; errors
 * as in docs/em.md (RMSE / range of the mean, RMSE of the std / max std).
 * Usage: bench_em_local NSEG NTR RHO R   (generated tree, seed 1, 10 years,
 * K = 20, 10 % normal variation with correlation RHO). With more inputs than
 * draws (R large, NTR small) the fit is the minimum-norm least-squares
 * solution, as a weight prior pulling toward zero would give. */
#include "tinsel/core.h"
#include "tinsel/em.h"
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
    ts_progress_set_quiet(1);
    int nseg = argc > 1 ? atoi(argv[1]) : 50, Ntr = argc > 2 ? atoi(argv[2]) : 400, K = 20;
    double rho = argc > 3 ? atof(argv[3]) : 0.0;
    int R = argc > 4 ? atoi(argv[4]) : 1;
    ts_em_params p;
    ts_em_params_default(&p);
    p.delta = 0;
    ts_em_tree *t;
    ts_em_tree_generate(nseg, 1, p.thickness, &p, &t);
    ts_em_jmodel *m;
    ts_em_jmodel_create(t, &p, 10 * 3.15576e7, K, &m);
    ts_em_variation v;
    ts_em_variation_default(&v);
    v.rho = rho;
    int ns = t->nwire, nv = t->nvert, nj = ts_em_jmodel_njunctions(m);
    size_t ne = (size_t)2 * ns * K, nq = (size_t)(K + 1) * nv;
    double *Jtr = malloc((size_t)Ntr * ns * 8), *Ptr = malloc((size_t)Ntr * ne * 8), *G = malloc(ns * 8);
    for (int d = 0; d < Ntr; d++) {
        ts_em_variation_draw(&v, t->j_mean, ns, 99, 1000 + d, Jtr + (size_t)d * ns, NULL, NULL);
        ts_em_jmodel_solve(m, Jtr + (size_t)d * ns, Ptr + (size_t)d * ne);
        ts_em_jmodel_G(m, Jtr + (size_t)d * ns, G);
        for (int e = 0; e < 2 * ns; e++)
            for (int n = 0; n < K; n++)
                Ptr[(size_t)d * ne + (size_t)e * K + n] += G[e / 2]; /* psi */
    }
    /* coefficients per junction end and n: [nj][4 arms][K][5] */
    double **coef = malloc(nj * sizeof(double *));
    int **sel = malloc(nj * sizeof(int *));
    int *nsel_q = malloc(nj * sizeof(int));
    double avg = 0;
    for (int q = 0; q < nj; q++) {
        int dq, E[4];
        ts_em_jmodel_junction(m, q, NULL, &dq, E);
        /* segment set: BFS over vertices from the junction vertex, R hops */
        int vq;
        ts_em_jmodel_junction(m, q, &vq, NULL, NULL);
        int *dist = malloc(nv * sizeof(int));
        for (int i = 0; i < nv; i++)
            dist[i] = -1;
        dist[vq] = 0;
        for (int it = 0; it < R; it++)
            for (int s2 = 0; s2 < ns; s2++) {
                int a2 = t->wa[s2], b2 = t->wb[s2];
                if (dist[a2] == it && dist[b2] < 0)
                    dist[b2] = it + 1;
                else if (dist[b2] == it && dist[a2] < 0)
                    dist[a2] = it + 1;
            }
        int *segs = malloc(ns * sizeof(int)), nsel = 0;
        for (int s2 = 0; s2 < ns; s2++)
            if (dist[t->wa[s2]] >= 0 && dist[t->wb[s2]] >= 0) segs[nsel++] = s2;
        sel[q] = segs;
        nsel_q[q] = nsel;
        int nc = 1 + nsel;
        double *A2 = malloc((size_t)Ntr * nc * 8), *B = malloc((size_t)(Ntr > nc ? Ntr : nc) * 4 * K * 8);
        for (int d = 0; d < Ntr; d++) {
            A2[d * nc] = 1;
            for (int k = 0; k < nsel; k++)
                A2[d * nc + 1 + k] = Jtr[(size_t)d * ns + segs[k]] / 1e9;
            for (int a = 0; a < 4; a++)
                for (int n = 0; n < K; n++)
                    B[(size_t)d * 4 * K + a * K + n] =
                        a < dq ? Ptr[(size_t)d * ne + (size_t)E[a] * K + n] : 0;
        }
        if (nc <= Ntr)
            LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', Ntr, nc, 4 * K, A2, nc, B, 4 * K);
        else { /* fewer draws than inputs: the minimum-norm solution (SVD) */
            double *sv = malloc((size_t)Ntr * 8);
            lapack_int rank;
            LAPACKE_dgelsd(LAPACK_ROW_MAJOR, Ntr, nc, 4 * K, A2, nc, B, 4 * K, sv, -1.0, &rank);
            free(sv);
        }
        coef[q] = malloc((size_t)4 * K * nc * 8);
        for (int a = 0; a < 4; a++)
            for (int n = 0; n < K; n++)
                for (int c = 0; c < nc; c++)
                    coef[q][((size_t)a * K + n) * nc + c] = B[(size_t)c * 4 * K + a * K + n];
        free(B);
        free(A2);
        free(dist);
    }
    int N = 100;
    double *om = calloc(nq, 8), *os = calloc(nq, 8), *lm = calloc(nq, 8), *ls = calloc(nq, 8);
    double *j = malloc(ns * 8), *phi = malloc(ne * 8), *phl = malloc(ne * 8), *sig = malloc(ne * 8),
           *sv = malloc(nq * 8);
    for (int d = 0; d < N; d++) {
        ts_em_variation_draw(&v, t->j_mean, ns, 7, d, j, NULL, NULL);
        ts_em_jmodel_solve(m, j, phi);
        ts_em_jmodel_G(m, j, G);
        for (int e = 0; e < 2 * ns; e++)
            for (int n = 0; n < K; n++)
                phl[(size_t)e * K + n] = -G[e / 2];
        for (int q = 0; q < nj; q++) {
            int dq, E[4];
            ts_em_jmodel_junction(m, q, NULL, &dq, E);
            for (int a = 0; a < dq; a++)
                for (int n = 0; n < K; n++) {
                    int nc = 1 + nsel_q[q];
                    const double *c = coef[q] + ((size_t)a * K + n) * nc;
                    double y = c[0];
                    for (int k = 0; k < nsel_q[q]; k++)
                        y += c[1 + k] * j[sel[q][k]] / 1e9;
                    phl[(size_t)E[a] * K + n] = y - G[E[a] / 2];
                }
        }
        for (int pass = 0; pass < 2; pass++) {
            ts_em_jmodel_stress(m, pass ? phl : phi, sig);
            ts_em_jmodel_vertex_stress(m, sig, sv);
            double *M = pass ? lm : om, *S = pass ? ls : os;
            for (size_t i = 0; i < nq; i++) {
                double dl = sv[i] - M[i];
                M[i] += dl / (d + 1);
                S[i] += dl * (sv[i] - M[i]);
            }
        }
    }
    double mx = -1e300, mn = 1e300, smax = 0, em = 0, es = 0;
    for (size_t i = 0; i < nq; i++) {
        os[i] = sqrt(os[i] / N);
        ls[i] = sqrt(ls[i] / N);
        mx = fmax(mx, om[i]);
        mn = fmin(mn, om[i]);
        smax = fmax(smax, os[i]);
        em += (lm[i] - om[i]) * (lm[i] - om[i]);
        es += (ls[i] - os[i]) * (ls[i] - os[i]);
    }
    for (int q = 0; q < nj; q++)
        avg += nsel_q[q];
    printf("R %d avg inputs %.1f ", R, avg / nj);
    printf("nseg %d Ntr %d rho %.2f: local-linear model mean err %.3f %% of range, std err %.2f %% of max "
           "std (max std %.3g Pa, range %.3g)\n",
           nseg, Ntr, rho, 100 * sqrt(em / nq) / (mx - mn), 100 * sqrt(es / nq) / smax, smax, mx - mn);
    return 0;
}
