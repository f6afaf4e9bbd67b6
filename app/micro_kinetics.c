/* Kinetics tables and Fig. 6 b-e style plots (seed 000 Fig. 6, Table 1,
 * Fig. 4e / Supplementary Tables 2-5 as described in the text). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micro_app.h"

#define NC (TS_MICRO_NLEVELS * TS_MICRO_NTIMES)

typedef struct {
    ts_micro_sqrt_fit kimc[TS_MICRO_NLEVELS], kpore[TS_MICRO_NLEVELS];
    double Dv[TS_MICRO_NLEVELS], Q[TS_MICRO_NLEVELS];
    int qok[TS_MICRO_NLEVELS];
} kin;

static int analyse(const ts_micro_condstat *cs, double T_K, double D0, kin *k)
{
    memset(k, 0, sizeof *k);
    TS_TRY(ts_micro_fit_levels(cs, k->kimc, k->kpore));
    for (int l = 0; l < TS_MICRO_NLEVELS; l++) {
        double t[TS_MICRO_NTIMES], a[TS_MICRO_NTIMES];
        size_t m = 0;
        for (int j = 0; j < TS_MICRO_NTIMES; j++) {
            const ts_micro_condstat *c = &cs[l * TS_MICRO_NTIMES + j];
            if (c->n <= 0) continue;
            t[m] = c->t_h;
            a[m++] = c->mean[TS_MICRO_D_PORE];
        }
        k->Q[l] = k->Dv[l] = NAN;
        if (m == 0) continue;
        if (ts_micro_kirkendall_q(t, a, m, T_K, D0, &k->Dv[l], &k->Q[l]) == 0)
            k->qok[l] = 1;
        else
            ts_log_warn("kinetics: %s: %s", ts_micro_level_name(l), ts_error_message());
    }
    return 0;
}

static int write_kinetics_csv(const char *path, const kin *const *sets, const char *const *names,
                              int nsets)
{
    const char *hdr[] = {"set", "level", "impurity_code", "n_times", "k_imc_um_per_sqrth",
                         "k_imc_se", "y0_imc_um", "r2_imc", "k_pore_um2_per_sqrth", "k_pore_se",
                         "y0_pore_um2", "r2_pore", "Dv_m2_per_s", "Q_K_kJ_per_mol", "Q_K_over_Q_PVD"};
    ts_csv *c = NULL;
    TS_TRY(ts_csv_open(path, 15, hdr, &c));
    int rc = 0;
    for (int s = 0; s < nsets && !rc; s++)
        for (int l = 0; l < TS_MICRO_NLEVELS && !rc; l++) {
            const kin *k = sets[s];
            if (k->kimc[l].n < 2) continue;
            double ratio = k->qok[l] && k->qok[0] ? k->Q[l] / k->Q[0] : NAN;
            rc |= ts_csv_cell_s(c, names[s]);
            rc |= ts_csv_cell_s(c, ts_micro_level_name(l));
            rc |= ts_csv_cell_d(c, ts_micro_level_code(l));
            rc |= ts_csv_cell_i(c, k->kimc[l].n);
            double v[11] = {k->kimc[l].k, k->kimc[l].k_se, k->kimc[l].y0, k->kimc[l].r2,
                            k->kpore[l].k, k->kpore[l].k_se, k->kpore[l].y0, k->kpore[l].r2,
                            k->Dv[l], k->Q[l], ratio};
            for (int q = 0; q < 11; q++) rc |= ts_csv_cell_d(c, v[q]);
            rc |= ts_csv_end_row(c);
        }
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    return ts_csv_close(c);
}

/* Fig. 6 b/c (vs t, mean ± sd and √t fit) and d/e (vs √t, linear fit).
 * Core plots colour series by index (8-colour cycle), so each level keeps
 * one colour across its real points, fit and generated points by adding
 * them in blocks of 8 (real points 0-3, fits 8-11, generated 16-19),
 * padded with invisible one-point series without a legend entry. */
static int pad_to(ts_plot *p, int *ns, int target, double x0, double y0)
{
    while (*ns < target) {
        TS_TRY(ts_plot_line(p, 1, &x0, &y0, NULL));
        (*ns)++;
    }
    return 0;
}

