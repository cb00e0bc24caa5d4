/* wh_hub: lifecycle, options, clock, logging, wake-ups and the small accessors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hub_impl.h"
#include "webhooks/store.h"
#include "webhooks/transport.h"
#include "alloc.h"
#include "error.h"
#include "rfc3339.h"
#include "text.h"

wh_time_ms whi_hub_now(const wh_hub *h)
{
    return h->opts.clock ? h->opts.clock(h->opts.clock_user_data) : whi_now_ms();
}

void whi_hub_log(const wh_hub *h, int level, const char *fmt, ...)
{
    if (!h->opts.log || level > h->opts.log_level) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    h->opts.log(level, line, h->opts.log_user_data);
}

void whi_hub_wake(wh_hub *h)
{
    /* Only a run asleep in poll, or a host polling the wake-up fd itself, needs the write: the
     * common single-threaded loop emits between runs and saves a syscall per event. */
    uint64_t one = 1;
    if ((h->run_waiting || h->external_waiter) && h->wake_fd >= 0 &&
        write(h->wake_fd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, so the sleeper is woken anyway */
    }
}

void whi_hub_notify_disabled(wh_hub *h)
{
    pthread_mutex_lock(&h->lock);
    hub_notice *list = h->notices;
    h->notices = NULL;
    pthread_mutex_unlock(&h->lock);
    while (list) {
        hub_notice *n = list;
        list = n->next;
        if (h->opts.on_disable)
            h->opts.on_disable(n->subscription_id, n->reason, h->opts.on_disable_user_data);
        whi_free(n->subscription_id);
        whi_free(n->reason);
        whi_free(n);
    }
}

static int connect_check(const struct sockaddr *addr, size_t len, void *ud)
{
    return wh_urlguard_check_sockaddr(ud, addr, len);
}

/* The libcurl transport the hub makes when given none. */
static int make_transport(wh_hub *h)
{
    wh_curl_options *co;
    int rc = wh_curl_options_new(&co);
    if (rc == WH_OK) rc = wh_curl_options_set_connect_timeout_ms(co, h->opts.connect_timeout_ms);
    if (rc == WH_OK) rc = wh_curl_options_set_total_timeout_ms(co, h->opts.total_timeout_ms);
    /* libcurl's cache holds the connections in use too: below max_in_flight, a busy hub would
     * close connections as requests complete and open new ones for the next. */
    size_t idle = h->opts.max_idle_connections;
    if (idle && idle < h->opts.max_in_flight) idle = h->opts.max_in_flight;
    if (rc == WH_OK) rc = wh_curl_options_set_max_idle_connections(co, idle);
    if (rc == WH_OK && h->opts.ca_file) rc = wh_curl_options_set_ca_file(co, h->opts.ca_file);
    if (rc == WH_OK) rc = wh_transport_curl_new(&h->transport, co);
    wh_curl_options_free(co);
    return rc;
}

static int setup_ports(wh_hub *h)
{
    int rc = WH_OK;
    h->store = h->opts.store;
    h->own_store = h->opts.own_store || !h->store;
    if (!h->store && (rc = wh_store_memory_new(&h->store)) != WH_OK) return rc;
    h->transport = h->opts.transport;
    h->own_transport = h->opts.own_transport || !h->transport;
    if (!h->transport && (rc = make_transport(h)) != WH_OK) return rc;
    if (h->transport->set_connect_check)
        rc = h->transport->set_connect_check(h->transport, connect_check, h->opts.guard);
    h->opts.store = NULL;
    h->opts.transport = NULL;
    return rc;
}

