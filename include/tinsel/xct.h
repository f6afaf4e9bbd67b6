/* tinsel xct: X-ray tomography of integrated circuits.
 *
 * IC phantoms, a parallel-beam projector (Joseph) with its exact adjoint,
 * FBP, ART, SIRT, SART and TV-regularised reconstruction (FISTA + FGP),
 * DXchange input with flat/dark correction and centre-of-rotation search,
 * and image-quality metrics (PSNR, SSIM, MS-SSIM, PCC, DSC, BER).
 * Background: seed 001 and notes/xct.md; deviations in docs/xct.md.
 *
 * Units and conventions
 *   - Lengths inside the projector are in PIXELS (pixel size 1); a physical
 *     voxel size only scales line integrals (projection value = sum of
 *     pixel value x path length in pixels).
 *   - Angles are in RADIANS in every function (degrees only on the command line
 *     and in DXchange files, which store degrees).
 *   - Images are row-major float img[row][col], n x n; volumes are stacks of
 *     slices vol[slice][row][col] (slice = position along the rotation axis).
 *   - Pixel (row, col) has centre x = col - c, y = c - row with c = n/2
 *     (integer division, as scikit-image and TomoPy); y points up.
 *   - Detector bin k has centre t = k - centre (centre: detector index of the
 *     rotation axis, default ndet/2). Ray (theta, t) = {x cos(theta) + y sin(theta) = t}.
 *     theta = 0 integrates along y (the rows).
 *   - Sinograms are sino[angle][bin]; stacks sino[slice][angle][bin].
 *   - Refractive index n = 1 - delta + i beta (dimensionless); energies in keV.
 */
#ifndef TINSEL_XCT_H
#define TINSEL_XCT_H

#include <stddef.h>
#include <stdint.h>

#include "tinsel/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- geometry */

typedef struct {
    int n;          /* image is n x n pixels */
    int ndet;       /* detector bins per angle */
    int nang;       /* number of angles */
    double center;  /* detector index (may be fractional) of the rotation axis */
    double *theta;  /* [nang] radians; owned by the geometry */
} ts_xct_geom;

/* theta: nang angles in radians (copied). center < 0 selects ndet/2.
 * Errors: n, ndet < 2, nang < 1, non-finite angle. Caller owns *out. */
int ts_xct_geom_create(int n, int ndet, int nang, const double *theta, double center,
                       ts_xct_geom **out);
void ts_xct_geom_destroy(ts_xct_geom *g);

/* nang equally spaced angles from lo_deg to hi_deg (degrees), written in
 * radians to theta[nang]; endpoint != 0 includes hi_deg (limited-angle scans
 * +-70 deg), endpoint == 0 excludes it (full scans [0, 180)). */
int ts_xct_angles_linspace(int nang, double lo_deg, double hi_deg, int endpoint, double *theta);

/* Quadrature weight (radians) of every angle for FBP: the width of its
 * Voronoi cell on the sorted angles, the end cells taking their neighbour's
 * spacing; a uniform scan gets pi/nang over [0, pi), d_theta on a limited range.
 * w: [nang]. */
int ts_xct_angle_weights(const ts_xct_geom *g, double *w);

/* ------------------------------------------------ linear operator interface */

/* A linear forward model y = A x for ONE slice; the reconstruction algorithms
 * use only this interface, so another model (e.g. a linearised multislice
 * ptychographic projector) can be plugged in. Rows are grouped in nblocks
 * contiguous blocks (the angles for tomography) used by SART.
 * All functions are thread-safe on a const operator (slices may run in
 * parallel); forward/adjoint use OpenMP themselves when not called inside a
 * parallel region. */
