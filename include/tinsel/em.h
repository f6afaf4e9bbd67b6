/* tinsel em: electromigration (EM) stress, voids, resistance change and
 * lifetime of power-grid interconnect trees (seed 003, notes/em.md).
 *
 * Units: SI throughout — metres, seconds, pascals, volts, amperes, ohms,
 * kelvin; current density in A/m^2. Node coordinates in SPICE names
 * (n<layer>_<x>_<y>) are integers in units of `coord_unit` (default 1 nm,
 * EMspice's convention).
 *
 * Conventions: functions return 0 or a negative ts_status with the reason in
 * ts_error_message(); *_destroy accepts NULL; ownership is stated per call.
 */
#ifndef TINSEL_EM_H
#define TINSEL_EM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ netlist */

/* A DC power-grid netlist (IBM power-grid benchmark format): R, I and V
 * cards; ground is "0" (or "gnd"), stored as node index -1. */
typedef struct {
    int nnodes;
    char **node_names; /* [nnodes], owned */
    int *node_layer;   /* [nnodes] layer of n<layer>_<x>_<y>, -1 if the name has no such form */
    long *node_x;      /* [nnodes] x coordinate in coord units (0 if unknown) */
    long *node_y;      /* [nnodes] y coordinate */
    int *node_line;    /* [nnodes] line of first mention */

    int nres;
    char **res_names;  /* [nres], owned */
    int *res_a, *res_b; /* [nres] node indices (-1 = ground) */
    double *res_ohm;   /* [nres] resistance, ohm (> 0) */
    int *res_line;     /* [nres] source line */

    int ncur;          /* current sources I n+ n- value: current leaves n+ (SPICE) */
    int *cur_a, *cur_b;
    double *cur_amp;   /* A */
    int *cur_line;

    int nvs;           /* voltage sources V n+ n- value */
    int *vs_a, *vs_b;
    double *vs_volt;   /* V */
    int *vs_line;

    char *path;        /* file name for messages, owned */
    void *index_;      /* name hash (private) */
} ts_em_netlist;

/* Read a SPICE netlist. Accepts comments (`*` lines), blank lines, `.end`,
 * other dot cards (ignored), any whitespace, scientific numbers and SPICE
 * scale suffixes (f p n u m k meg g t). Errors (TS_ERR_PARSE) carry
 * "path:line: ..." for unknown cards, malformed numbers, missing fields,
 * non-positive resistances. Caller owns *out (ts_em_netlist_destroy). */
int ts_em_netlist_read(const char *path, ts_em_netlist **out);
/* The same from a string (name is used in messages). */
int ts_em_netlist_parse(const char *text, const char *name, ts_em_netlist **out);
void ts_em_netlist_destroy(ts_em_netlist *nl);
/* Index of a node by name, or -1 (ground and unknown names: -1). */
int ts_em_netlist_find(const ts_em_netlist *nl, const char *name);

/* ---------------------------------------------------------------- DC */

/* Nodal analysis of the grid: every voltage source must connect a node to
 * ground (IBM format); those nodes are fixed, the rest is a sparse SPD
 * system G v = i solved with CHOLMOD (supernodal Cholesky).
 * current_scale multiplies every current source (EMspice uses 0.4).
 * Errors: floating islands (no resistive path to a source, TS_ERR_SINGULAR
 * with the node name and line), nodes with only current sources,
 * conflicting or floating voltage sources (TS_ERR_UNSUPPORTED). */
typedef struct ts_em_dc ts_em_dc;

int ts_em_dc_create(const ts_em_netlist *nl, double current_scale, ts_em_dc **out);
void ts_em_dc_destroy(ts_em_dc *dc);
/* Solve with resistances res_ohm[nres] (NULL: the netlist's). Refactors
 * numerically (the symbolic analysis is kept). */
int ts_em_dc_solve(ts_em_dc *dc, const double *res_ohm);
/* Node voltages [nnodes] in V (borrowed, valid until the next solve). */
const double *ts_em_dc_voltages(const ts_em_dc *dc);
/* Branch currents [nres] in A, from res_a to res_b (borrowed). */
const double *ts_em_dc_currents(const ts_em_dc *dc);
/* Solve with resistances res_ohm[nres] (NULL: the netlist's) and every
 * current source s scaled by load[s] on top of current_scale (NULL: 1).
 * The matrix pattern is fixed: the symbolic analysis (fill-reducing
 * ordering, supernodes) is done once, each call refactors numerically. */
int ts_em_dc_solve_loads(ts_em_dc *dc, const double *res_ohm, const double *load);
/* An independent solver for the same netlist (own CHOLMOD workspace, so one
 * per OpenMP thread) sharing src's symbolic analysis (src must have been
 * solved once). Caller owns *out. */
int ts_em_dc_clone(const ts_em_dc *src, ts_em_dc **out);

/* ------------------------------------------------------------- geometry */

/* Wire geometry and material constants. Defaults (ts_em_params_default)
 * are EMspice's (shared/data/em/emspice-armcore/EM_spice_constant.txt and
 * EMspice pg_sim/parameter.h). */
