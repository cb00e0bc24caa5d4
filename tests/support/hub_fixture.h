/* A hub wired to a memory store, the real libcurl transport, a movable clock and a loopback
 * receiver: the fixture of the delivery tests. */
#ifndef WH_TEST_HUB_FIXTURE_H
#define WH_TEST_HUB_FIXTURE_H

#include <webhooks.h>
#include <webhooks/sys/store.h> /* tests reach the ports directly */
#include <webhooks/sys/transport.h>

#include "receiver.h"

typedef struct hub_fixture {
    wh_hub *hub;
    wh_store *store;
    wh_receiver *recv;
    wh_time_ms now; /* the hub's clock: tests move it */
    size_t disabled_calls;
    char disabled_id[128];
    char disabled_reason[256];
} hub_fixture;

/* Start a receiver and a hub (allowing 127.0.0.0/8) with the caller's options (NULL: defaults).
 * The fixture sets the store, clock, on_disable callback and jitter (off, so schedules are
 * exact) on opts itself; the caller still frees opts. Asserts on failure. */
void hub_fixture_start(hub_fixture *fx, wh_hub_options *opts);
/* The same without allowing 127.0.0.0/8: the SSRF guard's defaults hold. */
void hub_fixture_start_guarded(hub_fixture *fx, wh_hub_options *opts);
void hub_fixture_stop(hub_fixture *fx);
/* cmocka setup and teardown: a fixture started with default options in *state, then stopped
 * and freed. */
int hub_fixture_setup(void **state);
int hub_fixture_teardown(void **state);

/* Register a subscription from JSON (the url may use "RECV" for the receiver's base URL).
 * Returns its id (static storage of the fixture; copy it if needed). */
const char *hub_fixture_add(hub_fixture *fx, const char *json, char *id_out, size_t n);
/* Emit an event of type with data {"n":n}. Returns how many deliveries were queued. */
size_t hub_fixture_emit(hub_fixture *fx, const char *type, int n);
/* Run the hub until pred(fx, ud) holds or real time max_ms passes; returns pred's last value. */
int hub_fixture_run_until(hub_fixture *fx, int (*pred)(hub_fixture *, void *), void *ud,
                          int max_ms);
/* Run the hub until the receiver has seen n requests (true) or max_ms passes (false). */
int hub_fixture_run_until_requests(hub_fixture *fx, size_t n, int max_ms);

/* The delivery of subscription sub_id (the newest when several), copied: status, attempts,
 * next_attempt_at, last_status, last_error. Returns 0 when there is none. */
typedef struct fixture_delivery {
    char id[64];
    char idempotency_key[256];
    wh_delivery_status status;
    uint32_t attempts;
    wh_time_ms next_attempt_at;
    int last_status;
    char last_error[512];
} fixture_delivery;
int hub_fixture_delivery(hub_fixture *fx, const char *sub_id, fixture_delivery *out);
/* Number of deliveries of a subscription with the given status (-1: any). */
size_t hub_fixture_count(hub_fixture *fx, const char *sub_id, int status);

#endif
