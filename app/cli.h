/* The `tinsel` command: engine table and option parsing shared by every
 * engine's commands. Usage: tinsel <engine> <command> [options] [args]. */
#ifndef TS_APP_CLI_H
#define TS_APP_CLI_H

#include <stdint.h>

#include "tinsel/core.h"

/* Exit statuses of the command. */
enum { TS_EXIT_OK = 0, TS_EXIT_FAIL = 1, TS_EXIT_USAGE = 2 };

typedef struct {
    const char *name;    /* "analyze" */
    const char *summary; /* one line for the engine's --help */
    /* argv[0] is the command name; returns an exit status (TS_EXIT_*). */
    int (*run)(int argc, char **argv);
} ts_command;

typedef struct {
    const char *name;    /* "em" */
    const char *summary; /* one line for `tinsel --help` */
    const ts_command *commands;
    int ncommands;
    /* The engine's part of `tinsel demo`: writes into outdir (the engine's own
     * folder, created by the caller), adds what it wrote to rep with paths
     * relative to the report folder (prefix them with `relprefix`, e.g. "em/").
     * Built-in defaults, must finish in a few minutes on 2 cores. NULL: none. */
    int (*demo)(const char *outdir, const char *relprefix, ts_report *rep, uint64_t seed);
} ts_engine;

/* NULL-terminated, generated from app/engine_*.c. */
extern const ts_engine *const ts_engines[];

/* ---- option parsing -------------------------------------------------- */

typedef enum {
    TS_OPT_FLAG,   /* int*: set to 1 when present */
    TS_OPT_LONG,   /* long* */
    TS_OPT_U64,    /* uint64_t* */
    TS_OPT_DOUBLE, /* double* */
    TS_OPT_STRING  /* const char**: points into argv */
} ts_opt_type;

typedef struct {
    const char *name; /* long name without dashes: "out" -> --out DIR or --out=DIR */
    ts_opt_type type;
    void *dest;       /* its current value is the default shown in --help */
    const char *meta; /* "DIR", "N", ... (NULL for flags) */
    const char *help; /* with units */
} ts_opt;

/* Parses argv[1..] (argv[0] = command name) against opts (n entries).
 * Positional arguments are collected into pos (at most maxpos; more is a
 * usage error), their count into *npos.
 * usage: "tinsel em analyze GRID.sp [options]"; descr: paragraph for --help.
 * Returns 0 to go on, 1 if --help was printed (exit 0), or TS_ERR_USAGE after
 * printing the reason to stderr (exit 2). --quiet and --verbose are accepted
 * everywhere. */
int ts_cli_parse(int argc, char **argv, const char *usage, const char *descr,
                 const ts_opt *opts, int nopts, char **pos, int maxpos, int *npos);

/* Map a library status to an exit status, printing ts_error_message(). */
int ts_cli_fail(int status, const char *what);

#endif
