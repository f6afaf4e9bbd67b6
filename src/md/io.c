/* Structure files: LAMMPS data (atomic style, orthogonal or restricted
 * triclinic), extended XYZ (as written by ASE/OVITO: Lattice="..."
 * Properties=species:S:1:pos:R:3...) and VASP 5 POSCAR. Readers report
 * path:line; writers are atomic (temporary file + rename). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md/meam_internal.h"

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

static int num(const char *path, int line, const char *tok, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(tok, &end);
    if (end == tok || (*end && !isspace((unsigned char)*end)) || errno == ERANGE || !isfinite(*v))
        return ts_error_set(TS_ERR_PARSE, "%s:%d: expected a number, got '%s'", path, line, tok);
    return 0;
}

/* ---- LAMMPS data ---------------------------------------------------------- */

int ts_md_read_lammps_data(const char *path, ts_md_system **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open LAMMPS data file", path);
    char buf[4096];
    int line = 0, natoms = -1, ntypes = -1, rc = 0, have[3] = {0, 0, 0};
    double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0}, xy = 0, xz = 0, yz = 0;
    ts_md_system *s = NULL;
    double masses[TS_MD_MAXELT] = {0};
    int *seen = NULL, got_atoms = 0;
    /* title line */
    if (!fgets(buf, sizeof buf, fp)) {
        fclose(fp);
        return ts_error_set(TS_ERR_PARSE, "%s:1: empty LAMMPS data file", path);
    }
    line = 1;
    while (!rc && fgets(buf, sizeof buf, fp)) {
        line++;
        char *h = strchr(buf, '#');
        char *t = trim(buf);
        char section[64] = "";
        if (h) {
            /* keep "Atoms # atomic" style hints out of the parse */
            *h = 0;
            t = trim(buf);
        }
        if (!*t) continue;
        double v1, v2;
        char w1[64], w2[64], w3[64];
        int iv;
        char rest[8];
        if (sscanf(t, "%d %63s %7s", &iv, w1, rest) == 2 && !strcmp(w1, "atoms")) {
            natoms = iv;
            if (natoms < 1 || natoms > 50000000)
                rc = ts_error_set(TS_ERR_RANGE, "%s:%d: atom count %d out of range", path, line,
                                  natoms);
            continue;
        }
        if (sscanf(t, "%d %63s %63s", &iv, w1, w2) == 3 && !strcmp(w1, "atom") &&
            !strcmp(w2, "types")) {
            ntypes = iv;
            if (ntypes < 1 || ntypes > TS_MD_MAXELT) {
                rc = ts_error_set(TS_ERR_RANGE, "%s:%d: %d atom types (1..%d supported)", path,
                                  line, ntypes, TS_MD_MAXELT);
            }
            continue;
        }
        if (sscanf(t, "%lf %lf %63s %63s", &v1, &v2, w1, w2) == 4) {
            int d = !strcmp(w1, "xlo") ? 0 : !strcmp(w1, "ylo") ? 1 : !strcmp(w1, "zlo") ? 2 : -1;
            if (d >= 0) {
                lo[d] = v1;
                hi[d] = v2;
                have[d] = 1;
                if (!(v2 > v1))
                    rc = ts_error_set(TS_ERR_PARSE, "%s:%d: box bounds: hi must exceed lo", path,
                                      line);
                continue;
            }
        }
        double v3;
        if (sscanf(t, "%lf %lf %lf %63s %63s %63s", &v1, &v2, &v3, w1, w2, w3) == 6 &&
            !strcmp(w1, "xy")) {
            xy = v1;
            xz = v2;
            yz = v3;
            continue;
        }
        sscanf(t, "%63s", section);
        if (!strcmp(section, "Masses")) {
            if (ntypes < 1) {
                rc = ts_error_set(TS_ERR_PARSE, "%s:%d: Masses before 'atom types'", path, line);
                break;
            }
            int k = 0;
            while (k < ntypes && fgets(buf, sizeof buf, fp)) {
                line++;
                char *u = trim(buf);
                if (!*u) continue;
                int ty;
                double m;
                if (sscanf(u, "%d %lf", &ty, &m) != 2 || ty < 1 || ty > ntypes || !(m > 0)) {
                    rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected 'type mass' with type 1..%d",
                                      path, line, ntypes);
                    break;
                }
                masses[ty - 1] = m;
                k++;
            }
            continue;
        }
        if (!strcmp(section, "Atoms") || !strcmp(section, "Velocities")) {
            int isv = section[0] == 'V';
            if (natoms < 1 || ntypes < 1 || !have[0] || !have[1] || !have[2]) {
                rc = ts_error_set(TS_ERR_PARSE,
                                  "%s:%d: %s before the header (atoms, atom types, box bounds)",
                                  path, line, section);
                break;
            }
            if (!s) {
                s = ts_md_system_create(natoms);
                seen = calloc((size_t)natoms, sizeof *seen);
                if (!s || !seen) {
                    rc = ts_error_set(TS_ERR_NOMEM, "out of memory reading %s", path);
                    break;
                }
            }
            if (isv) memset(seen, 0, (size_t)natoms * sizeof *seen);
            int k = 0;
            while (k < natoms && fgets(buf, sizeof buf, fp)) {
                line++;
                char *hh = strchr(buf, '#');
                if (hh) *hh = 0;
                char *u = trim(buf);
                if (!*u) continue;
                long id;
                int ty = 1;
                double a, b, cc;
                int nread = isv ? sscanf(u, "%ld %lf %lf %lf", &id, &a, &b, &cc)
                                : sscanf(u, "%ld %d %lf %lf %lf", &id, &ty, &a, &b, &cc);
                if (nread != (isv ? 4 : 5)) {
                    rc = ts_error_set(TS_ERR_PARSE,
                                      isv ? "%s:%d: expected 'id vx vy vz'"
                                          : "%s:%d: expected 'id type x y z' (atom_style atomic)",
                                      path, line);
                    break;
                }
                if (id < 1 || id > natoms || seen[id - 1]) {
                    rc = ts_error_set(TS_ERR_PARSE, "%s:%d: atom id %ld out of 1..%d or repeated",
                                      path, line, id, natoms);
                    break;
                }
                if (!isv && (ty < 1 || ty > ntypes)) {
                    rc = ts_error_set(TS_ERR_PARSE, "%s:%d: atom type %d out of 1..%d", path,
                                      line, ty, ntypes);
                    break;
                }
                if (!isfinite(a) || !isfinite(b) || !isfinite(cc)) {
                    rc = ts_error_set(TS_ERR_PARSE, "%s:%d: non-finite value", path, line);
                    break;
                }
                seen[id - 1] = 1;
                double *dst = isv ? s->v : s->x;
                dst[3 * (id - 1)] = a - (isv ? 0 : lo[0]);
                dst[3 * (id - 1) + 1] = b - (isv ? 0 : lo[1]);
                dst[3 * (id - 1) + 2] = cc - (isv ? 0 : lo[2]);
                if (!isv) s->type[id - 1] = ty - 1;
                k++;
            }
            if (!rc && k < natoms)
                rc = ts_error_set(TS_ERR_PARSE, "%s:%d: %s section has %d of %d atoms", path, line,
                                  section, k, natoms);
            if (!isv) got_atoms = 1;
            continue;
        }
        rc = ts_error_set(TS_ERR_PARSE, "%s:%d: unexpected line '%.60s'", path, line, t);
    }
    fclose(fp);
    free(seen);
    if (!rc && !got_atoms) rc = ts_error_set(TS_ERR_PARSE, "%s: no Atoms section", path);
    if (rc) {
        ts_md_system_destroy(s);
        return rc;
    }
    s->cell[0] = hi[0] - lo[0];
    s->cell[3] = xy;
    s->cell[4] = hi[1] - lo[1];
    s->cell[6] = xz;
    s->cell[7] = yz;
    s->cell[8] = hi[2] - lo[2];
    s->ntypes = ntypes;
    for (int t = 0; t < ntypes; t++) s->mass[t] = masses[t];
    *out = s;
    return 0;
}

