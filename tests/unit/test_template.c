/* wh_template: syntax, names, escaping per mode, errors, limits, and the default envelope. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "template_impl.h"
#include "wh_test.h"
#include "buf.h"
#include "rfc3339.h"

/* The seed 003 commerce event: Order/create on two ids, with account and environment. */
static wh_event *seed_event(void)
{
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, "order.created"));
    WH_ASSERT_OK(wh_event_set_id(e, "msg_1"));
    WH_ASSERT_OK(wh_event_set_entity(e, "Order"));
    WH_ASSERT_OK(wh_event_set_action(e, "create"));
    WH_ASSERT_OK(wh_event_add_id(e, "1001"));
    WH_ASSERT_OK(wh_event_add_id(e, "1002"));
    WH_ASSERT_OK(wh_event_add_id(e, "1003"));
    WH_ASSERT_OK(wh_event_set_attribute(e, "account", "myshop"));
    WH_ASSERT_OK(wh_event_set_attribute(e, "environment", "prod"));
    WH_ASSERT_OK(wh_event_set_occurred_at(e, 1700000000123LL));
    return e;
}

/* Compile src in mode and render it for ev; returns the rendering (free with wh_free). */
static char *render(const char *src, wh_escape mode, const wh_event *ev, const char *sub_id)
{
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, src, strlen(src), mode));
    char *out = NULL;
    size_t len = 0;
    WH_ASSERT_OK(wh_template_render(t, ev, sub_id, 0, &out, &len));
    assert_int_equal(strlen(out), len);
    wh_template_free(t);
    return out;
}

static void expect_render(const char *src, wh_escape mode, const wh_event *ev, const char *want)
{
    char *out = render(src, mode, ev, "sub_1");
    assert_string_equal(out, want);
    wh_free(out);
}

/* Compile must fail with WH_EINVAL and a message containing needle. */
static void expect_compile_error(const char *src, size_t len, wh_escape mode, const char *needle)
{
    wh_template *t = (wh_template *)1;
    assert_int_equal(wh_template_compile(&t, src, len, mode), WH_EINVAL);
    assert_null(t);
    if (!strstr(wh_error_last_message(), needle))
        print_error("message [%s] lacks [%s]\n", wh_error_last_message(), needle);
    assert_non_null(strstr(wh_error_last_message(), needle));
}

/* Render must fail with code and a message containing needle. */
static void expect_render_error(const char *src, wh_escape mode, const wh_event *ev,
                                const char *sub_id, int code, const char *needle)
{
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, src, strlen(src), mode));
    char *out = (char *)1;
    assert_int_equal(wh_template_render(t, ev, sub_id, 0, &out, NULL), code);
    assert_null(out);
    if (!strstr(wh_error_last_message(), needle))
        print_error("message [%s] lacks [%s]\n", wh_error_last_message(), needle);
    assert_non_null(strstr(wh_error_last_message(), needle));
    wh_template_free(t);
}

/* ---- seed 003 ---- */

static void test_seed003_url(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    const char *src = "https://{{account}}.example.com/{{environment}}/webhooks/{{entity}}/"
                      "{{action}}?ids={{id}}";
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, src, strlen(src), WH_ESCAPE_URL));
    char *url;
    size_t len;
    WH_ASSERT_OK(wh_template_render_url(t, e, NULL, &url, &len));
    assert_string_equal(url,
                        "https://myshop.example.com/prod/webhooks/Order/create?ids=1001,1002,1003");
    assert_int_equal(len, strlen(url));
    wh_free(url);
    /* The same through the hub's buffer variant, reusing one buffer. */
    whi_buf b = WHI_BUF_INIT;
    for (int i = 0; i < 3; i++) {
        WH_ASSERT_OK(whi_template_render_url_buf(t, e, NULL, &b));
        assert_string_equal(
            b.data, "https://myshop.example.com/prod/webhooks/Order/create?ids=1001,1002,1003");
    }
    assert_int_equal(b.limit, 0); /* restored */
    whi_buf_free(&b);
    wh_template_free(t);
    wh_event_free(e);
}

