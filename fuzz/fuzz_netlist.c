/* libFuzzer target for the SPICE power-grid reader (em): any input must give
 * a netlist or a clean error with a line number, never a crash or a leak. */
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"
#include "tinsel/em.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ts_em_netlist *nl = NULL;
    if (ts_em_netlist_parse(text, "fuzz.sp", &nl) == 0) {
        ts_em_netlist_find(nl, "n1_0_0");
        ts_em_netlist_destroy(nl);
    }
    free(text);
    return 0;
}
