/*
 * What one event may make the templates render, and who waits while they do.
 *
 * The hostile case found by an outside test: a webhook whose header templates repeat {{id}}
 * and an event carrying 1 024 ids of 255 bytes made one header render 357 MB, under the hub's
 * lock, while another owner's emit waited 24 s. Now every rendered header value stops at
 * WH_MAX_HEADER_LEN, all of them at WH_MAX_HEADERS_TOTAL_LEN, the body at max_body_bytes, and
 * rendering happens without the hub's lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "api_fixture.h"
#include "track_alloc.h"
#include "wh_test.h"

/* "{{id}}" n times: the template that multiplies an event's ids. */
static char *repeat_id(size_t n)
{
    char *s = malloc(n * 6 + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * 6, "{{id}}", 6);
    s[n * 6] = '\0';
    return s;
}

/* {"url":"RECV/h","events":["a.b"],"headers":{"X-H0":T,...}} with nheaders headers of t. */
static char *webhook_json(size_t nheaders, const char *t)
{
    size_t cap = 256 + nheaders * (strlen(t) + 32);
    char *s = malloc(cap);
    assert_non_null(s);
    size_t n = (size_t)snprintf(s, cap, "{\"url\":\"RECV/h\",\"events\":[\"a.b\"],\"headers\":{");
    for (size_t i = 0; i < nheaders; i++)
        n += (size_t)snprintf(s + n, cap - n, "%s\"X-H%zu\":\"%s\"", i ? "," : "", i, t);
    snprintf(s + n, cap - n, "}}");
    return s;
}

/* {"type":"a.b","ids":[1 024 ids of 255 bytes]}: about 265 KB. */
static char *many_ids_event(void)
{
    size_t cap = 64 + WH_MAX_EVENT_IDS * 260;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t n = (size_t)snprintf(s, cap, "{\"type\":\"a.b\",\"ids\":[");
    for (int i = 0; i < WH_MAX_EVENT_IDS; i++) {
        n += (size_t)snprintf(s + n, cap - n, "%s\"%04d", i ? "," : "", i);
        memset(s + n, 'i', 251);
        n += 251;
        s[n++] = '"';
    }
    snprintf(s + n, cap - n, "]}");
    return s;
}

static int only_delivery(const wh_delivery *d, void *ud)
{
    WH_ASSERT_OK(wh_delivery_copy(ud, d));
    return 1;
}

/* The webhook cannot be registered any more: 64 headers of 8 190 bytes is over the
 * budget of the headers in all. */
static void test_header_budget_at_registration(void **state)
{
    api_fixture *f = *state;
    char *t = repeat_id(1365);
    char *json = webhook_json(64, t);
    assert_int_equal(api_call(f, "POST", "/webhooks", KEY_ALICE, json), 400);
    assert_true(api_has_detail(f, "in all"));
    free(json);
    free(t);
}

/*
 * The largest webhook the budget allows (7 headers of {{id}} x 1 365) and an event with 1 024
 * ids of 255 bytes: POST /events answers at once, the rendering stops at each header's limit,
 * and the delivery is stored as failed with the reason. The memory the library holds during
 * the request stays under 8 MiB (the event's JSON, its ids, one header value at its limit).
 */
static void test_hostile_emit_is_bounded(void **state)
{
    api_fixture *f = *state;
    char *t = repeat_id(1365);
    char *json = webhook_json(7, t);
    char id[64];
    api_create(f, KEY_ALICE, json, id, sizeof(id));
    char *ev = many_ids_event();
    wh_track_begin(NULL, NULL);
    int64_t t0 = wh_test_now_ms();
    int status = api_call(f, "POST", "/events", KEY_ALICE, ev);
    int64_t took = wh_test_now_ms() - t0;
    long long peak = wh_track_peak();
    wh_track_end();
    assert_int_equal(status, 202);
    print_message("hostile emit: %lld ms, peak %lld bytes held by the library\n", (long long)took,
                  peak);
    assert_true(took < 1000);
    assert_true(peak < 8 * 1024 * 1024);
    wh_delivery d = {0};
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = id;
    WH_ASSERT_OK(wh_store_delivery_list(f->hub.store, &q, NULL, only_delivery, &d));
    assert_int_equal(d.status, WH_DELIVERY_FAILED);
    assert_non_null(strstr(d.last_error, "headers: X-H0: template: the rendering is over the "
                                         "limit of 8192 bytes"));
    wh_delivery_clear(&d);
    free(ev);
    free(json);
    free(t);
}

/* ---- rendering without the hub's lock ---- */

typedef struct pause_ctx {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int rendering;  /* the big rendering reached its pause */
    int other_done; /* the other owner's emit returned */
} pause_ctx;

static _Thread_local int t_pause_here; /* set in the thread whose rendering pauses */

/* In the pausing thread, the first allocation of 512 KiB or more (the body buffer growing)
 * waits, at most 10 s, for the other owner's emit to finish. Were the rendering under the hub's
 * lock, that emit could not finish, and the wait would time out. */
