/* Time integration in LAMMPS metal units (a = F / (m mvv2e), Å/ps^2):
 *  - NVE: velocity Verlet (Swope et al., JCP 76 (1982) 637);
 *  - Langevin: BAOAB splitting (Leimkuhler & Matthews, AMRX 2013 (2013) 34),
 *    friction 1/tdamp, exact Ornstein-Uhlenbeck step c1 = exp(-dt/tdamp);
 *  - NHC: Nose-Hoover chain thermostat (Martyna, Klein, Tuckerman, JCP 97
 *    (1992) 2635), Trotter split exp(iL_NHC dt/2) exp(iL_VV dt) exp(iL_NHC dt/2),
 *    chain masses Q1 = Nf kT tdamp^2, Qk = kT tdamp^2 (as LAMMPS fix nvt).
 *  - NPT: MTK barostat (isotropic or anisotropic) with the NHC thermostat,
 *    barostat mass W = (Nf + 3) kT pdamp^2 (see below).
 * Conserved quantities: NVE E = K + U; NHC H = K + U + sum p_k^2/(2 Q_k) +
 * Nf kT xi_1 + kT sum_{k>1} xi_k; NPT adds W veps^2/2 + P_ext V;
 * Langevin: K + U minus the heat exchanged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/meam_internal.h"

#define MAXCHAIN 10

struct ts_md_dyn {
    ts_md_dyn_params p;
    ts_rng *rng;
    double xi[MAXCHAIN], vxi[MAXCHAIN]; /* chain positions (1) and velocities (1/ps) */
    double heat;                        /* Langevin: energy removed by the thermostat, eV */
    double time;                        /* ps integrated so far */
    double veps[3];                     /* MTK barostat velocities d(ln L)/dt, 1/ps */
    double W;                           /* barostat mass, eV ps^2 */
    double pot_virial[6];               /* virial of the last force call, eV */
    unsigned char *frozen;              /* [n] or NULL: atoms held in place */
    int nfrozen_n;
    int have_forces;
    int need_W;                         /* recompute the barostat mass at the next run */
    /* ramp of the targets (LAMMPS fix nvt/npt/langevin "temp Tstart Tstop"):
     * step k = 1..ramp_n of a stage has T = (1 - k/n) T0 + (k/n) T1, same for P */
    double T0, T1, P0, P1;
    long ramp_k, ramp_n;
};

/* targets of the current ramp position (exact endpoints: f = 0 gives T0, f = 1 gives T1) */
static void apply_targets(ts_md_dyn *d)
{
    if (d->ramp_n <= 0) {
        d->p.temperature = d->T0;
        d->p.pressure = d->P0;
        return;
    }
    long k = d->ramp_k < d->ramp_n ? d->ramp_k : d->ramp_n;
    double f = (double)k / (double)d->ramp_n;
    /* a constant target stays bit-identical to the run without a ramp */
    d->p.temperature = d->T0 == d->T1 ? d->T0 : (1.0 - f) * d->T0 + f * d->T1;
    d->p.pressure = d->P0 == d->P1 ? d->P0 : (1.0 - f) * d->P0 + f * d->P1;
}

