/* Option parsing shared by every command: --name VALUE or --name=VALUE,
 * typed, with --help generated from the option table. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_default(const ts_opt *o)
{
    switch (o->type) {
    case TS_OPT_FLAG: break;
    case TS_OPT_LONG: printf(" (default %ld)", *(long *)o->dest); break;
    case TS_OPT_U64: printf(" (default %" PRIu64 ")", *(uint64_t *)o->dest); break;
    case TS_OPT_DOUBLE: printf(" (default %g)", *(double *)o->dest); break;
    case TS_OPT_STRING:
        if (*(const char **)o->dest) printf(" (default %s)", *(const char **)o->dest);
        break;
    }
}

static void print_help(const char *usage, const char *descr, const ts_opt *opts, int nopts)
{
    printf("usage: %s\n\n", usage);
    if (descr && *descr) printf("%s\n\n", descr);
    printf("options:\n");
    for (int i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].meta ? " " : "", opts[i].meta ? opts[i].meta : "");
        printf("  %-24s %s", left, opts[i].help ? opts[i].help : "");
        print_default(&opts[i]);
        printf("\n");
    }
    printf("  %-24s %s\n", "--quiet", "no progress output");
    printf("  %-24s %s\n", "--verbose", "debug messages");
    printf("  %-24s %s\n", "--help", "this help");
}

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "tinsel: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nusage: %s (see --help)\n", usage);
    return TS_ERR_USAGE;
}

static int set_value(const ts_opt *o, const char *v, const char *usage)
{
    char *end;
    errno = 0;
    switch (o->type) {
    case TS_OPT_FLAG: return 0;
    case TS_OPT_LONG: {
        long x = strtol(v, &end, 10);
        if (end == v || *end || errno) goto bad;
        *(long *)o->dest = x;
        return 0;
    }
    case TS_OPT_U64: {
        if (*v == '-') goto bad;
        unsigned long long x = strtoull(v, &end, 10);
        if (end == v || *end || errno) goto bad;
        *(uint64_t *)o->dest = (uint64_t)x;
        return 0;
    }
    case TS_OPT_DOUBLE: {
        double x = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(x)) goto bad;
        *(double *)o->dest = x;
        return 0;
    }
    case TS_OPT_STRING:
        if (!*v) goto bad;
        *(const char **)o->dest = v;
        return 0;
    }
bad:;
    char msg[256];
    snprintf(msg, sizeof msg, "option --%s: bad value '%%s'%s", o->name,
             o->type == TS_OPT_LONG || o->type == TS_OPT_U64 ? " (expected an integer)"
             : o->type == TS_OPT_DOUBLE                     ? " (expected a number)"
                                                            : "");
    return usage_error(usage, msg, v);
}

int ts_cli_parse(int argc, char **argv, const char *usage, const char *descr, const ts_opt *opts, int nopts,
                 char **pos, int maxpos, int *npos)
{
    *npos = 0;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (*npos >= maxpos) return usage_error(usage, "unexpected argument '%s'", a);
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(usage, descr, opts, nopts);
            return 1;
        }
        if (strcmp(a, "--quiet") == 0) {
            ts_progress_set_quiet(1);
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            ts_log_set_level(TS_LOG_DEBUG);
            continue;
        }
        if (a[1] != '-') return usage_error(usage, "unknown option '%s' (options are --long)", a);
        char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const ts_opt *o = NULL;
        for (int k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0) o = &opts[k];
        if (!o) return usage_error(usage, "unknown option '%s'", a);
        if (o->type == TS_OPT_FLAG) {
            if (eq) return usage_error(usage, "option '%s' takes no value", a);
            *(int *)o->dest = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) return usage_error(usage, "option '%s' needs a value", a);
            v = argv[++i];
        }
        int rc = set_value(o, v, usage);
        if (rc) return rc;
    }
    return 0;
}

int ts_cli_fail(int status, const char *what)
{
    if (status == 0) return TS_EXIT_OK;
    const char *msg = ts_error_message();
    if (what && *what)
        fprintf(stderr, "tinsel: %s: %s\n", what, msg && *msg ? msg : ts_strerror(status));
    else
        fprintf(stderr, "tinsel: %s\n", msg && *msg ? msg : ts_strerror(status));
    return status == TS_ERR_USAGE ? TS_EXIT_USAGE : TS_EXIT_FAIL;
}
