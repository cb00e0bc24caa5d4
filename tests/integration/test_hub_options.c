/*
 * wh_hub_options: every setter checks its value, every option reaches the engine, the options
 * object may be reused or freed once the hub exists, and the store's ownership is as documented
 * also when wh_hub_new fails. Also wh_hub_pollfds_flat. Against a real loopback receiver.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "hub_helpers.h"
#include "receiver.h"
#include "wh_test.h"

/* ---- helpers ---- */

static wh_hub_options *loopback_options(void)
{
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    return o;
}

static wh_subscription *loopback_sub(void)
{
    wh_subscription *sub;
    const char *json = "{\"id\":\"r1\",\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"a.b\"]}";
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    return sub;
}

/* ---- values reach the engine ---- */

static void test_defaults_and_options(void **state)
{
    (void)state;
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, NULL)); /* every default */
    wh_hub_free(hub);
    wh_hub_options *o = loopback_options();
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight(o, 4));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight_per_subscription(o, 2));
    WH_ASSERT_OK(wh_hub_options_set_connect_timeout_ms(o, 2000));
    WH_ASSERT_OK(wh_hub_options_set_total_timeout_ms(o, 5000));
    WH_ASSERT_OK(wh_hub_options_set_max_response_bytes(o, 1024));
    WH_ASSERT_OK(wh_hub_options_set_max_body_bytes(o, 4096));
    WH_ASSERT_OK(wh_hub_options_set_retry_after_cap_s(o, 60));
    WH_ASSERT_OK(wh_hub_options_set_disable_after_failures(o, 0));
    WH_ASSERT_OK(wh_hub_options_set_disable_after_ms(o, 0));
    WH_ASSERT_OK(wh_hub_options_set_jitter_percent(o, 0));
    WH_ASSERT_OK(wh_hub_options_set_user_agent(o, "options-test/1"));
    WH_ASSERT_OK(wh_hub_options_set_require_https(o, 0));
    WH_ASSERT_OK(wh_hub_options_set_lease_ms(o, 60000));
    WH_ASSERT_OK(wh_hub_options_set_shared_queue(o, 0));
    WH_ASSERT_OK(wh_hub_options_set_max_idle_connections(o, 4));
    WH_ASSERT_OK(wh_hub_options_set_ca_file(o, NULL));
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    /* The hub keeps its own copy: changing or freeing the options changes nothing. */
    WH_ASSERT_OK(wh_hub_options_set_user_agent(o, "changed/2"));
    wh_hub_options_free(o);
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    char id[64];
    wh_test_add_order_sub(hub, r, "/ua", id, sizeof(id));
    wh_test_emit(hub, "order.created", "{}");
    int64_t end = wh_test_now_ms() + 5000;
    while (wh_receiver_count(r) < 1 && wh_test_now_ms() < end)
        WH_ASSERT_OK(wh_hub_run(hub, 20));
    assert_int_equal(wh_receiver_count(r), 1);
    assert_string_equal(wh_recv_request_header(wh_receiver_request(r, 0), "User-Agent"),
                        "options-test/1");
    wh_hub_free(hub);
    wh_receiver_stop(r);
}

/* The guard's settings: loopback refused by default, allowed by a range, https required. */
static void test_guard_options(void **state)
{
    (void)state;
    wh_subscription *sub = loopback_sub();
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, NULL));
    assert_int_equal(wh_hub_subscription_add(hub, sub), WH_EINVAL);
    assert_true(wh_test_has_detail("loopback"));
    wh_hub_free(hub);
    wh_hub_options *o = loopback_options();
    WH_ASSERT_OK(wh_hub_options_set_require_https(o, 1));
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    assert_int_equal(wh_hub_subscription_add(hub, sub), WH_EINVAL);
    assert_true(wh_test_has_detail("https"));
    wh_hub_free(hub);
    WH_ASSERT_OK(wh_hub_options_set_require_https(o, 0));
    WH_ASSERT_OK(wh_hub_new(&hub, o)); /* one options object, two hubs */
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    wh_hub_free(hub);
    wh_hub_options_free(o);
    wh_subscription_free(sub);
}

/* The retry policy a subscription without its own gets. */
static void test_default_retry(void **state)
{
    (void)state;
    wh_hub_options *o = loopback_options();
    static const uint32_t first[] = {1, 2}, second[] = {7, 8, 9};
    WH_ASSERT_OK(wh_hub_options_set_default_retry_schedule(o, first, 2));
    WH_ASSERT_OK(wh_hub_options_set_default_retry_schedule(o, second, 3)); /* the last counts */
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_subscription *sub = loopback_sub(), *got;
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    WH_ASSERT_OK(wh_hub_subscription_get(hub, "r1", &got));
    assert_int_equal(wh_subscription_retry_count(got), 3);
    assert_int_equal(wh_subscription_retry_delay(got, 2), 9);
    assert_true(wh_subscription_retry_enabled(got));
    wh_subscription_free(got);
    wh_hub_free(hub);

    WH_ASSERT_OK(wh_hub_options_set_default_retry_off(o, 1));
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    WH_ASSERT_OK(wh_hub_subscription_get(hub, "r1", &got));
    assert_false(wh_subscription_retry_enabled(got));
    wh_subscription_free(got);
    wh_hub_free(hub);
    wh_subscription_free(sub);
    wh_hub_options_free(o);
}

