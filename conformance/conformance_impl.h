/* Private parts of the store conformance suite, shared by its files (store_conformance*.c). */
#ifndef WH_STORE_CONFORMANCE_IMPL_H
#define WH_STORE_CONFORMANCE_IMPL_H

#include <stdbool.h>
#include <string.h>

#include "webhooks/conformance.h"

typedef struct sc_ctx {
    wh_store_factory make;
    void *user_data;
    wh_store *store;
} sc_ctx;

#define SC_STORE(state) (((sc_ctx *)*(state))->store)
#define SC_MAX          64

/* Deliveries handed to a callback, deep-copied. stop_after > 0 makes the callback ask to stop
 * once it holds that many. */
typedef struct sc_got {
    wh_delivery d[SC_MAX];
    size_t n;
    size_t stop_after;
} sc_got;

int sc_collect(const wh_delivery *d, void *user_data);
void sc_got_free(sc_got *g);
/* Lease into g (appending); returns the store's result. */
int sc_lease(wh_store *s, wh_time_ms now, wh_time_ms until, size_t max, size_t per_sub,
             const char *const *exclude, size_t nexclude, sc_got *g);

typedef struct sc_attempts {
    wh_attempt a[SC_MAX];
    size_t n;
} sc_attempts;

int sc_collect_attempt(const wh_attempt *a, void *user_data);
void sc_attempts_free(sc_attempts *a);

/* The cases, one array per file. */
extern const struct CMUnitTest sc_sub_tests[];
extern const size_t sc_sub_tests_count;
extern const struct CMUnitTest sc_queue_tests[];
extern const size_t sc_queue_tests_count;
extern const struct CMUnitTest sc_record_tests[];
extern const size_t sc_record_tests_count;
extern const struct CMUnitTest sc_event_tests[];
extern const size_t sc_event_tests_count;

#endif
