/* Monte Carlo over current variation with the finite-volume solver
 * (issue #10; seed 003 Sec. stochastic analysis, the seed's FEM/EMspice MC
 * baseline). Per sample: inputs from the variation model (variation.c),
 * then every tree is run as in ts_em_analyze (analyze.c): Korhonen stress
 * (seed eq. (1)), nucleation at the first vertex reaching σ_crit, post-void
 * Robin/Dirichlet condition (eq. (2) with the note's erratum), void length
 * L_v = -(1/(B w_v)) ∫ w σ dx, ΔR/R of the voided wire, TTF. The currents
 * of a draw stay fixed in time (no DC re-solve as voids grow).
 * Statistics stream (stats.c): Welford mean/std and P² quantiles at every
 * vertex and output time; samples are computed in batches in parallel and
 * merged in sample order, so results do not depend on the thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

#define EM_YEAR_S 3.15576e7 /* Julian year, s (as analyze.c) */

void ts_em_mc_options_default(ts_em_mc_options *m)
{
    m->samples = 100;
    m->seed = 1;
    m->batch = 64;
    ts_em_variation_default(&m->var);
    m->nl = NULL;
    m->tr = NULL;
}

void ts_em_mc_result_destroy(ts_em_mc_result *r)
{
    if (!r) return;
    free(r->times);
    free(r->vert_tree);
    free(r->vert_index);
    free(r->stat);
    free(r->t_nuc);
    free(r->ttf);
    free(r->conv_n);
    free(r->conv_mean);
    free(r->conv_std);
    free(r);
}

/* Step sizes: identical to analyze.c's schedule (geometric from dt0 with
 * factor grow up to dtmax, ending on the output time). */
static double next_dt(double t, double t_out, double dt0, double grow, double dtmax)
{
    double dt = t > 0 ? t * (grow - 1.0) : dt0;
    if (dt < dt0) dt = dt0;
    if (dt > dtmax) dt = dtmax;
    if (t + dt > t_out * (1 - 1e-12) || t_out - (t + dt) < 1e-3 * dt) dt = t_out - t;
    return dt;
}

static int void_wire_at(const ts_em_tree *t, const double *G, int v)
{
    int best_w = -1;
    double best = -1;
    for (int w = 0; w < t->nwire; w++)
        if ((t->wa[w] == v || t->wb[w] == v) && fabs(G[w]) > best) {
            best = fabs(G[w]);
            best_w = w;
        }
    return best_w;
}

