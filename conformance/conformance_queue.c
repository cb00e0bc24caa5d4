/* Store conformance: the delivery queue (enqueue, lease, release, recover, next_due). */
#include <stdio.h>

#include "conformance_impl.h"

static const char BODY[] = {'{', '"', 'b', '"', ':', 0, 1, (char)0xff, '}'};

static void test_enqueue_roundtrip_every_field(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", "owner-1", 1);
    wh_delivery d = {WH_DELIVERY_VERSION,
                     "msg_1",
                     "s1",
                     "owner-1",
                     "evt_9",
                     "order.created",
                     "idem-1",
                     WH_METHOD_PUT,
                     "https://example.com/o/9",
                     "{\"X-A\":\"1\"}",
                     BODY,
                     sizeof(BODY),
                     1234,
                     WH_DELIVERY_PENDING,
                     2,
                     5000,
                     0,
                     1000,
                     1100,
                     503,
                     "previous failure"};
    const wh_delivery *batch[] = {&d};
    WH_ASSERT_OK(s->enqueue(s, batch, 1));
    wh_delivery got;
    wh_sc_get(s, "msg_1", &got);
    assert_string_equal(got.id, "msg_1");
    assert_string_equal(got.subscription_id, "s1");
    assert_string_equal(got.owner_id, "owner-1");
    assert_string_equal(got.event_id, "evt_9");
    assert_string_equal(got.event_type, "order.created");
    assert_string_equal(got.idempotency_key, "idem-1");
    assert_int_equal(got.method, WH_METHOD_PUT);
    assert_string_equal(got.url, "https://example.com/o/9");
    assert_string_equal(got.headers, "{\"X-A\":\"1\"}");
    assert_int_equal(got.body_len, sizeof(BODY));
    assert_memory_equal(got.body, BODY, sizeof(BODY));
    assert_int_equal(got.event_time, 1234);
    assert_int_equal(got.status, WH_DELIVERY_PENDING);
    assert_int_equal(got.attempts, 2);
    assert_int_equal(got.next_attempt_at, 5000);
    assert_int_equal(got.lease_until, 0);
    assert_int_equal(got.created_at, 1000);
    assert_int_equal(got.updated_at, 1100);
    assert_int_equal(got.last_status, 503);
    assert_string_equal(got.last_error, "previous failure");
    wh_delivery_clear(&got);
    /* NULL optional fields stay NULL. */
    wh_delivery bare = wh_sc_delivery("msg_2", "s1", 10, 10);
    bare.url = bare.headers = bare.body = bare.owner_id = NULL;
    bare.body_len = 0;
    batch[0] = &bare;
    WH_ASSERT_OK(s->enqueue(s, batch, 1));
    wh_sc_get(s, "msg_2", &got);
    assert_null(got.url);
    assert_null(got.headers);
    assert_null(got.owner_id);
    assert_int_equal(got.body_len, 0);
    assert_null(got.last_error);
    wh_delivery_clear(&got);
}

static void test_enqueue_is_atomic(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_delivery a = wh_sc_delivery("a", "s1", 1, 1), b = wh_sc_delivery("b", "s1", 1, 1);
    const wh_delivery *dup_in_batch[] = {&a, &b, &a};
    assert_int_equal(s->enqueue(s, dup_in_batch, 3), WH_ECONFLICT);
    assert_int_equal(wh_sc_status(s, "a"), -1);
    assert_int_equal(wh_sc_status(s, "b"), -1);
    wh_sc_put_delivery(s, "c", "s1", 1, 1);
    wh_delivery d = wh_sc_delivery("d", "s1", 1, 1), c = wh_sc_delivery("c", "s1", 1, 1);
    const wh_delivery *dup_stored[] = {&d, &c};
    assert_int_equal(s->enqueue(s, dup_stored, 2), WH_ECONFLICT);
    assert_non_null(strstr(wh_error_last()->message, "c"));
    assert_int_equal(wh_sc_status(s, "d"), -1);
    wh_delivery e = wh_sc_delivery("e", "s1", 1, 1), f = wh_sc_delivery("f", "nosub", 1, 1);
    const wh_delivery *no_sub[] = {&e, &f};
    assert_int_equal(s->enqueue(s, no_sub, 2), WH_ENOTFOUND);
    assert_int_equal(wh_sc_status(s, "e"), -1);
    wh_delivery bad = wh_sc_delivery("bad id", "s1", 1, 1);
    const wh_delivery *invalid[] = {&e, &bad};
    assert_int_equal(s->enqueue(s, invalid, 2), WH_EINVAL);
    assert_int_equal(wh_sc_status(s, "e"), -1);
    e.status = WH_DELIVERY_IN_FLIGHT;
    const wh_delivery *in_flight[] = {&e};
    assert_int_equal(s->enqueue(s, in_flight, 1), WH_EINVAL);
    assert_int_equal(s->enqueue(s, NULL, 1), WH_EINVAL);
    const wh_delivery *null_item[] = {NULL};
    assert_int_equal(s->enqueue(s, null_item, 1), WH_EINVAL);
    WH_ASSERT_OK(s->enqueue(s, NULL, 0));
    /* The store is still usable and holds exactly what succeeded. */
    size_t total = 0;
    sc_got g = {0};
    WH_ASSERT_OK(s->delivery_list(s, NULL, &total, sc_collect, &g));
    assert_int_equal(total, 1);
    assert_string_equal(g.d[0].id, "c");
    sc_got_free(&g);
}

