/*
 * The store conformance kit, for authors of stores (webhooks/sys/store.h): one set of cases,
 * written against the wh_store vtable only, that every store must pass (the memory store, the
 * SQLite store, and any third-party store). It is a static library of its own,
 * webhooks::conformance in CMake (libwebhooks_conformance.a, which needs cmocka), not part of
 * libwebhooks itself; docs/store-authors.md shows a whole test program.
 *
 *     static int make(wh_store **out, void *ud) { return my_store_new(out, ud); }
 *     int main(void) { return wh_store_conformance_run("my_store", make, NULL) ? 1 : 0; }
 *
 * make is called once per case and must return a new, empty store (WH_OK) in *out; the suite
 * frees it with wh_store_free after the case.
 */
#ifndef WEBHOOKS_CONFORMANCE_H
#define WEBHOOKS_CONFORMANCE_H

/* cmocka's headers, in the order it needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "webhooks.h"
#include "webhooks/sys/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Assert that a call returns WH_OK, printing the library's last error when it does not. */
#define WH_ASSERT_OK(expr)                                                                         \
    do {                                                                                           \
        int wh_rc_ = (expr);                                                                       \
        if (wh_rc_ != WH_OK)                                                                       \
            print_error("%s -> %d: %s\n", #expr, wh_rc_, wh_error_last()->message);                \
        assert_int_equal(wh_rc_, WH_OK);                                                           \
    } while (0)

typedef int (*wh_store_factory)(wh_store **out, void *user_data);

/* Run every case as one cmocka group named name; returns the number of failed cases. */
int wh_store_conformance_run(const char *name, wh_store_factory make, void *user_data);

/* Run a store's own cases the same way: each gets a new store from make in its state (read it
 * with wh_sc_store(state)), freed after the case. A test's setup and teardown are replaced. */
int wh_store_cases_run(const char *name, const struct CMUnitTest *tests, size_t count,
                       wh_store_factory make, void *user_data);
wh_store *wh_sc_store(void **state);

/* ---- helpers for store tests (also used by the suite) ---- */

/* A valid subscription: id, owner (may be NULL), createdAt = updatedAt = created, a URL and
 * the event "order.created". Free with wh_subscription_free. */
wh_subscription *wh_sc_sub(const char *id, const char *owner, wh_time_ms created);
/* Create that subscription in s (asserts success). */
void wh_sc_put_sub(wh_store *s, const char *id, const char *owner, wh_time_ms created);
/* A PENDING delivery of subscription sub_id, created at created and due at due. Strings are
 * borrowed from the arguments and from literals. */
wh_delivery wh_sc_delivery(const char *id, const char *sub_id, wh_time_ms created, wh_time_ms due);
/* Enqueue one delivery (asserts success). */
void wh_sc_put_delivery(wh_store *s, const char *id, const char *sub_id, wh_time_ms created,
                        wh_time_ms due);
/* A deep copy of delivery id in *out (asserts it exists); clear with wh_delivery_clear. */
void wh_sc_get(wh_store *s, const char *id, wh_delivery *out);
/* A delivery callback that takes nothing (for calls whose count or effect is what matters). */
int wh_sc_ignore_delivery(const wh_delivery *d, void *user_data);
/* How many deliveries s holds, in all. */
size_t wh_sc_count_deliveries(wh_store *s);
/* The status of delivery id, or -1 when it does not exist. */
int wh_sc_status(wh_store *s, const char *id);
/* Record one attempt of delivery id (number, started_at, http_status) with outcome status
 * (next_attempt_at for PENDING) and stats (may be NULL). Returns the store's result. */
int wh_sc_record(wh_store *s, const char *id, uint32_t number, wh_time_ms started, int http,
                 wh_delivery_status status, wh_time_ms next, const wh_sub_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_CONFORMANCE_H */
