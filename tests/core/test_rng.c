/* Random streams: reproducible per (seed, stream), distinct across streams,
 * and statistically sound (moments within 5 standard errors). */
#include <math.h>

#include "ts_test.h"

static void test_reproducible(void)
{
    ts_rng *a = ts_rng_create(42, 3), *b = ts_rng_create(42, 3), *c = ts_rng_create(42, 4), *e = ts_rng_create(43, 3);
    int same = 1, diff_stream = 0, diff_seed = 0;
    for (int i = 0; i < 1000; i++) {
        double x = ts_rng_uniform(a), y = ts_rng_uniform(b), z = ts_rng_uniform(c), w = ts_rng_uniform(e);
        same &= x == y;
        diff_stream += x != z;
        diff_seed += x != w;
    }
    TS_CHECK(same);
    TS_CHECK(diff_stream > 990 && diff_seed > 990);
    ts_rng_destroy(a);
    ts_rng_destroy(b);
    ts_rng_destroy(c);
    ts_rng_destroy(e);
    ts_rng_destroy(NULL);
}

static void test_moments(void)
{
    ts_rng *r = ts_rng_create(7, 0);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0, sp = 0;
    uint64_t hist[10] = {0};
    for (int i = 0; i < n; i++) {
        double u = ts_rng_uniform(r);
        TS_CHECK(u >= 0 && u < 1);
        su += u;
        double g = ts_rng_normal(r, 2.0, 3.0);
        sn += g;
        sn2 += (g - 2) * (g - 2);
        sp += ts_rng_poisson(r, 4.5);
        hist[ts_rng_uint(r, 10)]++;
    }
    /* Tolerances: 5 standard errors of each estimator. */
    TS_CHECK_CLOSE(su / n, 0.5, 5 * sqrt(1.0 / 12 / n), 0);
    TS_CHECK_CLOSE(sn / n, 2.0, 5 * 3.0 / sqrt(n), 0);
    TS_CHECK_CLOSE(sn2 / n, 9.0, 5 * 9.0 * sqrt(2.0 / n), 0);
    TS_CHECK_CLOSE(sp / n, 4.5, 5 * sqrt(4.5 / n), 0);
    for (int k = 0; k < 10; k++) TS_CHECK_CLOSE((double)hist[k], n / 10.0, 5 * sqrt(n * 0.1 * 0.9), 0);
    TS_CHECK(ts_rng_uint(r, 1) == 0);
    uint64_t big = ts_rng_uint(r, UINT64_C(1) << 40);
    TS_CHECK(big < (UINT64_C(1) << 40));
    TS_CHECK(ts_rng_gsl(r) != NULL);
    ts_rng_destroy(r);
}

int main(void)
{
    TS_RUN(test_reproducible);
    TS_RUN(test_moments);
    return ts_test_summary();
}
