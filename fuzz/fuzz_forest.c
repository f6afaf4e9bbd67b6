/* libFuzzer target for the micro random-forest model reader: any file must
 * give a forest whose every node link was checked (prediction cannot loop or
 * read out of bounds), or a clean error. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tinsel/core.h"
#include "tinsel/micro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/tinsel-fuzz-rf.%ld", (long)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    ts_micro_forest *f = NULL;
    if (ts_micro_forest_load(path, &f) == 0) {
        int nf = ts_micro_forest_nfeat(f), nc = ts_micro_forest_nclass(f);
        enum { NS = 4 };
        if (nf > 65536) nf = 0; /* a valid header, but no caller has that many features */
        float *feat = malloc((size_t)nf * NS * sizeof *feat);
        float *prob = malloc((size_t)nc * NS * sizeof *prob);
        if (nf > 0 && feat && prob) {
            for (int i = 0; i < nf * NS; i++) feat[i] = (float)(i % 13) - 6.0f;
            ts_micro_forest_predict(f, feat, NS, NS, prob);
            ts_micro_forest_predict_ref(f, feat, NS, NS, prob);
        }
        free(feat);
        free(prob);
        ts_micro_forest_destroy(f);
    }
    return 0;
}

#ifdef TS_FUZZ_SEED
/* Writes the seed corpus file: a real 3-tree forest on 3 features, 3 classes. */
int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    enum { N = 60, NF = 3 };
    float X[N * NF];
    uint8_t y[N];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < NF; k++) X[i * NF + k] = (float)((i * (k + 3) * 37) % 101) / 100.0f;
        y[i] = (uint8_t)(X[i * NF] < 0.33f ? 0 : X[i * NF] < 0.66f ? 1 : 2);
    }
    ts_micro_forest_opts o;
    ts_micro_forest_opts_default(&o);
    o.ntrees = 3;
    o.max_depth = 4;
    ts_micro_forest *f = NULL;
    if (ts_micro_forest_train(&o, X, y, N, NF, 3, &f) || ts_micro_forest_save(f, argv[1])) {
        fprintf(stderr, "%s\n", ts_error_message());
        return 1;
    }
    ts_micro_forest_destroy(f);
    return 0;
}
#endif
