/* Verification: tampering, expiry, missing and malformed headers, each with its own code and a
 * message that says what is wrong. Known answers and signing are in test_sign.c. */
#include <stdio.h>
#include <stdlib.h>

#include "compiler.h"
#include "wh_test.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define OTHER  "whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQgb2YgMzIgYnl0ZXM="
#define ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define TS     1614265330
#define BODY   "{\"test\": 2432232314}"
#define SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

/* A received message: up to 4 headers and a body. */
typedef struct msg {
    const char *names[4];
    const char *values[4];
    size_t n;
    const char *body;
} msg;

static msg standard_msg(void)
{
    return (msg){
        {"webhook-id", "webhook-timestamp", "webhook-signature"}, {ID, "1614265330", SIG}, 3, BODY};
}

static int check(wh_scheme scheme, const msg *m, const char *secret, int64_t now, int64_t tol)
{
    const char *secrets[] = {secret};
    return wh_verify(scheme, secrets, 1, m->names, m->values, m->n, m->body, strlen(m->body), now,
                     tol);
}

/* Assert the code and that the message mentions needle. */
static void expect(int rc, int code, const char *needle)
{
    if (rc != code) fail_msg("got %d (%s), want %d", rc, wh_error_last_message(), code);
    assert_int_equal(wh_error_last_code(), code);
    if (!strstr(wh_error_last_message(), needle))
        fail_msg("message \"%s\" lacks \"%s\"", wh_error_last_message(), needle);
}

/* A message signed now-ish by the library itself, for schemes other than the vector's. */
static msg signed_msg(wh_scheme scheme, const char *body, int64_t ts, wh_headers **keep)
{
    const char *secrets[] = {SECRET};
    assert_int_equal(wh_sign(keep, scheme, secrets, 1, ID, ts, body, strlen(body)), WH_OK);
    msg m = {{0}, {0}, wh_headers_count(*keep), body};
    for (size_t i = 0; i < m.n; i++) {
        m.names[i] = wh_headers_name(*keep, i);
        m.values[i] = wh_headers_value(*keep, i);
    }
    return m;
}

static void test_tampering_is_a_mismatch(void **state)
{
    (void)state;
    msg m = standard_msg();
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0));
    m.body = "{\"test\": 2432232315}";
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0), WH_ESIG_MISMATCH, "no signature matches");
    m = standard_msg();
    m.values[0] = "msg_p5jXN8AQM9LWM0D4loKWxJeK";
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0), WH_ESIG_MISMATCH, "no signature matches");
    m = standard_msg();
    m.values[1] = "1614265331"; /* inside the window, but not what was signed */
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0), WH_ESIG_MISMATCH, "no signature matches");
    m = standard_msg();
    m.values[2] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0), WH_ESIG_MISMATCH, "no signature matches");
    m = standard_msg();
    expect(check(WH_SCHEME_STANDARD, &m, OTHER, TS, 0), WH_ESIG_MISMATCH, "1 secret");

    /* Stripe: body, timestamp and secret are all covered. */
    wh_headers *h;
    m = signed_msg(WH_SCHEME_STRIPE, BODY, TS, &h);
    WH_ASSERT_OK(check(WH_SCHEME_STRIPE, &m, SECRET, TS, 0));
    expect(check(WH_SCHEME_STRIPE, &m, OTHER, TS, 0), WH_ESIG_MISMATCH, "no signature matches");
    m.body = "{}";
    expect(check(WH_SCHEME_STRIPE, &m, SECRET, TS, 0), WH_ESIG_MISMATCH, "no signature matches");
    char moved[200];
    snprintf(moved, sizeof(moved), "t=1614265331%s", strchr(m.values[0], ','));
    m.values[0] = moved;
    m.body = BODY;
    expect(check(WH_SCHEME_STRIPE, &m, SECRET, TS, 0), WH_ESIG_MISMATCH, "no signature matches");
    wh_headers_free(h);

    /* GitHub: body and secret. */
    m = signed_msg(WH_SCHEME_GITHUB, BODY, TS, &h);
    WH_ASSERT_OK(check(WH_SCHEME_GITHUB, &m, SECRET, 0, 0));
    expect(check(WH_SCHEME_GITHUB, &m, OTHER, 0, 0), WH_ESIG_MISMATCH, "no signature matches");
    m.body = BODY " ";
    expect(check(WH_SCHEME_GITHUB, &m, SECRET, 0, 0), WH_ESIG_MISMATCH, "no signature matches");
    wh_headers_free(h);
}

