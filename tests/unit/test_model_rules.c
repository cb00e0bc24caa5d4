/*
 * The model's rules that the API profiles need and every host gets: secrets of any form for the
 * schemes that are not Standard Webhooks, the body scheme (the secret inside the JSON body),
 * {{data}} in body templates, named retry presets, and patterns AND entity in one subscription.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sign_impl.h"
#include "alloc.h"
#include "wh_test.h"

#define UUID_SECRET "8a67e42d-08b9-4987-9f40-0fe7bfd15a5a" /* seed 000's */
#define STD_SECRET  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static wh_subscription *parse(const char *json, int want)
{
    wh_subscription *sub = NULL;
    int rc = wh_subscription_from_json(&sub, json, strlen(json));
    if (rc != want) print_error("from_json: %s\n", wh_error_last()->message);
    assert_int_equal(rc, want);
    return sub;
}

static void test_secrets_per_scheme(void **state)
{
    (void)state;
    /* standard keeps its whsec_ form */
    assert_int_equal(wh_secret_check_scheme(WH_SCHEME_STANDARD, UUID_SECRET), WH_EINVAL);
    WH_ASSERT_OK(wh_secret_check_scheme(WH_SCHEME_STANDARD, STD_SECRET));
    /* the others take any string of 1..255 bytes without control characters */
    wh_scheme any[] = {WH_SCHEME_GITHUB, WH_SCHEME_STRIPE, WH_SCHEME_BODY, WH_SCHEME_NONE};
    char big[300];
    memset(big, 'k', sizeof(big));
    big[255] = '\0';
    for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++) {
        WH_ASSERT_OK(wh_secret_check_scheme(any[i], UUID_SECRET));
        WH_ASSERT_OK(wh_secret_check_scheme(any[i], "s3cr3t token"));
        WH_ASSERT_OK(wh_secret_check_scheme(any[i], big));
        assert_int_equal(wh_secret_check_scheme(any[i], ""), WH_EINVAL);
        assert_int_equal(wh_secret_check_scheme(any[i], "tab\there"), WH_EINVAL);
        assert_null(strstr(wh_error_last()->message, "tab")); /* never the secret itself */
    }
    big[255] = 'k';
    big[256] = '\0';
    assert_int_equal(wh_secret_check_scheme(WH_SCHEME_GITHUB, big), WH_EINVAL);
    assert_int_equal(wh_secret_check_scheme((wh_scheme)99, "x"), WH_EINVAL);

    /* in JSON, the scheme decides the form of the secret given with it */
    wh_subscription *sub =
        parse("{\"url\":\"https://a.example/h\",\"events\":[\"a.b\"],"
              "\"signature\":{\"scheme\":\"body\"},\"secret\":\"" UUID_SECRET "\"}",
              WH_OK);
    assert_string_equal(wh_subscription_secret_at(sub, 0), UUID_SECRET);
    /* switching to standard with that secret is refused, naming the secrets */
    const char patch[] = "{\"signature\":{\"scheme\":\"standard\"}}";
    int rc = wh_subscription_patch_json(sub, patch, strlen(patch));
    assert_int_equal(rc, WH_EINVAL);
    assert_non_null(strstr(wh_error_last()->details[0], "secrets: the standard scheme"));
    assert_int_equal(wh_subscription_scheme(sub), WH_SCHEME_BODY); /* unchanged */
    /* adding and rotating follow the scheme too */
    WH_ASSERT_OK(wh_subscription_add_secret(sub, "another one", 0));
    WH_ASSERT_OK(wh_subscription_rotate_secret(sub, "third", 0, 1000, NULL));
    wh_subscription_free(sub);
    sub = parse("{\"url\":\"https://a.example/h\",\"events\":[\"a.b\"],\"secret\":\"" UUID_SECRET
                "\"}",
                WH_EINVAL);
    assert_null(sub);
    WH_ASSERT_OK(wh_subscription_new(&sub));
    assert_int_equal(wh_subscription_add_secret(sub, UUID_SECRET, 0), WH_EINVAL);
    assert_int_equal(wh_subscription_rotate_secret(sub, UUID_SECRET, 0, 1000, NULL), WH_EINVAL);
    wh_subscription_free(sub);
}

