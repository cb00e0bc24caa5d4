/* Signing: known answers of the three schemes, several secrets, rotation, the fast path used by
 * the delivery engine, and argument errors. Verification failures are in test_verify.c. */
#include <stdlib.h>

#include "event_impl.h"
#include "rfc3339.h"
#include "compiler.h"
#include "sign_impl.h"
#include "wh_test.h"

/* Standard Webhooks' published test vector. */
#define STD_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define STD_ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define STD_TS     1614265330
#define STD_BODY   "{\"test\": 2432232314}"
#define STD_SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

/* GitHub's published example (docs: "Validating webhook deliveries"). */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY   "Hello, World!"
#define GH_SIG    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

/*
 * Stripe publishes no fixed vector, so this one was derived by hand from the documented formula
 * (HMAC-SHA256 keyed with the whole secret string, over "<t>.<body>", lowercase hex) with three
 * independent tools at authoring time, which all gave the same digest:
 *   printf '%s' '1614265330.{"id":"evt_test_webhook","object":"event"}' |
 *       openssl dgst -sha256 -hmac 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 *   python3 hmac.new(b'whsec_MfKQ...', b'1614265330.{...}', hashlib.sha256).hexdigest()
 *   stripe-node 23.1.0 webhooks.generateTestHeaderString({payload, secret, timestamp})
 */
#define ST_SECRET STD_SECRET
#define ST_TS     1614265330
#define ST_BODY   "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}"
#define ST_HEADER "t=1614265330,v1=7d89f21b36f902d6c7b971e3eed605afe431322307fd72ded522a0758bd2daab"

static int verify1(wh_scheme scheme, const char *secret, const char *const *names,
                   const char *const *values, size_t n, const char *body, int64_t now)
{
    const char *secrets[] = {secret};
    return wh_verify(scheme, secrets, 1, names, values, n, body, strlen(body), now, 0);
}

static void test_standard_known_answer(void **state)
{
    (void)state;
    const char *secrets[] = {STD_SECRET};
    wh_headers *h;
    WH_ASSERT_OK(
        wh_sign(&h, WH_SCHEME_STANDARD, secrets, 1, STD_ID, STD_TS, STD_BODY, strlen(STD_BODY)));
    assert_int_equal(wh_headers_count(h), 3);
    assert_string_equal(wh_headers_name(h, 0), "webhook-id");
    assert_string_equal(wh_headers_value(h, 0), STD_ID);
    assert_string_equal(wh_headers_name(h, 1), "webhook-timestamp");
    assert_string_equal(wh_headers_value(h, 1), "1614265330");
    assert_string_equal(wh_headers_name(h, 2), "webhook-signature");
    assert_string_equal(wh_headers_value(h, 2), STD_SIG);
    assert_string_equal(wh_headers_get(h, "WEBHOOK-SIGNATURE"), STD_SIG);
    assert_null(wh_headers_get(h, "stripe-signature"));
    assert_null(wh_headers_name(h, 3));
    assert_null(wh_headers_value(h, 3));
    wh_headers_free(h);

    const char *names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[] = {STD_ID, "1614265330", STD_SIG};
    WH_ASSERT_OK(verify1(WH_SCHEME_STANDARD, STD_SECRET, names, values, 3, STD_BODY, STD_TS));
    /* The "whsec_" prefix is optional, as in the Standard Webhooks libraries. */
    WH_ASSERT_OK(verify1(WH_SCHEME_STANDARD, STD_SECRET + 6, names, values, 3, STD_BODY, STD_TS));
}