int ts_md_dyn_create(const ts_md_dyn_params *prm, ts_md_dyn **out)
{
    *out = NULL;
    if (!(prm->dt > 0 && prm->dt < 0.1))
        return ts_error_set(TS_ERR_RANGE, "dynamics: dt = %g ps outside (0, 0.1)", prm->dt);
    if (prm->ensemble != TS_MD_NVE) {
        if (!(prm->temperature > 0))
            return ts_error_set(TS_ERR_RANGE, "dynamics: temperature must be > 0 K");
        if (!(prm->tdamp > prm->dt))
            return ts_error_set(TS_ERR_RANGE, "dynamics: tdamp (%g ps) must exceed dt", prm->tdamp);
    }
    if ((prm->ensemble == TS_MD_NPT_ISO || prm->ensemble == TS_MD_NPT_ANISO) &&
        !(prm->pdamp > prm->dt))
        return ts_error_set(TS_ERR_RANGE, "dynamics: pdamp (%g ps) must exceed dt", prm->pdamp);
    ts_md_dyn *d = calloc(1, sizeof *d);
    TS_CHECK_ALLOC(d);
    d->p = *prm;
    if (d->p.nhc_length <= 0) d->p.nhc_length = 3;
    d->T0 = d->T1 = prm->temperature;
    d->P0 = d->P1 = prm->pressure;
    d->need_W = 1;
    if (d->p.nhc_length > MAXCHAIN) d->p.nhc_length = MAXCHAIN;
    if (prm->ensemble == TS_MD_LANGEVIN) {
        d->rng = ts_rng_create(prm->seed, 21);
        if (!d->rng) {
            free(d);
            return ts_error_set(TS_ERR_NOMEM, "out of memory (rng)");
        }
    }
    *out = d;
    return 0;
}

void ts_md_dyn_destroy(ts_md_dyn *d)
{
    if (!d) return;
    ts_rng_destroy(d->rng);
    free(d->frozen);
    free(d);
}

double ts_md_kinetic_energy(const ts_md_system *s)
{
    double k = 0;
    for (int i = 0; i < s->n; i++) {
        const double *v = s->v + 3 * i;
        k += s->mass[s->type[i]] * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    }
    return 0.5 * k * TS_MD_MVV2E;
}

static int dof(const ts_md_system *s) { return s->n > 1 ? 3 * s->n - 3 : 3; }

double ts_md_temperature(const ts_md_system *s)
{
    return 2.0 * ts_md_kinetic_energy(s) / (dof(s) * TS_MD_KB);
}

int ts_md_velocities(ts_md_system *s, double T, uint64_t seed)
{
    for (int t = 0; t < s->ntypes; t++)
        if (!(s->mass[t] > 0)) return ts_error_set(TS_ERR_INVAL, "velocities: type %d has no mass", t + 1);
    ts_rng *r = ts_rng_create(seed, 22);
    if (!r) return ts_error_set(TS_ERR_NOMEM, "out of memory (rng)");
    double p[3] = {0, 0, 0}, mt = 0;
    for (int i = 0; i < s->n; i++) {
        double m = s->mass[s->type[i]], sd = sqrt(TS_MD_KB * (T > 0 ? T : 1) / (m * TS_MD_MVV2E));
        for (int d = 0; d < 3; d++) {
            s->v[3 * i + d] = ts_rng_normal(r, 0.0, sd);
            p[d] += m * s->v[3 * i + d];
        }
        mt += m;
    }
    ts_rng_destroy(r);
    for (int i = 0; i < s->n; i++)
        for (int d = 0; d < 3; d++) s->v[3 * i + d] -= p[d] / mt;
    double Tn = ts_md_temperature(s), f = (Tn > 0 && T > 0) ? sqrt(T / Tn) : 0.0;
    for (int i = 0; i < 3 * s->n; i++) s->v[i] *= f;
    return 0;
}

