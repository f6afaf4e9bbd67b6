/* Generator and descriptors: the seed's condition matrix, exact labels
 * (layer order, pores inside Cu3Sn, thickness and pore area against the
 * growth law), determinism, bad input; descriptors on hand-made labels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/micro.h"
#include "ts_test.h"

/* line length from the column profile of the labels vs the sub-pixel
 * boundary: measured -0.2 % (0 h) to +1.3 % (3000 h), docs/micro.md */
#define LINE_TOL 0.03
#define LINE_TOL_0H 0.03

static void test_matrix(void)
{
    int cnt[3] = {0, 0, 0};
    for (int l = 0; l < TS_MICRO_NLEVELS; l++)
        for (int t = 0; t < TS_MICRO_NTIMES; t++) cnt[ts_micro_condition_status(l, t)]++;
    TS_CHECK(cnt[TS_MICRO_SEEN] == 16 && cnt[TS_MICRO_UNSEEN] == 2 && cnt[TS_MICRO_UNKNOWN] == 10);
    TS_CHECK(ts_micro_condition_status(0, 3) == TS_MICRO_UNSEEN);   /* PVD 300 h */
    TS_CHECK(ts_micro_condition_status(1, 4) == TS_MICRO_UNSEEN);   /* ECD1 750 h */
    TS_CHECK(ts_micro_condition_status(0, 4) == TS_MICRO_UNKNOWN);  /* PVD 750 h */
    TS_CHECK(ts_micro_condition_status(3, 1) == TS_MICRO_UNKNOWN);  /* ECD3 50 h */
    TS_CHECK(ts_micro_condition_status(2, 6) == TS_MICRO_SEEN);
    TS_CHECK_ERR(ts_micro_condition_status(4, 0), TS_ERR_RANGE);
    int l;
    TS_CHECK_OK(ts_micro_level_parse("ecd2", &l));
    TS_CHECK(l == 2);
    TS_CHECK_OK(ts_micro_level_parse("120", &l));
    TS_CHECK(l == 3);
    TS_CHECK_ERR(ts_micro_level_parse("ECD4", &l), TS_ERR_INVAL);
    TS_CHECK(strstr(ts_error_message(), "ECD4") != NULL);
}

static void test_growth_law(void)
{
    ts_micro_growth g;
    double h3, h6, a, h3b, h6b;
    for (int lv = 0; lv < 4; lv++) {
        TS_CHECK_OK(ts_micro_growth_default(lv, &g));
        ts_micro_growth_eval(&g, 3000, &h3, &h6, &a);
        TS_CHECK_CLOSE(h3 + h6, g.h3_0 + g.h6_0 + (g.k3 + g.k6) * sqrt(3000.0), 1e-12, 0);
        TS_CHECK_CLOSE(a, g.kp * sqrt(3000.0), 1e-12, 0);
    }
    /* ECD3 anomaly: Cu3Sn thinner at 3000 h than at 750 h, sum parabolic */
    TS_CHECK_OK(ts_micro_growth_default(3, &g));
    ts_micro_growth_eval(&g, 750, &h3, &h6, NULL);
    ts_micro_growth_eval(&g, 3000, &h3b, &h6b, NULL);
    TS_CHECK(h3b < h3 && h6b > h6);
    /* interpolation reproduces the levels at their codes */
    ts_micro_growth gi;
    TS_CHECK_OK(ts_micro_growth_at_code(60, &gi));
    TS_CHECK_OK(ts_micro_growth_default(2, &g));
    TS_CHECK_CLOSE(gi.kp, g.kp, 1e-15, 0);
    TS_CHECK_OK(ts_micro_growth_at_code(45, &gi));
    TS_CHECK(gi.kp > 0.020 && gi.kp < 0.045);
    TS_CHECK_ERR(ts_micro_growth_at_code(200, &gi), TS_ERR_RANGE);
}

