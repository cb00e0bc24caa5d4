/* Store conformance: outcomes, replay, listings, purge and concurrent use. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance_impl.h"

static void lease_one(wh_store *s, const char *id, wh_time_ms now)
{
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, now, now + 1000, SC_MAX, 0, NULL, 0, &g));
    bool found = false;
    for (size_t i = 0; i < g.n; i++)
        found |= strcmp(g.d[i].id, id) == 0;
    assert_true(found);
    sc_got_free(&g);
}

static void test_record_success(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "ok", "s1", 1, 10);
    lease_one(s, "ok", 100);
    wh_sub_stats st = {1050, 200, 0, 0, 0, NULL};
    wh_attempt a = {WH_ATTEMPT_VERSION, "ok", NULL, 1, 1000, 50, 200, WH_OK, NULL, "thanks", 6};
    wh_outcome o = {WH_DELIVERY_SUCCEEDED, 0, NULL, &st};
    WH_ASSERT_OK(s->record(s, &a, &o));
    wh_delivery d;
    wh_sc_get(s, "ok", &d);
    assert_int_equal(d.status, WH_DELIVERY_SUCCEEDED);
    assert_int_equal(d.attempts, 1);
    assert_int_equal(d.last_status, 200);
    assert_null(d.last_error);
    assert_int_equal(d.lease_until, 0);
    assert_int_equal(d.updated_at, 1050);
    assert_string_equal(d.idempotency_key, "ok");
    wh_delivery_clear(&d);
    sc_attempts as = {0};
    size_t total = 0;
    WH_ASSERT_OK(s->attempt_list(s, "ok", NULL, 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 1);
    assert_string_equal(as.a[0].delivery_id, "ok");
    assert_string_equal(as.a[0].subscription_id, "s1");
    assert_int_equal(as.a[0].number, 1);
    assert_int_equal(as.a[0].started_at, 1000);
    assert_int_equal(as.a[0].duration_ms, 50);
    assert_int_equal(as.a[0].http_status, 200);
    assert_int_equal(as.a[0].response_len, 6);
    assert_memory_equal(as.a[0].response, "thanks", 6);
    assert_null(as.a[0].error);
    sc_attempts_free(&as);
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, "s1", &sub));
    assert_int_equal(wh_subscription_last_delivery_at(sub), 1050);
    assert_int_equal(wh_subscription_last_delivery_status(sub), 200);
    wh_subscription_free(sub);
    wh_time_ms at;
    assert_int_equal(s->next_due(s, &at), WH_ENOTFOUND);
}

static void test_record_retry(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "rt", "s1", 1, 10);
    lease_one(s, "rt", 100);
    wh_sub_stats st = {110, 500, 1, 110, 0, NULL};
    WH_ASSERT_OK(wh_sc_record(s, "rt", 1, 100, 500, WH_DELIVERY_PENDING, 5000, &st));
    wh_delivery d;
    wh_sc_get(s, "rt", &d);
    assert_int_equal(d.status, WH_DELIVERY_PENDING);
    assert_int_equal(d.next_attempt_at, 5000);
    assert_int_equal(d.attempts, 1);
    assert_int_equal(d.last_status, 500);
    assert_string_equal(d.last_error, "failed");
    wh_delivery_clear(&d);
    wh_time_ms at;
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 5000);
    sc_got g = {0};
    WH_ASSERT_OK(sc_lease(s, 4999, 6000, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 0);
    WH_ASSERT_OK(sc_lease(s, 5000, 6000, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 1);
    assert_int_equal(g.d[0].attempts, 1);
    sc_got_free(&g);
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, "s1", &sub));
    assert_int_equal(wh_subscription_failure_count(sub), 1);
    assert_int_equal(wh_subscription_failing_since(sub), 110);
    wh_subscription_free(sub);
}

static void test_record_dead_and_disable(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "dd", "s1", 1, 10);
    uint64_t c = s->sub_changes(s);
    wh_sub_stats st = {200, 410, 8, 50, 1, "endpoint answered 410 Gone"};
    WH_ASSERT_OK(wh_sc_record(s, "dd", 8, 190, 410, WH_DELIVERY_FAILED, 0, &st));
    assert_int_equal(wh_sc_status(s, "dd"), WH_DELIVERY_FAILED);
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, "s1", &sub));
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_DISABLED);
    assert_string_equal(wh_subscription_disabled_reason(sub), "endpoint answered 410 Gone");
    assert_int_equal(wh_subscription_failure_count(sub), 8);
    wh_subscription_free(sub);
    assert_true(s->sub_changes(s) > c);
}

static void test_record_without_stats_and_transport_error(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "te", "s1", 1, 10);
    wh_sub_stats st = {77, 201, 0, 0, 0, NULL};
    WH_ASSERT_OK(s->sub_update_stats(s, "s1", &st));
    wh_attempt a = {WH_ATTEMPT_VERSION,     "te", "s1", 1, 100, 30000, 0, WH_ETIMEOUT,
                    "timed out after 30 s", NULL, 0};
    wh_outcome o = {WH_DELIVERY_PENDING, 900, "timed out after 30 s", NULL};
    WH_ASSERT_OK(s->record(s, &a, &o));
    wh_delivery d;
    wh_sc_get(s, "te", &d);
    assert_int_equal(d.last_status, WH_ETIMEOUT);
    assert_string_equal(d.last_error, "timed out after 30 s");
    assert_int_equal(d.updated_at, 30100);
    wh_delivery_clear(&d);
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, "s1", &sub));
    assert_int_equal(wh_subscription_last_delivery_at(sub), 77);
    assert_int_equal(wh_subscription_last_delivery_status(sub), 201);
    wh_subscription_free(sub);
    sc_attempts as = {0};
    WH_ASSERT_OK(s->attempt_list(s, "te", NULL, 0, 1, NULL, sc_collect_attempt, &as));
    assert_int_equal(as.n, 1);
    assert_int_equal(as.a[0].error_code, WH_ETIMEOUT);
    assert_string_equal(as.a[0].error, "timed out after 30 s");
    assert_int_equal(as.a[0].response_len, 0);
    sc_attempts_free(&as);
}

static void test_record_errors_change_nothing(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "re", "s1", 1, 10);
    assert_int_equal(wh_sc_record(s, "missing", 1, 1, 200, WH_DELIVERY_SUCCEEDED, 0, NULL),
                     WH_ENOTFOUND);
    assert_int_equal(wh_sc_record(s, "re", 1, 1, 200, WH_DELIVERY_IN_FLIGHT, 0, NULL), WH_EINVAL);
    assert_int_equal(wh_sc_record(s, "re", 1, 1, 200, (wh_delivery_status)9, 0, NULL), WH_EINVAL);
    wh_outcome o = {WH_DELIVERY_SUCCEEDED, 0, NULL, NULL};
    assert_int_equal(s->record(s, NULL, &o), WH_EINVAL);
    wh_attempt a = {WH_ATTEMPT_VERSION, "re", NULL, 1, 1, 1, 200, 0, NULL, NULL, 0};
    assert_int_equal(s->record(s, &a, NULL), WH_EINVAL);
    size_t total = 99;
    sc_attempts as = {0};
    WH_ASSERT_OK(s->attempt_list(s, "re", NULL, 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 0);
    assert_int_equal(wh_sc_status(s, "re"), WH_DELIVERY_PENDING);
}

static void test_record_batch(void **state)
{
    wh_store *s = SC_STORE(state);
    if (!s->record_batch) skip(); /* may provide */
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "b1", "s1", 1, 10);
    wh_sc_put_delivery(s, "b2", "s1", 1, 10);
    wh_sc_put_delivery(s, "b3", "s1", 1, 10);
    wh_sub_stats st = {40, 200, 0, 0, 0, NULL};
    wh_attempt a1 = {WH_ATTEMPT_VERSION, "b1", NULL, 1, 30, 10, 200, 0, NULL, NULL, 0};
    wh_attempt a2 = a1, a3 = a1;
    a2.delivery_id = "missing";
    a3.delivery_id = "b3";
    wh_outcome ok = {WH_DELIVERY_SUCCEEDED, 0, NULL, &st};
    wh_outcome retry = {WH_DELIVERY_PENDING, 500, "HTTP 503", NULL};
    const wh_attempt *as[] = {&a1, &a2, &a3};
    const wh_outcome *os[] = {&ok, &ok, &ok};
    size_t done = 99;
    assert_int_equal(s->record_batch(s, as, os, 3, &done), WH_ENOTFOUND);
    assert_non_null(strstr(wh_error_last()->message, "missing"));
    assert_int_equal(done, 1);
    assert_int_equal(wh_sc_status(s, "b1"), WH_DELIVERY_SUCCEEDED);
    assert_int_equal(wh_sc_status(s, "b3"), WH_DELIVERY_PENDING);
    a2.delivery_id = "b2";
    os[1] = &retry;
    WH_ASSERT_OK(s->record_batch(s, as + 1, os + 1, 2, &done));
    assert_int_equal(done, 2);
    wh_delivery d;
    wh_sc_get(s, "b2", &d);
    assert_int_equal(d.status, WH_DELIVERY_PENDING);
    assert_int_equal(d.next_attempt_at, 500);
    assert_string_equal(d.last_error, "HTTP 503");
    wh_delivery_clear(&d);
    assert_int_equal(wh_sc_status(s, "b3"), WH_DELIVERY_SUCCEEDED);
    size_t total = 0;
    sc_attempts list = {0};
    WH_ASSERT_OK(s->attempt_list(s, NULL, "s1", 0, 1, &total, sc_collect_attempt, &list));
    assert_int_equal(total, 3);
    sc_attempts_free(&list);
    wh_outcome bad = {WH_DELIVERY_IN_FLIGHT, 0, NULL, NULL};
    os[0] = &bad;
    assert_int_equal(s->record_batch(s, as, os, 1, &done), WH_EINVAL);
    assert_int_equal(done, 0);
    WH_ASSERT_OK(s->record_batch(s, NULL, NULL, 0, &done));
    assert_int_equal(done, 0);
}