static void test_seed003_body_and_partial_placeholders(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    WH_ASSERT_OK(wh_event_set_attribute(e, "paymentName", "Card \"Visa\""));
    expect_render("{\"entity\":\"{{entity}}\",\"action\":\"{{action}}\",\"ids\":\"{{id}}\","
                  "\"payment\":\"{{paymentName}}\"}",
                  WH_ESCAPE_JSON, e,
                  "{\"entity\":\"Order\",\"action\":\"create\",\"ids\":\"1001,1002,1003\","
                  "\"payment\":\"Card \\\"Visa\\\"\"}");
    /* orderRowId is only provided by order-row events: this one lacks it. */
    expect_render_error("https://x.example/{{orderRowId}}", WH_ESCAPE_URL, e, NULL, WH_ERENDER,
                        "{{orderRowId}}");
    wh_event_free(e);
}

/* ---- names ---- */

static void test_builtin_names(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    expect_render("{{event.id}}|{{event.type}}|{{timestamp}}|{{subscription.id}}", WH_ESCAPE_RAW, e,
                  "msg_1|order.created|2023-11-14T22:13:20.123Z|sub_1");
    /* The timestamp keeps the offset the event was given with. */
    wh_event *f;
    const char *json = "{\"type\":\"a.b\",\"occurredAt\":\"2024-05-01T10:00:00.5+02:00\"}";
    WH_ASSERT_OK(wh_event_from_json(&f, json, strlen(json)));
    expect_render("{{timestamp}}", WH_ESCAPE_RAW, f, "2024-05-01T10:00:00.500+02:00");
    wh_event_free(f);
    wh_event_free(e);
}

/* {{timestamp}} uses whi_rfc3339_format, which formats without snprintf for years 0..9999:
 * it must give exactly what the reference format gives, for any instant and offset. */
static void test_timestamp_format_matches_reference(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        wh_time_ms ms = (wh_time_ms)(x % 253402300800000ULL); /* 1970 .. 9999 */
        int off = i % 3 == 0 ? 0 : (int)(x >> 40) % (24 * 60);
        if (i % 5 == 0) off = -off;
        if (ms + (wh_time_ms)off * 60000 < 0 || ms + (wh_time_ms)off * 60000 >= 253402300800000LL)
            continue;
        char got[WHI_RFC3339_MAX], want[64], zone[16] = "Z";
        size_t n = whi_rfc3339_format(ms, off, got);
        time_t secs = (time_t)((ms + (wh_time_ms)off * 60000) / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        if (off)
            snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                     abs(off) % 60);
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)((ms + (wh_time_ms)off * 60000) % 1000), zone);
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
        wh_time_ms back;
        int back_off;
        WH_ASSERT_OK(whi_rfc3339_parse(got, &back, &back_off));
        assert_true(back == ms && back_off == off);
    }
    /* Outside 0000..9999 the general path still gives a bounded, terminated string. */
    char out[WHI_RFC3339_MAX];
    size_t n = whi_rfc3339_format(INT64_MIN / 2, 0, out);
    assert_int_equal(n, strlen(out));
    assert_true(n < WHI_RFC3339_MAX);
}

static void test_builtins_win_over_attributes_but_account_is_an_attribute(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    WH_ASSERT_OK(wh_event_set_attribute(e, "entity", "Shadow"));
    WH_ASSERT_OK(wh_event_set_attribute(e, "id", "shadow-id"));
    expect_render("{{entity}}/{{id}}/{{account}}", WH_ESCAPE_RAW, e, "Order/1001,1002,1003/myshop");
    /* A built-in with no value does not fall back to the attribute of the same name. */
    WH_ASSERT_OK(wh_event_set_entity(e, NULL));
    expect_render_error("{{entity}}", WH_ESCAPE_RAW, e, NULL, WH_ERENDER, "{{entity}}");
    /* account comes only from the attribute. */
    WH_ASSERT_OK(wh_event_set_attribute(e, "account", NULL));
    expect_render_error("{{account}}", WH_ESCAPE_RAW, e, NULL, WH_ERENDER, "{{account}}");
    assert_int_equal(wh_template_name_is_builtin("entity"), 1);
    assert_int_equal(wh_template_name_is_builtin("subscription.id"), 1);
    assert_int_equal(wh_template_name_is_builtin("account"), 0);
    assert_int_equal(wh_template_name_is_builtin("environment"), 0);
    assert_int_equal(wh_template_name_is_builtin("paymentName"), 0);
    assert_int_equal(wh_template_name_is_builtin(NULL), 0);
    wh_event_free(e);
}

