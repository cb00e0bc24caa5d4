/*
 * `latency` benchmark (issue 22): emit-to-arrival latency at the receiver, p50 and p99, with
 * events emitted at a steady 2 000 per second for 4 s (one subscription, 1 KiB bodies), through
 * the memory store and through SQLite (WAL, synchronous NORMAL). Arrival is when the loopback
 * receiver (tests/support/receiver.c, libmicrohttpd) has read the whole request: its hook notes
 * the monotonic time in microseconds against the event's number (from x-Idempotency-Key), and
 * the emit loop noted the same clock just before each wh_hub_emit.
 * The baseline is the receiver's own answer time: the p50 of a request sent to it by a bare
 * libcurl handle, one at a time. One thread emits and runs the hub, as a simple host would
 * (wh_hub_run with a 1 ms wait between emits): what dominates is said in docs/delivery.md.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <webhooks.h>

#include "bench_util.h"
#include "receiver.h"
#include "wh_test_files.h"

#define RATE    2000 /* events per second */
#define SECONDS 4
#define EVENTS  (RATE * SECONDS)

static char g_body[1025];

static int64_t g_emitted_us[EVENTS], g_arrived_us[EVENTS];

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The receiver's hook: note when event N's request arrived. */
static void on_arrival(const wh_recv_request *req, size_t nth, wh_receiver_reply *reply, void *ud)
{
    (void)nth;
    (void)reply;
    (void)ud;
    const char *key = wh_recv_request_header(req, "x-Idempotency-Key");
    int n;
    if (key && sscanf(key, "evt_%d", &n) == 1 && n >= 0 && n < EVENTS) g_arrived_us[n] = mono_us();
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static wh_hub *latency_hub(wh_store *st, const char *url)
{
    wh_hub_options *o;
    wh_hub *hub;
    if (wh_hub_options_new(&o) != WH_OK) return NULL;
    int rc = wh_hub_options_set_store(o, st, 1);
    if (rc == WH_OK) rc = wh_hub_options_allow_cidr(o, "127.0.0.0/8");
    if (rc == WH_OK) rc = wh_hub_new(&hub, o);
    wh_hub_options_free(o);
    char json[256];
    snprintf(json, sizeof(json), "{\"url\":\"%s\",\"events\":[\"order.created\"]}", url);
    wh_subscription *sub;
    if (rc == WH_OK) rc = wh_subscription_from_json(&sub, json, strlen(json));
    if (rc == WH_OK) {
        rc = wh_hub_subscription_add(hub, sub);
        wh_subscription_free(sub);
    }
    return rc == WH_OK ? hub : NULL;
}

/* Emit at RATE for SECONDS, deliver everything; latencies (ms) of the arrivals into lat[],
 * their number returned (0 on failure). */
static size_t run(wh_store *st, wh_receiver *recv, int64_t *lat)
{
    char url[160];
    wh_receiver_url(recv, "/lat", url, sizeof(url));
    wh_receiver_clear_log(recv);
    memset(g_arrived_us, 0, sizeof(g_arrived_us));
    wh_hub *hub = latency_hub(st, url);
    if (!hub) return 0;
    wh_event *ev;
    if (wh_event_new(&ev, "order.created") != WH_OK) return 0;
    wh_event_set_data(ev, g_body, strlen(g_body));
    double t0 = bench_now_s();
    int emitted = 0;
    while (emitted < EVENTS && bench_now_s() - t0 < SECONDS * 3) {
        int due = (int)((bench_now_s() - t0) * RATE);
        for (; emitted < due && emitted < EVENTS; emitted++) {
            char id[32];
            snprintf(id, sizeof(id), "evt_%d", emitted);
            wh_event_set_id(ev, id);
            g_emitted_us[emitted] = mono_us();
            wh_hub_emit(hub, ev, NULL);
        }
        wh_hub_run(hub, 1);
    }
    wh_event_free(ev);
    wh_time_ms at;
    double end = bench_now_s() + 30;
    while ((wh_hub_in_flight(hub) || wh_hub_next_deadline(hub, &at) == WH_OK) &&
           bench_now_s() < end)
        wh_hub_run(hub, 20);
    wh_hub_free(hub);
    size_t n = 0;
    for (int i = 0; i < EVENTS; i++)
        if (g_arrived_us[i]) lat[n++] = g_arrived_us[i] - g_emitted_us[i];
    if (n != EVENTS) fprintf(stderr, "bench_latency: %zu of %d arrived\n", n, EVENTS);
    return n == EVENTS ? n : 0;
}

/* The receiver's own answer time: p50 (ms, fractional) of 500 requests, one at a time. */
static double answer_ms(wh_receiver *recv)
{
    char url[160];
    wh_receiver_url(recv, "/base", url, sizeof(url));
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, g_body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, bench_discard);
    double t[500];
    for (int i = 0; i < 500; i++) {
        double s = bench_now_s();
        curl_easy_perform(e);
        t[i] = (bench_now_s() - s) * 1000;
    }
    curl_easy_cleanup(e);
    for (int i = 1; i < 500; i++) /* insertion sort: small */
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[250];
}

static void report(const char *store, int64_t *lat, size_t n, double base)
{
    qsort(lat, n, sizeof(*lat), cmp_i64);
    char c[96];
    snprintf(c, sizeof(c), "rate=%d/s,seconds=%d,body=1KiB,store=%s", RATE, SECONDS, store);
    bench_line("latency", c, "p50_ms", (double)lat[n / 2] / 1000, "ms", "receiver_answer_p50",
               base);
    bench_line("latency", c, "p99_ms", (double)lat[n * 99 / 100] / 1000, "ms",
               "receiver_answer_p50", base);
}

int main(void)
{
    memset(g_body, 'x', 1024);
    memcpy(g_body, "{\"p\":\"", 6);
    memcpy(g_body + 1022, "\"}", 3);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    wh_receiver *recv = wh_receiver_start();
    wh_receiver_rule rule = WH_RECEIVER_RULE_INIT;
    rule.reply.status = 204;
    rule.hook = on_arrival;
    if (!recv || !wh_receiver_set(recv, "/lat", &rule)) return 1;
    int64_t *lat = calloc(EVENTS + 1, sizeof(*lat));
    if (!recv || !lat) return 1;
    double base = answer_ms(recv);
    wh_store *mem;
    if (wh_store_memory_new(&mem) != WH_OK) return 1;
    size_t n = run(mem, recv, lat);
    if (n) report("memory", lat, n, base);
    char dir[] = "/tmp/wh-bench-latency-XXXXXX", path[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof(path), "%s/q.db", dir);
    wh_store *sq;
    if (wh_test_sqlite_open(&sq, path, WH_TEST_SQLITE_SYNC_NORMAL) != WH_OK) return 1;
    n = run(sq, recv, lat);
    if (n) report("sqlite_normal", lat, n, base);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_latency: could not remove %s\n", dir);
    free(lat);
    wh_receiver_stop(recv);
    curl_global_cleanup();
    return 0;
}
