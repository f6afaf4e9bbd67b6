/* Reproducible random streams: GSL mt19937 seeded by splitmix64 of
 * (seed, stream), so each thread/sample owns an independent stream and
 * results do not depend on the thread count. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "tinsel/core.h"

struct ts_rng {
    gsl_rng *g;
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

ts_rng *ts_rng_create(uint64_t seed, uint64_t stream)
{
    ts_rng *r = malloc(sizeof *r);
    if (!r) return NULL;
    r->g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r->g) {
        free(r);
        return NULL;
    }
    uint64_t state = seed;
    uint64_t a = splitmix64(&state);
    state ^= stream * 0xd1b54a32d192ed03ULL;
    uint64_t b = splitmix64(&state);
    unsigned long s = (unsigned long)((a ^ (b << 1)) & 0xffffffffUL);
    if (s == 0) s = 4357; /* mt19937 treats 0 as its default seed; keep distinct */
    gsl_rng_set(r->g, s);
    /* Mix the full 64 bits in by discarding a stream-dependent prefix. */
    unsigned skip = (unsigned)((a >> 40) & 0xff);
    for (unsigned i = 0; i < skip; i++) gsl_rng_get(r->g);
    return r;
}

void ts_rng_destroy(ts_rng *r)
{
    if (!r) return;
    gsl_rng_free(r->g);
    free(r);
}

double ts_rng_uniform(ts_rng *r) { return gsl_rng_uniform(r->g); }
double ts_rng_uniform_pos(ts_rng *r) { return gsl_rng_uniform_pos(r->g); }
double ts_rng_normal(ts_rng *r, double mean, double sd) { return mean + gsl_ran_gaussian_ziggurat(r->g, sd); }

uint64_t ts_rng_uint(ts_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    if (n <= 0xffffffffULL) return gsl_rng_uniform_int(r->g, (unsigned long)n);
    /* 64-bit range: combine two 32-bit draws, reject to stay unbiased. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t v = ((uint64_t)gsl_rng_get(r->g) << 32) ^ (uint64_t)gsl_rng_get(r->g);
        if (v < lim) return v % n;
    }
}

double ts_rng_poisson(ts_rng *r, double mean)
{
    if (mean <= 0) return 0;
    if (mean > 1e7) return floor(gsl_ran_gaussian_ziggurat(r->g, sqrt(mean)) + mean + 0.5);
    return (double)gsl_ran_poisson(r->g, mean);
}

void *ts_rng_gsl(ts_rng *r) { return r->g; }
