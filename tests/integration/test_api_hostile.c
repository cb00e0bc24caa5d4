/*
 * The registration API under hostile input: malformed JSON, wrong types, oversize bodies and
 * values, invalid UTF-8, NULs, header injection, wrong media types, concurrent callers and
 * failing allocations. None may crash or leak, and none may change stored data: after each bad
 * request the stored webhook is byte-identical.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "api_fixture.h"
#include "wh_test.h"

static const char *WEBHOOK = "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],\"name\":\"keep me\","
                             "\"headers\":{\"X-Source\":\"shop\"}}";

/* A body of the given length: a JSON object whose name is padded out with 'x'. */
static char *padded_body(size_t len)
{
    char *b = malloc(len + 1);
    assert_non_null(b);
    memset(b, 'x', len);
    memcpy(b, "{\"name\":\"", 9);
    memcpy(b + len - 2, "\"}", 2);
    b[len] = '\0';
    return b;
}

/* Send one bad body with method to path; the answer must be `want` and nothing may change. */
static void expect_unchanged(api_fixture *f, const char *id, const char *method, const char *path,
                             const char *body, size_t len, const char *content_type, int want)
{
    char *before = api_stored(f, id);
    const char *n[] = {"x-api-key", "Content-Type"}, *v[] = {KEY_ALICE, content_type};
    int status = api_call_raw(f, method, path, n, v, content_type ? 2 : 1, body, len);
    if (status != want)
        print_error("%s %s %.80s -> %d (want %d): %s\n", method, path, body ? body : "", status,
                    want, f->last.body ? f->last.body : "");
    assert_int_equal(status, want);
    char *after = api_stored(f, id);
    assert_string_equal(before, after);
    wh_free(before);
    wh_free(after);
}

