/* Regression tests for bugs the fuzz targets found (tests/fuzz/), one per fix, so each stays
 * fixed in ordinary builds too (gcc's UBSan does not check float-to-integer casts). */
#include "wh_test.h"

/* lib/event_json.c cast any JSON number to long long: 1e300 is undefined behaviour (x86 gave
 * LLONG_MIN, accepted as the id "-9223372036854775808"). Out-of-range or fractional numeric
 * ids are now refused with a detail. */
static void test_event_numeric_id_out_of_range_is_refused(void **state)
{
    (void)state;
    const char *bad[] = {"{\"type\":\"a\",\"id\":1e300}", "{\"type\":\"a\",\"id\":-1e19}",
                         "{\"type\":\"a\",\"id\":1.5}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wh_event *ev = (wh_event *)1;
        assert_int_equal(wh_event_from_json(&ev, bad[i], strlen(bad[i])), WH_EINVAL);
        assert_null(ev);
        assert_true(wh_test_has_detail("id must be a string or an integer"));
    }
    wh_event *ev;
    const char *ok = "{\"type\":\"a\",\"id\":2863878}";
    WH_ASSERT_OK(wh_event_from_json(&ev, ok, strlen(ok)));
    assert_string_equal(wh_event_id(ev), "2863878");
    wh_event_free(ev);
}

/* Same cast in ids/products arrays: huge numbers are not integers we can write back. */
static void test_event_numeric_ids_out_of_range_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"{\"type\":\"a\",\"ids\":[1e300]}",
                         "{\"type\":\"a\",\"products\":[-9.3e18]}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wh_event *ev = (wh_event *)1;
        assert_int_equal(wh_event_from_json(&ev, bad[i], strlen(bad[i])), WH_EINVAL);
        assert_null(ev);
        assert_true(wh_test_has_detail("must hold strings or integers"));
    }
    wh_event *ev;
    const char *ok = "{\"type\":\"a\",\"ids\":[9000000000000000,-5]}";
    WH_ASSERT_OK(wh_event_from_json(&ev, ok, strlen(ok)));
    assert_string_equal(wh_event_ids_joined(ev), "9000000000000000,-5");
    wh_event_free(ev);
}

/* lib/rfc3339.c accepted a leap second on 9999-12-31 that carried into year 10000, which is
 * then written as "10000-01-01T..." and cannot be read back (event and subscription JSON round
 * trips failed). Such a time is now refused; the last representable instant still works. */
static void test_leap_second_past_year_9999_is_refused(void **state)
{
    (void)state;
    wh_event *ev = (wh_event *)1;
    const char *bad = "{\"type\":\"t\",\"occurredAt\":\"9999-12-31T23:59:60.9-23:59\"}";
    assert_int_equal(wh_event_from_json(&ev, bad, strlen(bad)), WH_EINVAL);
    assert_null(ev);
    assert_true(wh_test_has_detail("occurredAt"));
    const char *ok = "{\"type\":\"t\",\"occurredAt\":\"9999-12-31T23:59:59.999-23:59\"}";
    WH_ASSERT_OK(wh_event_from_json(&ev, ok, strlen(ok)));
    char *json;
    WH_ASSERT_OK(wh_event_to_json(ev, &json, NULL));
    assert_non_null(strstr(json, "\"occurredAt\":\"9999-12-31T23:59:59.999-23:59\""));
    wh_event *again;
    WH_ASSERT_OK(wh_event_from_json(&again, json, strlen(json)));
    assert_int_equal(wh_event_occurred_at(again), wh_event_occurred_at(ev));
    wh_event_free(again);
    wh_free(json);
    wh_event_free(ev);
    /* An ordinary leap second still carries into the next minute. */
    const char *leap = "{\"type\":\"t\",\"occurredAt\":\"2016-12-31T23:59:60Z\"}";
    WH_ASSERT_OK(wh_event_from_json(&ev, leap, strlen(leap)));
    assert_int_equal(wh_event_occurred_at(ev), 1483228800000LL);
    wh_event_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_numeric_id_out_of_range_is_refused),
        cmocka_unit_test(test_event_numeric_ids_out_of_range_are_refused),
        cmocka_unit_test(test_leap_second_past_year_9999_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