/* record_and_lease (version 2, may provide): the batch's outcomes, then a lease, all or nothing. */
static void test_record_and_lease(void **state)
{
    wh_store *s = SC_STORE(state);
    if (s->version < 2 || !s->record_and_lease) skip(); /* may provide */
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "k1", "s1", 1, 10);
    wh_sc_put_delivery(s, "k2", "s1", 2, 20);
    wh_sc_put_delivery(s, "k3", "s1", 3, 30);
    lease_one(s, "k1", 10); /* only k1 is due at 10 */
    wh_sub_stats st = {40, 200, 0, 0, 0, NULL};
    wh_attempt a = {WH_ATTEMPT_VERSION, "k1", NULL, 1, 30, 10, 200, 0, NULL, NULL, 0};
    wh_outcome ok = {WH_DELIVERY_SUCCEEDED, 0, NULL, &st};
    const wh_attempt *as[] = {&a};
    const wh_outcome *os[] = {&ok};
    wh_lease_request req = {25, 1025, SC_MAX, 0, NULL, 0};
    /* A failing item: nothing is recorded and nothing leased, whatever cb received. */
    a.delivery_id = "missing";
    sc_got g = {0};
    size_t done = 99;
    assert_int_equal(s->record_and_lease(s, as, os, 1, &done, &req, sc_collect, &g), WH_ENOTFOUND);
    assert_int_equal(done, 0);
    sc_got_free(&g);
    assert_int_equal(wh_sc_status(s, "k1"), WH_DELIVERY_IN_FLIGHT);
    assert_int_equal(wh_sc_status(s, "k2"), WH_DELIVERY_PENDING);
    /* Both parts: k1 recorded, k2 (due at 20) leased; k3 (due at 30) not yet due. */
    a.delivery_id = "k1";
    memset(&g, 0, sizeof(g));
    WH_ASSERT_OK(s->record_and_lease(s, as, os, 1, &done, &req, sc_collect, &g));
    assert_int_equal(done, 1);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.d[0].id, "k2");
    assert_int_equal(g.d[0].status, WH_DELIVERY_IN_FLIGHT);
    assert_int_equal(g.d[0].lease_until, 1025);
    sc_got_free(&g);
    assert_int_equal(wh_sc_status(s, "k1"), WH_DELIVERY_SUCCEEDED);
    assert_int_equal(wh_sc_status(s, "k2"), WH_DELIVERY_IN_FLIGHT);
    assert_int_equal(wh_sc_status(s, "k3"), WH_DELIVERY_PENDING);
    size_t total = 0;
    sc_attempts list = {0};
    WH_ASSERT_OK(s->attempt_list(s, "k1", NULL, 0, 1, &total, sc_collect_attempt, &list));
    assert_int_equal(total, 1);
    sc_attempts_free(&list);
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, "s1", &sub));
    assert_int_equal(wh_subscription_last_delivery_at(sub), 40);
    wh_subscription_free(sub);
    /* No items: only a lease. */
    req.now = 30;
    memset(&g, 0, sizeof(g));
    WH_ASSERT_OK(s->record_and_lease(s, NULL, NULL, 0, &done, &req, sc_collect, &g));
    assert_int_equal(done, 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.d[0].id, "k3");
    sc_got_free(&g);
    /* Bad arguments change nothing. */
    assert_int_equal(s->record_and_lease(s, as, os, 1, &done, NULL, sc_collect, &g), WH_EINVAL);
    assert_int_equal(s->record_and_lease(s, as, os, 1, &done, &req, NULL, NULL), WH_EINVAL);
    assert_int_equal(s->record_and_lease(s, NULL, NULL, 1, &done, &req, sc_collect, &g), WH_EINVAL);
    wh_outcome bad = {WH_DELIVERY_IN_FLIGHT, 0, NULL, NULL};
    os[0] = &bad;
    assert_int_equal(s->record_and_lease(s, as, os, 1, &done, &req, sc_collect, &g), WH_EINVAL);
    assert_int_equal(g.n, 0);
    WH_ASSERT_OK(s->attempt_list(s, "k1", NULL, 0, 1, &total, sc_collect_attempt, &list));
    assert_int_equal(total, 1);
    sc_attempts_free(&list);
}