static void test_bad_bodies_change_nothing(void **state)
{
    api_fixture *f = *state;
    char id[64], path[128];
    api_create(f, KEY_ALICE, WEBHOOK, id, sizeof(id));
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    static const char *const bad[] = {
        "{",
        "{\"name\":}",
        "{\"name\":\"x\"}}",
        "{\"name\":\"x\"} trailing",
        "nul",
        "[]",
        "\"a string\"",
        "42",
        "{\"name\":5}",
        "{\"events\":{}}",
        "{\"events\":[1,2]}",
        "{\"url\":[]}",
        "{\"url\":\"javascript:alert(1)\"}",
        "{\"url\":\"http://169.254.169.254/latest/meta-data\"}",
        "{\"url\":\"http://[::1]/x\"}",
        "{\"headers\":[]}",
        "{\"headers\":{\"X-A\":5}}",
        "{\"headers\":{\"X-A\":\"v\\r\\nEvil: 1\"}}",
        "{\"headers\":{\"X-A\\r\\nEvil\":\"v\"}}",
        "{\"headers\":{\"X-A\":\"v\\nEvil: 1\"}}",
        "{\"headers\":\"X-A: v\\r\\nwebhook-signature: forged\"}",
        "{\"headers\":{\"Host\":\"evil.example\"}}",
        "{\"headers\":{\"Content-Length\":\"0\"}}",
        "{\"headers\":{\"x-idempotency-key\":\"mine\"}}",
        "{\"headers\":{\"Bad Name\":\"v\"}}",
        "{\"retry\":\"x\"}",
        "{\"retry\":{\"schedule\":[-1]}}",
        "{\"retry\":{\"schedule\":[1e300]}}",
        "{\"status\":true}",
        "{\"status\":\"paused\"}",
        "{\"method\":\"BREW\"}",
        "{\"metadata\":\"x\"}",
        "{\"secrets\":\"x\"}",
        "{\"secrets\":[\"plain\"]}",
        "{\"timeouts\":{\"connectMs\":1e999}}",
        "{\"timeouts\":{\"connectMs\":-0.5}}",
        "{\"id\":\"other\"}",
        "{\"id\":1e400}",
        "{\"name\":\"a\\u0000b\"}",
        "{\"body\":\"{{unclosed\"}",
        "{\"url\":\"RECV/{{nope\"}",
        "{\"events\":[\"a..b\"]}",
        "{\"events\":[\"a.**.b\"]}",
        "{\"actions\":[\"create\"]}",
        "{\"name\":\"\\ud800\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *body = api_recv_subst(f, bad[i]);
        expect_unchanged(f, id, "PATCH", path, body, strlen(body), "application/json", 400);
        /* a PUT with the same problems (plus what a PUT needs) changes nothing either */
        if (bad[i][0] == '{' && strcmp(bad[i], "{") != 0) {
            int want = 400;
            expect_unchanged(f, id, "PUT", path, body, strlen(body), "application/json", want);
        }
        free(body);
    }
    /* invalid UTF-8, raw NULs, control bytes */
    const char utf[] = "{\"name\":\"\xff\xfe\"}";
    expect_unchanged(f, id, "PATCH", path, utf, sizeof(utf) - 1, "application/json", 400);
    const char overlong[] = "{\"name\":\"\xc0\xaf\"}";
    expect_unchanged(f, id, "PATCH", path, overlong, sizeof(overlong) - 1, "application/json", 400);
    const char nul[] = "{\"name\":\"a\0b\"}";
    expect_unchanged(f, id, "PATCH", path, nul, sizeof(nul) - 1, "application/json", 400);
    const char nul2[] = "{\"name\":\"ab\"}\0";
    expect_unchanged(f, id, "PATCH", path, nul2, sizeof(nul2) - 1, "application/json", 400);
    /* oversize values */
    char *name = padded_body(300 + 11);
    expect_unchanged(f, id, "PATCH", path, name, strlen(name), "application/json", 400);
    free(name);
    char *deep = malloc(20001);
    memset(deep, '[', 20000);
    deep[20000] = '\0';
    expect_unchanged(f, id, "PATCH", path, deep, 20000, "application/json", 400);
    /* the answer says what is wrong, not "syntax error at byte N" */
    assert_non_null(strstr(api_str(f, "message"), "nesting too deep at byte 128 (limit 128)"));
    memcpy(deep, "{\"metadata\":", 12);
    for (size_t i = 12; i < 20000; i += 5)
        memcpy(deep + i, i + 5 <= 20000 ? "{\"a\":" : "{\"a\"", i + 5 <= 20000 ? 5 : 20000 - i);
    expect_unchanged(f, id, "PATCH", path, deep, 20000, "application/json", 400);
    assert_non_null(strstr(api_str(f, "message"), "nesting too deep"));
    free(deep);
    char events[20000] = "{\"events\":[";
    size_t o = strlen(events);
    for (int i = 0; i < 1100; i++)
        o += (size_t)snprintf(events + o, sizeof(events) - o, "%s\"e%d.x\"", i ? "," : "", i);
    snprintf(events + o, sizeof(events) - o, "]}");
    expect_unchanged(f, id, "PATCH", path, events, strlen(events), "application/json", 400);
    /* an empty body where one is needed */
    expect_unchanged(f, id, "PATCH", path, NULL, 0, "application/json", 400);
    expect_unchanged(f, id, "PUT", path, "  \n", 3, "application/json", 400);
    /* and no webhook was created by any of the bad POSTs either */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *body = api_recv_subst(f, bad[i]);
        int s = api_call(f, "POST", "/webhooks", KEY_ALICE, body);
        assert_true(s == 400 || s == 201);
        if (s == 201) /* a valid-alone patch is not a valid webhook alone */
            print_error("POST %s was accepted\n", bad[i]);
        assert_int_equal(s, 400);
        free(body);
    }
    assert_int_equal(api_call(f, "GET", "/webhooks", KEY_ALICE, NULL), 200);
    assert_int_equal((int)api_num(f, "total"), 1);
}

