/*
 * `delivery` and `store` benchmarks: 20 000 events with a 1 KiB body to one subscription whose
 * endpoint is an nginx sink on 127.0.0.1 answering 204 (tests/bench/sink.sh), through emit,
 * match, render, sign and send. Baselines measured in the same run:
 *   wrk                 posting the same body to the same sink with the same connection count
 *   sequential_libcurl  one easy handle reused in a loop, one request at a time
 * and, for `store`, the SQLite store (file on disk, WAL) against the memory store.
 * Needs WH_BENCH_SINK_URL (set by tests/bench/run.sh); skips with a note otherwise.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <webhooks.h>

#include "bench_util.h"

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

static size_t discard(char *d, size_t s, size_t n, void *u)
{
    (void)d;
    (void)u;
    return s * n;
}

static double sequential_rate(const char *url, int n)
{
    CURL *e = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, g_body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)BODY_BYTES);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    double t0 = bench_now_s();
    int ok = 0;
    for (int i = 0; i < n; i++)
        ok += curl_easy_perform(e) == CURLE_OK;
    double dt = bench_now_s() - t0;
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return ok == n ? n / dt : 0;
}

static int count_one(const wh_delivery *d, void *ud)
{
    (void)d;
    (void)ud;
    return 1; /* the total is what we want */
}

/* Emit EVENTS events and run the hub until every delivery is done; deliveries per second. */
static double hub_rate(const char *url, wh_store *store)
{
    static const char *const allow[] = {"127.0.0.0/8"};
    wh_hub_options o = WH_HUB_OPTIONS_INIT;
    o.store = store;
    o.own_store = 1;
    o.allow_cidrs = allow;
    o.allow_cidr_count = 1;
    o.max_in_flight = CONNS;
    o.max_in_flight_per_subscription = CONNS;
    wh_hub *hub;
    if (wh_hub_new(&hub, &o) != WH_OK) return 0;
    char json[512];
    snprintf(json, sizeof(json), "{\"url\":\"%s\",\"events\":[\"order.created\"]}", url);
    wh_subscription *sub;
    if (wh_subscription_from_json(&sub, json, strlen(json)) != WH_OK ||
        wh_hub_subscription_add(hub, sub) != WH_OK) {
        fprintf(stderr, "bench: %s\n", wh_error_last()->message);
        return 0;
    }
    wh_subscription_free(sub);
    wh_event *ev;
    wh_event_new(&ev, "order.created");
    wh_event_set_data(ev, g_body, BODY_BYTES);
    double t0 = bench_now_s();
    for (int i = 0; i < EVENTS; i++) {
        char id[32];
        snprintf(id, sizeof(id), "evt_%d", i);
        wh_event_set_id(ev, id);
        if (wh_hub_emit(hub, ev, NULL) != WH_OK) {
            fprintf(stderr, "bench: emit: %s\n", wh_error_last()->message);
            return 0;
        }
        if (i % 64 == 0) wh_hub_run(hub, 0); /* deliver while emitting, as a live host would */
    }
    wh_time_ms at;
    double deadline = t0 + 300;
    while ((wh_hub_in_flight(hub) || wh_hub_next_deadline(hub, &at) == WH_OK) &&
           bench_now_s() < deadline)
        wh_hub_run(hub, 50);
    double dt = bench_now_s() - t0;
    wh_event_free(ev);
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.status = WH_DELIVERY_SUCCEEDED;
    size_t done = 0;
    store->delivery_list(store, &q, &done, count_one, NULL);
    wh_hub_free(hub);
    if (done != EVENTS) {
        fprintf(stderr, "bench: only %zu of %d delivered\n", done, EVENTS);
        return 0;
    }
    return EVENTS / dt;
}

int main(void)
{
    const char *url = getenv("WH_BENCH_SINK_URL");
    if (!url) {
        fprintf(stderr, "bench_delivery: WH_BENCH_SINK_URL not set (run through make bench)\n");
        return 0;
    }
    make_body();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double wrk = wrk_rate(url);
    double seq = sequential_rate(url, 2000);
    wh_store *mem;
    wh_store_memory_new(&mem);
    double hub_mem = hub_rate(url, mem);
    char dir[] = "/tmp/wh-bench-store-XXXXXX", path[256];
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof(path), "%s/bench.db", dir);
    wh_store *sq;
    double hub_sq = 0;
    if (wh_store_sqlite_open(&sq, path) == WH_OK) hub_sq = hub_rate(url, sq);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench: could not remove %s\n", dir);

    char bcase[64];
    snprintf(bcase, sizeof(bcase), "events=%d,body=1KiB,conns=%d", EVENTS, CONNS);
    bench_line("delivery", bcase, "deliveries_per_s", hub_mem, "1/s", "wrk", wrk);
    bench_line("delivery", bcase, "deliveries_per_s", hub_mem, "1/s", "sequential_libcurl", seq);
    bench_line("store", bcase, "deliveries_per_s", hub_sq, "1/s", "memory_store", hub_mem);
    curl_global_cleanup();
    return 0;
}
