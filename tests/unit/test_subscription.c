/* wh_subscription: defaults, per-field validation, JSON in and out, patching, secrets. */
#include <stdio.h>
#include <stdlib.h>

#include "wh_test.h"

static wh_subscription *from_json(const char *json)
{
    wh_subscription *sub = NULL;
    int rc = wh_subscription_from_json(&sub, json, strlen(json));
    if (rc != WH_OK) print_error("from_json: %s\n", wh_error_last()->message);
    assert_int_equal(rc, WH_OK);
    return sub;
}

static char *to_json(const wh_subscription *sub, unsigned flags)
{
    char *out = NULL;
    size_t len = 0;
    WH_ASSERT_OK(wh_subscription_to_json(sub, flags, &out, &len));
    assert_int_equal(len, strlen(out));
    return out;
}

static void test_new_has_defaults(void **state)
{
    (void)state;
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    assert_int_equal(strlen(wh_subscription_id(sub)), 36);
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_ACTIVE);
    assert_int_equal(wh_subscription_method(sub), WH_METHOD_POST);
    assert_int_equal(wh_subscription_scheme(sub), WH_SCHEME_STANDARD);
    assert_int_equal(wh_subscription_secret_count(sub), 1);
    WH_ASSERT_OK(wh_secret_check(wh_subscription_secret_at(sub, 0)));
    assert_true(wh_subscription_retry_enabled(sub));
    assert_int_equal(wh_subscription_retry_count(sub), 7);
    assert_int_equal(wh_subscription_retry_delay(sub, 0), 5);
    assert_int_equal(wh_subscription_retry_delay(sub, 6), 36000);
    assert_string_equal(wh_subscription_metadata(sub), "{}");
    assert_true(wh_subscription_created_at(sub) > 1700000000000LL);
    assert_null(wh_subscription_url(sub));
    /* Listens to nothing and has no url yet: not valid as an active subscription. */
    assert_int_equal(wh_subscription_validate(sub), WH_EINVAL);
    assert_true(wh_test_has_detail("url is required"));
    assert_true(wh_test_has_detail("events or entity"));
    wh_subscription_free(sub);
    wh_subscription_free(NULL);
}

static void test_setters_validate_and_leave_value_unchanged(void **state)
{
    (void)state;
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_set_name(sub, "Sistema ERP"));
    char longname[300];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[299] = '\0';
    assert_int_equal(wh_subscription_set_name(sub, longname), WH_EINVAL);
    assert_non_null(strstr(wh_error_last()->message, "name"));
    assert_int_equal(wh_subscription_set_name(sub, ""), WH_EINVAL);
    assert_int_equal(wh_subscription_set_name(sub, "bad \xff utf8"), WH_EINVAL);
    assert_string_equal(wh_subscription_name(sub), "Sistema ERP");

    WH_ASSERT_OK(wh_subscription_set_url(sub, "https://api.example.com/webhook/{{account}}"));
    const char *bad_urls[] = {"ftp://x.example",     "https://",         "/relative",
                              "https://a b.example", "http://host/\x01", "javascript:alert(1)"};
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++)
        assert_int_equal(wh_subscription_set_url(sub, bad_urls[i]), WH_EINVAL);
    char longurl[2100] = "https://example.com/";
    memset(longurl + 20, 'a', 2060);
    longurl[2080] = '\0';
    assert_int_equal(wh_subscription_set_url(sub, longurl), WH_EINVAL);
    assert_string_equal(wh_subscription_url(sub), "https://api.example.com/webhook/{{account}}");

    assert_int_equal(wh_subscription_set_id(sub, "has/slash"), WH_EINVAL);
    assert_int_equal(wh_subscription_set_id(sub, NULL), WH_EINVAL);
    WH_ASSERT_OK(wh_subscription_set_id(sub, "2863878"));
    assert_int_equal(wh_subscription_set_method(sub, (wh_method)42), WH_EINVAL);
    assert_int_equal(wh_subscription_set_status(sub, (wh_status)-1), WH_EINVAL);
    assert_int_equal(wh_subscription_set_scheme(sub, (wh_scheme)9), WH_EINVAL);
    /* NULL objects are errors, not crashes. */
    assert_int_equal(wh_subscription_set_name(NULL, "x"), WH_EINVAL);
    assert_int_equal(wh_subscription_set_url(NULL, "https://x"), WH_EINVAL);
    assert_null(wh_subscription_id(NULL));
    wh_subscription_free(sub);
}

