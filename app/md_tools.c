/* md command helpers: property tables, EOS plots, the MD run loop with
 * thermo output, trajectories, MSD/diffusion and checkpoints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md_app.h"

static int write_text(const char *path, const char *text)
{
    ts_afile *af;
    TS_TRY(ts_afile_open(path, &af));
    fputs(text, ts_afile_fp(af));
    return ts_afile_commit(af);
}

static int write_lines(const char *path, const char *const *lines)
{
    ts_afile *af;
    TS_TRY(ts_afile_open(path, &af));
    for (; *lines; lines++)
        fprintf(ts_afile_fp(af), "%s\n", *lines);
    return ts_afile_commit(af);
}

int md_write_builtin_potential(const char *dir, char **lib, char **par)
{
    *lib = ts_path_join(dir, "AgCuSn.library.meam");
    *par = ts_path_join(dir, "AgCuSn.meam");
    if (!*lib || !*par) return ts_error_set(TS_ERR_NOMEM, "out of memory");
    TS_TRY(write_text(*lib, md_builtin_library));
    return write_text(*par, md_builtin_params);
}

/* ---- property table ------------------------------------------------------ */

typedef struct {
    const char *name, *kind;
    const char *el0, *el1;
    double a0, covera;
    double seed_ecoh; /* eV/atom stated by seed 004 (NAN if none) */
} md_struct;

static const md_struct structs[] = {
    {"Ag_fcc", "fcc", "Ag", "Ag", 4.07, 0, -2.85},   {"Cu_fcc", "fcc", "Cu", "Cu", 3.61, 0, -3.54},
    {"Sn_fcc", "fcc", "Sn", "Sn", 4.9, 0, NAN},      {"Ag_bcc", "bcc", "Ag", "Ag", 3.25, 0, NAN},
    {"Cu_bcc", "bcc", "Cu", "Cu", 2.87, 0, NAN},     {"Ag_hcp", "hcp", "Ag", "Ag", 2.88, 0, NAN},
    {"Cu_hcp", "hcp", "Cu", "Cu", 2.55, 0, NAN},     {"Sn_dia", "dia", "Sn", "Sn", 6.58, 0, NAN},
    {"Sn_bsn", "bsn", "Sn", "Sn", 5.86, 0.547, NAN}, {"AgCu_b2", "b2", "Ag", "Cu", 3.1, 0, NAN},
    {"AgSn_b2", "b2", "Ag", "Sn", 3.3, 0, NAN},      {"CuSn_b2", "b2", "Cu", "Sn", 3.2, 0, NAN},
    {"Ag3Sn_l12", "l12", "Ag", "Sn", 4.26, 0, NAN},  {"Cu3Sn_l12", "l12", "Cu", "Sn", 3.97, 0, NAN},
    {"Cu3Ag_l12", "l12", "Cu", "Ag", 3.8, 0, NAN},   {"Ag3Cu_l12", "l12", "Ag", "Cu", 3.95, 0, NAN},
    {"Cu3Sn_d03", "d03", "Cu", "Sn", 6.1, 0, NAN},
};

static const md_ref_row *lammps_row(const char *name)
{
    for (int k = 0; k < md_lammps_nprops; k++)
        if (!strcmp(md_lammps_props[k].name, name)) return &md_lammps_props[k];
    return NULL;
}

static int emit_row(ts_csv *csv, FILE *txt, const char *name, const char *prop, double v, double ref,
                    double seed, const char *unit)
{
    int rc = ts_csv_cell_s(csv, name);
    if (!rc) rc = ts_csv_cell_s(csv, prop);
    if (!rc) rc = ts_csv_cell_d(csv, v);
    if (!rc) rc = ts_csv_cell_d(csv, ref);
    if (!rc) rc = ts_csv_cell_d(csv, seed);
    if (!rc) rc = ts_csv_cell_s(csv, unit);
    if (!rc) rc = ts_csv_end_row(csv);
    if (txt) fprintf(txt, "%-11s %-10s %14.6f %14.6f %10.3f  %s\n", name, prop, v, ref, seed, unit);
    return rc;
}

static const md_imc_ref *lammps_imc(const char *name)
{
    for (int k = 0; k < md_lammps_nimc; k++)
        if (!strcmp(md_lammps_imc[k].name, name)) return &md_lammps_imc[k];
    return NULL;
}

/* Intermetallics from the built-in POSCAR files: the file is written into
 * workdir and read back (so the run folder holds the exact input), its energy
 * per atom is computed as published, then atoms and cell are relaxed
 * (ts_md_relax_full); formation energy per atom against ecoh[] (the lowest
 * elemental structures of the table). ef_l12: formation energies of L1_2
 * Ag3Sn and Cu3Sn (NAN if not computed) for the D0a - L1_2 difference the
 * seed states for Ag3Sn. */