/* An attempt's subscription_id is a hint: the attempt is filed under the delivery's own. */
static void test_record_files_under_the_delivery_subscription(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_sub(s, "s2", NULL, 1);
    wh_sc_put_delivery(s, "r1", "s1", 1, 10);
    wh_sc_put_delivery(s, "r2", "s1", 1, 10);
    lease_one(s, "r1", 100);
    wh_attempt a = {WH_ATTEMPT_VERSION, "r1", "s1", 1, 100, 5, 200, WH_OK, NULL, NULL, 0};
    wh_outcome ok = {WH_DELIVERY_SUCCEEDED, 0, NULL, NULL};
    WH_ASSERT_OK(s->record(s, &a, &ok));
    a.delivery_id = "r2";
    a.subscription_id = "s2"; /* wrong */
    WH_ASSERT_OK(s->record(s, &a, &ok));
    a.delivery_id = "nope";
    a.subscription_id = "s1";
    assert_int_equal(s->record(s, &a, &ok), WH_ENOTFOUND);
    size_t total = 0;
    sc_attempts list = {0};
    WH_ASSERT_OK(s->attempt_list(s, NULL, "s1", 0, 1, &total, sc_collect_attempt, &list));
    assert_int_equal(total, 2);
    sc_attempts_free(&list);
    WH_ASSERT_OK(s->attempt_list(s, NULL, "s2", 0, 1, &total, sc_collect_attempt, &list));
    assert_int_equal(total, 0);
    assert_int_equal(wh_sc_status(s, "r1"), WH_DELIVERY_SUCCEEDED);
    assert_int_equal(wh_sc_status(s, "r2"), WH_DELIVERY_SUCCEEDED);
}