static int plot_growth(const char *path, const ts_micro_condstat *real, const ts_micro_condstat *gen,
                       const kin *kr, const kin *kg, int desc, int sqrt_axis, const char *rn,
                       const char *gn)
{
    const int isimc = desc == TS_MICRO_D_IMC;
    char title[160];
    snprintf(title, sizeof title, "%s growth at 150 °C (%s)", isimc ? "Cu3Sn + Cu6Sn5" : "Kirkendall pore area",
             sqrt_axis ? "linear fit over √t" : "√t fit");
    ts_plot *p = ts_plot_create(title, sqrt_axis ? "√(ageing time) (√h)" : "ageing time (h)",
                                isimc ? "cumulative IMC thickness (µm)" : "pore area per 16.75 µm field (µm²)");
    TS_CHECK_ALLOC(p);
    int rc = 0, ns = 0;
    double x0 = NAN, y0 = NAN; /* a point inside the data, for padding */
    for (int l = 0; l < TS_MICRO_NLEVELS && !rc; l++)
        for (int j = 0; j < TS_MICRO_NTIMES; j++)
            if (real[l * TS_MICRO_NTIMES + j].n > 0 && isnan(x0)) {
                x0 = sqrt_axis ? sqrt(real[l * TS_MICRO_NTIMES + j].t_h) : real[l * TS_MICRO_NTIMES + j].t_h;
                y0 = real[l * TS_MICRO_NTIMES + j].mean[desc];
            }
    if (isnan(x0)) {
        ts_plot_destroy(p);
        return ts_error_set(TS_ERR_INVAL, "kinetics: the conditions table is empty");
    }
    /* passes: 0 real points, 1 real fits, 2 generated points, 3 generated
     * fits (only on the √t plots, as seed Fig. 6 d-e) */
    const int npass = gen && kg ? (sqrt_axis ? 4 : 3) : 2;
    for (int pass = 0; pass < npass && !rc; pass++) {
        const ts_micro_condstat *cs = pass == 2 ? gen : real;
        for (int l = 0; l < TS_MICRO_NLEVELS && !rc; l++) {
            double x[TS_MICRO_NTIMES], y[TS_MICRO_NTIMES], e[TS_MICRO_NTIMES];
            size_t m = 0;
            for (int j = 0; j < TS_MICRO_NTIMES; j++) {
                const ts_micro_condstat *c = &cs[l * TS_MICRO_NTIMES + j];
                if (c->n <= 0) continue;
                x[m] = sqrt_axis ? sqrt(c->t_h) : c->t_h;
                y[m] = c->mean[desc];
                e[m] = isfinite(c->sd[desc]) ? c->sd[desc] : 0.0;
                m++;
            }
            char lab[96];
            const kin *kk = pass == 3 ? kg : kr;
            const ts_micro_sqrt_fit *f = isimc ? &kk->kimc[l] : &kk->kpore[l];
            if (pass == 0 && m > 0) {
                snprintf(lab, sizeof lab, "%s %s", ts_micro_level_name(l), rn);
                rc = ts_plot_errorbars(p, m, x, y, e, lab);
            } else if ((pass == 1 || pass == 3) && f->n >= 2) {
                double fx[61], fy[61];
                for (int q = 0; q <= 60; q++) {
                    double t = 3000.0 * q / 60.0;
                    fx[q] = sqrt_axis ? sqrt(t) : t;
                    fy[q] = f->y0 + f->k * sqrt(t);
                }
                snprintf(lab, sizeof lab, "%s %s fit k = %.3f", ts_micro_level_name(l), pass == 3 ? gn : rn, f->k);
                rc = ts_plot_line(p, 61, fx, fy, lab);
            } else if (pass == 2 && m > 0) {
                snprintf(lab, sizeof lab, "%s %s", ts_micro_level_name(l), gn);
                rc = ts_plot_points(p, m, x, y, lab);
            } else {
                rc = ts_plot_line(p, 1, &x0, &y0, NULL);
            }
            ns++;
        }
        if (!rc) rc = pad_to(p, &ns, 8 * (pass + 1), x0, y0);
    }
    /* the legend (up to 16 entries) sits top right: keep the data in the left
     * half (TS_LEGEND_OUTSIDE clips a legend this long at the image top) */
    double xmax = sqrt_axis ? sqrt(3000.0) : 3000.0;
    ts_plot_set_xrange(p, -0.03 * xmax, 2.0 * xmax);
    if (!rc) rc = ts_plot_write_png(p, path, 1100, 750);
    ts_plot_destroy(p);
    return rc;
}