int ts_em_tree_simulate(const ts_em_tree *t, const ts_em_params *p, const ts_em_options *o, const double *j,
                        double *sig_out, double *t_nuc_out, double *ttf_out, long *steps)
{
    if (!t || !p || !o || !j || !sig_out) return ts_error_set(TS_ERR_INVAL, "ts_em_tree_simulate: NULL argument");
    if (!(o->years > 0) || o->nout < 1 || o->nsub < 1 || o->ncell < 1 || !(o->theta >= 0.5 && o->theta <= 1))
        return ts_error_set(TS_ERR_RANGE, "options: need years > 0, nout >= 1, nsub >= 1, ncell >= 1, theta in [0.5,1]");
    if (!(p->T > 0) || !(p->B > 0) || !(p->delta >= 0))
        return ts_error_set(TS_ERR_RANGE, "parameters: need T > 0 (got %g K), B > 0, delta >= 0", p->T);
    if (t->void_vertex >= t->nvert) return ts_error_set(TS_ERR_RANGE, "tree %s: void vertex %d >= %d vertices", t->name, t->void_vertex, t->nvert);
    int nv = t->nvert, nw = t->nwire;
    double *G = malloc((size_t)nw * sizeof(double));
    TS_CHECK_ALLOC(G);
    for (int k = 0; k < nw; k++) G[k] = ts_em_G(p, j[k]);
    ts_em_wires w = {nv, nw, t->wa, t->wb, t->len, t->width, o->ncell};
    ts_em_fv *fv = NULL;
    int rc = ts_em_fv_create(&w, ts_em_kappa(p), p->sigma_T, 0, &fv);
    if (!rc) rc = ts_em_fv_set_G(fv, G);
    int void_v = -1, void_w = -1;
    double t_nuc = INFINITY, ttf = INFINITY, smax_prev = p->sigma_T, lv_prev = 0, dr_prev = 0;
    if (!rc && t->void_vertex >= 0) {
        void_v = t->void_vertex;
        void_w = void_wire_at(t, G, void_v);
        t_nuc = 0;
        rc = ts_em_fv_set_void(fv, void_v, p->delta);
    }
    for (int v = 0; v < nv; v++) sig_out[v] = p->sigma_T;
    double t_end = o->years * EM_YEAR_S, dt_out = t_end / o->nout, dtmax = dt_out / o->nsub;
    double grow = o->steps_per_decade > 0 ? pow(10.0, 1.0 / o->steps_per_decade) : 1.0;
    double dt0 = o->steps_per_decade > 0 ? fmin(dtmax, 1e-6 * t_end) : dtmax;
    long ns = 0;
    for (int k = 1; k <= o->nout && !rc; k++) {
        double t_out = k * dt_out;
        for (double tc = (k - 1) * dt_out; tc < t_out && !rc;) {
            double dt = next_dt(tc, t_out, dt0, grow, dtmax);
            rc = ts_em_fv_step(fv, dt, o->theta);
            if (rc) break;
            ns++;
            tc += dt;
            const double *sig = ts_em_fv_sigma(fv);
            if (void_v < 0) {
                int vmax = 0;
                for (int v = 1; v < nv; v++)
                    if (sig[v] > sig[vmax]) vmax = v;
                double sm = sig[vmax];
                if (sm >= p->sigma_crit) {
                    double f = sm > smax_prev ? (p->sigma_crit - smax_prev) / (sm - smax_prev) : 1.0;
                    f = f < 0 ? 0 : f > 1 ? 1 : f;
                    t_nuc = tc - dt + f * dt;
                    void_v = vmax;
                    void_w = void_wire_at(t, G, vmax);
                    rc = ts_em_fv_set_void(fv, vmax, p->delta);
                }
                smax_prev = sm;
            } else if (!isfinite(ttf) && void_w >= 0) {
                double wv = t->width[void_w];
                double lv = -ts_em_fv_integral(fv) / (p->B * wv);
                if (lv < 0) lv = 0;
                double dR = lv * (p->rho_ta / (p->h_ta * wv) - (p->dr_full ? p->rho_cu / (p->h_cu * wv) : 0.0));
                double dr = dR / t->res_ohm[void_w];
                if (dr >= p->dr_threshold || (p->open_on_width && lv >= wv)) {
                    double f = 1.0;
                    if (dr >= p->dr_threshold && dr > dr_prev) f = (p->dr_threshold - dr_prev) / (dr - dr_prev);
                    else if (lv >= wv && lv > lv_prev) f = (wv - lv_prev) / (lv - lv_prev);
                    f = f < 0 ? 0 : f > 1 ? 1 : f;
                    ttf = tc - dt + f * dt;
                }
                lv_prev = lv;
                dr_prev = dr;
            }
        }
        if (!rc) memcpy(sig_out + (size_t)k * nv, ts_em_fv_sigma(fv), (size_t)nv * sizeof(double));
    }
    ts_em_fv_destroy(fv);
    free(G);
    if (rc) return rc;
    if (t_nuc_out) *t_nuc_out = t_nuc;
    if (ttf_out) *ttf_out = ttf;
    if (steps) *steps += ns;
    return 0;
}