static void test_enqueue_dead_on_arrival(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_delivery d = wh_sc_delivery("dead", "s1", 10, 10);
    d.status = WH_DELIVERY_FAILED;
    d.url = NULL;
    d.last_error = "template: missing placeholder {{x}}";
    const wh_delivery *batch[] = {&d};
    WH_ASSERT_OK(s->enqueue(s, batch, 1));
    wh_time_ms at;
    assert_int_equal(s->next_due(s, &at), WH_ENOTFOUND);
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, 1000, 2000, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 0);
    assert_int_equal(wh_sc_status(s, "dead"), WH_DELIVERY_FAILED);
}

static void test_lease_due_only_in_order(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "d300", "s1", 1, 300);
    wh_sc_put_delivery(s, "d100", "s1", 2, 100);
    wh_sc_put_delivery(s, "d1000", "s1", 3, 1000);
    wh_sc_put_delivery(s, "d200", "s1", 4, 200);
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, 500, 800, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 3);
    assert_string_equal(g.d[0].id, "d100");
    assert_string_equal(g.d[1].id, "d200");
    assert_string_equal(g.d[2].id, "d300");
    for (size_t i = 0; i < g.n; i++) {
        assert_int_equal(g.d[i].status, WH_DELIVERY_IN_FLIGHT);
        assert_int_equal(g.d[i].lease_until, 800);
    }
    wh_delivery got;
    wh_sc_get(s, "d200", &got);
    assert_int_equal(got.status, WH_DELIVERY_IN_FLIGHT);
    assert_int_equal(got.lease_until, 800);
    assert_int_equal(got.next_attempt_at, 200);
    wh_delivery_clear(&got);
    assert_int_equal(wh_sc_status(s, "d1000"), WH_DELIVERY_PENDING);
    sc_got_free(&g);
    /* Leased ones are not leased again before their lease ends. */
    WH_ASSERT_OK(sc_lease(s, 700, 900, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 0);
}

static void test_lease_max(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    const char *ids[] = {"m1", "m2", "m3", "m4", "m5"};
    for (int i = 0; i < 5; i++)
        wh_sc_put_delivery(s, ids[i], "s1", 1, 10 * (i + 1));
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, 100, 200, 2, 0, NULL, 0, &g));
    assert_int_equal(g.n, 2);
    assert_string_equal(g.d[1].id, "m2");
    WH_ASSERT_OK(sc_lease(s, 100, 200, 2, 0, NULL, 0, &g));
    assert_int_equal(g.n, 4);
    assert_string_equal(g.d[2].id, "m3");
    assert_string_equal(g.d[3].id, "m4");
    sc_got_free(&g);
}

static void test_lease_per_subscription_and_exclude(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "A", NULL, 1);
    wh_sc_put_sub(s, "B", NULL, 1);
    wh_sc_put_sub(s, "C", NULL, 1);
    wh_sc_put_delivery(s, "a1", "A", 1, 10);
    wh_sc_put_delivery(s, "a2", "A", 1, 11);
    wh_sc_put_delivery(s, "a3", "A", 1, 12);
    wh_sc_put_delivery(s, "b1", "B", 1, 20);
    wh_sc_put_delivery(s, "b2", "B", 1, 21);
    wh_sc_put_delivery(s, "c1", "C", 1, 5);
    sc_got g = {0};
    const char *busy[] = {"C", "unknown"};
    WH_ASSERT_OK(sc_lease(s, 100, 200, 10, 1, busy, 2, &g));
    assert_int_equal(g.n, 2);
    assert_string_equal(g.d[0].id, "a1");
    assert_string_equal(g.d[1].id, "b1");
    sc_got_free(&g);
    WH_ASSERT_OK(sc_lease(s, 100, 200, 10, 2, NULL, 0, &g));
    assert_int_equal(g.n, 4); /* a1 and b1 are leased; at most 2 more of A */
    assert_string_equal(g.d[0].id, "c1");
    assert_string_equal(g.d[1].id, "a2");
    assert_string_equal(g.d[2].id, "a3");
    assert_string_equal(g.d[3].id, "b2");
    sc_got_free(&g);
}

