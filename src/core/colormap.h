/* Private to core: colour map and data range helpers. */
#ifndef TS_CORE_COLORMAP_H
#define TS_CORE_COLORMAP_H
#include <stddef.h>
/* t in [0,1] -> rgb in [0,1]^3. */
void ts_viridis(double t, double rgb[3]);
/* Finite min/max of v[n]; a degenerate range is widened. */
void ts_data_range(const double *v, size_t n, double *lo, double *hi);
#endif
