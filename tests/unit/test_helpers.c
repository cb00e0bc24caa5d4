/* Internal helpers: buffer, UUID v4, RFC 3339, random bytes, base64, hex, UTF-8, lists. */
#include <stdlib.h>

#include "alloc.h"
#include "buf.h"
#include "random.h"
#include "uuid.h"
#include "rfc3339.h"
#include "encode.h"
#include "text.h"
#include "strvec.h"
#include "json.h"
#include "wh_test.h"

static void test_buf_grows_and_detaches(void **state)
{
    (void)state;
    whi_buf b = WHI_BUF_INIT;
    for (int i = 0; i < 1000; i++)
        whi_buf_printf(&b, "%d,", i);
    whi_buf_puts(&b, "end");
    WH_ASSERT_OK(whi_buf_status(&b));
    assert_int_equal(strlen(b.data), b.len);
    assert_memory_equal(b.data, "0,1,2,", 6);
    assert_string_equal(b.data + b.len - 7, "999,end");
    size_t len;
    char *s = whi_buf_detach(&b, &len);
    assert_non_null(s);
    assert_int_equal(len, strlen(s));
    assert_null(b.data);
    whi_free(s);
}

static void test_buf_limit_is_sticky(void **state)
{
    (void)state;
    whi_buf b = WHI_BUF_INIT;
    b.limit = 8;
    whi_buf_puts(&b, "12345");
    whi_buf_puts(&b, "6789"); /* crosses the limit */
    whi_buf_puts(&b, "x");    /* ignored after failure */
    assert_int_equal(whi_buf_status(&b), WH_ETOOLARGE);
    assert_int_equal(b.len, 5);
    assert_null(whi_buf_detach(&b, NULL));
    assert_int_equal(wh_error_last()->code, WH_ETOOLARGE);
}

static void test_buf_empty_detach_gives_empty_string(void **state)
{
    (void)state;
    whi_buf b = WHI_BUF_INIT;
    char *s = whi_buf_detach(&b, NULL);
    assert_non_null(s);
    assert_string_equal(s, "");
    whi_free(s);
}

static void test_uuid_v4_format_and_uniqueness(void **state)
{
    (void)state;
    char a[WHI_UUID_LEN + 1], b[WHI_UUID_LEN + 1];
    WH_ASSERT_OK(whi_uuid_v4(a));
    WH_ASSERT_OK(whi_uuid_v4(b));
    assert_true(whi_uuid_valid(a));
    assert_string_not_equal(a, b);
    assert_int_equal(a[14], '4');           /* version */
    assert_non_null(strchr("89ab", a[19])); /* variant */
    assert_false(whi_uuid_valid("not-a-uuid"));
    assert_false(whi_uuid_valid("w1b2c3d4-5678-9abc-def0-123456789abc")); /* 'w' */
}

