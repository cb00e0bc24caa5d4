/* Shared by every test: cmocka's headers in the order it needs, and small helpers. */
#ifndef WH_TEST_H
#define WH_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <webhooks.h>

/* Assert a call returns WH_OK, printing the library's last error when it does not. */
#define WH_ASSERT_OK(expr)                                                                         \
    do {                                                                                           \
        int wh_rc_ = (expr);                                                                       \
        if (wh_rc_ != WH_OK)                                                                       \
            print_error("%s -> %d: %s\n", #expr, wh_rc_, wh_error_last()->message);                \
        assert_int_equal(wh_rc_, WH_OK);                                                           \
    } while (0)

/* CLOCK_MONOTONIC in milliseconds, for bounding test loops in real time. */
int64_t wh_test_now_ms(void);

/* True when the thread's last error has a detail containing needle. */
int wh_test_has_detail(const char *needle);

/* Read a whole file under the source tree (path relative to it); free with free(). */
char *wh_test_read_source_file(const char *relpath, size_t *len);

#endif