static void test_event_patterns_validated(void **state)
{
    (void)state;
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    const char *good[] = {"recognition.created",
                          "WEBHOOK.CONVERTED",
                          "purchase_approved",
                          "order.*",
                          "order.**",
                          "*",
                          "a.*.c"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_EVENTS, good[i]));
    const char *bad[] = {"",       "order.",     ".order",    "order..x",
                         "ord*er", "order.**.x", "has space", "order.***"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(wh_subscription_list_add(sub, WH_LIST_EVENTS, bad[i]), WH_EINVAL);
    WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_EVENTS, "order.*")); /* duplicate */
    assert_int_equal(wh_subscription_list_count(sub, WH_LIST_EVENTS), 7);
    assert_string_equal(wh_subscription_list_at(sub, WH_LIST_EVENTS, 3), "order.*");
    assert_null(wh_subscription_list_at(sub, WH_LIST_EVENTS, 7));
    assert_int_equal(wh_subscription_list_add(sub, (wh_sub_list)9, "x"), WH_EINVAL);
    WH_ASSERT_OK(wh_subscription_list_clear(sub, WH_LIST_EVENTS));
    assert_int_equal(wh_subscription_list_count(sub, WH_LIST_EVENTS), 0);
    wh_subscription_free(sub);
}

static void test_headers_rules(void **state)
{
    (void)state;
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_set_header(sub, "X-Source", "placaflow"));
    WH_ASSERT_OK(wh_subscription_set_header(sub, "x-source", "erp")); /* same header */
    assert_int_equal(wh_subscription_header_count(sub), 1);
    assert_string_equal(wh_subscription_header_value(sub, 0), "erp");
    WH_ASSERT_OK(wh_subscription_set_header(sub, "Content-Type", "application/xml"));
    const char *reserved[] = {
        "webhook-signature", "Webhook-Id",  "X-Hub-Signature-256", "Stripe-Signature",
        "x-idempotency-key", "X-Timestamp", "Content-Length",      "Host",
        "User-Agent"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        assert_true(wh_header_is_reserved(reserved[i]));
        assert_int_equal(wh_subscription_set_header(sub, reserved[i], "x"), WH_EINVAL);
        assert_non_null(strstr(wh_error_last()->message, "cannot be overridden"));
    }
    assert_int_equal(wh_subscription_set_header(sub, "Bad Name", "x"), WH_EINVAL);
    assert_int_equal(wh_subscription_set_header(sub, "X-Inject", "a\r\nEvil: 1"), WH_EINVAL);
    assert_int_equal(wh_subscription_set_header(sub, "X-Nul", "a\nb"), WH_EINVAL);
    WH_ASSERT_OK(wh_subscription_set_header(sub, "X-Source", NULL)); /* removes */
    assert_int_equal(wh_subscription_header_count(sub), 1);
    assert_string_equal(wh_subscription_header_name(sub, 0), "Content-Type");
    wh_subscription_free(sub);
}

