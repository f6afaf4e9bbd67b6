/* Reader for the PyTorch goldens of tests/oracles/nn (format in gen_goldens.py)
 * and an array comparison that prints its error statistics. */
#ifndef TS_NN_TEST_GOLDEN_H
#define TS_NN_TEST_GOLDEN_H

#include <stddef.h>

typedef struct golden golden;

/* Loads TS_SOURCE_DIR/tests/oracles/nn/golden/<file>; NULL (message printed) on error. */
golden *golden_load(const char *file);
void golden_free(golden *g);
/* Borrowed data of record name; *n its element count (NULL if absent: prints). */
const float *golden_get(const golden *g, const char *name, size_t *n);
/* Record value i as int (for meta records). */
int golden_int(const golden *g, const char *name, size_t i);

/* Max-error comparison: passes when every |got - want| <= atol + rtol |want|
 * with atol = ascale · max|want| (an error floor relative to the tensor's
 * magnitude, for entries that are small by cancellation). Prints
 * "label: max_abs .. max_rel .. n" and returns 1 on pass. */
int golden_close(const char *label, const float *got, const float *want, size_t n, double rtol,
                 double ascale);

#endif