static void test_missing_values_name_the_placeholder(void **state)
{
    (void)state;
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, "bare.event"));
    expect_render_error("{{entity}}", WH_ESCAPE_RAW, e, NULL, WH_ERENDER, "{{entity}}");
    expect_render_error("x{{ action }}", WH_ESCAPE_RAW, e, NULL, WH_ERENDER, "{{action}}");
    expect_render_error("{{id}}", WH_ESCAPE_URL, e, NULL, WH_ERENDER, "no ids");
    expect_render_error("{{subscription.id}}", WH_ESCAPE_RAW, e, NULL, WH_ERENDER,
                        "{{subscription.id}}");
    expect_render_error("{{channelUrl}}", WH_ESCAPE_HEADER, e, NULL, WH_ERENDER, "{{channelUrl}}");
    wh_event_free(e);
}

/* ---- syntax ---- */

static void test_spaces_inside_braces(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    expect_render("{{ entity }}-{{\taction\t}}-{{  event.type}}", WH_ESCAPE_RAW, e,
                  "Order-create-order.created");
    wh_event_free(e);
}

static void test_literal_braces_and_backslashes(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    expect_render("\\{{entity}} is {{entity}}", WH_ESCAPE_RAW, e, "{{entity}} is Order");
    expect_render("a\\b \\\\ \\{ }} { } {x}", WH_ESCAPE_RAW, e, "a\\b \\\\ \\{ }} { } {x}");
    expect_render("{\"a\":{\"b\":\"{{action}}\"}}", WH_ESCAPE_JSON, e,
                  "{\"a\":{\"b\":\"create\"}}");
    expect_render("", WH_ESCAPE_RAW, e, "");
    expect_render("no placeholders", WH_ESCAPE_URL, e, "no placeholders");
    wh_event_free(e);
}

static void test_compile_errors_give_byte_offsets(void **state)
{
    (void)state;
    expect_compile_error("abc{{entity", 11, WH_ESCAPE_RAW, "unterminated '{{' at byte 3");
    expect_compile_error("{{", 2, WH_ESCAPE_RAW, "unterminated '{{' at byte 0");
    expect_compile_error("x{{entity}", 10, WH_ESCAPE_RAW, "unterminated '{{' at byte 1");
    expect_compile_error("ok {{a}} {{ b", 13, WH_ESCAPE_RAW, "unterminated '{{' at byte 9");
    expect_compile_error("xy{{}}", 6, WH_ESCAPE_RAW, "empty placeholder name at byte 2");
    expect_compile_error("{{   }}", 7, WH_ESCAPE_URL, "empty placeholder name at byte 0");
    expect_compile_error("{{a b}}", 7, WH_ESCAPE_RAW, "invalid character 'b'");
    expect_compile_error("{{a b}}", 7, WH_ESCAPE_RAW, "at byte 4");
    expect_compile_error("{{a/b}}", 7, WH_ESCAPE_RAW,
                         "invalid character '/' in the placeholder "
                         "at byte 3");
    expect_compile_error("{{{x}}}", 7, WH_ESCAPE_RAW, "invalid character '{'");
    expect_compile_error("{{a\nb}}", 7, WH_ESCAPE_RAW, "invalid byte 0x0a");
    char longname[80];
    snprintf(longname, sizeof(longname), "{{%065d}}", 0);
    expect_compile_error(longname, strlen(longname), WH_ESCAPE_RAW, "longer than 64");
    snprintf(longname, sizeof(longname), "{{%064d}}", 0);
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, longname, strlen(longname), WH_ESCAPE_RAW));
    wh_template_free(t);
    /* Header templates cannot carry CR, LF or NUL in their own text either. */
    expect_compile_error("a\r\nb", 4, WH_ESCAPE_HEADER, "CR, LF or NUL (byte 1)");
    expect_compile_error("a\0b", 3, WH_ESCAPE_HEADER, "(byte 1)");
    /* Arguments. */
    assert_int_equal(wh_template_compile(NULL, "x", 1, WH_ESCAPE_RAW), WH_EINVAL);
    assert_int_equal(wh_template_compile(&t, NULL, 1, WH_ESCAPE_RAW), WH_EINVAL);
    assert_null(t);
    assert_int_equal(wh_template_compile(&t, "x", 1, (wh_escape)9), WH_EINVAL);
    assert_int_equal(wh_template_compile(&t, "x", (size_t)WH_MAX_TEMPLATE_LEN + 1, WH_ESCAPE_RAW),
                     WH_ETOOLARGE);
}

