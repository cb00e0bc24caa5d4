/*
 * `delivery_tls` benchmark: 10 000 events with a 1 KiB body to one subscription over HTTPS, with
 * the hub's default limits (64 in flight, 8 per subscription), to an nginx on 127.0.0.1 with a
 * certificate made for the run (tests/support/nginx_sink.sh start-tls) answering 204 without
 * reading the body. The HTTP/2 rate is reported against the HTTP/1.1 rate of the same pair of
 * runs; the line holds the median of five pairs (see bench_delivery.c: pairs run back to back
 * see nearly the same machine, so their ratio is steadier than either rate). Target: >= 0.9.
 * Needs WH_BENCH_TLS_H1_URL, WH_BENCH_TLS_H2_URL and WH_BENCH_TLS_CA (set by run.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webhooks.h>

#include "bench_util.h"

#define EVENTS 10000
#define PAIRS  5

static int count_first_try(const wh_delivery *d, void *ud)
{
    *(size_t *)ud += d->status == WH_DELIVERY_SUCCEEDED && d->attempts == 1;
    return 0;
}

/* Deliveries per second to url, 0 on failure or when any delivery needed a second attempt. */
static double rate(const char *url, const char *ca)
{
    wh_hub_options *o;
    wh_hub *hub;
    if (wh_hub_options_new(&o) != WH_OK) return 0;
    int rc = wh_hub_options_allow_cidr(o, "127.0.0.0/8");
    if (rc == WH_OK) rc = wh_hub_options_set_ca_file(o, ca);
    if (rc == WH_OK) rc = wh_hub_new(&hub, o);
    wh_hub_options_free(o);
    if (rc != WH_OK) return 0;
    char json[512], body[1025];
    snprintf(json, sizeof(json), "{\"url\":\"%s\",\"events\":[\"order.created\"]}", url);
    memset(body, 'x', 1024);
    memcpy(body, "{\"p\":\"", 6);
    memcpy(body + 1022, "\"}", 3);
    wh_subscription *sub;
    wh_event *ev;
    if (wh_subscription_from_json(&sub, json, strlen(json)) != WH_OK) return 0;
    rc = wh_hub_subscription_add(hub, sub);
    wh_subscription_free(sub);
    if (rc == WH_OK) rc = wh_event_new(&ev, "order.created");
    if (rc == WH_OK) rc = wh_event_set_data(ev, body, strlen(body));
    double t0 = bench_now_s();
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
    double dt = bench_now_s() - t0;
    size_t first = 0, total = 0;
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    wh_store_delivery_list(wh_hub_store(hub), &q, &total, count_first_try, &first);
    if (rc == WH_OK) wh_event_free(ev);
    wh_hub_free(hub);
    if (first != EVENTS)
        fprintf(stderr, "bench: %s: %zu of %d at the first attempt\n", url, first, EVENTS);
    return first == EVENTS ? EVENTS / dt : 0;
}

typedef struct pair {
    double h1, h2;
} pair;

static double ratio(const pair *p)
{
    return p->h1 > 0 ? p->h2 / p->h1 : 0;
}

static int by_ratio(const void *a, const void *b)
{
    double x = ratio(a), y = ratio(b);
    return (x > y) - (x < y);
}

int main(void)
{
    const char *h1 = getenv("WH_BENCH_TLS_H1_URL"), *h2 = getenv("WH_BENCH_TLS_H2_URL");
    const char *ca = getenv("WH_BENCH_TLS_CA");
    if (!h1 || !h2 || !ca) {
        fprintf(stderr, "bench_delivery_tls: WH_BENCH_TLS_* not set (run through make bench)\n");
        return 0;
    }
    pair p[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        p[i].h1 = rate(h1, ca);
        p[i].h2 = rate(h2, ca);
    }
    qsort(p, PAIRS, sizeof(p[0]), by_ratio);
    const pair *m = &p[PAIRS / 2];
    char c[128];
    snprintf(c, sizeof(c), "events=%d,body=1KiB,tls,http2,limits=64/8", EVENTS);
    bench_line("delivery_tls", c, "deliveries_per_s", m->h2, "1/s", "tls_http1.1", m->h1);
    return 0;
}
