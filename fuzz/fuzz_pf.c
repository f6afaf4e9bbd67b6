/* libFuzzer target for the pf 1D checkpoint reader: any file must load into
 * a simulation whose fields are finite and whose step size is positive, or
 * give a clean error. The grid is shrunk to 8 points so the corpus stays small. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tinsel/core.h"
#include "tinsel/pf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void small_params(ts_pf_params *p)
{
    ts_pf_params_default(p, 0);
    double w = 0;
    for (int r = 0; r < p->nphase; r++) w += p->ph[r].width;
    p->n = 8;
    p->dx = w / p->n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/tinsel-fuzz-pf.%ld", (long)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    ts_pf_params p;
    small_params(&p);
    ts_pf_sim *s = NULL;
    if (ts_pf_sim_load(&p, path, &s) == 0) {
        double d[TS_PF_MAXPHASE], e, parts[4];
        ts_pf_sim_thickness(s, d);
        ts_pf_sim_energy(s, &e, parts);
        ts_pf_sim_destroy(s);
    }
    return 0;
}

#ifdef TS_FUZZ_SEED
/* Writes the seed corpus file: a real checkpoint of the 8-point grid. */
int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    ts_pf_params p;
    small_params(&p);
    ts_pf_sim *s = NULL;
    if (ts_pf_sim_create(&p, &s) || ts_pf_sim_step(s) || ts_pf_sim_save(s, argv[1])) {
        fprintf(stderr, "%s\n", ts_error_message());
        return 1;
    }
    ts_pf_sim_destroy(s);
    return 0;
}
#endif
