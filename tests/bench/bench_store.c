/*
 * Store benchmarks (JSON lines, DESIGN.md format), each SQLite figure against the memory store
 * measured in the same run:
 * - store_enqueue: events per second accepted into the queue, each event matching 10
 *   subscriptions (a batch of 10 deliveries; one transaction per enqueue call), with one event
 *   per call and with 10 events per call, SQLite synchronous FULL (the default) and NORMAL.
 * - store_drain: deliveries per second through lease (64 at a time) and record, one call (so
 *   one transaction) per attempt or one record_batch per lease: the store's share of
 *   delivering.
 * The database is a file on disk in WAL mode, under $TMPDIR (default /tmp).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wh_test_files.h"
#include <webhooks.h>
#include <webhooks/sys/store.h> /* the store's members, measured one by one */

#define SUBS     10
#define BODY_LEN 400

static char g_dir[PATH_MAX];
static int g_files;
static char g_body[BODY_LEN];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void line(const char *bench, const char *bcase, const char *metric, double value,
                 const char *unit, double baseline)
{
    printf("{\"bench\":\"%s\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%.1f,\"unit\":\"%s\","
           "\"baseline\":\"memory_store\",\"baseline_value\":%.1f,\"ratio\":%.4f}\n",
           bench, bcase, metric, value, unit, baseline, baseline > 0 ? value / baseline : 0.0);
    fflush(stdout);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, wh_error_last()->message);
    exit(1);
}

/* A memory store keeping every finished delivery, as the SQLite store does. */
static int memory_store(wh_store **out)
{
    wh_memory_options *mo;
    int rc = wh_memory_options_new(&mo);
    if (rc == WH_OK) rc = wh_memory_options_set_max_finished(mo, 0);
    if (rc == WH_OK) rc = wh_store_memory_new_opts(out, mo);
    wh_memory_options_free(mo);
    return rc;
}

/* A fresh store: memory, or SQLite (sync NORMAL when normal) on a new file. */
static wh_store *new_store(int sqlite, int normal)
{
    wh_store *s;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/bench-%d.db", g_dir, g_files++);
    int rc = !sqlite ? memory_store(&s)
                     : wh_test_sqlite_open(&s, path, normal ? WH_TEST_SQLITE_SYNC_NORMAL : 0);
    if (rc != WH_OK) die("open");
    for (int i = 0; i < SUBS; i++) {
        wh_subscription *sub;
        char id[16];
        snprintf(id, sizeof(id), "sub-%d", i);
        if (wh_subscription_new(&sub) || wh_subscription_set_id(sub, id) ||
            wh_subscription_set_url(sub, "https://example.com/hooks") ||
            wh_subscription_list_add(sub, WH_LIST_EVENTS, "order.created") || s->sub_create(s, sub))
            die("subscription");
        wh_subscription_free(sub);
    }
    return s;
}

typedef struct ids {
    char v[SUBS * 10][32];
} ids;

/* Enqueue events first..first+n-1 (n <= 10) as one batch of n * SUBS deliveries. */
static void enqueue_events(wh_store *s, int first, int n, ids *id)
{
    wh_delivery d[SUBS * 10];
    const wh_delivery *batch[SUBS * 10];
    static const char *subs[SUBS] = {"sub-0", "sub-1", "sub-2", "sub-3", "sub-4",
                                     "sub-5", "sub-6", "sub-7", "sub-8", "sub-9"};
    char evt[10][24];
    for (int e = 0; e < n; e++) {
        snprintf(evt[e], sizeof(evt[e]), "evt-%d", first + e);
        for (int k = 0; k < SUBS; k++) {
            int i = e * SUBS + k;
            snprintf(id->v[i], sizeof(id->v[i]), "d-%d-%d", first + e, k);
            d[i] = (wh_delivery){.version = WH_DELIVERY_VERSION,
                                 .id = id->v[i],
                                 .subscription_id = subs[k],
                                 .event_id = evt[e],
                                 .event_type = "order.created",
                                 .idempotency_key = evt[e],
                                 .url = "https://example.com/hooks",
                                 .headers = "{}",
                                 .body = g_body,
                                 .body_len = BODY_LEN,
                                 .event_time = first + e,
                                 .next_attempt_at = first + e,
                                 .created_at = first + e,
                                 .updated_at = first + e};
            batch[i] = &d[i];
        }
    }
    if (s->enqueue(s, batch, (size_t)n * SUBS) != WH_OK) die("enqueue");
}