static int write_deviations(const char *dir, const char *relprefix, ts_report *rep,
                            const ts_micro_condstat *real, const ts_micro_condstat *gen)
{
    /* per condition: (mean_gen - mean_real) / mean_real (seed Methods) and the
     * real relative sd, for pore area, Cu6Sn5 and Cu3Sn thickness (Fig. 4e)
     * and the Cu6Sn5/solder line length (Supplementary Fig. 5: max 8 %) */
    const int dk[4] = {TS_MICRO_D_PORE, TS_MICRO_D_CU6SN5, TS_MICRO_D_CU3SN, TS_MICRO_D_LINE};
    const char *hdr[] = {"level", "time_h", "status", "dev_pore", "rel_sd_pore", "dev_cu6sn5",
                         "rel_sd_cu6sn5", "dev_cu3sn", "rel_sd_cu3sn", "dev_line", "rel_sd_line"};
    char *path = ts_path_join(dir, "deviations.csv");
    TS_CHECK_ALLOC(path);
    ts_csv *c = NULL;
    int rc = ts_csv_open(path, 11, hdr, &c);
    free(path);
    if (rc) return rc;
    double sum[TS_MICRO_NLEVELS][2][8] = {{{0}}};
    int cnt[TS_MICRO_NLEVELS][2] = {{0}};
    for (int j = 0; j < NC && !rc; j++) {
        const ts_micro_condstat *r = &real[j], *g = &gen[j];
        if (r->n <= 0 || g->n <= 0 || r->status == TS_MICRO_UNKNOWN) continue;
        int su = r->status == TS_MICRO_UNSEEN;
        rc |= ts_csv_cell_s(c, ts_micro_level_name(r->level));
        rc |= ts_csv_cell_d(c, r->t_h);
        rc |= ts_csv_cell_s(c, ts_micro_status_name(r->status));
        for (int q = 0; q < 4; q++) {
            double m = r->mean[dk[q]];
            double dev = m != 0 ? (g->mean[dk[q]] - m) / m : NAN;
            double rs = m != 0 ? r->sd[dk[q]] / m : NAN;
            rc |= ts_csv_cell_d(c, dev);
            rc |= ts_csv_cell_d(c, rs);
            if (isfinite(dev)) sum[r->level][su][2 * q] += dev;
            if (isfinite(rs)) sum[r->level][su][2 * q + 1] += rs;
        }
        cnt[r->level][su]++;
        rc |= ts_csv_end_row(c);
    }
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    TS_TRY(ts_csv_close(c));
    /* per level, seen and unseen separately (Fig. 4e) */
    path = ts_path_join(dir, "deviations_by_level.csv");
    TS_CHECK_ALLOC(path);
    const char *h2[] = {"level", "status", "n_conditions", "mean_dev_pore", "mean_rel_sd_pore",
                        "mean_dev_cu6sn5", "mean_rel_sd_cu6sn5", "mean_dev_cu3sn", "mean_rel_sd_cu3sn",
                        "mean_dev_line", "mean_rel_sd_line"};
    rc = ts_csv_open(path, 11, h2, &c);
    free(path);
    if (rc) return rc;
    for (int l = 0; l < TS_MICRO_NLEVELS; l++)
        for (int su = 0; su < 2; su++) {
            if (!cnt[l][su]) continue;
            rc |= ts_csv_cell_s(c, ts_micro_level_name(l));
            rc |= ts_csv_cell_s(c, su ? "unseen" : "seen");
            rc |= ts_csv_cell_i(c, cnt[l][su]);
            for (int q = 0; q < 8; q++) rc |= ts_csv_cell_d(c, sum[l][su][q] / cnt[l][su]);
            rc |= ts_csv_end_row(c);
        }
    if (rc) {
        ts_csv_abort(c);
        return rc;
    }
    TS_TRY(ts_csv_close(c));
    if (rep) {
        char rel[512];
        snprintf(rel, sizeof rel, "%sdeviations.csv", relprefix);
        ts_report_file(rep, rel, "table", "deviation (gen - real)/real per condition, with the real relative sd");
        snprintf(rel, sizeof rel, "%sdeviations_by_level.csv", relprefix);
        ts_report_file(rep, rel, "table", "mean deviations per impurity level, seen and unseen (Fig. 4e)");
    }
    return 0;
}