typedef struct {
    /* material (Korhonen model, notes/em.md) */
    double T;          /* K, 373 */
    double D0;         /* m^2/s, 7.5e-8 */
    double Ea;         /* J, 0.84 eV */
    double kB;         /* J/K, 1.3806e-23 */
    double e;          /* C, 1.609e-19 */
    double B;          /* Pa, 1e11 */
    double Omega;      /* m^3, 1.182e-29 */
    double Z;          /* effective charge number, 10 */
    double rho_cu;     /* ohm m, 3e-8 (drives G and the width rule) */
    double rho_ta;     /* ohm m, 1.76e-7 (liner) */
    double h_cu;       /* m, 9e-8 (copper height in the ΔR formula) */
    double h_ta;       /* m, 2e-8 (liner thickness) */
    double sigma_crit; /* Pa, 5e8 */
    double sigma_T;    /* Pa, initial (thermal) stress, 0 */
    double delta;      /* m, void interface thickness (Robin), 3e-7 (EMspice); 0 = Dirichlet */
    /* geometry */
    double coord_unit; /* m per coordinate unit of node names, 1e-9 */
    double thickness;  /* m, wire thickness for j = I/(w t), layers 0-3: 6e-7 */
    double thickness_hi; /* m, layers >= 4: 1.2e-6 */
    double width;      /* m, > 0: every wire has this width; 0: w = rho_cu l/(R t) (EMspice) */
    /* failure */
    double dr_threshold; /* ΔR/R of the voided wire at failure, 0.1 */
    int dr_full;       /* 0: ΔR = rho_ta Lv/(h_ta w) (EMspice); 1: minus rho_cu Lv/(h_cu w) */
    int open_on_width; /* 1: failure also when Lvoid >= w (early failure) */
} ts_em_params;

void ts_em_params_default(ts_em_params *p);
/* κ = D0 exp(-Ea/kB T) B Ω/(kB T), m^2/s. */
double ts_em_kappa(const ts_em_params *p);
/* Driving force along +x for a conventional current density j (A/m^2)
 * along +x: G = -e ρ_cu j Z/Ω (Pa/m), Z = |Z*|: the electron wind pushes
 * atoms against j, so tensile stress builds at the cathode (downstream) end. */
double ts_em_G(const ts_em_params *p, double j);

/* --------------------------------------------------------------- trees */

typedef enum { TS_EM_TREES_AUTO = 0, TS_EM_TREES_BY_NAME, TS_EM_TREES_BY_CONNECTIVITY } ts_em_tree_rule;

/* Interconnect trees: connected same-layer wires. A wire is an R card
 * between two nodes of the same layer (names n<layer>_<x>_<y>, package
 * nodes with "_X_" excluded); R cards across layers are vias, i.e.
 * blocking terminals. BY_NAME groups wires by the R<net>-<tree>-<branch>
 * naming (EMspice), split further into connected components; AUTO uses
 * BY_NAME when every wire name has that form. Trees may contain loops. */
typedef struct {
    int ntrees;
    int *tree_first;   /* [ntrees+1] CSR into tree_wires */
    int *tree_wires;   /* resistor indices, grouped by tree */
    int *tree_layer;   /* [ntrees] */
    int *tree_loops;   /* [ntrees] independent loops (0 = a tree) */
    char **tree_names; /* [ntrees] "R25-109" or "L1-<k>", owned */
    int *wire_tree;    /* [nres] tree id or -1 (not a wire) */
    double *wire_len;  /* [nres] m (Euclidean distance of the end nodes) */
    double *wire_width; /* [nres] m */
    double *wire_thick; /* [nres] m */
} ts_em_trees;

int ts_em_trees_build(const ts_em_netlist *nl, const ts_em_params *p,
                      ts_em_tree_rule rule, ts_em_trees **out);
void ts_em_trees_destroy(ts_em_trees *t);

/* ------------------------------------------------- Korhonen FV solver */

/* One interconnect tree or mesh discretised by vertex-centred finite
 * volumes (seed 003 eq. (1) with the width-weighted flux balance of
 * notes/em.md): every wire is split into `ncell` equal cells; unknowns are
 * the stresses at the grid points; vertex 0..nvert-1 are the tree's
 * netlist nodes. Time stepping: theta scheme (1 = backward Euler,
 * 0.5 = Crank–Nicolson). Trees are solved in O(N) per step by leaf-to-root
 * elimination; meshes (loops) with a CHOLMOD factorisation. */
typedef struct ts_em_fv ts_em_fv;

/* A description of a graph of wires for ts_em_fv_create. */
typedef struct {
    int nvert;          /* vertices (junctions and ends) */
    int nwire;
    const int *wa, *wb; /* [nwire] end vertices; x runs from wa to wb */
    const double *len;  /* [nwire] m, > 0 */
    const double *width; /* [nwire] m, > 0 */
    int ncell;          /* cells per wire (>= 1); EMspice: nx - 1 = 19 */
} ts_em_wires;

/* kappa: m^2/s (> 0). Stress starts at sigma0 (Pa). Caller owns *out.
 * force_sparse: 1 = use the CHOLMOD path even for trees (reference). */
int ts_em_fv_create(const ts_em_wires *w, double kappa, double sigma0, int force_sparse,
                    ts_em_fv **out);
void ts_em_fv_destroy(ts_em_fv *fv);
/* Driving force per wire, Pa/m, along wa -> wb (ts_em_G of the current along wa -> wb). */
int ts_em_fv_set_G(ts_em_fv *fv, const double *G);
/* Void at vertex v: delta > 0 Robin dσ/dn = σ/δ (seed eq. (2) with the
 * erratum of the note), delta == 0 Dirichlet σ = 0. v = -1 removes it. */