static void test_github_known_answer(void **state)
{
    (void)state;
    const char *secrets[] = {GH_SECRET};
    wh_headers *h;
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_GITHUB, secrets, 1, NULL, 0, GH_BODY, strlen(GH_BODY)));
    assert_int_equal(wh_headers_count(h), 1);
    assert_string_equal(wh_headers_name(h, 0), "X-Hub-Signature-256");
    assert_string_equal(wh_headers_value(h, 0), GH_SIG);
    wh_headers_free(h);

    const char *names[] = {"x-hub-signature-256"};
    const char *values[] = {GH_SIG};
    WH_ASSERT_OK(verify1(WH_SCHEME_GITHUB, GH_SECRET, names, values, 1, GH_BODY, 0));
}

static void test_stripe_known_answer_both_ways(void **state)
{
    (void)state;
    const char *secrets[] = {ST_SECRET};
    wh_headers *h;
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_STRIPE, secrets, 1, NULL, ST_TS, ST_BODY, strlen(ST_BODY)));
    assert_int_equal(wh_headers_count(h), 1);
    assert_string_equal(wh_headers_name(h, 0), "Stripe-Signature");
    assert_string_equal(wh_headers_value(h, 0), ST_HEADER);
    wh_headers_free(h);

    /* And the hand-derived header verifies, also with a test-mode v0 item Stripe adds. */
    const char *names[] = {"stripe-signature"};
    const char *values[] = {ST_HEADER};
    WH_ASSERT_OK(verify1(WH_SCHEME_STRIPE, ST_SECRET, names, values, 1, ST_BODY, ST_TS + 10));
    const char *with_v0[] = {ST_HEADER ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816e"
                                       "db039989a39"};
    WH_ASSERT_OK(verify1(WH_SCHEME_STRIPE, ST_SECRET, names, with_v0, 1, ST_BODY, ST_TS));
}

static void test_none_has_no_headers(void **state)
{
    (void)state;
    wh_headers *h;
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_NONE, NULL, 0, NULL, 0, "x", 1));
    assert_int_equal(wh_headers_count(h), 0);
    assert_null(wh_headers_name(h, 0));
    wh_headers_free(h);
    WH_ASSERT_OK(wh_verify(WH_SCHEME_NONE, NULL, 0, NULL, NULL, 0, "x", 1, 0, 0));
    assert_int_equal(wh_headers_count(NULL), 0);
    wh_headers_free(NULL);
}

static void test_several_secrets_sign_once_each(void **state)
{
    (void)state;
    const char *a = STD_SECRET, *b = "whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQgb2YgMzIgYnl0ZXM=";
    const char *secrets[] = {a, b, a};
    wh_headers *h;
    WH_ASSERT_OK(
        wh_sign(&h, WH_SCHEME_STANDARD, secrets, 3, STD_ID, STD_TS, STD_BODY, strlen(STD_BODY)));
    const char *sig = wh_headers_value(h, 2);
    /* Three entries separated by single spaces, the first and third equal to the vector. */
    assert_int_equal(strlen(sig), 3 * 47 + 2);
    assert_memory_equal(sig, STD_SIG, 47);
    assert_int_equal(sig[47], ' ');
    assert_memory_equal(sig + 48, "v1,", 3);
    assert_memory_not_equal(sig + 48, STD_SIG, 47);
    assert_string_equal(sig + 96, STD_SIG);
    /* Each secret alone verifies the header. */
    const char *names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[] = {STD_ID, "1614265330", sig};
    WH_ASSERT_OK(verify1(WH_SCHEME_STANDARD, a, names, values, 3, STD_BODY, STD_TS));
    WH_ASSERT_OK(verify1(WH_SCHEME_STANDARD, b, names, values, 3, STD_BODY, STD_TS));
    wh_headers_free(h);

    /* Stripe: one v1= per secret after t=. */
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_STRIPE, secrets, 2, NULL, ST_TS, ST_BODY, strlen(ST_BODY)));
    const char *st = wh_headers_value(h, 0);
    assert_memory_equal(st, ST_HEADER, strlen(ST_HEADER));
    assert_memory_equal(st + strlen(ST_HEADER), ",v1=", 4);
    assert_int_equal(strlen(st), strlen(ST_HEADER) + 4 + 64);
    const char *snames[] = {"Stripe-Signature"};
    const char *svalues[] = {st};
    WH_ASSERT_OK(verify1(WH_SCHEME_STRIPE, b, snames, svalues, 1, ST_BODY, ST_TS));
    wh_headers_free(h);

    /* GitHub carries one signature: the first (newest) secret's. */
    const char *gh[] = {GH_SECRET, "another secret"};
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_GITHUB, gh, 2, NULL, 0, GH_BODY, strlen(GH_BODY)));
    assert_string_equal(wh_headers_value(h, 0), GH_SIG);
    wh_headers_free(h);
}

