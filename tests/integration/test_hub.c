/*
 * The delivery engine against a real HTTP receiver on 127.0.0.1: what arrives, how it is
 * signed, and every fault of issue 6. Time moves through the hub's injected clock, so whole
 * retry schedules run in well under a second of real time.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "hub_fixture.h"
#include "wh_test.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* Verify a recorded request's Standard Webhooks signature with the library's verifier. */
static int verify_standard(const wh_recv_request *q, int64_t now_s)
{
    const char *names[3] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[3];
    for (int i = 0; i < 3; i++)
        values[i] = wh_recv_request_header(q, names[i]);
    const char *secrets[1] = {SECRET};
    return wh_verify(WH_SCHEME_STANDARD, secrets, 1, names, values, 3, q->body, q->body_len, now_s,
                     0);
}

static void test_delivery_arrives_signed(void **state)
{
    hub_fixture *fx = *state;
    char id[64];
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/orders?x=1\",\"events\":[\"order.*\"],\"method\":\"PUT\","
                    "\"headers\":{\"X-Source\":\"shop\"},\"secrets\":[\"" SECRET "\"]}",
                    id, sizeof(id));
    assert_int_equal(hub_fixture_emit(fx, "order.created", 7), 1);
    assert_int_equal(hub_fixture_emit(fx, "invoice.paid", 8), 0); /* not subscribed */
    assert_true(hub_fixture_run_until_requests(fx, 1, 5000));
    const wh_recv_request *q = wh_receiver_request(fx->recv, 0);
    assert_string_equal(q->method, "PUT");
    assert_string_equal(q->target, "/orders?x=1");
    assert_string_equal(wh_recv_request_header(q, "Content-Type"), "application/json");
    assert_string_equal(wh_recv_request_header(q, "X-Source"), "shop");
    assert_non_null(strstr(wh_recv_request_header(q, "User-Agent"), "libwebhooks/"));
    const char *msg_id = wh_recv_request_header(q, "webhook-id");
    assert_non_null(msg_id);
    assert_string_equal(wh_recv_request_header(q, "x-Idempotency-Key"), msg_id);
    assert_non_null(wh_recv_request_header(q, "x-timestamp"));
    assert_non_null(strstr((const char *)q->body, "\"type\":\"order.created\""));
    assert_non_null(strstr((const char *)q->body, "\"data\":{\"n\":7}"));
    WH_ASSERT_OK(verify_standard(q, fx->now / 1000));
    /* the outcome is recorded */
    fixture_delivery d;
    hub_fixture_run_until_requests(fx, 1, 100);
    for (int i = 0; i < 50 && (hub_fixture_delivery(fx, id, &d), d.status != WH_DELIVERY_SUCCEEDED);
         i++)
        wh_hub_run(fx->hub, 10);
    assert_int_equal(d.status, WH_DELIVERY_SUCCEEDED);
    assert_int_equal(d.attempts, 1);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, id, &sub));
    assert_int_equal(wh_subscription_last_delivery_status(sub), 200);
    assert_int_equal(wh_subscription_last_delivery_at(sub), fx->now);
    wh_subscription_free(sub);
    assert_int_equal(wh_receiver_count(fx->recv), 1);
}

static int delivery_is(hub_fixture *fx, void *ud)
{
    const char **args = ud; /* {sub id, status as text} */
    fixture_delivery d;
    return hub_fixture_delivery(fx, args[0], &d) && (int)d.status == atoi(args[1]);
}

/* Run until the newest delivery of sub reaches status. */
static void run_until_status(hub_fixture *fx, const char *sub, wh_delivery_status status)
{
    char st[8];
    snprintf(st, sizeof(st), "%d", (int)status);
    const char *args[2] = {sub, st};
    int ok = hub_fixture_run_until(fx, delivery_is, args, 8000);
    if (!ok) {
        fixture_delivery d;
        hub_fixture_delivery(fx, sub, &d);
        print_error("delivery status %d (wanted %d), last error: %s\n", d.status, status,
                    d.last_error);
    }
    assert_true(ok);
}

/* Run the hub until the newest delivery of sub has made at least n attempts (bounded); *d
 * receives it. */
static void wait_attempts(hub_fixture *fx, const char *sub, uint32_t n, fixture_delivery *d)
{
    for (int k = 0; k < 100 && (hub_fixture_delivery(fx, sub, d), d->attempts < n); k++)
        wh_hub_run(fx->hub, 10);
}

