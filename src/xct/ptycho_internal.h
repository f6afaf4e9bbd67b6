/* Private to the ptychography files (src/xct/ptycho*.c). */
#ifndef TS_XCT_PTYCHO_INTERNAL_H
#define TS_XCT_PTYCHO_INTERNAL_H

#include <complex.h>

#include <fftw3.h>

#include "xct_internal.h"

struct ts_xct_ptycho {
    ts_xct_ptycho_geom g;
    int npos;
    int *pos;              /* [npos][2] (row, col) */
    double complex *H;     /* [np][np] propagator over dz, FFT order */
    fftw_plan pf, pb;      /* np x np in-place forward / backward */
};

/* Work buffers of one thread (fftw_malloc'd). */
typedef struct {
    double complex *u;     /* [nmodes][nslices][np][np] wave incident on each slice */
    double complex *psi;   /* [nmodes][np][np] exit waves / far field / gradients */
    double complex *t;     /* [np][np] scratch */
} xct_ptycho_work;

int xct_ptycho_work_init(const ts_xct_ptycho *m, xct_ptycho_work *w);
void xct_ptycho_work_free(xct_ptycho_work *w);
/* Unitary DFT in place (sign +1 forward, -1 inverse). */
void xct_ptycho_fft(const ts_xct_ptycho *m, int sign, double complex *u);
void xct_ptycho_exit(const ts_xct_ptycho *m, int j, const double complex *obj,
                     const double complex *probe, xct_ptycho_work *w);
double xct_ptycho_pos_grad(const ts_xct_ptycho *m, int j, const double complex *obj,
                           const double complex *probe, const double *Ij, xct_ptycho_work *w,
                           double complex *gobj, double complex *gprobe, double *illum);
/* ts_xct_ptycho_loss_grad, also accumulating illum[nslices][n][n] =
 * sum_j sum_m |u^[l]_jm|^2 (the wave incident on each slice) when illum != NULL. */
int xct_ptycho_loss_grad_ex(const ts_xct_ptycho *m, const double complex *obj,
                            const double complex *probe, const double *inten, double *loss,
                            double complex *gobj, double complex *gprobe, double *illum);

#endif