/* Events per second accepted, per_call events per enqueue call, for about budget_s. */
static double enqueue_rate(wh_store *s, int per_call, double budget_s, int max_events)
{
    ids id;
    int events = 0;
    double t0 = now_s(), t;
    do {
        enqueue_events(s, events, per_call, &id);
        events += per_call;
    } while ((t = now_s() - t0) < budget_s && events < max_events);
    return events / t;
}

static void bench_enqueue(const char *name, int normal, int per_call)
{
    wh_store *mem = new_store(0, 0), *sql = new_store(1, normal);
    double base = enqueue_rate(mem, per_call, 2.0, 20000);
    double rate = enqueue_rate(sql, per_call, 3.0, 20000);
    char bcase[96];
    snprintf(bcase, sizeof(bcase), "%s,subs=%d,events_per_txn=%d", name, SUBS, per_call);
    line("store_enqueue", bcase, "events_per_s", rate, "events/s", base);
    wh_store_free(mem);
    wh_store_free(sql);
}

typedef struct leased {
    char id[64][32];
    size_t n;
} leased;

static int take(const wh_delivery *d, void *user_data)
{
    leased *l = user_data;
    snprintf(l->id[l->n++], 32, "%s", d->id);
    return 0;
}

/* Record the leased deliveries as delivered: one record call each, or one record_batch. */
static void record_all(wh_store *s, const leased *l, int batched)
{
    wh_attempt a[64];
    const wh_attempt *ap[64];
    const wh_outcome *op[64];
    wh_sub_stats st = {1000003, 200, 0, 0, 0, NULL};
    wh_outcome o = {WH_DELIVERY_SUCCEEDED, 0, NULL, &st};
    for (size_t i = 0; i < l->n; i++) {
        a[i] =
            (wh_attempt){WH_ATTEMPT_VERSION, l->id[i], NULL, 1, 1000000, 3, 200, 0, NULL, "ok", 2};
        ap[i] = &a[i];
        op[i] = &o;
        if (!batched && s->record(s, &a[i], &o) != WH_OK) die("record");
    }
    if (batched && s->record_batch(s, ap, op, l->n, NULL) != WH_OK) die("record_batch");
}

/* Deliveries per second through lease + record, draining what is queued (about budget_s). */
static double drain_rate(wh_store *s, int batched, double budget_s)
{
    size_t done = 0;
    double t0 = now_s();
    while (now_s() - t0 < budget_s) {
        leased l = {.n = 0};
        wh_lease_request req = {1000000, 2000000, 64, 0, NULL, 0};
        if (s->lease(s, &req, take, &l) != WH_OK) die("lease");
        if (l.n == 0) break;
        record_all(s, &l, batched);
        done += l.n;
    }
    return done / (now_s() - t0);
}

static void bench_drain(const char *name, int normal, int batched)
{
    wh_store *mem = new_store(0, 0), *sql = new_store(1, normal);
    ids id;
    for (int e = 0; e < 4000; e += 10) {
        enqueue_events(mem, e, 10, &id);
        enqueue_events(sql, e, 10, &id);
    }
    double base = drain_rate(mem, batched, 2.0), rate = drain_rate(sql, batched, 4.0);
    char bcase[96];
    snprintf(bcase, sizeof(bcase), "%s,lease=64,records_per_txn=%d", name, batched ? 64 : 1);
    line("store_drain", bcase, "deliveries_per_s", rate, "deliveries/s", base);
    wh_store_free(mem);
    wh_store_free(sql);
}

int main(void)
{
    memset(g_body, 'x', sizeof(g_body));
    wh_tmpdir_new(g_dir, sizeof(g_dir));
    bench_enqueue("sqlite_wal_full", 0, 1);
    bench_enqueue("sqlite_wal_full", 0, 10);
    bench_enqueue("sqlite_wal_normal", 1, 1);
    bench_enqueue("sqlite_wal_normal", 1, 10);
    bench_drain("sqlite_wal_full", 0, 0);
    bench_drain("sqlite_wal_full", 0, 1);
    bench_drain("sqlite_wal_normal", 1, 0);
    bench_drain("sqlite_wal_normal", 1, 1);
    wh_tmpdir_remove(g_dir);
    return 0;
}