static void test_lease_expired_is_taken_again(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "x", "s1", 1, 50);
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, 100, 200, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 1);
    wh_delivery d;
    wh_sc_get(s, "x", &d);
    assert_int_equal(d.status, WH_DELIVERY_IN_FLIGHT);
    assert_int_equal(d.lease_until, 200);
    assert_int_equal(d.updated_at, 1); /* a lease does not change updated_at */
    wh_delivery_clear(&d);
    WH_ASSERT_OK(sc_lease(s, 199, 300, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 1);
    wh_time_ms at;
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 200);                               /* the lease's end */
    WH_ASSERT_OK(sc_lease(s, 200, 400, 10, 0, NULL, 0, &g)); /* the worker crashed */
    assert_int_equal(g.n, 2);
    assert_string_equal(g.d[1].id, "x");
    assert_int_equal(g.d[1].lease_until, 400);
    sc_got_free(&g);
}

/* One subscription's long queue ahead of the others': a store scanning in due order steps over
 * every delivery of a subscription that may take no more; what it takes must not change (the
 * SQLite store goes by subscription past a budget of skipped rows). */
static void test_lease_past_a_long_backlog(void **state)
{
    wh_store *s = SC_STORE(state);
    const char *subs[] = {"A", "B", "C", "D", "E"};
    for (int i = 0; i < 5; i++)
        wh_sc_put_sub(s, subs[i], NULL, 1);
    sc_got g = {0};
    wh_sc_put_delivery(s, "c1", "C", 1, 5);
    WH_ASSERT_OK(sc_lease(s, 10, 300, 1, 0, NULL, 0, &g)); /* c1's worker crashes: due at 300 */
    sc_got_free(&g);
    for (int i = 0; i < 300; i++) {
        char id[16];
        snprintf(id, sizeof(id), "a%03d", i);
        wh_sc_put_delivery(s, id, "A", 2, 100 + i);
    }
    wh_sc_put_delivery(s, "b1", "B", 3, 250);
    wh_sc_put_delivery(s, "b2", "B", 3, 600);
    wh_sc_put_delivery(s, "d1", "D", 3, 150);
    wh_sc_put_delivery(s, "e1", "E", 3, 2000); /* not due */
    const char *busy[] = {"D"};
    WH_ASSERT_OK(sc_lease(s, 1000, 5000, 4, 2, busy, 1, &g));
    assert_int_equal(g.n, 4);
    assert_string_equal(g.d[0].id, "a000");
    assert_string_equal(g.d[1].id, "a001");
    assert_string_equal(g.d[2].id, "b1");
    assert_string_equal(g.d[3].id, "c1");
    sc_got_free(&g);
    WH_ASSERT_OK(sc_lease(s, 1000, 5000, 10, 3, NULL, 0, &g));
    assert_int_equal(g.n, 5); /* 3 more of A, D, B; E is not due */
    assert_string_equal(g.d[0].id, "a002");
    assert_string_equal(g.d[1].id, "a003");
    assert_string_equal(g.d[2].id, "a004");
    assert_string_equal(g.d[3].id, "d1");
    assert_string_equal(g.d[4].id, "b2");
    sc_got_free(&g);
}

