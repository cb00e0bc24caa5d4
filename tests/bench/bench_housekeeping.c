/*
 * `housekeeping` benchmark (issue 21): what retention and the memory store's cap cost and save.
 * - memory_store: 1 000 000 deliveries of a 0.5 KiB event through a hub with every default (its
 *   own memory store, at most 10 000 finished deliveries kept); the resident set at the end
 *   against the baseline, the resident set after the first 100 000 (ratio 1: it stopped
 *   growing; before the cap it grew by 1.6 KB per delivery).
 * - sqlite_purging: the SQLite store (file on disk, WAL, synchronous NORMAL) holding 20 000
 *   finished deliveries that have just expired; the rate of delivering 20 000 new ones while
 *   retention purges the old ones between rounds, against the same with retention off (the
 *   baseline). Median of 3 pairs. Near 1: housekeeping does not hold delivery back.
 * Requests go to the instant transport (tests/support/instant_transport.c): no sockets, so what
 * is measured is the hub and the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <webhooks.h>
#include <webhooks/sys/store.h>

#include "bench_util.h"
#include "instant_transport.h"
#include "wh_test_files.h"

#define SOAK     1000000
#define EARLY    100000
#define BATCH    500
#define PRELOAD  20000
#define MEASURED 20000
#define PAIRS    3
#define HOUR_MS  (3600LL * 1000)

static void must(int rc, const char *what)
{
    if (rc != WH_OK) {
        fprintf(stderr, "bench_housekeeping: %s: %s\n", what, wh_error_last_message());
        exit(1);
    }
}

static double rss_bytes(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) exit(1);
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

static wh_time_ms g_now = 1800000000000LL;

static wh_time_ms bench_clock(void *ud)
{
    (void)ud;
    return g_now;
}

/* A hub over store (NULL: its own memory store) with one subscription. */
static wh_hub *hub_new(wh_store *store, wh_time_ms retention)
{
    wh_hub_options *o;
    must(wh_hub_options_new(&o), "options");
    if (store) must(wh_hub_options_set_store(o, store, 1), "store");
    must(wh_hub_options_set_transport(o, instant_transport_new(200), 1), "transport");
    must(wh_hub_options_set_clock(o, bench_clock, NULL), "clock");
    must(wh_hub_options_allow_cidr(o, "127.0.0.0/8"), "allow");
    must(wh_hub_options_set_max_in_flight(o, BATCH), "max_in_flight");
    must(wh_hub_options_set_max_in_flight_per_subscription(o, BATCH), "per subscription");
    if (retention >= 0) must(wh_hub_options_set_retention_ms(o, retention), "retention");
    wh_hub *hub;
    must(wh_hub_new(&hub, o), "hub");
    wh_hub_options_free(o);
    wh_subscription *sub;
    const char *json = "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"order.created\"]}";
    must(wh_subscription_from_json(&sub, json, strlen(json)), "subscription");
    must(wh_hub_subscription_add(hub, sub), "add");
    wh_subscription_free(sub);
    return hub;
}

static wh_event *g_events[BATCH];

static void make_events(void)
{
    char data[600];
    int n = snprintf(data, sizeof(data), "{\"order\":{\"id\":\"ord_1\",\"note\":\"");
    while (n < 500)
        data[n++] = 'x';
    n += snprintf(data + n, sizeof(data) - (size_t)n, "\"}}");
    for (int i = 0; i < BATCH; i++) {
        must(wh_event_new(&g_events[i], "order.created"), "event");
        must(wh_event_set_data(g_events[i], data, (size_t)n), "data");
    }
}

/* Emit and deliver count events, BATCH at a time. */
static void deliver(wh_hub *hub, size_t count)
{
    wh_store *store = wh_hub_store(hub);
    for (size_t done = 0; done < count; done += BATCH) {
        must(wh_hub_emit_batch(hub, (const wh_event *const *)g_events, BATCH, NULL), "emit");
        for (int i = 0; i < 100000; i++) {
            must(wh_hub_run(hub, 0), "run");
            wh_time_ms at;
            if (wh_hub_in_flight(hub) == 0 && store->next_due(store, &at) == WH_ENOTFOUND) break;
        }
    }
}

static void memory_soak(void)
{
    wh_hub *hub = hub_new(NULL, -1);
    deliver(hub, EARLY);
    double early = rss_bytes();
    deliver(hub, SOAK - EARLY);
    bench_line("housekeeping", "memory_store deliveries=1000000", "resident_bytes", rss_bytes(),
               "bytes", "resident_bytes_at_100000", early);
    wh_hub_free(hub);
}

/* Deliveries per second of MEASURED new events over PRELOAD just expired ones. */
static double sqlite_rate(int purging)
{
    char dir[512], path[600];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/bench.db", dir);
    wh_store *store;
    must(wh_test_sqlite_open(&store, path, WH_TEST_SQLITE_SYNC_NORMAL), "sqlite");
    wh_hub *hub = hub_new(store, purging ? HOUR_MS : 0);
    deliver(hub, PRELOAD);
    g_now += 2 * HOUR_MS;
    double t0 = bench_now_s();
    deliver(hub, MEASURED);
    double rate = MEASURED / (bench_now_s() - t0);
    size_t left = 0;
    wh_store_delivery_list(store, NULL, &left, NULL, NULL);
    wh_hub_free(hub);
    wh_tmpdir_remove(dir);
    return rate;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void sqlite_purging(void)
{
    double on[PAIRS], off[PAIRS], ratio[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        off[i] = sqlite_rate(0);
        on[i] = sqlite_rate(1);
        ratio[i] = on[i] / off[i];
    }
    qsort(on, PAIRS, sizeof(double), cmp_double);
    qsort(off, PAIRS, sizeof(double), cmp_double);
    qsort(ratio, PAIRS, sizeof(double), cmp_double);
    bench_line("housekeeping", "sqlite_purging preload=20000 events=20000", "deliveries_per_s",
               on[PAIRS / 2], "1/s", "retention_off", off[PAIRS / 2]);
    printf("# housekeeping sqlite_purging: median ratio of the %d pairs %.3f\n", PAIRS,
           ratio[PAIRS / 2]);
}

int main(void)
{
    make_events();
    memory_soak();
    sqlite_purging();
    for (int i = 0; i < BATCH; i++)
        wh_event_free(g_events[i]);
    return 0;
}