static void pause_on_big_alloc(size_t size, void *ud)
{
    pause_ctx *p = ud;
    if (!t_pause_here || size < 512 * 1024) return;
    t_pause_here = 0;
    pthread_mutex_lock(&p->mu);
    p->rendering = 1;
    pthread_cond_broadcast(&p->cv);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (!p->other_done && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0) {
    }
    pthread_mutex_unlock(&p->mu);
}

typedef struct emitter {
    wh_hub *hub;
    const char *owner;
    wh_event *ev;
    int rc;
} emitter;

static void *emit_paused(void *arg)
{
    emitter *e = arg;
    t_pause_here = 1;
    e->rc = wh_hub_emit_owner(e->hub, e->ev, e->owner, NULL);
    return NULL;
}

static void test_render_outside_the_lock(void **state)
{
    api_fixture *f = *state;
    /* alice's webhook renders a 1 MiB body; bob's a small one */
    char *t = repeat_id(20000);
    char body[256 * 1024];
    snprintf(body, sizeof(body), "{\"url\":\"RECV/a\",\"events\":[\"a.b\"],\"body\":\"%s\"}", t);
    char id_a[64], id_b[64];
    api_create(f, KEY_ALICE, body, id_a, sizeof(id_a));
    api_create(f, KEY_BOB, "{\"url\":\"RECV/b\",\"events\":[\"a.b\"]}", id_b, sizeof(id_b));
    wh_event *big, *small;
    char *evjson = many_ids_event();
    WH_ASSERT_OK(wh_event_from_json(&big, evjson, strlen(evjson)));
    WH_ASSERT_OK(wh_event_new(&small, "a.b"));
    pause_ctx p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    wh_track_begin(pause_on_big_alloc, &p);
    emitter a = {f->hub.hub, "alice", big, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, emit_paused, &a), 0);
    pthread_mutex_lock(&p.mu);
    while (!p.rendering)
        pthread_cond_wait(&p.cv, &p.mu);
    pthread_mutex_unlock(&p.mu);
    /* alice's rendering is paused in the middle: bob's emit must not wait for it */
    int64_t t0 = wh_test_now_ms();
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit_owner(f->hub.hub, small, "bob", &queued));
    int64_t took = wh_test_now_ms() - t0;
    pthread_mutex_lock(&p.mu);
    p.other_done = 1;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    pthread_join(th, NULL);
    wh_track_end();
    print_message("bob's emit during alice's rendering: %lld ms\n", (long long)took);
    assert_int_equal(queued, 1);
    assert_true(took < 5000); /* without the fix it cannot return before alice's 10 s pause */
    WH_ASSERT_OK(a.rc);
    assert_int_equal(hub_fixture_count(&f->hub, id_a, -1), 1);
    assert_int_equal(hub_fixture_count(&f->hub, id_b, -1), 1);
    wh_event_free(big);
    wh_event_free(small);
    free(evjson);
    free(t);
}

/* ---- header values: the same rules rendered as static ---- */

static void test_rendered_header_rules(void **state)
{
    api_fixture *f = *state;
    char blank[64], ctl[64];
    /* a static value that is empty or blank is refused at registration */
    assert_int_equal(
        api_call(f, "POST", "/webhooks", KEY_ALICE,
                 "{\"url\":\"RECV/x\",\"events\":[\"a.b\"],\"headers\":{\"X-A\":\" \"}}"),
        400);
    assert_true(api_has_detail(f, "empty or blank"));
    /* rendered: blank, or holding a control byte, fails the delivery and sends nothing */
    api_create(f, KEY_ALICE,
               "{\"url\":\"RECV/blank\",\"events\":[\"a.b\"],\"headers\":{\"X-A\":\"{{x}}\"}}",
               blank, sizeof(blank));
    api_create(f, KEY_ALICE,
               "{\"url\":\"RECV/ctl\",\"events\":[\"c.d\"],\"headers\":{\"X-A\":\"v{{x}}\"}}", ctl,
               sizeof(ctl));
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE,
                              "{\"type\":\"a.b\",\"attributes\":{\"x\":\"  \"}}"),
                     202);
    assert_int_equal(api_call(f, "POST", "/events", KEY_ALICE,
                              "{\"type\":\"c.d\",\"attributes\":{\"x\":\"\\u001b[31m\"}}"),
                     202);
    fixture_delivery d;
    assert_true(hub_fixture_delivery(&f->hub, blank, &d));
    assert_int_equal(d.status, WH_DELIVERY_FAILED);
    assert_non_null(strstr(d.last_error, "X-A: renders empty or blank"));
    assert_true(hub_fixture_delivery(&f->hub, ctl, &d));
    assert_int_equal(d.status, WH_DELIVERY_FAILED);
    assert_non_null(strstr(d.last_error, "control character"));
    for (int i = 0; i < 20; i++)
        WH_ASSERT_OK(wh_hub_run(f->hub.hub, 10));
    assert_int_equal(wh_receiver_count(f->hub.recv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_budget_at_registration, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_emit_is_bounded, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_render_outside_the_lock, api_fixture_setup,
                                        api_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rendered_header_rules, api_fixture_setup,
                                        api_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