static int imc_rows(const ts_md_meam *pot, ts_csv *csv, FILE *txt, const char *workdir, int with_lammps,
                    const double *ecoh, double ef_ag3sn_l12, double ef_cu3sn_l12)
{
    int nel = ts_md_meam_nelements(pot), rc = 0;
    const char *names[TS_MD_MAXELT];
    for (int e = 0; e < nel; e++)
        names[e] = ts_md_meam_element(pot, e);
    for (int k = 0; k < md_imc_nstructures && !rc; k++) {
        const md_text_file *tf = &md_imc_structures[k];
        char fname[128];
        snprintf(fname, sizeof fname, "%s.poscar", tf->name);
        char *path = ts_path_join(workdir, fname);
        if (!path) return ts_error_set(TS_ERR_NOMEM, "out of memory");
        rc = write_lines(path, tf->lines);
        ts_md_system *s = NULL;
        if (!rc && ts_md_read_poscar(path, names, nel, &s)) {
            /* an element of the structure is not in this potential */
            ts_log_warn("props: %s: %s (skipped)", tf->name, ts_error_message());
            ts_error_clear();
            free(path);
            continue;
        }
        free(path);
        if (rc) break;
        int count[TS_MD_MAXELT] = {0};
        for (int i = 0; i < s->n; i++)
            count[s->type[i]]++;
        int refs_ok = 1;
        for (int e = 0; e < nel; e++)
            if (count[e] && !isfinite(ecoh[e])) refs_ok = 0;
        ts_md_calc *c = NULL;
        ts_md_result r0, r1;
        rc = ts_md_system_bind(s, pot);
        if (!rc) rc = ts_md_calc_create(pot, 1.0, 0, 0, &c);
        if (!rc) rc = ts_md_calc_compute(c, s, &r0, NULL);
        ts_md_calc_destroy(c);
        if (!rc) rc = ts_md_relax_full(pot, s, &r1);
        if (rc) {
            ts_md_system_destroy(s);
            break;
        }
        double len[3];
        for (int q = 0; q < 3; q++)
            len[q] = sqrt(s->cell[3 * q] * s->cell[3 * q] + s->cell[3 * q + 1] * s->cell[3 * q + 1] +
                          s->cell[3 * q + 2] * s->cell[3 * q + 2]);
        double ef = r1.energy / s->n;
        for (int e = 0; e < nel; e++)
            ef -= (double)count[e] / s->n * ecoh[e];
        if (!refs_ok) ef = NAN;
        const md_imc_ref *L = with_lammps ? lammps_imc(tf->name) : NULL;
        rc = emit_row(csv, txt, tf->name, "E_as_read", r0.energy / s->n, L ? L->e0 : NAN, NAN, "eV/atom");
        if (!rc) rc = emit_row(csv, txt, tf->name, "a", len[0], L ? L->a : NAN, NAN, "A");
        if (!rc) rc = emit_row(csv, txt, tf->name, "b", len[1], L ? L->b : NAN, NAN, "A");
        if (!rc) rc = emit_row(csv, txt, tf->name, "c", len[2], L ? L->c : NAN, NAN, "A");
        if (!rc) rc = emit_row(csv, txt, tf->name, "E", r1.energy / s->n, L ? L->e : NAN, NAN, "eV/atom");
        if (!rc) rc = emit_row(csv, txt, tf->name, "E_form", ef, L ? L->eform : NAN, NAN, "eV/atom");
        /* seed 004: E(D0a-Ag3Sn) - E(L1_2-Ag3Sn) ~ +0.003 eV/atom (official
         * potential); Cu3Sn: Cmcm < Pmmn < L1_2 < D0_3 (order only, no number) */
        double l12 = !strncmp(tf->name, "Ag3Sn_", 6)   ? ef_ag3sn_l12
                     : !strncmp(tf->name, "Cu3Sn_", 6) ? ef_cu3sn_l12
                                                       : NAN;
        if (!rc && isfinite(l12)) {
            double lref = NAN;
            if (L) {
                const md_ref_row *R = lammps_row(!strncmp(tf->name, "Ag3Sn_", 6) ? "Ag3Sn_l12" : "Cu3Sn_l12");
                const md_ref_row *A = lammps_row(!strncmp(tf->name, "Ag3Sn_", 6) ? "Ag_fcc" : "Cu_fcc");
                const md_ref_row *B = lammps_row("Sn_dia");
                if (R && A && B) lref = L->eform - (R->energy - 0.75 * A->energy - 0.25 * B->energy);
            }
            rc = emit_row(csv, txt, tf->name, "E_form-L12", ef - l12, lref,
                          !strcmp(tf->name, "Ag3Sn_D0a") ? 0.003 : NAN, "eV/atom");
        }
        ts_md_system_destroy(s);
    }
    return rc;
}