typedef struct ts_xct_op ts_xct_op;
struct ts_xct_op {
    size_t ncols;               /* unknowns (pixels of one slice) */
    size_t nrows;               /* measurements (rays of one slice) */
    int nblocks;                /* row blocks (angles) */
    size_t *block_start;        /* [nblocks + 1] first row of each block; owned */
    /* y[nrows] = A x[ncols] */
    int (*forward)(const ts_xct_op *op, const float *x, float *y);
    /* x[ncols] = A^T y[nrows] */
    int (*adjoint)(const ts_xct_op *op, const float *y, float *x);
    /* y[r1 - r0] = rows r0 .. r1-1 of A x */
    int (*forward_rows)(const ts_xct_op *op, size_t r0, size_t r1, const float *x, float *y);
    /* x[ncols] += (rows r0 .. r1-1 of A)^T y[r1 - r0] */
    int (*adjoint_rows_add)(const ts_xct_op *op, size_t r0, size_t r1, const float *y, float *x);
    /* out[nrows] = sum_j A_ij^2 (for ART) */
    int (*row_norms2)(const ts_xct_op *op, double *out);
    void *ctx;                  /* model data; freed by ctx_free */
    void (*ctx_free)(void *ctx);
};

/* Joseph's parallel-beam projector (Joseph 1982): matrix element between ray
 * (theta, k) and pixel p is  max(0, 1 - |k - k_p|/a) / a  with
 * k_p = centre + x_p cos(theta) + y_p sin(theta), a = max(|cos|, |sin|).
 * Rows ordered [angle][bin]; one block per angle. The geometry is copied.
 * Caller owns *out (ts_xct_op_destroy). */
int ts_xct_op_joseph_create(const ts_xct_geom *g, ts_xct_op **out);
void ts_xct_op_destroy(ts_xct_op *op);

/* Reference kernels (serial, straight from the matrix element): used by the
 * tests to check the fast kernels. sino[nang][ndet], img[n][n]. */
int ts_xct_joseph_forward_ref(const ts_xct_geom *g, const float *img, float *sino);
int ts_xct_joseph_adjoint_ref(const ts_xct_geom *g, const float *sino, float *img);

/* ----------------------------------------------------------------- FBP */

typedef enum {
    TS_XCT_FILTER_RAMLAK = 0,  /* ramp |f| (discrete spatial kernel, Kak & Slaney eq. 3.61) */
    TS_XCT_FILTER_SHEPP_LOGAN, /* ramp x sinc(f) */
    TS_XCT_FILTER_COSINE,      /* ramp x cos(pi f) */
    TS_XCT_FILTER_HAMMING,     /* ramp x (0.54 + 0.46 cos(2 pi f)) */
    TS_XCT_FILTER_HANN,        /* ramp x (0.5 + 0.5 cos(2 pi f)) */
    TS_XCT_FILTER_COUNT_
} ts_xct_filter;

/* "ramlak", "shepp-logan", "cosine", "hamming", "hann" (also "ramp"). */
int ts_xct_filter_parse(const char *name, ts_xct_filter *out);
const char *ts_xct_filter_name(ts_xct_filter f);

/* Filtered backprojection of one slice: sino[nang][ndet] -> img[n][n]
 * (1/pixel if sino is a line integral in pixel units). pad != 0 zero-pads each
 * projection to the next power of two >= 2 ndet (at least 64) before
 * filtering (no circular wrap-around); pad == 0 filters at length ndet.
 * Backprojection: pixel-driven, linear interpolation, weighted by
 * ts_xct_angle_weights (not the Joseph adjoint). Parallel over rows with
 * OpenMP. The projector and the backprojection use AVX-512 kernels on CPUs
 * that have AVX-512F/DQ; the environment variable TINSEL_XCT_SIMD=generic
 * selects the portable loops (results agree to float rounding, ~1e-6). */
int ts_xct_fbp(const ts_xct_geom *g, ts_xct_filter filter, int pad, const float *sino,
               float *img);
/* The same backprojection, serial and written plainly (reference for tests).
 * q: filtered sinogram [nang][ndet]; w: angle weights [nang]. */
int ts_xct_backproject_ref(const ts_xct_geom *g, const float *q, const double *w, float *img);
int ts_xct_backproject(const ts_xct_geom *g, const float *q, const double *w, float *img);
/* Filter every projection: sino[nang][ndet] -> q[nang][ndet]. */
int ts_xct_filter_sinogram(const ts_xct_geom *g, ts_xct_filter filter, int pad,
                           const float *sino, float *q);

/* -------------------------------------------------- iterative algorithms */

typedef enum { TS_XCT_FBP = 0, TS_XCT_ART, TS_XCT_SIRT, TS_XCT_SART, TS_XCT_TV,
               TS_XCT_ALGO_COUNT_ } ts_xct_algo;
