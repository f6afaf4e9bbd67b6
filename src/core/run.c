/* Run folders (--out DIR) and run.ini provenance. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "tinsel/core.h"

#ifndef TS_GIT_REV
#define TS_GIT_REV "unknown"
#endif

struct ts_run {
    char *dir;
    char *command;
    uint64_t seed;
};

const char *ts_git_revision(void) { return TS_GIT_REV; }

/* Remove temporary files ("NAME.tmp.PID", see ts_tmp_path) that a killed run
 * left behind; a file whose process still lives is another run's and stays. */
static void sweep_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *t = strstr(e->d_name, ".tmp.");
        if (!t) continue;
        char *end;
        long pid = strtol(t + 5, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char *path = ts_path_join(dir, e->d_name);
        if (path) remove(path);
        free(path);
    }
    closedir(d);
}

int ts_run_create(const char *dir, const char *command, uint64_t seed, ts_run **out)
{
    *out = NULL;
    TS_TRY(ts_mkdir_p(dir));
    sweep_stale_tmp(dir);
    ts_run *r = calloc(1, sizeof *r);
    TS_CHECK_ALLOC(r);
    r->dir = malloc(strlen(dir) + 1);
    r->command = malloc(strlen(command ? command : "") + 1);
    if (!r->dir || !r->command) {
        ts_run_destroy(r);
        return ts_error_set(TS_ERR_NOMEM, "out of memory");
    }
    strcpy(r->dir, dir);
    strcpy(r->command, command ? command : "");
    r->seed = seed;
    *out = r;
    return 0;
}

const char *ts_run_dir(const ts_run *r) { return r->dir; }
uint64_t ts_run_seed(const ts_run *r) { return r->seed; }
char *ts_run_path(const ts_run *r, const char *name) { return ts_path_join(r->dir, name); }

int ts_run_write_ini(const ts_run *r, const ts_config *cfg)
{
    char *path = ts_run_path(r, "run.ini");
    TS_CHECK_ALLOC(path);
    ts_afile *f;
    int rc = ts_afile_open(path, &f);
    free(path);
    if (rc) return rc;
    FILE *fp = ts_afile_fp(f);
    char date[64];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    fprintf(fp, "; written by tinsel: provenance and the resolved configuration of this run\n");
    fprintf(fp, "[run]\nversion = %s\ngit_revision = %s\ncommand = %s\nseed = %llu\ndate = %s\n",
            TS_VERSION_STRING, ts_git_revision(), r->command, (unsigned long long)r->seed, date);
    if (cfg && (rc = ts_config_write(cfg, fp)) != 0) {
        ts_afile_abort(f);
        return rc;
    }
    return ts_afile_commit(f);
}

void ts_run_destroy(ts_run *r)
{
    if (!r) return;
    free(r->dir);
    free(r->command);
    free(r);
}