int md_props_table(const ts_md_meam *pot, const char *csv_path, const char *workdir, int with_lammps,
                   int with_surfaces, FILE *txt)
{
    static const char *const hdr[] = {"structure", "property", "tinsel", "lammps_kim", "seed_004", "unit"};
    ts_csv *csv;
    TS_TRY(ts_csv_open(csv_path, 6, hdr, &csv));
    int rc = 0;
    int nst = (int)(sizeof structs / sizeof structs[0]);
    double ecoh[TS_MD_MAXELT];
    for (int e = 0; e < TS_MD_MAXELT; e++)
        ecoh[e] = INFINITY;
    double e_struct[64], ef_ag3sn_l12 = NAN, ef_cu3sn_l12 = NAN;
    if (txt)
        fprintf(txt, "%-11s %-10s %14s %14s %10s\n", "structure", "property", "tinsel", "LAMMPS+KIM",
                "seed 004");
    for (int k = 0; k < nst && !rc; k++) {
        const md_struct *st = &structs[k];
        int t0 = ts_md_meam_find(pot, st->el0), t1 = ts_md_meam_find(pot, st->el1);
        e_struct[k] = NAN;
        if (t0 < 0 || t1 < 0) continue; /* element not in this potential */
        int types[2] = {t0, t1};
        ts_md_crystal_props q;
        if (ts_md_crystal_props_compute(pot, st->kind, st->a0, st->covera, types, &q)) {
            ts_log_warn("props: %s: %s (skipped)", st->name, ts_error_message());
            ts_error_clear();
            continue;
        }
        e_struct[k] = q.ecoh;
        if (t0 == t1 && q.ecoh < ecoh[t0]) ecoh[t0] = q.ecoh;
        const md_ref_row *L = with_lammps ? lammps_row(st->name) : NULL;
        struct {
            const char *prop, *unit;
            double v, ref, seed;
        } rows[10] = {
            {"a", "A", q.a, L ? L->a : NAN, NAN},
            {"c/a", "1", q.covera, L ? L->covera : NAN, NAN},
            {"E", "eV/atom", q.ecoh, L ? L->energy : NAN, st->seed_ecoh},
            {"B", "GPa", q.bulk, NAN, NAN},
            {"C11", "GPa", q.c11, L ? L->c11 : NAN, NAN},
            {"C12", "GPa", q.c12, L ? L->c12 : NAN, NAN},
            {"C44", "GPa", q.c44, L ? L->c44 : NAN, NAN},
            {"C13", "GPa", q.cij[0][2], NAN, NAN},
            {"C33", "GPa", q.cij[2][2], NAN, NAN},
            {"C66", "GPa", q.cij[5][5], NAN, NAN},
        };
        int hex = !strcmp(st->kind, "hcp") || !strcmp(st->kind, "bsn");
        if (hex) /* no LAMMPS Cij for the non-cubic cells */
            for (int r = 4; r < 7; r++)
                rows[r].ref = NAN;
        for (int r = 0; r < 10 && !rc; r++) {
            if (r == 1 && !hex) continue;
            if (r >= 7 && !hex) continue;
            rc = ts_csv_cell_s(csv, st->name);
            if (!rc) rc = ts_csv_cell_s(csv, rows[r].prop);
            if (!rc) rc = ts_csv_cell_d(csv, rows[r].v);
            if (!rc) rc = ts_csv_cell_d(csv, rows[r].ref);
            if (!rc) rc = ts_csv_cell_d(csv, rows[r].seed);
            if (!rc) rc = ts_csv_cell_s(csv, rows[r].unit);
            if (!rc) rc = ts_csv_end_row(csv);
            if (txt)
                fprintf(txt, "%-11s %-10s %14.6f %14.6f %10.3f  %s\n", st->name, rows[r].prop, rows[r].v,
                        rows[r].ref, rows[r].seed, rows[r].unit);
        }
    }
    /* formation energies of the compounds relative to the lowest pure
     * structures computed above */
    for (int k = 0; k < nst && !rc; k++) {
        const md_struct *st = &structs[k];
        if (!strcmp(st->el0, st->el1) || isnan(e_struct[k])) continue;
        int t0 = ts_md_meam_find(pot, st->el0), t1 = ts_md_meam_find(pot, st->el1);
        double x1 = !strcmp(st->kind, "b2") ? 0.5 : 0.25;
        double ef = e_struct[k] - (1 - x1) * ecoh[t0] - x1 * ecoh[t1];
        if (!strcmp(st->name, "Ag3Sn_l12")) ef_ag3sn_l12 = ef;
        if (!strcmp(st->name, "Cu3Sn_l12")) ef_cu3sn_l12 = ef;
        double ref = NAN;
        if (with_lammps) {
            const md_ref_row *L = lammps_row(st->name);
            double m0 = INFINITY, m1 = INFINITY;
            for (int q = 0; q < md_lammps_nprops; q++) {
                const md_ref_row *R = &md_lammps_props[q];
                if (R->type0 == R->type1 && R->type0 == t0 && !strncmp(R->name, st->el0, 2) && R->energy < m0)
                    m0 = R->energy;
                if (R->type0 == R->type1 && R->type0 == t1 && !strncmp(R->name, st->el1, 2) && R->energy < m1)
                    m1 = R->energy;
            }
            if (L && isfinite(m0) && isfinite(m1)) ref = L->energy - (1 - x1) * m0 - x1 * m1;
        }
        rc = ts_csv_cell_s(csv, st->name);
        if (!rc) rc = ts_csv_cell_s(csv, "E_form");
        if (!rc) rc = ts_csv_cell_d(csv, ef);
        if (!rc) rc = ts_csv_cell_d(csv, ref);
        if (!rc) rc = ts_csv_cell_d(csv, NAN);
        if (!rc) rc = ts_csv_cell_s(csv, "eV/atom");
        if (!rc) rc = ts_csv_end_row(csv);
        if (txt)
            fprintf(txt, "%-11s %-10s %14.6f %14.6f %10s  eV/atom\n", st->name, "E_form", ef, ref, "nan");
    }
    if (!rc && workdir) rc = imc_rows(pot, csv, txt, workdir, with_lammps, ecoh, ef_ag3sn_l12, ef_cu3sn_l12);
    /* vacancy formation energies in 3x3x3 fcc Ag and Cu */
    const char *vel[2] = {"Ag", "Cu"};
    for (int v = 0; v < 2 && !rc; v++) {
        int t = ts_md_meam_find(pot, vel[v]);
        const md_ref_row *L = lammps_row(v ? "Cu_fcc" : "Ag_fcc");
        if (t < 0 || !L) continue;
        int types[2] = {t, t};
        double ev, ref = NAN;
        if (ts_md_vacancy_energy(pot, "fcc", L->a, types, 3, &ev)) {
            ts_error_clear();
            continue;
        }
        if (with_lammps) {
            const md_ref_row *V = lammps_row(v ? "vacancy_Cu" : "vacancy_Ag");
            if (V) ref = V->energy;
        }
        char name[32];
        snprintf(name, sizeof name, "%s_fcc", vel[v]);
        rc = ts_csv_cell_s(csv, name);
        if (!rc) rc = ts_csv_cell_s(csv, "E_vac");
        if (!rc) rc = ts_csv_cell_d(csv, ev);
        if (!rc) rc = ts_csv_cell_d(csv, ref);
        if (!rc) rc = ts_csv_cell_d(csv, NAN);
        if (!rc) rc = ts_csv_cell_s(csv, "eV");
        if (!rc) rc = ts_csv_end_row(csv);
        if (txt) fprintf(txt, "%-11s %-10s %14.6f %14.6f %10s  eV\n", name, "E_vac", ev, ref, "nan");
    }
    /* surface energies of the fcc elements and dilute heats of solution
     * (references: the lowest-energy structure of each element above) */
    for (int v = 0; v < 2 && !rc && with_surfaces; v++) {
        int t = ts_md_meam_find(pot, vel[v]);
        const md_ref_row *L = lammps_row(v ? "Cu_fcc" : "Ag_fcc");
        if (t < 0 || !L) continue;
        static const int hkl[3] = {100, 110, 111};
        for (int h = 0; h < 3 && !rc; h++) {
            double g;
            if (ts_md_surface_energy(pot, L->a, t, hkl[h], &g)) {
                ts_error_clear();
                continue;
            }
            char name[32], prop[32];
            snprintf(name, sizeof name, "%s_fcc", vel[v]);
            snprintf(prop, sizeof prop, "gamma_%d", hkl[h]);
            rc = ts_csv_cell_s(csv, name);
            if (!rc) rc = ts_csv_cell_s(csv, prop);
            char key[48];
            snprintf(key, sizeof key, "surface_%s_%d", vel[v], hkl[h]);
            const md_ref_row *S = with_lammps ? lammps_row(key) : NULL;
            double ref = S ? S->energy : NAN;
            if (!rc) rc = ts_csv_cell_d(csv, g);
            if (!rc) rc = ts_csv_cell_d(csv, ref);
            if (!rc) rc = ts_csv_cell_d(csv, NAN);
            if (!rc) rc = ts_csv_cell_s(csv, "J/m^2");
            if (!rc) rc = ts_csv_end_row(csv);
            if (txt) fprintf(txt, "%-11s %-10s %14.6f %14.6f %10s  J/m^2\n", name, prop, g, ref, "nan");
        }
    }
    static const struct {
        const char *host, *sol;
        double seed;
    } sols[] = {{"Ag", "Sn", -0.151}, {"Cu", "Sn", NAN}, {"Ag", "Cu", NAN}, {"Cu", "Ag", NAN}};
    for (int k = 0; k < 4 && !rc; k++) {
        int th = ts_md_meam_find(pot, sols[k].host), ts = ts_md_meam_find(pot, sols[k].sol);
        const md_ref_row *L = lammps_row(!strcmp(sols[k].host, "Ag") ? "Ag_fcc" : "Cu_fcc");
        if (th < 0 || ts < 0 || !L || !isfinite(ecoh[th]) || !isfinite(ecoh[ts])) continue;
        double dh;
        if (ts_md_solution_energy(pot, "fcc", L->a, th, ts, ecoh[th], ecoh[ts], 3, &dh)) {
            ts_error_clear();
            continue;
        }
        char name[32], key[48];
        snprintf(name, sizeof name, "%s_in_%s", sols[k].sol, sols[k].host);
        snprintf(key, sizeof key, "solution_%s", name);
        const md_ref_row *S = with_lammps ? lammps_row(key) : NULL;
        double ref = S ? S->energy : NAN;
        rc = ts_csv_cell_s(csv, name);
        if (!rc) rc = ts_csv_cell_s(csv, "dH_sol");
        if (!rc) rc = ts_csv_cell_d(csv, dh);
        if (!rc) rc = ts_csv_cell_d(csv, ref);
        if (!rc) rc = ts_csv_cell_d(csv, sols[k].seed);
        if (!rc) rc = ts_csv_cell_s(csv, "eV");
        if (!rc) rc = ts_csv_end_row(csv);
        if (txt)
            fprintf(txt, "%-11s %-10s %14.6f %14.6f %10.3f  eV\n", name, "dH_sol", dh, ref, sols[k].seed);
    }
    if (rc) {
        ts_csv_abort(csv);
        return rc;
    }
    return ts_csv_close(csv);
}

