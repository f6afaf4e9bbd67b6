/* The `tinsel` command: tinsel <engine> <command> [options], and
 * tinsel demo, which runs every engine's demo into one report. */
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int count_engines(void)
{
    int n = 0;
    while (ts_engines[n]) n++;
    return n;
}

static const ts_engine *find_engine(const char *name)
{
    for (int i = 0; ts_engines[i]; i++)
        if (strcmp(ts_engines[i]->name, name) == 0) return ts_engines[i];
    return NULL;
}

static void engine_list(char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; ts_engines[i]; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", i ? ", " : "", ts_engines[i]->name);
    }
    if (!buf[0]) snprintf(buf, n, "none built");
}

static void main_help(void)
{
    printf("tinsel %s — reliability physics of copper-tin interconnects\n\n", TS_VERSION_STRING);
    printf("usage: tinsel <engine> <command> [options] [arguments]\n");
    printf("       tinsel demo [--out DIR] [--seed N] [--only ENGINES]\n");
    printf("       tinsel --version | --help\n\n");
    printf("engines:\n");
    printf("  %-8s %s\n", "demo", "run every engine's demo on built-in defaults; writes DIR/index.md");
    for (int i = 0; ts_engines[i]; i++) printf("  %-8s %s\n", ts_engines[i]->name, ts_engines[i]->summary);
    printf("\n'tinsel <engine> --help' lists an engine's commands; every command takes --help.\n");
    printf("Global options: --quiet (no progress), --verbose (debug messages).\n");
}

static void engine_help(const ts_engine *e)
{
    printf("tinsel %s — %s\n\nusage: tinsel %s <command> [options]\n\ncommands:\n", e->name, e->summary, e->name);
    for (int i = 0; i < e->ncommands; i++) printf("  %-16s %s\n", e->commands[i].name, e->commands[i].summary);
    printf("\n'tinsel %s <command> --help' shows a command's options.\n", e->name);
}

/* Keeps only engines named in a comma list (NULL: all). */
static int selected(const char *only, const char *name)
{
    if (!only) return 1;
    size_t n = strlen(name);
    for (const char *p = only; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        if (!c) break;
        p = c + 1;
    }
    return 0;
}

static int run_demo(int argc, char **argv)
{
    const char *out = "demo-out", *only = NULL;
    uint64_t seed = 1;
    ts_opt opts[] = {
        {"out", TS_OPT_STRING, &out, "DIR", "output folder (index.md, one subfolder per engine)"},
        {"seed", TS_OPT_U64, &seed, "N", "random seed"},
        {"only", TS_OPT_STRING, &only, "LIST", "comma-separated engines to run (default: all)"},
    };
    char *pos[1];
    int npos;
    int rc = ts_cli_parse(argc, argv, "tinsel demo [--out DIR] [--seed N] [--only LIST]",
                          "Runs the demo of every engine on built-in defaults and writes DIR/index.md linking every "
                          "table and plot produced.",
                          opts, 3, pos, 0, &npos);
    if (rc) return rc == 1 ? TS_EXIT_OK : TS_EXIT_USAGE;
    if (only) {
        for (const char *p = only; *p;) {
            const char *c = strchr(p, ',');
            char name[64];
            size_t len = c ? (size_t)(c - p) : strlen(p);
            snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
            if (!find_engine(name)) {
                char list[512];
                engine_list(list, sizeof list);
                fprintf(stderr, "tinsel: demo --only: unknown engine '%s' (engines: %s)\n", name, list);
                return TS_EXIT_USAGE;
            }
            if (!c) break;
            p = c + 1;
        }
    }
    ts_report *rep;
    if ((rc = ts_report_create(out, &rep)) != 0) return ts_cli_fail(rc, "demo");
    ts_run *run;
    if ((rc = ts_run_create(out, "demo", seed, &run)) != 0) {
        ts_report_destroy(rep);
        return ts_cli_fail(rc, "demo");
    }
    ts_run_write_ini(run, NULL);
    ts_report_file(rep, "run.ini", "data", "version, git revision and seed of this run");
    int failures = 0, ran = 0;
    double t_all = ts_time_now();
    for (int i = 0; ts_engines[i]; i++) {
        const ts_engine *e = ts_engines[i];
        if (!e->demo || !selected(only, e->name)) continue;
        char *dir = ts_path_join(out, e->name);
        char prefix[80];
        snprintf(prefix, sizeof prefix, "%s/", e->name);
        char title[160];
        snprintf(title, sizeof title, "%s — %s", e->name, e->summary);
        ts_report_section(rep, title);
        ts_log_info("demo: %s ...", e->name);
        double t0 = ts_time_now();
        rc = dir ? ts_mkdir_p(dir) : ts_error_set(TS_ERR_NOMEM, "out of memory");
        if (!rc) rc = e->demo(dir, prefix, rep, seed);
        double dt = ts_time_now() - t0;
        ran++;
        if (rc) {
            failures++;
            ts_log_error("demo %s failed: %s", e->name, ts_error_message());
            ts_report_text(rep, "**FAILED** after %.1f s: %s", dt, ts_error_message());
        } else {
            ts_report_text(rep, "_%s demo finished in %.1f s._", e->name, dt);
            ts_log_info("demo: %s done in %.1f s", e->name, dt);
        }
        free(dir);
    }
    if (ran == 0) ts_report_text(rep, "No engine demos ran (engines built: %d).", count_engines());
    rc = ts_report_write(rep);
    ts_report_destroy(rep);
    ts_run_destroy(run);
    if (rc) return ts_cli_fail(rc, "demo");
    printf("tinsel demo: %d engine(s), %d failed, %.1f s; report: %s/index.md\n", ran, failures,
           ts_time_now() - t_all, out);
    return failures ? TS_EXIT_FAIL : TS_EXIT_OK;
}