static char *with_secret(const char *body, const char *secret, int *rc)
{
    whi_buf b = WHI_BUF_INIT;
    *rc = whi_body_add_secret(body, strlen(body), secret, &b);
    char *out = *rc == WH_OK ? whi_buf_detach(&b, NULL) : NULL;
    whi_buf_free(&b);
    return out;
}

static void test_body_scheme_carries_the_secret(void **state)
{
    (void)state;
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"{\"event\":\"purchase_approved\",\"data\":{}}",
         "{\"secret\":\"s\\\"1\",\"event\":\"purchase_approved\",\"data\":{}}"},
        {"{}", "{\"secret\":\"s\\\"1\"}"},
        {"  { }\n", "{\"secret\":\"s\\\"1\" }\n"},
        {"\n{\"a\":1}", "{\"secret\":\"s\\\"1\",\"a\":1}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;
        char *out = with_secret(cases[i].body, "s\"1", &rc);
        WH_ASSERT_OK(rc);
        assert_string_equal(out, cases[i].want);
        /* and the receiver's check accepts it with the secret, refuses it without */
        const char *ok[] = {"other", "s\"1"}, *bad[] = {"s\"2"};
        WH_ASSERT_OK(wh_verify(WH_SCHEME_BODY, ok, 2, NULL, NULL, 0, out, strlen(out), 0, 0));
        assert_int_equal(wh_verify(WH_SCHEME_BODY, bad, 1, NULL, NULL, 0, out, strlen(out), 0, 0),
                         WH_ESIG_MISMATCH);
        whi_free(out);
    }
    const char *not_objects[] = {"[1]", "", "  ", "\"x\"", "null"};
    for (size_t i = 0; i < sizeof(not_objects) / sizeof(not_objects[0]); i++) {
        int rc;
        assert_null(with_secret(not_objects[i], "s", &rc));
        assert_int_equal(rc, WH_EINVAL);
    }
    const char *s[] = {"s"};
    assert_int_equal(wh_verify(WH_SCHEME_BODY, s, 1, NULL, NULL, 0, "{\"a\":1}", 7, 0, 0),
                     WH_ESIG_MISSING);
    assert_int_equal(wh_verify(WH_SCHEME_BODY, s, 1, NULL, NULL, 0, "[1]", 3, 0, 0),
                     WH_ESIG_MALFORMED);
    /* signing adds no header, but still needs a secret */
    wh_headers *h = NULL;
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_BODY, s, 1, "msg_1", 1, "{}", 2));
    assert_int_equal(wh_headers_count(h), 0);
    wh_headers_free(h);
    assert_int_equal(wh_sign(&h, WH_SCHEME_BODY, NULL, 0, "msg_1", 1, "{}", 2), WH_EINVAL);
    assert_int_equal(wh_sign(&h, (wh_scheme)5, s, 1, "msg_1", 1, "{}", 2), WH_EINVAL);
    wh_scheme parsed;
    WH_ASSERT_OK(wh_scheme_parse("body", &parsed));
    assert_int_equal(parsed, WH_SCHEME_BODY);
    assert_string_equal(wh_scheme_name(WH_SCHEME_BODY), "body");
}

static void test_data_placeholder(void **state)
{
    (void)state;
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "purchase_approved"));
    WH_ASSERT_OK(wh_event_set_data(ev, "{\"amount\":5,\"note\":\"a\\\"b\"}", 26));
    wh_template *t;
    const char src[] = "{\"event\":\"{{event.type}}\",\"data\":{{ data }}}";
    WH_ASSERT_OK(wh_template_compile(&t, src, strlen(src), WH_ESCAPE_JSON));
    char *out;
    WH_ASSERT_OK(wh_template_render(t, ev, NULL, 0, &out, NULL));
    assert_string_equal(out, "{\"event\":\"purchase_approved\",\"data\":{\"amount\":5,\"note\":"
                             "\"a\\\"b\"}}");
    wh_free(out);
    wh_template_free(t);
    WH_ASSERT_OK(wh_template_compile(&t, "{{data}}", 8, WH_ESCAPE_RAW));
    wh_template_free(t);
    /* an event without data gives null */
    wh_event *bare;
    WH_ASSERT_OK(wh_event_new(&bare, "a.b"));
    WH_ASSERT_OK(wh_template_compile(&t, "[{{data}}]", 10, WH_ESCAPE_JSON));
    WH_ASSERT_OK(wh_template_render(t, bare, NULL, 0, &out, NULL));
    assert_string_equal(out, "[null]");
    wh_free(out);
    wh_template_free(t);
    /* JSON has no place in a URL or a header */
    assert_int_equal(wh_template_compile(&t, "https://x.example/{{data}}", 26, WH_ESCAPE_URL),
                     WH_EINVAL);
    assert_non_null(strstr(wh_error_last()->message, "only a body"));
    assert_int_equal(wh_template_compile(&t, "{{data}}", 8, WH_ESCAPE_HEADER), WH_EINVAL);
    assert_true(wh_template_name_is_builtin("data"));
    wh_event_free(ev);
    wh_event_free(bare);
}