/* Nose-Hoover chain half step (dt/2) acting on the velocities. */
static void nhc_half(ts_md_dyn *d, ts_md_system *s, double dt2)
{
    int M = d->p.nhc_length;
    double kT = TS_MD_KB * d->p.temperature, Nf = dof(s), tau = d->p.tdamp;
    double Q[MAXCHAIN], G[MAXCHAIN];
    Q[0] = Nf * kT * tau * tau;
    for (int k = 1; k < M; k++) Q[k] = kT * tau * tau;
    double K2 = 2.0 * ts_md_kinetic_energy(s);
    double dt4 = 0.5 * dt2, dt8 = 0.25 * dt2;
    /* update chain velocities from the end */
    G[M - 1] = M > 1 ? (Q[M - 2] * d->vxi[M - 2] * d->vxi[M - 2] - kT) / Q[M - 1] : (K2 - Nf * kT) / Q[0];
    d->vxi[M - 1] += dt4 * G[M - 1];
    for (int k = M - 2; k >= 0; k--) {
        double e = exp(-dt8 * d->vxi[k + 1]);
        G[k] = k == 0 ? (K2 - Nf * kT) / Q[0] : (Q[k - 1] * d->vxi[k - 1] * d->vxi[k - 1] - kT) / Q[k];
        d->vxi[k] = (d->vxi[k] * e + dt4 * G[k]) * e;
    }
    /* scale particle velocities */
    double scale = exp(-dt2 * d->vxi[0]);
    for (int i = 0; i < 3 * s->n; i++) s->v[i] *= scale;
    K2 *= scale * scale;
    for (int k = 0; k < M; k++) d->xi[k] += dt2 * d->vxi[k];
    /* update chain velocities from the start */
    for (int k = 0; k < M - 1; k++) {
        double e = exp(-dt8 * d->vxi[k + 1]);
        G[k] = k == 0 ? (K2 - Nf * kT) / Q[0] : (Q[k - 1] * d->vxi[k - 1] * d->vxi[k - 1] - kT) / Q[k];
        d->vxi[k] = (d->vxi[k] * e + dt4 * G[k]) * e;
    }
    G[M - 1] = M > 1 ? (Q[M - 2] * d->vxi[M - 2] * d->vxi[M - 2] - kT) / Q[M - 1] : (K2 - Nf * kT) / Q[0];
    d->vxi[M - 1] += dt4 * G[M - 1];
}

int ts_md_dyn_set_frozen(ts_md_dyn *d, const unsigned char *frozen, int n)
{
    if (d->p.ensemble == TS_MD_NPT_ISO || d->p.ensemble == TS_MD_NPT_ANISO)
        return ts_error_set(TS_ERR_UNSUPPORTED, "dynamics: frozen atoms need a fixed cell (not NPT)");
    free(d->frozen);
    d->frozen = NULL;
    d->nfrozen_n = 0;
    if (!frozen) return 0;
    d->frozen = malloc((size_t)n);
    TS_CHECK_ALLOC(d->frozen);
    memcpy(d->frozen, frozen, (size_t)n);
    d->nfrozen_n = n;
    return 0;
}

static void freeze(const ts_md_dyn *d, ts_md_system *s)
{
    if (!d->frozen || d->nfrozen_n != s->n) return;
    for (int i = 0; i < s->n; i++)
        if (d->frozen[i]) s->v[3 * i] = s->v[3 * i + 1] = s->v[3 * i + 2] = 0.0;
}

static void kick(ts_md_system *s, double h)
{
    for (int i = 0; i < s->n; i++) {
        double c = h / (s->mass[s->type[i]] * TS_MD_MVV2E);
        for (int d = 0; d < 3; d++) s->v[3 * i + d] += c * s->f[3 * i + d];
    }
}

static void drift(ts_md_system *s, double h)
{
    for (int i = 0; i < 3 * s->n; i++) s->x[i] += h * s->v[i];
}

/* ---- MTK barostat (Martyna, Tobias, Klein, JCP 101 (1994) 4177; Trotter
 * form of Tuckerman et al., J. Phys. A 39 (2006) 5629): isotropic (one
 * strain rate) or anisotropic (three, along x, y, z; tilts scale with the
 * axes). Particles carry the NHC thermostat; the barostat has no thermostat
 * of its own (documented in docs/md.md). */
static int is_npt(const ts_md_dyn *d)
{
    return d->p.ensemble == TS_MD_NPT_ISO || d->p.ensemble == TS_MD_NPT_ANISO;
}

/* sinh(x)/x */
static double sinhc(double x) { return fabs(x) < 1e-6 ? 1.0 + x * x / 6.0 : sinh(x) / x; }