int md_eos_plot(const ts_md_meam *pot, const char *png_path)
{
    ts_plot *pl =
        ts_plot_create("Equations of state (2NN MEAM)", "volume per atom (A^3)", "energy per atom (eV)");
    if (!pl) return ts_error_set(TS_ERR_NOMEM, "out of memory (plot)");
    static const struct {
        const char *label, *kind, *el;
        double a;
    } cs[] = {{"Ag fcc", "fcc", "Ag", 4.0728},
              {"Cu fcc", "fcc", "Cu", 3.6141},
              {"Sn diamond", "dia", "Sn", 6.5813},
              {"Sn fcc", "fcc", "Sn", 4.6336}};
    int rc = 0;
    for (int k = 0; k < 4 && !rc; k++) {
        int t = ts_md_meam_find(pot, cs[k].el);
        if (t < 0) continue;
        double V[25], E[25];
        int types[2] = {t, t}, n1[3] = {1, 1, 1};
        ts_md_calc *c = NULL;
        rc = ts_md_calc_create(pot, 0.5, 0, 0, &c);
        for (int q = 0; q < 25 && !rc; q++) {
            ts_md_system *s = NULL;
            double a = cs[k].a * (0.88 + 0.01 * q);
            rc = ts_md_build_lattice(cs[k].kind, a, 0, n1, types, &s);
            if (!rc) rc = ts_md_system_bind(s, pot);
            ts_md_result r;
            if (!rc) rc = ts_md_calc_compute(c, s, &r, NULL);
            if (!rc) {
                V[q] = ts_md_system_volume(s) / s->n;
                E[q] = r.energy / s->n;
            }
            ts_md_system_destroy(s);
        }
        ts_md_calc_destroy(c);
        if (!rc) rc = ts_plot_line(pl, 25, V, E, cs[k].label);
    }
    if (!rc) rc = ts_plot_write_png(pl, png_path, 900, 600);
    ts_plot_destroy(pl);
    return rc;
}

