/* INI run files through libinih, with typed getters that record the value
 * used (defaults included) and reject unknown keys and bad values with
 * path:line. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tinsel/core.h"

typedef struct {
    char *section, *key, *value;
    int line;    /* 0: not from the file */
    int used;    /* a getter asked for it */
    int origin;  /* 0 file, 1 command line, 2 default */
} entry;

struct ts_config {
    char *path; /* NULL if not loaded from a file */
    entry *e;
    size_t n, cap;
    int parse_error; /* first problem found while loading */
};

ts_config *ts_config_create(void) { return calloc(1, sizeof(ts_config)); }

void ts_config_destroy(ts_config *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].section);
        free(c->e[i].key);
        free(c->e[i].value);
    }
    free(c->e);
    free(c->path);
    free(c);
}

static entry *find(const ts_config *c, const char *section, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].section, section) == 0 && strcmp(c->e[i].key, key) == 0) return &c->e[i];
    return NULL;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int add(ts_config *c, const char *section, const char *key, const char *value, int line,
               int origin, entry **out)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        entry *e = realloc(c->e, cap * sizeof *e);
        TS_CHECK_ALLOC(e);
        c->e = e;
        c->cap = cap;
    }
    entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    e->section = dupstr(section);
    e->key = dupstr(key);
    e->value = dupstr(value);
    if (!e->section || !e->key || !e->value) {
        free(e->section);
        free(e->key);
        free(e->value);
        return ts_error_set(TS_ERR_NOMEM, "out of memory storing configuration");
    }
    e->line = line;
    e->origin = origin;
    c->n++;
    if (out) *out = e;
    return 0;
}

/* inih calls the reader once per line: count lines here. */
typedef struct {
    FILE *fp;
    int line;
    int too_long; /* a line did not fit inih's buffer */
    ts_config *c;
} reader_state;

static char *read_line(char *str, int num, void *stream)
{
    reader_state *s = stream;
    if (s->too_long) return NULL;
    char *r = fgets(str, num, s->fp);
    if (!r) return NULL;
    s->line++;
    size_t n = strlen(r);
    if (n == (size_t)num - 1 && r[n - 1] != '\n' && !feof(s->fp)) {
        s->too_long = 1;
        ts_error_set(TS_ERR_PARSE, "%s:%d: line longer than %d characters", s->c->path, s->line, num - 2);
        return NULL;
    }
    return r;
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
    reader_state *s = user;
    ts_config *c = s->c;
    if (!name) return 1; /* section header only */
    if (!section || !*section) {
        ts_error_set(TS_ERR_PARSE, "%s:%d: key '%s' outside any [section]", c->path, s->line, name);
        return 0;
    }
    entry *old = find(c, section, name);
    if (old) {
        ts_error_set(TS_ERR_PARSE, "%s:%d: duplicate key '%s' in [%s] (first set at line %d)",
                     c->path, s->line, name, section, old->line);
        return 0;
    }
    if (add(c, section, name, value, s->line, 0, NULL) != 0) return 0;
    return 1;
}

int ts_config_load_stream(FILE *fp, const char *name, ts_config **out)
{
    *out = NULL;
    ts_config *c = ts_config_create();
    if (!c || !(c->path = dupstr(name))) {
        ts_config_destroy(c);
        return ts_error_set(TS_ERR_NOMEM, "out of memory loading %s", name);
    }
    reader_state s = {fp, 0, 0, c};
    ts_error_clear();
    /* Indented lines are keys, not continuations; report the first error. */
    ini_allow_multiline = false;
    ini_stop_on_first_error = true;
    int rc = ini_parse_stream(read_line, &s, on_value, &s);
    if (s.too_long) rc = -1;
    if (rc != 0) {
        if (ts_error_code() == 0) {
            if (rc > 0)
                ts_error_set(TS_ERR_PARSE,
                             "%s:%d: expected '[section]', 'key = value', a comment (; or #) or a blank line",
                             name, rc);
            else
                ts_error_set(TS_ERR_IO, "%s: read error", name);
        }
        ts_config_destroy(c);
        return ts_error_code();
    }
    *out = c;
    return 0;
}