static void test_secrets_and_rotation(void **state)
{
    (void)state;
    char *gen;
    WH_ASSERT_OK(wh_secret_generate(&gen));
    assert_int_equal(strncmp(gen, "whsec_", 6), 0);
    assert_int_equal(strlen(gen), 6 + 44); /* base64 of 32 bytes */
    WH_ASSERT_OK(wh_secret_check(gen));
    assert_int_equal(wh_secret_check("whsec_c2hvcnQ="), WH_EINVAL); /* 5 bytes */
    assert_int_equal(wh_secret_check("sk_notwhsec"), WH_EINVAL);
    assert_int_equal(wh_secret_check("whsec_!!!!"), WH_EINVAL);
    assert_int_equal(wh_secret_check(NULL), WH_EINVAL);

    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_clear_secrets(sub));
    WH_ASSERT_OK(wh_subscription_add_secret(sub, gen, 0));
    const wh_time_ms now = 1800000000000LL;
    char *fresh;
    WH_ASSERT_OK(wh_subscription_rotate_secret(sub, NULL, 0, now, &fresh));
    assert_int_equal(wh_subscription_secret_count(sub), 2);
    assert_string_equal(wh_subscription_secret_at(sub, 0), fresh);
    assert_int_equal(wh_subscription_secret_expires_at(sub, 0), 0);
    assert_string_equal(wh_subscription_secret_at(sub, 1), gen);
    assert_int_equal(wh_subscription_secret_expires_at(sub, 1), now + 24 * 3600 * 1000LL);
    /* During the overlap both sign; after it, only the new one. */
    assert_int_equal(wh_subscription_signing_secret_count(sub, now + 1000), 2);
    assert_int_equal(wh_subscription_signing_secret_count(sub, now + 24 * 3600 * 1000LL), 1);
    assert_string_equal(wh_subscription_signing_secret_at(sub, now + 24 * 3600 * 1000LL, 0), fresh);
    assert_null(wh_subscription_signing_secret_at(sub, now + 24 * 3600 * 1000LL, 1));
    assert_int_equal(wh_subscription_prune_secrets(sub, now + 24 * 3600 * 1000LL), 1);
    assert_int_equal(wh_subscription_secret_count(sub), 1);
    assert_int_equal(wh_subscription_rotate_secret(sub, "whsec_bad", 0, now, NULL), WH_EINVAL);
    assert_int_equal(wh_subscription_secret_count(sub), 1);
    wh_free(fresh);
    wh_free(gen);
    wh_subscription_free(sub);
}

static void test_retry_schedule(void **state)
{
    (void)state;
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    const uint32_t seed003[] = {600, 600, 600};
    WH_ASSERT_OK(wh_subscription_set_retry_schedule(sub, seed003, 3));
    assert_int_equal(wh_subscription_retry_count(sub), 3);
    assert_int_equal(wh_subscription_retry_delay(sub, 2), 600);
    uint32_t too_long[40] = {0};
    assert_int_equal(wh_subscription_set_retry_schedule(sub, too_long, 40), WH_EINVAL);
    const uint32_t too_far[] = {8 * 24 * 3600};
    assert_int_equal(wh_subscription_set_retry_schedule(sub, too_far, 1), WH_EINVAL);
    assert_int_equal(wh_subscription_retry_count(sub), 3);
    WH_ASSERT_OK(wh_subscription_set_retry_schedule(sub, NULL, 0));
    assert_int_equal(wh_subscription_retry_count(sub), 0);
    wh_subscription_free(sub);
}

static void test_retry_presets_and_timeouts(void **state)
{
    (void)state;
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_set_retry_preset(sub, "seed003"));
    assert_int_equal(wh_subscription_retry_count(sub), 3);
    assert_int_equal(wh_subscription_retry_delay(sub, 0), 600);
    WH_ASSERT_OK(wh_subscription_set_retry_preset(sub, "none"));
    assert_false(wh_subscription_retry_enabled(sub));
    WH_ASSERT_OK(wh_subscription_set_retry_preset(sub, "standard"));
    assert_true(wh_subscription_retry_enabled(sub));
    assert_int_equal(wh_subscription_retry_count(sub), 7);
    assert_int_equal(wh_subscription_set_retry_preset(sub, "forever"), WH_EINVAL);
    WH_ASSERT_OK(wh_subscription_set_timeouts(sub, 500, 2000));
    assert_int_equal(wh_subscription_connect_timeout_ms(sub), 500);
    assert_int_equal(wh_subscription_total_timeout_ms(sub), 2000);
    assert_int_equal(wh_subscription_set_timeouts(sub, 700000, 0), WH_EINVAL);
    wh_subscription_free(sub);

    const char *json = "{\"url\":\"https://e.com/h\",\"events\":[\"a\"],"
                       "\"retry\":{\"preset\":\"seed003\"},\"timeouts\":{\"totalMs\":1500}}";
    sub = from_json(json);
    assert_int_equal(wh_subscription_retry_count(sub), 3);
    assert_int_equal(wh_subscription_total_timeout_ms(sub), 1500);
    assert_int_equal(wh_subscription_connect_timeout_ms(sub), 0);
    char *out = to_json(sub, 0);
    assert_non_null(strstr(out, "\"timeouts\":{\"connectMs\":0,\"totalMs\":1500}"));
    assert_non_null(strstr(out, "\"schedule\":[600,600,600]"));
    wh_free(out);
    wh_subscription_free(sub);
    const char *bad =
        "{\"url\":\"https://e.com/h\",\"events\":[\"a\"],\"timeouts\":{\"totalMs\":-1}}";
    assert_int_equal(wh_subscription_from_json(&sub, bad, strlen(bad)), WH_EINVAL);
    assert_true(wh_test_has_detail("timeouts.totalMs"));
}

