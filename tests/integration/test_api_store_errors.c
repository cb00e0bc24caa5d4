/*
 * The registration API when storage fails: a busy store answers 503 with Retry-After, any other
 * storage failure 500 with a fixed message (the cause goes to the host's log callback only), and
 * a failed change leaves the webhook as it was.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wh_test.h"

/* A memory store whose chosen members fail with g_fail (0: pass through). The wrapper shares
 * the inner store's data pointer, so the inner members can be called with it. */
static wh_store *g_inner;
static int g_fail;
static const char *g_fail_op = "";

static int fails(const char *op)
{
    return g_fail && strcmp(op, g_fail_op) == 0;
}

static int w_sub_list(wh_store *s, const char *owner, size_t limit, size_t page, size_t *total,
                      wh_store_sub_cb cb, void *ud)
{
    return fails("sub_list") ? g_fail : g_inner->sub_list(s, owner, limit, page, total, cb, ud);
}

static int w_sub_delete(wh_store *s, const char *id)
{
    return fails("sub_delete") ? g_fail : g_inner->sub_delete(s, id);
}

static int w_sub_replace(wh_store *s, const wh_subscription *sub)
{
    return fails("sub_replace") ? g_fail : g_inner->sub_replace(s, sub);
}

static int w_enqueue(wh_store *s, const wh_delivery *const *batch, size_t n)
{
    return fails("enqueue") ? g_fail : g_inner->enqueue(s, batch, n);
}

/* The hub enqueues through enqueue_events (event idempotency): the same failure. */
static int w_enqueue_events(wh_store *s, const char *const *ids, size_t nids, wh_time_ms now,
                            wh_time_ms expires_at, const wh_delivery *const *batch, size_t n)
{
    return fails("enqueue") ? g_fail
                            : g_inner->enqueue_events(s, ids, nids, now, expires_at, batch, n);
}

static int w_delivery_list(wh_store *s, const wh_delivery_query *q, size_t *total,
                           wh_store_delivery_cb cb, void *ud)
{
    return fails("delivery_list") ? g_fail : g_inner->delivery_list(s, q, total, cb, ud);
}

static int w_replay(wh_store *s, const char *id, wh_time_ms now)
{
    return fails("replay") ? g_fail : g_inner->replay(s, id, now);
}

static void w_free(wh_store *s)
{
    wh_store_free(g_inner);
    free(s);
}

typedef struct env {
    wh_hub *hub;
    wh_api *api;
    int logs;
    char log[600];
} env;

static void on_log(int level, const char *msg, void *ud)
{
    env *e = ud;
    assert_int_equal(level, WH_LOG_ERROR);
    e->logs++;
    snprintf(e->log, sizeof(e->log), "%s", msg);
}

static wh_time_ms clock_cb(void *ud)
{
    (void)ud;
    return 1800000000000LL;
}

static int setup(void **state)
{
    env *e = calloc(1, sizeof(*e));
    WH_ASSERT_OK(wh_store_memory_new(&g_inner));
    wh_store *w = malloc(sizeof(*w));
    *w = *g_inner;
    w->sub_list = w_sub_list;
    w->sub_delete = w_sub_delete;
    w->sub_replace = w_sub_replace;
    w->enqueue = w_enqueue;
    w->enqueue_events = w_enqueue_events;
    w->delivery_list = w_delivery_list;
    w->replay = w_replay;
    w->free = w_free;
    g_fail = 0;
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, w, 1));
    WH_ASSERT_OK(wh_hub_options_set_clock(o, clock_cb, NULL));
    WH_ASSERT_OK(wh_hub_new(&e->hub, o));
    wh_hub_options_free(o);
    WH_ASSERT_OK(wh_api_new(&e->api, e->hub));
    WH_ASSERT_OK(wh_api_set_log(e->api, on_log, e));
    WH_ASSERT_OK(wh_api_add_key(e->api, "k", "alice", WH_SCOPE_ALL));
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    wh_api_free(e->api);
    wh_hub_free(e->hub);
    free(e);
    return 0;
}

/* One request; returns the status, the body in body (n bytes) and Retry-After in retry. */
static int call(env *e, const char *method, const char *path, const char *body, char *out, size_t n,
                char *retry)
{
    const char *names[] = {"x-api-key", "Content-Type"}, *values[] = {"k", "application/json"};
    wh_api_request req = WH_API_REQUEST_INIT;
    req.method = method;
    req.path = path;
    req.header_names = names;
    req.header_values = values;
    req.header_count = 2;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    wh_api_response resp = WH_API_RESPONSE_INIT;
    WH_ASSERT_OK(wh_api_handle(e->api, &req, &resp));
    snprintf(out, n, "%s", resp.body ? resp.body : "");
    if (retry) {
        retry[0] = '\0';
        for (size_t i = 0; i < resp.header_count; i++)
            if (strcmp(resp.headers[i].name, "Retry-After") == 0)
                snprintf(retry, 16, "%s", resp.headers[i].value);
    }
    int status = resp.status;
    wh_api_response_free(&resp);
    return status;
}

