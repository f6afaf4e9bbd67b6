/* The whole chain (issue #7 item 7): synthesise the 28-condition matrix,
 * segment without the true labels, measure, fit: the √t constants per
 * impurity level recover the generator's within 10 % and the Kirkendall
 * enthalpies fall with impurity (Q_PVD > Q_ECD1 > Q_ECD2 > Q_ECD3). */
#include <math.h>
#include <stdlib.h>

#include "tinsel/micro.h"
#include "ts_test.h"

static int g_size = 300, g_images = 3;

static void test_chain_recovers_truth(void)
{
    ts_micro_chain_opts o;
    ts_micro_chain_opts_default(&o);
    o.synth.width = o.synth.height = g_size;
    o.synth.px_um = 16.75 / g_size;
    o.images_per_condition = g_images;
    o.seed = 11;
    ts_micro_record *R = NULL;
    size_t n = 0;
    TS_CHECK_OK(ts_micro_chain_run(&o, &R, &n, NULL));
    TS_CHECK(n == 28 * (size_t)g_images);
    if (!R) return;
    ts_micro_condstat cs[28], ct[28];
    TS_CHECK_OK(ts_micro_condition_stats(R, n, 1, cs));
    TS_CHECK_OK(ts_micro_condition_stats(R, n, 0, ct));
    ts_micro_sqrt_fit ki[4], kp[4], kit[4], kpt[4];
    TS_CHECK_OK(ts_micro_fit_levels(cs, ki, kp));
    TS_CHECK_OK(ts_micro_fit_levels(ct, kit, kpt));
    double Q[4];
    for (int l = 0; l < 4; l++) {
        ts_micro_growth g;
        ts_micro_growth_default(l, &g);
        printf("  %s: k_IMC %.4f (exact labels %.4f, truth %.4f)  k_pore %.4f (exact %.4f, truth %.4f)\n",
               ts_micro_level_name(l), ki[l].k, kit[l].k, g.k3 + g.k6, kp[l].k, kpt[l].k, g.kp);
        TS_CHECK_CLOSE(ki[l].k, g.k3 + g.k6, 0, 0.10);
        TS_CHECK_CLOSE(kp[l].k, g.kp, 0, 0.10);
        double t[7], a[7];
        int m = 0;
        for (int j = 0; j < 7; j++) t[m] = cs[l * 7 + j].t_h, a[m++] = cs[l * 7 + j].mean[TS_MICRO_D_PORE];
        TS_CHECK_OK(ts_micro_kirkendall_q(t, a, (size_t)m, 423.15, 5.48e-9, NULL, &Q[l]));
    }
    TS_CHECK(Q[0] > Q[1] && Q[1] > Q[2] && Q[2] > Q[3]);
    printf("  Q_K/Q_PVD: %.3f %.3f %.3f %.3f\n", 1.0, Q[1] / Q[0], Q[2] / Q[0], Q[3] / Q[0]);
    free(R);
}

/* argv: [image side px] [images per condition] (default 300 3; the slow
 * tier runs the seed's 450 px) */
int main(int argc, char **argv)
{
    if (argc > 1) g_size = atoi(argv[1]);
    if (argc > 2) g_images = atoi(argv[2]);
    if (g_size < 64 || g_images < 1) return 2;
    TS_RUN(test_chain_recovers_truth);
    return ts_test_summary();
}