static const char *FULL_JSON =
    "{\"id\":\"w1b2c3d4-5678-9abc-def0-123456789abc\",\"ownerId\":\"owner-1\",\"name\":\"ERP\","
    "\"description\":\"orders to the ERP\",\"url\":\"https://erp.example.com/hooks/{{entity}}\","
    "\"method\":\"PUT\",\"status\":\"disabled\",\"disabledReason\":\"paused by owner\","
    "\"events\":[\"order.*\",\"invoice.paid\"],\"entity\":\"Order\",\"actions\":[\"create\","
    "\"cancel\"],\"filters\":{\"products\":[\"p1\",\"p2\"],\"eventIdentifiers\":[\"form-1\"],"
    "\"source\":\"MKT\"},\"headers\":{\"X-Source\":\"erp\"},\"body\":\"{\\\"e\\\":\\\"{{entity}}"
    "\\\"}\","
    "\"includeRelations\":[\"COMPANY\"],\"signature\":{\"scheme\":\"stripe\"},"
    "\"secrets\":[\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"],\"previousSecrets\":[{\"secret\":"
    "\"whsec_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6\",\"expiresAt\":\"2030-01-01T00:00:00.000Z\"}],"
    "\"retry\":{\"enabled\":true,\"schedule\":[5,300,1800]},\"metadata\":{\"fields\":{\"k\":1}},"
    "\"createdAt\":\"2026-03-10T10:00:00.000Z\",\"updatedAt\":\"2026-03-20T14:00:00.000-03:00\","
    "\"lastDeliveryAt\":\"2026-03-22T14:30:00.000Z\",\"lastDeliveryStatus\":200,"
    "\"failureCount\":3,\"failingSince\":\"2026-03-21T00:00:00.000Z\"}";

static void test_json_round_trip_is_exact(void **state)
{
    (void)state;
    wh_subscription *sub = from_json(FULL_JSON);
    assert_string_equal(wh_subscription_owner(sub), "owner-1");
    assert_int_equal(wh_subscription_method(sub), WH_METHOD_PUT);
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_DISABLED);
    assert_int_equal(wh_subscription_scheme(sub), WH_SCHEME_STRIPE);
    assert_int_equal(wh_subscription_secret_count(sub), 2);
    assert_int_equal(wh_subscription_failure_count(sub), 3);
    assert_int_equal(wh_subscription_last_delivery_status(sub), 200);
    char *a = to_json(sub, WH_JSON_SECRETS);
    wh_subscription *again = from_json(a);
    char *b = to_json(again, WH_JSON_SECRETS);
    assert_string_equal(a, b); /* a second round trip changes nothing */
    assert_non_null(strstr(a, "\"updatedAt\":\"2026-03-20T14:00:00.000-03:00\""));
    assert_non_null(strstr(a, "\"previousSecrets\":[{\"secret\":\"whsec_a1b2"));
    assert_non_null(strstr(a, "\"schedule\":[5,300,1800]"));
    assert_non_null(strstr(a, "\"metadata\":{\"fields\":{\"k\":1}}"));
    wh_free(a);
    wh_free(b);
    wh_subscription_free(again);
    wh_subscription_free(sub);
}

