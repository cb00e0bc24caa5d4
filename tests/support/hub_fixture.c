/* The delivery tests' fixture (see hub_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub_fixture.h"
#include "wh_test.h"

static wh_time_ms fixture_clock(void *ud)
{
    return ((hub_fixture *)ud)->now;
}

static void fixture_disabled(const char *id, const char *reason, void *ud)
{
    hub_fixture *fx = ud;
    fx->disabled_calls++;
    snprintf(fx->disabled_id, sizeof(fx->disabled_id), "%s", id);
    snprintf(fx->disabled_reason, sizeof(fx->disabled_reason), "%s", reason);
}

static void start(hub_fixture *fx, wh_hub_options *opts, int loopback)
{
    memset(fx, 0, sizeof(*fx));
    fx->now = 1800000000000LL;
    fx->recv = wh_receiver_start();
    assert_non_null(fx->recv);
    WH_ASSERT_OK(wh_store_memory_new(&fx->store));
    wh_hub_options *o = opts;
    if (!o) WH_ASSERT_OK(wh_hub_options_new(&o));
    if (loopback) WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_options_set_store(o, fx->store, 1));
    WH_ASSERT_OK(wh_hub_options_set_clock(o, fixture_clock, fx));
    WH_ASSERT_OK(wh_hub_options_set_on_disable(o, fixture_disabled, fx));
    /* exact schedules; jitter has its own unit test */
    WH_ASSERT_OK(wh_hub_options_set_jitter_percent(o, 0));
    WH_ASSERT_OK(wh_hub_new(&fx->hub, o));
    if (o != opts) wh_hub_options_free(o);
}

void hub_fixture_start(hub_fixture *fx, wh_hub_options *opts)
{
    start(fx, opts, 1);
}

void hub_fixture_start_guarded(hub_fixture *fx, wh_hub_options *opts)
{
    start(fx, opts, 0);
}

void hub_fixture_stop(hub_fixture *fx)
{
    wh_hub_free(fx->hub);
    wh_receiver_stop(fx->recv);
    fx->hub = NULL;
    fx->recv = NULL;
}

int hub_fixture_setup(void **state)
{
    hub_fixture *fx = calloc(1, sizeof(*fx));
    hub_fixture_start(fx, NULL);
    *state = fx;
    return 0;
}

int hub_fixture_teardown(void **state)
{
    hub_fixture_stop(*state);
    free(*state);
    return 0;
}

const char *hub_fixture_add(hub_fixture *fx, const char *json, char *id_out, size_t n)
{
    char base[128], text[8192];
    wh_receiver_url(fx->recv, "", base, sizeof(base));
    size_t blen = strlen(base);
    if (blen && base[blen - 1] == '/') base[--blen] = '\0';
    /* Replace every "RECV" with the receiver's base URL. */
    size_t o = 0;
    for (const char *p = json; *p && o + blen + 1 < sizeof(text);) {
        if (strncmp(p, "RECV", 4) == 0) {
            memcpy(text + o, base, blen);
            o += blen;
            p += 4;
        } else {
            text[o++] = *p++;
        }
    }
    text[o] = '\0';
    wh_subscription *sub;
    int rc = wh_subscription_from_json(&sub, text, strlen(text));
    if (rc != WH_OK)
        print_error("subscription: %s %s\n", wh_error_last()->message,
                    wh_error_last_detail(0) ? wh_error_last_detail(0) : "");
    assert_int_equal(rc, WH_OK);
    rc = wh_hub_subscription_add(fx->hub, sub);
    if (rc != WH_OK)
        print_error("add: %s %s\n", wh_error_last()->message,
                    wh_error_last_detail(0) ? wh_error_last_detail(0) : "");
    assert_int_equal(rc, WH_OK);
    snprintf(id_out, n, "%s", wh_subscription_id(sub));
    wh_subscription_free(sub);
    return id_out;
}

size_t hub_fixture_emit(hub_fixture *fx, const char *type, int n)
{
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, type));
    char data[64];
    snprintf(data, sizeof(data), "{\"n\":%d}", n);
    WH_ASSERT_OK(wh_event_set_data(ev, data, strlen(data)));
    WH_ASSERT_OK(wh_event_set_occurred_at(ev, fx->now));
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit(fx->hub, ev, &queued));
    wh_event_free(ev);
    return queued;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hub_fixture_run_until(hub_fixture *fx, int (*pred)(hub_fixture *, void *), void *ud, int max_ms)
{
    int64_t end = mono_ms() + max_ms;
    int ok = pred(fx, ud);
    while (!ok && mono_ms() < end) {
        int rc = wh_hub_run(fx->hub, 20);
        if (rc != WH_OK) print_error("wh_hub_run: %s\n", wh_error_last()->message);
        assert_int_equal(rc, WH_OK);
        ok = pred(fx, ud);
    }
    return ok;
}

static int has_requests(hub_fixture *fx, void *ud)
{
    return wh_receiver_count(fx->recv) >= *(size_t *)ud;
}

int hub_fixture_run_until_requests(hub_fixture *fx, size_t n, int max_ms)
{
    return hub_fixture_run_until(fx, has_requests, &n, max_ms);
}

static int newest(const wh_delivery *d, void *ud)
{
    fixture_delivery *out = ud;
    snprintf(out->id, sizeof(out->id), "%s", d->id);
    snprintf(out->idempotency_key, sizeof(out->idempotency_key), "%s", d->idempotency_key);
    out->status = d->status;
    out->attempts = d->attempts;
    out->next_attempt_at = d->next_attempt_at;
    out->last_status = d->last_status;
    snprintf(out->last_error, sizeof(out->last_error), "%s", d->last_error ? d->last_error : "");
    return 1; /* newest first: the first one is enough */
}

int hub_fixture_delivery(hub_fixture *fx, const char *sub_id, fixture_delivery *out)
{
    memset(out, 0, sizeof(*out));
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = sub_id;
    size_t total = 0;
    WH_ASSERT_OK(fx->store->delivery_list(fx->store, &q, &total, newest, out));
    return total > 0;
}

static int ignore(const wh_delivery *d, void *ud)
{
    (void)d;
    (void)ud;
    return 1;
}

size_t hub_fixture_count(hub_fixture *fx, const char *sub_id, int status)
{
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = sub_id;
    q.status = status;
    size_t total = 0;
    WH_ASSERT_OK(fx->store->delivery_list(fx->store, &q, &total, ignore, NULL));
    return total;
}
