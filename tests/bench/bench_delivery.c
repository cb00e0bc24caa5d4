/*
 * `delivery` and `store` benchmarks: 20 000 events with a 1 KiB body to one subscription whose
 * endpoint is an nginx sink on 127.0.0.1 answering 204 (tests/support/nginx_sink.sh), through emit,
 * match, render, sign and send. Baselines measured in the same run:
 *   wrk                 posting the same body to the same sink with the same connection count
 *   sequential_libcurl  one easy handle reused in a loop, one request at a time
 *   libcurl_multi       bare libcurl: a multi handle keeping CONNS easy handles busy with the
 *                       same request, no hub. It is the ceiling of any libcurl-based sender on
 *                       this machine; the `transport_ceiling` lines compare it with wrk and the
 *                       sequential loop, so the delivery targets can be read against it.
 * and, for `store`, the SQLite store (file on disk, WAL) against the memory store.
 * Needs WH_BENCH_SINK_URL (set by tests/bench/run.sh); skips with a note otherwise.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <webhooks.h>

#include "bench_util.h"
#include "wh_test_files.h"

#define EVENTS     20000
#define CONNS      16
#define BODY_BYTES 1024

static char g_body[BODY_BYTES + 1];

static void make_body(void)
{
    /* A 1 KiB JSON payload: the event's "data". */
    memset(g_body, 'x', BODY_BYTES);
    memcpy(g_body, "{\"pad\":\"", 8);
    memcpy(g_body + BODY_BYTES - 2, "\"}", 2);
    g_body[BODY_BYTES] = '\0';
}

static double wrk_rate(const char *url)
{
    char script[] = "/tmp/wh-bench-wrk-XXXXXX";
    int fd = mkstemp(script);
    if (fd < 0) return 0;
    FILE *f = fdopen(fd, "w");
    fprintf(f,
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
            "wrk.body = string.rep(\"x\", %d)\n",
            BODY_BYTES);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "wrk -t1 -c%d -d3s -s %s %s 2>/dev/null", CONNS, script, url);
    FILE *p = popen(cmd, "r");
    double rate = 0;
    char line[256];
    while (p && fgets(line, sizeof(line), p))
        if (sscanf(line, "Requests/sec: %lf", &rate) == 1) break;
    if (p) pclose(p);
    unlink(script);
    return rate;
}

/* The request every baseline sends: the 1 KiB body as JSON, the answer discarded. */
static void request_setup(CURL *e, const char *url, struct curl_slist *h)
{
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, g_body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)BODY_BYTES);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, bench_discard);
}

static double sequential_rate(const char *url, int n)
{
    CURL *e = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    request_setup(e, url, h);
    double t0 = bench_now_s();
    int ok = 0;
    for (int i = 0; i < n; i++)
        ok += curl_easy_perform(e) == CURLE_OK;
    double dt = bench_now_s() - t0;
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return ok == n ? n / dt : 0;
}