static void test_json_secrets_left_out_by_default(void **state)
{
    (void)state;
    wh_subscription *sub = from_json(FULL_JSON);
    char *listing = to_json(sub, 0);
    assert_null(strstr(listing, "whsec_"));
    assert_null(strstr(listing, "\"secrets\""));
    char *full = to_json(sub, WH_JSON_SECRETS);
    assert_non_null(strstr(full, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    wh_free(listing);
    wh_free(full);
    wh_subscription_free(sub);
}

static void test_json_defaults_generate_id_and_secret(void **state)
{
    (void)state;
    wh_subscription *sub =
        from_json("{\"url\":\"https://example.com/h\",\"events\":[\"recognition.created\"]}");
    assert_int_equal(strlen(wh_subscription_id(sub)), 36);
    assert_int_equal(wh_subscription_secret_count(sub), 1);
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_ACTIVE);
    wh_subscription_free(sub);
    /* scheme none needs no secret, and none is generated */
    sub = from_json("{\"url\":\"https://example.com/h\",\"events\":[\"a\"],"
                    "\"signature\":{\"scheme\":\"none\"}}");
    assert_int_equal(wh_subscription_secret_count(sub), 0);
    wh_subscription_free(sub);
}

static void test_json_errors_list_every_problem(void **state)
{
    (void)state;
    const char *json = "{\"name\":\"\",\"url\":\"ftp://x\",\"method\":\"TRACE\",\"status\":\"on\","
                       "\"events\":[\"ok.event\",\"bad..event\",7],\"headers\":{\"Host\":\"x\"},"
                       "\"secrets\":[\"nope\"],\"retry\":{\"schedule\":[-1]},\"metadata\":[]}";
    wh_subscription *sub = (wh_subscription *)0x1;
    assert_int_equal(wh_subscription_from_json(&sub, json, strlen(json)), WH_EINVAL);
    assert_null(sub);
    assert_string_equal(wh_error_last()->message, "invalid subscription");
    const char *expect[] = {"name", "url",    "method",         "status",  "events",
                            "Host", "secret", "retry.schedule", "metadata"};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        if (!wh_test_has_detail(expect[i])) print_error("missing detail about %s\n", expect[i]);
        assert_true(wh_test_has_detail(expect[i]));
    }
    assert_true(wh_error_last()->details_count >= 9);
}

static void test_json_malformed_and_hostile_input(void **state)
{
    (void)state;
    wh_subscription *sub;
    const char *bad[] = {
        "", "{", "[]", "null", "{\"url\":}", "{\"a\":1} trailing", "{\"name\":\"\xff\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(wh_subscription_from_json(&sub, bad[i], strlen(bad[i])), WH_EINVAL);
    assert_int_equal(wh_subscription_from_json(&sub, NULL, 0), WH_EINVAL);
    assert_int_equal(wh_subscription_from_json(NULL, "{}", 2), WH_EINVAL);
    /* Deep nesting is refused by the parser, not a stack overflow. */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 16);
    strcpy(deep, "{\"metadata\":");
    size_t n = strlen(deep);
    memset(deep + n, '[', depth);
    memset(deep + n + depth, ']', depth);
    strcpy(deep + n + 2 * depth, "}");
    assert_int_equal(wh_subscription_from_json(&sub, deep, strlen(deep)), WH_EINVAL);
    free(deep);
    /* Input need not be NUL-terminated: the length is honoured. */
    const char *json = "{\"url\":\"https://e.com/h\",\"events\":[\"a\"]}GARBAGE";
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json) - 7));
    wh_subscription_free(sub);
}