static void test_media_types(void **state)
{
    api_fixture *f = *state;
    char id[64], path[128];
    api_create(f, KEY_ALICE, WEBHOOK, id, sizeof(id));
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    const char *body = "{\"name\":\"renamed\"}";
    const char *refused[] = {"text/plain",
                             "application/x-www-form-urlencoded",
                             "application/jsonx",
                             "application/json; charset=latin1",
                             "application/json;charset=\"iso-8859-1\"",
                             "json",
                             "",
                             "application/+json",
                             "multipart/form-data; boundary=x"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        expect_unchanged(f, id, "PATCH", path, body, strlen(body), refused[i], 415);
    assert_non_null(strstr(api_str(f, "message"), "application/json"));
    const char *accepted[] = {"application/json",
                              "Application/JSON",
                              " application/json ; charset=UTF-8",
                              "application/json;charset=\"utf-8\"",
                              "application/merge-patch+json",
                              "application/vnd.api+json; version=2"};
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        const char *n[] = {"x-api-key", "Content-Type"}, *v[] = {KEY_ALICE, accepted[i]};
        if (api_call_raw(f, "PATCH", path, n, v, 2, body, strlen(body)) != 200)
            print_error("Content-Type '%s' -> %d\n", accepted[i], f->last.status);
        assert_int_equal(f->last.status, 200);
    }
    /* no Content-Type at all: the body is taken as JSON */
    const char *n[] = {"x-api-key"}, *v[] = {KEY_ALICE};
    assert_int_equal(api_call_raw(f, "PATCH", path, n, v, 1, "{\"name\":\"bare\"}", 15), 200);
    assert_string_equal(api_str(f, "name"), "bare");
    /* routes without a body ignore its type; an optional body may be absent whatever it says */
    const char *n2[] = {"x-api-key", "Content-Type"}, *v2[] = {KEY_ALICE, "text/plain"};
    assert_int_equal(api_call_raw(f, "GET", path, n2, v2, 2, "hello", 5), 200);
    char rot[160];
    snprintf(rot, sizeof(rot), "%s/secret/rotate", path);
    assert_int_equal(api_call_raw(f, "POST", rot, n2, v2, 2, NULL, 0), 200);
    assert_int_equal(api_call_raw(f, "POST", rot, n2, v2, 2, "x", 1), 415);
}

static void test_body_limits(void **state)
{
    api_fixture *f = *state;
    char id[64], path[128];
    api_create(f, KEY_ALICE, WEBHOOK, id, sizeof(id));
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    char *big = padded_body(2 * 1024 * 1024);
    expect_unchanged(f, id, "PATCH", path, big, strlen(big), "application/json", 413);
    assert_non_null(strstr(api_str(f, "message"), "1048576"));
    expect_unchanged(f, id, "PUT", path, big, strlen(big), "application/json", 413);
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE, big), 413);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE, big), 413);
    free(big);
    /* exactly at the limit is fine, one byte over is not */
    WH_ASSERT_OK(wh_api_set_max_body(f->api, 64));
    char *at = padded_body(64), *over = padded_body(65);
    const char *n[] = {"x-api-key"}, *v[] = {KEY_ALICE};
    assert_int_equal(api_call_raw(f, "PATCH", path, n, v, 1, at, 64), 200);
    assert_int_equal(strlen(api_str(f, "name")), 64 - 11);
    expect_unchanged(f, id, "PATCH", path, over, 65, NULL, 413);
    free(at);
    free(over);
    /* the limit applies to every route, and before any parsing */
    expect_unchanged(f, id, "GET", path,
                     "{\"0123456789012345678901234567890123456789012345678901234567890\":1}", 67,
                     NULL, 413);
    /* a host that stopped reading says so */
    wh_api_request req = WH_API_REQUEST_INIT;
    req.method = "POST";
    req.path = "/webhooks";
    req.header_names = n;
    req.header_values = v;
    req.header_count = 1;
    req.body_too_large = 1;
    wh_api_response resp = WH_API_RESPONSE_INIT;
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp));
    assert_int_equal(resp.status, 413);
    wh_api_response_free(&resp);
    /* but authentication comes first */
    req.header_count = 0;
    WH_ASSERT_OK(wh_api_handle(f->api, &req, &resp));
    assert_int_equal(resp.status, 401);
    wh_api_response_free(&resp);
}