int ts_xct_algo_parse(const char *name, ts_xct_algo *out);
const char *ts_xct_algo_name(ts_xct_algo a);

typedef struct {
    ts_xct_algo algo;
    ts_xct_filter filter;  /* FBP filter */
    int pad;               /* FBP zero padding (1 = on) */
    int iters;             /* iterations (ART, SART: sweeps over all rows/angles) */
    double relax;          /* relaxation lambda: ART/SART (0, 2), SIRT (0, 2) */
    double lo, hi;         /* box constraint lo <= x <= hi (use -/+INFINITY for none) */
    double tol;            /* stop when ||b - Ax|| / ||b|| <= tol (0: never) */
    double stall;          /* stop when the relative residual drops by less than
                              stall (relative) in one iteration (0: never) */
    double tv_weight;      /* TV: lambda in 1/2||Ax-b||^2 + lambda TV(x) */
    int tv_inner;          /* TV: FGP iterations per proximal step */
    ts_progress *progress; /* optional (NULL): updated with the iteration count; borrowed */
} ts_xct_params;

/* Defaults: FBP ramlak padded; iters 50; relax 1 (ART 0.5); lo 0, hi +inf;
 * tol 0, stall 1e-5; tv_weight 0.01; tv_inner 20. */
void ts_xct_params_default(ts_xct_params *p);

typedef struct {
    int iters;          /* iterations done */
    double residual;    /* final ||b - Ax|| / ||b|| */
    int stopped_by;     /* 0 max iterations, 1 tol, 2 stall */
} ts_xct_info;

/* One slice. b: measurements [op->nrows]; x: [op->ncols], on entry the start
 * value (e.g. zeros), on exit the reconstruction. info may be NULL.
 *  SIRT  x += relax C A^T R (b - A x), R = 1/(A 1), C = 1/(A^T 1)  (Gregor & Benson 2008)
 *  SART  per angle block (golden-ratio order): same with block sums (Andersen & Kak 1984)
 *  ART   Kaczmarz per ray: x += relax (b_i - a_i.x)/|a_i|^2 a_i  (Gordon et al. 1970)
 *  TV    FISTA on 1/2||Ax-b||^2 + w TV_iso(x) + box, FGP prox (Beck & Teboulle 2009)
 * All apply the box constraint after each update. */
int ts_xct_sirt(const ts_xct_op *op, const ts_xct_params *p, const float *b, float *x,
                ts_xct_info *info);
int ts_xct_sart(const ts_xct_op *op, const ts_xct_params *p, const float *b, float *x,
                ts_xct_info *info);
int ts_xct_art(const ts_xct_op *op, const ts_xct_params *p, const float *b, float *x,
               ts_xct_info *info);
/* TV needs the image shape: x is n x n with n*n == op->ncols. */
int ts_xct_tv_fista(const ts_xct_op *op, int n, const ts_xct_params *p, const float *b,
                    float *x, ts_xct_info *info);

/* Proximal map of TV: argmin_u 1/2||u - f||^2 + w TV_iso(u), lo <= u <= hi,
 * by FGP (Beck & Teboulle 2009, Alg. FGP). f, u: [n][n]; iters >= 1. */
int ts_xct_tv_prox(int n, const float *f, double w, double lo, double hi, int iters, float *u);

/* Largest singular value squared of op (power iteration, `iters` steps). */
int ts_xct_op_norm2(const ts_xct_op *op, int iters, double *out);

/* Reconstruct a stack: sino[nslices][nang][ndet] -> vol[nslices][n][n] with
 * the algorithm in p; slices in parallel (OpenMP). prog may be NULL; it counts
 * slices when nslices > 1, else iterations (p->progress is ignored here). */
int ts_xct_reconstruct(const ts_xct_geom *g, const ts_xct_params *p, int nslices,
                       const float *sino, float *vol, ts_progress *prog);

/* ------------------------------------------------------------ phantoms */

typedef enum { TS_XCT_VACUUM = 0, TS_XCT_SIO2, TS_XCT_SI, TS_XCT_CU, TS_XCT_W,
               TS_XCT_MAT_COUNT_ } ts_xct_material;