/* n requests through one multi handle, CONNS at a time, each handle re-added as it finishes. */
static double multi_rate(const char *url, int n)
{
    CURLM *m = curl_multi_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    CURL *e[CONNS];
    int started = 0, done = 0, ok = 0;
    double t0 = bench_now_s();
    for (int i = 0; i < CONNS; i++, started++) {
        e[i] = curl_easy_init();
        request_setup(e[i], url, h);
        curl_multi_add_handle(m, e[i]);
    }
    while (done < n && bench_now_s() - t0 < 60) {
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                ok += msg->data.result == CURLE_OK;
                done++;
                curl_multi_remove_handle(m, msg->easy_handle);
                if (started < n && ++started) curl_multi_add_handle(m, msg->easy_handle);
            }
        if (done < n) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double dt = bench_now_s() - t0;
    for (int i = 0; i < CONNS; i++) {
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    return ok == n ? n / dt : 0;
}

/* Emit EVENTS events (one wh_hub_emit each, or wh_hub_emit_batch of `batch` events) and run the
 * hub until every delivery is done; deliveries per second (0 on failure). The store is freed. */
static double hub_rate(const char *url, wh_store *store, int batch)
{
    wh_hub_options *o;
    wh_hub *hub;
    int rc = wh_hub_options_new(&o);
    if (rc == WH_OK) rc = wh_hub_options_set_store(o, store, 1);
    if (rc == WH_OK) rc = wh_hub_options_allow_cidr(o, "127.0.0.0/8");
    if (rc == WH_OK) rc = wh_hub_options_set_max_in_flight(o, CONNS);
    if (rc == WH_OK) rc = wh_hub_options_set_max_in_flight_per_subscription(o, CONNS);
    if (rc == WH_OK) rc = wh_hub_new(&hub, o);
    wh_hub_options_free(o);
    if (rc != WH_OK) return 0;
    char json[512];
    snprintf(json, sizeof(json), "{\"url\":\"%s\",\"events\":[\"order.created\"]}", url);
    wh_subscription *sub;
    if (wh_subscription_from_json(&sub, json, strlen(json)) != WH_OK ||
        wh_hub_subscription_add(hub, sub) != WH_OK) {
        fprintf(stderr, "bench: %s\n", wh_error_last()->message);
        return 0;
    }
    wh_subscription_free(sub);
    wh_event *evs[64];
    for (int k = 0; k < batch; k++) {
        wh_event_new(&evs[k], "order.created");
        wh_event_set_data(evs[k], g_body, BODY_BYTES);
    }
    double t0 = bench_now_s();
    for (int i = 0; rc == WH_OK && i < EVENTS; i += batch) {
        for (int k = 0; k < batch; k++) {
            char id[32];
            snprintf(id, sizeof(id), "evt_%d", i + k);
            wh_event_set_id(evs[k], id);
        }
        rc = batch == 1 ? wh_hub_emit(hub, evs[0], NULL)
                        : wh_hub_emit_batch(hub, (const wh_event *const *)evs, (size_t)batch, NULL);
        if (i % 64 == 0) wh_hub_run(hub, 0); /* deliver while emitting, as a live host would */
    }
    if (rc != WH_OK) fprintf(stderr, "bench: emit: %s\n", wh_error_last()->message);
    wh_time_ms at;
    double deadline = t0 + 300;
    while ((wh_hub_in_flight(hub) || wh_hub_next_deadline(hub, &at) == WH_OK) &&
           bench_now_s() < deadline)
        wh_hub_run(hub, 50);
    double dt = bench_now_s() - t0;
    for (int k = 0; k < batch; k++)
        wh_event_free(evs[k]);
    size_t done = bench_count(store, WH_DELIVERY_SUCCEEDED);
    wh_hub_free(hub);
    if (done != EVENTS) {
        fprintf(stderr, "bench: only %zu of %d delivered\n", done, EVENTS);
        return 0;
    }
    return EVENTS / dt;
}

/* A SQLite store in dir/name, syncing NORMAL or FULL; NULL when it cannot be opened. */
static wh_store *sqlite_store(const char *dir, const char *name, bool normal)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    wh_store *st = NULL;
    if (wh_test_sqlite_open(&st, path, normal ? WH_TEST_SQLITE_SYNC_NORMAL : 0) != WH_OK)
        fprintf(stderr, "bench: %s\n", wh_error_last()->message);
    return st;
}

/* A memory store keeping every finished delivery (as SQLite does; the count needs them). */
static double memory_rate(const char *url, int batch)
{
    wh_memory_options *mo;
    wh_store *st = NULL;
    if (wh_memory_options_new(&mo) != WH_OK) return 0;
    int rc = wh_memory_options_set_max_finished(mo, 0);
    if (rc == WH_OK) rc = wh_store_memory_new_opts(&st, mo);
    wh_memory_options_free(mo);
    return rc == WH_OK ? hub_rate(url, st, batch) : 0;
}

/* One run on a new SQLite file, removed afterwards (the runs would fill /tmp otherwise). */
static double sqlite_rate(const char *url, const char *dir, const char *name, bool normal,
                          int batch)
{
    wh_store *st = sqlite_store(dir, name, normal);
    double rate = st ? hub_rate(url, st, batch) : 0;
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char path[300];
        snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffixes[i]);
        unlink(path);
    }
    return rate;
}

/* One run on dir/p.db, kept afterwards (profiling: to look at the file and its WAL). */
static double kept_sqlite_rate(const char *url, const char *dir, int batch)
{
    wh_store *st = sqlite_store(dir, "p.db", true);
    return st ? hub_rate(url, st, batch) : 0;
}