static void test_escapes_and_unknown_fields(void **state)
{
    api_fixture *f = *state;
    char id[64], path[128];
    /* "\\u0000" is a backslash followed by text: a fine name */
    api_create(f, KEY_ALICE,
               "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],\"name\":\"back\\\\u0000slash \\u00e9\"}",
               id, sizeof(id));
    assert_string_equal(api_str(f, "name"), "back\\u0000slash \xc3\xa9");
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    /* unknown fields are ignored: only updatedAt moves */
    char *before = api_stored(f, id);
    f->hub.now += 1000;
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE,
                              "{\"colour\":\"red\",\"__proto__\":{\"x\":1},\"lastDeliveryAt\":"
                              "\"2030-01-01T00:00:00Z\",\"failureCount\":99}"),
                     200);
    char *after = api_stored(f, id);
    cJSON *b = cJSON_Parse(before), *a = cJSON_Parse(after);
    cJSON_DeleteItemFromObject(b, "updatedAt");
    cJSON_DeleteItemFromObject(a, "updatedAt");
    char *sb = cJSON_PrintUnformatted(b), *sa = cJSON_PrintUnformatted(a);
    assert_string_equal(sb, sa);
    free(sb);
    free(sa);
    cJSON_Delete(a);
    cJSON_Delete(b);
    wh_free(before);
    wh_free(after);
    /* a custom header with an injection attempt never reaches the wire; a clean one does */
    assert_int_equal(
        api_call(f, "PATCH", path, KEY_ALICE,
                 "{\"headers\":{\"X-Tenant\":\"t1\",\"X-Evil\":\"a\\u000d\\u000aB: c\"}}"),
        400);
    assert_int_equal(api_call(f, "PATCH", path, KEY_ALICE, "{\"headers\":{\"X-Tenant\":\"t1\"}}"),
                     200);
    assert_int_equal(hub_fixture_emit(&f->hub, "a.b", 1), 1);
    assert_true(hub_fixture_run_until_requests(&f->hub, 1, 5000));
    const wh_recv_request *q = wh_receiver_request(f->hub.recv, 0);
    assert_string_equal(wh_recv_request_header(q, "X-Tenant"), "t1");
    assert_null(wh_recv_request_header(q, "X-Evil"));
    assert_null(wh_recv_request_header(q, "B"));
}

/* ---- many threads at once ---- */

typedef struct worker {
    api_fixture *f;
    const char *key;
    int created, failures;
} worker;

static int call_quiet(api_fixture *f, const char *method, const char *path, const char *key,
                      const char *body, char *id_out)
{
    const char *n[] = {"x-api-key", "Content-Type"}, *v[] = {key, "application/json"};
    wh_api_request req = WH_API_REQUEST_INIT;
    req.method = method;
    req.path = path;
    req.header_names = n;
    req.header_values = v;
    req.header_count = 2;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    wh_api_response resp = WH_API_RESPONSE_INIT;
    int rc = wh_api_handle(f->api, &req, &resp);
    int status = rc == WH_OK ? resp.status : -1;
    if (id_out && status == 201) {
        const char *p = strstr(resp.body, "\"id\":\"");
        snprintf(id_out, 64, "%.36s", p ? p + 6 : "");
    }
    wh_api_response_free(&resp);
    return status;
}

