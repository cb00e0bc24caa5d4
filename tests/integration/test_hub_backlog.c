/*
 * A dead endpoint's backlog (lib/hub/hub_backlog.c): once its subscription is disabled, what it
 * had queued leaves the queue in one store call, kept as FAILED with the reason, and the healthy
 * endpoint beside it is not held back; wh_hub_recover sends it all once the endpoint is back.
 *
 * The case with the SQLite store: events to a healthy endpoint and to a dead one
 * (connection refused). Before, each of the dead one's queued deliveries was leased and recorded
 * as unsent one transaction at a time, in the healthy one's queue: an attempt row per delivery.
 * Now only the attempts really made are recorded.
 */
#include <stdio.h>
#include <string.h>

#include "receiver.h"
#include "wh_test.h"
#include "wh_test_files.h"

#ifndef EVENTS
#define EVENTS 2000
#endif

typedef struct backlog_fx {
    char dir[4096], db[4200];
    wh_hub *hub;
    wh_receiver *healthy;
    int dead_port;
} backlog_fx;

static void add_sub(backlog_fx *fx, const char *id, const char *url)
{
    char json[512];
    snprintf(json, sizeof(json), "{\"id\":\"%s\",\"url\":\"%s\",\"events\":[\"a\"]}", id, url);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(fx->hub, sub));
    wh_subscription_free(sub);
}

static void start(backlog_fx *fx, bool sqlite)
{
    memset(fx, 0, sizeof(*fx));
    wh_store *store;
    if (sqlite) {
        wh_tmpdir_new(fx->dir, sizeof(fx->dir));
        snprintf(fx->db, sizeof(fx->db), "%s/hooks.db", fx->dir);
        WH_ASSERT_OK(wh_test_sqlite_open(&store, fx->db, WH_TEST_SQLITE_SYNC_NORMAL));
    } else {
        WH_ASSERT_OK(wh_store_memory_new(&store));
    }
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, store, 1));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_options_set_disable_after_failures(o, 3));
    WH_ASSERT_OK(wh_hub_new(&fx->hub, o));
    wh_hub_options_free(o);
    assert_non_null(fx->healthy = wh_receiver_start());
    assert_true((fx->dead_port = wh_receiver_closed_port()) > 0);
    char url[128];
    wh_receiver_url(fx->healthy, "/ok", url, sizeof(url));
    add_sub(fx, "healthy", url);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/dead", fx->dead_port);
    add_sub(fx, "dead", url);
}

static void stop(backlog_fx *fx)
{
    wh_hub_free(fx->hub);
    wh_receiver_stop(fx->healthy);
    if (fx->db[0]) wh_tmpdir_remove(fx->dir);
}

static void emit_all(backlog_fx *fx)
{
    wh_event *evs[50];
    for (int k = 0; k < 50; k++)
        WH_ASSERT_OK(wh_event_new(&evs[k], "a"));
    for (int i = 0; i < EVENTS; i += 50) {
        for (int k = 0; k < 50; k++) {
            char id[32];
            snprintf(id, sizeof(id), "evt_%d", i + k);
            WH_ASSERT_OK(wh_event_set_id(evs[k], id));
        }
        size_t queued = 0;
        WH_ASSERT_OK(wh_hub_emit_batch(fx->hub, (const wh_event *const *)evs, 50, &queued));
        assert_int_equal(queued, 100);
    }
    for (int k = 0; k < 50; k++)
        wh_event_free(evs[k]);
}

typedef struct tally {
    size_t succeeded, failed, unsent_disabled, attempted;
} tally;

static int count(const wh_delivery *d, void *ud)
{
    tally *t = ud;
    t->succeeded += d->status == WH_DELIVERY_SUCCEEDED;
    t->failed += d->status == WH_DELIVERY_FAILED;
    t->attempted += d->attempts > 0;
    t->unsent_disabled += d->status == WH_DELIVERY_FAILED && d->attempts == 0 && d->last_error &&
                          strstr(d->last_error, "not sent: the webhook is disabled") != NULL;
    return 0;
}

static tally of(backlog_fx *fx, const char *sub_id)
{
    tally t = {0, 0, 0, 0};
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = sub_id;
    size_t total;
    WH_ASSERT_OK(wh_store_delivery_list(wh_hub_store(fx->hub), &q, &total, count, &t));
    return t;
}