static void test_500_then_200_retries_and_resets_failure_count(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.first_count = 1;
    rule.first_status = 500;
    rule.reply.status = 200;
    wh_receiver_set(fx->recv, "/flaky", &rule);
    char id[64];
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/flaky\",\"events\":[\"a.b\"],\"retry\":{\"schedule\":[5,60]}}",
                    id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_PENDING);
    fixture_delivery d;
    /* After the 500: one failure, the retry scheduled 5 s (hub clock) later. */
    hub_fixture_run_until_requests(fx, 1, 5000);
    wait_attempts(fx, id, 1, &d);
    assert_int_equal(d.attempts, 1);
    assert_int_equal(d.last_status, 500);
    assert_int_equal(d.next_attempt_at, fx->now + 5000);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, id, &sub));
    assert_int_equal(wh_subscription_failure_count(sub), 1);
    wh_subscription_free(sub);
    /* Not due yet: nothing is sent however long we run. */
    wh_hub_run(fx->hub, 50);
    assert_int_equal(wh_receiver_count(fx->recv), 1);
    fx->now += 5000;
    run_until_status(fx, id, WH_DELIVERY_SUCCEEDED);
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.attempts, 2);
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, id, &sub));
    assert_int_equal(wh_subscription_failure_count(sub), 0);
    assert_int_equal(wh_subscription_last_delivery_status(sub), 200);
    wh_subscription_free(sub);
    /* Both attempts carried the same id and x-timestamp. */
    const wh_recv_request *a = wh_receiver_request(fx->recv, 0),
                          *b = wh_receiver_request(fx->recv, 1);
    assert_string_equal(wh_recv_request_header(a, "webhook-id"),
                        wh_recv_request_header(b, "webhook-id"));
    assert_string_equal(wh_recv_request_header(a, "x-Idempotency-Key"),
                        wh_recv_request_header(b, "x-Idempotency-Key"));
    assert_string_equal(wh_recv_request_header(a, "x-timestamp"),
                        wh_recv_request_header(b, "x-timestamp"));
    /* ...and a fresh signing timestamp per attempt */
    assert_string_not_equal(wh_recv_request_header(a, "webhook-timestamp"),
                            wh_recv_request_header(b, "webhook-timestamp"));
}

static void test_whole_schedule_then_dead_and_replay(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_set_status(fx->recv, "/down", 503);
    char id[64];
    hub_fixture_add(
        fx, "{\"url\":\"RECV/down\",\"events\":[\"a.b\"],\"retry\":{\"schedule\":[5,300,1800]}}",
        id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    const wh_time_ms delays[] = {5000, 300000, 1800000};
    for (size_t i = 0; i < 3; i++) {
        assert_true(hub_fixture_run_until_requests(fx, i + 1, 5000));
        run_until_status(fx, id, WH_DELIVERY_PENDING);
        fixture_delivery d;
        wait_attempts(fx, id, i + 1, &d);
        assert_int_equal(d.next_attempt_at, fx->now + delays[i]);
        fx->now += delays[i];
    }
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    assert_int_equal(wh_receiver_count(fx->recv), 4); /* first attempt + 3 retries */
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.attempts, 4);
    assert_non_null(strstr(d.last_error, "503"));
    /* Replay: sent again with the same idempotency key. */
    wh_receiver_set_status(fx->recv, "/down", 204);
    WH_ASSERT_OK(wh_hub_replay(fx->hub, d.id));
    run_until_status(fx, id, WH_DELIVERY_SUCCEEDED);
    assert_int_equal(wh_receiver_count(fx->recv), 5);
    assert_string_equal(wh_recv_request_header(wh_receiver_request(fx->recv, 4), "webhook-id"),
                        d.idempotency_key);
}