static void test_maximum_secrets_fill_the_fixed_buffer(void **state)
{
    (void)state;
    const char *secrets[WH_SIGN_MAX_SECRETS];
    for (size_t i = 0; i < WH_SIGN_MAX_SECRETS; i++)
        secrets[i] = STD_SECRET;
    wh_headers *h;
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_STRIPE, secrets, WH_SIGN_MAX_SECRETS, NULL,
                         999999999999999999LL, "b", 1));
    assert_int_equal(strlen(wh_headers_value(h, 0)), 2 + 18 + WH_SIGN_MAX_SECRETS * 68);
    wh_headers_free(h);
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_STANDARD, secrets, WH_SIGN_MAX_SECRETS, STD_ID, 1, "b", 1));
    assert_int_equal(strlen(wh_headers_value(h, 2)), WH_SIGN_MAX_SECRETS * 48 - 1);
    wh_headers_free(h);
    assert_int_equal(
        wh_sign(&h, WH_SCHEME_STANDARD, (const char *const[17]){0}, 17, STD_ID, 1, "b", 1),
        WH_EINVAL);
    assert_null(h);
}

static void test_defaults_generate_id_and_use_clock(void **state)
{
    (void)state;
    const char *secrets[] = {STD_SECRET};
    wh_headers *h, *h2;
    int64_t before = whi_now_ms() / 1000;
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_STANDARD, secrets, 1, NULL, 0, "x", 1));
    WH_ASSERT_OK(wh_sign(&h2, WH_SCHEME_STANDARD, secrets, 1, NULL, 0, "x", 1));
    int64_t after = whi_now_ms() / 1000;
    const char *id = wh_headers_value(h, 0);
    assert_int_equal(strlen(id), WHI_MSG_ID_LEN);
    assert_memory_equal(id, "msg_", 4);
    assert_string_not_equal(id, wh_headers_value(h2, 0));
    long long ts = atoll(wh_headers_value(h, 1));
    assert_true(ts >= before && ts <= after);
    /* Verifying with the clock (now = 0) accepts what was just signed. */
    const char *names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[] = {id, wh_headers_value(h, 1), wh_headers_value(h, 2)};
    WH_ASSERT_OK(verify1(WH_SCHEME_STANDARD, STD_SECRET, names, values, 3, "x", 0));
    wh_headers_free(h);
    wh_headers_free(h2);
}

static void test_binary_body_with_nul_bytes(void **state)
{
    (void)state;
    const unsigned char body[] = {'a', 0, 'b', 0xff, 0, '\n'};
    const char *secrets[] = {GH_SECRET};
    wh_headers *h;
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_GITHUB, secrets, 1, NULL, 0, body, sizeof(body)));
    const char *names[] = {"X-Hub-Signature-256"};
    const char *values[] = {wh_headers_value(h, 0)};
    WH_ASSERT_OK(
        wh_verify(WH_SCHEME_GITHUB, secrets, 1, names, values, 1, body, sizeof(body), 0, 0));
    /* Only the bytes before the first NUL would be a different message. */
    assert_int_equal(wh_verify(WH_SCHEME_GITHUB, secrets, 1, names, values, 1, body, 1, 0, 0),
                     WH_ESIG_MISMATCH);
    wh_headers_free(h);
    /* An empty body signs too. */
    WH_ASSERT_OK(
        wh_sign(&h, WH_SCHEME_STANDARD, (const char *[]){STD_SECRET}, 1, STD_ID, 5, NULL, 0));
    wh_headers_free(h);
}

