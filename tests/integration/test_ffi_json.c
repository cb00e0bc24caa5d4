/*
 * The binding-friendly entry points: wh_hub_new_json, the hub's callback setters,
 * wh_hub_pollfds_flat, the store's JSON listings, wh_store_purge and wh_store_sqlite_open_json,
 * against a real loopback receiver.
 */
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "receiver.h"
#include "wh_test.h"
#include "wh_test_files.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* ---- helpers ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Register a subscription to "order.*" at the receiver's path; returns its id in id. */
static void add_sub(wh_hub *hub, wh_receiver *r, const char *path, char *id, size_t n)
{
    char url[256], json[512];
    wh_receiver_url(r, path, url, sizeof(url));
    snprintf(json, sizeof(json),
             "{\"url\":\"%s\",\"events\":[\"order.*\"],\"secrets\":[\"" SECRET "\"],"
             "\"retry\":{\"enabled\":false}}",
             url);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    snprintf(id, n, "%s", wh_subscription_id(sub));
    wh_subscription_free(sub);
}

static size_t emit(wh_hub *hub, const char *type, const char *data)
{
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, type));
    WH_ASSERT_OK(wh_event_set_data(ev, data, strlen(data)));
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit(hub, ev, &queued));
    wh_event_free(ev);
    return queued;
}

/* Run until nothing is in flight or due, at most max_ms. */
static void run_idle(wh_hub *hub, int max_ms)
{
    int64_t end = mono_ms() + max_ms;
    do
        WH_ASSERT_OK(wh_hub_run(hub, 20));
    while ((wh_hub_in_flight(hub) || wh_hub_timeout_ms(hub) == 0) && mono_ms() < end);
    for (int i = 0; i < 5; i++) /* record what just completed */
        WH_ASSERT_OK(wh_hub_run(hub, 0));
}

static cJSON *parse(char *json)
{
    assert_non_null(json);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    wh_free(json);
    return root;
}

static const char *str_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static const char *const LOOPBACK = "{\"allowCidrs\":[\"127.0.0.0/8\"]}";

/* ---- wh_hub_new_json ---- */

static void test_new_json_defaults_and_options(void **state)
{
    (void)state;
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, NULL));
    wh_hub_free(hub);
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, ""));
    wh_hub_free(hub);
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, "{}"));
    wh_hub_free(hub);
    const char *all = "{\"maxInFlight\":4,\"maxInFlightPerSubscription\":2,"
                      "\"connectTimeoutMs\":2000,\"totalTimeoutMs\":5000,"
                      "\"maxResponseBytes\":1024,\"maxBodyBytes\":4096,\"retryAfterCapS\":60,"
                      "\"disableAfterFailures\":0,\"disableAfterMs\":0,\"jitterPercent\":0,"
                      "\"userAgent\":\"ffi-test/1\",\"allowCidrs\":[\"127.0.0.0/8\"],"
                      "\"requireHttps\":false,\"leaseMs\":60000,\"sharedQueue\":false,"
                      "\"maxIdleConnections\":4,\"caFile\":null}";
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, all));
    /* the options reach the engine: the user agent is sent, loopback is allowed */
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    char id[64];
    add_sub(hub, r, "/ua", id, sizeof(id));
    emit(hub, "order.created", "{\"n\":1}");
    int64_t end = mono_ms() + 5000;
    while (wh_receiver_count(r) < 1 && mono_ms() < end)
        WH_ASSERT_OK(wh_hub_run(hub, 20));
    assert_int_equal(wh_receiver_count(r), 1);
    assert_string_equal(wh_recv_request_header(wh_receiver_request(r, 0), "User-Agent"),
                        "ffi-test/1");
    wh_hub_free(hub);
    wh_receiver_stop(r);
}

static void test_new_json_policy_applies(void **state)
{
    (void)state;
    /* without allowCidrs the SSRF guard refuses a loopback URL at registration */
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, "{}"));
    wh_subscription *sub;
    const char *json = "{\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"a.b\"]}";
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    assert_int_equal(wh_hub_subscription_add(hub, sub), WH_EINVAL);
    assert_true(wh_test_has_detail("loopback"));
    wh_hub_free(hub);
    /* requireHttps refuses http:// */
    WH_ASSERT_OK(
        wh_hub_new_json(&hub, NULL, 0, "{\"allowCidrs\":[\"127.0.0.0/8\"],\"requireHttps\":true}"));
    assert_int_equal(wh_hub_subscription_add(hub, sub), WH_EINVAL);
    assert_true(wh_test_has_detail("https"));
    wh_hub_free(hub);
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, LOOPBACK));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    wh_hub_free(hub);
    wh_subscription_free(sub);
}