static void test_placeholder_list(void **state)
{
    (void)state;
    const char *src = "{{entity}}/{{ id }}/{{paymentName}}/{{entity}}/{{account}}";
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, src, strlen(src), WH_ESCAPE_URL));
    assert_int_equal(wh_template_mode(t), WH_ESCAPE_URL);
    assert_int_equal(wh_template_placeholder_count(t), 4);
    assert_string_equal(wh_template_placeholder_at(t, 0), "entity");
    assert_string_equal(wh_template_placeholder_at(t, 1), "id");
    assert_string_equal(wh_template_placeholder_at(t, 2), "paymentName");
    assert_string_equal(wh_template_placeholder_at(t, 3), "account");
    assert_null(wh_template_placeholder_at(t, 4));
    assert_int_equal(wh_template_placeholder_count(NULL), 0);
    assert_null(wh_template_placeholder_at(NULL, 0));
    wh_template_free(t);
    wh_template_free(NULL);
    /* Tens of thousands of distinct names (a hostile body template) compile fine. */
    enum { NAMES = 30000 };
    char *big = malloc(NAMES * 12 + 1), *p = big;
    for (int i = 0; i < NAMES; i++)
        p += sprintf(p, "{{n%d}}", i);
    WH_ASSERT_OK(wh_template_compile(&t, big, (size_t)(p - big), WH_ESCAPE_JSON));
    assert_int_equal(wh_template_placeholder_count(t), NAMES);
    assert_string_equal(wh_template_placeholder_at(t, NAMES - 1), "n29999");
    wh_template_free(t);
    free(big);
}

/* ---- escaping ---- */

static wh_event *tricky_event(void)
{
    wh_event *e = seed_event();
    WH_ASSERT_OK(wh_event_set_attribute(e, "v", "a/b c?d=é&\"q\"\\~._-"));
    WH_ASSERT_OK(wh_event_set_attribute(e, "nl", "line1\r\nline2\t\x01"));
    WH_ASSERT_OK(wh_event_add_id(e, "x,y/z"));
    return e;
}

static void test_url_mode_percent_encodes(void **state)
{
    (void)state;
    wh_event *e = tricky_event();
    expect_render("https://h.example/{{v}}", WH_ESCAPE_URL, e,
                  "https://h.example/a%2Fb%20c%3Fd%3D%C3%A9%26%22q%22%5C~._-");
    /* Each id is encoded; the separating commas stay. */
    expect_render("{{id}}", WH_ESCAPE_URL, e, "1001,1002,1003,x%2Cy%2Fz");
    expect_render("{{nl}}", WH_ESCAPE_URL, e, "line1%0D%0Aline2%09%01");
    wh_event_free(e);
}

static void test_json_mode_escapes_string_content(void **state)
{
    (void)state;
    wh_event *e = tricky_event();
    expect_render("{\"v\":\"{{v}}\",\"n\":\"{{nl}}\"}", WH_ESCAPE_JSON, e,
                  "{\"v\":\"a/b c?d=é&\\\"q\\\"\\\\~._-\",\"n\":\"line1\\r\\nline2\\t\\u0001\"}");
    char *out =
        render("{\"v\":\"{{v}}\",\"n\":\"{{nl}}\",\"ids\":\"{{id}}\"}", WH_ESCAPE_JSON, e, NULL);
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetObjectItem(doc, "v")->valuestring, "a/b c?d=é&\"q\"\\~._-");
    assert_string_equal(cJSON_GetObjectItem(doc, "n")->valuestring, "line1\r\nline2\t\x01");
    assert_string_equal(cJSON_GetObjectItem(doc, "ids")->valuestring, "1001,1002,1003,x,y/z");
    cJSON_Delete(doc);
    wh_free(out);
    wh_event_free(e);
}