/*
 * The store figures. A configuration is measured as a pair of runs back to back, memory then
 * SQLite, STORE_PAIRS times, and its line reports the pair whose ratio is the median. The
 * machine is shared and its load drifts: the two runs of a pair see nearly the same moment, so
 * their ratio is much steadier than either rate, and the median pair is neither the luckiest nor
 * the unluckiest one.
 */
#define STORE_PAIRS 5

typedef struct pair {
    double memory, sqlite;
} pair;

static double pair_ratio(const pair *p)
{
    return p->memory > 0 ? p->sqlite / p->memory : 0;
}

static int by_ratio(const void *a, const void *b)
{
    double x = pair_ratio(a), y = pair_ratio(b);
    return (x > y) - (x < y);
}

/* The median pair of one configuration: SQLite syncing NORMAL (durable across a crash of the
 * process) or FULL (the default: also across power loss, a disk sync per commit). */
static pair median_pair(const char *url, const char *dir, bool normal, int batch)
{
    pair p[STORE_PAIRS];
    for (int i = 0; i < STORE_PAIRS; i++) {
        p[i].memory = memory_rate(url, batch);
        p[i].sqlite = sqlite_rate(url, dir, "store.db", normal, batch);
    }
    qsort(p, STORE_PAIRS, sizeof(p[0]), by_ratio);
    return p[STORE_PAIRS / 2];
}

/* `bench_delivery memory|sqlite [batch]` runs only that hub, emitting `batch` events per call
 * (default 1, at most 64), for profiling; the SQLite file is left in /tmp/wh-bench-store-*. */
int main(int argc, char **argv)
{
    const char *url = getenv("WH_BENCH_SINK_URL");
    if (!url) {
        fprintf(stderr, "bench_delivery: WH_BENCH_SINK_URL not set (run through make bench)\n");
        return 0;
    }
    make_body();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[] = "/tmp/wh-bench-store-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    if (argc > 1) {
        bool mem = strcmp(argv[1], "memory") == 0;
        int batch = argc > 2 ? atoi(argv[2]) : 1;
        if (batch < 1 || batch > 64 || EVENTS % batch) batch = 1;
        printf("%s store: %.0f deliveries/s\n", argv[1],
               mem ? memory_rate(url, batch) : kept_sqlite_rate(url, dir, batch));
        return 0;
    }
    double wrk = wrk_rate(url);
    double seq = sequential_rate(url, 2000);
    double multi = multi_rate(url, EVENTS);
    pair single = median_pair(url, dir, true, 1);
    pair batched = median_pair(url, dir, true, 50);
    pair full = median_pair(url, dir, false, 50);
    double mem1 = single.memory;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench: could not remove %s\n", dir);

    char c[128];
    snprintf(c, sizeof(c), "events=%d,body=1KiB,conns=%d", EVENTS, CONNS);
    bench_line("delivery", c, "deliveries_per_s", mem1, "1/s", "wrk", wrk);
    bench_line("delivery", c, "deliveries_per_s", mem1, "1/s", "sequential_libcurl", seq);
    bench_line("delivery", c, "deliveries_per_s", mem1, "1/s", "libcurl_multi", multi);
    snprintf(c, sizeof(c), "libcurl_multi,body=1KiB,conns=%d", CONNS);
    bench_line("transport_ceiling", c, "requests_per_s", multi, "1/s", "wrk", wrk);
    bench_line("transport_ceiling", c, "requests_per_s", multi, "1/s", "sequential_libcurl", seq);
    snprintf(c, sizeof(c), "events=%d,body=1KiB,conns=%d,sqlite=wal+normal,emit=single", EVENTS,
             CONNS);
    bench_line("store", c, "deliveries_per_s", single.sqlite, "1/s", "memory_store", single.memory);
    snprintf(c, sizeof(c), "events=%d,body=1KiB,conns=%d,sqlite=wal+normal,emit=batch50", EVENTS,
             CONNS);
    bench_line("store", c, "deliveries_per_s", batched.sqlite, "1/s", "memory_store",
               batched.memory);
    snprintf(c, sizeof(c), "events=%d,body=1KiB,conns=%d,sqlite=wal+full,emit=batch50", EVENTS,
             CONNS);
    bench_line("store", c, "deliveries_per_s", full.sqlite, "1/s", "memory_store", full.memory);
    curl_global_cleanup();
    return 0;
}