static void test_new_json_rejects_bad_options(void **state)
{
    (void)state;
    wh_hub *hub = (wh_hub *)&hub; /* must be reset to NULL */
    assert_int_equal(wh_hub_new_json(&hub, NULL, 0, "{\"colour\":1,\"maxInflight\":2}"), WH_EINVAL);
    assert_null(hub);
    assert_int_equal(wh_error_last_details_count(), 2);
    assert_true(wh_test_has_detail("colour: unknown option"));
    assert_true(wh_test_has_detail("maxInflight: unknown option"));
    assert_non_null(strstr(wh_error_last_message(), "colour"));

    static const char *const bad[] = {
        "{\"maxInFlight\":-1}",
        "{\"maxInFlight\":1.5}",
        "{\"maxInFlight\":\"4\"}",
        "{\"connectTimeoutMs\":4294967296}",
        "{\"jitterPercent\":101}",
        "{\"requireHttps\":1}",
        "{\"userAgent\":5}",
        "{\"allowCidrs\":\"127.0.0.0/8\"}",
        "{\"allowCidrs\":[8]}",
        "{\"maxIdleConnections\":true}",
        "{\"caFile\":\"\"}",
        "[1]",
        "{\"maxInFlight\":1",
        "{\"userAgent\":\"a\\r\\nX-Evil: 1\"}",
        "{\"allowCidrs\":[\"300.0.0.0/8\"]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = wh_hub_new_json(&hub, NULL, 0, bad[i]);
        if (rc != WH_EINVAL) print_error("%s -> %d\n", bad[i], rc);
        assert_int_equal(rc, WH_EINVAL);
        assert_null(hub);
    }
    assert_int_equal(wh_hub_new_json(NULL, NULL, 0, NULL), WH_EINVAL);
}

/* wh_hub_new_json must offer every member of wh_hub_options: when a member is added at the end
 * of the struct, this fails until lib/hub_json.c (FIELDS) has a key for it and the last member
 * below is updated. */
static void test_new_json_covers_every_option(void **state)
{
    (void)state;
    size_t end = offsetof(wh_hub_options, default_retry_off) + sizeof(int);
    size_t align = _Alignof(wh_hub_options);
    size_t expected = (end + align - 1) / align * align;
    if (sizeof(wh_hub_options) != expected)
        print_error("wh_hub_options grew: add its new members to FIELDS in lib/hub_json.c, to "
                    "the bindings' option lists, and to this test\n");
    assert_int_equal(sizeof(wh_hub_options), expected);
}

/* The retry policy a subscription without its own gets, as JSON options. */
static void test_new_json_default_retry(void **state)
{
    (void)state;
    wh_hub *hub;
    WH_ASSERT_OK(
        wh_hub_new_json(&hub, NULL, 0,
                        "{\"allowCidrs\":[\"127.0.0.0/8\"],"
                        "\"defaultRetrySchedule\":[1,2],\"defaultRetrySchedule\":[7,8,9]}"));
    const char *json = "{\"id\":\"r1\",\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"a.b\"]}";
    wh_subscription *sub, *got;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    WH_ASSERT_OK(wh_hub_subscription_get(hub, "r1", &got));
    assert_int_equal(wh_subscription_retry_count(got), 3); /* the last key given counts */
    assert_int_equal(wh_subscription_retry_delay(got, 2), 9);
    assert_true(wh_subscription_retry_enabled(got));
    wh_subscription_free(got);
    wh_hub_free(hub);

    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0,
                                 "{\"allowCidrs\":[\"127.0.0.0/8\"],\"defaultRetryOff\":true}"));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    WH_ASSERT_OK(wh_hub_subscription_get(hub, "r1", &got));
    assert_false(wh_subscription_retry_enabled(got));
    wh_subscription_free(got);
    wh_hub_free(hub);
    wh_subscription_free(sub);

    assert_int_equal(wh_hub_new_json(&hub, NULL, 0, "{\"defaultRetrySchedule\":[1,\"2\"]}"),
                     WH_EINVAL);
    assert_true(wh_test_has_detail("defaultRetrySchedule[1]"));
    assert_int_equal(wh_hub_new_json(&hub, NULL, 0, "{\"defaultRetrySchedule\":5}"), WH_EINVAL);
    assert_int_equal(wh_hub_new_json(&hub, NULL, 0, "{\"defaultRetrySchedule\":[999999999]}"),
                     WH_EINVAL); /* over 7 days: the hub's own check */
    assert_int_equal(wh_hub_new_json(&hub, NULL, 0, "{\"defaultRetryOff\":\"yes\"}"), WH_EINVAL);
}