/* Rotation: every unexpired secret signs; once the old one expires it no longer verifies. */
static void test_rotation_signs_with_unexpired_secrets(void **state)
{
    (void)state;
    const wh_time_ms t0 = 1700000000000LL, hour = 3600 * 1000LL;
    const char *old_secret = STD_SECRET;
    const char *new_secret = "whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQgb2YgMzIgYnl0ZXM=";
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_clear_secrets(sub));
    WH_ASSERT_OK(wh_subscription_add_secret(sub, old_secret, 0));
    WH_ASSERT_OK(wh_subscription_rotate_secret(sub, new_secret, hour, t0, NULL));

    whi_signed s;
    const int64_t ts = t0 / 1000;
    WH_ASSERT_OK(
        whi_sign_subscription(&s, sub, STD_ID, ts, STD_BODY, strlen(STD_BODY), t0 + hour / 2));
    assert_int_equal(s.count, 3);
    assert_non_null(strchr(s.value[2], ' ')); /* two signatures */
    WH_ASSERT_OK(
        whi_sign_subscription(&s, sub, STD_ID, ts, STD_BODY, strlen(STD_BODY), t0 + 2 * hour));
    assert_null(strchr(s.value[2], ' ')); /* only the new secret's */

    /* A message signed with the old secret alone, checked against the secrets in force. */
    wh_headers *h;
    WH_ASSERT_OK(
        wh_sign(&h, WH_SCHEME_STANDARD, &old_secret, 1, STD_ID, ts, STD_BODY, strlen(STD_BODY)));
    const char *names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[] = {STD_ID, wh_headers_value(h, 1), wh_headers_value(h, 2)};
    const char *in_force[WH_SIGN_MAX_SECRETS];
    size_t n = wh_subscription_signing_secret_count(sub, t0 + hour / 2);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        in_force[i] = wh_subscription_signing_secret_at(sub, t0 + hour / 2, i);
    WH_ASSERT_OK(wh_verify(WH_SCHEME_STANDARD, in_force, n, names, values, 3, STD_BODY,
                           strlen(STD_BODY), ts, 0));
    n = wh_subscription_signing_secret_count(sub, t0 + 2 * hour);
    assert_int_equal(n, 1);
    in_force[0] = wh_subscription_signing_secret_at(sub, t0 + 2 * hour, 0);
    assert_int_equal(wh_verify(WH_SCHEME_STANDARD, in_force, n, names, values, 3, STD_BODY,
                               strlen(STD_BODY), ts, 0),
                     WH_ESIG_MISMATCH);
    wh_headers_free(h);
    wh_subscription_free(sub);
}