/* A rendered header value obeys the rule of a static one: no control byte but TAB, no DEL. */
static void test_header_mode_refuses_control_bytes(void **state)
{
    (void)state;
    wh_event *e = tricky_event();
    expect_render("Bearer {{v}}", WH_ESCAPE_HEADER, e, "Bearer a/b c?d=é&\"q\"\\~._-");
    expect_render_error("x {{nl}}", WH_ESCAPE_HEADER, e, NULL, WH_ERENDER, "{{nl}}");
    assert_non_null(strstr(wh_error_last_message(), "control character"));
    static const char *const bad[] = {"a\nb",
                                      "a\rb",
                                      "a\x0b"
                                      "b",
                                      "a\x1b[31mb",
                                      "a\x7f"
                                      "b",
                                      "a\x01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        WH_ASSERT_OK(wh_event_set_attribute(e, "c", bad[i]));
        expect_render_error("{{c}}", WH_ESCAPE_HEADER, e, NULL, WH_ERENDER, "{{c}}");
    }
    WH_ASSERT_OK(wh_event_set_attribute(e, "tab", "a\tb"));
    expect_render("{{tab}}", WH_ESCAPE_HEADER, e, "a\tb");
    wh_event_free(e);
}

static void test_raw_mode_inserts_bytes(void **state)
{
    (void)state;
    wh_event *e = tricky_event();
    expect_render("[{{v}}][{{nl}}]", WH_ESCAPE_RAW, e,
                  "[a/b c?d=é&\"q\"\\~._-][line1\r\nline2\t\x01]");
    /* A raw template's own NUL bytes are kept and counted in *len. */
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, "a\0{{action}}", 12, WH_ESCAPE_RAW));
    char *out;
    size_t len;
    WH_ASSERT_OK(wh_template_render(t, e, NULL, 0, &out, &len));
    assert_int_equal(len, 8);
    assert_memory_equal(out, "a\0create", 9);
    wh_free(out);
    wh_template_free(t);
    wh_event_free(e);
}

/* ---- limits and URLs ---- */

static void test_size_limits(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    char big[4097];
    memset(big, 'x', 4096);
    big[4096] = '\0';
    WH_ASSERT_OK(wh_event_set_attribute(e, "big", big));
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, "{{big}}{{big}}", 14, WH_ESCAPE_RAW));
    char *out = (char *)1;
    size_t len;
    assert_int_equal(wh_template_render(t, e, NULL, 8191, &out, &len), WH_ETOOLARGE);
    assert_null(out);
    assert_non_null(strstr(wh_error_last_message(), "8191"));
    WH_ASSERT_OK(wh_template_render(t, e, NULL, 8192, &out, &len)); /* exactly at the limit */
    assert_int_equal(len, 8192);
    wh_free(out);
    wh_template_free(t);
    /* The default limit is 1 MiB: 257 x 4 KiB is over it, 256 x 4 KiB is exactly it. */
    char *src = malloc(257 * 7 + 1);
    src[0] = '\0';
    for (int i = 0; i < 256; i++)
        strcat(src, "{{big}}");
    WH_ASSERT_OK(wh_template_compile(&t, src, strlen(src), WH_ESCAPE_RAW));
    WH_ASSERT_OK(wh_template_render(t, e, NULL, 0, &out, &len));
    assert_int_equal(len, WH_DEFAULT_BODY_LIMIT);
    wh_free(out);
    wh_template_free(t);
    strcat(src, "{{big}}");
    WH_ASSERT_OK(wh_template_compile(&t, src, strlen(src), WH_ESCAPE_RAW));
    assert_int_equal(wh_template_render(t, e, NULL, 0, &out, &len), WH_ETOOLARGE);
    wh_template_free(t);
    free(src);
    wh_event_free(e);
}

