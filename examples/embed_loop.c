/*
 * examples/embed_loop.c: the hub folded into a host's own poll() loop.
 *
 * The host already has a loop with work of its own (here a timer ticking every 10 ms). It adds
 * the hub's descriptors (wh_hub_pollfds: the transport's sockets plus a wake-up descriptor),
 * sleeps no longer than the hub's deadline (wh_hub_timeout_ms), and after each wake-up lets the
 * hub do what is ready with wh_hub_run(hub, 0), which never waits. Requests to a slow endpoint
 * are in flight for a long while, and the timer keeps ticking all along. Usage:
 *
 *     example_embed_loop http://127.0.0.1:8080/hooks     (ideally a slow receiver)
 *
 * Exits 0 when every delivery succeeded and the host's timer ticked while they were in flight.
 */
#define _DEFAULT_SOURCE
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <webhooks.h>

#define EVENTS  3
#define MAX_FDS 64

static int fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, wh_error_last()->message);
    return 1;
}

static int ignore(const wh_delivery *d, void *ud)
{
    (void)d, (void)ud;
    return 0;
}

/* How many deliveries have status (the store's listing gives the total). */
static size_t count(wh_hub *hub, wh_delivery_status status)
{
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.status = (int)status;
    q.limit = 1;
    size_t total = 0;
    return wh_store_delivery_list(wh_hub_store(hub), &q, &total, ignore, NULL) == WH_OK ? total : 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/hooks";
    wh_hub_options *opts; /* defaults: a memory store and libcurl */
    wh_hub *hub;
    wh_subscription *sub;
    if (wh_hub_options_new(&opts) != WH_OK ||
        wh_hub_options_allow_cidr(opts, "127.0.0.0/8") != WH_OK || /* the receiver: loopback */
        wh_hub_new(&hub, opts) != WH_OK || wh_subscription_new(&sub) != WH_OK ||
        wh_subscription_set_url(sub, url) != WH_OK ||
        wh_subscription_list_add(sub, WH_LIST_EVENTS, "tick.*") != WH_OK ||
        wh_subscription_set_retry_preset(sub, "none") != WH_OK || /* fail fast in a demo */
        wh_hub_subscription_add(hub, sub) != WH_OK)
        return fail("set up the hub");
    wh_subscription_free(sub);
    wh_hub_options_free(opts);

    /* The host's own task: a timer every 10 ms. */
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec every = {{0, 10 * 1000000}, {0, 10 * 1000000}};
    if (tfd < 0 || timerfd_settime(tfd, 0, &every, NULL) != 0) return perror("timerfd"), 1;

    for (int i = 0; i < EVENTS; i++) { /* queued now, sent by the loop below */
        wh_event *ev;
        if (wh_event_new(&ev, "tick.report") != WH_OK || wh_hub_emit(hub, ev, NULL) != WH_OK)
            return fail("emit");
        wh_event_free(ev);
    }

    uint64_t ticks = 0, ticks_in_flight = 0;
    size_t done = 0, failed = 0;
    int64_t start = now_ms();
    while (done + failed < EVENTS && now_ms() - start < 20000) {
        /* One poll over the host's descriptor and the hub's. */
        struct pollfd fds[1 + MAX_FDS] = {{tfd, POLLIN, 0}};
        wh_pollfd hub_fds[MAX_FDS];
        size_t n = 0;
        wh_hub_pollfds(hub, hub_fds, MAX_FDS, &n);
        n = n < MAX_FDS ? n : MAX_FDS;
        for (size_t i = 0; i < n; i++)
            fds[1 + i] = (struct pollfd){hub_fds[i].fd, hub_fds[i].events, 0};
        poll(fds, 1 + n, wh_hub_timeout_ms(hub)); /* -1: the timer wakes us anyway */

        uint64_t expirations;
        if ((fds[0].revents & POLLIN) && read(tfd, &expirations, 8) == 8) {
            ticks += expirations; /* the host's work: never held up by deliveries */
            if (wh_hub_in_flight(hub)) ticks_in_flight += expirations;
            if (ticks % 10 < expirations)
                printf("host: tick %3llu, %zu request(s) in flight\n", (unsigned long long)ticks,
                       wh_hub_in_flight(hub));
        }
        if (wh_hub_run(hub, 0) != WH_OK) /* whatever is ready; never waits */
            return fail("run");
        done = count(hub, WH_DELIVERY_SUCCEEDED);
        failed = count(hub, WH_DELIVERY_FAILED);
    }
    printf("hub: %zu of %d deliveries succeeded in %lld ms; the host ticked %llu times, %llu of "
           "them while requests were in flight\n",
           done, EVENTS, (long long)(now_ms() - start), (unsigned long long)ticks,
           (unsigned long long)ticks_in_flight);
    close(tfd);
    wh_hub_free(hub);
    return done == EVENTS && ticks_in_flight > 0 ? 0 : 1;
}