static void test_rfc3339_format(void **state)
{
    (void)state;
    char out[WHI_RFC3339_MAX];
    whi_rfc3339_format(0, 0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    whi_rfc3339_format(1614265330123LL, 0, out);
    assert_string_equal(out, "2021-02-25T15:02:10.123Z");
    whi_rfc3339_format(1614265330123LL, -180, out);
    assert_string_equal(out, "2021-02-25T12:02:10.123-03:00");
    whi_rfc3339_format(951782400000LL, 330, out); /* leap day, +05:30 */
    assert_string_equal(out, "2000-02-29T05:30:00.000+05:30");
    whi_rfc3339_format(-1, 0, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
}

static void test_rfc3339_parse(void **state)
{
    (void)state;
    wh_time_ms ms;
    int off;
    WH_ASSERT_OK(whi_rfc3339_parse("2050-11-07T09:11:58.377388-03:00", &ms, &off));
    assert_int_equal(off, -180);
    char out[WHI_RFC3339_MAX];
    whi_rfc3339_format(ms, off, out);
    assert_string_equal(out, "2050-11-07T09:11:58.377-03:00"); /* microseconds truncated */
    whi_rfc3339_format(ms, 0, out);
    assert_string_equal(out, "2050-11-07T12:11:58.377Z");
    WH_ASSERT_OK(whi_rfc3339_parse("2026-03-10T10:00:00Z", &ms, NULL));
    assert_int_equal(ms, 1773136800000LL);
    WH_ASSERT_OK(whi_rfc3339_parse("2026-03-10 10:00:00.5z", &ms, NULL));
    assert_int_equal(ms, 1773136800500LL);
    const char *bad[] = {"",
                         "2026-13-01T00:00:00Z",
                         "2026-02-29T00:00:00Z",
                         "2026-01-01T24:00:00Z",
                         "2026-01-01T00:00:00",
                         "2026-01-01T00:00:00+0300",
                         "2026-01-01T00:00:00.Z",
                         "2026-01-01T00:00:00Zjunk",
                         "26-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(whi_rfc3339_parse(bad[i], &ms, NULL), WH_EINVAL);
    assert_int_equal(whi_rfc3339_parse(NULL, &ms, NULL), WH_EINVAL);
}

static void test_random_bytes_differ(void **state)
{
    (void)state;
    unsigned char a[64], b[64];
    WH_ASSERT_OK(whi_random_bytes(a, sizeof(a)));
    WH_ASSERT_OK(whi_random_bytes(b, sizeof(b)));
    assert_memory_not_equal(a, b, sizeof(a));
    unsigned char big[5000]; /* more than one CTR_DRBG request */
    memset(big, 0, sizeof(big));
    WH_ASSERT_OK(whi_random_bytes(big, sizeof(big)));
    size_t zeros = 0;
    for (size_t i = 0; i < sizeof(big); i++)
        zeros += big[i] == 0;
    assert_true(zeros < 100); /* ~20 expected for uniform bytes */
}

static void test_base64_round_trip_and_rejects(void **state)
{
    (void)state;
    const char *vectors[][2] = {{"", ""},
                                {"f", "Zg=="},
                                {"fo", "Zm8="},
                                {"foo", "Zm9v"},
                                {"foob", "Zm9vYg=="},
                                {"fooba", "Zm9vYmE="},
                                {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        char enc[16];
        size_t n = whi_base64_encode(vectors[i][0], strlen(vectors[i][0]), enc);
        assert_string_equal(enc, vectors[i][1]);
        assert_int_equal(n, whi_base64_encoded_len(strlen(vectors[i][0])));
        unsigned char dec[16];
        size_t dlen;
        WH_ASSERT_OK(whi_base64_decode(enc, n, dec, &dlen));
        assert_int_equal(dlen, strlen(vectors[i][0]));
        assert_memory_equal(dec, vectors[i][0], dlen);
    }
    unsigned char out[16];
    size_t olen;
    assert_int_equal(whi_base64_decode("Zm9", 3, out, &olen), WH_EINVAL);
    assert_int_equal(whi_base64_decode("Zm9*", 4, out, &olen), WH_EINVAL);
    assert_int_equal(whi_base64_decode("Z===", 4, out, &olen), WH_EINVAL);
    assert_int_equal(whi_base64_decode("Zg==Zg==", 8, out, &olen), WH_EINVAL);
    assert_int_equal(whi_base64_decode("Zm=v", 4, out, &olen), WH_EINVAL);
}

static void test_hex(void **state)
{
    (void)state;
    char out[9];
    whi_hex_encode("\x00\xff\x10\xab", 4, out);
    assert_string_equal(out, "00ff10ab");
    unsigned char dec[4];
    size_t n;
    WH_ASSERT_OK(whi_hex_decode("00FF10ab", 8, dec, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(dec, "\x00\xff\x10\xab", 4);
    assert_int_equal(whi_hex_decode("0g", 2, dec, &n), WH_EINVAL);
    assert_int_equal(whi_hex_decode("abc", 3, dec, &n), WH_EINVAL);
}

static void test_utf8_validation(void **state)
{
    (void)state;
    const char *good[] = {"",
                          "ascii",
                          "Venda Aprovada",
                          "c\xc3\xa2meras",
                          "\xe2\x82\xac",
                          "\xf0\x9f\x98\x80",
                          "\xef\xbf\xbf"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(whi_utf8_valid(good[i], strlen(good[i])));
    const char *bad[] = {"\xc0\xaf",         /* overlong '/' */
                         "\xe0\x80\xaf",     /* overlong */
                         "\xed\xa0\x80",     /* surrogate */
                         "\xf4\x90\x80\x80", /* > U+10FFFF */
                         "\xc3",             /* truncated */
                         "\x80",             /* lone continuation */
                         "\xff"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(whi_utf8_valid(bad[i], strlen(bad[i])));
}

static void test_http_token_and_header_value(void **state)
{
    (void)state;
    assert_true(whi_http_token("X-Source"));
    assert_true(whi_http_token("x_custom!#"));
    assert_false(whi_http_token(""));
    assert_false(whi_http_token("Bad Name"));
    assert_false(whi_http_token("Colon:"));
    assert_false(whi_http_token("caf\xc3\xa9"));
    assert_true(whi_header_value_ok("placaflow\tv1"));
    assert_false(whi_header_value_ok("a\r\nInjected: 1"));
    assert_false(whi_header_value_ok("a\nb"));
    assert_int_equal(whi_strcasecmp("Content-Type", "content-type"), 0);
    assert_true(whi_strcasecmp("a", "b") < 0);
}

static void test_json_escape(void **state)
{
    (void)state;
    whi_buf b = WHI_BUF_INIT;
    const char in[] = "q\"b\\n\n\x01\xc3\xa9\xff";
    whi_json_escape(&b, in, sizeof(in) - 1, true);
    WH_ASSERT_OK(whi_buf_status(&b));
    assert_string_equal(b.data, "\"q\\\"b\\\\n\\n\\u0001\xc3\xa9\\ufffd\"");
    whi_buf_free(&b);
}

static void test_json_parse_errors(void **state)
{
    (void)state;
    struct cJSON *root;
    assert_int_equal(whi_json_parse("{\"a\":}", 6, 0, &root), WH_EINVAL);
    assert_non_null(strstr(wh_error_last()->message, "byte"));
    assert_int_equal(whi_json_parse("{} x", 4, 0, &root), WH_EINVAL);
    assert_int_equal(whi_json_parse("\"\xff\"", 3, 0, &root), WH_EINVAL);
    assert_int_equal(whi_json_parse("[1,2,3]", 7, 4, &root), WH_ETOOLARGE);
    /* nesting: exactly the limit parses; one more is refused by name, strings do not count */
    char deep[2 * WHI_JSON_MAX_DEPTH + 16];
    memset(deep, '[', WHI_JSON_MAX_DEPTH);
    memset(deep + WHI_JSON_MAX_DEPTH, ']', WHI_JSON_MAX_DEPTH);
    WH_ASSERT_OK(whi_json_parse(deep, 2 * WHI_JSON_MAX_DEPTH, 0, &root));
    extern void cJSON_Delete(struct cJSON *);
    cJSON_Delete(root);
    memmove(deep + 1, deep, 2 * WHI_JSON_MAX_DEPTH);
    deep[0] = '[';
    deep[2 * WHI_JSON_MAX_DEPTH + 1] = ']';
    assert_int_equal(whi_json_parse(deep, 2 * WHI_JSON_MAX_DEPTH + 2, 0, &root), WH_EINVAL);
    assert_non_null(strstr(wh_error_last_message(), "nesting too deep at byte 128 (limit 128)"));
    const char *quoted = "[\"[[[[[[\\\"{{\"]"; /* brackets in a string do not nest */
    WH_ASSERT_OK(whi_json_parse(quoted, strlen(quoted), 0, &root));
    cJSON_Delete(root);
    WH_ASSERT_OK(whi_json_parse("[1] \n", 5, 0, &root));
    char *min;
    WH_ASSERT_OK(whi_json_minify_copy("{ \"a\" : [ 1 , 2 ] }", 19, &min));
    assert_string_equal(min, "{\"a\":[1,2]}");
    whi_free(min);
    cJSON_Delete(root);
}

static void test_lists(void **state)
{
    (void)state;
    whi_strvec sv = {0};
    WH_ASSERT_OK(whi_strvec_push(&sv, "a"));
    WH_ASSERT_OK(whi_strvec_push(&sv, "b"));
    assert_true(whi_strvec_contains(&sv, "b"));
    assert_false(whi_strvec_contains(&sv, "c"));
    whi_strvec_clear(&sv);
    assert_int_equal(sv.n, 0);

    whi_kvvec kv = {0};
    WH_ASSERT_OK(whi_kvvec_set(&kv, "X-A", "1", true));
    WH_ASSERT_OK(whi_kvvec_set(&kv, "x-a", "2", true)); /* replaces, case-insensitively */
    assert_int_equal(kv.n, 1);
    assert_string_equal(whi_kvvec_get(&kv, "X-a", true), "2");
    assert_null(whi_kvvec_get(&kv, "x-a", false));
    assert_true(whi_kvvec_remove(&kv, "X-A", true));
    assert_false(whi_kvvec_remove(&kv, "X-A", true));
    whi_kvvec_clear(&kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_grows_and_detaches),
        cmocka_unit_test(test_buf_limit_is_sticky),
        cmocka_unit_test(test_buf_empty_detach_gives_empty_string),
        cmocka_unit_test(test_uuid_v4_format_and_uniqueness),
        cmocka_unit_test(test_rfc3339_format),
        cmocka_unit_test(test_rfc3339_parse),
        cmocka_unit_test(test_random_bytes_differ),
        cmocka_unit_test(test_base64_round_trip_and_rejects),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_http_token_and_header_value),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_parse_errors),
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
