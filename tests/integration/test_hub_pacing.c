/*
 * Per-endpoint pacing (issue 22): a subscription's rate limit holds at the receiver (a bound on
 * the count at every moment the test looks, from the test's own clock, and a lower bound on the
 * time the whole batch takes: a limiter can only make it slower), and no delivery fails for it;
 * an overloaded answer (429 with Retry-After, or 502/503/504) pauses the whole endpoint, not
 * only the one delivery, while another endpoint goes on. Pauses run on the hub's clock, which
 * the test moves by hand (the fixture's clock stands still otherwise), so they are checked to
 * the millisecond whatever the machine's speed.
 */
#include <stdio.h>
#include <string.h>

#include "hub_fixture.h"
#include "wh_test.h"

static void emit_n(hub_fixture *fx, int n)
{
    for (int i = 0; i < n; i++)
        hub_fixture_emit(fx, "a.b", i);
}

/* Arrival time (monotonic ms) of the i-th request whose target starts with prefix, or -1. */
static int64_t arrival(hub_fixture *fx, const char *prefix, size_t i)
{
    size_t seen = 0;
    for (size_t k = 0; k < wh_receiver_count(fx->recv); k++) {
        const wh_recv_request *r = wh_receiver_request(fx->recv, k);
        if (strncmp(r->target, prefix, strlen(prefix)) != 0) continue;
        if (seen++ == i) return r->mono_ms;
    }
    return -1;
}

#define RATE   20 /* requests per second */
#define BURST  5
#define EVENTS 25

static void test_rate_limit(void **state)
{
    hub_fixture *fx = *state;
    char id[64];
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/rl\",\"events\":[\"a.b\"],"
                    "\"rateLimit\":{\"requests\":20,\"periodMs\":1000,\"burst\":5}}",
                    id, sizeof(id));
    emit_n(fx, EVENTS);
    int64_t t0 = wh_test_now_ms();
    size_t max_over = 0;
    while (wh_receiver_count(fx->recv) < EVENTS && wh_test_now_ms() - t0 < 20000) {
        WH_ASSERT_OK(wh_hub_run(fx->hub, 10));
        /* At every look: no more than the burst plus what the rate allowed since t0. */
        double allowed = BURST + RATE * (double)(wh_test_now_ms() - t0) / 1000.0 + 1;
        size_t got = wh_receiver_count(fx->recv);
        if (got > allowed && got - (size_t)allowed > max_over) max_over = got - (size_t)allowed;
    }
    int64_t took = wh_test_now_ms() - t0;
    printf("# %d deliveries at %d/s (burst %d) took %lld ms\n", EVENTS, RATE, BURST,
           (long long)took);
    assert_int_equal(max_over, 0);
    assert_int_equal(wh_receiver_count(fx->recv), EVENTS);
    /* The 20 after the burst need 1 s at 20/s: the limiter held them back. */
    assert_true(arrival(fx, "/rl", EVENTS - 1) - arrival(fx, "/rl", 0) >= 900);
    assert_true(hub_fixture_run_until_requests(fx, EVENTS, 100));
    WH_ASSERT_OK(wh_hub_run(fx->hub, 50));
    assert_int_equal(hub_fixture_count(fx, id, WH_DELIVERY_FAILED), 0); /* none failed for it */
    assert_int_equal(hub_fixture_count(fx, id, WH_DELIVERY_SUCCEEDED), EVENTS);
}

/* The first request answers 429 with Retry-After: 2; the rest 204. */
static void retry_after_first(const wh_recv_request *req, size_t nth, wh_receiver_reply *reply,
                              void *ud)
{
    (void)req;
    (void)ud;
    if (nth > 0) return;
    reply->status = 429;
    reply->headers[0] = (wh_receiver_header){"Retry-After", "2"};
}

/* Run the hub for about ms of real time (pauses are on the hub's clock, which stays put). */
static void run_for(hub_fixture *fx, int ms)
{
    int64_t t0 = wh_test_now_ms();
    while (wh_test_now_ms() - t0 < ms)
        WH_ASSERT_OK(wh_hub_run(fx->hub, 10));
}

static size_t count_at(hub_fixture *fx, const char *prefix)
{
    return wh_receiver_count_prefix(fx->recv, prefix);
}

static void test_429_pauses_the_endpoint(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 204;
    rule.hook = retry_after_first;
    assert_true(wh_receiver_set(fx->recv, "/busy", &rule));
    char busy[64], other[64];
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/busy\",\"events\":[\"a.b\"],"
                    "\"retry\":{\"schedule\":[1,1,1]}}",
                    busy, sizeof(busy));
    hub_fixture_add(fx, "{\"url\":\"RECV/other\",\"events\":[\"c.d\"]}", other, sizeof(other));
    /* One delivery first, so the 429 is the only request in flight when it comes. */
    hub_fixture_emit(fx, "a.b", 0);
    assert_true(hub_fixture_run_until_requests(fx, 1, 5000));
    WH_ASSERT_OK(wh_hub_run(fx->hub, 50)); /* record the 429 */
    emit_n(fx, 3);                         /* new deliveries, due now, behind the pause */
    hub_fixture_emit(fx, "c.d", 0);        /* another endpoint: not held */
    run_for(fx, 300);
    assert_int_equal(count_at(fx, "/other"), 1);
    assert_int_equal(count_at(fx, "/busy"), 1);
    fx->now += 1999; /* the hub's clock: still within Retry-After */
    run_for(fx, 300);
    assert_int_equal(count_at(fx, "/busy"), 1);
    fx->now += 1; /* 2 s: the endpoint resumes, the retry of the first one due too */
    assert_true(hub_fixture_run_until_requests(fx, 6, 5000));
    assert_int_equal(count_at(fx, "/busy"), 5);
    assert_int_equal(hub_fixture_count(fx, busy, WH_DELIVERY_FAILED), 0);
}

/* 503 without Retry-After: a second, then (a second overloaded answer) two. */
static void test_503_backs_off(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 204;
    rule.first_count = 2;
    rule.first_status = 503;
    assert_true(wh_receiver_set(fx->recv, "/down", &rule));
    char id[64];
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/down\",\"events\":[\"a.b\"],"
                    "\"retry\":{\"schedule\":[0,0,0]}}",
                    id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 0);
    assert_true(hub_fixture_run_until_requests(fx, 1, 5000));
    run_for(fx, 300); /* its retry is due at once, the endpoint paused for 1 s */
    assert_int_equal(count_at(fx, "/down"), 1);
    fx->now += 1000;
    assert_true(hub_fixture_run_until_requests(fx, 2, 5000)); /* 503 again: 2 s */
    fx->now += 1999;
    run_for(fx, 300);
    assert_int_equal(count_at(fx, "/down"), 2);
    fx->now += 1;
    assert_true(hub_fixture_run_until_requests(fx, 3, 5000));
    WH_ASSERT_OK(wh_hub_run(fx->hub, 50));
    assert_int_equal(hub_fixture_count(fx, id, WH_DELIVERY_SUCCEEDED), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rate_limit, hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_429_pauses_the_endpoint, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_503_backs_off, hub_fixture_setup,
                                        hub_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