static void test_any_secret_and_any_signature_may_match(void **state)
{
    (void)state;
    msg m = standard_msg();
    const char *secrets[] = {OTHER, SECRET};
    WH_ASSERT_OK(
        wh_verify(WH_SCHEME_STANDARD, secrets, 2, m.names, m.values, 3, BODY, strlen(BODY), TS, 0));
    /* Unknown versions (v1a: asymmetric) are skipped; extra spaces are tolerated. */
    m.values[2] = "v1a,AAAA  v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA= " SIG " ";
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0));
    /* Header names are case-insensitive; values are trimmed of spaces and tabs. */
    m = standard_msg();
    m.names[0] = "Webhook-ID";
    m.names[2] = "WEBHOOK-SIGNATURE";
    m.values[1] = " \t1614265330 ";
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0));
    /* Unrelated headers and NULL entries are ignored. */
    msg extra = {{"content-type", "webhook-id", "webhook-timestamp", "webhook-signature"},
                 {"application/json", ID, "1614265330", SIG},
                 4,
                 BODY};
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &extra, SECRET, TS, 0));
    extra.names[0] = NULL;
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &extra, SECRET, TS, 0));
}

static void test_timestamp_window(void **state)
{
    (void)state;
    msg m = standard_msg();
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &m, SECRET, TS + 300, 0));
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &m, SECRET, TS - 300, 0));
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS + 301, 0), WH_ESIG_TOO_OLD,
           "301 s before now, more than the tolerance of 300 s");
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS - 301, 0), WH_ESIG_TOO_NEW, "301 s after now");
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS + 86400, 0), WH_ESIG_TOO_OLD, "1614265330");
    /* A custom tolerance. */
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &m, SECRET, TS + 3600, 3600));
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS + 11, 10), WH_ESIG_TOO_OLD, "tolerance of 10");
    /* The window is checked before the signature: a stale forgery is reported as stale. */
    expect(check(WH_SCHEME_STANDARD, &m, OTHER, TS + 1000, 0), WH_ESIG_TOO_OLD, "before now");
    /* With the real clock, a 2021 message is far too old. */
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, 0, 0), WH_ESIG_TOO_OLD, "before now");

    /* Stripe rejects only the too old, as its own libraries do. */
    wh_headers *h;
    m = signed_msg(WH_SCHEME_STRIPE, BODY, TS, &h);
    expect(check(WH_SCHEME_STRIPE, &m, SECRET, TS + 301, 0), WH_ESIG_TOO_OLD, "before now");
    WH_ASSERT_OK(check(WH_SCHEME_STRIPE, &m, SECRET, TS - 100000, 0));
    wh_headers_free(h);
    /* GitHub signs no timestamp: any time is fine. */
    m = signed_msg(WH_SCHEME_GITHUB, BODY, TS, &h);
    WH_ASSERT_OK(check(WH_SCHEME_GITHUB, &m, SECRET, TS + 10000000, 0));
    wh_headers_free(h);
}

static void test_missing_headers(void **state)
{
    (void)state;
    for (size_t drop = 0; drop < 3; drop++) {
        msg m = standard_msg();
        const char *name = m.names[drop];
        m.names[drop] = "x-other";
        expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0), WH_ESIG_MISSING, name);
        assert_non_null(strstr(wh_error_last_message(), "missing"));
    }
    msg none = {{0}, {0}, 0, BODY};
    expect(check(WH_SCHEME_GITHUB, &none, SECRET, TS, 0), WH_ESIG_MISSING, "X-Hub-Signature-256");
    expect(check(WH_SCHEME_STRIPE, &none, SECRET, TS, 0), WH_ESIG_MISSING, "Stripe-Signature");
    /* GitHub's old SHA-1 header does not stand in for the SHA-256 one. */
    msg sha1 = {{"X-Hub-Signature"}, {"sha1=0123"}, 1, BODY};
    expect(check(WH_SCHEME_GITHUB, &sha1, SECRET, TS, 0), WH_ESIG_MISSING, "X-Hub-Signature-256");
}

static void expect_std_sig_malformed(const char *value, const char *needle)
{
    msg m = standard_msg();
    m.values[2] = value;
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0), WH_ESIG_MALFORMED, needle);
}

