/* Minimal test harness: checks count, failures print file:line, main ends
 * with "N passed, M failed" and a non-zero status on any failure.
 *
 *   static void test_x(void) { TS_CHECK(1 + 1 == 2); }
 *   int main(void) { TS_RUN(test_x); return ts_test_summary(); }
 */
#ifndef TS_TEST_H
#define TS_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinsel/core.h"

static int ts_test_passed_ = 0, ts_test_failed_ = 0, ts_test_cur_failed_ = 0;
static const char *ts_test_name_ = "";

#define TS_CHECK(cond)                                                          \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, \
                    ts_test_name_, #cond);                                      \
            ts_test_cur_failed_++;                                              \
        }                                                                       \
    } while (0)

#define TS_CHECK_MSG(cond, ...)                                                 \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: %s: check failed: %s: ", __FILE__, __LINE__, \
                    ts_test_name_, #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            ts_test_cur_failed_++;                                              \
        }                                                                       \
    } while (0)

/* |a - b| <= abs_tol + rel_tol * |b| (b is the reference). */
#define TS_CHECK_CLOSE(a, b, abs_tol, rel_tol)                                   \
    do {                                                                         \
        double ts_a_ = (double)(a), ts_b_ = (double)(b);                         \
        double ts_tol_ = (abs_tol) + (rel_tol)*fabs(ts_b_);                      \
        if (!(fabs(ts_a_ - ts_b_) <= ts_tol_)) {                                 \
            fprintf(stderr, "%s:%d: %s: %s = %.17g, expected %s = %.17g (tol %.3g)\n", \
                    __FILE__, __LINE__, ts_test_name_, #a, ts_a_, #b, ts_b_, ts_tol_); \
            ts_test_cur_failed_++;                                               \
        }                                                                        \
    } while (0)

/* A call that must succeed (returns 0); prints ts_error_message() if not. */
#define TS_CHECK_OK(expr)                                                       \
    do {                                                                        \
        int ts_rc_ = (expr);                                                    \
        if (ts_rc_ != 0) {                                                      \
            fprintf(stderr, "%s:%d: %s: %s returned %d: %s\n", __FILE__, __LINE__, \
                    ts_test_name_, #expr, ts_rc_, ts_error_message());          \
            ts_test_cur_failed_++;                                              \
        }                                                                       \
    } while (0)

/* A call that must fail with the given code. */
#define TS_CHECK_ERR(expr, code)                                                \
    do {                                                                        \
        int ts_rc_ = (expr);                                                    \
        if (ts_rc_ != (code)) {                                                 \
            fprintf(stderr, "%s:%d: %s: %s returned %d, expected %d (%s)\n",    \
                    __FILE__, __LINE__, ts_test_name_, #expr, ts_rc_, (int)(code), \
                    ts_error_message());                                        \
            ts_test_cur_failed_++;                                              \
        }                                                                       \
    } while (0)

#define TS_RUN(fn)                                                              \
    do {                                                                        \
        ts_test_name_ = #fn;                                                    \
        ts_test_cur_failed_ = 0;                                                \
        fn();                                                                   \
        if (ts_test_cur_failed_) {                                              \
            ts_test_failed_++;                                                  \
            fprintf(stderr, "FAIL %s\n", #fn);                                  \
        } else {                                                                \
            ts_test_passed_++;                                                  \
            printf("ok   %s\n", #fn);                                           \
        }                                                                       \
        fflush(stdout);                                                         \
    } while (0)

static inline int ts_test_summary(void)
{
    printf("%d passed, %d failed\n", ts_test_passed_, ts_test_failed_);
    return ts_test_failed_ ? 1 : 0;
}

/* A fresh scratch folder under the test's working directory; caller frees. */
static inline char *ts_test_tmpdir(const char *name)
{
    char *d = ts_path_join("scratch", name);
    if (d) {
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
        if (system(cmd) != 0) { /* best effort */
        }
        ts_mkdir_p(d);
    }
    return d;
}

#endif