int ts_em_mc_run(ts_em_tree *const *list, int ntrees, const ts_em_params *p, const ts_em_options *o,
                 const ts_em_mc_options *m, ts_em_mc_result **out)
{
    if (!list || ntrees < 1 || !p || !o || !m || !out) return ts_error_set(TS_ERR_INVAL, "ts_em_mc_run: bad argument");
    *out = NULL;
    if (m->samples < 1 || m->samples > 100000000L) return ts_error_set(TS_ERR_RANGE, "mc: samples must be in [1, 1e8], got %ld", m->samples);
    double wall0 = ts_time_now();
    int nt = o->nout + 1, batch = m->batch > 0 ? m->batch : 64;
    int *voff = malloc(((size_t)ntrees + 1) * sizeof(int)), *woff = malloc(((size_t)ntrees + 1) * sizeof(int));
    if (!voff || !woff) {
        free(voff);
        free(woff);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    voff[0] = woff[0] = 0;
    for (int i = 0; i < ntrees; i++) {
        voff[i + 1] = voff[i] + list[i]->nvert;
        woff[i + 1] = woff[i] + list[i]->nwire;
    }
    int nvt = voff[ntrees], nwt = woff[ntrees];
    ts_em_mc_result *r = calloc(1, sizeof *r);
    double *jm = malloc((size_t)nwt * sizeof(double));
    size_t block = (size_t)nt * nvt; /* doubles per sample */
    double *buf = malloc((size_t)batch * block * sizeof(double));
    int rc = 0;
    if (!r || !jm || !buf) rc = ts_error_set(TS_ERR_NOMEM, "out of memory (batch of %d samples x %zu values)", batch, block);
    if (!rc) {
        r->ntrees = ntrees;
        r->nt = nt;
        r->nvert_total = nvt;
        r->samples = m->samples;
        r->times = malloc((size_t)nt * sizeof(double));
        r->vert_tree = malloc((size_t)nvt * sizeof(int));
        r->vert_index = malloc((size_t)nvt * sizeof(int));
        r->stat = malloc(block * sizeof(ts_em_stat));
        r->t_nuc = malloc((size_t)m->samples * ntrees * sizeof(double));
        r->ttf = malloc((size_t)m->samples * ntrees * sizeof(double));
        int nc = 2;
        for (long n = 1; n < m->samples; n *= 2) nc++;
        r->conv_n = malloc((size_t)nc * sizeof(long));
        r->conv_mean = malloc((size_t)nc * nvt * sizeof(double));
        r->conv_std = malloc((size_t)nc * nvt * sizeof(double));
        if (!r->times || !r->vert_tree || !r->vert_index || !r->stat || !r->t_nuc || !r->ttf || !r->conv_n ||
            !r->conv_mean || !r->conv_std)
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory for the statistics (%zu streams)", block);
    }
    if (!rc) {
        static const double probs[3] = {0.05, 0.5, 0.95};
        for (size_t q = 0; q < block; q++) ts_em_stat_init(&r->stat[q], 3, probs);
        for (int k = 0; k < nt; k++) r->times[k] = k * (o->years * EM_YEAR_S / o->nout);
        for (int i = 0; i < ntrees; i++) {
            memcpy(jm + woff[i], list[i]->j_mean, (size_t)list[i]->nwire * sizeof(double));
            for (int v = 0; v < list[i]->nvert; v++) {
                r->vert_tree[voff[i] + v] = i;
                r->vert_index[voff[i] + v] = v;
            }
        }
    }
    int nthr = o->nthreads > 0 ? o->nthreads : omp_get_max_threads();
    /* PHYSICAL: one DC solver per thread sharing the nominal solve's
     * symbolic analysis; each sample refactors numerically. */
    int phys = m->var.vary == TS_EM_VARY_PHYSICAL;
    ts_em_dc **dcs = NULL;
    const ts_em_netlist *nl = m->nl;
    if (!rc && phys) {
        if (!nl || !m->tr) rc = ts_error_set(TS_ERR_INVAL, "mc: physical variation needs the netlist and its wires");
        for (int i = 0; !rc && i < ntrees; i++)
            if (!list[i]->wire_res) rc = ts_error_set(TS_ERR_INVAL, "mc: physical variation: tree %s is not from a netlist", list[i]->name);
            else
                for (int k = 0; !rc && k < list[i]->nwire; k++)
                    if (list[i]->wire_res[k] < 0 || list[i]->wire_res[k] >= nl->nres || m->tr->wire_tree[list[i]->wire_res[k]] < 0)
                        rc = ts_error_set(TS_ERR_INVAL, "mc: tree %s: wire %d is not a wire of the netlist", list[i]->name, k);
        if (!rc) {
            dcs = calloc((size_t)nthr + 1, sizeof *dcs);
            if (!dcs) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
        }
        if (!rc) rc = ts_em_dc_create(nl, o->current_scale, &dcs[nthr]);
        if (!rc) rc = ts_em_dc_solve(dcs[nthr], NULL); /* symbolic analysis, once */
        for (int t = 0; !rc && t < nthr; t++) rc = ts_em_dc_clone(dcs[nthr], &dcs[t]);
    }
    double dc_s = 0;
    ts_progress *prog = rc ? NULL : ts_progress_create("em mc", (double)m->samples, "sample");
    long steps = 0;
    char errbuf[512] = "";
    for (long b0 = 0; b0 < m->samples && !rc; b0 += batch) {
        int nb = (int)(m->samples - b0 < batch ? m->samples - b0 : batch);
        int err = 0;
        long bsteps = 0;
        double bdc = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthr) reduction(+ : bsteps, bdc)
        for (int s = 0; s < nb; s++) {
            long sample = b0 + s;
            double *jb = malloc((size_t)nwt * sizeof(double) + 1);
            double *fw = malloc(3 * (size_t)nwt * sizeof(double) + 1), *wb = fw + nwt, *rb = wb + nwt;
            double *pl = NULL, *pw = NULL, *pr = NULL;
            double fD0 = 1, dT = 0;
            int r1 = jb && fw ? 0 : ts_error_set(TS_ERR_NOMEM, "out of memory");
            if (!r1 && phys) {
                double c0 = ts_time_now();
                pl = malloc(((size_t)nl->ncur + 2 * (size_t)nl->nres + 1) * sizeof(double));
                pw = pl ? pl + nl->ncur : NULL;
                pr = pw ? pw + nl->nres : NULL;
                ts_em_dc *dct = dcs[omp_get_thread_num()];
                r1 = pl ? ts_em_variation_physical(&m->var, nl, m->tr, m->seed, (uint64_t)sample, pl, pw, pr, &fD0, &dT)
                        : ts_error_set(TS_ERR_NOMEM, "out of memory");
                if (!r1) r1 = ts_em_dc_solve_loads(dct, pr, pl);
                if (!r1) {
                    const double *I = ts_em_dc_currents(dct);
                    for (int i = 0; i < ntrees; i++)
                        for (int k = 0; k < list[i]->nwire; k++) {
                            int rr = list[i]->wire_res[k], q = woff[i] + k;
                            wb[q] = list[i]->width[k] * pw[rr];
                            rb[q] = pr[rr];
                            jb[q] = I[rr] / (wb[q] * m->tr->wire_thick[rr]); /* j = I/(w t), as the nominal */
                        }
                }
                bdc += ts_time_now() - c0;
            } else {
                if (!r1) r1 = ts_em_variation_draw(&m->var, jm, nwt, m->seed, (uint64_t)sample, jb, &fD0, &dT);
                if (!r1) r1 = ts_em_variation_widths(&m->var, nwt, m->seed, (uint64_t)sample, fw);
            }
            ts_em_params ps = *p;
            ps.D0 *= fD0;
            ps.T += dT;
            for (int i = 0; i < ntrees && !r1; i++) {
                ts_em_tree tw = *list[i]; /* shallow copy: this sample's widths and resistances */
                if (phys) {
                    tw.width = wb + woff[i];
                    tw.res_ohm = rb + woff[i];
                } else if (m->var.sigma_w > 0) {
                    for (int k = 0; k < tw.nwire; k++) {
                        double f = fw[woff[i] + k];
                        wb[woff[i] + k] = list[i]->width[k] * f;
                        rb[woff[i] + k] = list[i]->res_ohm[k] / f;
                        jb[woff[i] + k] /= f; /* same branch current through a wider/narrower wire */
                    }
                    tw.width = wb + woff[i];
                    tw.res_ohm = rb + woff[i];
                }
                r1 = ts_em_tree_simulate(&tw, &ps, o, jb + woff[i], buf + (size_t)s * block + (size_t)nt * voff[i],
                                         &r->t_nuc[(size_t)sample * ntrees + i], &r->ttf[(size_t)sample * ntrees + i],
                                         &bsteps);
            }
            free(jb);
            free(fw);
            free(pl);
            if (r1) {
#pragma omp critical(ts_em_mc_err)
                {
                    if (!err) {
                        err = r1;
                        snprintf(errbuf, sizeof errbuf, "sample %ld: %s", sample, ts_error_message());
                    }
                }
            }
        }
        if (err) {
            rc = ts_error_set(err, "%s", errbuf);
            break;
        }
        steps += bsteps;
        dc_s += bdc;
        /* ordered merge: sample b0, b0+1, ... (thread-count independent) */
        for (int s = 0; s < nb; s++) {
            const double *sb = buf + (size_t)s * block;
            for (int i = 0; i < ntrees; i++) {
                int nv = list[i]->nvert;
                const double *tb = sb + (size_t)nt * voff[i];
                for (int k = 0; k < nt; k++)
                    for (int v = 0; v < nv; v++)
                        ts_em_stat_push(&r->stat[(size_t)k * nvt + voff[i] + v], tb[(size_t)k * nv + v]);
            }
            long n = b0 + s + 1;
            if ((n & (n - 1)) == 0 || n == m->samples) {
                const ts_em_stat *last = &r->stat[(size_t)(nt - 1) * nvt];
                for (int v = 0; v < nvt; v++) {
                    r->conv_mean[(size_t)r->nconv * nvt + v] = last[v].mean;
                    r->conv_std[(size_t)r->nconv * nvt + v] = ts_em_stat_std(&last[v]);
                }
                r->conv_n[r->nconv++] = n;
            }
        }
        ts_progress_update(prog, (double)(b0 + nb), NULL);
        if (ts_interrupted()) rc = ts_error_set(TS_ERR_INTERRUPTED, "interrupted after %ld samples", b0 + nb);
    }
    ts_progress_destroy(prog);
    if (dcs)
        for (int t = 0; t <= nthr; t++) ts_em_dc_destroy(dcs[t]);
    free(dcs);
    free(voff);
    free(woff);
    free(jm);
    free(buf);
    if (rc) {
        ts_em_mc_result_destroy(r);
        return rc;
    }
    r->steps = steps;
    r->dc_s = dc_s;
    r->wall_s = ts_time_now() - wall0;
    *out = r;
    return 0;
}