static void baro_half(ts_md_dyn *d, const ts_md_system *s, double h)
{
    double vol = ts_md_system_volume(s), Nf = dof(s), pext = d->p.pressure / TS_MD_EVA3_TO_BAR;
    double kin[3] = {0, 0, 0};
    for (int i = 0; i < s->n; i++)
        for (int q = 0; q < 3; q++)
            kin[q] += s->mass[s->type[i]] * s->v[3 * i + q] * s->v[3 * i + q] * TS_MD_MVV2E;
    double K2 = kin[0] + kin[1] + kin[2];
    if (d->p.ensemble == TS_MD_NPT_ISO) {
        double pint = (K2 + d->pot_virial[0] + d->pot_virial[1] + d->pot_virial[2]) / (3.0 * vol);
        double G = 3.0 * vol * (pint - pext) + 3.0 / Nf * K2;
        double v = d->veps[0] + h * G / d->W;
        d->veps[0] = d->veps[1] = d->veps[2] = v;
    } else {
        for (int q = 0; q < 3; q++) {
            double pint = (kin[q] + d->pot_virial[q]) / vol;
            double G = vol * (pint - pext) + K2 / Nf;
            d->veps[q] += h * G / d->W;
        }
    }
}

static void npt_kick(ts_md_dyn *d, ts_md_system *s, double h)
{
    double Nf = dof(s), tr = (d->veps[0] + d->veps[1] + d->veps[2]) / Nf;
    for (int q = 0; q < 3; q++) {
        double g = d->veps[q] + tr;
        double e2 = exp(-g * h), e4 = exp(-g * h / 2) * sinhc(g * h / 2);
        for (int i = 0; i < s->n; i++) {
            double c = h / (s->mass[s->type[i]] * TS_MD_MVV2E);
            s->v[3 * i + q] = s->v[3 * i + q] * e2 + c * s->f[3 * i + q] * e4;
        }
    }
}

static void npt_drift(ts_md_dyn *d, ts_md_system *s, double dt)
{
    for (int q = 0; q < 3; q++) {
        double g = d->veps[q], e = exp(g * dt), e2 = exp(g * dt / 2) * sinhc(g * dt / 2);
        for (int i = 0; i < s->n; i++) s->x[3 * i + q] = s->x[3 * i + q] * e + dt * s->v[3 * i + q] * e2;
        for (int r = 0; r < 3; r++) s->cell[3 * r + q] *= e;
    }
}

