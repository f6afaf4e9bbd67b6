/* The one BLAS entry point of nn: row-major sgemm on OpenBLAS.
 * Row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ, so the
 * Fortran routine is called with the operands swapped. OpenBLAS's sgemm_ is
 * used (not cblas_sgemm, which the link order may bind to GSL's reference
 * CBLAS). */
#include "nn/nn_internal.h"

extern void sgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
                   const float *alpha, const float *a, const int *lda, const float *b, const int *ldb,
                   const float *beta, float *c, const int *ldc);

void ts_nn_sgemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0) return;
    ts_nn_threads_init_(); /* OpenBLAS single-threaded (see tensor.c) */
    if (k <= 0) { /* C = beta C (BLAS leaves this case to the caller's beta) */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(size_t)i * ldc + j];
        return;
    }
    const char tA = ta ? 'T' : 'N', tB = tb ? 'T' : 'N';
    sgemm_(&tB, &tA, &n, &m, &k, &alpha, b, &ldb, a, &lda, &beta, c, &ldc);
}
