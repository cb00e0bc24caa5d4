/*
 * `delivery_tls` benchmark: 10 000 events with a 1 KiB body to one subscription over HTTPS, with
 * the hub's default limits (64 in flight, 8 per subscription), to an nginx on 127.0.0.1 with a
 * certificate made for the run (tests/support/nginx_sink.sh start-tls). The HTTP/2 rate is
 * reported against the HTTP/1.1 rate of the same pair of runs; each line holds the median of
 * five pairs (see bench_delivery.c: pairs run back to back see nearly the same machine, so their
 * ratio is steadier than either rate). Target: >= 0.9.
 *
 * Three lines:
 * - `delivery_tls`: nginx answers 204 at once without reading the body (HTTP/2: then resets the
 *   stream), the case that made libcurl 7.88 fail deliveries (docs/delivery.md).
 * - `delivery_tls`, case `...,reads_body`: nginx reads the whole body first, as an application
 *   does (the sink's /read/ path).
 * - `delivery_tls_libcurl`: what libcurl itself reaches on that same path without the hub: a
 *   bare multi loop keeping 8 requests in flight (HTTP/2: multiplexed on one connection, as the
 *   hub does), easy handles reused, the same body. Its ratio is the ceiling the hub's ratio is
 *   measured against: on two CPU-bound cores, HTTP/2 costs libcurl and nghttp2 more CPU per
 *   request than HTTP/1.1. Each of its lines also gives CPU microseconds per request (hub and
 *   bare loop) in the case name's `cpu_us` fields.
 * Needs WH_BENCH_TLS_H1_URL, WH_BENCH_TLS_H2_URL and WH_BENCH_TLS_CA (set by run.sh).
 */
#define CURL_DISABLE_DEPRECATION 1
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webhooks.h>

#include "bench_util.h"

#define EVENTS    10000
#define PAIRS     5
#define IN_FLIGHT 8 /* the hub's default per subscription */

static char g_body[1025];

static void make_body(void)
{
    memset(g_body, 'x', 1024);
    memcpy(g_body, "{\"p\":\"", 6);
    memcpy(g_body + 1022, "\"}", 3);
}

/* A rate, and the CPU microseconds per request it took. */
typedef struct run {
    double rate, cpu_us;
} run;

static int count_first_try(const wh_delivery *d, void *ud)
{
    *(size_t *)ud += d->status == WH_DELIVERY_SUCCEEDED && d->attempts == 1;
    return 0;
}

/* Deliveries per second to url through a hub, rate 0 on failure or when any delivery needed a
 * second attempt. */
static run hub_run(const char *url, const char *ca)
{
    run r = {0, 0};
    wh_hub_options *o;
    wh_hub *hub;
    if (wh_hub_options_new(&o) != WH_OK) return r;
    int rc = wh_hub_options_allow_cidr(o, "127.0.0.0/8");
    if (rc == WH_OK) rc = wh_hub_options_set_ca_file(o, ca);
    if (rc == WH_OK) rc = wh_hub_new(&hub, o);
    wh_hub_options_free(o);
    if (rc != WH_OK) return r;
    char json[512];
    snprintf(json, sizeof(json), "{\"url\":\"%s\",\"events\":[\"order.created\"]}", url);
    wh_subscription *sub;
    wh_event *ev;
    if (wh_subscription_from_json(&sub, json, strlen(json)) != WH_OK) return r;
    rc = wh_hub_subscription_add(hub, sub);
    wh_subscription_free(sub);
    if (rc == WH_OK) rc = wh_event_new(&ev, "order.created");
    if (rc == WH_OK) rc = wh_event_set_data(ev, g_body, strlen(g_body));
    double t0 = bench_now_s(), c0 = bench_cpu_s();
    for (int i = 0; rc == WH_OK && i < EVENTS; i++) {
        char id[32];
        snprintf(id, sizeof(id), "evt_%d", i);
        rc = wh_event_set_id(ev, id);
        if (rc == WH_OK) rc = wh_hub_emit(hub, ev, NULL);
        if (i % 64 == 0) wh_hub_run(hub, 0); /* deliver while emitting, as a live host would */
    }
    wh_time_ms at;
    while (rc == WH_OK && (wh_hub_in_flight(hub) || wh_hub_next_deadline(hub, &at) == WH_OK) &&
           bench_now_s() - t0 < 120)
        wh_hub_run(hub, 50);
    double dt = bench_now_s() - t0, dc = bench_cpu_s() - c0;
    size_t first = 0, total = 0;
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    wh_store_delivery_list(wh_hub_store(hub), &q, &total, count_first_try, &first);
    if (rc == WH_OK) wh_event_free(ev);
    wh_hub_free(hub);
    if (first != EVENTS)
        fprintf(stderr, "bench: %s: %zu of %d at the first attempt\n", url, first, EVENTS);
    if (first == EVENTS) r = (run){EVENTS / dt, dc / EVENTS * 1e6};
    return r;
}