int ts_md_dyn_run(ts_md_dyn *d, ts_md_calc *c, ts_md_system *s, long nsteps, ts_md_result *res)
{
    double dt = d->p.dt;
    for (int t = 0; t < s->ntypes; t++)
        if (!(s->mass[t] > 0)) return ts_error_set(TS_ERR_INVAL, "dynamics: type %d has no mass", t + 1);
    if (!d->have_forces) {
        TS_TRY(ts_md_calc_compute(c, s, res, NULL));
        d->have_forces = 1;
        memcpy(d->pot_virial, res->virial, sizeof d->pot_virial);
    }
    if (d->need_W && is_npt(d)) {
        /* barostat mass from the stage's higher target temperature (a ramp
         * from ~0 K would otherwise give a massless barostat) */
        double kT = TS_MD_KB * (d->T0 > d->T1 ? d->T0 : d->T1);
        d->W = (dof(s) + 3.0) * kT * d->p.pdamp * d->p.pdamp;
    }
    d->need_W = 0;
    for (long step = 0; step < nsteps; step++) {
        if (ts_interrupted()) return ts_error_set(TS_ERR_INTERRUPTED, "dynamics interrupted");
        if (d->ramp_n > 0) {
            /* the target of step k is the ramp value at k (as LAMMPS: delta =
             * (ntimestep - beginstep)/(endstep - beginstep) after the increment) */
            d->ramp_k++;
            apply_targets(d);
        }
        switch (d->p.ensemble) {
        case TS_MD_NVE:
            kick(s, 0.5 * dt);
            freeze(d, s);
            drift(s, dt);
            TS_TRY(ts_md_calc_compute(c, s, res, NULL));
            kick(s, 0.5 * dt);
            break;
        case TS_MD_NHC:
            nhc_half(d, s, 0.5 * dt);
            kick(s, 0.5 * dt);
            freeze(d, s);
            drift(s, dt);
            TS_TRY(ts_md_calc_compute(c, s, res, NULL));
            kick(s, 0.5 * dt);
            nhc_half(d, s, 0.5 * dt);
            break;
        case TS_MD_LANGEVIN: {
            /* the noise of step k comes from its own stream (seed, k): a run
             * resumed from a checkpoint (time restored) draws exactly the
             * numbers the uninterrupted run draws */
            uint64_t k = (uint64_t)llround(d->time / dt);
            ts_rng_destroy(d->rng);
            d->rng = ts_rng_create(d->p.seed, 0x4c616e67ULL + k);
            if (!d->rng) return ts_error_set(TS_ERR_NOMEM, "out of memory (rng)");
            kick(s, 0.5 * dt);
            freeze(d, s);
            drift(s, 0.5 * dt);
            double k0 = ts_md_kinetic_energy(s);
            double c1 = exp(-dt / d->p.tdamp), c2 = sqrt(1.0 - c1 * c1);
            for (int i = 0; i < s->n; i++) {
                double sd = sqrt(TS_MD_KB * d->p.temperature / (s->mass[s->type[i]] * TS_MD_MVV2E));
                for (int q = 0; q < 3; q++)
                    s->v[3 * i + q] = c1 * s->v[3 * i + q] + c2 * sd * ts_rng_normal(d->rng, 0.0, 1.0);
            }
            freeze(d, s);
            d->heat += k0 - ts_md_kinetic_energy(s);
            drift(s, 0.5 * dt);
            TS_TRY(ts_md_calc_compute(c, s, res, NULL));
            kick(s, 0.5 * dt);
            break;
        }
        case TS_MD_NPT_ISO:
        case TS_MD_NPT_ANISO:
            nhc_half(d, s, 0.5 * dt);
            baro_half(d, s, 0.5 * dt);
            npt_kick(d, s, 0.5 * dt);
            npt_drift(d, s, dt);
            TS_TRY(ts_md_calc_compute(c, s, res, NULL));
            memcpy(d->pot_virial, res->virial, sizeof d->pot_virial);
            npt_kick(d, s, 0.5 * dt);
            baro_half(d, s, 0.5 * dt);
            nhc_half(d, s, 0.5 * dt);
            break;
        default: return ts_error_set(TS_ERR_UNSUPPORTED, "dynamics: ensemble not supported");
        }
        freeze(d, s);
        d->time += dt;
    }
    return 0;
}

int ts_md_dyn_get_state(const ts_md_dyn *d, double *st)
{
    int k = 0;
    st[k++] = d->time;
    for (int m = 0; m < MAXCHAIN; m++) st[k++] = d->xi[m];
    for (int m = 0; m < MAXCHAIN; m++) st[k++] = d->vxi[m];
    for (int m = 0; m < 3; m++) st[k++] = d->veps[m];
    st[k++] = d->heat;
    st[k++] = (double)d->ramp_k;
    st[k++] = (double)d->ramp_n;
    st[k++] = d->T0;
    st[k++] = d->T1;
    st[k++] = d->P0;
    st[k++] = d->P1;
    return k;
}