/* The engine's fast path gives exactly what the public API gives. */
static void test_fast_path_matches_public_api(void **state)
{
    (void)state;
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_clear_secrets(sub));
    WH_ASSERT_OK(wh_subscription_add_secret(sub, STD_SECRET, 0));
    const wh_scheme schemes[] = {WH_SCHEME_STANDARD, WH_SCHEME_GITHUB, WH_SCHEME_STRIPE};
    for (size_t k = 0; k < WHI_ARRAY_LEN(schemes); k++) {
        WH_ASSERT_OK(wh_subscription_set_scheme(sub, schemes[k]));
        whi_signed s;
        WH_ASSERT_OK(
            whi_sign_subscription(&s, sub, STD_ID, STD_TS, STD_BODY, strlen(STD_BODY), 1000));
        wh_headers *h;
        WH_ASSERT_OK(wh_sign(&h, schemes[k], (const char *[]){STD_SECRET}, 1, STD_ID, STD_TS,
                             STD_BODY, strlen(STD_BODY)));
        assert_int_equal(s.count, wh_headers_count(h));
        for (size_t i = 0; i < s.count; i++) {
            assert_string_equal(s.name[i], wh_headers_name(h, i));
            assert_string_equal(s.value[i], wh_headers_value(h, i));
        }
        wh_headers_free(h);
    }
    WH_ASSERT_OK(wh_subscription_set_scheme(sub, WH_SCHEME_STANDARD));
    whi_signed s;
    WH_ASSERT_OK(whi_sign_subscription(&s, sub, STD_ID, STD_TS, STD_BODY, strlen(STD_BODY), 1));
    assert_string_equal(s.value[2], STD_SIG);

    WH_ASSERT_OK(wh_subscription_set_scheme(sub, WH_SCHEME_NONE));
    WH_ASSERT_OK(whi_sign_subscription(&s, sub, STD_ID, STD_TS, "x", 1, 1));
    assert_int_equal(s.count, 0);
    WH_ASSERT_OK(wh_subscription_set_scheme(sub, WH_SCHEME_STANDARD));
    WH_ASSERT_OK(wh_subscription_clear_secrets(sub));
    assert_int_equal(whi_sign_subscription(&s, sub, STD_ID, STD_TS, "x", 1, 1), WH_ESTATE);
    assert_int_equal(s.count, 0);
    assert_int_equal(whi_sign_subscription(&s, NULL, STD_ID, STD_TS, "x", 1, 1), WH_EINVAL);
    wh_subscription_free(sub);
}

static void expect_sign_error(int rc, const char *needle)
{
    assert_int_equal(rc, WH_EINVAL);
    if (!strstr(wh_error_last_message(), needle))
        fail_msg("message \"%s\" lacks \"%s\"", wh_error_last_message(), needle);
}

static void test_sign_argument_errors(void **state)
{
    (void)state;
    const char *ok[] = {STD_SECRET};
    wh_headers *h = (wh_headers *)1;
    assert_int_equal(wh_sign(NULL, WH_SCHEME_STANDARD, ok, 1, STD_ID, 1, "x", 1), WH_EINVAL);
    expect_sign_error(wh_sign(&h, (wh_scheme)7, ok, 1, STD_ID, 1, "x", 1), "scheme");
    assert_null(h);
    expect_sign_error(wh_sign(&h, WH_SCHEME_STANDARD, ok, 0, STD_ID, 1, "x", 1), "secret");
    expect_sign_error(wh_sign(&h, WH_SCHEME_STANDARD, NULL, 1, STD_ID, 1, "x", 1), "secret");
    expect_sign_error(wh_sign(&h, WH_SCHEME_STANDARD, ok, 1, STD_ID, -5, "x", 1), "timestamp");
    expect_sign_error(wh_sign(&h, WH_SCHEME_STANDARD, ok, 1, STD_ID, 1, NULL, 3), "body");
    expect_sign_error(wh_sign(&h, WH_SCHEME_STANDARD, ok, 1, "", 1, "x", 1), "message id");
    expect_sign_error(wh_sign(&h, WH_SCHEME_STANDARD, ok, 1, "a\r\nX: y", 1, "x", 1), "message id");
    char long_id[WH_MAX_ID_LEN + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    expect_sign_error(wh_sign(&h, WH_SCHEME_STANDARD, ok, 1, long_id, 1, "x", 1), "message id");
    /* Bad secrets name their index and never echo the value. */
    const char *bad[] = {STD_SECRET, "whsec_not*base64!"};
    expect_sign_error(wh_sign(&h, WH_SCHEME_STANDARD, bad, 2, STD_ID, 1, "x", 1), "secret 1");
    assert_null(strstr(wh_error_last_message(), "not*base64"));
    const char *empty[] = {""};
    expect_sign_error(wh_sign(&h, WH_SCHEME_GITHUB, empty, 1, NULL, 1, "x", 1), "secret 0");
    expect_sign_error(
        wh_sign(&h, WH_SCHEME_STANDARD, (const char *[]){"whsec_"}, 1, STD_ID, 1, "x", 1),
        "secret 0");
    const char *null_secret[] = {NULL};
    expect_sign_error(wh_sign(&h, WH_SCHEME_STRIPE, null_secret, 1, NULL, 1, "x", 1), "secret 0");
    char *huge = malloc(WH_SIGN_MAX_SECRET_LEN + 2);
    memset(huge, 'k', WH_SIGN_MAX_SECRET_LEN + 1);
    huge[WH_SIGN_MAX_SECRET_LEN + 1] = '\0';
    expect_sign_error(wh_sign(&h, WH_SCHEME_STRIPE, (const char *const *)&huge, 1, NULL, 1, "x", 1),
                      "1..1024");
    huge[WH_SIGN_MAX_SECRET_LEN] = '\0'; /* exactly the limit is fine */
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_STRIPE, (const char *const *)&huge, 1, NULL, 1, "x", 1));
    wh_headers_free(h);
    free(huge);
    /* The GitHub and Stripe keys are the raw string: anything non-empty is a key. */
    WH_ASSERT_OK(wh_sign(&h, WH_SCHEME_GITHUB, (const char *[]){"x"}, 1, NULL, 1, "x", 1));
    wh_headers_free(h);
}

