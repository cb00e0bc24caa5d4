/*
 * Delivery over HTTPS to a real server: nginx on 127.0.0.1 with a certificate made for the run
 * (tests/support/with_nginx.sh), answering 204 without reading the body, once over HTTP/1.1 and
 * once with HTTP/2. That answer is the hard case for HTTP/2: the server resets each stream
 * (NO_ERROR) as soon as it has answered, which libcurl before 8.3 reported as a failed
 * transfer, or missed, leaving the transfer to its timeout.
 *
 * Each case: every delivery succeeds at its first attempt, nginx logged each request exactly
 * once (no delivery sent twice), and the hub needed a bounded number of wh_hub_run rounds of
 * 200 ms. Requests left waiting on a timer (the 30 s total timeout) would need 150 more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh_test.h"
#include "wh_test_files.h"

#define EVENTS   600
#define ROUND_MS 200

/* Lines in the access log of the sink (h1 or h2); 0 when absent. */
static size_t logged(const char *which)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/access-%s.log", getenv("WH_NGINX_DIR"), which);
    size_t len = 0, lines = 0;
    char *text = wh_file_read(path, &len);
    for (size_t i = 0; text && i < len; i++)
        lines += text[i] == '\n';
    free(text);
    return lines;
}

typedef struct tally {
    size_t first_try, total;
} tally;

static int count_delivery(const wh_delivery *d, void *ud)
{
    tally *t = ud;
    t->total++;
    t->first_try += d->status == WH_DELIVERY_SUCCEEDED && d->attempts == 1;
    return 0;
}

static tally succeeded(wh_hub *hub)
{
    tally t = {0, 0};
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    size_t total = 0;
    WH_ASSERT_OK(wh_store_delivery_list(wh_hub_store(hub), &q, &total, count_delivery, &t));
    return t;
}

/* A hub trusting the sink's CA, max_in_flight 64, per_sub requests at once per webhook. */
static wh_hub *tls_hub(size_t per_sub)
{
    wh_hub_options *o;
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_options_set_ca_file(o, getenv("WH_NGINX_CA")));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight(o, 64));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight_per_subscription(o, per_sub));
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_hub_options_free(o);
    return hub;
}

/* EVENTS events to url; the checks of the file comment. */
static void deliver_all(const char *url, const char *log, size_t per_sub)
{
    assert_non_null(url);
    wh_hub *hub = tls_hub(per_sub);
    char json[512];
    snprintf(json, sizeof(json),
             "{\"url\":\"%s\",\"events\":[\"order.*\"],\"retry\":{\"schedule\":[1]}}", url);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
    WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
    wh_subscription_free(sub);
    size_t before = logged(log);

    char data[1024 + 1];
    memset(data, 'x', 1024);
    memcpy(data, "{\"p\":\"", 6);
    memcpy(data + 1022, "\"}", 3);
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "order.created"));
    WH_ASSERT_OK(wh_event_set_data(ev, data, strlen(data)));
    for (int i = 0; i < EVENTS; i++) {
        char id[32];
        snprintf(id, sizeof(id), "evt_%d", i);
        WH_ASSERT_OK(wh_event_set_id(ev, id));
        WH_ASSERT_OK(wh_hub_emit(hub, ev, NULL));
    }
    wh_event_free(ev);

    /* Healthy, the rounds are about EVENTS / per_sub (each round starts what finished). */
    size_t max_rounds = EVENTS / per_sub + 100, rounds = 0;
    while (rounds < max_rounds && succeeded(hub).first_try < EVENTS &&
           (wh_hub_in_flight(hub) || wh_hub_timeout_ms(hub) >= 0)) {
        WH_ASSERT_OK(wh_hub_run(hub, ROUND_MS));
        rounds++;
    }
    tally t = succeeded(hub);
    printf("# %s, %zu per webhook: %zu of %zu at the first attempt in %zu rounds; nginx "
           "logged %zu\n",
           log, per_sub, t.first_try, t.total, rounds, logged(log) - before);
    assert_int_equal(t.total, EVENTS);
    assert_int_equal(t.first_try, EVENTS);
    assert_true(rounds < max_rounds);
    assert_int_equal(logged(log) - before, EVENTS); /* each request once */
    wh_hub_free(hub);
}

static void test_http1_over_tls(void **state)
{
    (void)state;
    deliver_all(getenv("WH_NGINX_H1_URL"), "h1", 8);
}

static void test_http2_default_limits(void **state)
{
    (void)state;
    deliver_all(getenv("WH_NGINX_H2_URL"), "h2", 8);
}

static void test_http2_64_streams(void **state)
{
    (void)state;
    deliver_all(getenv("WH_NGINX_H2_URL"), "h2", 64);
}

/* An endpoint that reads each body before answering, as an application does (the sink's /read/
 * path); nginx logs the request in the same file. */
static void test_http2_endpoint_reads_body(void **state)
{
    (void)state;
    char url[512];
    snprintf(url, sizeof(url), "%sread/", getenv("WH_NGINX_H2_URL"));
    deliver_all(url, "h2", 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http1_over_tls),
        cmocka_unit_test(test_http2_default_limits),
        cmocka_unit_test(test_http2_64_streams),
        cmocka_unit_test(test_http2_endpoint_reads_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
