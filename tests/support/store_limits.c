/*
 * Limits of the built-in stores (webhooks/store.h): oversized fields are refused with a clear
 * error and change nothing; over-long error texts and responses are cut. Not part of the
 * conformance suite, since a third-party store may choose other limits.
 */
#include <stdlib.h>

#include "store_limits.h"
#include "wh_test.h"

static void test_oversized_delivery_fields_are_refused(void **state)
{
    wh_store *s = wh_sc_store(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "keep", "s1", 1, 1);
    size_t big = WH_STORE_MAX_HEADERS_LEN + 1;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, 'h', big);
    text[big] = '\0';
    wh_delivery d = wh_sc_delivery("big", "s1", 1, 1);
    const wh_delivery *batch[] = {&d};
    d.headers = text;
    assert_int_equal(s->enqueue(s, batch, 1), WH_ETOOLARGE);
    assert_non_null(strstr(wh_error_last()->message, "headers"));
    d.headers = "{}";
    text[WH_STORE_MAX_URL_LEN + 1] = '\0';
    d.url = text;
    assert_int_equal(s->enqueue(s, batch, 1), WH_ETOOLARGE);
    assert_non_null(strstr(wh_error_last()->message, "url"));
    d.url = NULL;
    d.body_len = (size_t)WH_STORE_MAX_BODY_LEN + 1; /* refused before the body is read */
    assert_int_equal(s->enqueue(s, batch, 1), WH_ETOOLARGE);
    d.body_len = 3;
    d.body = NULL;
    assert_int_equal(s->enqueue(s, batch, 1), WH_EINVAL);
    memset(text, 'i', 256);
    text[256] = '\0';
    d = wh_sc_delivery(text, "s1", 1, 1);
    assert_int_equal(s->enqueue(s, batch, 1), WH_EINVAL);
    assert_non_null(strstr(wh_error_last()->message, "255"));
    d = wh_sc_delivery("big", text, 1, 1);
    assert_int_equal(s->enqueue(s, batch, 1), WH_EINVAL);
    d = wh_sc_delivery("big", "s1", 1, 1);
    d.event_type = "";
    assert_int_equal(s->enqueue(s, batch, 1), WH_EINVAL);
    free(text);
    assert_int_equal(wh_sc_status(s, "big"), -1);
    assert_int_equal(wh_sc_status(s, "keep"), WH_DELIVERY_PENDING);
}

/* Keep a copy of the one attempt listed. */
static int copy_attempt(const wh_attempt *a, void *user_data)
{
    WH_ASSERT_OK(wh_attempt_copy(user_data, a));
    return 1;
}

static void test_long_errors_and_responses_are_cut(void **state)
{
    wh_store *s = wh_sc_store(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "cut", "s1", 1, 1);
    char *err = malloc(5001), *resp = malloc(10000);
    assert_non_null(err);
    assert_non_null(resp);
    memset(err, 'e', 5000);
    memcpy(err + WH_STORE_MAX_ERROR_LEN - 1, "\xc3\xa9", 2); /* an é across the limit */
    err[5000] = '\0';
    memset(resp, 'r', 10000);
    wh_attempt a = {WH_ATTEMPT_VERSION, "cut", NULL, 1, 10, 5, 500, 0, err, resp, 10000};
    wh_outcome o = {WH_DELIVERY_PENDING, 100, err, NULL};
    WH_ASSERT_OK(s->record(s, &a, &o));
    wh_delivery d;
    wh_sc_get(s, "cut", &d);
    assert_int_equal(strlen(d.last_error), WH_STORE_MAX_ERROR_LEN - 1); /* é not split */
    wh_delivery_clear(&d);
    wh_attempt got = {0};
    WH_ASSERT_OK(s->attempt_list(s, "cut", NULL, 0, 1, NULL, copy_attempt, &got));
    assert_int_equal(got.response_len, WH_ATTEMPT_RESPONSE_MAX);
    assert_int_equal(strlen(got.error), WH_STORE_MAX_ERROR_LEN - 1);
    wh_attempt_clear(&got);
    free(err);
    free(resp);
}

static void test_oversized_disabled_reason_changes_nothing(void **state)
{
    wh_store *s = wh_sc_store(state);
    wh_sc_put_sub(s, "s1", NULL, 1);
    wh_sc_put_delivery(s, "dr", "s1", 1, 1);
    char reason[2000];
    memset(reason, 'x', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    wh_sub_stats st = {5, 410, 1, 5, 1, reason};
    assert_int_equal(s->sub_update_stats(s, "s1", &st), WH_EINVAL);
    assert_int_equal(wh_sc_record(s, "dr", 1, 1, 410, WH_DELIVERY_FAILED, 0, &st), WH_EINVAL);
    assert_int_equal(wh_sc_status(s, "dr"), WH_DELIVERY_PENDING);
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, "s1", &sub));
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_ACTIVE);
    assert_int_equal(wh_subscription_last_delivery_status(sub), 0);
    wh_subscription_free(sub);
}

int wh_store_limits_run(const char *name, wh_store_factory make, void *user_data)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_delivery_fields_are_refused),
        cmocka_unit_test(test_long_errors_and_responses_are_cut),
        cmocka_unit_test(test_oversized_disabled_reason_changes_nothing),
    };
    return wh_store_cases_run(name, tests, sizeof(tests) / sizeof(tests[0]), make, user_data);
}
