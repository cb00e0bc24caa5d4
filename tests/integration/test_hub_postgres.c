/*
 * Two hubs on one PostgreSQL database, as two processes would be (each with its own store and
 * connections), against a real server this test starts (tests/support/pg_server.h):
 * - the change feed: a webhook added through one hub is matched by the other within a second;
 * - the wake-up: a delivery enqueued through one hub is started by the other while it waits in
 *   wh_hub_run, long before the run's timeout (it polls the store's descriptor);
 * - the fleet-wide limit: max_in_flight_per_subscription holds for both hubs together.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pg_server.h"
#include "receiver.h"
#include "wh_test.h"

static wh_pg_server *g_pg;
static int g_schemas;

typedef struct pair {
    char conninfo[512];
    wh_hub *a, *b;
    wh_receiver *recv;
} pair;

static wh_hub *hub_on(const char *conninfo, size_t per_sub)
{
    wh_store *s;
    WH_ASSERT_OK(wh_store_postgres_open(&s, conninfo));
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, s, 1));
    WH_ASSERT_OK(wh_hub_options_set_shared_queue(o, 1));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight_per_subscription(o, per_sub));
    wh_hub *h;
    WH_ASSERT_OK(wh_hub_new(&h, o));
    wh_hub_options_free(o);
    return h;
}

static void pair_start(pair *p, size_t per_sub)
{
    char name[32];
    snprintf(name, sizeof(name), "hubs_%d", g_schemas++);
    assert_true(wh_pg_server_schema(g_pg, name, p->conninfo, sizeof(p->conninfo)));
    p->a = hub_on(p->conninfo, per_sub);
    p->b = hub_on(p->conninfo, per_sub);
    assert_non_null(p->recv = wh_receiver_start());
}

static void pair_stop(pair *p)
{
    wh_hub_free(p->a);
    wh_hub_free(p->b);
    wh_receiver_stop(p->recv);
}

static void add_webhook(pair *p, wh_hub *via, const char *id)
{
    char url[160], json[400];
    wh_receiver_url(p->recv, "/in", url, sizeof(url));
    snprintf(json, sizeof(json), "{\"id\":\"%s\",\"url\":\"%s\",\"events\":[\"order.created\"]}",
             id, url);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(via, sub));
    wh_subscription_free(sub);
}

static size_t emit(wh_hub *via)
{
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit(via, ev, &queued));
    wh_event_free(ev);
    return queued;
}

static void test_change_feed(void **state)
{
    (void)state;
    pair p;
    pair_start(&p, 8);
    assert_int_equal(emit(p.b), 0);
    add_webhook(&p, p.a, "hook1");
    /* b's index learns it from the notification: one short run is enough */
    int64_t t0 = wh_test_now_ms();
    size_t queued = 0;
    while (queued == 0 && wh_test_now_ms() - t0 < 1000) {
        WH_ASSERT_OK(wh_hub_run(p.b, 20));
        queued = emit(p.b);
    }
    printf("# change seen by the other hub after %lld ms\n", (long long)(wh_test_now_ms() - t0));
    assert_int_equal(queued, 1);
    pair_stop(&p);
}

typedef struct waiter {
    wh_hub *hub;
    int64_t returned_after;
} waiter;

static void *wait_in_run(void *arg)
{
    waiter *w = arg;
    int64_t t0 = wh_test_now_ms();
    WH_ASSERT_OK(wh_hub_run(w->hub, 5000));
    w->returned_after = wh_test_now_ms() - t0;
    return NULL;
}

static void test_wake_up(void **state)
{
    (void)state;
    pair p;
    pair_start(&p, 8);
    add_webhook(&p, p.a, "hook1");
    WH_ASSERT_OK(wh_hub_run(p.b, 0)); /* b knows the webhook and has nothing to do */
    int64_t worst = 0;
    for (int i = 0; i < 5; i++) {
        waiter w = {p.b, -1};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, wait_in_run, &w), 0);
        struct timespec pause = {0, 50 * 1000000}; /* let b reach its poll */
        nanosleep(&pause, NULL);
        assert_int_equal(emit(p.a), 1); /* a never runs: only b can deliver it */
        pthread_join(t, NULL);
        if (w.returned_after > worst) worst = w.returned_after;
        /* let b send it */
        for (int k = 0; k < 200 && wh_receiver_count(p.recv) < (size_t)i + 1; k++)
            WH_ASSERT_OK(wh_hub_run(p.b, 10));
        assert_int_equal(wh_receiver_count(p.recv), i + 1);
    }
    printf("# a run waiting 5 s returned after at most %lld ms\n", (long long)worst);
    assert_true(worst < 2500); /* woken, not timed out */
    pair_stop(&p);
}