static void test_retry_after_is_honoured(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 429;
    rule.reply.headers[0] = (wh_receiver_header){"Retry-After", "120"};
    wh_receiver_set(fx->recv, "/busy", &rule);
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/busy\",\"events\":[\"a.b\"],\"retry\":{\"schedule\":[5]}}",
                    id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    assert_true(hub_fixture_run_until_requests(fx, 1, 5000));
    fixture_delivery d;
    wait_attempts(fx, id, 1, &d);
    assert_int_equal(d.status, WH_DELIVERY_PENDING);
    assert_int_equal(d.next_attempt_at, fx->now + 120000); /* not the 5 s of the schedule */
    /* A Retry-After beyond the cap (1 h) is capped. */
    rule.reply.headers[0] = (wh_receiver_header){"Retry-After", "999999"};
    wh_receiver_set(fx->recv, "/busy", &rule);
    fx->now += 120000;
    assert_true(hub_fixture_run_until_requests(fx, 2, 5000));
    wait_attempts(fx, id, 2, &d);
    assert_int_equal(d.status, WH_DELIVERY_FAILED); /* schedule exhausted */
}

static void test_410_disables_at_once(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_set_status(fx->recv, "/gone", 410);
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/gone\",\"events\":[\"a.b\"]}", id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, id, &sub));
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_DISABLED);
    assert_non_null(strstr(wh_subscription_disabled_reason(sub), "410"));
    wh_subscription_free(sub);
    wh_hub_run(fx->hub, 10);
    assert_int_equal(fx->disabled_calls, 1);
    assert_string_equal(fx->disabled_id, id);
    /* A disabled webhook receives nothing more. */
    assert_int_equal(hub_fixture_emit(fx, "a.b", 2), 0);
    wh_hub_run(fx->hub, 50);
    assert_int_equal(wh_receiver_count(fx->recv), 1);
}

static void test_auto_disable_after_consecutive_failures(void **state)
{
    hub_fixture *fx = *state;
    hub_fixture_stop(fx);
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_disable_after_failures(o, 3));
    hub_fixture_start(fx, o);
    wh_hub_options_free(o);
    wh_receiver_set_status(fx->recv, "/err", 500);
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/err\",\"events\":[\"a.b\"],\"retry\":false}", id,
                    sizeof(id));
    for (int i = 0; i < 3; i++) {
        hub_fixture_emit(fx, "a.b", i);
        assert_true(hub_fixture_run_until_requests(fx, (size_t)i + 1, 5000));
        run_until_status(fx, id, WH_DELIVERY_FAILED);
    }
    for (int i = 0; i < 20 && fx->disabled_calls == 0; i++)
        wh_hub_run(fx->hub, 10);
    assert_int_equal(fx->disabled_calls, 1);
    assert_non_null(strstr(fx->disabled_reason, "3 consecutive"));
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, id, &sub));
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_DISABLED);
    assert_int_equal(wh_subscription_failure_count(sub), 3);
    wh_subscription_free(sub);
}

static void test_auto_disable_after_failing_too_long(void **state)
{
    hub_fixture *fx = *state;
    hub_fixture_stop(fx);
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_disable_after_ms(o, 3600 * 1000)); /* an hour */
    hub_fixture_start(fx, o);
    wh_hub_options_free(o);
    wh_receiver_set_status(fx->recv, "/err", 500);
    char id[64];
    hub_fixture_add(
        fx, "{\"url\":\"RECV/err\",\"events\":[\"a.b\"],\"retry\":{\"schedule\":[1800,1800,1800]}}",
        id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    for (size_t i = 0; i < 3 && fx->disabled_calls == 0; i++) {
        assert_true(hub_fixture_run_until_requests(fx, i + 1, 5000));
        fixture_delivery d;
        wait_attempts(fx, id, i + 1, &d);
        fx->now += 1800 * 1000;
        wh_hub_run(fx->hub, 10);
    }
    assert_int_equal(fx->disabled_calls, 1); /* at the third attempt, 1 h after the first */
    assert_non_null(strstr(fx->disabled_reason, "failing for 1 hours"));
}

static void test_timeout_of_a_slow_receiver(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.delay_ms = 3000;
    wh_receiver_set(fx->recv, "/slow", &rule);
    char id[64];
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/slow\",\"events\":[\"a.b\"],\"retry\":false,"
                    "\"timeouts\":{\"totalMs\":300}}",
                    id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.last_status, WH_ETIMEOUT);
    assert_non_null(strstr(d.last_error, "timed out"));
}

static void test_receiver_that_never_answers(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.hold = true;
    wh_receiver_set(fx->recv, "/void", &rule);
    char id[64];
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/void\",\"events\":[\"a.b\"],\"retry\":false,"
                    "\"timeouts\":{\"totalMs\":300}}",
                    id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.last_status, WH_ETIMEOUT);
}