static void *work(void *arg)
{
    worker *w = arg;
    char url[160], body[256], id[64], path[128];
    wh_receiver_url(w->f->hub.recv, "/t", url, sizeof(url));
    snprintf(body, sizeof(body), "{\"url\":\"%s\",\"events\":[\"a.b\"]}", url);
    for (int i = 0; i < 40; i++) {
        if (call_quiet(w->f, "POST", "/webhooks", w->key, body, id) != 201) {
            w->failures++;
            continue;
        }
        w->created++;
        snprintf(path, sizeof(path), "/webhooks/%s", id);
        w->failures += call_quiet(w->f, "PATCH", path, w->key, "{\"name\":\"n\"}", NULL) != 200;
        w->failures += call_quiet(w->f, "GET", "/webhooks?limit=5", w->key, NULL, NULL) != 200;
        w->failures += call_quiet(w->f, "GET", path, w->key, NULL, NULL) != 200;
        if (i % 2) {
            w->failures += call_quiet(w->f, "DELETE", path, w->key, NULL, NULL) != 200;
            w->created--;
        }
        w->failures +=
            call_quiet(w->f, "POST", "/events", w->key, "{\"type\":\"a.b\"}", NULL) != 202;
    }
    return NULL;
}

static void test_many_threads_at_once(void **state)
{
    api_fixture *f = *state;
    WH_ASSERT_OK(wh_api_add_key(f->api, "key-carol", "carol", WH_SCOPE_ALL));
    WH_ASSERT_OK(wh_api_add_key(f->api, "key-dave", "dave", WH_SCOPE_ALL));
    const char *keys[] = {KEY_ALICE, KEY_BOB, "key-carol", "key-dave"};
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){f, keys[i], 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    /* configuration changes while requests run */
    for (int i = 0; i < 50; i++) {
        char name[32];
        snprintf(name, sizeof(name), "t%d.x", i);
        WH_ASSERT_OK(wh_api_catalogue_add_type(f->api, "a.b", NULL, NULL)); /* always known */
        WH_ASSERT_OK(wh_api_catalogue_add_type(f->api, name, NULL, NULL));
        WH_ASSERT_OK(wh_api_catalogue_clear(f->api));
        WH_ASSERT_OK(wh_api_set_reveal_secrets(f->api, i % 2));
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].created, 20);
        assert_int_equal(api_call(f, "GET", "/webhooks", keys[i], NULL), 200);
        assert_int_equal((int)api_num(f, "total"), 20);
    }
}

/* ---- failing allocations ---- */

typedef struct fail_alloc {
    long countdown; /* allocations left before failing; negative: never fail */
    long failed;
} fail_alloc;

static fail_alloc g_fail;

static void *f_malloc(size_t n, void *ud)
{
    (void)ud;
    if (g_fail.countdown == 0) {
        g_fail.failed++;
        return NULL;
    }
    if (g_fail.countdown > 0) g_fail.countdown--;
    return malloc(n);
}

static void *f_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    if (g_fail.countdown == 0) {
        g_fail.failed++;
        return NULL;
    }
    if (g_fail.countdown > 0) g_fail.countdown--;
    return realloc(p, n);
}

static void f_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

/* Run one request with the n-th allocation failing, for every n until one runs untouched.
 * Each run must answer (success, or 500 without internals) and leave the stored webhook either
 * as it was or, for an idempotent change whose answer failed after it was stored, as the
 * successful run leaves it. */
