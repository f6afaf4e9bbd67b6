/* Error records (thread-local, file:line), messages for every code, logging. */
#include <pthread.h>

#include "ts_test.h"

static int helper_fails(void) { return ts_error_set(TS_ERR_RANGE, "value %d too big", 42); }

static void test_set_and_read(void)
{
    ts_error_clear();
    TS_CHECK(ts_error_code() == 0 && ts_error_message()[0] == '\0');
    int rc = helper_fails();
    TS_CHECK(rc == TS_ERR_RANGE);
    TS_CHECK(ts_error_code() == TS_ERR_RANGE);
    TS_CHECK(strcmp(ts_error_message(), "value 42 too big") == 0);
    TS_CHECK(strstr(ts_error_where(), "test_error.c:") != NULL);
    ts_error_clear();
    TS_CHECK(ts_error_code() == 0);
}

static void test_reraise_own_message(void)
{
    ts_error_set(TS_ERR_PARSE, "grid.ini:3: bad value");
    ts_error_set(TS_ERR_RANGE, "while loading: %s", ts_error_message());
    TS_CHECK(strcmp(ts_error_message(), "while loading: grid.ini:3: bad value") == 0);
    TS_CHECK(ts_error_code() == TS_ERR_RANGE);
}

static void test_messages(void)
{
    for (int c = 0; c > TS_ERR_COUNT_; c--) {
        const char *m = ts_strerror(c);
        TS_CHECK(m && *m && strcmp(m, "unknown error") != 0);
    }
    TS_CHECK(strcmp(ts_strerror(-999), "unknown error") == 0);
    TS_CHECK(strcmp(ts_strerror(1), "unknown error") == 0);
}

static void *thread_body(void *arg)
{
    (void)arg;
    ts_error_set(TS_ERR_IO, "from the thread");
    return NULL;
}

static void test_thread_local(void)
{
    ts_error_set(TS_ERR_PARSE, "main thread");
    pthread_t t;
    pthread_create(&t, NULL, thread_body, NULL);
    pthread_join(t, NULL);
    TS_CHECK(ts_error_code() == TS_ERR_PARSE);
    TS_CHECK(strcmp(ts_error_message(), "main thread") == 0);
}

static void test_long_message_truncates(void)
{
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ts_error_set(TS_ERR_INVAL, "%s", big);
    TS_CHECK(strlen(ts_error_message()) > 1000 && strlen(ts_error_message()) < 5000);
}

static void test_log_levels(void)
{
    ts_log_set_level(TS_LOG_WARN);
    TS_CHECK(ts_log_get_level() == TS_LOG_WARN);
    ts_log_info("this must not print");
    ts_log_set_level(TS_LOG_INFO);
    TS_CHECK(ts_log_get_level() == TS_LOG_INFO);
}

static void test_progress_quiet(void)
{
    ts_progress_set_quiet(1);
    ts_progress *p = ts_progress_create("work", 10, "item");
    TS_CHECK(p != NULL);
    for (int i = 0; i <= 10; i++) ts_progress_update(p, i, NULL);
    ts_progress_destroy(p);
    ts_progress_destroy(NULL);
    ts_progress_set_quiet(0);
    TS_CHECK(!ts_progress_is_quiet());
}

int main(void)
{
    TS_RUN(test_set_and_read);
    TS_RUN(test_reraise_own_message);
    TS_RUN(test_messages);
    TS_RUN(test_thread_local);
    TS_RUN(test_long_message_truncates);
    TS_RUN(test_log_levels);
    TS_RUN(test_progress_quiet);
    return ts_test_summary();
}
