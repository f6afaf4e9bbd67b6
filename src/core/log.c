/* Logging to stderr with levels, and the monotonic clock. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "tinsel/core.h"

static _Atomic int log_level = TS_LOG_INFO;

void ts_log_set_level(ts_log_level level) { log_level = (int)level; }
ts_log_level ts_log_get_level(void) { return (ts_log_level)log_level; }

void ts_log(ts_log_level level, const char *fmt, ...)
{
    static const char *const tags[] = {"error", "warning", "info", "debug"};
    if ((int)level > log_level) return;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* One fprintf per message keeps lines whole across threads. */
    if (level == TS_LOG_INFO)
        fprintf(stderr, "tinsel: %s\n", buf);
    else
        fprintf(stderr, "tinsel: %s: %s\n", tags[level], buf);
}

double ts_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