static void create(env *e)
{
    char body[4096];
    assert_int_equal(call(e, "POST", "/webhooks",
                          "{\"id\":\"w1\",\"url\":\"https://example.com/h\",\"events\":[\"a.b\"]}",
                          body, sizeof(body), NULL),
                     201);
}

static char *stored(env *e)
{
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(e->hub, "w1", &sub));
    char *json;
    WH_ASSERT_OK(wh_subscription_to_json(sub, WH_JSON_SECRETS, &json, NULL));
    wh_subscription_free(sub);
    return json;
}

static void test_busy_store_is_503(void **state)
{
    env *e = *state;
    char body[4096], retry[16];
    g_fail = WH_EBUSY;
    g_fail_op = "sub_list";
    assert_int_equal(call(e, "GET", "/webhooks", NULL, body, sizeof(body), retry), 503);
    assert_string_equal(retry, "1");
    assert_non_null(strstr(body, "\"message\""));
    assert_int_equal(e->logs, 0); /* a busy store is not an internal error */
    g_fail = 0;
    assert_int_equal(call(e, "GET", "/webhooks", NULL, body, sizeof(body), retry), 200);
    assert_string_equal(retry, "");
}

static int first_delivery(const wh_delivery *d, void *ud)
{
    snprintf(ud, 64, "%s", d->id);
    return 1;
}

static void test_storage_failures_are_500_without_internals(void **state)
{
    env *e = *state;
    char body[4096];
    create(e);
    assert_int_equal(call(e, "POST", "/events", "{\"type\":\"a.b\"}", body, sizeof(body), NULL),
                     202);
    struct {
        const char *op, *method, *path, *body;
        int code;
    } cases[] = {
        {"sub_list", "GET", "/webhooks", NULL, WH_EIO},
        {"sub_delete", "DELETE", "/webhooks/w1", NULL, WH_EIO},
        {"sub_replace", "PATCH", "/webhooks/w1", "{\"name\":\"x\"}", WH_EREADONLY},
        {"sub_replace", "PUT", "/webhooks/w1",
         "{\"url\":\"https://example.com/p\",\"events\":[\"c.d\"]}", WH_ECORRUPT},
        {"sub_replace", "POST", "/webhooks/w1/secret/rotate", NULL, WH_EIO},
        {"enqueue", "POST", "/events", "{\"type\":\"a.b\"}", WH_EFULL},
        {"enqueue", "POST", "/webhooks/w1/test", NULL, WH_EIO},
        {"delivery_list", "GET", "/webhooks/w1/deliveries", NULL, WH_EIO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *before = stored(e);
        int logs = e->logs;
        g_fail = cases[i].code;
        g_fail_op = cases[i].op;
        int status =
            call(e, cases[i].method, cases[i].path, cases[i].body, body, sizeof(body), NULL);
        g_fail = 0;
        if (status != 500)
            print_error("%s %s with %s failing -> %d %s\n", cases[i].method, cases[i].path,
                        cases[i].op, status, body);
        assert_int_equal(status, 500);
        assert_string_equal(body, "{\"message\":\"internal error\",\"details\":[]}");
        assert_int_equal(e->logs, logs + 1);
        assert_non_null(strstr(e->log, cases[i].path));
        assert_non_null(strstr(e->log, wh_strerror(cases[i].code)));
        char *after = stored(e);
        assert_string_equal(before, after); /* nothing changed */
        wh_free(before);
        wh_free(after);
    }
    /* the retry of a delivery when the store fails to replay it */
    wh_store *st = wh_hub_store(e->hub);
    char dlv[64] = "", path[128];
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = "w1";
    WH_ASSERT_OK(st->delivery_list(st, &q, NULL, first_delivery, dlv));
    snprintf(path, sizeof(path), "/deliveries/%s/retry", dlv);
    g_fail = WH_EIO;
    g_fail_op = "replay";
    assert_int_equal(call(e, "POST", path, NULL, body, sizeof(body), NULL), 500);
    g_fail = 0;
    assert_int_equal(call(e, "POST", path, NULL, body, sizeof(body), NULL), 202);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_busy_store_is_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storage_failures_are_500_without_internals, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