int ts_md_dyn_set_state(ts_md_dyn *d, const double *st, int n)
{
    /* 25 values: checkpoints written before ramps existed (no ramp) */
    if (n != TS_MD_DYN_STATE_LEN && n != TS_MD_DYN_STATE_LEN - 6)
        return ts_error_set(TS_ERR_FORMAT, "dynamics state: %d values, expected %d", n, TS_MD_DYN_STATE_LEN);
    int k = 0;
    d->time = st[k++];
    for (int m = 0; m < MAXCHAIN; m++) d->xi[m] = st[k++];
    for (int m = 0; m < MAXCHAIN; m++) d->vxi[m] = st[k++];
    for (int m = 0; m < 3; m++) d->veps[m] = st[k++];
    d->heat = st[k++];
    if (n == TS_MD_DYN_STATE_LEN) {
        double rk = st[k++], rn = st[k++];
        if (!(rk >= 0 && rn >= 0 && rk <= 1e15 && rn <= 1e15 && rk == (long)rk && rn == (long)rn))
            return ts_error_set(TS_ERR_FORMAT, "dynamics state: bad ramp position %g of %g", rk, rn);
        d->ramp_k = (long)rk;
        d->ramp_n = (long)rn;
        d->T0 = st[k++];
        d->T1 = st[k++];
        d->P0 = st[k++];
        d->P1 = st[k++];
        apply_targets(d);
        d->need_W = 1;
    }
    return 0;
}

int ts_md_dyn_set_ramp(ts_md_dyn *d, double T0, double T1, double P0, double P1, long nsteps)
{
    if (nsteps < 0) return ts_error_set(TS_ERR_RANGE, "dynamics: ramp of %ld steps", nsteps);
    if (d->p.ensemble != TS_MD_NVE && !(T0 > 0 && T1 > 0))
        return ts_error_set(TS_ERR_RANGE, "dynamics: ramp temperatures must be > 0 K (%g, %g)", T0, T1);
    if (!(fabs(P0) < 1e8 && fabs(P1) < 1e8))
        return ts_error_set(TS_ERR_RANGE, "dynamics: ramp pressures out of range (%g, %g)", P0, P1);
    d->T0 = T0;
    d->T1 = T1;
    d->P0 = P0;
    d->P1 = P1;
    d->ramp_k = 0;
    d->ramp_n = nsteps;
    apply_targets(d);
    d->need_W = 1;
    return 0;
}

double ts_md_dyn_target_temperature(const ts_md_dyn *d) { return d->p.temperature; }
double ts_md_dyn_target_pressure(const ts_md_dyn *d) { return d->p.pressure; }
long ts_md_dyn_ramp_position(const ts_md_dyn *d, long *nsteps)
{
    if (nsteps) *nsteps = d->ramp_n;
    return d->ramp_k;
}

double ts_md_dyn_time(const ts_md_dyn *d) { return d->time; }
void ts_md_dyn_set_time(ts_md_dyn *d, double t) { d->time = t; }

double ts_md_dyn_conserved(const ts_md_dyn *d, const ts_md_system *s, const ts_md_result *res)
{
    double e = ts_md_kinetic_energy(s) + res->energy;
    if (is_npt(d)) {
        double ke = 0;
        for (int q = 0; q < 3; q++) ke += 0.5 * d->W * d->veps[q] * d->veps[q];
        if (d->p.ensemble == TS_MD_NPT_ISO) ke = 0.5 * d->W * d->veps[0] * d->veps[0];
        e += ke + d->p.pressure / TS_MD_EVA3_TO_BAR * ts_md_system_volume(s);
    }
    if (d->p.ensemble == TS_MD_NHC || is_npt(d)) {
        int M = d->p.nhc_length;
        double kT = TS_MD_KB * d->p.temperature, tau = d->p.tdamp, Nf = dof(s);
        for (int k = 0; k < M; k++) {
            double Q = (k == 0 ? Nf : 1.0) * kT * tau * tau;
            e += 0.5 * Q * d->vxi[k] * d->vxi[k] + (k == 0 ? Nf : 1.0) * kT * d->xi[k];
        }
    } else if (d->p.ensemble == TS_MD_LANGEVIN) {
        e += d->heat;
    }
    return e;
}