int ts_config_load(const char *path, ts_config **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) return ts_error_set(TS_ERR_NOTFOUND, "%s: cannot open: %s", path, strerror(errno));
    int rc = ts_config_load_stream(fp, path, out);
    fclose(fp);
    return rc;
}

int ts_config_set(ts_config *c, const char *section, const char *key, const char *value)
{
    entry *e = find(c, section, key);
    if (e) {
        char *v = dupstr(value);
        TS_CHECK_ALLOC(v);
        free(e->value);
        e->value = v;
        e->origin = 1;
        return 0;
    }
    return add(c, section, key, value, 0, 1, NULL);
}

int ts_config_has(const ts_config *c, const char *section, const char *key)
{
    return find(c, section, key) != NULL;
}

/* Where an entry came from, for messages: "run.ini:12" or "command line". */
static void origin_text(const ts_config *c, const entry *e, char *buf, size_t n)
{
    if (e->origin == 0 && c->path)
        snprintf(buf, n, "%s:%d", c->path, e->line);
    else if (e->origin == 1)
        snprintf(buf, n, "command line");
    else
        snprintf(buf, n, "default");
}

/* Look up a key; if absent, store the default (as text) and return it. */
static int lookup(ts_config *c, const char *section, const char *key, const char *def_text, entry **out)
{
    entry *e = find(c, section, key);
    if (!e) TS_TRY(add(c, section, key, def_text, 0, 2, &e));
    e->used = 1;
    *out = e;
    return 0;
}

static int bad_value_code(const ts_config *c, const entry *e, const char *expected, int code)
{
    char where[512];
    origin_text(c, e, where, sizeof where);
    return ts_error_set(code, "%s: [%s] %s: expected %s, got '%s'", where, e->section, e->key, expected,
                        e->value);
}

static int bad_value(const ts_config *c, const entry *e, const char *expected)
{
    return bad_value_code(c, e, expected, TS_ERR_PARSE);
}

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || errno == ERANGE) return -1;
    while (isspace((unsigned char)*end)) end++;
    return *end ? -1 : 0;
}

int ts_config_get_double(ts_config *c, const char *section, const char *key, double def, double min,
                         double max, double *out)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", def);
    entry *e;
    TS_TRY(lookup(c, section, key, buf, &e));
    double v;
    if (parse_double(e->value, &v) != 0 || !isfinite(v)) return bad_value(c, e, "a finite number");
    if (v < min || v > max) {
        char exp[160];
        snprintf(exp, sizeof exp, "a number in [%g, %g]", min, max);
        return bad_value_code(c, e, exp, TS_ERR_RANGE);
    }
    *out = v;
    return 0;
}

int ts_config_get_long(ts_config *c, const char *section, const char *key, long def, long min,
                       long max, long *out)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", def);
    entry *e;
    TS_TRY(lookup(c, section, key, buf, &e));
    char *end;
    errno = 0;
    long v = strtol(e->value, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (end == e->value || *end || errno == ERANGE) return bad_value(c, e, "an integer");
    if (v < min || v > max) {
        char exp[160];
        snprintf(exp, sizeof exp, "an integer in [%ld, %ld]", min, max);
        return bad_value_code(c, e, exp, TS_ERR_RANGE);
    }
    *out = v;
    return 0;
}

int ts_config_get_bool(ts_config *c, const char *section, const char *key, int def, int *out)
{
    entry *e;
    TS_TRY(lookup(c, section, key, def ? "true" : "false", &e));
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(e->value, yes[i]) == 0) return *out = 1, 0;
        if (strcasecmp(e->value, no[i]) == 0) return *out = 0, 0;
    }
    return bad_value(c, e, "true/false, yes/no, on/off or 1/0");
}

int ts_config_get_string(ts_config *c, const char *section, const char *key, const char *def,
                         const char **out)
{
    entry *e;
    TS_TRY(lookup(c, section, key, def ? def : "", &e));
    *out = e->value;
    return 0;
}