int ts_em_fv_set_void(ts_em_fv *fv, int v, double delta);
/* Advance by dt (s) with theta in [0.5, 1]. */
int ts_em_fv_step(ts_em_fv *fv, double dt, double theta);
int ts_em_fv_npoints(const ts_em_fv *fv);
double *ts_em_fv_sigma(ts_em_fv *fv);              /* [npoints] Pa, borrowed, writable */
/* Position of point k along its wire: wire index and x (m) from wa. */
void ts_em_fv_point(const ts_em_fv *fv, int k, int *wire, double *x);
/* Σ_k V_k σ_k, the trapezoid integral of width × σ over the wires (Pa m^2). */
double ts_em_fv_integral(const ts_em_fv *fv);
int ts_em_fv_is_tree(const ts_em_fv *fv);

/* --------------------------------------------- closed-form single segment */

/* Seed 003 eqs. (6)-(10) with the note's errata, for one segment [0, L]
 * with constant boundary gradients and an initial profile h(x) given as
 * nh samples on a uniform grid over [0, L] (linear interpolation; nh = 0:
 * h = h0 constant). kind: 0 = both ends with gradient (phi_minus at x = 0,
 * phi_plus at x = L; a blocked end has dσ/dx = -G); 1 = void (σ = 0) at
 * x = L, gradient phi_minus at x = 0; 2 = void at x = 0, phi_plus at L.
 * P: image terms (0..P), M: eigen-terms. Result σ(x, t) in Pa. */
typedef struct {
    int kind;
    double L, kappa, phi_minus, phi_plus; /* m, m^2/s, Pa/m, Pa/m */
    const double *h; int nh; double h0;   /* Pa */
    int P, M;
} ts_em_segment;

double ts_em_segment_stress(const ts_em_segment *s, double x, double t);
/* P large enough for t: 5 sqrt(κ t)/L + 2 (the note's 3 sqrt(κt)/L leaves
 * ~1e-6 of G L at t = 1e9 s for 50 um; 5 gives round-off level). */
int ts_em_segment_P(double L, double kappa, double t);

/* --------------------------------------------------------------- inputs */

/* Read EMspice's constant file (EM_spice_constant.txt: "key,value" lines:
 * T, D0, E, Ea_ratio, kB, B0, Omega, cu_res, hCu, Ta_res, hTa, Z, nx,
 * wire_length, t_total) into p (keys absent keep p's values); *nx (may be
 * NULL) receives nx (grid nodes per branch). */
int ts_em_params_read_emspice(const char *path, ts_em_params *p, int *nx);

/* A synthetic IBM-format power grid (layer-1 rows split into chains of
 * 1..maxseg wires, some rows strapped to the next one so that trees merge
 * into meshes with loops; layer-2 columns with vias; a supply pad per chain;
 * current sinks on layer 1). pitch in coordinate units (nm). *out is a
 * malloc'd netlist text (caller frees). */
int ts_em_grid_synth(int nrows, int ncols, int maxseg, double pitch_nm, uint64_t seed, char **out);

/* ------------------------------------------------------------ analysis */

typedef struct {
    double years;      /* analysis horizon, 10 */
    int nout;          /* output times (macro steps), 40 */
    int nsub;          /* at most this many implicit steps per output interval, 5 */
    int steps_per_decade; /* early steps grow geometrically from 1e-6 of the horizon
                             with this many per decade until they reach the
                             interval/nsub size; 0 = uniform steps. Default 20 */
    double theta;      /* 1 = BE, 0.5 = CN; default 1 */
    int ncell;         /* cells per wire, 19 (EMspice nx = 20) */
    double current_scale; /* 1; EMspice: 0.4 */
    ts_em_tree_rule rule;
    int resolve_dc;    /* 1: re-solve DC each output time as voids change R */
    int nthreads;      /* 0: OpenMP default */
} ts_em_options;

void ts_em_options_default(ts_em_options *o);

typedef struct {
    int ntrees;
    /* per tree [ntrees] */
    int *nseg, *layer, *loops;
    double *max_stress;   /* Pa, over time and space */
    double *t_nuc;        /* s, INFINITY if none */
    double *void_len;     /* m at the end */
    double *dr_rel;       /* ΔR/R of the voided wire at the end */
    double *ttf;          /* s, INFINITY if no failure within the horizon */
    int *void_wire;       /* resistor index holding the void, -1 */
    /* history: [nout+1] times and [ntrees][nout+1] series */
    int nt;
    double *times;
    double *hist_max;     /* max stress per tree */
    double *hist_void;    /* void length */
    double *hist_dr;      /* ΔR/R */
    /* node stresses at the tree vertices [nt][nvert_total] */
    int nvert_total;
    int *vert_node;       /* [nvert_total] netlist node */
    int *vert_tree;       /* [nvert_total] */
    double *vert_sigma;   /* [nt * nvert_total] Pa */
    /* profile of the worst tree at a few times */
    int worst;            /* tree id */
    int nprof, nprof_t;   /* points, times */
    double *prof_s;       /* [nprof] m, distance from the tree's root */
    double *prof_t;       /* [nprof_t] s */
    double *prof_sigma;   /* [nprof_t][nprof] Pa */
    double grid_ttf;      /* s, min over trees */
    double wall_s;        /* seconds spent */
    long steps;           /* tree-steps taken */
    long points;          /* total grid points */
} ts_em_result;