static void test_exact_labels(void)
{
    ts_micro_synth_opts o;
    ts_micro_synth_opts_default(&o);
    o.width = 300;
    o.height = 300;
    o.px_um = 16.75 / 300;
    size_t n = (size_t)o.width * o.height;
    float *img = malloc(n * sizeof *img), *img2 = malloc(n * sizeof *img2);
    uint8_t *lab = malloc(n), *lab2 = malloc(n);
    for (int lv = 0; lv < 4; lv++) {
        ts_micro_synth_info info;
        TS_CHECK_OK(ts_micro_synth(&o, lv, NULL, 1000, 5, (uint64_t)lv, img, lab, &info));
        /* layer order along every column: Cu, Cu3Sn (+pores), Cu6Sn5, solder (+Ag3Sn) */
        int bad = 0;
        for (int x = 0; x < o.width; x++) {
            int layer = 0;
            for (int y = 0; y < o.height; y++) {
                int c = lab[(size_t)y * o.width + x];
                int L = c == TS_MICRO_CU ? 0 : c == TS_MICRO_CU3SN || c == TS_MICRO_PORE ? 1
                      : c == TS_MICRO_CU6SN5 ? 2 : 3;
                if (c == TS_MICRO_AG3SN) L = layer > 2 ? layer : 2;
                if (L < layer) bad++;
                if (L > layer) layer = L;
            }
        }
        TS_CHECK_MSG(bad == 0, "level %d: %d order violations", lv, bad);
        ts_micro_desc d;
        TS_CHECK_OK(ts_micro_describe(lab, o.width, o.height, o.px_um, &d));
        /* label thickness = generator thickness: pores take Cu3Sn pixels (area/width)
         * and interface Ag3Sn takes some Cu6Sn5; majority labels on a 3x3 grid
         * leave < 0.5 px of bias per boundary */
        double h3_with_pores = d.h_cu3sn_um + d.pore_area_um2 / (o.width * o.px_um);
        TS_CHECK_CLOSE(h3_with_pores, info.h3_um, 0.5 * o.px_um, 0);
        TS_CHECK_CLOSE(d.h_cu6sn5_um, info.h6_um, 0.5 * o.px_um + 0.03 * info.h6_um, 0);
        /* pore area: rasterised ellipses, one sub-pixel rim per pore */
        TS_CHECK_CLOSE(d.pore_area_um2, info.pore_area_target_um2, 0, 0.08);
        /* line length of the exact labels against the generator's boundary */
        printf("  level %d: line length labels %.3f µm, generator %.3f µm\n", lv, d.line_length_um, info.line_length_um);
        TS_CHECK_CLOSE(d.line_length_um, info.line_length_um, 0, LINE_TOL);
        /* determinism */
        TS_CHECK_OK(ts_micro_synth(&o, lv, NULL, 1000, 5, (uint64_t)lv, img2, lab2, NULL));
        TS_CHECK(memcmp(img, img2, n * sizeof *img) == 0 && memcmp(lab, lab2, n) == 0);
        /* grey levels ordered Cu < Cu3Sn < Cu6Sn5 < SAC305, pores darkest */
        double s[TS_MICRO_NPHASES] = {0}, c[TS_MICRO_NPHASES] = {0};
        for (size_t i = 0; i < n; i++) s[lab[i]] += img[i], c[lab[i]] += 1;
        TS_CHECK(s[0] / c[0] < s[1] / c[1] && s[1] / c[1] < s[2] / c[2] && s[2] / c[2] < s[3] / c[3]);
        if (c[TS_MICRO_PORE] > 0) TS_CHECK(s[TS_MICRO_PORE] / c[TS_MICRO_PORE] < s[0] / c[0]);
    }
    /* as-reflowed: the tallest scallops */
    {
        ts_micro_synth_info info;
        ts_micro_desc d;
        TS_CHECK_OK(ts_micro_synth(&o, 0, NULL, 0, 5, 42, img, lab, &info));
        TS_CHECK_OK(ts_micro_describe(lab, o.width, o.height, o.px_um, &d));
        printf("  0 h: line length labels %.3f µm, generator %.3f µm\n", d.line_length_um, info.line_length_um);
        TS_CHECK_CLOSE(d.line_length_um, info.line_length_um, 0, LINE_TOL_0H);
    }
    /* another stream: a different image */
    TS_CHECK_OK(ts_micro_synth(&o, 0, NULL, 1000, 5, 99, img2, lab2, NULL));
    TS_CHECK(memcmp(img, img2, n * sizeof *img) != 0);
    /* bad input */
    ts_micro_synth_opts b = o;
    b.width = 4;
    TS_CHECK_ERR(ts_micro_synth(&b, 0, NULL, 0, 1, 0, img, lab, NULL), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_micro_synth(&o, 0, NULL, -5, 1, 0, img, lab, NULL), TS_ERR_RANGE);
    TS_CHECK_ERR(ts_micro_synth(&o, 7, NULL, 5, 1, 0, img, lab, NULL), TS_ERR_RANGE);
    free(img);
    free(img2);
    free(lab);
    free(lab2);
}