const char *ts_xct_material_name(ts_xct_material m);
/* delta, beta of material m at energy_kev. Tabulated at 8.8 keV (notes/xct.md);
 * other energies in [5, 8.97] keV (no absorption edge of Si, O, Cu, W there)
 * are scaled as delta ~ E^-2, beta ~ E^-4; outside: TS_ERR_RANGE. */
int ts_xct_material_index(ts_xct_material m, double energy_kev, double *delta, double *beta);

typedef struct {
    int nx, ny, nz;        /* voxels: x lateral (image columns), y along the rotation axis
                              (slices), z depth (image rows, z up = row decreasing) */
    double voxel_nm;       /* voxel size (nm) */
    double energy_kev;     /* X-ray energy (keV) */
    int layers;            /* metal layers M1..Mk */
    int pitch1;            /* M1 pitch (voxels); width = pitch/2 */
    double pitch_growth;   /* pitch of layer k = pitch1 * growth^(k-1), rounded */
    int thick1;            /* M1 thickness (voxels); layer k thickness scales like its pitch */
    int via_height;        /* dielectric gap between layers (voxels), crossed by vias */
    int substrate;         /* Si substrate thickness (voxels) */
    int contact;           /* contact layer (W plugs) thickness (voxels) */
    double via_prob;       /* probability of a via at a crossing of adjacent layers */
    double cut_prob;       /* probability per pitch that a line is cut (gap) */
    double fill;           /* fraction of the width (x) occupied by the sample (0, 1] */
    uint64_t seed;
} ts_xct_phantom_params;

void ts_xct_phantom_params_default(ts_xct_phantom_params *p);

/* An IC phantom. Arrays [ny][nz][nx] (slice-major: slice y is an nz x nx
 * image, rows = depth, row 0 at the top). Owned by the phantom. */
typedef struct {
    int nx, ny, nz;
    double voxel_nm;
    double energy_kev;
    uint8_t *material;     /* ts_xct_material per voxel */
    uint8_t *metal;        /* 1 where Cu or W (the binary label) */
    float *delta;          /* refractive index decrement */
    float *beta;           /* absorption index */
} ts_xct_phantom;

/* Layers along z from the bottom: Si substrate, contact layer (W plugs under
 * M1 lines), M1..Mk in SiO2 with alternating preferred direction (M1 along y,
 * M2 along x, ...), vias (Cu) at crossings of adjacent layers. nz must hold
 * the stack (TS_ERR_RANGE otherwise). Deterministic for a given seed.
 * Caller owns *out. */
int ts_xct_phantom_create(const ts_xct_phantom_params *p, ts_xct_phantom **out);
void ts_xct_phantom_destroy(ts_xct_phantom *ph);

/* Square n x n slice for tomography of slice y: the nz x nx cross-section
 * centred in an n x n image (zeros = vacuum around), values of `field`
 * (0 delta, 1 beta, 2 metal label). n >= max(nx, nz). out: [n][n]. */
int ts_xct_phantom_slice(const ts_xct_phantom *ph, int y, int field, int n, float *out);

/* ------------------------------------------------------------- DXchange */

/* Projections from a DXchange HDF5 file (/exchange/data [nang][nrows][ndet],
 * /exchange/data_white, /exchange/data_dark, /exchange/theta in degrees).
 * rows [row0, row0+nrows) are read (nrows <= 0: all from row0 on).
 * normalize: (data - mean dark)/(mean white - mean dark), clipped to >= 1e-6;
 * minus_log: -log of that. Output sino[nrows][nang][ndet] (slice-major),
 * theta in radians. Caller owns *sino and *theta (free()).
 * Errors: missing datasets (TS_ERR_NOTFOUND), shape mismatch or empty angle
 * set (TS_ERR_FORMAT), NaN/Inf in data (TS_ERR_NUMERIC). */
typedef struct {
    int nang, nrows, ndet;
    float *sino;       /* [nrows][nang][ndet] */
    double *theta;     /* [nang] radians */
} ts_xct_projections;

int ts_xct_dxchange_read(const char *path, int row0, int nrows, int normalize, int minus_log,
                         ts_xct_projections *out);