static void test_retry_presets(void **state)
{
    (void)state;
    const char *names[8];
    size_t n = 0;
    while (n < 8 && (names[n] = wh_retry_preset_name(n)))
        n++;
    assert_int_equal(n, 4);
    assert_string_equal(names[0], "standard");
    assert_string_equal(names[2], "commerce");
    const uint32_t *d;
    size_t count;
    int on;
    WH_ASSERT_OK(wh_retry_preset_get("commerce", &d, &count, &on));
    assert_int_equal(count, 3);
    assert_int_equal(d[0], 600);
    assert_int_equal(d[2], 600);
    assert_true(on);
    WH_ASSERT_OK(wh_retry_preset_get("cakto", &d, &count, &on));
    assert_int_equal(count, 4); /* "retried 4 more times" */
    WH_ASSERT_OK(wh_retry_preset_get("none", NULL, &count, &on));
    assert_false(on);
    assert_int_equal(wh_retry_preset_get("forever", NULL, NULL, NULL), WH_EINVAL);
    assert_non_null(strstr(wh_error_last()->message, "commerce"));

    wh_subscription *sub = parse("{\"url\":\"https://a.example/h\",\"events\":[\"a.b\"],"
                                 "\"retry\":{\"preset\":\"cakto\"}}",
                                 WH_OK);
    assert_int_equal(wh_subscription_retry_count(sub), 4);
    assert_int_equal(wh_subscription_retry_delay(sub, 3), 7200);
    WH_ASSERT_OK(wh_subscription_set_retry_preset(sub, "seed003")); /* the old name */
    assert_int_equal(wh_subscription_retry_count(sub), 3);
    WH_ASSERT_OK(wh_subscription_set_retry_preset(sub, "none"));
    assert_false(wh_subscription_retry_enabled(sub));
    wh_subscription_free(sub);

    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_default_retry_preset(o, "commerce"));
    assert_int_equal(wh_hub_options_set_default_retry_preset(o, "sometimes"), WH_EINVAL);
    assert_int_equal(wh_hub_options_set_default_retry_preset(NULL, "none"), WH_EINVAL);
    wh_hub_options_free(o);
}

static void test_patterns_and_entity(void **state)
{
    (void)state;
    /* seed 002: WEBHOOK.CONVERTED about a CONTACT */
    wh_subscription *sub = parse("{\"url\":\"https://a.example/h\",\"event_type\":"
                                 "\"WEBHOOK.CONVERTED\",\"entity_type\":\"CONTACT\"}",
                                 WH_OK);
    static const struct {
        const char *type, *entity;
        int want;
    } cases[] = {
        {"WEBHOOK.CONVERTED", "CONTACT", 1},
        {"WEBHOOK.CONVERTED", NULL, 0},
        {"WEBHOOK.CONVERTED", "DEAL", 0},
        {"crm_deal_created", "CONTACT", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wh_event *ev;
        WH_ASSERT_OK(wh_event_new(&ev, cases[i].type));
        if (cases[i].entity) WH_ASSERT_OK(wh_event_set_entity(ev, cases[i].entity));
        assert_int_equal(wh_subscription_matches(sub, ev), cases[i].want);
        wh_event_free(ev);
    }
    wh_subscription_free(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets_per_scheme),
        cmocka_unit_test(test_body_scheme_carries_the_secret),
        cmocka_unit_test(test_data_placeholder),
        cmocka_unit_test(test_retry_presets),
        cmocka_unit_test(test_patterns_and_entity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
