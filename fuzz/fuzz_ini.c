/* libFuzzer target for the INI reader and the typed getters: any input must
 * give either a configuration or a clean error, never a crash or a leak. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tinsel/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *fp = fmemopen((void *)data, size, "r");
    if (!fp) return 0;
    ts_config *c = NULL;
    if (ts_config_load_stream(fp, "fuzz.ini", &c) == 0) {
        double d;
        long l;
        int b, k;
        const char *s;
        double *v = NULL;
        size_t n;
        static const char *const choices[] = {"be", "cn"};
        ts_config_get_double(c, "grid", "length", 1, -INFINITY, INFINITY, &d);
        ts_config_get_long(c, "grid", "nx", 1, 0, 100, &l);
        ts_config_get_bool(c, "solver", "adaptive", 0, &b);
        ts_config_get_choice(c, "solver", "method", "be", choices, 2, &k);
        ts_config_get_string(c, "solver", "name", "x", &s);
        if (ts_config_get_doubles(c, "solver", "times", "", &v, &n) == 0) free(v);
        ts_config_check_unknown(c);
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            ts_config_write(c, null);
            fclose(null);
        }
        ts_config_destroy(c);
    }
    fclose(fp);
    return 0;
}