void ts_xct_projections_free(ts_xct_projections *p);

/* Write projections (line integrals `sino` [nrows][nang][ndet]) as a DXchange
 * file of transmitted counts I = i0 exp(-sino) (+ Poisson noise when
 * noise != 0, stream `seed`), with white (i0) and dark (0) fields, theta in degrees. */
int ts_xct_dxchange_write(const char *path, const ts_xct_projections *p, double i0, int noise,
                          uint64_t seed);

/* Centre of rotation search: FBP of slice `sino` [nang][ndet] for centres
 * in [lo, hi] (detector index) and the one minimising the histogram entropy
 * of the reconstruction inside the disc (Donath et al. 2006, as TomoPy's
 * find_center); coarse grid of step 1, then refined to step `tol` around the
 * best. *best: detector index. */
int ts_xct_find_center(const ts_xct_geom *g, const float *sino, double lo, double hi,
                       double tol, double *best);

/* -------------------------------------------------------------- metrics */

/* All images are [h][w] floats; ref is the reference (ground truth). */
/* PSNR (dB) with data_range (max - min of the reference when <= 0). */
int ts_xct_psnr(const float *ref, const float *img, size_t n, double data_range, double *out);
/* Pearson correlation coefficient. */
int ts_xct_pcc(const float *a, const float *b, size_t n, double *out);
/* SSIM as scikit-image's structural_similarity defaults: win x win uniform
 * window (odd, >= 3; skimage 7), sample covariance, K1 0.01, K2 0.03, mean
 * over the image cropped by (win-1)/2. data_range as in PSNR. */
int ts_xct_ssim(const float *ref, const float *img, int w, int h, int win, double data_range,
                double *out);
/* MS-SSIM as TensorFlow's tf.image.ssim_multiscale: 11x11 Gaussian window
 * (sigma 1.5), VALID filtering, 5 scales with weights (0.0448, 0.2856,
 * 0.3001, 0.2363, 0.1333), 2x2 average pooling with symmetric padding of odd
 * sizes, relu of cs and ssim. Needs min(w, h) >= 11 * 16. */
int ts_xct_msssim(const float *ref, const float *img, int w, int h, double data_range,
                  double *out);

/* Two-class Gaussian mixture fitted by EM (1-D). Class 0 has the lower mean. */
typedef struct {
    double prior[2], mean[2], sd[2];
    int iters;
} ts_xct_gmm2;
/* Fit to v[n] (initialised from the 25/75 % quantiles), until the
 * log-likelihood changes by < 1e-10 relative or 500 iterations. */
int ts_xct_gmm2_fit(const float *v, size_t n, ts_xct_gmm2 *out);
/* Bayes decision: 1 where prior1 N(x; m1, s1) > prior0 N(x; m0, s0). */
int ts_xct_gmm2_classify(const ts_xct_gmm2 *g, const float *v, size_t n, uint8_t *label);

typedef struct { double dsc, ber; size_t tp, tn, fp, fn; } ts_xct_binary_scores;
/* Seed 001 eqs. (10), (11). Labels 0/1. */
int ts_xct_binary_scores_compute(const uint8_t *ref, const uint8_t *test, size_t n,
                                 ts_xct_binary_scores *out);

typedef struct {
    double psnr, ssim, msssim, pcc, dsc, ber;
} ts_xct_metrics;
/* Every metric of img against ref ([h][w]); binarisation as seed 001: a
 * two-Gaussian EM fit of ref, both images classified with its Bayes rule.
 * data_range: of ref when <= 0. msssim is NaN if the image is smaller than 176. */
int ts_xct_metrics_compute(const float *ref, const float *img, int w, int h,
                           double data_range, ts_xct_metrics *out);

/* 2-D power spectrum log10(|FFT(img)|^2 + eps), centred (fftshift). out: [n][n]. */
int ts_xct_power_spectrum(int n, const float *img, double *out);