static void assert_stats(wh_store *s, const char *id, const wh_sub_stats *want, wh_status status)
{
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, id, &sub));
    assert_int_equal(wh_subscription_last_delivery_at(sub), want->last_delivery_at);
    assert_int_equal(wh_subscription_last_delivery_status(sub), want->last_status);
    assert_int_equal(wh_subscription_failure_count(sub), want->failure_count);
    assert_int_equal(wh_subscription_failing_since(sub), want->failing_since);
    assert_int_equal(wh_subscription_status(sub), status);
    wh_subscription_free(sub);
}

/* A batch leaves every subscription's stats as recording its items one by one would. */
static void test_record_batch_stats(void **state)
{
    wh_store *s = SC_STORE(state);
    if (!s->record_batch) skip(); /* may provide */
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_sub(s, "s2", NULL, 1);
    const char *ids[] = {"d1", "d2", "d3", "d4", "d5", "d6"};
    const char *subs[] = {"s1", "s2", "s1", "s1", "s2", "s2"};
    wh_sub_stats st[] = {
        {10, 500, 1, 10, 0, NULL}, {20, 200, 0, 0, 0, NULL},  {30, 410, 2, 10, 1, "gone"},
        {40, 500, 3, 10, 0, NULL}, {50, 500, 1, 50, 0, NULL},
    };
    wh_attempt a[6];
    wh_outcome o[6];
    const wh_attempt *as[6];
    const wh_outcome *os[6];
    for (int i = 0; i < 6; i++) {
        wh_sc_put_delivery(s, ids[i], subs[i], 1, 10);
        a[i] = (wh_attempt){WH_ATTEMPT_VERSION, ids[i], NULL, 1, 30, 10, 500, 0, NULL, NULL, 0};
        /* The last item of s2 carries no stats: s2 keeps those of d5. */
        o[i] = (wh_outcome){WH_DELIVERY_PENDING, 600, "HTTP 500", i < 5 ? &st[i] : NULL};
        as[i] = &a[i];
        os[i] = &o[i];
    }
    size_t done = 0;
    WH_ASSERT_OK(s->record_batch(s, as, os, 6, &done));
    assert_int_equal(done, 6);
    /* s1: disabled by d3 (with its reason), then d4's stats on top. */
    assert_stats(s, "s1", &st[3], WH_STATUS_DISABLED);
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, "s1", &sub));
    assert_string_equal(wh_subscription_disabled_reason(sub), "gone");
    wh_subscription_free(sub);
    assert_stats(s, "s2", &st[4], WH_STATUS_ACTIVE);
}