int ts_md_write_lammps_data(const char *path, const ts_md_system *s)
{
    const double *h = s->cell;
    if (fabs(h[1]) > 1e-12 || fabs(h[2]) > 1e-12 || fabs(h[5]) > 1e-12)
        return ts_error_set(TS_ERR_UNSUPPORTED,
                            "%s: LAMMPS needs a along x and b in the xy plane (rotate the cell)",
                            path);
    ts_afile *af;
    TS_TRY(ts_afile_open(path, &af));
    FILE *fp = ts_afile_fp(af);
    fprintf(fp, "tinsel md (LAMMPS data, atom_style atomic; types:");
    for (int t = 0; t < s->ntypes; t++) fprintf(fp, " %d=%s", t + 1, s->elem[t]);
    fprintf(fp, ")\n\n%d atoms\n%d atom types\n\n", s->n, s->ntypes);
    fprintf(fp, "0 %.17g xlo xhi\n0 %.17g ylo yhi\n0 %.17g zlo zhi\n", h[0], h[4], h[8]);
    if (h[3] != 0 || h[6] != 0 || h[7] != 0)
        fprintf(fp, "%.17g %.17g %.17g xy xz yz\n", h[3], h[6], h[7]);
    fprintf(fp, "\nMasses\n\n");
    for (int t = 0; t < s->ntypes; t++)
        fprintf(fp, "%d %.17g # %s\n", t + 1, s->mass[t] > 0 ? s->mass[t] : 1.0, s->elem[t]);
    fprintf(fp, "\nAtoms # atomic\n\n");
    for (int i = 0; i < s->n; i++)
        fprintf(fp, "%d %d %.17g %.17g %.17g\n", i + 1, s->type[i] + 1, s->x[3 * i],
                s->x[3 * i + 1], s->x[3 * i + 2]);
    fprintf(fp, "\nVelocities\n\n");
    for (int i = 0; i < s->n; i++)
        fprintf(fp, "%d %.17g %.17g %.17g\n", i + 1, s->v[3 * i], s->v[3 * i + 1], s->v[3 * i + 2]);
    if (ferror(fp)) {
        ts_afile_abort(af);
        return ts_error_set(TS_ERR_IO, "%s: write failed", path);
    }
    return ts_afile_commit(af);
}