/* Full analysis: DC solve, trees, Korhonen stress with nucleation,
 * post-void growth, ΔR, TTF per tree, DC re-solve as voids change the
 * resistances. progress may be NULL. Caller owns *out. */
int ts_em_analyze(const ts_em_netlist *nl, const ts_em_params *p, const ts_em_options *o,
                  ts_em_trees **trees_out, ts_em_result **out);
void ts_em_result_destroy(ts_em_result *r);

/* ------------------------------------------ variation model (issue #10) */

/* Random inputs of one Monte Carlo sample (seed 003 Sec. stochastic
 * analysis; notes/em.md). Branch current densities j_k are drawn around
 * their means mu_k (the DC solution) with relative standard deviation
 * sigma_j:
 *   normal:    j_k = mu_k (1 + sigma_j z_k)
 *   lognormal: j_k = sign(mu_k) |mu_k| exp(s z_k - s^2/2), s^2 = ln(1 + sigma_j^2)
 *              (mean mu_k and relative std sigma_j exactly; sign kept)
 * with z_k = sqrt(rho) z_0 + sqrt(1 - rho) e_k (equicorrelated standard
 * normals: one common factor z_0 per sample, rho in [0, 1]). Per sample also
 * the diffusivity prefactor D0 (lognormal, relative std sigma_D0, mean kept)
 * and the temperature T (normal, std sigma_T_K in kelvin; changes κ only,
 * G = e ρ j Z/Ω has no T in this model). Widths: sigma_w below; loads and
 * widths with a DC re-solve: vary = TS_EM_VARY_PHYSICAL.
 * Every sample draws from its own stream ts_rng_create(seed, sample), so a
 * sample's inputs do not depend on thread count or on other samples. */
typedef enum { TS_EM_DIST_NORMAL = 0, TS_EM_DIST_LOGNORMAL = 1 } ts_em_dist;

/* What is drawn: CURRENTS (default) draws the branch current densities
 * independently of each other (above); PHYSICAL draws the physical inputs
 * of a netlist — every current source (load) I_s g_s and every wire width
 * w f (hence R/f; vias and package resistors are not varied) — and re-solves
 * the DC grid per sample, so the branch currents obey Kirchhoff's laws in
 * every sample (ts_em_variation_physical, ts_em_dc_solve_loads). */
typedef enum { TS_EM_VARY_CURRENTS = 0, TS_EM_VARY_PHYSICAL = 1 } ts_em_vary;

typedef struct {
    ts_em_dist dist;   /* of the current densities (CURRENTS) or of the loads (PHYSICAL), default normal */
    double sigma_j;    /* relative std of j, default 0.1 (the seed does not state it) */
    double rho;        /* correlation of the z_k, default 0 (independent) */
    double sigma_D0;   /* relative std of D0, default 0 */
    double sigma_T_K;  /* K, std of T, default 0 */
    double sigma_w;    /* relative std of each wire width (lognormal, independent per wire), default 0 */
    ts_em_vary vary;   /* default TS_EM_VARY_CURRENTS */
    double sigma_load; /* PHYSICAL: relative std of each current source (dist, correlation rho), default 0.1 */
} ts_em_variation;

void ts_em_variation_default(ts_em_variation *v);
/* Draw sample `sample` (0-based): j_out[n] (A/m^2) from j_mean[n]; *D0_factor
 * (multiplies D0) and *dT (K, added to T); either pointer may be NULL.
 * Errors: sigma_j < 0, rho outside [0, 1], non-finite inputs. */
int ts_em_variation_draw(const ts_em_variation *v, const double *j_mean, int n, uint64_t seed,
                         uint64_t sample, double *j_out, double *D0_factor, double *dT);
/* Width factors f[n] = w/w_mean of sample `sample` (lognormal, mean 1,
 * relative std sigma_w, independent per wire; all 1 when sigma_w = 0),
 * drawn from the same stream after the currents, so adding width
 * variation leaves the current draws unchanged. With the branch currents
 * fixed (no DC re-solve), a wire of width f w carries j/f and has
 * resistance R/f; the Monte Carlo applies both. */
int ts_em_variation_widths(const ts_em_variation *v, int n, uint64_t seed, uint64_t sample, double *f);
/* PHYSICAL mode, sample `sample` of stream (seed, sample), fixed draw order:
 * common factor z_0, D0, T, one normal per current source, one per wire
 * resistor (tr->wire_tree[r] >= 0, in resistor order).
 *   load[s] = 1 + sigma_load z_s (normal) or lognormal with mean 1 and
 *             relative std sigma_load; z_s = sqrt(rho) z_0 + sqrt(1-rho) e_s
 *   wfac[r] = lognormal, mean 1, relative std sigma_w (1 for non-wires)
 *   res[r]  = R_r / wfac[r]
 * Zero sigmas give exactly 1 and R_r. load [ncur], wfac and res [nres];
 * D0_factor, dT as in ts_em_variation_draw (may be NULL). */
int ts_em_variation_physical(const ts_em_variation *v, const ts_em_netlist *nl, const ts_em_trees *tr, uint64_t seed,
                             uint64_t sample, double *load, double *wfac, double *res, double *D0_factor, double *dT);

/* ----------------------------------------- streaming statistics (#10) */

/* Welford running mean/variance and P² quantile markers (Jain & Chlamtac,
 * CACM 28 (1985) 1076) for one scalar stream; no samples are stored. */