static void *null_malloc(size_t n, void *ud)
{
    (void)n, (void)ud;
    return NULL;
}

static void *null_realloc(void *p, size_t n, void *ud)
{
    (void)p, (void)n, (void)ud;
    return NULL;
}

static void plain_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void test_sign_out_of_memory(void **state)
{
    (void)state;
    wh_allocator a = {WH_ALLOCATOR_VERSION, null_malloc, null_realloc, plain_free, NULL};
    WH_ASSERT_OK(wh_set_allocator(&a));
    wh_headers *h = (wh_headers *)1;
    int rc = wh_sign(&h, WH_SCHEME_STANDARD, (const char *[]){STD_SECRET}, 1, STD_ID, 1, "x", 1);
    WH_ASSERT_OK(wh_set_allocator(NULL));
    assert_int_equal(rc, WH_ENOMEM);
    assert_null(h);
}

static void test_constant_time_compare_and_format(void **state)
{
    (void)state;
    unsigned char a[32] = {0}, b[32] = {0};
    assert_true(whi_ct_equal(a, b, 32));
    b[31] = 1;
    assert_false(whi_ct_equal(a, b, 32));
    assert_true(whi_ct_equal(a, b, 31));
    b[0] = 0x80;
    assert_false(whi_ct_equal(a, b, 1));
    char out[WHI_TS_MAX];
    assert_int_equal(whi_format_i64(0, out), 1);
    assert_string_equal(out, "0");
    assert_int_equal(whi_format_i64(INT64_MAX, out), 19);
    assert_string_equal(out, "9223372036854775807");
    whi_format_i64(1614265330, out);
    assert_string_equal(out, "1614265330");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_known_answer),
        cmocka_unit_test(test_github_known_answer),
        cmocka_unit_test(test_stripe_known_answer_both_ways),
        cmocka_unit_test(test_none_has_no_headers),
        cmocka_unit_test(test_several_secrets_sign_once_each),
        cmocka_unit_test(test_maximum_secrets_fill_the_fixed_buffer),
        cmocka_unit_test(test_defaults_generate_id_and_use_clock),
        cmocka_unit_test(test_binary_body_with_nul_bytes),
        cmocka_unit_test(test_rotation_signs_with_unexpired_secrets),
        cmocka_unit_test(test_fast_path_matches_public_api),
        cmocka_unit_test(test_sign_argument_errors),
        cmocka_unit_test(test_sign_out_of_memory),
        cmocka_unit_test(test_constant_time_compare_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