/* ---- extended XYZ ----------------------------------------------------------- */

static int species_index(const char *const *elements, int n, const char *sym)
{
    for (int e = 0; e < n; e++)
        if (!strcmp(elements[e], sym)) return e;
    return -1;
}

int ts_md_read_extxyz(const char *path, const char *const *elements, int nelements,
                      ts_md_system **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open extended XYZ file", path);
    char buf[8192];
    int rc = 0;
    long n = 0;
    if (!fgets(buf, sizeof buf, fp) || sscanf(buf, "%ld", &n) != 1 || n < 1 || n > 50000000L) {
        fclose(fp);
        return ts_error_set(TS_ERR_PARSE, "%s:1: expected the atom count", path);
    }
    if (!fgets(buf, sizeof buf, fp)) {
        fclose(fp);
        return ts_error_set(TS_ERR_PARSE, "%s:2: missing comment line", path);
    }
    char *lat = strstr(buf, "Lattice=\"");
    double h[9];
    if (!lat || sscanf(lat + 9, "%lf %lf %lf %lf %lf %lf %lf %lf %lf", &h[0], &h[1], &h[2],
                       &h[3], &h[4], &h[5], &h[6], &h[7], &h[8]) != 9) {
        fclose(fp);
        return ts_error_set(TS_ERR_PARSE, "%s:2: expected Lattice=\"ax ay az bx by bz cx cy cz\"",
                            path);
    }
    /* columns: species then pos; velocities optional */
    int col_sp = 0, col_pos = 1, col_vel = -1;
    char *pr = strstr(buf, "Properties=");
    if (pr) {
        /* "name:type:count:name:type:count..." up to the next blank */
        char spec[1024];
        size_t k = 0;
        pr += 11;
        while (pr[k] && !isspace((unsigned char)pr[k]) && k < sizeof spec - 1) {
            spec[k] = pr[k];
            k++;
        }
        spec[k] = 0;
        char *fields[96];
        int nf = 0;
        for (char *f = strtok(spec, ":"); f && nf < 96; f = strtok(NULL, ":")) fields[nf++] = f;
        int col = 0;
        col_sp = col_pos = -1;
        for (int q = 0; q + 2 < nf; q += 3) {
            int cnt = atoi(fields[q + 2]);
            if (!strcmp(fields[q], "species")) col_sp = col;
            if (!strcmp(fields[q], "pos")) col_pos = col;
            if (!strcmp(fields[q], "velo") || !strcmp(fields[q], "vel")) col_vel = col;
            col += cnt > 0 ? cnt : 1;
        }
        if (col_sp < 0 || col_pos < 0) {
            fclose(fp);
            return ts_error_set(TS_ERR_PARSE, "%s:2: Properties must contain species and pos",
                                path);
        }
    }
    ts_md_system *s = ts_md_system_create((int)n);
    if (!s) {
        fclose(fp);
        return ts_error_code();
    }
    memcpy(s->cell, h, sizeof h);
    for (long i = 0; i < n && !rc; i++) {
        int line = (int)i + 3;
        if (!fgets(buf, sizeof buf, fp)) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: file ends after %ld of %ld atoms", path, line,
                              i, n);
            break;
        }
        char *tok[64];
        int nt = 0;
        for (char *p = strtok(buf, " \t\r\n"); p && nt < 64; p = strtok(NULL, " \t\r\n"))
            tok[nt++] = p;
        int need = col_pos + 3;
        if (col_sp + 1 > need) need = col_sp + 1;
        if (col_vel >= 0 && col_vel + 3 > need) need = col_vel + 3;
        if (nt < need) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected %d columns, got %d", path, line, need, nt);
            break;
        }
        int e = species_index(elements, nelements, tok[col_sp]);
        if (e < 0) {
            rc = ts_error_set(TS_ERR_NOTFOUND, "%s:%d: species '%s' is not an element of the potential",
                              path, line, tok[col_sp]);
            break;
        }
        s->type[i] = e;
        for (int d = 0; d < 3 && !rc; d++) rc = num(path, line, tok[col_pos + d], &s->x[3 * i + d]);
        for (int d = 0; d < 3 && !rc && col_vel >= 0; d++)
            rc = num(path, line, tok[col_vel + d], &s->v[3 * i + d]);
    }
    fclose(fp);
    if (rc) {
        ts_md_system_destroy(s);
        return rc;
    }
    s->ntypes = nelements;
    *out = s;
    return 0;
}

