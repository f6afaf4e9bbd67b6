/* The demo report: index.md linking every table and plot. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"

struct ts_report {
    char *dir;
    char *text; /* markdown body */
    size_t len, cap;
};

static int append(ts_report *r, const char *s)
{
    size_t n = strlen(s);
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1) cap *= 2;
        char *t = realloc(r->text, cap);
        TS_CHECK_ALLOC(t);
        r->text = t;
        r->cap = cap;
    }
    memcpy(r->text + r->len, s, n + 1);
    r->len += n;
    return 0;
}

int ts_report_create(const char *dir, ts_report **out)
{
    *out = NULL;
    TS_TRY(ts_mkdir_p(dir));
    ts_report *r = calloc(1, sizeof *r);
    TS_CHECK_ALLOC(r);
    r->dir = malloc(strlen(dir) + 1);
    if (!r->dir) {
        free(r);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    strcpy(r->dir, dir);
    int rc = append(r, "");
    if (rc) {
        ts_report_destroy(r);
        return rc;
    }
    *out = r;
    return 0;
}

void ts_report_destroy(ts_report *r)
{
    if (!r) return;
    free(r->dir);
    free(r->text);
    free(r);
}

int ts_report_section(ts_report *r, const char *title)
{
    TS_TRY(append(r, "\n## "));
    TS_TRY(append(r, title));
    return append(r, "\n\n");
}

int ts_report_text(ts_report *r, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    TS_TRY(append(r, buf));
    return append(r, "\n\n");
}

int ts_report_file(ts_report *r, const char *relpath, const char *kind, const char *desc)
{
    char *full = ts_path_join(r->dir, relpath);
    TS_CHECK_ALLOC(full);
    int exists = ts_file_exists(full);
    free(full);
    if (!exists) return ts_error_set(TS_ERR_NOTFOUND, "report: %s was not written", relpath);
    char buf[2048];
    size_t n = strlen(relpath);
    int is_png = n > 4 && strcmp(relpath + n - 4, ".png") == 0;
    if (is_png)
        snprintf(buf, sizeof buf, "- %s — %s: [%s](%s)\n\n  ![%s](%s)\n", kind, desc, relpath, relpath,
                 desc, relpath);
    else
        snprintf(buf, sizeof buf, "- %s — %s: [%s](%s)\n", kind, desc, relpath, relpath);
    return append(r, buf);
}

int ts_report_write(ts_report *r)
{
    char *path = ts_path_join(r->dir, "index.md");
    TS_CHECK_ALLOC(path);
    ts_afile *f;
    int rc = ts_afile_open(path, &f);
    free(path);
    if (rc) return rc;
    fprintf(ts_afile_fp(f), "# tinsel demo report\n\ntinsel %s (git %s). Every table and plot below was "
                            "written by this run.\n%s",
            TS_VERSION_STRING, ts_git_revision(), r->text);
    return ts_afile_commit(f);
}
