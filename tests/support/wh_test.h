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
#include <webhooks/conformance.h> /* WH_ASSERT_OK */
#include <webhooks/sys/store.h>   /* tests reach the ports directly */
#include <webhooks/sys/transport.h>

/* CLOCK_MONOTONIC in milliseconds, for bounding test loops in real time. */
int64_t wh_test_now_ms(void);

/* True when the thread's last error has a detail containing needle. */
int wh_test_has_detail(const char *needle);

/* Read a whole file under the source tree (path relative to it); free with free(). */
char *wh_test_read_source_file(const char *relpath, size_t *len);

/*
 * A counting allocator for allocation tests. wh_test_alloc_begin(n) installs it (with
 * wh_set_allocator) and zeroes wh_test_allocs, the count of malloc and realloc calls since;
 * with n >= 0, the call numbered n (from 0) and every later one fail. wh_test_alloc_end()
 * restores the default allocator and leaves the count as it was.
 */
extern long wh_test_allocs;
void wh_test_alloc_begin(long fail_at);
void wh_test_alloc_end(void);

#endif