/* ---- MD run loop ------------------------------------------------------------ */

static int write_checkpoint(ts_run *run, const ts_md_system *s, const ts_md_dyn *d, long step)
{
    char *p = ts_run_path(run, "checkpoint.data"), *q = ts_run_path(run, "checkpoint.step");
    int rc = (!p || !q) ? ts_error_set(TS_ERR_NOMEM, "out of memory") : 0;
    if (!rc) rc = ts_md_write_lammps_data(p, s);
    if (!rc) {
        /* line 1: step; line 2: integrator state (thermostat/barostat) */
        double st[TS_MD_DYN_STATE_LEN];
        int ns = ts_md_dyn_get_state(d, st);
        char text[2048];
        int len = snprintf(text, sizeof text, "%ld\n", step);
        for (int k = 0; k < ns && len < (int)sizeof text - 32; k++)
            len += snprintf(text + len, sizeof text - (size_t)len, "%.17g%c", st[k], k + 1 < ns ? ' ' : '\n');
        rc = write_text(q, text);
    }
    free(p);
    free(q);
    return rc;
}

int md_stage_enter(ts_md_dyn **pd, const md_stage *prev, const md_stage *st, double t)
{
    if (!prev || prev->dp.ensemble != st->dp.ensemble || !*pd) {
        ts_md_dyn *nd = NULL;
        TS_TRY(ts_md_dyn_create(&st->dp, &nd));
        ts_md_dyn_destroy(*pd);
        *pd = nd;
        ts_md_dyn_set_time(nd, t);
    }
    return ts_md_dyn_set_ramp(*pd, st->T0, st->T1, st->P0, st->P1, st->steps);
}