/* -------------------------------------------------------- ptychography */
/* Mixed-state multislice ptychography (seed 001, notes/xct.md "Forward
 * model"); src/xct/ptycho*.c, deviations in docs/xct.md.
 *
 * Complex arrays are interleaved double complex (C99 `double _Complex`, the
 * memory layout of fftw_complex), row-major:
 *   object  obj[nslices][n][n]      transmission of each slice (1 = vacuum)
 *   probe   probe[nmodes][np][np]   incoherent modes, sqrt(photons) per pixel
 *   data    I[npos][np][np]         far-field intensity (photons), DC at [0][0]
 *                                   (FFT order; previews are fftshifted)
 * The detector is sampled so that one far-field pixel is 1/(np pixel_nm):
 * the object pixel is the reconstruction pixel. The DFT is unitary
 * (1/np scaling), so sum_q I_j[q] = sum_m ||exit wave_m||^2 (Parseval).
 * Scan positions are the top-left corners (row, col) of the np x np probe
 * window in the object, integer pixels. */

typedef struct {
    int n;            /* object slices are n x n pixels */
    int nslices;      /* L >= 1 */
    int np;           /* probe window = detector: np x np, 2 <= np <= n */
    int nmodes;       /* M >= 1 incoherent probe modes */
    double pixel_nm;  /* object pixel (nm) */
    double dz_nm;     /* distance between slices (nm) */
    double lambda_nm; /* wavelength (nm) = 1.23984193 / E[keV] */
    int exact;        /* 1: exact angular spectrum, 0: paraxial (Fresnel) kernel */
} ts_xct_ptycho_geom;

/* A forward model: geometry, scan positions, FFTW plans and the propagator.
 * Caller owns *out. pos: [npos][2] (row, col), copied; every window must lie
 * inside the object (TS_ERR_RANGE), np <= n (TS_ERR_RANGE). */
typedef struct ts_xct_ptycho ts_xct_ptycho;
int ts_xct_ptycho_create(const ts_xct_ptycho_geom *g, int npos, const int *pos,
                         ts_xct_ptycho **out);
void ts_xct_ptycho_destroy(ts_xct_ptycho *m);
const ts_xct_ptycho_geom *ts_xct_ptycho_geometry(const ts_xct_ptycho *m);
int ts_xct_ptycho_npos(const ts_xct_ptycho *m);
/* Borrowed [npos][2]. */
const int *ts_xct_ptycho_positions(const ts_xct_ptycho *m);

/* Angular-spectrum propagator kernel over an np x np window of pixel dx_nm,
 * FFT order: exact  H = exp(i 2 pi dz (sqrt(1/lambda^2 - f^2) - 1/lambda))
 * (the constant phase exp(i 2 pi dz / lambda) dropped; evaluated as
 * -f^2/(sqrt(1/lambda^2 - f^2) + 1/lambda) to avoid cancellation;
 * evanescent f > 1/lambda decays), paraxial H = exp(-i pi lambda dz f^2).
 * H: [np][np]. */
int ts_xct_ptycho_kernel(int np, double dx_nm, double dz_nm, double lambda_nm, int exact,
                         double _Complex *H);
/* u[np][np] <- F^-1{ H^(sign) F{u} } in place; sign -1 applies conj(H) (back
 * propagation, the adjoint). Plans are the model's; thread-safe. */
int ts_xct_ptycho_propagate(const ts_xct_ptycho *m, int sign, double _Complex *u);

/* Scan positions. Raster: step (pixels) between rows and columns, covering
 * the n x n object with the np window (last row/column flush with the edge).
 * Fermat spiral (Huang et al. 2014): r_k = c sqrt(k), phi_k = k 137.508 deg,
 * c = step / sqrt(pi) (each point then owns an area step^2), so the mean
 * distance between neighbours is about
 * `step`, centred, clipped to the object; positions rounded to pixels.
 * The overlap of two neighbouring discs of diameter d is 1 - step/d.
 * *pos (caller frees) [npos][2]. step must be in [1, np) (no overlap:
 * TS_ERR_RANGE). */
int ts_xct_ptycho_scan_raster(int n, int np, double step, int **pos, int *npos);
int ts_xct_ptycho_scan_fermat(int n, int np, double step, int **pos, int *npos);

