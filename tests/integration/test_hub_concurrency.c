/*
 * Thousands in flight (issue 22): 2 000 requests held at once by a loopback server, all
 * completed; the hub's wait watches every socket, not the first 64 (before, a run waiting on
 * its sockets saw only the first 64 the transport listed: answers on the others waited for the
 * end of the wait); and the single descriptor of wh_hub_fd becomes readable when any of them
 * answers.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hold_server.h"
#include "wh_test.h"

#define SUBS 2000

static wh_hub *busy_hub(hold_server *srv)
{
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    WH_ASSERT_OK(wh_hub_options_set_max_in_flight(o, SUBS));
    WH_ASSERT_OK(wh_hub_options_set_slow_after_ms(o, 600000)); /* held is not slow here */
    WH_ASSERT_OK(wh_hub_options_set_total_timeout_ms(o, 120000));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_hub_options_free(o);
    for (int i = 0; i < SUBS; i++) { /* one request each: 2 000 connections */
        char json[160];
        snprintf(json, sizeof(json), "{\"url\":\"http://127.0.0.1:%d/s%d\",\"events\":[\"a.b\"]}",
                 hold_server_port(srv), i);
        wh_subscription *sub;
        WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
        WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
        wh_subscription_free(sub);
    }
    wh_event *ev;
    WH_ASSERT_OK(wh_event_new(&ev, "a.b"));
    size_t queued = 0;
    WH_ASSERT_OK(wh_hub_emit(hub, ev, &queued));
    wh_event_free(ev);
    assert_int_equal(queued, SUBS);
    return hub;
}

static int ignore(const wh_delivery *d, void *ud)
{
    (void)d;
    (void)ud;
    return 0;
}

static size_t succeeded(wh_hub *hub)
{
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.status = WH_DELIVERY_SUCCEEDED;
    size_t total = 0;
    WH_ASSERT_OK(wh_store_delivery_list(wh_hub_store(hub), &q, &total, ignore, NULL));
    return total;
}

#define RELEASE_AFTER_MS 300

typedef struct releaser {
    hold_server *srv;
    size_t n;
} releaser;

static void *release_later(void *arg)
{
    releaser *r = arg;
    struct timespec ts = {0, RELEASE_AFTER_MS * 1000000L};
    nanosleep(&ts, NULL);
    hold_server_release_newest(r->srv, r->n);
    return NULL;
}

/* Run until the server holds all SUBS requests (bounded). */
static void fill(wh_hub *hub, hold_server *srv)
{
    int64_t t0 = wh_test_now_ms();
    for (int k = 0; k < 2000 && hold_server_held(srv) < SUBS && wh_test_now_ms() - t0 < 60000; k++)
        WH_ASSERT_OK(wh_hub_run(hub, 20));
    printf("# %zu held, %zu in flight after %lld ms\n", hold_server_held(srv),
           wh_hub_in_flight(hub), (long long)(wh_test_now_ms() - t0));
    assert_int_equal(hold_server_held(srv), SUBS);
    assert_int_equal(wh_hub_in_flight(hub), SUBS);
}

static void test_two_thousand_in_flight(void **state)
{
    (void)state;
    hold_server *srv = hold_server_start();
    assert_non_null(srv);
    wh_hub *hub = busy_hub(srv);
    fill(hub, srv);
    /* The newest 100 answer while the hub sleeps in one run that may wait 10 s: their sockets
     * are the last the transport added. The run must return on their answers; a wait that
     * watched only some sockets sleeps until libcurl's next timer, seconds later (the margin
     * makes this independent of the machine's speed). */
    for (int k = 0; k < 5; k++)
        WH_ASSERT_OK(wh_hub_run(hub, 50)); /* settle: nothing due, libcurl's timer far off */
    pthread_t t;
    releaser r = {srv, 100};
    assert_int_equal(pthread_create(&t, NULL, release_later, &r), 0);
    int64_t t0 = wh_test_now_ms();
    size_t done = 0;
    for (int k = 0; k < 50 && done < 100 && wh_test_now_ms() - t0 < 30000; k++) {
        WH_ASSERT_OK(wh_hub_run(hub, 10000));
        done = succeeded(hub);
        fprintf(stderr, "t %lld answered %zu done %zu inflight %zu\n",
                (long long)(wh_test_now_ms() - t0), hold_server_answered(srv), done,
                wh_hub_in_flight(hub));
    }
    int64_t took = wh_test_now_ms() - t0;
    pthread_join(t, NULL);
    printf("# the newest 100, answered after %d ms, recorded after %lld ms\n", RELEASE_AFTER_MS,
           (long long)took);
    assert_int_equal(done, 100);
    assert_true(took < 5000);
    hold_server_release_newest(srv, (size_t)-1);
    t0 = wh_test_now_ms();
    for (int k = 0; k < 2000 && succeeded(hub) < SUBS && wh_test_now_ms() - t0 < 60000; k++)
        WH_ASSERT_OK(wh_hub_run(hub, 100));
    assert_int_equal(succeeded(hub), SUBS);
    assert_int_equal(wh_hub_in_flight(hub), 0);
    wh_hub_free(hub);
    hold_server_stop(srv);
}

/* A host's loop on the one descriptor: readable when one of the 2 000 answers. */
static void test_single_descriptor(void **state)
{
    (void)state;
    hold_server *srv = hold_server_start();
    assert_non_null(srv);
    wh_hub *hub = busy_hub(srv);
    fill(hub, srv);
    int fd = -1;
    WH_ASSERT_OK(wh_hub_fd(hub, &fd));
    assert_true(fd >= 0);
    WH_ASSERT_OK(wh_hub_run(hub, 0)); /* drain what is pending before watching */
    hold_server_release_newest(srv, 1);
    struct pollfd p = {fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 10000), 1); /* the answer, not the 10 s timeout */
    size_t done = 0;
    for (int k = 0; k < 100 && done < 1; k++) {
        WH_ASSERT_OK(wh_hub_run(hub, 0));
        done = succeeded(hub);
        if (!done) poll(&p, 1, 100);
    }
    assert_int_equal(done, 1);
    wh_hub_free(hub);
    hold_server_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_thousand_in_flight),
        cmocka_unit_test(test_single_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
