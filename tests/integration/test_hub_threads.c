/*
 * The threading model of docs/threading.md: application threads emit while one thread runs the hub.
 * Emits match and render under the hub's lock but write the store without it, so this checks
 * that every event emitted from several threads at once is stored once and delivered once,
 * with the memory store and with the SQLite store (a real file), against a receiver on
 * 127.0.0.1.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "receiver.h"
#include "wh_test.h"
#include "wh_test_files.h"

#define THREADS    4
#define PER_THREAD 40 /* events per thread: single emits and batches of 4, alternately */
#define TOTAL      (THREADS * PER_THREAD)

typedef struct emitter {
    wh_hub *hub;
    int index;
    int failures;
} emitter;

static void *emit_events(void *arg)
{
    emitter *em = arg;
    for (int i = 0; i < PER_THREAD;) {
        int n = (i / 4) % 2 ? 4 : 1;
        wh_event *evs[4];
        for (int k = 0; k < n; k++) {
            char data[64];
            snprintf(data, sizeof(data), "{\"thread\":%d,\"n\":%d}", em->index, i + k);
            if (wh_event_new(&evs[k], "order.created") != WH_OK ||
                wh_event_set_data(evs[k], data, strlen(data)) != WH_OK)
                em->failures++;
        }
        size_t queued = 0;
        int rc = n == 1
                     ? wh_hub_emit(em->hub, evs[0], &queued)
                     : wh_hub_emit_batch(em->hub, (const wh_event *const *)evs, (size_t)n, &queued);
        if (rc != WH_OK || queued != (size_t)n) em->failures++;
        for (int k = 0; k < n; k++)
            wh_event_free(evs[k]);
        i += n;
    }
    return NULL;
}

static int count_one(const wh_delivery *d, void *ud)
{
    (void)d;
    (void)ud;
    return 1;
}

static size_t succeeded(wh_store *store)
{
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.status = WH_DELIVERY_SUCCEEDED;
    size_t total = 0;
    WH_ASSERT_OK(store->delivery_list(store, &q, &total, count_one, NULL));
    return total;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Emit TOTAL events from THREADS threads while this one runs the hub over store. */
static void emit_while_running(wh_store *store)
{
    wh_receiver *recv = wh_receiver_start();
    assert_non_null(recv);
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, store, 0));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_hub_options_free(o);
    char url[160], json[256];
    wh_receiver_url(recv, "/t", url, sizeof(url));
    snprintf(json, sizeof(json), "{\"url\":\"%s\",\"events\":[\"order.*\"]}", url);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    wh_subscription_free(sub);
    pthread_t th[THREADS];
    emitter em[THREADS];
    for (int i = 0; i < THREADS; i++) {
        em[i] = (emitter){hub, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, emit_events, &em[i]), 0);
    }
    /* Run while they emit; bounded in time (15 s) and so in rounds. */
    int64_t deadline = mono_ms() + 15000;
    while (succeeded(store) < TOTAL && mono_ms() < deadline)
        assert_true(wh_hub_run(hub, 20) == WH_OK);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(em[i].failures, 0);
    }
    assert_int_equal(succeeded(store), TOTAL);
    /* Each event arrived once: as many distinct webhook-ids as events, no more requests. */
    assert_int_equal(wh_receiver_count(recv), TOTAL);
    char(*ids)[64] = calloc(TOTAL, sizeof(*ids));
    assert_non_null(ids);
    for (size_t i = 0; i < TOTAL; i++) {
        const char *id = wh_recv_request_header(wh_receiver_request(recv, i), "webhook-id");
        assert_non_null(id);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(ids[j], id);
        snprintf(ids[i], sizeof(ids[i]), "%s", id);
    }
    free(ids);
    wh_hub_free(hub);
    wh_receiver_stop(recv);
}

static void test_memory_store(void **state)
{
    (void)state;
    wh_store *store;
    WH_ASSERT_OK(wh_store_memory_new(&store));
    emit_while_running(store);
    wh_store_free(store);
}

static void test_sqlite_store(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 16];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/threads.db", dir);
    wh_store *store;
    WH_ASSERT_OK(wh_test_sqlite_open(&store, path, WH_TEST_SQLITE_SYNC_NORMAL));
    emit_while_running(store);
    wh_store_free(store);
    wh_sqlite_assert_intact(path);
    wh_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_store),
        cmocka_unit_test(test_sqlite_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