/* Probes, normalised so that sum over modes and pixels of |P|^2 = photons.
 * Zone-plate-like: an annular pupil (outer radius `na` of the Nyquist
 * frequency 1/(2 dx), central stop `stop` of it), defocused by defocus_nm
 * (paraxial), giving a ring-structured focus. Gaussian: amplitude
 * exp(-r^2/(2 sigma^2)) (sigma in pixels) times a quadratic phase of
 * curvature `curv` rad/px^2. Modes m > 0 are the base probe times x, y, xy,
 * x^2 - y^2 ... (Hermite-like), Gram-Schmidt orthogonalised, with power
 * fractions proportional to decay^m. probe: [nmodes][np][np]. */
int ts_xct_ptycho_probe_zoneplate(int np, int nmodes, double na, double stop,
                                  double defocus_nm, double dx_nm, double lambda_nm,
                                  double decay, double photons, double _Complex *probe);
int ts_xct_ptycho_probe_gaussian(int np, int nmodes, double sigma, double curv, double decay,
                                 double photons, double _Complex *probe);

/* Object slices from delta, beta maps [nslices][n][n] each integrated over
 * its slice (units: nm of material thickness x delta, i.e. sum delta dz):
 * O = exp(i k (-delta + i beta) t) = exp(-i k D - k B), k = 2 pi / lambda.
 * obj: [nslices][n][n]. */
int ts_xct_ptycho_object_from_index(int n, int nslices, const float *delta_nm,
                                    const float *beta_nm, double lambda_nm, double _Complex *obj);

/* Far-field intensities of every position: I[npos][np][np] (photons). */
int ts_xct_ptycho_forward(const ts_xct_ptycho *m, const double _Complex *obj,
                          const double _Complex *probe, double *inten);
/* Exit waves of one position before the far-field FFT: psi[nmodes][np][np]. */
int ts_xct_ptycho_exit_wave(const ts_xct_ptycho *m, int j, const double _Complex *obj,
                            const double _Complex *probe, double _Complex *psi);
/* Poisson counts with mean I (stream `seed`), in place. */
int ts_xct_ptycho_poisson(double *inten, size_t n, uint64_t seed);

/* Amplitude loss (note eq. 1) L = sum_j sum_q (sqrt(sum_m |F psi_jm|^2) - sqrt(I_jq))^2
 * and its gradients g = dL/dRe + i dL/dIm (= 2 dL/dz*) for the object
 * slices and the probe modes (either may be NULL to skip). gobj:
 * [nslices][n][n], gprobe: [nmodes][np][np]. Where the model amplitude is
 * zero the subgradient 0 is used. Parallel over positions (OpenMP). */
int ts_xct_ptycho_loss_grad(const ts_xct_ptycho *m, const double _Complex *obj,
                            const double _Complex *probe, const double *inten, double *loss,
                            double _Complex *gobj, double _Complex *gprobe);

typedef enum { TS_XCT_PTYCHO_EPIE = 0, TS_XCT_PTYCHO_RPIE, TS_XCT_PTYCHO_GRAD,
               TS_XCT_PTYCHO_ALGO_COUNT_ } ts_xct_ptycho_algo;
int ts_xct_ptycho_algo_parse(const char *name, ts_xct_ptycho_algo *out);
const char *ts_xct_ptycho_algo_name(ts_xct_ptycho_algo a);

typedef struct {
    ts_xct_ptycho_algo algo;
    int iters;             /* passes over all positions */
    double alpha;          /* object step: ePIE alpha (1), rPIE alpha (0.1), GRAD step (1) */
    double beta;           /* probe step, same meaning (ePIE 1, rPIE 0.1, GRAD 1) */
    int probe_start;       /* first iteration that updates the probe (0-based; large: never) */
    uint64_t seed;         /* random position order of ePIE/rPIE */
    const double _Complex *obj_true; /* optional [nslices][n][n]: object error per iteration */
    const int *order;      /* optional [npos]: fixed ePIE/rPIE position order of every
                              sweep (tests against other codes); NULL: a random
                              permutation per iteration from seed */
    ts_progress *progress; /* optional, borrowed */
} ts_xct_ptycho_params;

/* Defaults: ePIE, 50 iterations, alpha = beta = 1, probe_start 2, seed 1. */
void ts_xct_ptycho_params_default(ts_xct_ptycho_params *p);