static void test_connection_reset_mid_response(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 200;
    rule.reply.body_len = 100000;
    rule.reply.reset = true;
    rule.reply.reset_after = 1000;
    wh_receiver_set(fx->recv, "/reset", &rule);
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/reset\",\"events\":[\"a.b\"],\"retry\":false}", id,
                    sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.last_status, WH_ETRANSPORT);
}

static int response_len(const wh_attempt *a, void *ud)
{
    *(size_t *)ud = a->response_len;
    assert_int_equal(a->response[0], 'a'); /* the receiver's generated body starts "abc..." */
    return 1;
}

static void test_tls_failure_is_a_failed_attempt(void **state)
{
    hub_fixture *fx = *state;
    /* https to the receiver, which speaks plain HTTP: the TLS handshake fails */
    char json[256], id[64];
    snprintf(json, sizeof(json),
             "{\"url\":\"https://127.0.0.1:%d/tls\",\"events\":[\"a.b\"],\"retry\":false}",
             wh_receiver_port(fx->recv));
    hub_fixture_add(fx, json, id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.last_status, WH_ETRANSPORT);
    assert_non_null(strstr(d.last_error, "SSL"));
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, id, &sub));
    assert_int_equal(wh_subscription_failure_count(sub), 1);
    wh_subscription_free(sub);
}

static void test_huge_response_body_is_capped(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 200;
    rule.reply.body_len = 10 * 1024 * 1024;
    wh_receiver_set(fx->recv, "/big", &rule);
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/big\",\"events\":[\"a.b\"]}", id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_SUCCEEDED);
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.last_status, 200);
    /* The attempt log keeps the first 4 KiB of the answer. */
    size_t kept = 0;
    WH_ASSERT_OK(fx->store->attempt_list(fx->store, d.id, NULL, 0, 1, NULL, response_len, &kept));
    assert_int_equal(kept, WH_ATTEMPT_RESPONSE_MAX);
}

static void test_redirect_is_not_followed(void **state)
{
    hub_fixture *fx = *state;
    char target[128];
    wh_receiver_url(fx->recv, "/elsewhere", target, sizeof(target));
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 302;
    rule.reply.headers[0] = (wh_receiver_header){"Location", target};
    wh_receiver_set(fx->recv, "/moved", &rule);
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/moved\",\"events\":[\"a.b\"],\"retry\":false}", id,
                    sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.last_status, 302);
    assert_non_null(strstr(d.last_error, "redirects are not followed"));
    assert_int_equal(wh_receiver_count_prefix(fx->recv, "/elsewhere"), 0);
}

static void test_ssrf_guard_refuses_loopback_by_name_and_literal(void **state)
{
    hub_fixture *fx = *state;
    hub_fixture_stop(fx);
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "192.0.2.0/24")); /* anything but loopback */
    hub_fixture_start_guarded(fx, o);
    wh_hub_options_free(o);
    /* A literal loopback address is refused at registration. */
    wh_subscription *sub;
    const char *lit = "{\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"a.b\"]}";
    WH_ASSERT_OK(wh_subscription_from_json(&sub, lit, strlen(lit)));
    assert_int_equal(wh_hub_subscription_add(fx->hub, sub), WH_EINVAL);
    assert_true(wh_test_has_detail("url"));
    wh_subscription_free(sub);
    /* A name that resolves to loopback is refused when connecting. */
    char json[256], id[64];
    snprintf(json, sizeof(json),
             "{\"url\":\"http://localhost:%d/x\",\"events\":[\"a.b\"],\"retry\":false}",
             wh_receiver_port(fx->recv));
    hub_fixture_add(fx, json, id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_int_equal(d.last_status, WH_EREFUSED);
    assert_int_equal(wh_receiver_count(fx->recv), 0);
}

static void test_render_failure_is_recorded_and_others_still_deliver(void **state)
{
    hub_fixture *fx = *state;
    char bad[64], good[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/pay/{{paymentName}}\",\"events\":[\"a.b\"]}", bad,
                    sizeof(bad));
    hub_fixture_add(fx, "{\"url\":\"RECV/ok/{{event.type}}\",\"events\":[\"a.b\"]}", good,
                    sizeof(good));
    assert_int_equal(hub_fixture_emit(fx, "a.b", 1), 2);
    fixture_delivery d;
    assert_true(hub_fixture_delivery(fx, bad, &d));
    assert_int_equal(d.status, WH_DELIVERY_FAILED);
    assert_non_null(strstr(d.last_error, "paymentName"));
    run_until_status(fx, good, WH_DELIVERY_SUCCEEDED);
    assert_int_equal(wh_receiver_count(fx->recv), 1);
    assert_string_equal(wh_receiver_request(fx->recv, 0)->target, "/ok/a.b");
}