/* Run until receiver r has had EVENTS requests and the hub is idle (at most 20 000 rounds of
 * up to 20 ms); returns the rounds. The receiver's count, not a listing of the store, so that
 * the loop itself costs nothing per delivery. */
static int run_until_delivered(backlog_fx *fx, wh_receiver *r)
{
    int rounds = 0;
    while ((wh_receiver_count(r) < EVENTS || wh_hub_in_flight(fx->hub)) && rounds < 20000) {
        WH_ASSERT_OK(wh_hub_run(fx->hub, 20));
        rounds++;
    }
    WH_ASSERT_OK(wh_hub_run(fx->hub, 0)); /* record the last outcomes */
    return rounds;
}

static void dead_endpoint_case(bool sqlite)
{
    backlog_fx fx;
    start(&fx, sqlite);
    int64_t t0 = wh_test_now_ms();
    emit_all(&fx);
    int rounds = run_until_delivered(&fx, fx.healthy);
    int64_t took = wh_test_now_ms() - t0; /* printed, never asserted */
    tally h = of(&fx, "healthy"), d = of(&fx, "dead");
    printf("# %s: healthy %zu delivered in %d rounds (%lld ms); dead: %zu failed (%zu unsent, "
           "in bulk), %zu attempted\n",
           sqlite ? "sqlite" : "memory", h.succeeded, rounds, (long long)took, d.failed,
           d.unsent_disabled, d.attempted);
    assert_int_equal(h.succeeded, EVENTS);
    assert_int_equal(wh_receiver_count_prefix(fx.healthy, "/ok"), EVENTS);
    /* The dead one: disabled after 3 failures; the rest never sent, failed with the reason. */
    wh_subscription *sub;
    WH_ASSERT_OK(wh_hub_subscription_get(fx.hub, "dead", &sub));
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_DISABLED);
    wh_subscription_free(sub);
    assert_int_equal(d.failed, EVENTS);
    assert_true(d.attempted <= 3 + 8); /* 3 failures, and at most 8 in flight then */
    assert_int_equal(d.unsent_disabled + d.attempted, EVENTS);
    if (sqlite) /* one attempt row per request really made, not per delivery */
        assert_true(wh_sqlite_int(fx.db, "SELECT COUNT(*) FROM attempts WHERE subscription_id = "
                                         "'dead'") <= 3 + 8);

    /* Recovering: refused while disabled; once the endpoint is back and the webhook enabled,
     * every failed delivery goes out again. */
    size_t n = 0;
    assert_int_equal(wh_hub_recover(fx.hub, "dead", 0, &n), WH_ESTATE);
    wh_receiver *back = wh_receiver_start_on(fx.dead_port);
    assert_non_null(back);
    WH_ASSERT_OK(wh_hub_subscription_patch(fx.hub, "dead", "{\"status\":\"active\"}", 20, NULL));
    WH_ASSERT_OK(wh_hub_recover(fx.hub, "dead", 0, &n));
    assert_int_equal(n, EVENTS);
    run_until_delivered(&fx, back);
    assert_int_equal(of(&fx, "dead").succeeded, EVENTS);
    assert_int_equal(wh_receiver_count_prefix(back, "/dead"), EVENTS);
    assert_int_equal(wh_hub_recover(fx.hub, "nope", 0, &n), WH_ENOTFOUND);
    assert_int_equal(wh_hub_recover(NULL, "dead", 0, &n), WH_EINVAL);
    wh_receiver_stop(back);
    stop(&fx);
}

static void test_dead_endpoint_sqlite(void **state)
{
    (void)state;
    dead_endpoint_case(true);
}

static void test_dead_endpoint_memory(void **state)
{
    (void)state;
    dead_endpoint_case(false);
}

/* Disabling by hand (the API's PATCH) also empties the queue at once. */
static void test_disabling_by_hand_fails_the_queue(void **state)
{
    (void)state;
    backlog_fx fx;
    start(&fx, false);
    emit_all(&fx); /* nothing runs: everything is queued */
    WH_ASSERT_OK(
        wh_hub_subscription_patch(fx.hub, "healthy", "{\"status\":\"disabled\"}", 22, NULL));
    tally t = of(&fx, "healthy");
    assert_int_equal(t.failed, EVENTS);
    assert_int_equal(t.unsent_disabled, EVENTS);
    stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_endpoint_sqlite),
        cmocka_unit_test(test_dead_endpoint_memory),
        cmocka_unit_test(test_disabling_by_hand_fails_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