static void test_malformed_standard_headers(void **state)
{
    (void)state;
    expect_std_sig_malformed("", "webhook-signature header is empty");
    expect_std_sig_malformed("   ", "is empty");
    expect_std_sig_malformed("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "no version prefix");
    expect_std_sig_malformed("v2,abc v1a,xyz", "holds no \"v1,\" signature");
    expect_std_sig_malformed("v1,not-base64!!", "not base64 of 32 bytes");
    expect_std_sig_malformed("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O*=", "signature 1");
    expect_std_sig_malformed("v1,AAAA", "not base64 of 32 bytes"); /* too short */
    expect_std_sig_malformed("v1,", "not base64 of 32 bytes");
    expect_std_sig_malformed(SIG " v1,@@@", "signature 2 is not base64"); /* even after a match */

    msg m = standard_msg();
    const char *bad_ts[] = {
        "", "abc", "-1614265330", "1614265330.5", "16142653301614265330", "+1614265330", "0x60"};
    for (size_t i = 0; i < WHI_ARRAY_LEN(bad_ts); i++) {
        m.values[1] = bad_ts[i];
        expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0), WH_ESIG_MALFORMED,
               "webhook-timestamp");
    }
    m = standard_msg();
    m.values[0] = "\t ";
    expect(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0), WH_ESIG_MALFORMED,
           "webhook-id header is empty");

    /* The same header twice is ambiguous. */
    msg twice = {{"webhook-id", "webhook-timestamp", "webhook-signature", "Webhook-Signature"},
                 {ID, "1614265330", SIG, SIG},
                 4,
                 BODY};
    expect(check(WH_SCHEME_STANDARD, &twice, SECRET, TS, 0), WH_ESIG_MALFORMED,
           "webhook-signature header is given more than once");
}

