/*
 * Soak (issue 21): 1 000 000 deliveries of a 0.5 KiB event through the memory store (the
 * default when a host names none) leave the process no bigger than after the first 100 000.
 * Each event has its own id, so the ids remembered for event idempotency are bounded too.
 * Before the cap on finished deliveries, 100 000 deliveries grew a process from 41 to 187 MB
 * and it never stopped. Requests go to the instant transport: what grows, if anything, is the
 * hub and the store.
 *
 * Bounds: the library's own heap (every byte it allocates, counted through wh_set_allocator)
 * stays under 48 MB and grows less than 2 MB from 100 000 to 1 000 000 deliveries; without
 * sanitizers, the resident set grows less than 16 MB over the same span (under AddressSanitizer
 * its quarantine of freed blocks makes the resident set meaningless, so only the heap counts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "instant_transport.h"
#include "track_alloc.h"
#include "wh_test.h"

#ifndef SOAK_DELIVERIES
#define SOAK_DELIVERIES 1000000
#endif
#define BATCH 500
#define EARLY 100000
#define MB    (1024LL * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define RSS_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_MEANINGFUL 0
#endif
#endif
#ifndef RSS_MEANINGFUL
#define RSS_MEANINGFUL 1
#endif

static long long rss_bytes(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &size, &resident), 2);
    fclose(f);
    return (long long)resident * sysconf(_SC_PAGESIZE);
}

static wh_event **make_events(void)
{
    char data[600];
    int n = snprintf(data, sizeof(data), "{\"order\":{\"id\":\"ord_1\",\"note\":\"");
    while (n < 500)
        data[n++] = 'x';
    n += snprintf(data + n, sizeof(data) - (size_t)n, "\"}}");
    wh_event **evs = calloc(BATCH, sizeof(*evs));
    assert_non_null(evs);
    for (int i = 0; i < BATCH; i++) {
        WH_ASSERT_OK(wh_event_new(&evs[i], "order.created"));
        WH_ASSERT_OK(wh_event_set_data(evs[i], data, (size_t)n));
    }
    return evs;
}

static void set_ids(wh_event **evs, size_t first)
{
    for (int i = 0; i < BATCH; i++) {
        char id[32];
        snprintf(id, sizeof(id), "evt_%zu", first + (size_t)i);
        WH_ASSERT_OK(wh_event_set_id(evs[i], id));
    }
}

static void deliver_all(wh_hub *hub, wh_store *store, size_t expected)
{
    for (int i = 0; i < 1000; i++) {
        WH_ASSERT_OK(wh_hub_run(hub, 0));
        if (wh_hub_in_flight(hub) == 0) {
            wh_time_ms at;
            if (store->next_due(store, &at) == WH_ENOTFOUND) return;
        }
    }
    fail_msg("deliveries still queued after 1000 rounds (%zu expected)", expected);
}

static void test_million_deliveries_stay_bounded(void **state)
{
    (void)state;
    wh_track_begin(NULL, NULL);
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    wh_transport *t = instant_transport_new(200);
    WH_ASSERT_OK(wh_hub_options_set_transport(o, t, 1));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight(o, BATCH));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight_per_subscription(o, BATCH));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o)); /* its own memory store, every default */
    wh_hub_options_free(o);
    wh_subscription *sub;
    const char *json = "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"order.created\"]}";
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    wh_subscription_free(sub);
    wh_store *store = wh_hub_store(hub);
    wh_event **evs = make_events();

    long long heap_early = 0, rss_early = 0;
    int64_t t0 = wh_test_now_ms();
    for (size_t done = 0; done < SOAK_DELIVERIES; done += BATCH) {
        size_t queued = 0;
        set_ids(evs, done); /* new ids: each is remembered (the event id window), to the cap */
        WH_ASSERT_OK(wh_hub_emit_batch(hub, (const wh_event *const *)evs, BATCH, &queued));
        assert_int_equal(queued, BATCH);
        deliver_all(hub, store, done + BATCH);
        if (done + BATCH == EARLY) {
            heap_early = wh_track_live();
            rss_early = rss_bytes();
        }
    }
    long long heap = wh_track_live(), rss = rss_bytes();
    printf("# %d deliveries in %lld ms; library heap %.1f MB (%.1f MB at %d), peak %.1f MB; "
           "RSS %.1f MB (%.1f MB at %d)%s\n",
           SOAK_DELIVERIES, (long long)(wh_test_now_ms() - t0), (double)heap / MB,
           (double)heap_early / MB, EARLY, (double)wh_track_peak() / MB, (double)rss / MB,
           (double)rss_early / MB, EARLY, RSS_MEANINGFUL ? "" : " (sanitized: not checked)");
    assert_int_equal(instant_transport_answered(t), SOAK_DELIVERIES);
    assert_true(heap < 48 * MB);
    assert_true(heap - heap_early < 2 * MB);
    if (RSS_MEANINGFUL) assert_true(rss - rss_early < 16 * MB);

    for (int i = 0; i < BATCH; i++)
        wh_event_free(evs[i]);
    free(evs);
    wh_hub_free(hub);
    wh_track_end();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_million_deliveries_stay_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
