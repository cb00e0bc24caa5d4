/* The memory store: the conformance suite and the built-in stores' limits. */
#include <webhooks/conformance.h>
#include "store_limits.h"
#include "wh_test.h"

static int make_memory(wh_store **out, void *user_data)
{
    (void)user_data;
    return wh_store_memory_new(out);
}

static void test_new_rejects_null(void **state)
{
    (void)state;
    assert_int_equal(wh_store_memory_new(NULL), WH_EINVAL);
    wh_store_free(NULL); /* a no-op */
}

static void test_delivery_status_names(void **state)
{
    (void)state;
    const char *names[] = {"pending", "in_flight", "succeeded", "failed"};
    for (int i = 0; i < 4; i++) {
        wh_delivery_status st;
        assert_string_equal(wh_delivery_status_name((wh_delivery_status)i), names[i]);
        WH_ASSERT_OK(wh_delivery_status_parse(names[i], &st));
        assert_int_equal(st, i);
    }
    wh_delivery_status st = WH_DELIVERY_FAILED;
    assert_null(wh_delivery_status_name((wh_delivery_status)4));
    assert_null(wh_delivery_status_name((wh_delivery_status)-1));
    assert_int_equal(wh_delivery_status_parse("Pending", &st), WH_EINVAL);
    assert_int_equal(wh_delivery_status_parse(NULL, &st), WH_EINVAL);
    assert_int_equal(wh_delivery_status_parse("failed", NULL), WH_EINVAL);
    assert_int_equal(st, WH_DELIVERY_FAILED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_new_rejects_null),
                                       cmocka_unit_test(test_delivery_status_names)};
    int failed = cmocka_run_group_tests_name("store_memory_api", tests, NULL, NULL);
    failed += wh_store_conformance_run("store_memory", make_memory, NULL);
    failed += wh_store_limits_run("store_memory_limits", make_memory, NULL);
    return failed ? 1 : 0;
}