static void test_describe(void)
{
    /* 10 x 8 label image, px 0.5 µm: rows 0-1 Cu, 2 Cu3Sn, 3-4 Cu6Sn5
     * except column 4 where Cu6Sn5 reaches row 5 (a one-pixel step), rest
     * solder; one pore pixel in row 2 */
    const int w = 10, h = 8;
    uint8_t L[80];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            L[y * w + x] = y < 2 ? TS_MICRO_CU : y < 3 ? TS_MICRO_CU3SN : y < 5 || (x == 4 && y == 5) ? TS_MICRO_CU6SN5
                                                                                          : TS_MICRO_SAC305;
    L[2 * w + 7] = TS_MICRO_PORE;
    ts_micro_desc d;
    TS_CHECK_OK(ts_micro_describe(L, w, h, 0.5, &d));
    TS_CHECK_CLOSE(d.h_cu3sn_um, 9.0 / 10 * 0.5, 1e-15, 0);
    TS_CHECK_CLOSE(d.h_cu6sn5_um, 21.0 / 10 * 0.5, 1e-15, 0);
    TS_CHECK_CLOSE(d.pore_area_um2, 0.25, 1e-15, 0);
    TS_CHECK_CLOSE(d.pore_area_per_field_um2, 0.25 * 16.75 / 5.0, 1e-14, 0);
    /* profile 5,5,5,5,6,5,...: the 5-column mean is 5.2 on columns 2..6,
     * so two of the nine segments rise by 0.2 px: 0.5 (7 + 2 sqrt(1.04)) + 0.5 */
    TS_CHECK_CLOSE(d.line_length_um, 0.5 * (7 + 2 * sqrt(1.04)) + 0.5, 1e-12, 0);
    /* empty class -> error */
    for (int i = 0; i < 80; i++) if (L[i] == TS_MICRO_CU6SN5) L[i] = TS_MICRO_SAC305;
    TS_CHECK_ERR(ts_micro_describe(L, w, h, 0.5, &d), TS_ERR_INVAL);
    TS_CHECK(strstr(ts_error_message(), "empty") != NULL);
    L[0] = 9;
    TS_CHECK_ERR(ts_micro_describe(L, w, h, 0.5, &d), TS_ERR_RANGE);
}

static void test_resize(void)
{
    /* constant stays constant; a 2:1 box-like downsample of a ramp keeps the mean */
    float in[64 * 48], out[32 * 24];
    for (int i = 0; i < 64 * 48; i++) in[i] = 0.25f;
    TS_CHECK_OK(ts_micro_resize(in, 64, 48, out, 32, 24));
    for (int i = 0; i < 32 * 24; i++) TS_CHECK_CLOSE(out[i], 0.25, 1e-6, 0);
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++) in[y * 64 + x] = (float)x;
    TS_CHECK_OK(ts_micro_resize(in, 64, 48, out, 32, 24));
    /* interior output pixel i covers inputs centred at 2i + 0.5 */
    TS_CHECK_CLOSE(out[10 * 32 + 10], 20.5, 1e-4, 0);
    uint8_t li[16] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}, lo[4];
    TS_CHECK_OK(ts_micro_resize_labels(li, 4, 4, lo, 2, 2));
    TS_CHECK(lo[0] == 1 && lo[1] == 3);
}

int main(void)
{
    TS_RUN(test_matrix);
    TS_RUN(test_growth_law);
    TS_RUN(test_exact_labels);
    TS_RUN(test_describe);
    TS_RUN(test_resize);
    return ts_test_summary();
}