static void test_patch_changes_only_given_fields(void **state)
{
    (void)state;
    wh_subscription *sub = from_json(FULL_JSON);
    wh_time_ms created = wh_subscription_created_at(sub), updated = wh_subscription_updated_at(sub);
    const char *patch = "{\"name\":\"ERP v2\",\"description\":null,\"status\":\"active\"}";
    WH_ASSERT_OK(wh_subscription_patch_json(sub, patch, strlen(patch)));
    assert_string_equal(wh_subscription_name(sub), "ERP v2");
    assert_null(wh_subscription_description(sub));
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_ACTIVE);
    assert_null(wh_subscription_disabled_reason(sub)); /* cleared by activation */
    assert_string_equal(wh_subscription_url(sub), "https://erp.example.com/hooks/{{entity}}");
    assert_int_equal(wh_subscription_secret_count(sub), 2);
    assert_int_equal(wh_subscription_created_at(sub), created);
    assert_true(wh_subscription_updated_at(sub) > updated); /* stamped with the clock */
    wh_subscription_free(sub);
}

static void test_patch_is_all_or_nothing(void **state)
{
    (void)state;
    wh_subscription *sub = from_json(FULL_JSON);
    char *before = to_json(sub, WH_JSON_SECRETS);
    const char *patches[] = {
        "{\"name\":\"new\",\"url\":\"not a url\"}", /* one bad field */
        "{\"id\":\"other-id\"}",                    /* read-only */
        "{\"failureCount\":0}",                     /* read-only */
        "{\"createdAt\":\"2020-01-01T00:00:00Z\"}", /* read-only */
        "{\"url\":null}",                           /* would leave a non-waiting sub without url */
        "{\"name\":",                               /* malformed */
    };
    for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
        assert_int_equal(wh_subscription_patch_json(sub, patches[i], strlen(patches[i])),
                         WH_EINVAL);
        char *after = to_json(sub, WH_JSON_SECRETS);
        assert_string_equal(before, after);
        wh_free(after);
    }
    wh_free(before);
    wh_subscription_free(sub);
}

static void test_waiting_config_may_lack_url(void **state)
{
    (void)state;
    wh_subscription *sub = from_json("{\"status\":\"waiting_config\",\"name\":\"later\"}");
    assert_null(wh_subscription_url(sub));
    const char *activate = "{\"status\":\"active\"}";
    assert_int_equal(wh_subscription_patch_json(sub, activate, strlen(activate)), WH_EINVAL);
    const char *configure =
        "{\"status\":\"active\",\"url\":\"https://e.com/h\",\"events\":[\"x\"]}";
    WH_ASSERT_OK(wh_subscription_patch_json(sub, configure, strlen(configure)));
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_ACTIVE);
    wh_subscription_free(sub);
}

static void test_clone_is_deep(void **state)
{
    (void)state;
    wh_subscription *sub = from_json(FULL_JSON);
    wh_subscription *copy;
    WH_ASSERT_OK(wh_subscription_clone(&copy, sub));
    char *a = to_json(sub, WH_JSON_SECRETS);
    wh_subscription_free(sub); /* the copy owns its own memory */
    char *b = to_json(copy, WH_JSON_SECRETS);
    assert_string_equal(a, b);
    wh_free(a);
    wh_free(b);
    wh_subscription_free(copy);
}

static wh_subscription *from(const char *json)
{
    wh_subscription *sub = NULL;
    int rc = wh_subscription_from_json(&sub, json, strlen(json));
    return rc == WH_OK ? sub : NULL;
}

