/*
 * Housekeeping (issue 21): the hub purges finished deliveries older than its retention period
 * by itself, in batches of WH_HUB_PURGE_BATCH between rounds that still deliver; the memory
 * store keeps at most max_finished finished deliveries; a SQLite file stops growing once
 * retention applies. Requests go to the instant transport (no sockets: what is measured is the
 * hub and the store), on a clock the tests move.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instant_transport.h"
#include "wh_test.h"
#include "wh_test_files.h"

#define HOUR_MS (3600LL * 1000)

typedef struct rig {
    wh_hub *hub;
    wh_store *store;
    wh_time_ms now;
} rig;

static wh_time_ms rig_clock(void *ud)
{
    return ((rig *)ud)->now;
}

/* A hub over store (owned by the hub) with this retention (negative: the default). */
static void rig_start(rig *r, wh_store *store, wh_time_ms retention)
{
    r->now = 1800000000000LL;
    r->store = store;
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, store, 1));
    WH_ASSERT_OK(wh_hub_options_set_transport(o, instant_transport_new(204), 1));
    WH_ASSERT_OK(wh_hub_options_set_clock(o, rig_clock, r));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight(o, 1000));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight_per_subscription(o, 1000));
    if (retention >= 0) WH_ASSERT_OK(wh_hub_options_set_retention_ms(o, retention));
    WH_ASSERT_OK(wh_hub_new(&r->hub, o));
    wh_hub_options_free(o);
    wh_subscription *sub;
    const char *json = "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"order.created\"]}";
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(r->hub, sub));
    wh_subscription_free(sub);
}

static wh_store *memory_store(size_t max_finished)
{
    wh_memory_options *mo;
    wh_store *s;
    WH_ASSERT_OK(wh_memory_options_new(&mo));
    WH_ASSERT_OK(wh_memory_options_set_max_finished(mo, max_finished));
    WH_ASSERT_OK(wh_store_memory_new_opts(&s, mo));
    wh_memory_options_free(mo);
    return s;
}

static void rig_emit(rig *r, size_t n)
{
    for (size_t i = 0; i < n; i++) { /* a new event (id) each time: ids are accepted once */
        wh_event *ev;
        WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
        WH_ASSERT_OK(wh_event_set_data(ev, "{\"total\":42}", 12));
        WH_ASSERT_OK(wh_event_set_occurred_at(ev, r->now));
        WH_ASSERT_OK(wh_hub_emit(r->hub, ev, NULL));
        wh_event_free(ev);
    }
}

static size_t count_status(rig *r, int status)
{
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.status = status;
    q.limit = 1;
    size_t total = 0;
    WH_ASSERT_OK(wh_store_delivery_list(r->store, &q, &total, wh_sc_ignore_delivery, NULL));
    return total;
}

/* Run rounds until nothing is queued or in flight (bounded). */
static void rig_deliver_all(rig *r)
{
    for (int i = 0; i < 10000; i++) {
        WH_ASSERT_OK(wh_hub_run(r->hub, 0));
        if (wh_hub_in_flight(r->hub) == 0 && count_status(r, WH_DELIVERY_PENDING) == 0) return;
    }
    fail_msg("deliveries still queued after 10 000 rounds");
}

static void rig_stop(rig *r)
{
    wh_hub_free(r->hub);
}

/* ---- retention ---- */

static void purges_in_batches_between_rounds(wh_store *store)
{
    rig r;
    rig_start(&r, store, 24 * HOUR_MS);
    rig_emit(&r, 1000);
    rig_deliver_all(&r);
    assert_int_equal(count_status(&r, WH_DELIVERY_SUCCEEDED), 1000);
    /* Within the period nothing goes, however many rounds run. */
    r.now += 23 * HOUR_MS;
    for (int i = 0; i < 5; i++)
        WH_ASSERT_OK(wh_hub_run(r.hub, 0));
    assert_int_equal(wh_sc_count_deliveries(store), 1000);
    /* Past it, one batch per round, and the round still delivers what is due. */
    r.now += 2 * HOUR_MS;
    rig_emit(&r, 1);
    WH_ASSERT_OK(wh_hub_run(r.hub, 0));
    assert_int_equal(wh_sc_count_deliveries(store), 1001 - WH_HUB_PURGE_BATCH);
    assert_int_equal(count_status(&r, WH_DELIVERY_PENDING), 0); /* the new one was started */
    /* The rest in later rounds, a batch at most each, some rounds resting in between (it
     * takes at most a quarter of the time). */
    size_t left = wh_sc_count_deliveries(store);
    int64_t deadline = wh_test_now_ms() + 10000;
    while (left > 1 && wh_test_now_ms() < deadline) {
        WH_ASSERT_OK(wh_hub_run(r.hub, 0));
        size_t now_left = wh_sc_count_deliveries(store);
        assert_true(left - now_left <= WH_HUB_PURGE_BATCH);
        left = now_left;
    }
    assert_int_equal(left, 1); /* the new one stays */
    rig_stop(&r);
}