int ts_md_write_extxyz(FILE *fp, const ts_md_system *s, const double *energy, int with_forces)
{
    const double *h = s->cell;
    fprintf(fp, "%d\n", s->n);
    fprintf(fp, "Lattice=\"%.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g\" "
                "Properties=species:S:1:pos:R:3:velo:R:3%s pbc=\"T T T\"",
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], with_forces ? ":forces:R:3" : "");
    if (energy) fprintf(fp, " energy=%.12g", *energy);
    fprintf(fp, "\n");
    for (int i = 0; i < s->n; i++) {
        const char *sym = s->elem[s->type[i]][0] ? s->elem[s->type[i]] : "X";
        fprintf(fp, "%s %.10f %.10f %.10f %.8g %.8g %.8g", sym, s->x[3 * i], s->x[3 * i + 1],
                s->x[3 * i + 2], s->v[3 * i], s->v[3 * i + 1], s->v[3 * i + 2]);
        if (with_forces)
            fprintf(fp, " %.8g %.8g %.8g", s->f[3 * i], s->f[3 * i + 1], s->f[3 * i + 2]);
        fputc('\n', fp);
    }
    return ferror(fp) ? ts_error_set(TS_ERR_IO, "extxyz: write failed") : 0;
}

/* ---- POSCAR ---------------------------------------------------------------- */