static void test_new_json_store_ownership(void **state)
{
    (void)state;
    /* On error the caller still owns the store, whatever own_store says (ASan would report a
     * double free or a leak otherwise). */
    wh_store *store;
    WH_ASSERT_OK(wh_store_memory_new(&store));
    wh_hub *hub;
    assert_int_equal(wh_hub_new_json(&hub, store, 1, "{\"nope\":true}"), WH_EINVAL);
    assert_int_equal(wh_hub_new_json(&hub, store, 1, "{\"allowCidrs\":[\"1.2.3.4/40\"]}"),
                     WH_EINVAL);
    /* borrowed: the hub leaves it alone */
    WH_ASSERT_OK(wh_hub_new_json(&hub, store, 0, LOOPBACK));
    wh_hub_free(hub);
    /* owned: the hub frees it (a leak otherwise) */
    WH_ASSERT_OK(wh_hub_new_json(&hub, store, 1, LOOPBACK));
    assert_ptr_equal(wh_hub_store(hub), store);
    wh_hub_free(hub);
}

/* ---- the setters ---- */

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

static void test_setters(void **state)
{
    (void)state;
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, LOOPBACK));
    seen s = {0};
    assert_int_equal(wh_hub_set_log(hub, on_log, 4, &s), WH_EINVAL);
    assert_int_equal(wh_hub_set_log(hub, on_log, -1, &s), WH_EINVAL);
    assert_int_equal(wh_hub_set_log(NULL, on_log, 0, &s), WH_EINVAL);
    assert_int_equal(wh_hub_set_on_disable(NULL, on_disable, &s), WH_EINVAL);
    assert_int_equal(wh_hub_set_clock(NULL, fixed_clock, &s), WH_EINVAL);
    WH_ASSERT_OK(wh_hub_set_log(hub, on_log, WH_LOG_WARN, &s));
    WH_ASSERT_OK(wh_hub_set_on_disable(hub, on_disable, &s));
    wh_time_ms now = 1900000000000LL;
    WH_ASSERT_OK(wh_hub_set_clock(hub, fixed_clock, &now));
    assert_int_equal(wh_hub_now(hub), now);

    /* a 410 disables the subscription: the log and on_disable hear of it */
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    wh_receiver_set_status(r, "/gone", 410);
    char id[64];
    add_sub(hub, r, "/gone", id, sizeof(id));
    emit(hub, "order.created", "{}");
    run_idle(hub, 5000);
    assert_int_equal(s.disabled, 1);
    assert_string_equal(s.disabled_id, id);
    assert_non_null(strstr(s.reason, "410"));
    assert_true(s.log_lines >= 1);
    assert_int_equal(s.max_level, WH_LOG_WARN); /* the level filters: the attempt's INFO line is
                                                   left out, the disabling WARN line is not */

    /* the injected clock is the one recorded */
    char *json;
    WH_ASSERT_OK(wh_store_attempt_list_json(wh_hub_store(hub), NULL, id, 0, 1, &json));
    cJSON *root = parse(json);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "attempts"), 0);
    assert_string_equal(str_at(a, "startedAt"), "2030-03-17T17:46:40.000Z");
    cJSON_Delete(root);

    /* turned off: no more calls */
    WH_ASSERT_OK(wh_hub_set_log(hub, NULL, WH_LOG_ERROR, NULL));
    WH_ASSERT_OK(wh_hub_set_on_disable(hub, NULL, NULL));
    WH_ASSERT_OK(wh_hub_set_clock(hub, NULL, NULL));
    assert_true(wh_hub_now(hub) < now);
    int lines = s.log_lines;
    WH_ASSERT_OK(wh_hub_subscription_patch(hub, id, "{\"status\":\"active\"}", 20, NULL));
    emit(hub, "order.created", "{}");
    run_idle(hub, 5000);
    assert_int_equal(s.log_lines, lines);
    assert_int_equal(s.disabled, 1);
    wh_hub_free(hub);
    wh_receiver_stop(r);
}

static void test_pollfds_flat(void **state)
{
    (void)state;
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, LOOPBACK));
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

/* ---- the store's JSON ---- */

