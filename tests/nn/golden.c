#include "golden.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    size_t n;
    float *data;
} grec;

struct golden {
    grec *r;
    uint32_t n;
};

static int rd_u32(FILE *f, uint32_t *v)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

void golden_free(golden *g)
{
    if (!g) return;
    for (uint32_t i = 0; i < g->n; i++) {
        free(g->r[i].name);
        free(g->r[i].data);
    }
    free(g->r);
    free(g);
}

golden *golden_load(const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/oracles/nn/golden/%s", TS_SOURCE_DIR, file);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "golden: cannot open %s\n", path);
        return NULL;
    }
    char magic[8];
    uint32_t ver, n;
    golden *g = calloc(1, sizeof *g);
    if (!g || fread(magic, 1, 8, f) != 8 || memcmp(magic, "TSNNGOLD", 8) || rd_u32(f, &ver) || ver != 1 ||
        rd_u32(f, &n) || n > 100000)
        goto bad;
    g->r = calloc(n ? n : 1, sizeof *g->r);
    if (!g->r) goto bad;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len, nd, d;
        if (rd_u32(f, &len) || len > 4096) goto bad;
        g->r[i].name = calloc(len + 1, 1);
        g->n = i + 1;
        if (!g->r[i].name || fread(g->r[i].name, 1, len, f) != len || rd_u32(f, &nd) || nd > 8) goto bad;
        size_t cnt = 1;
        for (uint32_t k = 0; k < nd; k++) {
            if (rd_u32(f, &d)) goto bad;
            cnt *= d;
        }
        if (cnt > (1u << 26)) goto bad;
        g->r[i].n = cnt;
        g->r[i].data = malloc((cnt ? cnt : 1) * sizeof(float));
        if (!g->r[i].data || fread(g->r[i].data, sizeof(float), cnt, f) != cnt) goto bad;
    }
    fclose(f);
    return g;
bad:
    fprintf(stderr, "golden: %s is malformed (magic, version 1 or a record)\n", path);
    fclose(f);
    golden_free(g);
    return NULL;
}

const float *golden_get(const golden *g, const char *name, size_t *n)
{
    for (uint32_t i = 0; g && i < g->n; i++)
        if (!strcmp(g->r[i].name, name)) {
            if (n) *n = g->r[i].n;
            return g->r[i].data;
        }
    fprintf(stderr, "golden: no record '%s'\n", name);
    if (n) *n = 0;
    return NULL;
}

int golden_int(const golden *g, const char *name, size_t i)
{
    size_t n;
    const float *v = golden_get(g, name, &n);
    return v && i < n ? (int)lrintf(v[i]) : -1;
}

int golden_close(const char *label, const float *got, const float *want, size_t n, double rtol,
                 double ascale)
{
    if (!got || !want) {
        fprintf(stderr, "%s: missing data\n", label);
        return 0;
    }
    double wmax = 0, eabs = 0, erel = 0;
    for (size_t i = 0; i < n; i++) wmax = fmax(wmax, fabs(want[i]));
    double atol = ascale * wmax;
    int ok = 1;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]);
        if (!(e <= atol + rtol * fabs(want[i]))) {
            if (ok) worst = i;
            ok = 0;
        }
        if (e > eabs) eabs = e;
        if (fabs(want[i]) > 1e-3 * wmax && e / fabs(want[i]) > erel) erel = e / fabs(want[i]);
        if (isnan(got[i])) ok = 0;
    }
    printf("  %-26s n=%-6zu max_abs=%.3e max_rel=%.3e (|ref|max %.3g, rtol %.0e, atol %.2e) %s\n", label, n,
           eabs, erel, wmax, rtol, atol, ok ? "ok" : "FAIL");
    if (!ok)
        fprintf(stderr, "  %s: first failure at %zu: got %.9g want %.9g\n", label, worst, got[worst], want[worst]);
    return ok;
}