int micro_kinetics_write(const char *dir, const char *relprefix, ts_report *rep,
                         const ts_micro_condstat *real, const ts_micro_condstat *gen,
                         const char *real_name, const char *gen_name, double T_K, double D0)
{
    kin kr, kg;
    TS_TRY(analyse(real, T_K, D0, &kr));
    if (gen) TS_TRY(analyse(gen, T_K, D0, &kg));
    const kin *sets[2] = {&kr, &kg};
    const char *names[2] = {real_name, gen_name};
    char *path = ts_path_join(dir, "kinetics.csv");
    TS_CHECK_ALLOC(path);
    int rc = write_kinetics_csv(path, sets, names, gen ? 2 : 1);
    free(path);
    if (rc) return rc;
    static const char *const figs[4] = {"fig6b_imc_vs_t.png", "fig6c_pore_vs_t.png",
                                        "fig6d_imc_vs_sqrt_t.png", "fig6e_pore_vs_sqrt_t.png"};
    for (int q = 0; q < 4; q++) {
        path = ts_path_join(dir, figs[q]);
        TS_CHECK_ALLOC(path);
        rc = plot_growth(path, real, gen, &kr, gen ? &kg : NULL, q % 2 ? TS_MICRO_D_PORE : TS_MICRO_D_IMC,
                         q >= 2, real_name, gen_name);
        free(path);
        if (rc) return rc;
    }
    if (gen) TS_TRY(write_deviations(dir, relprefix, rep, real, gen));
    /* text summary */
    printf("level  k_IMC (µm/√h)        k_pore (µm²/√h)        Q_K (kJ/mol)  Q/Q_PVD   [%s]\n", real_name);
    for (int l = 0; l < TS_MICRO_NLEVELS; l++) {
        if (kr.kimc[l].n < 2) continue;
        printf("%-5s  %.4f ± %-10.4f  %.4f ± %-10.4f  %8.2f      %.3f",
               ts_micro_level_name(l), kr.kimc[l].k, kr.kimc[l].k_se, kr.kpore[l].k, kr.kpore[l].k_se,
               kr.Q[l], kr.qok[0] && kr.qok[l] ? kr.Q[l] / kr.Q[0] : NAN);
        if (gen && kg.kimc[l].n >= 2)
            printf("   %s: k_IMC %.4f (%+.1f %%), k_pore %.4f (%+.1f %%), Q/Q_PVD %.3f", gen_name,
                   kg.kimc[l].k, 100 * (kg.kimc[l].k - kr.kimc[l].k) / kr.kimc[l].k, kg.kpore[l].k,
                   100 * (kg.kpore[l].k - kr.kpore[l].k) / kr.kpore[l].k,
                   kg.qok[0] && kg.qok[l] ? kg.Q[l] / kg.Q[0] : NAN);
        printf("\n");
    }
    if (rep) {
        char rel[512];
        snprintf(rel, sizeof rel, "%skinetics.csv", relprefix);
        ts_report_file(rep, rel, "table", "√t growth constants ± standard errors, Kirkendall Q_K and Q_K/Q_PVD per level");
        const char *desc[4] = {"Fig. 6b style: cumulative IMC thickness vs ageing time",
                               "Fig. 6c style: pore area vs ageing time",
                               "Fig. 6d style: cumulative IMC thickness vs √t with linear fits",
                               "Fig. 6e style: pore area vs √t with linear fits"};
        for (int q = 0; q < 4; q++) {
            snprintf(rel, sizeof rel, "%s%s", relprefix, figs[q]);
            ts_report_file(rep, rel, "plot", desc[q]);
        }
    }
    return 0;
}
