/* Error codes, messages and the thread-local last-error record. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tinsel/core.h"

static const char *const messages[] = {
    [0] = "success",
    [1] = "out of memory",
    [2] = "invalid argument",
    [3] = "input/output error",
    [4] = "malformed input",
    [5] = "not found",
    [6] = "unsupported or inconsistent format",
    [7] = "value out of range",
    [8] = "did not converge",
    [9] = "singular system",
    [10] = "unsupported option",
    [11] = "interrupted",
    [12] = "numerical error (NaN/Inf)",
    [13] = "usage error",
};

const char *ts_strerror(int code)
{
    int i = -code;
    if (i < 0 || i >= (int)(sizeof messages / sizeof messages[0])) return "unknown error";
    return messages[i];
}

typedef struct {
    int code;
    char where[256];
    char message[2048];
} error_record;

static _Thread_local error_record last_error;

int ts_error_set_at(const char *src_file, int src_line, int code, const char *fmt, ...)
{
    last_error.code = code;
    snprintf(last_error.where, sizeof last_error.where, "%s:%d", src_file ? src_file : "?", src_line);
    if (fmt && *fmt) {
        /* Format into a scratch buffer first: the arguments may point into
         * last_error.message itself (re-raising an earlier error). */
        char scratch[sizeof last_error.message];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(scratch, sizeof scratch, fmt, ap);
        va_end(ap);
        memcpy(last_error.message, scratch, sizeof scratch);
    } else {
        snprintf(last_error.message, sizeof last_error.message, "%s", ts_strerror(code));
    }
    return code;
}

const char *ts_error_message(void) { return last_error.message; }
const char *ts_error_where(void) { return last_error.where; }
int ts_error_code(void) { return last_error.code; }

void ts_error_clear(void)
{
    last_error.code = 0;
    last_error.where[0] = '\0';
    last_error.message[0] = '\0';
}
