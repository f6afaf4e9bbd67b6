/* Atomic output (temporary file + rename), folders and paths. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tinsel/core.h"

struct ts_afile {
    FILE *fp;
    char *path, *tmp;
};

char *ts_tmp_path(const char *path)
{
    size_t n = strlen(path) + 48;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s.tmp.%ld", path, (long)getpid());
    return t;
}

int ts_tmp_commit(const char *tmp, const char *path)
{
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return ts_error_set(TS_ERR_IO, "%s: cannot rename temporary file into place: %s", path, strerror(e));
    }
    return 0;
}

int ts_afile_open(const char *path, ts_afile **out)
{
    *out = NULL;
    ts_afile *f = calloc(1, sizeof *f);
    TS_CHECK_ALLOC(f);
    f->path = malloc(strlen(path) + 1);
    f->tmp = ts_tmp_path(path);
    if (!f->path || !f->tmp) {
        free(f->path);
        free(f->tmp);
        free(f);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    strcpy(f->path, path);
    f->fp = fopen(f->tmp, "wb");
    if (!f->fp) {
        int e = errno;
        free(f->path);
        free(f->tmp);
        free(f);
        return ts_error_set(TS_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    *out = f;
    return 0;
}

FILE *ts_afile_fp(ts_afile *f) { return f->fp; }
const char *ts_afile_tmp_path(const ts_afile *f) { return f->tmp; }

static void afile_free(ts_afile *f)
{
    free(f->path);
    free(f->tmp);
    free(f);
}

int ts_afile_commit(ts_afile *f)
{
    int bad = ferror(f->fp);
    if (fclose(f->fp) != 0) bad = 1;
    int rc = 0;
    if (bad) {
        remove(f->tmp);
        rc = ts_error_set(TS_ERR_IO, "%s: write failed (disk full?)", f->path);
    } else {
        rc = ts_tmp_commit(f->tmp, f->path);
    }
    afile_free(f);
    return rc;
}

void ts_afile_abort(ts_afile *f)
{
    if (!f) return;
    if (f->fp) fclose(f->fp);
    remove(f->tmp);
    afile_free(f);
}

int ts_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *ts_path_join(const char *dir, const char *name)
{
    if (!dir || !*dir || name[0] == '/') {
        char *p = malloc(strlen(name) + 1);
        if (p) strcpy(p, name);
        return p;
    }
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    return p;
}

int ts_mkdir_p(const char *dir)
{
    if (!dir || !*dir) return ts_error_set(TS_ERR_INVAL, "empty folder name");
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    TS_CHECK_ALLOC(p);
    strcpy(p, dir);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            int rc = ts_error_set(TS_ERR_IO, "%s: cannot create folder: %s", p, strerror(e));
            free(p);
            return rc;
        }
        p[i] = c;
    }
    struct stat st;
    int rc = 0;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = ts_error_set(TS_ERR_IO, "%s: exists and is not a folder", p);
    else if (access(p, W_OK | X_OK) != 0)
        rc = ts_error_set(TS_ERR_IO, "%s: folder is not writable", p);
    free(p);
    return rc;
}