/* ---- bad values ---- */

static void expect_einval(int rc, const char *name)
{
    if (rc != WH_EINVAL) print_error("%s -> %d\n", name, rc);
    assert_int_equal(rc, WH_EINVAL);
}

static void test_setters_refuse_bad_values(void **state)
{
    (void)state;
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    expect_einval(wh_hub_options_set_max_in_flight(o, 0), "max_in_flight 0");
    assert_non_null(strstr(wh_error_last_message(), "max_in_flight"));
    expect_einval(wh_hub_options_set_max_in_flight(o, 2000000), "max_in_flight 2e6");
    expect_einval(wh_hub_options_set_max_in_flight_per_subscription(o, 0), "per sub 0");
    expect_einval(wh_hub_options_set_connect_timeout_ms(o, 0), "connect 0");
    expect_einval(wh_hub_options_set_total_timeout_ms(o, 3600 * 1000 + 1), "total 1h+1");
    expect_einval(wh_hub_options_set_max_response_bytes(o, 0), "response 0");
    expect_einval(wh_hub_options_set_max_body_bytes(o, (size_t)WH_STORE_MAX_BODY_LEN + 1), "body");
    expect_einval(wh_hub_options_set_jitter_percent(o, 101), "jitter 101");
    expect_einval(wh_hub_options_set_jitter_percent(o, -1), "jitter -1");
    expect_einval(wh_hub_options_set_disable_after_ms(o, -1), "disable after -1");
    expect_einval(wh_hub_options_set_user_agent(o, "a\r\nX-Evil: 1"), "user agent CRLF");
    expect_einval(wh_hub_options_set_user_agent(o, ""), "user agent empty");
    expect_einval(wh_hub_options_set_ca_file(o, ""), "ca file empty");
    expect_einval(wh_hub_options_set_max_idle_connections(o, 2000000), "idle 2e6");
    expect_einval(wh_hub_options_allow_cidr(o, "300.0.0.0/8"), "cidr 300");
    expect_einval(wh_hub_options_allow_cidr(o, "1.2.3.4/40"), "cidr /40");
    expect_einval(wh_hub_options_allow_cidr(o, NULL), "cidr NULL");
    expect_einval(wh_hub_options_set_log(o, NULL, 4, NULL), "log level 4");
    expect_einval(wh_hub_options_set_log(o, NULL, -1, NULL), "log level -1");
    static const uint32_t too_far[] = {8 * 24 * 3600};
    expect_einval(wh_hub_options_set_default_retry_schedule(o, too_far, 1), "retry 8 days");
    expect_einval(wh_hub_options_set_default_retry_schedule(o, NULL, 1), "retry NULL");
    expect_einval(wh_hub_options_set_default_retry_schedule(o, too_far, WH_MAX_RETRY_STEPS + 1),
                  "retry too many");
    /* A NULL options object is refused by every setter. */
    expect_einval(wh_hub_options_set_max_in_flight(NULL, 1), "NULL");
    expect_einval(wh_hub_options_set_store(NULL, NULL, 0), "NULL store");
    expect_einval(wh_hub_options_set_clock(NULL, NULL, NULL), "NULL clock");
    expect_einval(wh_hub_options_allow_cidr(NULL, "127.0.0.1"), "NULL cidr");
    expect_einval(wh_hub_options_new(NULL), "new NULL");
    /* The refused values changed nothing: the user agent is still the default one. */
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    char id[64];
    wh_test_add_order_sub(hub, r, "/d", id, sizeof(id));
    wh_test_emit(hub, "order.created", "{}");
    wh_test_run_idle(hub, 5000);
    assert_int_equal(wh_receiver_count(r), 1);
    const char *ua = wh_recv_request_header(wh_receiver_request(r, 0), "User-Agent");
    assert_non_null(ua);
    assert_int_equal(strncmp(ua, "libwebhooks/", 12), 0);
    wh_hub_free(hub);
    wh_receiver_stop(r);
    wh_hub_options_free(o);
    wh_hub_options_free(NULL);
    expect_einval(wh_hub_new(NULL, NULL), "wh_hub_new NULL");
}

/* ---- the store's ownership ---- */

static int g_frees;

static int broken_recover(wh_store *s, size_t *count)
{
    (void)s, (void)count;
    return WH_EIO;
}

static void counted_free(wh_store *s)
{
    (void)s;
    g_frees++;
}

static void test_store_ownership(void **state)
{
    (void)state;
    /* On error the caller still owns the store, whatever own says. */
    wh_store broken = WH_STORE_INIT;
    broken.recover = broken_recover;
    broken.free = counted_free;
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, &broken, 1));
    wh_hub *hub = (wh_hub *)&hub;
    assert_int_equal(wh_hub_new(&hub, o), WH_EIO);
    assert_null(hub);
    assert_int_equal(g_frees, 0);
    /* borrowed: the hub leaves it alone; owned: the hub frees it (ASan: a leak otherwise) */
    wh_store *store;
    WH_ASSERT_OK(wh_store_memory_new(&store));
    WH_ASSERT_OK(wh_hub_options_set_store(o, store, 0));
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    assert_ptr_equal(wh_hub_store(hub), store);
    wh_hub_free(hub);
    WH_ASSERT_OK(wh_hub_options_set_store(o, store, 1));
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_hub_free(hub);
    wh_hub_options_free(o);
}