typedef struct {
    long n;
    double mean, m2;
    int nq;           /* quantiles tracked, <= 4 */
    double p[4];      /* their probabilities */
    double q[4][5];   /* marker heights */
    double pos[4][5]; /* marker positions (1-based) */
    double want[4][5];
} ts_em_stat;

/* probs: nq probabilities in (0, 1) (nq <= 4; may be 0). */
void ts_em_stat_init(ts_em_stat *s, int nq, const double *probs);
void ts_em_stat_push(ts_em_stat *s, double x);
double ts_em_stat_std(const ts_em_stat *s);      /* sample std (n - 1), 0 for n < 2 */
double ts_em_stat_quantile(const ts_em_stat *s, int i); /* P² estimate of p[i]; exact for n <= 5 */

/* ---------------------------------------------- tree problems (#10) */

/* One interconnect tree with its mean current densities: the unit of the
 * Monte Carlo and of the BPINN studies. */
typedef struct {
    int nvert, nwire;
    int *wa, *wb;       /* [nwire] end vertices; x and j run from wa to wb */
    double *len;        /* [nwire] m */
    double *width;      /* [nwire] m */
    double *j_mean;     /* [nwire] A/m^2 along wa -> wb */
    double *res_ohm;    /* [nwire] ohm (ΔR/R of the voided wire) */
    int void_vertex;    /* -1: start void-free, nucleate at σ_crit; >= 0: void there at t = 0 (post-void) */
    int *vert_node;     /* [nvert] netlist node of each vertex (ts_em_tree_from_netlist), NULL otherwise */
    int *wire_res;      /* [nwire] netlist resistor of each wire (ts_em_tree_from_netlist), NULL otherwise */
    char name[64];
    char **vert_name;   /* [nvert] vertex (node) names, owned (ts_em_tree_name_vertices), NULL: unnamed */
} ts_em_tree;

/* Allocate a tree with nvert vertices and nwire wires (arrays zeroed).
 * Caller owns *out (ts_em_tree_destroy). */
int ts_em_tree_alloc(int nvert, int nwire, ts_em_tree **out);
void ts_em_tree_destroy(ts_em_tree *t);
/* A random tree like the seed's Table I: nseg segments, lengths uniform in
 * [10, 50] µm, width 1 µm, thickness for R = ρ_cu L/(w h_wire), each new
 * segment attached to a random existing vertex with at most 4 arms (the
 * seed's junctions have left/up/right/down arms), |j| uniform in
 * [5e8, 5e9] A/m^2 with random direction, void at vertex 0 (a leaf).
 * Deterministic in seed. */
int ts_em_tree_generate(int nseg, uint64_t seed, double h_wire, const ts_em_params *p, ts_em_tree **out);
/* The trees of a netlist with mean j from a DC solve (current_scale as in
 * ts_em_options), one ts_em_tree per netlist tree; *trees_out receives the
 * grouping (caller owns both; free the array with ts_em_tree_list_destroy). */
int ts_em_tree_from_netlist(const ts_em_netlist *nl, const ts_em_params *p, const ts_em_options *o,
                            ts_em_trees **trees_out, ts_em_tree ***out, int *ntrees);
void ts_em_tree_list_destroy(ts_em_tree **list, int n);
/* Give every vertex of t (from ts_em_tree_from_netlist on nl) its netlist
 * node name (t->vert_name, owned by t; replaces earlier names). */
int ts_em_tree_name_vertices(ts_em_tree *t, const ts_em_netlist *nl);
/* Copy of t with its names (not vert_node / wire_res). Caller owns *out. */
int ts_em_tree_copy(const ts_em_tree *t, ts_em_tree **out);
/* Vertex index of the vertex named name (t->vert_name), else -1. */
int ts_em_tree_find_vertex(const ts_em_tree *t, const char *name);

/* --------------------------------------------------- Monte Carlo (#10) */

typedef struct {
    long samples;      /* N, default 100 */
    uint64_t seed;     /* default 1 */
    int batch;         /* samples held at once before the ordered merge, default 64 */
    ts_em_variation var;
    /* var.vary == TS_EM_VARY_PHYSICAL: the grid and its wires (the trees of
     * the list must come from ts_em_tree_from_netlist on them, any subset);
     * current_scale of ts_em_options applies. NULL otherwise. */
    const ts_em_netlist *nl;
    const ts_em_trees *tr;
} ts_em_mc_options;

void ts_em_mc_options_default(ts_em_mc_options *m);

/* Statistics of a Monte Carlo run over ntrees trees. Stress statistics at
 * every tree vertex and output time are streamed (Welford mean/std and P²
 * 5/50/95 % quantiles); per-tree nucleation times and TTFs are scalars per
 * sample and are kept ([samples][ntrees]) for exact empirical quantiles. */
typedef struct {
    int ntrees, nt, nvert_total;
    long samples;
    double *times;          /* [nt] s */
    int *vert_tree;         /* [nvert_total] */
    int *vert_index;        /* [nvert_total] vertex within its tree */
    ts_em_stat *stat;       /* [nt][nvert_total] σ in Pa */
    double *t_nuc;          /* [samples][ntrees] s, INFINITY: no void within the horizon */
    double *ttf;            /* [samples][ntrees] s, INFINITY: no failure */
    /* convergence: mean and std of σ at the final time after n = 1, 2, 4, ...
     * samples and after all samples */
    int nconv;
    long *conv_n;           /* [nconv] */
    double *conv_mean;      /* [nconv][nvert_total] Pa */
    double *conv_std;       /* [nconv][nvert_total] Pa */
    double wall_s;
    long steps;             /* implicit steps in all samples and trees */
    double dc_s;            /* PHYSICAL: thread-seconds in draws + DC re-solves (all samples), else 0 */
} ts_em_mc_result;