/* Per-iteration history (caller-provided arrays of p->iters, may be NULL):
 * data error sum (sqrt(I_model) - sqrt(I))^2 / sum I (before the update of that
 * iteration), and the object error (see ts_xct_ptycho_object_error) if
 * obj_true is given, else NaN. */
typedef struct {
    double *data_error;
    double *object_error;
    int iters;             /* iterations done */
} ts_xct_ptycho_info;

/* Reconstruct obj [nslices][n][n] and probe [nmodes][np][np] in place from
 * their start values and the data I[npos][np][np].
 *  ePIE (Maiden & Rodenburg 2009), rPIE (Maiden et al. 2017): sequential,
 *    single slice, every mode (Thibault & Menzel 2013 mixed states).
 *  GRAD: full-batch gradient of the amplitude loss (note eq. 1) through the
 *    slices, preconditioned by the illumination (diagonal Gauss-Newton,
 *    Odstrcil et al. 2018): O^[l] -= alpha g_O / (2 sum_j |u_j^[l]|^2 + eps)
 *    with u^[l] the wave incident on slice l, then (from probe_start on)
 *    P -= beta g_P / (2 sum_j |O_j^[1]|^2 + eps); eps = 1e-3 x max; a step
 *    that raises the loss is halved (at most 6 times, else not taken);
 *    any number of slices.
 * The data set must match the model (npos patterns of np x np). Errors:
 * ePIE/rPIE with nslices > 1 (TS_ERR_UNSUPPORTED), rPIE alpha/beta > 1
 * (TS_ERR_RANGE), negative or non-finite intensities (TS_ERR_NUMERIC). */
int ts_xct_ptycho_reconstruct(const ts_xct_ptycho *m, const ts_xct_ptycho_params *p,
                              const double *inten, double _Complex *obj, double _Complex *probe,
                              ts_xct_ptycho_info *info);

/* Phase error of a single-slice object against the truth over the pixels
 * where mask != 0 (mask NULL: every pixel): the global phase factor
 * exp(i g) = sum conj(o) t / |sum conj(o) t| removed, then
 * out = sqrt(mean |arg(o exp(i g) conj(t))|^2) (radians). */
int ts_xct_ptycho_phase_error(int npix, const double _Complex *obj, const double _Complex *truth,
                              const uint8_t *mask, double *out);
/* Normalised object error min_g ||o e^{ig} - t|| / ||t|| over the mask. */
int ts_xct_ptycho_object_error(int npix, const double _Complex *obj,
                               const double _Complex *truth, const uint8_t *mask, double *out);
/* mask[n][n] = 1 where sum over positions and modes of |P|^2 >= frac x max. */
int ts_xct_ptycho_illum_mask(const ts_xct_ptycho *m, const double _Complex *probe, double frac,
                             uint8_t *mask);

/* ------------------------------------------- ptycho-tomography helpers */
/* Slab line integrals for multislice ptycho-tomography (src/xct/ptycho_tomo.c).
 * vol: [ny][n][n] tomography slices of one field (delta or beta), ny <= n;
 * at angle theta (rad) the n x n slice is cut into nslabs slabs across the
 * beam (s = -x sin + y cos in [-n/2, n/2), equal widths) and each slab is
 * projected with Joseph's projector: out[nslabs][n][n] (rows y < ny; rows
 * >= ny are 0 = vacuum; columns detector bins) in nm of material x index
 * (line integral in pixels x voxel_nm). Summed over slabs = the projection. */
int ts_xct_slab_project(int n, int ny, const float *vol, double theta, int nslabs,
                        double voxel_nm, float *out);
/* The Approximant's back-rotation of one angle: slab_nm [nslabs][n][n] (as
 * ts_xct_slab_project's output) -> the mean index along each ray segment,
 * smeared back over its slab with Joseph's adjoint: acc[ny][n][n] += that,
 * wacc[ny][n][n] += the adjoint of the rays' indicator. The Approximant is
 * acc / wacc after all angles (average over angles). */
int ts_xct_slab_backproject_add(int n, int ny, const float *slab_nm, double theta, int nslabs,
                                double voxel_nm, float *acc, float *wacc);

#ifdef __cplusplus
}
#endif
#endif /* TINSEL_XCT_H */