static void test_dead_endpoint_does_not_hold_back_a_healthy_one(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.hold = true;
    wh_receiver_set(fx->recv, "/dead", &rule);
    char dead[64], healthy[64];
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/dead\",\"events\":[\"a.b\"],\"timeouts\":{\"totalMs\":20000}}",
                    dead, sizeof(dead));
    hub_fixture_add(fx, "{\"url\":\"RECV/healthy\",\"events\":[\"a.b\"]}", healthy,
                    sizeof(healthy));
    for (int i = 0; i < 30; i++)
        hub_fixture_emit(fx, "a.b", i);
    /* All 30 reach the healthy endpoint while the dead one holds its 8 connections. */
    int64_t end = wh_test_now_ms() + 10000;
    while (wh_receiver_count_prefix(fx->recv, "/healthy") < 30 && wh_test_now_ms() < end)
        wh_hub_run(fx->hub, 10);
    /* ...and the hub does not spin while the dead one's backlog waits: runs that find only
     * blocked work sleep (a spinning loop makes thousands of calls in 400 ms; ~10 expected). */
    int calls = 0;
    for (int64_t t0 = wh_test_now_ms(); wh_test_now_ms() - t0 < 400; calls++)
        WH_ASSERT_OK(wh_hub_run(fx->hub, 40));
    if (calls >= 200) print_error("%d runs in 400 ms\n", calls);
    assert_true(calls < 200);
    assert_int_equal(wh_receiver_count_prefix(fx->recv, "/healthy"), 30);
    size_t ok = hub_fixture_count(fx, healthy, WH_DELIVERY_SUCCEEDED),
           flying = hub_fixture_count(fx, healthy, WH_DELIVERY_IN_FLIGHT);
    if (ok + flying != 30) {
        fixture_delivery d;
        hub_fixture_delivery(fx, healthy, &d);
        print_error("succeeded %zu, in flight %zu, pending %zu; newest: status %d error %s\n", ok,
                    flying, hub_fixture_count(fx, healthy, WH_DELIVERY_PENDING), d.status,
                    d.last_error);
    }
    assert_int_equal(ok + flying, 30);
    assert_true(wh_receiver_held(fx->recv) <= 8); /* the per-subscription limit */
    assert_true(wh_hub_in_flight(fx->hub) <= 8 + 8);
    wh_receiver_release(fx->recv);
}

static void test_concurrency_limit_per_subscription(void **state)
{
    hub_fixture *fx = *state;
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.delay_ms = 100;
    wh_receiver_set(fx->recv, "/slowish", &rule);
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/slowish\",\"events\":[\"a.b\"]}", id, sizeof(id));
    for (int i = 0; i < 24; i++)
        hub_fixture_emit(fx, "a.b", i);
    assert_true(hub_fixture_run_until_requests(fx, 24, 10000));
    for (int i = 0; i < 200 && hub_fixture_count(fx, id, WH_DELIVERY_SUCCEEDED) < 24; i++)
        wh_hub_run(fx->hub, 10);
    assert_int_equal(hub_fixture_count(fx, id, WH_DELIVERY_SUCCEEDED), 24);
    assert_true(wh_receiver_max_active(fx->recv) <= 8);
    assert_true(wh_receiver_max_active(fx->recv) >= 2); /* and it did run them concurrently */
}

