/* The memory store: the conformance suite and the built-in stores' limits. */
#include "store_conformance.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_new_rejects_null)};
    int failed = cmocka_run_group_tests_name("store_memory_api", tests, NULL, NULL);
    failed += wh_store_conformance_run("store_memory", make_memory, NULL);
    failed += wh_store_limits_run("store_memory_limits", make_memory, NULL);
    return failed ? 1 : 0;
}