static int setup(wh_hub *h, const wh_hub_options *opts)
{
    int rc = opts ? whi_hub_options_copy(&h->opts, opts) : whi_hub_options_init(&h->opts);
    if (rc != WH_OK) return rc;
    if (!h->opts.lease_ms) h->opts.lease_ms = h->opts.total_timeout_ms + 30000;
    if (!h->opts.user_agent) {
        char ua[64];
        snprintf(ua, sizeof(ua), "libwebhooks/%s", WH_VERSION_STRING);
        if ((rc = whi_str_replace(&h->opts.user_agent, ua)) != WH_OK) return rc;
    }
    if ((h->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return whi_error(WH_EIO, "hub: cannot create an eventfd");
    if ((rc = setup_ports(h)) != WH_OK || (rc = whi_hub_wait_setup(h)) != WH_OK) return rc;
    if ((rc = wh_matcher_new(&h->matcher)) != WH_OK ||
        (rc = wh_match_result_new(&h->result)) != WH_OK)
        return rc;
    if (!h->opts.shared_queue && (rc = h->store->recover(h->store, NULL)) != WH_OK) return rc;
    return whi_hub_reload(h);
}

int wh_hub_new(wh_hub **out, const wh_hub_options *opts)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    wh_hub *h = whi_calloc(1, sizeof(*h));
    if (!h) return whi_error_oom();
    h->wake_fd = -1;
    h->ep_fd = -1;
    h->pace_next_at = -1;
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->run_lock, NULL);
    int rc = setup(h, opts);
    if (rc != WH_OK) {
        /* On failure the caller still owns what it passed in, whatever own_* said: only what
         * the hub made itself is freed. */
        if (opts && opts->store && h->store == opts->store) h->store = NULL;
        if (opts && opts->transport && h->transport == opts->transport) h->transport = NULL;
        wh_hub_free(h);
        return rc;
    }
    *out = h;
    return WH_OK;
}

void wh_hub_free(wh_hub *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->lock);
    if (h->store)
        whi_hub_flush_done(h); /* record what completed, give back what is still in flight */
    whi_hub_abandon_flights(h);
    pthread_mutex_unlock(&h->lock);
    if (h->transport && h->own_transport) wh_transport_free(h->transport);
    whi_hub_cache_clear(h);
    wh_matcher_free(h->matcher);
    wh_match_result_free(h->result);
    if (h->store && h->own_store) wh_store_free(h->store);
    while (h->notices) {
        hub_notice *n = h->notices;
        h->notices = n->next;
        whi_free(n->subscription_id);
        whi_free(n->reason);
        whi_free(n);
    }
    if (h->wake_fd >= 0) close(h->wake_fd);
    whi_hub_wait_free(h);
    whi_pace_free(h);
    whi_hub_options_clear(&h->opts);
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->run_lock);
    whi_free(h);
}

size_t wh_hub_in_flight(wh_hub *h)
{
    if (!h) return 0;
    pthread_mutex_lock(&h->lock);
    size_t n = h->inflight;
    pthread_mutex_unlock(&h->lock);
    return n;
}

wh_store *wh_hub_store(wh_hub *h)
{
    return h ? h->store : NULL;
}

wh_time_ms wh_hub_now(wh_hub *h)
{
    return h ? whi_hub_now(h) : 0;
}

int wh_hub_replay(wh_hub *h, const char *delivery_id)
{
    if (!h || !delivery_id) return whi_error(WH_EINVAL, "hub and delivery id must not be NULL");
    pthread_mutex_lock(&h->lock);
    int rc = h->store->replay(h->store, delivery_id, whi_hub_now(h));
    if (rc == WH_OK) whi_hub_wake(h);
    pthread_mutex_unlock(&h->lock);
    return rc;
}

int wh_hub_replay_since(wh_hub *h, const char *subscription_id, wh_time_ms since, size_t *count)
{
    if (!h || !subscription_id)
        return whi_error(WH_EINVAL, "hub and subscription id must not be NULL");
    pthread_mutex_lock(&h->lock);
    int rc = h->store->replay_since(h->store, subscription_id, since, whi_hub_now(h), count);
    if (rc == WH_OK) whi_hub_wake(h);
    pthread_mutex_unlock(&h->lock);
    return rc;
}