static void test_rendered_url_must_be_valid(void **state)
{
    (void)state;
    wh_event *e = tricky_event();
    wh_template *t;
    char *out = (char *)1;
    /* Not absolute http(s). */
    WH_ASSERT_OK(wh_template_compile(&t, "{{entity}}/x", 12, WH_ESCAPE_URL));
    assert_int_equal(wh_template_render_url(t, e, NULL, &out, NULL), WH_ERENDER);
    assert_null(out);
    assert_non_null(strstr(wh_error_last_message(), "http"));
    wh_template_free(t);
    /* A raw value with a space makes an invalid URL. */
    WH_ASSERT_OK(wh_template_compile(&t, "https://h.example/{{v}}", 23, WH_ESCAPE_RAW));
    assert_int_equal(wh_template_render_url(t, e, NULL, &out, NULL), WH_ERENDER);
    wh_template_free(t);
    /* The same value percent-encoded is fine. */
    WH_ASSERT_OK(wh_template_compile(&t, "https://h.example/{{v}}", 23, WH_ESCAPE_URL));
    WH_ASSERT_OK(wh_template_render_url(t, e, NULL, &out, NULL));
    wh_free(out);
    wh_template_free(t);
    /* Longer than 2048 bytes after rendering. */
    char big[1100];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    WH_ASSERT_OK(wh_event_set_attribute(e, "big", big));
    WH_ASSERT_OK(wh_template_compile(&t, "https://h.example/{{big}}/{{big}}", 33, WH_ESCAPE_URL));
    assert_int_equal(wh_template_render_url(t, e, NULL, &out, NULL), WH_ETOOLARGE);
    assert_non_null(strstr(wh_error_last_message(), "2048"));
    wh_template_free(t);
    /* Host part empty after rendering. */
    WH_ASSERT_OK(wh_event_set_attribute(e, "empty", ""));
    WH_ASSERT_OK(wh_template_compile(&t, "https://{{empty}}/x", 19, WH_ESCAPE_URL));
    assert_int_equal(wh_template_render_url(t, e, NULL, &out, NULL), WH_ERENDER);
    assert_non_null(strstr(wh_error_last_message(), "host"));
    wh_template_free(t);
    wh_event_free(e);
}

static void test_render_arguments(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, "x", 1, WH_ESCAPE_RAW));
    char *out = (char *)1;
    assert_int_equal(wh_template_render(NULL, e, NULL, 0, &out, NULL), WH_EINVAL);
    assert_null(out);
    assert_int_equal(wh_template_render(t, NULL, NULL, 0, &out, NULL), WH_EINVAL);
    assert_int_equal(wh_template_render(t, e, NULL, 0, NULL, NULL), WH_EINVAL);
    assert_int_equal(wh_template_render_url(t, e, NULL, NULL, NULL), WH_EINVAL);
    assert_int_equal(wh_envelope_render(NULL, NULL, &out, NULL), WH_EINVAL);
    assert_int_equal(wh_envelope_render(e, NULL, NULL, NULL), WH_EINVAL);
    wh_template_free(t);
    wh_event_free(e);
}

/* ---- hot path: rendering into a reused buffer allocates nothing ---- */

static void test_buffer_render_does_not_allocate(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    const char *src = "{\"e\":\"{{entity}}\",\"ids\":\"{{id}}\",\"t\":\"{{timestamp}}\"}";
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, src, strlen(src), WH_ESCAPE_JSON));
    whi_buf b = WHI_BUF_INIT;
    WH_ASSERT_OK(whi_template_render_buf(t, e, "s", &b));
    whi_buf_clear(&b);
    WH_ASSERT_OK(whi_render_default_body_buf(e, sub, &b));
    size_t body_len = b.len;
    wh_test_alloc_begin(-1);
    for (int i = 0; i < 100; i++) {
        whi_buf_clear(&b);
        whi_template_render_buf(t, e, "s", &b);
        whi_buf_clear(&b);
        whi_render_default_body_buf(e, sub, &b);
    }
    wh_test_alloc_end();
    assert_int_equal(wh_test_allocs, 0);
    assert_int_equal(b.len, body_len);
    /* A buffer's own limit applies to the internal variants. */
    whi_buf small = WHI_BUF_INIT;
    small.limit = 10;
    assert_int_equal(whi_template_render_buf(t, e, "s", &small), WH_ETOOLARGE);
    whi_buf_clear(&small);
    assert_int_equal(whi_render_default_body_buf(e, sub, &small), WH_ETOOLARGE);
    whi_buf_free(&small);
    whi_buf_free(&b);
    wh_template_free(t);
    wh_subscription_free(sub);
    wh_event_free(e);
}

/* ---- the default envelope ---- */

