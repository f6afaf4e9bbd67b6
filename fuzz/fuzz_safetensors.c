/* libFuzzer target for the safetensors reader (nn): any file must give
 * tensors whose every offset and shape were checked, or a clean error. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tinsel/core.h"
#include "tinsel/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/tinsel-fuzz-st.%ld", (long)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    ts_nn_safetensors *st = NULL;
    if (ts_nn_st_read(path, &st) == 0) {
        /* Touch every tensor's data: the reader promised it is in bounds. */
        volatile float sink = 0;
        for (int i = 0; i < ts_nn_st_count(st); i++) {
            int nd;
            int64_t shape[TS_NN_MAXDIM];
            if (ts_nn_st_shape(st, i, &nd, shape) != 0) continue;
            int64_t n = 1;
            for (int k = 0; k < nd; k++) n *= shape[k];
            const float *d = ts_nn_st_data(st, i);
            if (n > 0 && d) sink += d[0] + d[n - 1];
        }
        (void)sink;
        ts_nn_st_meta(st, "step");
        ts_nn_st_destroy(st);
    }
    return 0;
}