int md_run_dynamics(ts_run *run, ts_md_calc *c, ts_md_dyn **pd, ts_md_system *s, const md_run_opts *o,
                    long start_step, double *D_out)
{
    ts_md_dyn *d = *pd;
    int cur = o->stage0;
    int ne = s->ntypes, rc = 0, n = s->n;
    static const char *const base[] = {"step",         "time_ps",      "temperature_K",
                                       "potential_eV", "kinetic_eV",   "total_eV",
                                       "conserved_eV", "pressure_bar", "volume_A3"};
    const char *hdr[10 + TS_MD_MAXELT];
    char msdname[TS_MD_MAXELT][32];
    for (int k = 0; k < 9; k++)
        hdr[k] = base[k];
    int ncol = 9;
    if (o->msd)
        for (int e = 0; e < ne; e++) {
            snprintf(msdname[e], sizeof msdname[e], "msd_%s_A2", s->elem[e]);
            hdr[ncol++] = msdname[e];
        }
    hdr[ncol++] = "target_T_K"; /* thermostat target of the step (ramps) */
    char *pth = ts_run_path(run, "thermo.csv"), *ptr = ts_run_path(run, "traj.extxyz");
    char *ptraj_tmp = NULL;
    ts_csv *csv = NULL;
    FILE *traj = NULL;
    double *xprev = malloc((size_t)3 * n * sizeof *xprev), *disp = calloc((size_t)3 * n, sizeof *disp);
    long cap = o->steps / (o->thermo_every > 0 ? o->thermo_every : 1) + 2;
    double *tt = malloc((size_t)cap * sizeof *tt), *TT = malloc((size_t)cap * sizeof *TT),
           *EE = malloc((size_t)cap * sizeof *EE), *TG = malloc((size_t)cap * sizeof *TG), *MS = malloc((size_t)cap * TS_MD_MAXELT * sizeof *MS);
    ts_progress *prog = NULL;
    if (!pth || !ptr || !xprev || !disp || !tt || !TT || !EE || !TG || !MS) {
        rc = ts_error_set(TS_ERR_NOMEM, "out of memory (run)");
        goto out;
    }
    if ((rc = ts_csv_open(pth, ncol, hdr, &csv))) goto out;
    if (o->dump_every > 0) {
        ptraj_tmp = ts_tmp_path(ptr);
        traj = ptraj_tmp ? fopen(ptraj_tmp, "w") : NULL;
        if (!traj) {
            rc = ts_error_set(TS_ERR_IO, "%s: cannot write trajectory", ptr);
            goto out;
        }
    }
    int count[TS_MD_MAXELT] = {0};
    for (int i = 0; i < n; i++)
        count[s->type[i]]++;
    double inv[9];
    ts_md_result r;
    if ((rc = ts_md_dyn_run(d, c, s, 0, &r))) goto out;
    long nrow = 0;
    prog = ts_progress_create(o->label ? o->label : "md", (double)o->steps, "step");
    double t0 = ts_time_now();
    for (long step = 0; step <= o->steps; step++) {
        if (step > 0) {
            memcpy(xprev, s->x, (size_t)3 * n * sizeof *xprev);
            if (o->nstages > 0) {
                /* the stage of the step about to be taken */
                long g = start_step + step - 1, end = 0;
                int t = 0;
                for (; t < o->nstages; t++) {
                    end += o->stages[t].steps;
                    if (g < end) break;
                }
                if (t >= o->nstages) t = o->nstages - 1;
                if (t != cur) {
                    if ((rc = md_stage_enter(pd, cur >= 0 ? &o->stages[cur] : NULL, &o->stages[t],
                                             ts_md_dyn_time(d))))
                        break;
                    d = *pd;
                    cur = t;
                    ts_log_info("md: stage %d (%ld steps) from step %ld", t + 1, o->stages[t].steps, g);
                }
            }
            if ((rc = ts_md_dyn_run(d, c, s, 1, &r))) {
                if (rc == TS_ERR_INTERRUPTED) {
                    /* SIGINT/SIGTERM: keep a checkpoint of the last completed step */
                    if (write_checkpoint(run, s, d, start_step + step - 1) == 0)
                        ts_log_warn("md: interrupted; checkpoint at step %ld written (--resume continues)",
                                    start_step + step - 1);
                    rc = ts_error_set(TS_ERR_INTERRUPTED, "md run interrupted at step %ld",
                                      start_step + step - 1);
                }
                break;
            }
            /* unwrap: per-step displacement minus lattice jumps from wrapping */
            const double *h = s->cell;
            double det = h[0] * (h[4] * h[8] - h[5] * h[7]) - h[1] * (h[3] * h[8] - h[5] * h[6]) +
                         h[2] * (h[3] * h[7] - h[4] * h[6]);
            inv[0] = (h[4] * h[8] - h[5] * h[7]) / det;
            inv[1] = (h[2] * h[7] - h[1] * h[8]) / det;
            inv[2] = (h[1] * h[5] - h[2] * h[4]) / det;
            inv[3] = (h[5] * h[6] - h[3] * h[8]) / det;
            inv[4] = (h[0] * h[8] - h[2] * h[6]) / det;
            inv[5] = (h[2] * h[3] - h[0] * h[5]) / det;
            inv[6] = (h[3] * h[7] - h[4] * h[6]) / det;
            inv[7] = (h[1] * h[6] - h[0] * h[7]) / det;
            inv[8] = (h[0] * h[4] - h[1] * h[3]) / det;
            for (int i = 0; i < n; i++) {
                double dx[3], f[3];
                for (int q = 0; q < 3; q++)
                    dx[q] = s->x[3 * i + q] - xprev[3 * i + q];
                for (int q = 0; q < 3; q++) {
                    f[q] = dx[0] * inv[q] + dx[1] * inv[3 + q] + dx[2] * inv[6 + q];
                    f[q] -= nearbyint(f[q]);
                }
                for (int q = 0; q < 3; q++)
                    disp[3 * i + q] += f[0] * h[q] + f[1] * h[3 + q] + f[2] * h[6 + q];
            }
        }
        long gstep = start_step + step;
        if (o->thermo_every > 0 && step % o->thermo_every == 0) {
            double ke = ts_md_kinetic_energy(s), vol = ts_md_system_volume(s);
            double T = ts_md_temperature(s);
            double P =
                (r.stress[0] + r.stress[1] + r.stress[2]) / 3.0 + 2.0 * ke / (3.0 * vol) * TS_MD_EVA3_TO_BAR;
            double row[10 + TS_MD_MAXELT] = {(double)gstep,
                                            ts_md_dyn_time(d),
                                            T,
                                            r.energy,
                                            ke,
                                            ke + r.energy,
                                            ts_md_dyn_conserved(d, s, &r),
                                            P,
                                            vol};
            int k = 9;
            if (o->msd)
                for (int e = 0; e < ne; e++) {
                    double m = 0;
                    for (int i = 0; i < n; i++)
                        if (s->type[i] == e)
                            m += disp[3 * i] * disp[3 * i] + disp[3 * i + 1] * disp[3 * i + 1] +
                                 disp[3 * i + 2] * disp[3 * i + 2];
                    row[k] = count[e] ? m / count[e] : 0.0;
                    MS[nrow * TS_MD_MAXELT + e] = row[k];
                    k++;
                }
            row[k++] = ts_md_dyn_target_temperature(d);
            if ((rc = ts_csv_row_d(csv, row))) break;
            if (nrow < cap) {
                tt[nrow] = row[1];
                TT[nrow] = T;
                EE[nrow] = (ke + r.energy) / n;
                TG[nrow] = row[k - 1];
                nrow++;
            }
            char note[96];
            snprintf(note, sizeof note, "T %.0f K  E %.4f eV/atom", T, (ke + r.energy) / n);
            ts_progress_update(prog, (double)step, note);
        }
        if (traj && step % o->dump_every == 0)
            if ((rc = ts_md_write_extxyz(traj, s, &r.energy, 1))) break;
        if (o->checkpoint_every > 0 && step > 0 && step % o->checkpoint_every == 0)
            if ((rc = write_checkpoint(run, s, d, gstep))) break;
    }
    ts_progress_destroy(prog);
    prog = NULL;
    if (rc) goto out;
    ts_log_info("md: %ld steps of %d atoms in %.1f s", o->steps, n, ts_time_now() - t0);
    rc = ts_csv_close(csv);
    csv = NULL;
    if (rc) goto out;
    if (traj) {
        int bad = fclose(traj) != 0;
        traj = NULL;
        if (bad) {
            rc = ts_error_set(TS_ERR_IO, "%s: write failed", ptr);
            goto out;
        }
        if ((rc = ts_tmp_commit(ptraj_tmp, ptr))) goto out;
        free(ptraj_tmp);
        ptraj_tmp = NULL;
    }
    {
        char *pf = ts_run_path(run, "final.data");
        rc = pf ? ts_md_write_lammps_data(pf, s) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        free(pf);
        if (rc) goto out;
    }
    /* plots */
    {
        char *pp = ts_run_path(run, "thermo.png");
        ts_plot *pl = ts_plot_create("MD thermodynamics", "time (ps)", "temperature (K)");
        if (!pp || !pl) {
            free(pp);
            ts_plot_destroy(pl);
            rc = ts_error_set(TS_ERR_NOMEM, "out of memory (plot)");
            goto out;
        }
        rc = ts_plot_line(pl, (size_t)nrow, tt, TT, "temperature");
        if (!rc) rc = ts_plot_write_png(pl, pp, 900, 500);
        ts_plot_destroy(pl);
        free(pp);
        if (rc) goto out;
        pp = ts_run_path(run, "energy.png");
        pl = ts_plot_create("Total energy (K + U)", "time (ps)", "energy per atom (eV)");
        if (pp && pl) {
            rc = ts_plot_line(pl, (size_t)nrow, tt, EE, "K + U");
            if (!rc) rc = ts_plot_write_png(pl, pp, 900, 500);
        }
        ts_plot_destroy(pl);
        free(pp);
        if (rc) goto out;
    }
    if (o->msd && nrow >= 4) {
        /* D = slope / 6 over the second half of the run (least squares) */
        char *pp = ts_run_path(run, "msd.png");
        ts_plot *pl = ts_plot_create("Mean-square displacement", "time (ps)", "MSD (A^2)");
        double *y = malloc((size_t)nrow * sizeof *y);
        if (!pp || !pl || !y) rc = ts_error_set(TS_ERR_NOMEM, "out of memory (plot)");
        for (int e = 0; e < ne && !rc; e++) {
            if (!count[e]) continue;
            double sx = 0, sy = 0, sxx = 0, sxy = 0;
            long m = 0;
            for (long k = 0; k < nrow; k++) {
                y[k] = MS[k * TS_MD_MAXELT + e];
                if (k >= nrow / 2) {
                    sx += tt[k];
                    sy += y[k];
                    sxx += tt[k] * tt[k];
                    sxy += tt[k] * y[k];
                    m++;
                }
            }
            double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
            if (D_out) D_out[e] = slope / 6.0;
            ts_log_info("md: D(%s) = %.4g A^2/ps = %.4g m^2/s", s->elem[e], slope / 6.0, slope / 6.0 * 1e-8);
            rc = ts_plot_line(pl, (size_t)nrow, tt, y, s->elem[e]);
        }
        if (!rc) rc = ts_plot_write_png(pl, pp, 900, 500);
        free(y);
        free(pp);
        ts_plot_destroy(pl);
    }
out:
    ts_progress_destroy(prog);
    if (csv) ts_csv_abort(csv);
    if (traj) fclose(traj);
    if (ptraj_tmp) {
        remove(ptraj_tmp);
        free(ptraj_tmp);
    }
    free(pth);
    free(ptr);
    free(xprev);
    free(disp);
    free(tt);
    free(TT);
    free(EE);
    free(TG);
    free(MS);
    return rc;
}
