/* Private: neighbour lists and MEAM work arrays of a ts_md_calc. */
#ifndef TS_MD_CALC_INTERNAL_H
#define TS_MD_CALC_INTERNAL_H

#include "md/meam_internal.h"

typedef struct {
    /* atoms: nlocal owned + ghost images; arrays over nall */
    int nlocal, nall, cap_all;
    double *xall;      /* [nall][3] Å */
    int *owner;        /* [nall] owning local atom */
    int *typeall;      /* [nall] element */
    double *gshift;    /* [nall][3] Cartesian image shift (0 for local), Å */
    int *gimg;         /* [nall][3] integer image (0 for local) */
    /* CSR lists over local i: half (pairs within rc + skin, each pair once)
     * and full (all atoms within rscreen + skin, for screening) */
    int *half_off, *half_j, *full_off, *full_j;
    double *full_r;     /* distance i-k at build time; each full segment sorted by it */
    long half_cap, full_cap, fullr_cap;
    /* build state */
    double *x_at_build; /* [nall][3]: all positions (ghosts too) at the last build */
    double cell_at_build[9]; /* cell of the last ghost update */
    double cell_built[9];    /* cell at the last list build */
    int img_max;             /* largest |image index| of a ghost */
    int n_at_build;
} md_neigh;

/* Per-thread store of the screening derivatives of partially screened
 * pairs: for each contributing atom k, its index and (dS_ikj/dr)/(S delc)
 * factors times dC/d(r_ik^2), dC/d(r_jk^2), so the force loop needs no
 * second pass over the screening atoms. */
typedef struct {
    int *k;
    double *d; /* [n][2] */
    long n, cap;
} md_kcache;

struct ts_md_calc {
    const ts_md_meam *pot;
    double skin, rhalf, rfull;
    int nthreads, reference, valid, nt_alloc;
    long nbuilds;
    md_neigh nb;
    /* per-atom MEAM arrays (SoA, nlocal) */
    int cap;
    double *rho0, *arho2b, *arho1, *arho2, *arho3, *arho3b, *t_ave, *tsq_ave;
    double *rho, *rho1, *rho2, *rho3, *gamma, *dgamma1, *dgamma2, *dgamma3, *frhop;
    /* per half-list entry */
    long pcap;
    double *scrfcn, *dscrfcn, *fcpair;
    int *kc_tid, *kc_cnt; /* per half-list entry: thread and count of cached k */
    long *kc_off;
    md_kcache *kc;        /* [kc_nt] */
    int kc_nt;
    int kc_err;
    /* per-thread accumulation buffers [nthreads][nlocal * NACC] and forces */
    double *tbuf, *tforce;
};

/* number of density accumulators per atom: rho0 arho2b arho1[3] arho2[6]
 * arho3[10] arho3b[3] t_ave[3] tsq_ave[3] */
#define MD_NACC 30

int md_neigh_build(ts_md_calc *c, const ts_md_system *s);
void md_neigh_update_ghosts(ts_md_calc *c, const ts_md_system *s);
void md_neigh_free(md_neigh *nb);
int md_meam_compute(ts_md_calc *c, ts_md_system *s, ts_md_result *res, double *eatom);

#endif