static void test_replay_keeps_the_idempotency_key(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_delivery d = wh_sc_delivery("rp", "s1", 1, 10);
    d.idempotency_key = "evt-key-1";
    const wh_delivery *batch[] = {&d};
    WH_ASSERT_OK(s->enqueue(s, batch, 1));
    WH_ASSERT_OK(wh_sc_record(s, "rp", 3, 100, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    WH_ASSERT_OK(s->replay(s, "rp", 9000));
    wh_delivery got;
    wh_sc_get(s, "rp", &got);
    assert_int_equal(got.status, WH_DELIVERY_PENDING);
    assert_int_equal(got.next_attempt_at, 9000);
    assert_int_equal(got.attempts, 3);
    assert_string_equal(got.idempotency_key, "evt-key-1");
    wh_delivery_clear(&got);
    lease_one(s, "rp", 9000);
    assert_int_equal(s->replay(s, "rp", 9500), WH_ESTATE);
    assert_int_equal(s->replay(s, "nope", 9500), WH_ENOTFOUND);
    assert_int_equal(s->replay(s, NULL, 9500), WH_EINVAL);
}

static void test_replay_since(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_sub(s, "s2", NULL, 1);
    const char *ids[] = {"c100", "c200", "c300", "c400"};
    for (int i = 0; i < 4; i++)
        wh_sc_put_delivery(s, ids[i], "s1", 100 * (i + 1), 1);
    wh_sc_put_delivery(s, "other", "s2", 300, 1);
    WH_ASSERT_OK(wh_sc_record(s, "c100", 1, 10, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "c200", 1, 10, 500, WH_DELIVERY_FAILED, 0, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "c300", 1, 10, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "other", 1, 10, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    size_t n = 0;
    WH_ASSERT_OK(s->replay_since(s, "s1", 200, 7000, &n));
    assert_int_equal(n, 2);
    assert_int_equal(wh_sc_status(s, "c100"), WH_DELIVERY_SUCCEEDED);
    assert_int_equal(wh_sc_status(s, "c200"), WH_DELIVERY_PENDING);
    assert_int_equal(wh_sc_status(s, "c300"), WH_DELIVERY_PENDING);
    assert_int_equal(wh_sc_status(s, "other"), WH_DELIVERY_SUCCEEDED);
    wh_delivery d;
    wh_sc_get(s, "c300", &d);
    assert_int_equal(d.next_attempt_at, 7000);
    assert_string_equal(d.idempotency_key, "c300");
    wh_delivery_clear(&d);
    assert_int_equal(s->replay_since(s, "nosub", 0, 1, &n), WH_ENOTFOUND);
    WH_ASSERT_OK(s->replay_since(s, "s1", 200, 7000, NULL));
}

/* fail_unsent (version 3, may provide): a subscription's unfinished deliveries, pending or
 * leased, become FAILED with the reason in one call; finished ones and other subscriptions'
 * are untouched; nothing stays due. */
static void test_fail_unsent(void **state)
{
    wh_store *s = SC_STORE(state);
    if (s->version < 3 || !s->fail_unsent) skip(); /* may provide */
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_sub(s, "s2", NULL, 1);
    wh_sc_put_delivery(s, "p1", "s1", 10, 10);
    wh_sc_put_delivery(s, "p2", "s1", 20, 5000); /* not due yet */
    wh_sc_put_delivery(s, "l1", "s1", 30, 10);
    wh_sc_put_delivery(s, "ok", "s1", 40, 10);
    wh_sc_put_delivery(s, "o1", "s2", 50, 200); /* due after the lease below */
    WH_ASSERT_OK(wh_sc_record(s, "ok", 1, 60, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    lease_one(s, "l1", 100);
    size_t n = 99;
    WH_ASSERT_OK(s->fail_unsent(s, "s1", "not sent: disabled", 700, &n));
    assert_int_equal(n, 3);
    const char *failed[] = {"p1", "p2", "l1"};
    for (int i = 0; i < 3; i++) {
        wh_delivery d;
        wh_sc_get(s, failed[i], &d);
        assert_int_equal(d.status, WH_DELIVERY_FAILED);
        assert_string_equal(d.last_error, "not sent: disabled");
        assert_int_equal(d.updated_at, 700);
        assert_int_equal(d.attempts, 0);
        wh_delivery_clear(&d);
    }
    assert_int_equal(wh_sc_status(s, "ok"), WH_DELIVERY_SUCCEEDED);
    assert_int_equal(wh_sc_status(s, "o1"), WH_DELIVERY_PENDING);
    /* Only s2's delivery is still due, however late. */
    sc_got g = {.n = 0};
    WH_ASSERT_OK(sc_lease(s, 1000000, 1000100, 10, 0, NULL, 0, &g));
    assert_int_equal(g.n, 1);
    assert_string_equal(g.d[0].id, "o1");
    sc_got_free(&g);
    WH_ASSERT_OK(s->fail_unsent(s, "s1", "again", 800, &n));
    assert_int_equal(n, 0);
    WH_ASSERT_OK(s->fail_unsent(s, "nosub", "x", 800, NULL));
    assert_int_equal(s->fail_unsent(s, "s1", NULL, 800, &n), WH_EINVAL);
}

/* replay_failed (version 3, may provide): only FAILED deliveries created since, due at now. */
static void test_replay_failed(void **state)
{
    wh_store *s = SC_STORE(state);
    if (s->version < 3 || !s->replay_failed) skip(); /* may provide */
    wh_sc_put_sub(s, "s1", NULL, 1);
    const char *ids[] = {"f100", "f200", "ok300", "f400"};
    for (int i = 0; i < 4; i++)
        wh_sc_put_delivery(s, ids[i], "s1", 100 * (i + 1), 1);
    WH_ASSERT_OK(wh_sc_record(s, "f100", 1, 10, 500, WH_DELIVERY_FAILED, 0, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "f200", 2, 10, 500, WH_DELIVERY_FAILED, 0, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "ok300", 1, 10, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "f400", 1, 10, 500, WH_DELIVERY_FAILED, 0, NULL));
    size_t n = 0;
    WH_ASSERT_OK(s->replay_failed(s, "s1", 200, 9000, &n));
    assert_int_equal(n, 2);
    assert_int_equal(wh_sc_status(s, "f100"), WH_DELIVERY_FAILED);
    assert_int_equal(wh_sc_status(s, "ok300"), WH_DELIVERY_SUCCEEDED);
    wh_delivery d;
    wh_sc_get(s, "f200", &d);
    assert_int_equal(d.status, WH_DELIVERY_PENDING);
    assert_int_equal(d.next_attempt_at, 9000);
    assert_int_equal(d.attempts, 2);
    wh_delivery_clear(&d);
    assert_int_equal(wh_sc_status(s, "f400"), WH_DELIVERY_PENDING);
    assert_int_equal(s->replay_failed(s, "nosub", 0, 1, &n), WH_ENOTFOUND);
}

static void test_attempt_list_newest_first_paged(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "a", "s1", 1, 1);
    wh_sc_put_delivery(s, "b", "s1", 1, 1);
    wh_time_ms started[] = {300, 100, 500, 200, 400}; /* recorded out of order */
    for (uint32_t i = 0; i < 5; i++)
        WH_ASSERT_OK(wh_sc_record(s, "a", i + 1, started[i], 500, WH_DELIVERY_PENDING, 1, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "b", 1, 250, 500, WH_DELIVERY_PENDING, 1, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "b", 2, 250, 200, WH_DELIVERY_SUCCEEDED, 1, NULL));
    sc_attempts as = {0};
    size_t total = 0;
    WH_ASSERT_OK(s->attempt_list(s, "a", NULL, 2, 2, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 5);
    assert_int_equal(as.n, 2);
    assert_int_equal(as.a[0].started_at, 300);
    assert_int_equal(as.a[1].started_at, 200);
    sc_attempts_free(&as);
    WH_ASSERT_OK(s->attempt_list(s, NULL, "s1", 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 7);
    wh_time_ms want[] = {500, 400, 300, 250, 250, 200, 100};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(as.a[i].started_at, want[i]);
    assert_int_equal(as.a[3].number, 2); /* same time: the later record first */
    assert_string_equal(as.a[3].delivery_id, "b");
    sc_attempts_free(&as);
    WH_ASSERT_OK(s->attempt_list(s, "a", NULL, 2, 9, &total, sc_collect_attempt, &as));
    assert_int_equal(as.n, 0);
    assert_int_equal(total, 5);
    WH_ASSERT_OK(s->attempt_list(s, "unknown", NULL, 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 0);
    assert_int_equal(s->attempt_list(s, NULL, NULL, 0, 1, &total, sc_collect_attempt, &as),
                     WH_EINVAL);
    assert_int_equal(s->attempt_list(s, "a", "s1", 0, 1, &total, sc_collect_attempt, &as),
                     WH_EINVAL);
}

static void test_delivery_list_filters_and_paging(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "A", NULL, 1);
    wh_sc_put_sub(s, "B", NULL, 1);
    wh_sc_put_delivery(s, "a100", "A", 100, 1);
    wh_sc_put_delivery(s, "a300", "A", 300, 1);
    wh_sc_put_delivery(s, "a200x", "A", 200, 1);
    wh_sc_put_delivery(s, "a200y", "A", 200, 1);
    wh_sc_put_delivery(s, "b250", "B", 250, 1);
    WH_ASSERT_OK(wh_sc_record(s, "a300", 1, 10, 500, WH_DELIVERY_FAILED, 0, NULL));
    sc_got g = {0};
    size_t total = 0;
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    WH_ASSERT_OK(s->delivery_list(s, &q, &total, sc_collect, &g));
    assert_int_equal(total, 5);
    const char *all[] = {"a300", "b250", "a200y", "a200x", "a100"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(g.d[i].id, all[i]);
    sc_got_free(&g);
    q.subscription_id = "A";
    q.limit = 2;
    q.page = 2;
    WH_ASSERT_OK(s->delivery_list(s, &q, &total, sc_collect, &g));
    assert_int_equal(total, 4);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.d[0].id, "a200x");
    assert_string_equal(g.d[1].id, "a100");
    sc_got_free(&g);
    q = (wh_delivery_query)WH_DELIVERY_QUERY_INIT;
    q.status = WH_DELIVERY_FAILED;
    WH_ASSERT_OK(s->delivery_list(s, &q, &total, sc_collect, &g));
    assert_int_equal(total, 1);
    assert_string_equal(g.d[0].id, "a300");
    sc_got_free(&g);
    q.status = -1;
    q.since = 250;
    WH_ASSERT_OK(s->delivery_list(s, &q, &total, sc_collect, &g));
    assert_int_equal(total, 2);
    sc_got_free(&g);
    g.stop_after = 1;
    WH_ASSERT_OK(s->delivery_list(s, NULL, &total, sc_collect, &g));
    assert_int_equal(g.n, 1);
    assert_int_equal(total, 5);
    sc_got_free(&g);
    q.status = 7;
    assert_int_equal(s->delivery_list(s, &q, &total, sc_collect, &g), WH_EINVAL);
    assert_int_equal(s->delivery_list(s, NULL, &total, NULL, NULL), WH_EINVAL);
}

static void test_purge(void **state)
{
    wh_store *s = SC_STORE(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "old_ok", "s1", 1, 1);
    wh_sc_put_delivery(s, "new_fail", "s1", 1, 1);
    wh_sc_put_delivery(s, "pending", "s1", 1, 1);
    WH_ASSERT_OK(wh_sc_record(s, "old_ok", 1, 90, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "new_fail", 1, 900, 500, WH_DELIVERY_FAILED, 0, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "pending", 1, 100, 500, WH_DELIVERY_PENDING, 2000, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "pending", 2, 700, 500, WH_DELIVERY_PENDING, 2000, NULL));
    size_t removed = 0, total = 0;
    WH_ASSERT_OK(s->purge(s, 500, &removed));
    assert_int_equal(removed, 1);
    assert_int_equal(wh_sc_status(s, "old_ok"), -1);
    assert_int_equal(wh_sc_status(s, "new_fail"), WH_DELIVERY_FAILED);
    assert_int_equal(wh_sc_status(s, "pending"), WH_DELIVERY_PENDING);
    sc_attempts as = {0};
    WH_ASSERT_OK(s->attempt_list(s, NULL, "s1", 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 2); /* new_fail's and pending's second */
    assert_int_equal(as.a[0].started_at, 900);
    assert_int_equal(as.a[1].started_at, 700);
    sc_attempts_free(&as);
    WH_ASSERT_OK(s->purge(s, 500, NULL));
}

/* purge_some: a bounded batch of the oldest finished deliveries, queued ones kept. */
static void test_purge_some(void **state)
{
    wh_store *s = SC_STORE(state);
    if (!s->purge_some) skip(); /* optional member */
    wh_sc_put_sub(s, "s1", NULL, 1);
    const char *old[] = {"f1", "f2", "f3"};
    for (int i = 0; i < 3; i++) {
        wh_sc_put_delivery(s, old[i], "s1", 1 + i, 1 + i);
        WH_ASSERT_OK(
            wh_sc_record(s, old[i], 1, 100 * (i + 1), 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    }
    wh_sc_put_delivery(s, "queued", "s1", 0, 0);
    WH_ASSERT_OK(wh_sc_record(s, "queued", 1, 50, 500, WH_DELIVERY_PENDING, 2000, NULL));
    wh_sc_put_delivery(s, "late", "s1", 4, 4);
    WH_ASSERT_OK(wh_sc_record(s, "late", 1, 900, 500, WH_DELIVERY_FAILED, 0, NULL));
    size_t removed = 99;
    WH_ASSERT_OK(s->purge_some(s, 500, 0, &removed));
    assert_int_equal(removed, 0);
    WH_ASSERT_OK(s->purge_some(s, 500, 2, &removed));
    assert_int_equal(removed, 2);
    assert_int_equal(wh_sc_status(s, "f1"), -1);
    assert_int_equal(wh_sc_status(s, "f2"), -1);
    assert_int_equal(wh_sc_status(s, "f3"), WH_DELIVERY_SUCCEEDED);
    WH_ASSERT_OK(s->purge_some(s, 500, 10, &removed));
    assert_int_equal(removed, 1); /* fewer than max: nothing older is left */
    assert_int_equal(wh_sc_status(s, "f3"), -1);
    assert_int_equal(wh_sc_status(s, "queued"), WH_DELIVERY_PENDING);
    assert_int_equal(wh_sc_status(s, "late"), WH_DELIVERY_FAILED);
    size_t total = 0;
    sc_attempts as = {0};
    WH_ASSERT_OK(s->attempt_list(s, NULL, "s1", 0, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, 2); /* the removed deliveries' attempts went with them */
    assert_int_equal(as.a[0].started_at, 900);
    assert_int_equal(as.a[1].started_at, 50); /* a queued delivery keeps even old attempts */
    sc_attempts_free(&as);
    WH_ASSERT_OK(s->purge_some(s, 500, 10, NULL));
}

/* ---- concurrent use ---- */

#define SC_THREADS    4
#define SC_PER_THREAD 40

typedef struct worker {
    wh_store *store;
    int index;
    int leased[SC_THREADS * SC_PER_THREAD]; /* how often this worker leased each delivery */
    int failures;
} worker;

typedef struct leased_ids {
    char id[16][32];
    size_t n;
} leased_ids;

static int take_id(const wh_delivery *d, void *user_data)
{
    leased_ids *l = user_data;
    snprintf(l->id[l->n++], 32, "%s", d->id);
    return 0;
}

static void worker_enqueue(worker *w)
{
    char sub[16], ids[SC_PER_THREAD][32];
    snprintf(sub, sizeof(sub), "w%d", w->index);
    wh_subscription *s = wh_sc_sub(sub, "shared", w->index);
    w->failures += w->store->sub_create(w->store, s) != WH_OK;
    wh_subscription_free(s);
    for (int i = 0; i < SC_PER_THREAD; i += 4) {
        wh_delivery d[4];
        const wh_delivery *batch[4];
        for (int k = 0; k < 4; k++) {
            snprintf(ids[i + k], 32, "d-%d", w->index * SC_PER_THREAD + i + k);
            d[k] = wh_sc_delivery(ids[i + k], sub, 1, 1);
            batch[k] = &d[k];
        }
        w->failures += w->store->enqueue(w->store, batch, 4) != WH_OK;
    }
}

/* Lease and record until the queue has been empty for a few rounds (bounded). */
static void worker_drain(worker *w)
{
    int idle = 0;
    for (int round = 0; round < 2000 && idle < 20; round++) {
        leased_ids l = {.n = 0};
        wh_lease_request req = {100, 1000000, 8, 0, NULL, 0};
        w->failures += w->store->lease(w->store, &req, take_id, &l) != WH_OK;
        idle = l.n ? 0 : idle + 1;
        for (size_t i = 0; i < l.n; i++) {
            w->leased[atoi(l.id[i] + 2)]++;
            w->failures += wh_sc_record(w->store, l.id[i], 1, 200, 200, WH_DELIVERY_SUCCEEDED, 0,
                                        NULL) != WH_OK;
        }
        (void)w->store->sub_changes(w->store);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    worker_enqueue(w);
    worker_drain(w);
    return NULL;
}

static int ignore_sub(const wh_subscription *sub, void *user_data)
{
    (void)sub;
    (void)user_data;
    return 0;
}

static void test_concurrent_use(void **state)
{
    wh_store *s = SC_STORE(state);
    static worker w[SC_THREADS];
    pthread_t t[SC_THREADS];
    memset(w, 0, sizeof(w));
    for (int i = 0; i < SC_THREADS; i++) {
        w[i].store = s;
        w[i].index = i;
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < SC_THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < SC_THREADS; i++)
        assert_int_equal(w[i].failures, 0);
    for (int d = 0; d < SC_THREADS * SC_PER_THREAD; d++) {
        int n = 0;
        for (int i = 0; i < SC_THREADS; i++)
            n += w[i].leased[d];
        assert_int_equal(n, 1); /* leased exactly once: never twice, none lost */
    }
    size_t total = 0;
    sc_got g = {0};
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.status = WH_DELIVERY_SUCCEEDED;
    q.limit = 1;
    WH_ASSERT_OK(s->delivery_list(s, &q, &total, sc_collect, &g));
    assert_int_equal(total, SC_THREADS * SC_PER_THREAD);
    sc_got_free(&g);
    sc_attempts as = {0};
    WH_ASSERT_OK(s->attempt_list(s, NULL, "w0", 1, 1, &total, sc_collect_attempt, &as));
    assert_int_equal(total, SC_PER_THREAD);
    sc_attempts_free(&as);
    WH_ASSERT_OK(s->sub_list(s, "shared", 1, 1, &total, ignore_sub, NULL));
    assert_int_equal(total, SC_THREADS);
}

const struct CMUnitTest sc_record_tests[] = {
    cmocka_unit_test(test_record_success),
    cmocka_unit_test(test_record_retry),
    cmocka_unit_test(test_record_dead_and_disable),
    cmocka_unit_test(test_record_without_stats_and_transport_error),
    cmocka_unit_test(test_record_errors_change_nothing),
    cmocka_unit_test(test_record_batch),
    cmocka_unit_test(test_record_batch_stats),
    cmocka_unit_test(test_record_and_lease),
    cmocka_unit_test(test_record_files_under_the_delivery_subscription),
    cmocka_unit_test(test_replay_keeps_the_idempotency_key),
    cmocka_unit_test(test_replay_since),
    cmocka_unit_test(test_fail_unsent),
    cmocka_unit_test(test_replay_failed),
    cmocka_unit_test(test_attempt_list_newest_first_paged),
    cmocka_unit_test(test_delivery_list_filters_and_paging),
    cmocka_unit_test(test_purge),
    cmocka_unit_test(test_purge_some),
    cmocka_unit_test(test_concurrent_use),
};
const size_t sc_record_tests_count = sizeof(sc_record_tests) / sizeof(sc_record_tests[0]);