static void test_rate_limit(void **state)
{
    (void)state;
    wh_subscription *s = from("{\"url\":\"https://a.example/h\",\"events\":[\"a.b\"],"
                              "\"rateLimit\":{\"requests\":10,\"periodMs\":1000,\"burst\":30}}");
    assert_non_null(s);
    uint32_t n, per, burst;
    wh_subscription_rate_limit(s, &n, &per, &burst);
    assert_int_equal(n, 10);
    assert_int_equal(per, 1000);
    assert_int_equal(burst, 30);
    char *json;
    size_t len;
    WH_ASSERT_OK(wh_subscription_to_json(s, 0, &json, &len));
    assert_non_null(strstr(json, "\"rateLimit\":{\"requests\":10,\"periodMs\":1000,\"burst\":30}"));
    wh_free(json);
    /* null removes it, and a subscription without one has no rateLimit in its JSON */
    const char *off = "{\"rateLimit\":null}";
    WH_ASSERT_OK(wh_subscription_patch_json(s, off, strlen(off)));
    wh_subscription_rate_limit(s, &n, &per, &burst);
    assert_int_equal(n + per + burst, 0);
    WH_ASSERT_OK(wh_subscription_to_json(s, 0, &json, &len));
    assert_null(strstr(json, "rateLimit"));
    wh_free(json);
    /* the setter checks its ranges and leaves the value alone */
    assert_int_equal(wh_subscription_set_rate_limit(s, 5, 0, 0), WH_EINVAL);
    assert_int_equal(wh_subscription_set_rate_limit(s, 1000001, 1000, 0), WH_EINVAL);
    assert_int_equal(wh_subscription_set_rate_limit(s, 5, 86400001, 0), WH_EINVAL);
    WH_ASSERT_OK(wh_subscription_set_rate_limit(s, 5, 86400000, 0));
    wh_subscription_free(s);
    /* bad JSON names the field */
    const char *bad[][2] = {
        {"{\"url\":\"https://a.example/h\",\"events\":[\"a\"],\"rateLimit\":5}",
         "rateLimit must be an object"},
        {"{\"url\":\"https://a.example/h\",\"events\":[\"a\"],\"rateLimit\":{\"requests\":0,"
         "\"periodMs\":1000}}",
         "rateLimit.requests"},
        {"{\"url\":\"https://a.example/h\",\"events\":[\"a\"],\"rateLimit\":{\"requests\":2}}",
         "rateLimit needs requests and periodMs"},
        {"{\"url\":\"https://a.example/h\",\"events\":[\"a\"],\"rateLimit\":{\"requests\":2,"
         "\"periodMs\":\"1s\"}}",
         "rateLimit.periodMs"},
        {"{\"url\":\"https://a.example/h\",\"events\":[\"a\"],\"rateLimit\":{\"requests\":2.5,"
         "\"periodMs\":1000}}",
         "rateLimit.requests"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(from(bad[i][0]));
        assert_true(wh_test_has_detail(bad[i][1]));
    }
}

static void test_enum_names(void **state)
{
    (void)state;
    wh_method m;
    WH_ASSERT_OK(wh_method_parse("patch", &m));
    assert_int_equal(m, WH_METHOD_PATCH);
    assert_string_equal(wh_method_name(WH_METHOD_DELETE), "DELETE");
    wh_status s;
    WH_ASSERT_OK(wh_status_parse("waiting_config", &s));
    assert_int_equal(wh_status_parse("Active", &s), WH_EINVAL);
    wh_scheme sc;
    WH_ASSERT_OK(wh_scheme_parse("github", &sc));
    assert_int_equal(sc, WH_SCHEME_GITHUB);
    assert_null(wh_scheme_name((wh_scheme)7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_has_defaults),
        cmocka_unit_test(test_setters_validate_and_leave_value_unchanged),
        cmocka_unit_test(test_event_patterns_validated),
        cmocka_unit_test(test_headers_rules),
        cmocka_unit_test(test_secrets_and_rotation),
        cmocka_unit_test(test_retry_schedule),
        cmocka_unit_test(test_retry_presets_and_timeouts),
        cmocka_unit_test(test_json_round_trip_is_exact),
        cmocka_unit_test(test_json_secrets_left_out_by_default),
        cmocka_unit_test(test_json_defaults_generate_id_and_secret),
        cmocka_unit_test(test_json_errors_list_every_problem),
        cmocka_unit_test(test_json_malformed_and_hostile_input),
        cmocka_unit_test(test_patch_changes_only_given_fields),
        cmocka_unit_test(test_patch_is_all_or_nothing),
        cmocka_unit_test(test_waiting_config_may_lack_url),
        cmocka_unit_test(test_clone_is_deep),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_enum_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