static void test_fleet_wide_limit(void **state)
{
    (void)state;
    pair p;
    pair_start(&p, 2);
    wh_receiver_rule hold = WH_RECEIVER_RULE_INIT;
    hold.reply.hold = true;
    assert_true(wh_receiver_set(p.recv, "", &hold));
    add_webhook(&p, p.a, "slow");
    for (int i = 0; i < 10; i++)
        assert_int_equal(emit(p.a), 1);
    int64_t t0 = wh_test_now_ms();
    while (wh_test_now_ms() - t0 < 1500) {
        WH_ASSERT_OK(wh_hub_run(p.a, 10));
        WH_ASSERT_OK(wh_hub_run(p.b, 10));
    }
    size_t held = wh_receiver_held(p.recv);
    printf("# held at the endpoint: %zu (each hub allows 2)\n", held);
    assert_int_equal(held, 2); /* not 4: the limit is the fleet's */
    wh_receiver_release(p.recv);
    pair_stop(&p);
}

/* The server restarted under a running hub: calls made while it is down fail with WH_EIO and
 * store nothing, the hub keeps running, and once it is back every event accepted before, during
 * (none) and after is delivered. */
static void test_server_restart(void **state)
{
    (void)state;
    pair p;
    pair_start(&p, 8);
    add_webhook(&p, p.a, "hook1");
    for (int i = 0; i < 5; i++)
        assert_int_equal(emit(p.a), 1);
    for (int k = 0; k < 300 && wh_receiver_count(p.recv) < 5; k++)
        WH_ASSERT_OK(wh_hub_run(p.a, 10));
    assert_int_equal(wh_receiver_count(p.recv), 5);
    for (int i = 0; i < 5; i++) /* queued, not yet sent, when the server goes */
        assert_int_equal(emit(p.a), 1);
    assert_true(wh_pg_server_halt(g_pg));
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
    size_t queued = 99;
    assert_int_equal(wh_hub_emit(p.a, ev, &queued), WH_EIO);
    assert_null(strstr(wh_error_last_message(), "password"));
    wh_event_free(ev);
    for (int k = 0; k < 20; k++) /* the hub keeps running while the server is away */
        (void)wh_hub_run(p.a, 10);
    assert_true(wh_pg_server_resume(g_pg));
    int64_t t0 = wh_test_now_ms();
    while (wh_receiver_count(p.recv) < 10 && wh_test_now_ms() - t0 < 20000)
        (void)wh_hub_run(p.a, 20);
    assert_int_equal(wh_receiver_count(p.recv), 10); /* the five queued before: none lost */
    assert_int_equal(emit(p.a), 1);                  /* and it works again */
    for (int k = 0; k < 300 && wh_receiver_count(p.recv) < 11; k++)
        WH_ASSERT_OK(wh_hub_run(p.a, 10));
    assert_int_equal(wh_receiver_count(p.recv), 11);
    pair_stop(&p);
}

typedef struct racer {
    wh_hub *hub;
    const char *event_id;
    int rc;
} racer;

static void *emit_racer(void *arg)
{
    racer *r = arg;
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
    WH_ASSERT_OK(wh_event_set_id(ev, r->event_id));
    r->rc = wh_hub_emit(r->hub, ev, NULL);
    wh_event_free(ev);
    return NULL;
}

static int ignore_delivery(const wh_delivery *d, void *ud)
{
    (void)d;
    (void)ud;
    return 0;
}

/* Event idempotency across processes: an id accepted through one hub is refused through the
 * other, also when both emit it at the same moment (a client retrying its POST through another
 * instance): one wins, the other gets WH_ECONFLICT, and one delivery exists. */
static void test_event_idempotency_across_hubs(void **state)
{
    (void)state;
    pair p;
    pair_start(&p, 8);
    add_webhook(&p, p.a, "hook1");
    for (int round = 0; round < 20; round++) {
        char id[32];
        snprintf(id, sizeof(id), "evt_race_%d", round);
        racer ra = {p.a, id, 99}, rb = {p.b, id, 99};
        pthread_t ta, tb;
        assert_int_equal(pthread_create(&ta, NULL, emit_racer, &ra), 0);
        assert_int_equal(pthread_create(&tb, NULL, emit_racer, &rb), 0);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        assert_true((ra.rc == WH_OK && rb.rc == WH_ECONFLICT) ||
                    (ra.rc == WH_ECONFLICT && rb.rc == WH_OK));
    }
    racer again = {p.b, "evt_race_0", 99};
    emit_racer(&again); /* later, through the other hub: still refused */
    assert_int_equal(again.rc, WH_ECONFLICT);
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    size_t total = 0;
    WH_ASSERT_OK(wh_store_delivery_list(wh_hub_store(p.a), &q, &total, ignore_delivery, NULL));
    assert_int_equal(total, 20);
    pair_stop(&p);
}

int main(void)
{
    if (!(g_pg = wh_pg_server_start(600))) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change_feed),
        cmocka_unit_test(test_wake_up),
        cmocka_unit_test(test_fleet_wide_limit),
        cmocka_unit_test(test_server_restart),
        cmocka_unit_test(test_event_idempotency_across_hubs),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    wh_pg_server_free(g_pg);
    return failed;
}