static long sweep(api_fixture *f, const char *id, const char *method, const char *path,
                  const char *body, int ok_status, bool idempotent)
{
    char *changed_to = NULL; /* a state a failed run left behind */
    for (long n = 0; n < 5000; n++) {
        if (!idempotent) /* let secrets rotated out by earlier runs expire */
            f->hub.now += 2000;
        char *before = api_stored(f, id);
        const char *names[] = {"x-api-key", "Content-Type"};
        const char *values[] = {KEY_ALICE, "application/json"};
        wh_api_request req = WH_API_REQUEST_INIT;
        req.method = method;
        req.path = path;
        req.header_names = names;
        req.header_values = values;
        req.header_count = 2;
        req.body = body;
        req.body_len = body ? strlen(body) : 0;
        wh_api_response resp = WH_API_RESPONSE_INIT;
        g_fail = (fail_alloc){n, 0};
        int rc = wh_api_handle(f->api, &req, &resp);
        long failed = g_fail.failed;
        g_fail.countdown = -1;
        assert_true(rc == WH_OK || rc == WH_ENOMEM);
        char *after = api_stored(f, id);
        if (!failed) {
            if (resp.status != ok_status)
                print_error("%s %s (n=%ld) -> %d: %s\n", method, path, n, resp.status,
                            resp.body ? resp.body : "");
            assert_int_equal(resp.status, ok_status);
            if (changed_to) assert_string_equal(changed_to, after);
            wh_api_response_free(&resp);
            wh_free(before);
            wh_free(after);
            free(changed_to);
            return n; /* the number of allocations the request makes */
        }
        /* a failure the API could work around (e.g. in a listing) may still answer */
        assert_true(resp.status == 500 || resp.status == ok_status);
        if (resp.status == 500 && resp.body)
            assert_non_null(strstr(resp.body, "\"internal error\""));
        if (strcmp(before, after) != 0 && idempotent) {
            if (!changed_to) changed_to = strdup(after);
            assert_string_equal(changed_to, after);
        } else if (strcmp(before, after) != 0) {
            assert_true(strcmp(method, "GET") != 0); /* reads never change anything */
        }
        wh_api_response_free(&resp);
        wh_free(before);
        wh_free(after);
    }
    fail(); /* never got through */
    return 0;
}

static void test_failing_allocations(void **state)
{
    api_fixture *f = *state;
    char id[64], path[160];
    api_create(f, KEY_ALICE, WEBHOOK, id, sizeof(id));
    assert_int_equal(hub_fixture_emit(&f->hub, "a.b", 1), 1);
    wh_allocator a = {WH_ALLOCATOR_VERSION, f_malloc, f_realloc, f_free, NULL};
    g_fail.countdown = -1;
    WH_ASSERT_OK(wh_set_allocator(&a));
    snprintf(path, sizeof(path), "/webhooks/%s", id);
    assert_true(sweep(f, id, "GET", path, NULL, 200, true) > 1);
    assert_true(sweep(f, id, "GET", "/webhooks", NULL, 200, true) > 1);
    assert_true(sweep(f, id, "PATCH", path, "{\"name\":\"patched\",\"headers\":{\"X-A\":\"b\"}}",
                      200, true) > 1);
    assert_true(sweep(f, id, "PUT", path, "{\"url\":\"http://127.0.0.1:1/x\",\"events\":[\"a.b\"]}",
                      200, true) > 1);
    snprintf(path, sizeof(path), "/webhooks/%s/deliveries", id);
    assert_true(sweep(f, id, "GET", path, NULL, 200, true) > 1);
    snprintf(path, sizeof(path), "/webhooks/%s/secret/rotate", id);
    assert_true(sweep(f, id, "POST", path, "{\"overlapMs\":1000}", 200, false) > 1);
    assert_true(sweep(f, id, "POST", "/events", "{\"type\":\"c.d\"}", 202, true) > 1);
    assert_true(sweep(f, id, "POST", "/webhooks",
                      "{\"url\":\"http://127.0.0.1:1/x\",\"events\":[\"a.b\"]}", 201, true) > 1);
    assert_true(sweep(f, id, "GET", "/event-types", NULL, 200, true) > 1);
    assert_true(sweep(f, id, "GET", "/nope", NULL, 404, true) > 1);
    WH_ASSERT_OK(wh_set_allocator(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_bodies_change_nothing, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_media_types, api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_body_limits, api_fixture_setup, api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_escapes_and_unknown_fields, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_many_threads_at_once, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_failing_allocations, api_fixture_setup,
                                        api_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
