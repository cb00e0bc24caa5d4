/*
 * `fanout_slow` benchmark (issue 22): 1 000 subscriptions, each its own path on an nginx sink
 * that answers every request after 200 ms (tests/support/nginx_sink.sh start-slow), 20 000
 * events each matching one subscription (20 apiece), max_in_flight 1 000. Little's law bounds
 * the rate at in flight / latency = 1 000 / 0.2 s = 5 000 deliveries/s; the line gives the rate
 * against that bound (target: at least 0.9), with the hub's CPU per delivery in the case name.
 * One run (about 4 s at the bound). Needs WH_BENCH_SLOW_URL (set by tests/bench/run.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webhooks.h>

#include "bench_util.h"

#define SUBS       1000
#define EVENTS     20000
#define IN_FLIGHT  1000
#define LATENCY_MS 200

static wh_hub *fanout_hub(const char *url)
{
    wh_memory_options *mo;
    wh_store *st;
    wh_hub_options *o;
    wh_hub *hub;
    if (wh_memory_options_new(&mo) != WH_OK) return NULL;
    int rc = wh_memory_options_set_max_finished(mo, 0);
    if (rc == WH_OK) rc = wh_store_memory_new_opts(&st, mo);
    wh_memory_options_free(mo);
    if (rc == WH_OK) rc = wh_hub_options_new(&o);
    if (rc != WH_OK) return NULL;
    rc = wh_hub_options_set_store(o, st, 1);
    if (rc == WH_OK) rc = wh_hub_options_allow_cidr(o, "127.0.0.0/8");
    if (rc == WH_OK) rc = wh_hub_options_set_max_in_flight(o, IN_FLIGHT);
    if (rc == WH_OK) rc = wh_hub_new(&hub, o);
    wh_hub_options_free(o);
    for (int i = 0; rc == WH_OK && i < SUBS; i++) {
        char json[256];
        snprintf(json, sizeof(json), "{\"url\":\"%ss%d\",\"events\":[\"t%d\"]}", url, i, i);
        wh_subscription *sub;
        rc = wh_subscription_from_json(&sub, json, strlen(json));
        if (rc == WH_OK) rc = wh_hub_subscription_add(hub, sub);
        wh_subscription_free(sub);
    }
    if (rc != WH_OK) fprintf(stderr, "bench_fanout_slow: %s\n", wh_error_last()->message);
    return rc == WH_OK ? hub : NULL;
}

int main(void)
{
    const char *url = getenv("WH_BENCH_SLOW_URL");
    if (!url) {
        fprintf(stderr, "bench_fanout_slow: WH_BENCH_SLOW_URL not set (run through make bench)\n");
        return 0;
    }
    wh_hub *hub = fanout_hub(url);
    if (!hub) return 1;
    int rc = WH_OK;
    for (int i = 0; rc == WH_OK && i < EVENTS; i++) { /* queued first: the rate is the drain's */
        char type[16];
        snprintf(type, sizeof(type), "t%d", i % SUBS);
        wh_event *ev;
        rc = wh_event_new(&ev, type);
        if (rc == WH_OK) rc = wh_hub_emit(hub, ev, NULL);
        wh_event_free(ev);
    }
    double t0 = bench_now_s(), c0 = bench_cpu_s();
    wh_time_ms at;
    while (rc == WH_OK && (wh_hub_in_flight(hub) || wh_hub_next_deadline(hub, &at) == WH_OK) &&
           bench_now_s() - t0 < 120)
        wh_hub_run(hub, 50);
    double dt = bench_now_s() - t0, dc = bench_cpu_s() - c0;
    size_t done = bench_count(wh_hub_store(hub), WH_DELIVERY_SUCCEEDED);
    wh_hub_free(hub);
    if (done != EVENTS) {
        fprintf(stderr, "bench_fanout_slow: %zu of %d delivered\n", done, EVENTS);
        return 1;
    }
    char c[128];
    snprintf(c, sizeof(c), "subs=%d,events=%d,in_flight=%d,latency_ms=%d,cpu_us=%.0f", SUBS, EVENTS,
             IN_FLIGHT, LATENCY_MS, dc / EVENTS * 1e6);
    bench_line("fanout_slow", c, "deliveries_per_s", EVENTS / dt, "1/s", "littles_law",
               IN_FLIGHT * 1000.0 / LATENCY_MS);
    return 0;
}