static void test_default_envelope(void **state)
{
    (void)state;
    wh_event *e = seed_event();
    const char *data = "{ \"total\" : 12.5, \"items\": [1, 2] }";
    WH_ASSERT_OK(wh_event_set_data(e, data, strlen(data)));
    WH_ASSERT_OK(wh_event_set_relation(e, "COMPANY", "{\"name\":\"ACME\"}", 15));
    WH_ASSERT_OK(wh_event_set_relation(e, "CONTACT_FUNNEL", "[1,2]", 5));
    WH_ASSERT_OK(wh_event_set_relation(e, "data", "1", 1));
    char *out;
    size_t len;
    /* No subscription: no relations. */
    WH_ASSERT_OK(wh_envelope_render(e, NULL, &out, &len));
    assert_string_equal(out, "{\"id\":\"msg_1\",\"type\":\"order.created\","
                             "\"timestamp\":\"2023-11-14T22:13:20.123Z\","
                             "\"data\":{\"total\":12.5,\"items\":[1,2]}}");
    assert_int_equal(len, strlen(out));
    wh_free(out);
    /* Relations in the subscription's order; ones the event lacks and reserved names skipped. */
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_RELATIONS, "CONTACT_FUNNEL"));
    WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_RELATIONS, "MISSING"));
    WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_RELATIONS, "data"));
    WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_RELATIONS, "COMPANY"));
    WH_ASSERT_OK(wh_envelope_render(e, sub, &out, &len));
    assert_string_equal(out, "{\"id\":\"msg_1\",\"type\":\"order.created\","
                             "\"timestamp\":\"2023-11-14T22:13:20.123Z\","
                             "\"data\":{\"total\":12.5,\"items\":[1,2]},"
                             "\"CONTACT_FUNNEL\":[1,2],\"COMPANY\":{\"name\":\"ACME\"}}");
    cJSON *doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArraySize(doc), 6);
    cJSON_Delete(doc);
    wh_free(out);
    /* The default payload is null. */
    wh_event *bare;
    WH_ASSERT_OK(wh_event_new(&bare, "a.b"));
    WH_ASSERT_OK(wh_envelope_render(bare, sub, &out, NULL));
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "data")));
    assert_string_equal(cJSON_GetObjectItem(doc, "id")->valuestring, wh_event_id(bare));
    cJSON_Delete(doc);
    wh_free(out);
    wh_event_free(bare);
    wh_subscription_free(sub);
    wh_event_free(e);
}

static void test_id_list_follows_event_changes(void **state)
{
    (void)state;
    /* {{id}} is joined from the event's current list at each render. */
    wh_event *e = seed_event();
    wh_template *t;
    WH_ASSERT_OK(wh_template_compile(&t, "{{id}}", 6, WH_ESCAPE_RAW));
    char *a, *b;
    WH_ASSERT_OK(wh_template_render(t, e, NULL, 0, &a, NULL));
    WH_ASSERT_OK(wh_event_add_id(e, "1004"));
    WH_ASSERT_OK(wh_template_render(t, e, NULL, 0, &b, NULL));
    assert_string_equal(a, "1001,1002,1003");
    assert_string_equal(b, "1001,1002,1003,1004");
    assert_string_equal(b, wh_event_ids_joined(e));
    wh_free(a);
    wh_free(b);
    wh_template_free(t);
    wh_event_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed003_url),
        cmocka_unit_test(test_seed003_body_and_partial_placeholders),
        cmocka_unit_test(test_builtin_names),
        cmocka_unit_test(test_timestamp_format_matches_reference),
        cmocka_unit_test(test_builtins_win_over_attributes_but_account_is_an_attribute),
        cmocka_unit_test(test_missing_values_name_the_placeholder),
        cmocka_unit_test(test_spaces_inside_braces),
        cmocka_unit_test(test_literal_braces_and_backslashes),
        cmocka_unit_test(test_compile_errors_give_byte_offsets),
        cmocka_unit_test(test_placeholder_list),
        cmocka_unit_test(test_url_mode_percent_encodes),
        cmocka_unit_test(test_json_mode_escapes_string_content),
        cmocka_unit_test(test_header_mode_refuses_control_bytes),
        cmocka_unit_test(test_raw_mode_inserts_bytes),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_rendered_url_must_be_valid),
        cmocka_unit_test(test_render_arguments),
        cmocka_unit_test(test_buffer_render_does_not_allocate),
        cmocka_unit_test(test_default_envelope),
        cmocka_unit_test(test_id_list_follows_event_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
