/*
 * The hub's use of the store's record_and_lease (wh_store version 2): what completed is recorded
 * in the same call as the next lease when the store has the member, not at all through it when
 * the store was built against version 1, and apart when the combined call fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_fixture.h"
#include "wh_test.h"

static size_t g_calls, g_items;
static char g_sub[64];
static char g_ghost_url[128]; /* the receiver's /ghost: a ghost sent by mistake would show */

/* The memory store has no record_and_lease: these stand in for one. */
static int together(wh_store *s, const wh_attempt *const *as, const wh_outcome *const *os, size_t n,
                    size_t *done, const wh_lease_request *req, wh_store_delivery_cb cb, void *ud)
{
    g_calls++;
    g_items += n;
    int rc = n ? s->record_batch(s, as, os, n, done) : WH_OK;
    return rc == WH_OK ? s->lease(s, req, cb, ud) : rc;
}

/* Hands over a delivery that is not leased, then fails: the hub must forget it. */
static int failing(wh_store *s, const wh_attempt *const *as, const wh_outcome *const *os, size_t n,
                   size_t *done, const wh_lease_request *req, wh_store_delivery_cb cb, void *ud)
{
    (void)s, (void)as, (void)os, (void)n, (void)req;
    g_calls++;
    wh_delivery ghost;
    memset(&ghost, 0, sizeof(ghost));
    ghost.version = WH_DELIVERY_VERSION;
    ghost.id = "dlv_ghost";
    ghost.subscription_id = g_sub;
    ghost.event_id = "msg_ghost";
    ghost.event_type = "a.b";
    ghost.idempotency_key = "msg_ghost";
    ghost.url = g_ghost_url;
    ghost.headers = "{}";
    ghost.body = "{}";
    ghost.body_len = 2;
    cb(&ghost, ud);
    if (done) *done = 0;
    return WH_EIO;
}

static int all_succeeded(hub_fixture *fx, void *ud)
{
    return hub_fixture_count(fx, g_sub, WH_DELIVERY_SUCCEEDED) == *(size_t *)ud;
}

/* Emit n events to g_sub and run until each delivery succeeded. */
static void deliver(hub_fixture *fx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hub_fixture_emit(fx, "a.b", (int)i), 1);
    size_t want = hub_fixture_count(fx, g_sub, -1);
    assert_true(hub_fixture_run_until(fx, all_succeeded, &want, 5000));
}

static void test_outcomes_are_recorded_with_the_next_lease(void **state)
{
    hub_fixture *fx = *state;
    hub_fixture_add(fx, "{\"url\":\"RECV/t\",\"events\":[\"a.b\"]}", g_sub, sizeof(g_sub));
    g_calls = g_items = 0;
    fx->store->record_and_lease = together;
    deliver(fx, 3);
    assert_true(g_calls > 0);
    assert_int_equal(g_items, 3); /* every outcome went through the combined call */
    /* A store built against version 1 has no such member: the hub must not read it. */
    fx->store->version = 1;
    g_calls = g_items = 0;
    deliver(fx, 2);
    assert_int_equal(g_calls, 0);
    fx->store->version = WH_STORE_VERSION;
    fx->store->record_and_lease = NULL;
    assert_int_equal(wh_receiver_count(fx->recv), 5);
}

static void test_a_failing_combined_call_is_done_apart(void **state)
{
    hub_fixture *fx = *state;
    hub_fixture_add(fx, "{\"url\":\"RECV/t\",\"events\":[\"a.b\"]}", g_sub, sizeof(g_sub));
    g_calls = 0;
    wh_receiver_url(fx->recv, "/ghost", g_ghost_url, sizeof(g_ghost_url));
    fx->store->record_and_lease = failing;
    deliver(fx, 3);
    fx->store->record_and_lease = NULL;
    assert_true(g_calls > 0);
    /* What the failed call handed over was forgotten, never sent. */
    assert_int_equal(wh_receiver_count(fx->recv), 3);
    assert_int_equal(wh_receiver_count_prefix(fx->recv, "/ghost"), 0);
    assert_int_equal(hub_fixture_count(fx, g_sub, -1), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outcomes_are_recorded_with_the_next_lease,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_failing_combined_call_is_done_apart,
                                        hub_fixture_setup, hub_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