static void test_free_gives_in_flight_deliveries_back(void **state)
{
    hub_fixture *fx = *state;
    hub_fixture_stop(fx);
    /* A hub over a store the test keeps: freeing the hub mid-request loses nothing. */
    fx->recv = wh_receiver_start();
    wh_store *store;
    WH_ASSERT_OK(wh_store_memory_new(&store));
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.hold = true;
    wh_receiver_set(fx->recv, "/hold", &rule);
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, store, 0));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_new(&fx->hub, o));
    wh_hub_options_free(o);
    fx->store = store;
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/hold\",\"events\":[\"a.b\"]}", id, sizeof(id));
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "a.b"));
    WH_ASSERT_OK(wh_hub_emit(fx->hub, ev, NULL));
    wh_event_free(ev);
    for (int i = 0; i < 200 && wh_receiver_held(fx->recv) < 1; i++)
        wh_hub_run(fx->hub, 10);
    assert_int_equal(wh_hub_in_flight(fx->hub), 1);
    wh_hub_free(fx->hub);
    assert_int_equal(hub_fixture_count(fx, id, WH_DELIVERY_PENDING), 1);
    /* A new hub over the same store sends it. */
    wh_receiver_set_status(fx->recv, "/hold", 200);
    wh_receiver_release(fx->recv);
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, store, 1));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_new(&fx->hub, o));
    wh_hub_options_free(o);
    for (int i = 0; i < 300 && hub_fixture_count(fx, id, WH_DELIVERY_SUCCEEDED) < 1; i++)
        wh_hub_run(fx->hub, 10);
    assert_int_equal(hub_fixture_count(fx, id, WH_DELIVERY_SUCCEEDED), 1);
}

static void test_emit_batch_is_one_atomic_enqueue(void **state)
{
    hub_fixture *fx = *state;
    char a[64], b[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/a\",\"events\":[\"x.*\"]}", a, sizeof(a));
    hub_fixture_add(fx, "{\"url\":\"RECV/b\",\"events\":[\"x.one\"]}", b, sizeof(b));
    wh_event *evs[3];
    const char *types[3] = {"x.one", "x.two", "y.none"};
    for (int i = 0; i < 3; i++)
        WH_ASSERT_OK(wh_event_new(&evs[i], types[i]));
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit_batch(fx->hub, (const wh_event *const *)evs, 3, &queued));
    assert_int_equal(queued, 3); /* x.one to a and b, x.two to a, y.none to nobody */
    assert_true(hub_fixture_run_until_requests(fx, 3, 5000));
    assert_int_equal(wh_receiver_count_prefix(fx->recv, "/a"), 2);
    assert_int_equal(wh_receiver_count_prefix(fx->recv, "/b"), 1);
    wh_event_free(evs[2]);
    evs[2] = NULL; /* a NULL event refuses the whole batch */
    assert_int_equal(wh_hub_emit_batch(fx->hub, (const wh_event *const *)evs, 3, &queued),
                     WH_EINVAL);
    assert_int_equal(queued, 0);
    for (int i = 0; i < 2; i++)
        wh_event_free(evs[i]);
}

/* The store's enqueue, wrapped so that its first call finds a subscription deleted behind the
 * hub's back, after the hub checked its index (as another process sharing the file could do). */
static int (*g_real_enqueue)(wh_store *, const wh_delivery *const *, size_t);
static char g_victim[64];

static int racing_enqueue(wh_store *s, const wh_delivery *const *batch, size_t n)
{
    if (g_victim[0]) {
        assert_int_equal(s->sub_delete(s, g_victim), WH_OK);
        g_victim[0] = '\0';
    }
    return g_real_enqueue(s, batch, n);
}

/* The same race where the hub enqueues with its event ids (event idempotency). */
static int (*g_real_enqueue_events)(wh_store *, const char *const *, size_t, wh_time_ms, wh_time_ms,
                                    const wh_delivery *const *, size_t);

static int racing_enqueue_events(wh_store *s, const char *const *ids, size_t nids, wh_time_ms now,
                                 wh_time_ms expires_at, const wh_delivery *const *batch, size_t n)
{
    if (g_victim[0]) {
        assert_int_equal(s->sub_delete(s, g_victim), WH_OK);
        g_victim[0] = '\0';
    }
    return g_real_enqueue_events(s, ids, nids, now, expires_at, batch, n);
}

