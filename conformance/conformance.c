/* The store conformance kit: runner and helpers (the cases are in conformance_*.c). */
#include <stdio.h>
#include <stdlib.h>

#include "conformance_impl.h"
#include <string.h>

wh_subscription *wh_sc_sub(const char *id, const char *owner, wh_time_ms created)
{
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_new(&sub));
    WH_ASSERT_OK(wh_subscription_set_id(sub, id));
    WH_ASSERT_OK(wh_subscription_set_owner(sub, owner));
    WH_ASSERT_OK(wh_subscription_set_name(sub, id));
    WH_ASSERT_OK(wh_subscription_set_url(sub, "https://example.com/hooks"));
    WH_ASSERT_OK(wh_subscription_list_add(sub, WH_LIST_EVENTS, "order.created"));
    WH_ASSERT_OK(wh_subscription_set_times(sub, created, created));
    return sub;
}

void wh_sc_put_sub(wh_store *s, const char *id, const char *owner, wh_time_ms created)
{
    wh_subscription *sub = wh_sc_sub(id, owner, created);
    WH_ASSERT_OK(s->sub_create(s, sub));
    wh_subscription_free(sub);
}

wh_delivery wh_sc_delivery(const char *id, const char *sub_id, wh_time_ms created, wh_time_ms due)
{
    wh_delivery d = {.version = WH_DELIVERY_VERSION};
    d.id = id;
    d.subscription_id = sub_id;
    d.event_id = "evt_1";
    d.event_type = "order.created";
    d.idempotency_key = id;
    d.method = WH_METHOD_POST;
    d.url = "https://example.com/hooks";
    d.headers = "{}";
    d.body = "{\"a\":1}";
    d.body_len = 7;
    d.event_time = created;
    d.status = WH_DELIVERY_PENDING;
    d.next_attempt_at = due;
    d.created_at = d.updated_at = created;
    return d;
}

void wh_sc_put_delivery(wh_store *s, const char *id, const char *sub_id, wh_time_ms created,
                        wh_time_ms due)
{
    wh_delivery d = wh_sc_delivery(id, sub_id, created, due);
    const wh_delivery *batch[] = {&d};
    WH_ASSERT_OK(s->enqueue(s, batch, 1));
}

static int copy_one(const wh_delivery *d, void *user_data)
{
    WH_ASSERT_OK(wh_delivery_copy(user_data, d));
    return 0;
}

void wh_sc_get(wh_store *s, const char *id, wh_delivery *out)
{
    memset(out, 0, sizeof(*out));
    WH_ASSERT_OK(s->delivery_get(s, id, copy_one, out));
}

int wh_sc_ignore_delivery(const wh_delivery *d, void *user_data)
{
    (void)d;
    (void)user_data;
    return 0;
}

size_t wh_sc_count_deliveries(wh_store *s)
{
    size_t total = 0;
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.limit = 1;
    WH_ASSERT_OK(s->delivery_list(s, &q, &total, wh_sc_ignore_delivery, NULL));
    return total;
}

static int status_of(const wh_delivery *d, void *user_data)
{
    *(int *)user_data = (int)d->status;
    return 0;
}

int wh_sc_status(wh_store *s, const char *id)
{
    int status = -1;
    int rc = s->delivery_get(s, id, status_of, &status);
    if (rc != WH_OK) assert_int_equal(rc, WH_ENOTFOUND);
    return status;
}

int wh_sc_record(wh_store *s, const char *id, uint32_t number, wh_time_ms started, int http,
                 wh_delivery_status status, wh_time_ms next, const wh_sub_stats *stats)
{
    wh_attempt a = {.version = WH_ATTEMPT_VERSION};
    a.delivery_id = id;
    a.number = number;
    a.started_at = started;
    a.duration_ms = 10;
    a.http_status = http;
    a.response = "ok";
    a.response_len = 2;
    wh_outcome o = {status, next, status == WH_DELIVERY_SUCCEEDED ? NULL : "failed", stats};
    return s->record(s, &a, &o);
}

int sc_collect(const wh_delivery *d, void *user_data)
{
    sc_got *g = user_data;
    assert_true(g->n < SC_MAX);
    WH_ASSERT_OK(wh_delivery_copy(&g->d[g->n++], d));
    return g->stop_after && g->n >= g->stop_after;
}

void sc_got_free(sc_got *g)
{
    for (size_t i = 0; i < g->n; i++)
        wh_delivery_clear(&g->d[i]);
    g->n = 0;
}

int sc_lease(wh_store *s, wh_time_ms now, wh_time_ms until, size_t max, size_t per_sub,
             const char *const *exclude, size_t nexclude, sc_got *g)
{
    wh_lease_request req = {now, until, max, per_sub, exclude, nexclude};
    return s->lease(s, &req, sc_collect, g);
}

int sc_collect_attempt(const wh_attempt *a, void *user_data)
{
    sc_attempts *as = user_data;
    assert_true(as->n < SC_MAX);
    WH_ASSERT_OK(wh_attempt_copy(&as->a[as->n++], a));
    return 0;
}

void sc_attempts_free(sc_attempts *as)
{
    for (size_t i = 0; i < as->n; i++)
        wh_attempt_clear(&as->a[i]);
    as->n = 0;
}

static int setup(void **state)
{
    sc_ctx *c = *state;
    c->store = NULL;
    int rc = c->make(&c->store, c->user_data);
    if (rc != WH_OK || !c->store)
        print_error("store factory failed: %d %s\n", rc, wh_error_last()->message);
    return rc == WH_OK && c->store ? 0 : -1;
}

static int teardown(void **state)
{
    sc_ctx *c = *state;
    wh_store_free(c->store);
    c->store = NULL;
    return 0;
}

static size_t add_tests(struct CMUnitTest *all, size_t n, const struct CMUnitTest *tests,
                        size_t count, sc_ctx *ctx)
{
    for (size_t i = 0; i < count; i++, n++) {
        all[n] = tests[i];
        all[n].setup_func = setup;
        all[n].teardown_func = teardown;
        all[n].initial_state = ctx;
    }
    return n;
}

int wh_store_conformance_run(const char *name, wh_store_factory make, void *user_data)
{
    sc_ctx ctx = {make, user_data, NULL};
    size_t total =
        sc_sub_tests_count + sc_queue_tests_count + sc_record_tests_count + sc_event_tests_count;
    struct CMUnitTest *all = calloc(total, sizeof(*all));
    if (!all) return 1;
    size_t n = add_tests(all, 0, sc_sub_tests, sc_sub_tests_count, &ctx);
    n = add_tests(all, n, sc_queue_tests, sc_queue_tests_count, &ctx);
    n = add_tests(all, n, sc_record_tests, sc_record_tests_count, &ctx);
    n = add_tests(all, n, sc_event_tests, sc_event_tests_count, &ctx);
    int failed = _cmocka_run_group_tests(name, all, n, NULL, NULL);
    free(all);
    return failed;
}

int wh_store_cases_run(const char *name, const struct CMUnitTest *tests, size_t count,
                       wh_store_factory make, void *user_data)
{
    sc_ctx ctx = {make, user_data, NULL};
    struct CMUnitTest *all = calloc(count ? count : 1, sizeof(*all));
    if (!all) return 1;
    size_t n = add_tests(all, 0, tests, count, &ctx);
    int failed = _cmocka_run_group_tests(name, all, n, NULL, NULL);
    free(all);
    return failed;
}

wh_store *wh_sc_store(void **state)
{
    return SC_STORE(state);
}