static void test_hundreds_of_signatures_and_long_headers(void **state)
{
    (void)state;
    /* 150 signatures (7200 bytes), the last one valid: over the limit, so rejected. */
    char *many = malloc(2000 * 5 + 1);
    size_t at = 0;
    for (int i = 0; i < 149; i++)
        at += (size_t)sprintf(many + at, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA= ");
    sprintf(many + at, "%s", SIG);
    expect_std_sig_malformed(many, "more than 64 signatures");
    /* Exactly the limit is accepted. */
    char *limit = strstr(many, "v1,");
    for (int i = 0; i < 149 - 63; i++)
        limit = strchr(limit, ' ') + 1;
    msg m = standard_msg();
    m.values[2] = limit;
    WH_ASSERT_OK(check(WH_SCHEME_STANDARD, &m, SECRET, TS, 0));
    /* Hundreds of ignored entries count too. */
    at = 0;
    for (int i = 0; i < 1500; i++)
        at += (size_t)sprintf(many + at, "v9,x ");
    sprintf(many + at, "%s", SIG);
    expect_std_sig_malformed(many, "more than 64 signatures");
    free(many);

    /* A header over WH_MAX_HEADER_LEN is refused whatever it holds. */
    char *huge = malloc(WH_MAX_HEADER_LEN + 100);
    memset(huge, ' ', WH_MAX_HEADER_LEN + 99);
    memcpy(huge, SIG, strlen(SIG));
    huge[WH_MAX_HEADER_LEN + 99] = '\0';
    expect_std_sig_malformed(huge, "longer than 8192 bytes");
    msg big_id = standard_msg();
    memset(huge, 'a', WH_MAX_HEADER_LEN + 99);
    big_id.values[0] = huge;
    expect(check(WH_SCHEME_STANDARD, &big_id, SECRET, TS, 0), WH_ESIG_MALFORMED, "webhook-id");
    msg st = {{"Stripe-Signature"}, {huge}, 1, BODY};
    expect(check(WH_SCHEME_STRIPE, &st, SECRET, TS, 0), WH_ESIG_MALFORMED, "longer than");
    free(huge);
}

static void expect_stripe_malformed(const char *value, const char *needle)
{
    msg m = {{"stripe-signature"}, {value}, 1, BODY};
    expect(check(WH_SCHEME_STRIPE, &m, SECRET, TS, 0), WH_ESIG_MALFORMED, needle);
}

static void test_malformed_stripe_headers(void **state)
{
    (void)state;
    const char *hex = "7d89f21b36f902d6c7b971e3eed605afe431322307fd72ded522a0758bd2daab";
    char buf[300];
    expect_stripe_malformed("", "is empty");
    snprintf(buf, sizeof(buf), "v1=%s", hex);
    expect_stripe_malformed(buf, "no t= timestamp");
    expect_stripe_malformed("t=1614265330", "no v1= signature");
    expect_stripe_malformed("t=1614265330,v0=abcd", "no v1= signature");
    snprintf(buf, sizeof(buf), "t=abc,v1=%s", hex);
    expect_stripe_malformed(buf, "timestamp must be Unix seconds");
    snprintf(buf, sizeof(buf), "t=1614265330,t=1614265330,v1=%s", hex);
    expect_stripe_malformed(buf, "more than one t=");
    expect_stripe_malformed("t=1614265330,v1=zz", "not hex of 32 bytes");
    snprintf(buf, sizeof(buf), "t=1614265330,v1=%.63sg", hex);
    expect_stripe_malformed(buf, "signature 1 is not hex");
    snprintf(buf, sizeof(buf), "t=1614265330,v1=%s,", hex);
    expect_stripe_malformed(buf, "item 3 is not key=value");
    snprintf(buf, sizeof(buf), "t=1614265330,garbage,v1=%s", hex);
    expect_stripe_malformed(buf, "item 2 is not key=value");
}

static void test_malformed_github_headers(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"", "is empty"},
        {"757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "sha256="},
        {"sha1=757107ea0eb2509fc211221cce984b8a37570b6d", "sha256="},
        {"sha256=", "not hex of 32 bytes"},
        {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1", "not hex"},
        {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1x", "not hex"},
    };
    for (size_t i = 0; i < WHI_ARRAY_LEN(cases); i++) {
        msg m = {{"X-Hub-Signature-256"}, {cases[i][0]}, 1, "Hello, World!"};
        expect(check(WH_SCHEME_GITHUB, &m, "It's a Secret to Everybody", 0, 0), WH_ESIG_MALFORMED,
               cases[i][1]);
    }
    /* Upper-case hex is the same digest. */
    msg m = {{"X-Hub-Signature-256"},
             {"sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"},
             1,
             "Hello, World!"};
    WH_ASSERT_OK(check(WH_SCHEME_GITHUB, &m, "It's a Secret to Everybody", 0, 0));
}

static void test_verify_argument_errors(void **state)
{
    (void)state;
    msg m = standard_msg();
    const char *ok[] = {SECRET};
    assert_int_equal(wh_verify((wh_scheme)9, ok, 1, m.names, m.values, 3, BODY, 1, TS, 0),
                     WH_EINVAL);
    assert_int_equal(wh_verify(WH_SCHEME_STANDARD, NULL, 0, m.names, m.values, 3, BODY, 1, TS, 0),
                     WH_EINVAL);
    assert_int_equal(wh_verify(WH_SCHEME_STANDARD, ok, 17, m.names, m.values, 3, BODY, 1, TS, 0),
                     WH_EINVAL);
    assert_int_equal(wh_verify(WH_SCHEME_STANDARD, ok, 1, NULL, m.values, 3, BODY, 1, TS, 0),
                     WH_EINVAL);
    assert_int_equal(wh_verify(WH_SCHEME_STANDARD, ok, 1, m.names, m.values, 3, NULL, 1, TS, 0),
                     WH_EINVAL);
    expect(wh_verify(WH_SCHEME_STANDARD, ok, 1, m.names, m.values, 3, BODY, 1, TS, -1), WH_EINVAL,
           "tolerance");
    expect(wh_verify(WH_SCHEME_STANDARD, ok, 1, m.names, m.values, 3, BODY, 1, -1, 0), WH_EINVAL,
           "now");
    /* A bad secret is the caller's error, reported before the message is judged. */
    const char *bad[] = {SECRET, "whsec_%%%%"};
    msg empty = {{0}, {0}, 0, BODY};
    expect(wh_verify(WH_SCHEME_STANDARD, bad, 2, empty.names, empty.values, 0, BODY, 1, TS, 0),
           WH_EINVAL, "secret 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tampering_is_a_mismatch),
        cmocka_unit_test(test_any_secret_and_any_signature_may_match),
        cmocka_unit_test(test_timestamp_window),
        cmocka_unit_test(test_missing_headers),
        cmocka_unit_test(test_malformed_standard_headers),
        cmocka_unit_test(test_hundreds_of_signatures_and_long_headers),
        cmocka_unit_test(test_malformed_stripe_headers),
        cmocka_unit_test(test_malformed_github_headers),
        cmocka_unit_test(test_verify_argument_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