static void test_store_json_listings(void **state)
{
    (void)state;
    wh_store *st;
    WH_ASSERT_OK(wh_store_memory_new(&st));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new_json(&hub, st, 1, LOOPBACK));
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 201;
    rule.reply.body = "thanks \"quoted\"";
    rule.reply.body_len = strlen(rule.reply.body);
    wh_receiver_set(r, "/ok", &rule);
    wh_receiver_set_status(r, "/bad", 500);
    char ok_id[64], bad_id[64];
    add_sub(hub, r, "/ok", ok_id, sizeof(ok_id));
    add_sub(hub, r, "/bad", bad_id, sizeof(bad_id));
    assert_int_equal(emit(hub, "order.created", "{\"text\":\"h\\u00e9llo\"}"), 2);
    run_idle(hub, 5000);

    char *json;
    WH_ASSERT_OK(wh_store_subscription_list_json(st, NULL, 0, 0, 0, &json));
    cJSON *root = parse(json);
    assert_int_equal(num_at(root, "total"), 2);
    assert_int_equal(num_at(root, "page"), 1);
    const cJSON *subs = cJSON_GetObjectItem(root, "subscriptions");
    assert_int_equal(cJSON_GetArraySize(subs), 2);
    assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(subs, 0), "secrets"));
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_subscription_list_json(st, NULL, WH_JSON_SECRETS, 1, 2, &json));
    root = parse(json);
    subs = cJSON_GetObjectItem(root, "subscriptions");
    assert_int_equal(cJSON_GetArraySize(subs), 1);
    assert_int_equal(num_at(root, "total"), 2);
    assert_string_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(subs, 0), "secrets"), 0)
            ->valuestring,
        SECRET);
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_subscription_list_json(st, "nobody", 0, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 0);
    cJSON_Delete(root);

    /* deliveries: one succeeded, one failed; filters by subscription and status */
    WH_ASSERT_OK(wh_store_delivery_list_json(st, NULL, -1, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 2);
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_delivery_list_json(st, ok_id, WH_DELIVERY_SUCCEEDED, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 1);
    const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "deliveries"), 0);
    assert_string_equal(str_at(d, "status"), "succeeded");
    assert_string_equal(str_at(d, "subscriptionId"), ok_id);
    assert_string_equal(str_at(d, "eventType"), "order.created");
    assert_string_equal(str_at(d, "method"), "POST");
    assert_int_equal(num_at(d, "lastStatus"), 201);
    assert_int_equal(num_at(d, "attempts"), 1);
    assert_null(cJSON_GetObjectItem(d, "body")); /* only wh_store_delivery_get_json shows it */
    char delivery_id[128];
    snprintf(delivery_id, sizeof(delivery_id), "%s", str_at(d, "id"));
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_delivery_list_json(st, bad_id, WH_DELIVERY_SUCCEEDED, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 0);
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_delivery_list_json(st, bad_id, WH_DELIVERY_FAILED, 0, 1, &json));
    root = parse(json);
    d = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "deliveries"), 0);
    assert_int_equal(num_at(d, "lastStatus"), 500);
    assert_non_null(str_at(d, "lastError"));
    cJSON_Delete(root);

    /* one delivery in full: the body as sent, the headers */
    WH_ASSERT_OK(wh_store_delivery_get_json(st, delivery_id, &json));
    root = parse(json);
    assert_non_null(strstr(str_at(root, "body"), "\"text\":\"h\xc3\xa9llo\""));
    assert_int_equal(num_at(root, "bodyLength"), strlen(str_at(root, "body")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(root, "headers")));
    cJSON_Delete(root);
    assert_int_equal(wh_store_delivery_get_json(st, "no-such-delivery", &json), WH_ENOTFOUND);
    assert_null(json);

    /* attempts, by delivery and by subscription */
    WH_ASSERT_OK(wh_store_attempt_list_json(st, delivery_id, NULL, 0, 1, &json));
    root = parse(json);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "attempts"), 0);
    assert_int_equal(num_at(a, "httpStatus"), 201);
    assert_int_equal(num_at(a, "number"), 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(a, "errorCode")));
    assert_string_equal(str_at(a, "response"), "thanks \"quoted\"");
    assert_string_equal(str_at(a, "deliveryId"), delivery_id);
    cJSON_Delete(root);
    WH_ASSERT_OK(wh_store_attempt_list_json(st, NULL, bad_id, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 1);
    cJSON_Delete(root);

    /* bad arguments */
    assert_int_equal(wh_store_attempt_list_json(st, NULL, NULL, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_attempt_list_json(st, "a", "b", 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_delivery_list_json(st, NULL, 7, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_delivery_list_json(st, NULL, -2, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_subscription_list_json(st, NULL, 0x10, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_subscription_list_json(NULL, NULL, 0, 0, 1, &json), WH_EINVAL);
    assert_int_equal(wh_store_delivery_get_json(st, NULL, &json), WH_EINVAL);
    assert_int_equal(wh_store_delivery_list_json(st, NULL, -1, 0, 1, NULL), WH_EINVAL);

    /* purge: everything finished before a time in the future goes */
    size_t removed = 99;
    WH_ASSERT_OK(wh_store_purge(st, wh_hub_now(hub) + 60000, &removed));
    assert_int_equal(removed, 2);
    WH_ASSERT_OK(wh_store_delivery_list_json(st, NULL, -1, 0, 1, &json));
    root = parse(json);
    assert_int_equal(num_at(root, "total"), 0);
    cJSON_Delete(root);
    assert_int_equal(wh_store_purge(NULL, 0, &removed), WH_EINVAL);
    wh_hub_free(hub);
    wh_receiver_stop(r);
}

static void test_store_json_binary_response(void **state)
{
    (void)state;
    /* a response that is not UTF-8 text comes back as base64 */
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new_json(&hub, NULL, 0, LOOPBACK));
    wh_receiver *r = wh_receiver_start();
    assert_non_null(r);
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 200;
    rule.reply.body = "\xff\xfe\0bin";
    rule.reply.body_len = 6;
    wh_receiver_set(r, "/bin", &rule);
    char id[64];
    add_sub(hub, r, "/bin", id, sizeof(id));
    emit(hub, "order.created", "{}");
    run_idle(hub, 5000);
    char *json;
    WH_ASSERT_OK(wh_store_attempt_list_json(wh_hub_store(hub), NULL, id, 0, 1, &json));
    cJSON *root = parse(json);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "attempts"), 0);
    assert_non_null(a);
    assert_null(cJSON_GetObjectItem(a, "response"));
    assert_string_equal(str_at(a, "responseBase64"), "//4AYmlu");
    cJSON_Delete(root);
    wh_hub_free(hub);
    wh_receiver_stop(r);
}

static void test_sqlite_open_json(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/hooks.db", dir);
    wh_store *st = (wh_store *)&st;
    assert_int_equal(wh_store_sqlite_open_json(&st, path, "{\"readOnly\":true}"), WH_ENOTFOUND);
    assert_null(st);
    assert_int_equal(wh_store_sqlite_open_json(&st, path, "{\"busyTimeout\":1,\"readOnly\":2}"),
                     WH_EINVAL);
    assert_int_equal(wh_error_last_details_count(), 2);
    assert_true(wh_test_has_detail("busyTimeout: unknown option"));
    assert_true(wh_test_has_detail("readOnly: must be true or false"));
    assert_int_equal(wh_store_sqlite_open_json(&st, path, "{\"synchronous\":\"off\"}"), WH_EINVAL);
    assert_int_equal(wh_store_sqlite_open_json(&st, path, "{\"busyTimeoutMs\":-5}"), WH_EINVAL);
    assert_int_equal(wh_store_sqlite_open_json(&st, path, "[]"), WH_EINVAL);
    assert_false(wh_file_exists(path));
    WH_ASSERT_OK(wh_store_sqlite_open_json(&st, path,
                                           "{\"busyTimeoutMs\":100,\"synchronous\":\"normal\","
                                           "\"maxPageCount\":0,\"readOnly\":false}"));
    wh_store_free(st);
    assert_true(wh_file_exists(path));
    WH_ASSERT_OK(wh_store_sqlite_open_json(&st, path, NULL));
    wh_store_free(st);
    /* read-only: a write is refused */
    WH_ASSERT_OK(wh_store_sqlite_open_json(&st, path, "{\"readOnly\":true}"));
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_set_url(sub, "https://example.com/x"));
    WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_EVENTS, "a.b"));
    assert_int_equal(st->sub_create(st, sub), WH_EREADONLY);
    wh_subscription_free(sub);
    wh_store_free(st);
    wh_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_json_defaults_and_options),
        cmocka_unit_test(test_new_json_policy_applies),
        cmocka_unit_test(test_new_json_rejects_bad_options),
        cmocka_unit_test(test_new_json_covers_every_option),
        cmocka_unit_test(test_new_json_default_retry),
        cmocka_unit_test(test_new_json_store_ownership),
        cmocka_unit_test(test_setters),
        cmocka_unit_test(test_pollfds_flat),
        cmocka_unit_test(test_store_json_listings),
        cmocka_unit_test(test_store_json_binary_response),
        cmocka_unit_test(test_sqlite_open_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