static void test_lease_callback_stop_leaves_the_rest(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "q1", "s1", 1, 1);
    wh_sc_put_delivery(s, "q2", "s1", 1, 2);
    wh_sc_put_delivery(s, "q3", "s1", 1, 3);
    sc_got g = {0};
    g.stop_after = 1;
    WH_ASSERT_OK(sc_lease(s, 100, 200, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 1);
    assert_int_equal(wh_sc_status(s, "q1"), WH_DELIVERY_IN_FLIGHT);
    assert_int_equal(wh_sc_status(s, "q2"), WH_DELIVERY_PENDING);
    assert_int_equal(wh_sc_status(s, "q3"), WH_DELIVERY_PENDING);
    g.stop_after = 0;
    WH_ASSERT_OK(sc_lease(s, 100, 200, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 3);
    assert_string_equal(g.d[1].id, "q2");
    sc_got_free(&g);
}

static int never(const wh_delivery *d, void *ud)
{
    (void)d;
    (void)ud;
    fail_msg("callback called for an invalid lease");
    return 1;
}

static void test_lease_invalid_requests(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "v", "s1", 1, 1);
    wh_lease_request zero = {100, 200, 0, 0, NULL, 0}, back = {100, 100, 5, 0, NULL, 0};
    wh_lease_request excl = {100, 200, 5, 0, NULL, 2};
    assert_int_equal(s->lease(s, &zero, never, NULL), WH_EINVAL);
    assert_int_equal(s->lease(s, &back, never, NULL), WH_EINVAL);
    assert_int_equal(s->lease(s, &excl, never, NULL), WH_EINVAL);
    assert_int_equal(s->lease(s, NULL, never, NULL), WH_EINVAL);
    wh_lease_request ok = {100, 200, 5, 0, NULL, 0};
    assert_int_equal(s->lease(s, &ok, NULL, NULL), WH_EINVAL);
    assert_int_equal(wh_sc_status(s, "v"), WH_DELIVERY_PENDING);
}

static void test_release(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "r", "s1", 1, 50);
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, 100, 1000, 10, 0, NULL, 0, &g));
    WH_ASSERT_OK(s->release(s, "r"));
    wh_delivery got;
    wh_sc_get(s, "r", &got);
    assert_int_equal(got.status, WH_DELIVERY_PENDING);
    assert_int_equal(got.lease_until, 0);
    assert_int_equal(got.next_attempt_at, 50);
    assert_int_equal(got.attempts, 0);
    wh_delivery_clear(&got);
    WH_ASSERT_OK(sc_lease(s, 100, 1000, 10, 0, NULL, 0, &g)); /* due again at once */
    assert_int_equal(g.n, 2);
    sc_got_free(&g);
    WH_ASSERT_OK(s->release(s, "r"));
    assert_int_equal(s->release(s, "r"), WH_ESTATE);
    assert_int_equal(s->release(s, "nope"), WH_ENOTFOUND);
    assert_int_equal(s->release(s, NULL), WH_EINVAL);
}

static void test_recover(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "k1", "s1", 1, 10);
    wh_sc_put_delivery(s, "k2", "s1", 1, 20);
    wh_sc_put_delivery(s, "k3", "s1", 1, 5000);
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, 100, 10000, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 2);
    sc_got_free(&g);
    size_t n = 99;
    WH_ASSERT_OK(s->recover(s, &n));
    assert_int_equal(n, 2);
    assert_int_equal(wh_sc_status(s, "k1"), WH_DELIVERY_PENDING);
    assert_int_equal(wh_sc_status(s, "k2"), WH_DELIVERY_PENDING);
    wh_time_ms at;
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 10);
    WH_ASSERT_OK(s->recover(s, &n));
    assert_int_equal(n, 0);
    WH_ASSERT_OK(s->recover(s, NULL));
    WH_ASSERT_OK(sc_lease(s, 100, 10000, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 2);
    sc_got_free(&g);
}

static void test_next_due(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_time_ms at = 7;
    assert_int_equal(s->next_due(s, &at), WH_ENOTFOUND);
    assert_int_equal(at, 7);
    assert_int_equal(s->next_due(s, NULL), WH_EINVAL);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "n500", "s1", 1, 500);
    wh_sc_put_delivery(s, "n100", "s1", 1, 100);
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 100);
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, 100, 300, 1, 0, NULL, 0, &g));
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 300);
    sc_got_free(&g);
    WH_ASSERT_OK(wh_sc_record(s, "n100", 1, 150, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 500);
}

const struct CMUnitTest sc_queue_tests[] = {
    cmocka_unit_test(test_enqueue_roundtrip_every_field),
    cmocka_unit_test(test_enqueue_is_atomic),
    cmocka_unit_test(test_enqueue_dead_on_arrival),
    cmocka_unit_test(test_lease_due_only_in_order),
    cmocka_unit_test(test_lease_max),
    cmocka_unit_test(test_lease_per_subscription_and_exclude),
    cmocka_unit_test(test_lease_expired_is_taken_again),
    cmocka_unit_test(test_lease_past_a_long_backlog),
    cmocka_unit_test(test_lease_callback_stop_leaves_the_rest),
    cmocka_unit_test(test_lease_invalid_requests),
    cmocka_unit_test(test_release),
    cmocka_unit_test(test_recover),
    cmocka_unit_test(test_next_due),
};
const size_t sc_queue_tests_count = sizeof(sc_queue_tests) / sizeof(sc_queue_tests[0]);