/* Idle OpenMP threads should sleep, not spin: on a loaded 2-core machine
 * libgomp's default spin-waiting made a training step 35x slower and the
 * iterative tomography solvers 5x slower (docs/core.md). libgomp reads
 * OMP_WAIT_POLICY when it loads, before main, so unless the user chose a
 * policy, set it and re-execute once. */
static void ensure_wait_policy(char **argv)
{
    if (getenv("OMP_WAIT_POLICY")) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* exec failed (no /proc): go on with the default policy. */
}

/* glibc serves blocks above 128 KiB-32 MiB (adaptive) by mmap and returns
 * them on free, so every layer call that allocates a work buffer paid page
 * faults: about 20 % of a DDPM sampling run was system time. The tinsel
 * program (not the library: a library must not change the process's
 * allocator) keeps large blocks in the heap instead. */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

int main(int argc, char **argv)
{
    ensure_wait_policy(argv);
    tune_malloc();
    /* Global flags may stand anywhere; strip them before dispatch. */
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "--quiet") == 0) {
            ts_progress_set_quiet(1);
            continue;
        }
        if (i > 0 && strcmp(argv[i], "--verbose") == 0) {
            ts_log_set_level(TS_LOG_DEBUG);
            continue;
        }
        argv[n++] = argv[i];
    }
    argc = n;
    argv[argc] = NULL;
    ts_signals_install();

    if (argc < 2) {
        main_help();
        return TS_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
        main_help();
        return TS_EXIT_OK;
    }
    if (strcmp(a, "--version") == 0) {
        printf("tinsel %s (git %s)\n", TS_VERSION_STRING, ts_git_revision());
        return TS_EXIT_OK;
    }
    if (strcmp(a, "demo") == 0) return run_demo(argc - 1, argv + 1);
    const ts_engine *e = find_engine(a);
    if (!e) {
        char list[512];
        engine_list(list, sizeof list);
        fprintf(stderr, "tinsel: unknown engine '%s' (engines: demo, %s; see tinsel --help)\n", a, list);
        return TS_EXIT_USAGE;
    }
    if (argc < 3) {
        engine_help(e);
        return TS_EXIT_USAGE;
    }
    const char *c = argv[2];
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "help") == 0) {
        engine_help(e);
        return TS_EXIT_OK;
    }
    for (int i = 0; i < e->ncommands; i++)
        if (strcmp(e->commands[i].name, c) == 0) return e->commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "tinsel: %s: unknown command '%s' (commands:", e->name, c);
    for (int i = 0; i < e->ncommands; i++) fprintf(stderr, " %s", e->commands[i].name);
    fprintf(stderr, "; see tinsel %s --help)\n", e->name);
    return TS_EXIT_USAGE;
}
