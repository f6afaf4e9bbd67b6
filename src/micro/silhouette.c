/* Silhouette score as scikit-learn's silhouette_score (metric euclidean;
 * Rousseeuw 1987; seed 000 Methods and ref. 97):
 *   a(i) = mean distance to the other members of its cluster,
 *   b(i) = smallest mean distance to the members of another cluster,
 *   s(i) = (b - a) / max(a, b), s(i) = 0 for a singleton cluster,
 *   score = mean s(i).  Valid for 2 <= number of labels <= n - 1. */
#include <math.h>
#include <stdlib.h>

#include "micro_internal.h"

int ts_micro_silhouette(const double *X, size_t n, int d, const int *labels, double *score)
{
    if (!X || !labels || !score) return ts_error_set(TS_ERR_INVAL, "silhouette: NULL argument");
    if (n < 3 || d < 1) return ts_error_set(TS_ERR_RANGE, "silhouette: need >= 3 samples (got %zu)", n);
    int maxl = -1;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0) return ts_error_set(TS_ERR_RANGE, "silhouette: label %d of sample %zu < 0", labels[i], i);
        if (labels[i] > maxl) maxl = labels[i];
    }
    int nl = maxl + 1;
    size_t *size = calloc((size_t)nl, sizeof *size);
    double *sum = malloc((size_t)nl * sizeof *sum);
    int *map = malloc((size_t)nl * sizeof *map);
    if (!size || !sum || !map) {
        free(size);
        free(sum);
        free(map);
        return ts_error_set(TS_ERR_NOMEM, "silhouette: out of memory");
    }
    for (size_t i = 0; i < n; i++) size[labels[i]]++;
    int k = 0;
    for (int l = 0; l < nl; l++) map[l] = size[l] ? k++ : -1;
    if (k < 2 || (size_t)k > n - 1) {
        free(size);
        free(sum);
        free(map);
        return ts_error_set(TS_ERR_RANGE,
                            "silhouette: %d distinct labels for %zu samples; valid values are 2 to n - 1", k, n);
    }
    double tot = 0;
    for (size_t i = 0; i < n; i++) {
        for (int l = 0; l < nl; l++) sum[l] = 0;
        for (size_t j = 0; j < n; j++) {
            if (j == i) continue;
            double s2 = 0;
            for (int q = 0; q < d; q++) {
                double t = X[i * d + q] - X[j * d + q];
                s2 += t * t;
            }
            sum[labels[j]] += sqrt(s2);
        }
        size_t own = size[labels[i]];
        if (own <= 1) continue; /* s = 0 */
        double a = sum[labels[i]] / (own - 1), b = INFINITY;
        for (int l = 0; l < nl; l++)
            if (l != labels[i] && size[l] > 0 && sum[l] / size[l] < b) b = sum[l] / size[l];
        double m = a > b ? a : b;
        tot += m > 0 ? (b - a) / m : 0.0;
    }
    free(size);
    free(sum);
    free(map);
    *score = tot / n;
    return 0;
}
