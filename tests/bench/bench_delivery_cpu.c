/*
 * `delivery_cpu` benchmark (issue 22): the hub's CPU time per delivery against a bare libcurl
 * multi loop's CPU time per request for the same request: the same URL (the plain nginx sink),
 * the same headers (Content-Type, User-Agent, the Standard Webhooks signature headers computed
 * once beforehand, x-Idempotency-Key, x-timestamp) and 1 KiB body, the same number of requests
 * in flight (16). CPU is getrusage around each run (user + system of this process; nginx runs
 * apart). What the hub adds per delivery is match, render, store, sign and bookkeeping.
 * Median of five pairs by their ratio. Target: at most 1.35.
 * Needs WH_BENCH_SINK_URL (set by tests/bench/run.sh).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webhooks.h>

#include "bench_util.h"

#define EVENTS    20000
#define IN_FLIGHT 16
#define PAIRS     5
#define SECRET    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

static char g_body[1025];

/* CPU microseconds per delivery through a hub (memory store keeping every record), 0 on
 * failure. */
static double hub_cpu(const char *url)
{
    wh_memory_options *mo;
    wh_store *st;
    wh_hub_options *o;
    wh_hub *hub;
    if (wh_memory_options_new(&mo) != WH_OK) return 0;
    int rc = wh_memory_options_set_max_finished(mo, 0);
    if (rc == WH_OK) rc = wh_store_memory_new_opts(&st, mo);
    wh_memory_options_free(mo);
    if (rc == WH_OK) rc = wh_hub_options_new(&o);
    if (rc != WH_OK) return 0;
    rc = wh_hub_options_set_store(o, st, 1);
    if (rc == WH_OK) rc = wh_hub_options_allow_cidr(o, "127.0.0.0/8");
    if (rc == WH_OK) rc = wh_hub_options_set_max_in_flight(o, IN_FLIGHT);
    if (rc == WH_OK) rc = wh_hub_options_set_max_in_flight_per_subscription(o, IN_FLIGHT);
    if (rc == WH_OK) rc = wh_hub_new(&hub, o);
    wh_hub_options_free(o);
    if (rc != WH_OK) return 0;
    char json[512];
    snprintf(json, sizeof(json),
             "{\"url\":\"%s\",\"events\":[\"order.created\"],\"secrets\":[\"%s\"]}", url, SECRET);
    wh_subscription *sub;
    wh_event *ev;
    if (wh_subscription_from_json(&sub, json, strlen(json)) != WH_OK) return 0;
    rc = wh_hub_subscription_add(hub, sub);
    wh_subscription_free(sub);
    if (rc == WH_OK) rc = wh_event_new(&ev, "order.created");
    if (rc == WH_OK) rc = wh_event_set_data(ev, g_body, strlen(g_body));
    double c0 = bench_cpu_s(), t0 = bench_now_s();
    for (int i = 0; rc == WH_OK && i < EVENTS; i++) {
        char id[32];
        snprintf(id, sizeof(id), "evt_%d", i);
        rc = wh_event_set_id(ev, id);
        if (rc == WH_OK) rc = wh_hub_emit(hub, ev, NULL);
        if (i % 64 == 0) wh_hub_run(hub, 0);
    }
    wh_time_ms at;
    while (rc == WH_OK && (wh_hub_in_flight(hub) || wh_hub_next_deadline(hub, &at) == WH_OK) &&
           bench_now_s() - t0 < 120)
        wh_hub_run(hub, 50);
    double dc = bench_cpu_s() - c0;
    size_t done = bench_count(st, WH_DELIVERY_SUCCEEDED);
    if (rc == WH_OK) wh_event_free(ev);
    wh_hub_free(hub);
    return done == EVENTS ? dc / EVENTS * 1e6 : 0;
}

/* The headers a hub's delivery carries, signed once. */
static struct curl_slist *hub_like_headers(void)
{
    const char *secrets[] = {SECRET};
    wh_headers *sig;
    if (wh_sign(&sig, WH_SCHEME_STANDARD, secrets, 1, "evt_1", 0, g_body, strlen(g_body)) != WH_OK)
        return NULL;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "User-Agent: libwebhooks/bench");
    h = curl_slist_append(h, "Expect:");
    for (size_t i = 0; i < wh_headers_count(sig); i++) {
        char line[512];
        snprintf(line, sizeof(line), "%s: %s", wh_headers_name(sig, i), wh_headers_value(sig, i));
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "x-Idempotency-Key: evt_1");
    h = curl_slist_append(h, "x-timestamp: 2026-12-05T08:00:00.000Z");
    wh_headers_free(sig);
    return h;
}

/* CPU microseconds per request of a bare libcurl multi loop, IN_FLIGHT at a time, 0 when any
 * failed. */
static double bare_cpu(const char *url)
{
    CURLM *m = curl_multi_init();
    struct curl_slist *h = hub_like_headers();
    CURL *e[IN_FLIGHT];
    int started = 0, done = 0, ok = 0;
    double c0 = bench_cpu_s(), t0 = bench_now_s();
    for (int i = 0; i < IN_FLIGHT; i++, started++) {
        e[i] = curl_easy_init();
        curl_easy_setopt(e[i], CURLOPT_URL, url);
        curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(e[i], CURLOPT_POSTFIELDS, g_body);
        curl_easy_setopt(e[i], CURLOPT_POSTFIELDSIZE, (long)strlen(g_body));
        curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, bench_discard);
        curl_multi_add_handle(m, e[i]);
    }
    while (done < EVENTS && bench_now_s() - t0 < 60) {
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                ok += msg->data.result == CURLE_OK;
                done++;
                curl_multi_remove_handle(m, msg->easy_handle);
                if (started < EVENTS && ++started) curl_multi_add_handle(m, msg->easy_handle);
            }
        if (done < EVENTS) curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    double dc = bench_cpu_s() - c0;
    for (int i = 0; i < IN_FLIGHT; i++) {
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    return ok == EVENTS ? dc / EVENTS * 1e6 : 0;
}

typedef struct pair {
    double hub, bare;
} pair;

static double ratio(const pair *p)
{
    return p->bare > 0 ? p->hub / p->bare : 0;
}

static int by_ratio(const void *a, const void *b)
{
    double x = ratio(a), y = ratio(b);
    return (x > y) - (x < y);
}

int main(void)
{
    const char *url = getenv("WH_BENCH_SINK_URL");
    if (!url) {
        fprintf(stderr, "bench_delivery_cpu: WH_BENCH_SINK_URL not set (run through make bench)\n");
        return 0;
    }
    memset(g_body, 'x', 1024);
    memcpy(g_body, "{\"p\":\"", 6);
    memcpy(g_body + 1022, "\"}", 3);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pair p[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        p[i].hub = hub_cpu(url);
        p[i].bare = bare_cpu(url);
    }
    qsort(p, PAIRS, sizeof(p[0]), by_ratio);
    char c[96];
    snprintf(c, sizeof(c), "events=%d,body=1KiB,in_flight=%d", EVENTS, IN_FLIGHT);
    bench_line("delivery_cpu", c, "cpu_us_per_delivery", p[PAIRS / 2].hub, "us",
               "libcurl_multi_same_request", p[PAIRS / 2].bare);
    curl_global_cleanup();
    return 0;
}