int ts_md_read_poscar(const char *path, const char *const *elements, int nelements,
                      ts_md_system **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_IO, "%s: cannot open POSCAR", path);
    char buf[4096];
    int rc = 0, line = 0;
    double scale = 1, h[9];
    char names[TS_MD_MAXELT][16];
    int counts[TS_MD_MAXELT], nsp = 0;
    ts_md_system *s = NULL;
#define NEXT()                                                                              \
    do {                                                                                    \
        if (!fgets(buf, sizeof buf, fp)) {                                                  \
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: unexpected end of POSCAR", path, line + 1); \
            goto done;                                                                      \
        }                                                                                   \
        line++;                                                                             \
    } while (0)
    NEXT(); /* comment */
    NEXT();
    if (sscanf(buf, "%lf", &scale) != 1 || !(scale > 0)) {
        rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected a positive scale factor", path, line);
        goto done;
    }
    for (int r = 0; r < 3; r++) {
        NEXT();
        if (sscanf(buf, "%lf %lf %lf", &h[3 * r], &h[3 * r + 1], &h[3 * r + 2]) != 3) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected a lattice vector", path, line);
            goto done;
        }
    }
    NEXT();
    for (char *p = strtok(buf, " \t\r\n"); p && nsp < TS_MD_MAXELT; p = strtok(NULL, " \t\r\n"))
        snprintf(names[nsp++], sizeof names[0], "%s", p);
    if (nsp == 0 || isdigit((unsigned char)names[0][0])) {
        rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected element names (VASP 5 POSCAR)", path, line);
        goto done;
    }
    NEXT();
    {
        int k = 0;
        long total = 0;
        for (char *p = strtok(buf, " \t\r\n"); p && k < nsp; p = strtok(NULL, " \t\r\n")) {
            counts[k] = atoi(p);
            if (counts[k] < 0) break;
            total += counts[k++];
        }
        if (k != nsp || total < 1 || total > 50000000L) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected %d atom counts", path, line, nsp);
            goto done;
        }
        NEXT();
        char *t = trim(buf);
        if (*t == 'S' || *t == 's') {
            NEXT();
            t = trim(buf);
        }
        int direct = (*t == 'D' || *t == 'd');
        if (!direct && !(*t == 'C' || *t == 'c' || *t == 'K' || *t == 'k')) {
            rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected Direct or Cartesian", path, line);
            goto done;
        }
        s = ts_md_system_create((int)total);
        if (!s) {
            rc = ts_error_code();
            goto done;
        }
        for (int q = 0; q < 9; q++) s->cell[q] = h[q] * scale;
        int i = 0;
        for (int sp = 0; sp < nsp; sp++) {
            int e = species_index(elements, nelements, names[sp]);
            if (e < 0) {
                rc = ts_error_set(TS_ERR_NOTFOUND, "%s:6: element '%s' is not in the potential",
                                  path, names[sp]);
                goto done;
            }
            for (int c = 0; c < counts[sp]; c++, i++) {
                NEXT();
                double f[3];
                if (sscanf(buf, "%lf %lf %lf", &f[0], &f[1], &f[2]) != 3) {
                    rc = ts_error_set(TS_ERR_PARSE, "%s:%d: expected three coordinates", path, line);
                    goto done;
                }
                for (int d = 0; d < 3; d++)
                    s->x[3 * i + d] = direct ? f[0] * s->cell[d] + f[1] * s->cell[3 + d] +
                                                   f[2] * s->cell[6 + d]
                                             : f[d] * scale;
                s->type[i] = e;
            }
        }
        s->ntypes = nelements;
    }
done:
#undef NEXT
    fclose(fp);
    if (rc) {
        ts_md_system_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}
