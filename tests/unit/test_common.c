/* Error model, version and allocator hook. */
#include <stdlib.h>

#include "error.h"
#include "wh_test.h"

static void test_strerror_covers_every_code(void **state)
{
    (void)state;
    assert_string_equal(wh_strerror(WH_OK), "success");
    assert_string_equal(wh_strerror(WH_EINVAL), "invalid argument");
    assert_string_equal(wh_strerror(WH_ENOTFOUND), "not found");
    assert_string_equal(wh_strerror(WH_ETRANSPORT), "transport failure");
    for (int code = WH_OK; code >= WH_ETRANSPORT; code--)
        assert_string_not_equal(wh_strerror(code), "unknown error");
    assert_string_equal(wh_strerror(WH_ETRANSPORT - 1), "unknown error");
    assert_string_equal(wh_strerror(5), "unknown error");
}

static void test_error_name(void **state)
{
    (void)state;
    assert_string_equal(wh_error_name(WH_OK), "WH_OK");
    assert_string_equal(wh_error_name(WH_EINVAL), "WH_EINVAL");
    assert_string_equal(wh_error_name(WH_ENOTFOUND), "WH_ENOTFOUND");
    assert_string_equal(wh_error_name(WH_ETRANSPORT), "WH_ETRANSPORT");
    assert_string_equal(wh_error_name(WH_ETRANSPORT - 1), "WH_EUNKNOWN");
    assert_string_equal(wh_error_name(1), "WH_EUNKNOWN");
    /* every code has its own name, spelled as in the header */
    for (int a = WH_OK; a >= WH_ETRANSPORT; a--) {
        assert_int_equal(strncmp(wh_error_name(a), "WH_", 3), 0);
        for (int b = a - 1; b >= WH_ETRANSPORT; b--)
            assert_string_not_equal(wh_error_name(a), wh_error_name(b));
    }
}

/* A message built from the current one (the library's habit of prefixing a cause) reads the
 * old text, not the half-written new one: "url: url: ate: ..." before the fix. */
static void test_error_message_may_quote_the_last_one(void **state)
{
    (void)state;
    whi_error(WH_EINVAL, "template: unterminated '{{' at byte 4");
    whi_error(WH_EINVAL, "url: %s", wh_error_last()->message);
    assert_string_equal(wh_error_last_message(), "url: template: unterminated '{{' at byte 4");
    whi_error(WH_ERENDER, "headers.X-A: %s (again: %s)", wh_error_last()->message,
              wh_error_last()->message);
    assert_string_equal(wh_error_last_message(),
                        "headers.X-A: url: template: unterminated '{{' at byte 4 (again: url: "
                        "template: unterminated '{{' at byte 4)");
    assert_int_equal(wh_error_last_code(), WH_ERENDER);
}

static void test_error_last_is_never_null(void **state)
{
    (void)state;
    wh_error_clear();
    const wh_error *e = wh_error_last();
    assert_non_null(e);
    assert_int_equal(e->code, WH_OK);
    assert_string_equal(e->message, "");
    assert_int_equal(e->details_count, 0);
    assert_null(wh_error_last_detail(0));
}

static void test_error_details(void **state)
{
    (void)state;
    whi_error_begin();
    whi_error_detail("name must be 1..255 bytes");
    whi_error_detail("url must be absolute");
    assert_int_equal(whi_error_finish(WH_EINVAL, "invalid %s", "subscription"), WH_EINVAL);
    assert_int_equal(wh_error_last_code(), WH_EINVAL);
    assert_string_equal(wh_error_last_message(), "invalid subscription");
    assert_int_equal(wh_error_last_details_count(), 2);
    assert_string_equal(wh_error_last_detail(1), "url must be absolute");
    /* A plain error replaces the details. */
    whi_error(WH_ENOTFOUND, "no such webhook");
    assert_int_equal(wh_error_last()->details_count, 0);
}

static void test_error_details_overflow_is_summarised(void **state)
{
    (void)state;
    whi_error_begin();
    for (int i = 0; i < 100; i++)
        whi_error_detail("problem %d", i);
    whi_error_finish(WH_EINVAL, "many");
    const wh_error *e = wh_error_last();
    assert_int_equal(e->details_count, 32);
    assert_string_equal(e->details[0], "problem 0");
    assert_non_null(strstr(e->details[31], "69 more problems"));
}

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(wh_version(), WH_VERSION_STRING);
    assert_int_equal(wh_version_num(), WH_VERSION_NUM);
    assert_int_equal(WH_VERSION_NUM,
                     WH_VERSION_MAJOR * 10000 + WH_VERSION_MINOR * 100 + WH_VERSION_PATCH);
}

static size_t g_live, g_calls;

static void *count_malloc(size_t n, void *ud)
{
    (void)ud;
    g_calls++;
    size_t *p = malloc(n + sizeof(size_t) * 2);
    if (!p) return NULL;
    p[0] = n;
    g_live += n;
    return p + 2;
}

static void count_free(void *ptr, void *ud)
{
    (void)ud;
    if (!ptr) return;
    size_t *p = (size_t *)ptr - 2;
    g_live -= p[0];
    free(p);
}

static void *count_realloc(void *ptr, size_t n, void *ud)
{
    void *q = count_malloc(n, ud);
    if (q && ptr) {
        size_t old = ((size_t *)ptr)[-2];
        memcpy(q, ptr, old < n ? old : n);
        count_free(ptr, ud);
    }
    return q;
}

static void test_allocator_hook_reaches_library_and_cjson(void **state)
{
    (void)state;
    wh_allocator bad = WH_ALLOCATOR_INIT;
    assert_int_equal(wh_set_allocator(&bad), WH_EINVAL);

    wh_allocator a = {WH_ALLOCATOR_VERSION, count_malloc, count_realloc, count_free, NULL};
    WH_ASSERT_OK(wh_set_allocator(&a));
    g_calls = 0;
    const char *json = "{\"url\":\"https://example.com/h\",\"events\":[\"a.b\"],"
                       "\"metadata\":{\"k\":[1,2,3]}}";
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    char *out;
    WH_ASSERT_OK(wh_subscription_to_json(sub, 0, &out, NULL));
    assert_true(g_calls > 10); /* library and cJSON allocations both counted */
    wh_free(out);
    wh_subscription_free(sub);
    assert_int_equal(g_live, 0); /* everything allocated through the hook came back to it */
    WH_ASSERT_OK(wh_set_allocator(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_covers_every_code),
        cmocka_unit_test(test_error_name),
        cmocka_unit_test(test_error_message_may_quote_the_last_one),
        cmocka_unit_test(test_error_last_is_never_null),
        cmocka_unit_test(test_error_details),
        cmocka_unit_test(test_error_details_overflow_is_summarised),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_allocator_hook_reaches_library_and_cjson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