static void test_retention_purges_memory(void **state)
{
    (void)state;
    purges_in_batches_between_rounds(memory_store(0));
}

static void test_retention_purges_sqlite(void **state)
{
    (void)state;
    char dir[512], path[600];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/retention.db", dir);
    wh_store *s;
    WH_ASSERT_OK(wh_test_sqlite_open(&s, path, WH_TEST_SQLITE_SYNC_NORMAL));
    purges_in_batches_between_rounds(s);
    wh_tmpdir_remove(dir);
}

static void test_retention_default_and_off(void **state)
{
    (void)state;
    rig r;
    rig_start(&r, memory_store(0), -1); /* the default: 30 days */
    rig_emit(&r, 10);
    rig_deliver_all(&r);
    r.now += 29 * 24 * HOUR_MS;
    WH_ASSERT_OK(wh_hub_run(r.hub, 0));
    assert_int_equal(wh_sc_count_deliveries(r.store), 10);
    r.now += 2 * 24 * HOUR_MS;
    WH_ASSERT_OK(wh_hub_run(r.hub, 0));
    assert_int_equal(wh_sc_count_deliveries(r.store), 0);
    rig_stop(&r);

    rig_start(&r, memory_store(0), 0); /* off */
    rig_emit(&r, 10);
    rig_deliver_all(&r);
    r.now += 3650 * 24 * HOUR_MS;
    WH_ASSERT_OK(wh_hub_run(r.hub, 0));
    assert_int_equal(wh_sc_count_deliveries(r.store), 10);
    rig_stop(&r);

    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    assert_int_equal(wh_hub_options_set_retention_ms(o, -1), WH_EINVAL);
    wh_hub_options_free(o);
}

/* ---- the memory store's cap ---- */

static int copy_id(const wh_delivery *d, void *ud)
{
    snprintf(ud, 64, "%s", d->id);
    return 0;
}

static void test_memory_cap_drops_the_oldest_finished(void **state)
{
    (void)state;
    rig r;
    rig_start(&r, memory_store(100), 0);
    rig_emit(&r, 1);
    char first[64] = "";
    WH_ASSERT_OK(wh_store_delivery_list(r.store, NULL, NULL, copy_id, first));
    rig_emit(&r, 149);
    rig_deliver_all(&r);
    assert_int_equal(wh_sc_count_deliveries(r.store), 100);
    assert_int_equal(wh_sc_status(r.store, first), -1);
    /* Queued deliveries are never dropped, whatever the cap. */
    rig_emit(&r, 300);
    assert_int_equal(wh_sc_count_deliveries(r.store), 400);
    rig_deliver_all(&r);
    assert_int_equal(wh_sc_count_deliveries(r.store), 100);
    rig_stop(&r);

    wh_store *s;
    WH_ASSERT_OK(wh_store_memory_new(&s)); /* the default cap */
    rig_start(&r, s, 0);
    rig_emit(&r, 10100);
    rig_deliver_all(&r);
    assert_int_equal(wh_sc_count_deliveries(s), 10000);
    rig_stop(&r);
}

/* ---- the SQLite file ---- */

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static void test_sqlite_file_stops_growing(void **state)
{
    (void)state;
    char dir[512], path[600], wal[620];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/growth.db", dir);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    wh_store *s;
    WH_ASSERT_OK(wh_test_sqlite_open(&s, path, WH_TEST_SQLITE_SYNC_NORMAL));
    rig r;
    rig_start(&r, s, 2 * HOUR_MS);
    /* Each hour 2 000 deliveries: two hours' worth are kept, so after the third hour every
     * hour's deliveries take the pages the purged ones freed. */
    long long size[8];
    for (int hour = 0; hour < 8; hour++) {
        rig_emit(&r, 2000);
        rig_deliver_all(&r);
        r.now += HOUR_MS;
        int64_t deadline = wh_test_now_ms() + 10000; /* housekeeping's batches */
        while (wh_sc_count_deliveries(s) > 4000 && wh_test_now_ms() < deadline)
            WH_ASSERT_OK(wh_hub_run(r.hub, 0));
        size[hour] = file_size(path) + file_size(wal);
        printf("# hour %d: %zu deliveries kept, %lld bytes (database %lld, WAL %lld)\n", hour,
               wh_sc_count_deliveries(s), size[hour], file_size(path), file_size(wal));
    }
    assert_true(wh_sc_count_deliveries(s) <= 4000);
    assert_true(size[7] <= size[3] + size[3] / 20);
    rig_stop(&r);
    wh_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retention_purges_memory),
        cmocka_unit_test(test_retention_purges_sqlite),
        cmocka_unit_test(test_retention_default_and_off),
        cmocka_unit_test(test_memory_cap_drops_the_oldest_finished),
        cmocka_unit_test(test_sqlite_file_stops_growing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