static void test_subscription_deleted_behind_the_hubs_back(void **state)
{
    hub_fixture *fx = *state;
    char gone[64], kept[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/gone\",\"events\":[\"a.b\"]}", gone, sizeof(gone));
    hub_fixture_add(fx, "{\"url\":\"RECV/kept\",\"events\":[\"a.b\"]}", kept, sizeof(kept));
    g_real_enqueue = fx->store->enqueue;
    fx->store->enqueue = racing_enqueue;
    g_real_enqueue_events = fx->store->enqueue_events;
    fx->store->enqueue_events = racing_enqueue_events;
    snprintf(g_victim, sizeof(g_victim), "%s", gone);
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "a.b"));
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit(fx->hub, ev, &queued));
    wh_event_free(ev);
    fx->store->enqueue = g_real_enqueue;
    fx->store->enqueue_events = g_real_enqueue_events;
    assert_int_equal(queued, 1); /* the kept webhook's delivery survived the refusal */
    assert_int_equal(hub_fixture_count(fx, kept, -1), 1);
    assert_true(hub_fixture_run_until_requests(fx, 1, 5000));
    assert_int_equal(wh_receiver_count_prefix(fx->recv, "/gone"), 0);
    wh_subscription *sub;
    assert_int_equal(wh_hub_subscription_get(fx->hub, gone, &sub), WH_ENOTFOUND);
}

static void test_emit_owner_reaches_only_that_owner(void **state)
{
    hub_fixture *fx = *state;
    char alice[64], bob[64], nobody[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/alice\",\"events\":[\"a.b\"],\"ownerId\":\"alice\"}",
                    alice, sizeof(alice));
    hub_fixture_add(fx, "{\"url\":\"RECV/bob\",\"events\":[\"a.b\"],\"ownerId\":\"bob\"}", bob,
                    sizeof(bob));
    hub_fixture_add(fx, "{\"url\":\"RECV/none\",\"events\":[\"a.b\"]}", nobody, sizeof(nobody));
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "a.b"));
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit_owner(fx->hub, ev, "alice", &queued));
    assert_int_equal(queued, 1);
    WH_ASSERT_OK(wh_hub_emit_owner(fx->hub, ev, "carol", &queued));
    assert_int_equal(queued, 0);
    assert_int_equal(wh_hub_emit_owner(fx->hub, ev, NULL, &queued), WH_EINVAL);
    wh_event_free(ev);
    assert_true(hub_fixture_run_until_requests(fx, 1, 5000));
    wh_hub_run(fx->hub, 50);
    assert_int_equal(wh_receiver_count(fx->recv), 1);
    assert_int_equal(wh_receiver_count_prefix(fx->recv, "/alice"), 1);
}

static void test_delivery_that_cannot_be_signed_fails_instead_of_looping(void **state)
{
    hub_fixture *fx = *state;
    char id[64];
    /* its only secret expired before the event (the fixture's clock is 2027-01-15) */
    hub_fixture_add(fx,
                    "{\"url\":\"RECV/x\",\"events\":[\"a.b\"],\"secrets\":[],"
                    "\"previousSecrets\":[{\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\","
                    "\"expiresAt\":\"2026-01-01T00:00:00Z\"}]}",
                    id, sizeof(id));
    hub_fixture_emit(fx, "a.b", 1);
    run_until_status(fx, id, WH_DELIVERY_FAILED);
    fixture_delivery d;
    hub_fixture_delivery(fx, id, &d);
    assert_non_null(strstr(d.last_error, "not sent"));
    assert_int_equal(wh_receiver_count(fx->recv), 0);
}

static int fd_ready(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1;
}

static void test_host_loop_wake_fd_is_emptied_by_run(void **state)
{
    hub_fixture *fx = *state;
    char id[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/loop\",\"events\":[\"a.b\"]}", id, sizeof(id));
    wh_pollfd fds[16];
    size_t n = 0;
    WH_ASSERT_OK(wh_hub_pollfds(fx->hub, fds, 16, &n));
    assert_true(n >= 1);
    int wake = fds[0].fd; /* the wake-up fd comes first */
    assert_false(fd_ready(wake));
    hub_fixture_emit(fx, "a.b", 1); /* a host polling it is told about new work */
    assert_true(fd_ready(wake));
    WH_ASSERT_OK(wh_hub_run(fx->hub, 0));
    assert_false(fd_ready(wake)); /* or the host's poll would fire forever */
    for (int i = 0; i < 500 && wh_receiver_count(fx->recv) < 1; i++) {
        struct pollfd p[17];
        WH_ASSERT_OK(wh_hub_pollfds(fx->hub, fds, 16, &n));
        for (size_t k = 0; k < n && k < 16; k++)
            p[k] = (struct pollfd){fds[k].fd, fds[k].events, 0};
        int t = wh_hub_timeout_ms(fx->hub);
        poll(p, (nfds_t)(n < 16 ? n : 16), t < 0 || t > 10 ? 10 : t);
        WH_ASSERT_OK(wh_hub_run(fx->hub, 0));
    }
    assert_int_equal(wh_receiver_count(fx->recv), 1);
}