/* Monte Carlo with the finite-volume solver (ts_em_fv) over the trees
 * list[ntrees]: per sample, draw inputs, run every tree over o->years
 * (same step schedule as ts_em_analyze: nucleation, Robin/Dirichlet void,
 * growth, ΔR/R, TTF; the currents of a draw are held fixed in time — no DC
 * re-solve), OpenMP over the samples of a batch, then merge the batch in
 * sample order: results are identical for any thread count. Caller owns
 * *out. progress may be shown. */
int ts_em_mc_run(ts_em_tree *const *list, int ntrees, const ts_em_params *p, const ts_em_options *o,
                 const ts_em_mc_options *m, ts_em_mc_result **out);
void ts_em_mc_result_destroy(ts_em_mc_result *r);
/* Exact mean and std of σ for the post-void phase (t->void_vertex >= 0)
 * under normal current variation only (sigma_D0 = sigma_T = 0): with a
 * fixed void the Korhonen problem is linear in the driving forces, so
 * σ(j) = σ(0) + Σ_k (j_k/μ_k)(σ(μ_k e_k) - σ(0)) exactly (per discretisation),
 * and with z equicorrelated (ρ): Var σ = (1-ρ) Σ a_k² + ρ (Σ a_k)²,
 * a_k = s_j (σ(μ_k e_k) - σ(0)). Costs nwire + 2 solves. The oracle for the
 * Monte Carlo estimates (same discretisation) and for the BPINN's spread.
 * mean, std: [nt][nvert] Pa (nt = o->nout + 1), caller-allocated. */
int ts_em_linear_moments(const ts_em_tree *t, const ts_em_params *p, const ts_em_options *o,
                         const ts_em_variation *v, double *mean, double *std);
/* One deterministic run of one tree with the given j (A/m^2 per wire), κ
 * scale and T shift: σ at every vertex and output time into sig[nt][nvert],
 * *t_nuc, *ttf. The building block of ts_em_mc_run. */
int ts_em_tree_simulate(const ts_em_tree *t, const ts_em_params *p, const ts_em_options *o, const double *j,
                        double *sig, double *t_nuc, double *ttf, long *steps);

/* ------------------------------------- junction model and flux oracle (#10) */

/* The post-void tree decomposed into segments coupled at junctions (seed
 * 003 Sec. IV): each segment's stress follows from the closed forms (eqs.
 * (7), (10), ts_em_segment_stress) driven by its end gradients
 * ϕ = dσ/dx; with ϕ piecewise constant in time on a uniform grid
 * t_n = n Δt (n = 1..K, Δt = t_end/K; value ϕ_n on (t_{n-1}, t_n]), the end
 * stresses are Duhamel sums of step responses:
 *   σ_e(t_n) = Σ_{m<=n} Σ_{e' ends of the segment} (ϕ_{e',m} - ϕ_{e',m-1}) R_{e e'}(t_n - t_{m-1}).
 * Ends: blocked terminals ϕ = -G; the void end σ = 0 (Dirichlet, kind 1/2);
 * junction arms unknown, with stress continuity and flux conservation
 * Σ_arms w n (ϕ + G) = 0 (n = +1 at x = L, -1 at x = 0). Initial stress 0.
 * End index e = 2 s + (0: x = 0 at wa, 1: x = L at wb). */
typedef struct ts_em_jmodel ts_em_jmodel;

/* t: tree with void_vertex >= 0 of degree 1 (a leaf), every junction of
 * degree <= 4; kappa from p; K >= 1 steps over (0, t_end]. Caller owns *out. */
int ts_em_jmodel_create(const ts_em_tree *t, const ts_em_params *p, double t_end, int K, ts_em_jmodel **out);
void ts_em_jmodel_destroy(ts_em_jmodel *m);
int ts_em_jmodel_K(const ts_em_jmodel *m);
double ts_em_jmodel_dt(const ts_em_jmodel *m);
int ts_em_jmodel_njunctions(const ts_em_jmodel *m);
/* Junction q: its vertex, arm count and arm ends (e indices) [<= 4]. */
int ts_em_jmodel_junction(const ts_em_jmodel *m, int q, int *vertex, int *narm, int *ends);
/* G (Pa/m) per wire for current densities j[nwire] (A/m^2). */
void ts_em_jmodel_G(const ts_em_jmodel *m, const double *j, double *G);
/* End stresses sig[2 nseg][K] (Pa) from end gradients phi[2 nseg][K] (Pa/m;
 * entries of void ends are ignored). */
int ts_em_jmodel_stress(const ts_em_jmodel *m, const double *phi, double *sig);
/* Adjoint of ts_em_jmodel_stress: dphi[2 nseg][K] = (∂σ/∂ϕ)^T dsig. */
int ts_em_jmodel_stress_adjoint(const ts_em_jmodel *m, const double *dsig, double *dphi);
/* Batched fast variants of the two above for D draws at once, one segment s
 * per call (its two ends only; segments may run in parallel): arrays are
 * [2 nseg][K][D] with the D draws contiguous. stress_seg overwrites
 * sig's rows of s's ends (zero at a void end); adjoint_seg overwrites
 * dphi's rows of s's ends. Tested against the unbatched reference. */