int ts_config_get_choice(ts_config *c, const char *section, const char *key, const char *def,
                         const char *const *choices, int n, int *out)
{
    entry *e;
    TS_TRY(lookup(c, section, key, def, &e));
    for (int i = 0; i < n; i++)
        if (strcmp(e->value, choices[i]) == 0) return *out = i, 0;
    char exp[512] = "one of";
    for (int i = 0; i < n; i++) {
        size_t l = strlen(exp);
        snprintf(exp + l, sizeof exp - l, "%s '%s'", i ? "," : "", choices[i]);
    }
    return bad_value(c, e, exp);
}

int ts_config_get_doubles(ts_config *c, const char *section, const char *key, const char *def,
                          double **out, size_t *n)
{
    entry *e;
    *out = NULL;
    *n = 0;
    TS_TRY(lookup(c, section, key, def ? def : "", &e));
    size_t cap = 8, k = 0;
    double *v = malloc(cap * sizeof *v);
    TS_CHECK_ALLOC(v);
    const char *s = e->value;
    for (;;) {
        while (*s && (isspace((unsigned char)*s) || *s == ',')) s++;
        if (!*s) break;
        char *end;
        errno = 0;
        double x = strtod(s, &end);
        if (end == s || errno == ERANGE || !isfinite(x) ||
            (*end && !isspace((unsigned char)*end) && *end != ',')) {
            free(v);
            return bad_value(c, e, "a list of finite numbers separated by commas or spaces");
        }
        if (k == cap) {
            cap *= 2;
            double *nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                free(v);
                return ts_error_set(TS_ERR_NOMEM, "out of memory");
            }
            v = nv;
        }
        v[k++] = x;
        s = end;
    }
    *out = v;
    *n = k;
    return 0;
}

int ts_config_check_unknown(const ts_config *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        if (e->used) continue;
        char where[512];
        origin_text(c, e, where, sizeof where);
        /* List the keys this section does know. */
        char known[1024] = "";
        int section_known = 0;
        for (size_t j = 0; j < c->n; j++) {
            if (!c->e[j].used || strcmp(c->e[j].section, e->section) != 0) continue;
            section_known = 1;
            size_t l = strlen(known);
            snprintf(known + l, sizeof known - l, "%s%s", l ? ", " : "", c->e[j].key);
        }
        if (!section_known) {
            char sections[1024] = "";
            for (size_t j = 0; j < c->n; j++) {
                if (!c->e[j].used) continue;
                char tag[160];
                snprintf(tag, sizeof tag, "[%s]", c->e[j].section);
                if (strstr(sections, tag)) continue;
                size_t l = strlen(sections);
                snprintf(sections + l, sizeof sections - l, "%s%s", l ? " " : "", tag);
            }
            return ts_error_set(TS_ERR_PARSE, "%s: unknown section [%s] (known sections: %s)", where,
                                e->section, sections[0] ? sections : "none");
        }
        return ts_error_set(TS_ERR_PARSE, "%s: unknown key '%s' in [%s] (known keys: %s)", where,
                            e->key, e->section, known);
    }
    return 0;
}

int ts_config_write(const ts_config *c, FILE *fp)
{
    /* Sections in order of first appearance; only values that were used. */
    for (size_t i = 0; i < c->n; i++) {
        if (!c->e[i].used) continue;
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            if (c->e[j].used && strcmp(c->e[j].section, c->e[i].section) == 0) seen = 1;
        if (seen) continue;
        fprintf(fp, "\n[%s]\n", c->e[i].section);
        for (size_t j = i; j < c->n; j++) {
            const entry *e = &c->e[j];
            if (!e->used || strcmp(e->section, c->e[i].section) != 0) continue;
            fprintf(fp, "%s = %s%s\n", e->key, e->value,
                    e->origin == 2 ? "  ; default" : e->origin == 1 ? "  ; command line" : "");
        }
    }
    return ferror(fp) ? ts_error_set(TS_ERR_IO, "write error") : 0;
}