static void test_hub_default_retry_policy(void **state)
{
    hub_fixture *fx = *state;
    hub_fixture_stop(fx);
    static const uint32_t seed003[] = {600, 600, 600};
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_default_retry_schedule(o, seed003, 3));
    hub_fixture_start(fx, o);
    wh_hub_options_free(o);
    char plain[64], own[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/p\",\"events\":[\"a.b\"]}", plain, sizeof(plain));
    hub_fixture_add(fx, "{\"url\":\"RECV/o\",\"events\":[\"a.b\"],\"retry\":{\"schedule\":[5]}}",
                    own, sizeof(own));
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, plain, &sub));
    assert_int_equal(wh_subscription_retry_count(sub), 3); /* the hub's default */
    assert_int_equal(wh_subscription_retry_delay(sub, 2), 600);
    wh_subscription_free(sub);
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, own, &sub));
    assert_int_equal(wh_subscription_retry_count(sub), 1); /* its own policy is kept */
    wh_subscription_free(sub);
    /* seed 003's "Retry": true chooses retrying, not a schedule: it gets the hub's schedule */
    char flag[64];
    hub_fixture_add(fx, "{\"url\":\"RECV/f\",\"events\":[\"a.b\"],\"Retry\":true}", flag,
                    sizeof(flag));
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, flag, &sub));
    assert_true(wh_subscription_retry_enabled(sub));
    assert_int_equal(wh_subscription_retry_count(sub), 3);
    wh_subscription_free(sub);
    /* a replace without a retry policy gets the hub's default too */
    const char *put = "{\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"a.b\"]}";
    wh_subscription *next;
    WH_ASSERT_OK(wh_subscription_from_json(&next, put, strlen(put)));
    WH_ASSERT_OK(wh_subscription_set_id(next, own));
    WH_ASSERT_OK(wh_hub_subscription_replace(fx->hub, next));
    wh_subscription_free(next);
    WH_ASSERT_OK(wh_hub_subscription_get(fx->hub, own, &sub));
    assert_int_equal(wh_subscription_retry_count(sub), 3);
    wh_subscription_free(sub);
    /* a bad default is refused by its setter, which keeps the old one */
    static const uint32_t too_far[] = {8 * 24 * 3600};
    WH_ASSERT_OK(wh_hub_options_new(&o));
    assert_int_equal(wh_hub_options_set_default_retry_schedule(o, too_far, 1), WH_EINVAL);
    assert_non_null(strstr(wh_error_last_message(), "retry delays"));
    assert_int_equal(wh_hub_options_set_default_retry_schedule(o, NULL, 1), WH_EINVAL);
    assert_int_equal(wh_hub_options_set_default_retry_schedule(o, too_far, 33), WH_EINVAL);
    wh_hub_options_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delivery_arrives_signed, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_500_then_200_retries_and_resets_failure_count,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_whole_schedule_then_dead_and_replay, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_is_honoured, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_410_disables_at_once, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_auto_disable_after_consecutive_failures,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_auto_disable_after_failing_too_long, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_timeout_of_a_slow_receiver, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_receiver_that_never_answers, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_connection_reset_mid_response, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_huge_response_body_is_capped, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tls_failure_is_a_failed_attempt, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_redirect_is_not_followed, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ssrf_guard_refuses_loopback_by_name_and_literal,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_render_failure_is_recorded_and_others_still_deliver,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_dead_endpoint_does_not_hold_back_a_healthy_one,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_concurrency_limit_per_subscription, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_free_gives_in_flight_deliveries_back,
                                        hub_fixture_setup, hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_emit_batch_is_one_atomic_enqueue, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_hub_default_retry_policy, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_host_loop_wake_fd_is_emptied_by_run, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(
            test_delivery_that_cannot_be_signed_fails_instead_of_looping, hub_fixture_setup,
            hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_emit_owner_reaches_only_that_owner, hub_fixture_setup,
                                        hub_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_subscription_deleted_behind_the_hubs_back,
                                        hub_fixture_setup, hub_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