void ts_em_jmodel_stress_seg(const ts_em_jmodel *m, int s, int D, const double *phi, double *sig);
void ts_em_jmodel_adjoint_seg(const ts_em_jmodel *m, int s, int D, const double *dsig, double *dphi);
int ts_em_jmodel_nseg(const ts_em_jmodel *m);
/* Pulse response Rd[K] of segment s: σ at end a (0/1) for ϕ = 1 on (0, Δt]
 * at end b, lags 1..K (borrowed); NULL when either end is the void. */
const double *ts_em_jmodel_pulse(const ts_em_jmodel *m, int s, int a, int b);
/* The exact flux oracle: the gradients phi[2 nseg][K] of all ends that make
 * the junction stresses continuous and conserve flux at every t_n, by one
 * sparse LU of the (constant) lag-1 system and forward substitution in time.
 * j: [nwire] A/m^2. */
int ts_em_jmodel_solve(const ts_em_jmodel *m, const double *j, double *phi);
/* dense = 1: solve with the dense LAPACK LU (reference kernel; O(nu²) per
 * step); 0 (default): UMFPACK sparse LU. */
int ts_em_jmodel_set_dense(ts_em_jmodel *m, int dense);
/* Vertex stresses sv[K+1][nvert] (row 0: t = 0, σ = 0) from end stresses:
 * the mean over a vertex's arm ends (continuous at a solution), 0 at the void. */
void ts_em_jmodel_vertex_stress(const ts_em_jmodel *m, const double *sig, double *sv);

/* ------------------------------- mean-field variational inference (#10) */

/* A potential U(θ) = -log p(θ | data) + const and its gradient grad[n];
 * returns 0 or a negative ts_status. */
typedef int (*ts_em_potential_fn)(void *ctx, const double *theta, double *U, double *grad);

typedef struct {
    int steps;      /* Adam steps, 300 */
    int mc;         /* draws of ε per step, 1 */
    double lr;      /* Adam rate (cosine-decayed to 1 %), 1e-2 */
    double init_sd; /* initial s_i, 1e-4 */
    uint64_t seed;  /* 1 */
} ts_em_vi_options;

void ts_em_vi_options_default(ts_em_vi_options *o);
/* Mean-field Gaussian VI (src/em/vi.c): q(θ) = Π N(mu_i, exp(2 logsd_i)),
 * fitted by maximising the ELBO with reparameterised stochastic gradients
 * and Adam. mu[n] holds the start on entry (e.g. the MAP) and the fitted
 * means on return; logsd[n] is output only. *neg_elbo (may be NULL): the
 * averaged negative ELBO up to a constant. Deterministic in o->seed. */
int ts_em_vi_fit(ts_em_potential_fn U, void *ctx, int n, const ts_em_vi_options *o, double *mu, double *logsd,
                 double *neg_elbo);

/* ------------------------------------------------------ BPINN (#10) */

/* Bayesian physics-informed network of seed 003 Sec. IV on the junction
 * model: per junction q a tanh MLP (t/t_end, j_1/J0, .., j_4/J0) (or, with
 * inputs = TS_EM_BPINN_IN_ZSCORE, the standardised (j_k - μ_k)/(σ_j |μ_k|)) ->
 * (d_q - 1) scaled arm fluxes ψ_a = ϕ_a + G_a (ψ = y · |G(J0)|, J0 = 1e9 A/m^2);
 * the last arm's flux follows from conservation Σ w n ψ = 0 (built in).
 * Segment stresses from the closed forms (junction model); loss = squared
 * stress jumps at the junctions (eq. (11)) scaled by k_σ = 1e-8 1/Pa (eq. 20);
 * Gaussian likelihood (sd noise_sd on each scaled jump) over train_draws
 * current draws; Gaussian prior (sd prior_sd) on every weight and bias.
 * Posterior: Adam to the MAP (warm start), then HMC (leapfrog + Metropolis,
 * identity mass) with dual-averaging step-size adaptation during burn-in
 * (Hoffman & Gelman, JMLR 15 (2014), alg. 5); the step is frozen after it. */
typedef struct {
    int hidden;          /* units per hidden layer, 8 */
    int K;               /* time steps of the junction model, 20 */
    double prior_sd;     /* 1 */
    double noise_sd;     /* 0 (default): empirical Bayes, the MAP's rms scaled jump; > 0: fixed (1e-3 = 1e5 Pa on a jump) */
    int train_draws;     /* current draws in the likelihood, 8 */
    int adam_steps;      /* 1500 */
    int bfgs_steps;      /* GSL vector BFGS2 iterations after Adam (refines the MAP), 0 */
    double adam_lr;      /* 1e-2, cosine-decayed to 1e-4 */
    int burnin;          /* HMC iterations with step adaptation, 30 */
    int samples;         /* posterior samples kept, 20 */
    int leapfrog;        /* leapfrog steps per iteration, 5 */
    double step0;        /* initial leapfrog step, 1e-3 */
    double target_accept; /* 0.65 */
    uint64_t seed;       /* 1 */
    ts_em_variation var; /* of the training draws */
    int nthreads;        /* 0: OpenMP default */
    int method;          /* TS_EM_BPINN_HMC (default) or TS_EM_BPINN_VI */
    int hops;            /* inputs: currents of segments within this many edges of the junction; 1 (the seed's arms) */
    int lsq_rounds;      /* variable projection: exact output-layer solves during and after Adam, 0 */
    int vi_steps;        /* VI: Adam steps on the ELBO, 200 */
    int vi_mc;           /* VI: draws of ε per step, 1 */
    double vi_lr;        /* VI: rate, 1e-2 */
    double vi_init_sd;   /* VI: initial posterior sd of every weight, 1e-4 */
    int inputs;          /* current inputs: TS_EM_BPINN_IN_J0 (j/J0) or TS_EM_BPINN_IN_ZSCORE ((j - μ)/(σ_j |μ|)) */
} ts_em_bpinn_options;

