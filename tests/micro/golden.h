/* Helpers shared by the micro tests: the oracle script's integer-hash test
 * images (tests/oracles/micro/make_goldens.py) and a tiny CSV reader. */
#ifndef TS_MICRO_TEST_GOLDEN_H
#define TS_MICRO_TEST_GOLDEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline double golden_hash01(uint64_t i, uint64_t j, uint64_t k)
{
    uint64_t v = (i * 73856093u) ^ (j * 19349663u) ^ (k * 83492791u);
    v = (v * 2654435761u) % 2147483648u;
    return (double)v / 2147483648.0;
}

/* a[i][j] = 0.5 i/h + 0.2 ((i/8 + j/8) mod 2) + 0.3 hash(i, j, k) */
static inline void golden_image(double *a, int h, int w, int k)
{
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            a[(size_t)i * w + j] = 0.5 * ((double)i / h) + 0.2 * ((i / 8 + j / 8) % 2) +
                                   0.3 * golden_hash01((uint64_t)i, (uint64_t)j, (uint64_t)k);
}

static inline void golden_pair(double *a, double *b, int h, int w, int k)
{
    golden_image(a, h, w, k);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            b[(size_t)i * w + j] = 0.7 * a[(size_t)i * w + j] +
                                   0.3 * golden_hash01((uint64_t)i, (uint64_t)j, (uint64_t)(k + 100));
}

/* Reads a numeric CSV of the golden folder (first column may be a name:
 * it is returned in names[row] when names != NULL). Returns rows read. */
static inline int golden_csv(const char *file, double *vals, int maxrows, int ncols, char names[][16])
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/micro/data/%s", TS_SOURCE_DIR, file);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "cannot open golden %s\n", path);
        return -1;
    }
    char line[4096];
    int r = 0;
    if (!fgets(line, sizeof line, fp)) {
        fclose(fp);
        return -1;
    }
    while (r < maxrows && fgets(line, sizeof line, fp)) {
        char *s = line;
        int c0 = 0;
        if (names) {
            char *comma = strchr(s, ',');
            if (!comma) break;
            size_t l = (size_t)(comma - s);
            if (l > 15) l = 15;
            memcpy(names[r], s, l);
            names[r][l] = '\0';
            s = comma + 1;
        }
        for (int c = c0; c < ncols; c++) {
            vals[(size_t)r * ncols + c] = strtod(s, &s);
            if (*s == ',') s++;
        }
        r++;
    }
    fclose(fp);
    return r;
}

#endif