static CURL *bare_handle(const char *url, const char *ca, struct curl_slist *h)
{
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, g_body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 1024L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, bench_discard);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    return e;
}

/* The same requests from a bare libcurl multi loop, IN_FLIGHT at a time; rate 0 when any
 * failed. */
static run bare_run(const char *url, const char *ca)
{
    run r = {0, 0};
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    CURL *e[IN_FLIGHT];
    int started = 0, done = 0, ok = 0;
    double t0 = bench_now_s(), c0 = bench_cpu_s();
    for (int i = 0; i < IN_FLIGHT; i++, started++)
        if ((e[i] = bare_handle(url, ca, h))) curl_multi_add_handle(m, e[i]);
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
    double dt = bench_now_s() - t0, dc = bench_cpu_s() - c0;
    for (int i = 0; i < IN_FLIGHT; i++) {
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    if (ok != EVENTS) fprintf(stderr, "bench: %s: bare libcurl: %d of %d ok\n", url, ok, EVENTS);
    if (ok == EVENTS) r = (run){EVENTS / dt, dc / EVENTS * 1e6};
    return r;
}

typedef struct pair {
    run h1, h2;
} pair;

static double ratio(const pair *p)
{
    return p->h1.rate > 0 ? p->h2.rate / p->h1.rate : 0;
}

static int by_ratio(const void *a, const void *b)
{
    double x = ratio(a), y = ratio(b);
    return (x > y) - (x < y);
}

typedef run (*runner)(const char *url, const char *ca);

/* The median of PAIRS pairs (HTTP/1.1 then HTTP/2, back to back) by their ratio. */
static pair median_pair(runner fn, const char *h1, const char *h2, const char *ca)
{
    pair p[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        p[i].h1 = fn(h1, ca);
        p[i].h2 = fn(h2, ca);
    }
    qsort(p, PAIRS, sizeof(p[0]), by_ratio);
    return p[PAIRS / 2];
}

static void line(const char *bench, const char *extra, const pair *m)
{
    char c[192];
    snprintf(c, sizeof(c),
             "events=%d,body=1KiB,tls,http2,limits=64/8%s,cpu_us_h2=%.0f,cpu_us_h1=%.0f", EVENTS,
             extra, m->h2.cpu_us, m->h1.cpu_us);
    bench_line(bench, c, "deliveries_per_s", m->h2.rate, "1/s", "tls_http1.1", m->h1.rate);
}

int main(void)
{
    const char *h1 = getenv("WH_BENCH_TLS_H1_URL"), *h2 = getenv("WH_BENCH_TLS_H2_URL");
    const char *ca = getenv("WH_BENCH_TLS_CA");
    if (!h1 || !h2 || !ca) {
        fprintf(stderr, "bench_delivery_tls: WH_BENCH_TLS_* not set (run through make bench)\n");
        return 0;
    }
    make_body();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char r1[512], r2[512]; /* the paths where nginx reads the body */
    snprintf(r1, sizeof(r1), "%sread/", h1);
    snprintf(r2, sizeof(r2), "%sread/", h2);
    pair m = median_pair(hub_run, h1, h2, ca);
    line("delivery_tls", "", &m);
    m = median_pair(hub_run, r1, r2, ca);
    line("delivery_tls", ",reads_body", &m);
    m = median_pair(bare_run, r1, r2, ca);
    line("delivery_tls_libcurl", ",reads_body,no_hub", &m);
    curl_global_cleanup();
    return 0;
}