enum { TS_EM_BPINN_IN_J0 = 0, TS_EM_BPINN_IN_ZSCORE = 1 };

enum { TS_EM_BPINN_HMC = 0, TS_EM_BPINN_VI = 1 };

void ts_em_bpinn_options_default(ts_em_bpinn_options *o);

typedef struct ts_em_bpinn ts_em_bpinn;

/* Train on tree t (post-void, see ts_em_jmodel_create) over (0, t_end].
 * Caller owns *out. */
int ts_em_bpinn_train(const ts_em_tree *t, const ts_em_params *p, double t_end, const ts_em_bpinn_options *o,
                      ts_em_bpinn **out);
void ts_em_bpinn_destroy(ts_em_bpinn *b);
/* Training record: acceptance rate of the sampling phase, final step, MAP
 * loss (mean squared scaled jump), wall time of the training (s). */
void ts_em_bpinn_info(const ts_em_bpinn *b, double *accept, double *step, double *map_loss, double *train_s,
                      int *nparams, int *nsamples);
const ts_em_jmodel *ts_em_bpinn_jmodel(const ts_em_bpinn *b);
/* Wall time of the training phases (setup: junction model and draws; MAP:
 * Adam + BFGS; posterior: HMC or VI), the number of loss + gradient
 * evaluations, and the likelihood sd used by the posterior (the MAP's rms
 * scaled jump when noise_sd = 0 was asked for). Any pointer may be NULL. */
void ts_em_bpinn_timing(const ts_em_bpinn *b, double *setup_s, double *map_s, double *post_s, long *n_eval,
                        double *noise_sd);
/* Arm-end gradients phi[2 nseg][K] for current densities j[nwire] with
 * posterior sample s (s = -1: the MAP weights). */
int ts_em_bpinn_fluxes(const ts_em_bpinn *b, int s, const double *j, double *phi);
/* Item 5 of issue #10: the network's junction-arm fluxes ψ = ϕ + G (MAP
 * weights) against the exact flux oracle (ts_em_jmodel_solve) for draw j:
 * *rel = RMSE over junction arms and t_n of (ψ_net - ψ_oracle) / max |ψ_oracle|. */
int ts_em_bpinn_flux_error(const ts_em_bpinn *b, const double *j, double *rel);
/* Prediction over current draws: for each of ndraws draws (variation v,
 * seed, streams 0..ndraws-1: the same draws as ts_em_mc_run with that seed)
 * and each posterior sample, vertex stresses at t_n; returns [K+1][nvert]
 * mean, total std, and its split by the law of total variance:
 * std_input = std over draws of the posterior mean (input variation),
 * std_post = sqrt(mean over draws of the posterior variance) (epistemic);
 * total^2 = input^2 + post^2 (population moments). Any pointer may be NULL. */
int ts_em_bpinn_predict(const ts_em_bpinn *b, const ts_em_variation *v, long ndraws, uint64_t seed, double *mean,
                        double *std, double *std_input, double *std_post);
/* safetensors: tensors "theta" [samples, nparams] and "map" [nparams]
 * (F32), the tree ("tree.wa", "tree.wb", "tree.len", "tree.width",
 * "tree.j_mean"), metadata: hidden, K, t_end, void vertex, material
 * constants (%.17g), and the vertex names when the tree has them
 * ("vertex_names", space-separated: SPICE node names hold no blanks). */
int ts_em_bpinn_save(const ts_em_bpinn *b, const char *path);
int ts_em_bpinn_load(const char *path, ts_em_bpinn **out);
/* Material constants and horizon of the model (borrowed / value). */
const ts_em_params *ts_em_bpinn_params(const ts_em_bpinn *b);
double ts_em_bpinn_t_end(const ts_em_bpinn *b);
/* The tree the model was trained on (borrowed). */
const ts_em_tree *ts_em_bpinn_tree(const ts_em_bpinn *b);
/* Loss (mean squared scaled jump over draws, junctions, times) and its
 * gradient with respect to the flat parameters theta[nparams] for the
 * training draws (exposed for the finite-difference test). grad may be NULL. */
int ts_em_bpinn_loss(const ts_em_bpinn *b, const double *theta, double *loss, double *grad);
/* The same by the simple reference kernel (one draw, one network call at a
 * time); ts_em_bpinn_loss uses the batched kernel, tested against this one. */
int ts_em_bpinn_loss_ref(const ts_em_bpinn *b, const double *theta, double *loss, double *grad);
double *ts_em_bpinn_map(ts_em_bpinn *b); /* [nparams], borrowed, writable */

#ifdef __cplusplus
}
#endif
#endif