int ts_em_linear_moments(const ts_em_tree *t, const ts_em_params *p, const ts_em_options *o,
                         const ts_em_variation *v, double *mean, double *std)
{
    if (!t || !p || !o || !v || !mean || !std) return ts_error_set(TS_ERR_INVAL, "ts_em_linear_moments: NULL argument");
    if (t->void_vertex < 0 || v->vary != TS_EM_VARY_CURRENTS || v->dist != TS_EM_DIST_NORMAL || v->sigma_D0 != 0 || v->sigma_T_K != 0 || v->sigma_w != 0 ||
        !(v->rho >= 0 && v->rho <= 1) || !(v->sigma_j >= 0))
        return ts_error_set(TS_ERR_UNSUPPORTED, "linear moments need a void at t = 0 and normal current variation only "
                                                "(sigma_D0 = sigma_T = 0, 0 <= rho <= 1)");
    int nw = t->nwire;
    size_t n = (size_t)(o->nout + 1) * t->nvert;
    double *j = calloc((size_t)nw, sizeof(double)), *base = malloc(n * sizeof(double)),
           *resp = malloc(n * sizeof(double)), *sum = calloc(n, sizeof(double)), *sq = calloc(n, sizeof(double));
    int rc = 0;
    if (!j || !base || !resp || !sum || !sq) rc = ts_error_set(TS_ERR_NOMEM, "out of memory");
    if (!rc) rc = ts_em_tree_simulate(t, p, o, j, base, NULL, NULL, NULL);
    if (!rc) rc = ts_em_tree_simulate(t, p, o, t->j_mean, mean, NULL, NULL, NULL);
    for (int k = 0; k < nw && !rc; k++) {
        memset(j, 0, (size_t)nw * sizeof(double));
        j[k] = t->j_mean[k];
        rc = ts_em_tree_simulate(t, p, o, j, resp, NULL, NULL, NULL);
        for (size_t q = 0; q < n && !rc; q++) {
            double a = v->sigma_j * (resp[q] - base[q]);
            sum[q] += a;
            sq[q] += a * a;
        }
    }
    for (size_t q = 0; q < n && !rc; q++) std[q] = sqrt((1 - v->rho) * sq[q] + v->rho * sum[q] * sum[q]);
    free(j);
    free(base);
    free(resp);
    free(sum);
    free(sq);
    return rc;
}