/* ---- callbacks ---- */

typedef struct seen {
    int log_lines, max_level, disabled;
    char disabled_id[64], reason[256];
} seen;

static void on_log(int level, const char *message, void *ud)
{
    seen *s = ud;
    assert_non_null(message);
    s->log_lines++;
    if (level > s->max_level) s->max_level = level;
}

static void on_disable(const char *id, const char *reason, void *ud)
{
    seen *s = ud;
    s->disabled++;
    snprintf(s->disabled_id, sizeof(s->disabled_id), "%s", id);
    snprintf(s->reason, sizeof(s->reason), "%s", reason);
}

static wh_time_ms fixed_clock(void *ud)
{
    return *(wh_time_ms *)ud;
}

static void test_callbacks(void **state)
{
    (void)state;
    seen s = {0};
    wh_time_ms now = 1900000000000LL;
    wh_hub_options *o = loopback_options();
    WH_ASSERT_OK(wh_hub_options_set_log(o, on_log, WH_LOG_WARN, &s));
    WH_ASSERT_OK(wh_hub_options_set_on_disable(o, on_disable, &s));
    WH_ASSERT_OK(wh_hub_options_set_clock(o, fixed_clock, &now));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    assert_int_equal(wh_hub_now(hub), now);

    /* a 410 disables the subscription: the log and on_disable hear of it */
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    wh_receiver_set_status(r, "/gone", 410);
    char id[64];
    wh_test_add_order_sub(hub, r, "/gone", id, sizeof(id));
    wh_test_emit(hub, "order.created", "{}");
    wh_test_run_idle(hub, 5000);
    assert_int_equal(s.disabled, 1);
    assert_string_equal(s.disabled_id, id);
    assert_non_null(strstr(s.reason, "410"));
    assert_true(s.log_lines >= 1);
    assert_int_equal(s.max_level, WH_LOG_WARN); /* the level filters: the attempt's INFO line is
                                                   left out, the disabling WARN line is not */
    /* the injected clock is the one recorded */
    char *json;
    WH_ASSERT_OK(wh_store_attempt_list_json(wh_hub_store(hub), NULL, id, 0, 1, &json));
    cJSON *root = cJSON_Parse(json);
    wh_free(json);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "attempts"), 0);
    assert_string_equal(cJSON_GetObjectItem(a, "startedAt")->valuestring,
                        "2030-03-17T17:46:40.000Z");
    cJSON_Delete(root);
    wh_hub_free(hub);

    /* turned off: no calls, the wall clock again */
    WH_ASSERT_OK(wh_hub_options_set_log(o, NULL, WH_LOG_ERROR, NULL));
    WH_ASSERT_OK(wh_hub_options_set_on_disable(o, NULL, NULL));
    WH_ASSERT_OK(wh_hub_options_set_clock(o, NULL, NULL));
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    assert_true(wh_hub_now(hub) < now);
    int lines = s.log_lines;
    wh_test_add_order_sub(hub, r, "/gone", id, sizeof(id));
    wh_test_emit(hub, "order.created", "{}");
    wh_test_run_idle(hub, 5000);
    assert_int_equal(s.log_lines, lines);
    assert_int_equal(s.disabled, 1);
    wh_hub_free(hub);
    wh_hub_options_free(o);
    wh_receiver_stop(r);
}

static void test_pollfds_flat(void **state)
{
    (void)state;
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, NULL));
    size_t count = 0;
    WH_ASSERT_OK(wh_hub_pollfds_flat(hub, NULL, NULL, 0, &count));
    assert_true(count >= 1); /* at least the wake-up descriptor */
    int fds[16], events[16];
    size_t again = 0;
    WH_ASSERT_OK(wh_hub_pollfds_flat(hub, fds, events, 16, &again));
    assert_int_equal(again, count);
    wh_pollfd ref[16];
    size_t n = 0;
    WH_ASSERT_OK(wh_hub_pollfds(hub, ref, 16, &n));
    assert_int_equal(n, count);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fds[i], ref[i].fd);
        assert_int_equal(events[i], ref[i].events);
    }
    assert_int_equal(events[n - 1], POLLIN);
    assert_int_equal(wh_hub_pollfds_flat(hub, NULL, events, 4, &n), WH_EINVAL);
    assert_int_equal(wh_hub_pollfds_flat(NULL, fds, events, 4, &n), WH_EINVAL);
    wh_hub_free(hub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_options),
        cmocka_unit_test(test_guard_options),
        cmocka_unit_test(test_default_retry),
        cmocka_unit_test(test_setters_refuse_bad_values),
        cmocka_unit_test(test_store_ownership),
        cmocka_unit_test(test_callbacks),
        cmocka_unit_test(test_pollfds_flat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
