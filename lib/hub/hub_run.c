/*
 * The delivery loop: lease due deliveries, sign each attempt (a fresh timestamp, the same
 * id), hand them to the transport, and record each outcome when it completes. The transport is
 * driven only from wh_hub_run's thread and without the hub's lock, so emits and API calls from
 * other threads never wait on the network.
 */
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mbedtls/platform_util.h>

#include "hub_impl.h"
#include "sign_impl.h"
#include "subscription_impl.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "rfc3339.h"
#include "text.h"
#include "compiler.h"

#define LEASE_BATCH_MAX    256
#define BLOCKED_RECHECK_MS 50

/* A leased delivery, copied out of the store's callback. */
typedef struct leased {
    wh_delivery d;
    char *strings; /* one allocation holding every string of d */
} leased;

typedef struct lease_ctx {
    leased *v;
    size_t n, cap;
    int rc;
} lease_ctx;

static char *put(char **p, const char *s, size_t len)
{
    if (!s) return NULL;
    char *at = *p;
    memcpy(at, s, len);
    at[len] = '\0';
    *p += len + 1;
    return at;
}

static int copy_delivery(const wh_delivery *d, void *ud)
{
    lease_ctx *c = ud;
    if (c->n == c->cap) {
        c->rc = whi_error(WH_EINVAL, "lease returned more than asked");
        return 1;
    }
    const char *strs[] = {d->id,       d->subscription_id, d->owner_id,
                          d->event_id, d->event_type,      d->idempotency_key,
                          d->url,      d->headers,         d->last_error};
    size_t total = d->body_len + 1;
    for (size_t i = 0; i < WHI_ARRAY_LEN(strs); i++)
        total += strs[i] ? strlen(strs[i]) + 1 : 0;
    leased *l = &c->v[c->n];
    char *p = l->strings = whi_malloc(total);
    if (!p) {
        c->rc = whi_error_oom();
        return 1;
    }
    l->d = *d;
    l->d.id = put(&p, d->id, strlen(d->id));
    l->d.subscription_id = put(&p, d->subscription_id, strlen(d->subscription_id));
    l->d.owner_id = d->owner_id ? put(&p, d->owner_id, strlen(d->owner_id)) : NULL;
    l->d.event_id = put(&p, d->event_id, strlen(d->event_id));
    l->d.event_type = put(&p, d->event_type, strlen(d->event_type));
    l->d.idempotency_key = put(&p, d->idempotency_key, strlen(d->idempotency_key));
    l->d.url = d->url ? put(&p, d->url, strlen(d->url)) : NULL;
    l->d.headers = d->headers ? put(&p, d->headers, strlen(d->headers)) : NULL;
    l->d.last_error = d->last_error ? put(&p, d->last_error, strlen(d->last_error)) : NULL;
    l->d.body = put(&p, d->body ? d->body : "", d->body_len);
    c->n++;
    return 0;
}

/* Record an outcome for a delivery that was never sent (subscription gone or not active). */
static void record_unsent(wh_hub *h, const wh_delivery *d, const char *why, wh_time_ms now)
{
    wh_attempt a = {WH_ATTEMPT_VERSION,
                    d->id,
                    d->subscription_id,
                    d->attempts + 1,
                    now,
                    0,
                    0,
                    WH_ESTATE,
                    why,
                    NULL,
                    0};
    wh_outcome o = {WH_DELIVERY_FAILED, 0, why, NULL};
    if (h->store->record(h->store, &a, &o) != WH_OK)
        whi_hub_log(h, WH_LOG_ERROR, "delivery %s: cannot record: %s", d->id,
                    wh_error_last()->message);
}

/* ---- building the request ---- */

typedef struct request_text {
    whi_buf lines; /* NUL-separated "Name: value" lines */
    const char *ptrs[WH_MAX_HEADERS + 16];
    size_t n;
} request_text;

static void add_line(request_text *rt, const char *name, const char *value)
{
    whi_buf_printf(&rt->lines, "%s: %s", name, value);
    whi_buf_putc(&rt->lines, '\0');
    rt->n++;
}

/* Resolve the line offsets into pointers once the buffer stops moving. */
static void index_lines(request_text *rt)
{
    const char *p = rt->lines.data;
    for (size_t i = 0; i < rt->n; i++) {
        rt->ptrs[i] = p;
        p += strlen(p) + 1;
    }
}

static int build_headers(wh_hub *h, const hub_sub *hs, const wh_delivery *d, wh_time_ms now,
                         request_text *rt)
{
    /* Most subscriptions have no custom headers: skip the parse of "{}". */
    bool none = !d->headers || strcmp(d->headers, "{}") == 0;
    cJSON *custom = none ? NULL : cJSON_ParseWithLength(d->headers, strlen(d->headers));
    if (!none && !cJSON_IsObject(custom)) {
        cJSON_Delete(custom);
        return whi_error(WH_ECORRUPT, "delivery %s: stored headers are not a JSON object", d->id);
    }
    bool has_ct = false;
    const cJSON *item;
    cJSON_ArrayForEach(item, custom) has_ct |= whi_strcasecmp(item->string, "Content-Type") == 0;
    if (!has_ct) add_line(rt, "Content-Type", "application/json");
    add_line(rt, "User-Agent", h->opts.user_agent);
    whi_signed sig;
    int rc = whi_sign_subscription(&sig, hs->sub, d->idempotency_key, now / 1000, d->body,
                                   d->body_len, now);
    for (size_t i = 0; rc == WH_OK && i < sig.count; i++)
        add_line(rt, sig.name[i], sig.value[i]);
    add_line(rt, "x-Idempotency-Key", d->idempotency_key);
    char ts[WHI_RFC3339_MAX];
    whi_rfc3339_format(d->event_time, 0, ts);
    add_line(rt, "x-timestamp", ts);
    cJSON_ArrayForEach(item, custom)
    {
        if (cJSON_IsString(item) && rt->n < WHI_ARRAY_LEN(rt->ptrs))
            add_line(rt, item->string, item->valuestring);
    }
    cJSON_Delete(custom);
    if (rc == WH_OK) rc = whi_buf_status(&rt->lines);
    if (rc == WH_OK) index_lines(rt);
    return rc;
}

/* The body scheme: the stored body with the newest signing secret added as its first member
 * (at send time, so the stored body holds no secret and a rotation applies to retries). */
static int body_with_secret(const hub_sub *hs, const wh_delivery *d, wh_time_ms now, whi_buf *out)
{
    const char *secret = wh_subscription_signing_secret_at(hs->sub, now, 0);
    if (!secret) return whi_error(WH_ESTATE, "subscription %s has no secret to send", hs->sub->id);
    return whi_body_add_secret(d->body, d->body_len, secret, out);
}

static int send_one(wh_hub *h, hub_sub *hs, const wh_delivery *d, wh_time_ms now)
{
    request_text rt = {WHI_BUF_INIT, {0}, 0};
    whi_buf body = WHI_BUF_INIT; /* the body scheme's body */
    bool in_body = hs->sub->scheme == WH_SCHEME_BODY;
    hub_flight *f = whi_calloc(1, sizeof(*f));
    int rc = f ? build_headers(h, hs, d, now, &rt) : whi_error_oom();
    if (rc == WH_OK && in_body) rc = body_with_secret(hs, d, now, &body);
    if (rc == WH_OK) {
        f->hub = h;
        f->attempt = d->attempts + 1;
        f->started_at = now;
        f->started_mono = whi_monotonic_ms();
        f->delivery_id = whi_strdup(d->id);
        f->subscription_id = whi_strdup(d->subscription_id);
        if (!f->delivery_id || !f->subscription_id) rc = whi_error_oom();
    }
    const wh_subscription *s = hs->sub;
    wh_http_request req = {WH_HTTP_REQUEST_VERSION,
                           wh_method_name(d->method),
                           d->url,
                           rt.ptrs,
                           rt.n,
                           in_body ? body.data : d->body,
                           in_body ? body.len : d->body_len,
                           s->connect_timeout_ms ? s->connect_timeout_ms
                                                 : h->opts.connect_timeout_ms,
                           s->total_timeout_ms ? s->total_timeout_ms : h->opts.total_timeout_ms,
                           h->opts.max_response_bytes,
                           WH_ATTEMPT_RESPONSE_MAX};
    if (rc == WH_OK)
        rc = h->transport->start(h->transport, &req, whi_hub_on_done, f, &f->transport_id);
    whi_buf_free(&rt.lines);
    if (body.data) mbedtls_platform_zeroize(body.data, body.len); /* it held the secret */
    whi_buf_free(&body);
    if (rc != WH_OK) {
        whi_hub_flight_free(f);
        return rc;
    }
    f->prev = NULL;
    f->next = h->flights;
    if (h->flights) h->flights->prev = f;
    h->flights = f;
    h->inflight++;
    whi_fair_on_start(h, hs, f->started_mono);
    whi_pace_on_start(h, hs, f->started_mono);
    return WH_OK;
}

/* Subscriptions that may not start another request now (their concurrency, or their share of
 * the slots when slow: hub_fair.c), to leave out of the next lease. */
static size_t busy_subs(wh_hub *h, const char **ids, size_t max)
{
    size_t n = 0;
    for (hub_flight *f = h->flights; f && n < max; f = f->next) {
        hub_sub *hs = whi_hub_cache_get(h, f->subscription_id);
        if (!hs || hs->listed || whi_fair_may_start(h, hs)) continue;
        hs->listed = true;
        ids[n++] = f->subscription_id;
    }
    for (size_t i = 0; i < n; i++) /* the marks are scratch: clear them for the next round */
        whi_hub_cache_get(h, ids[i])->listed = false;
    return n;
}

/* Subscriptions whose queue this round already failed in bulk (hub_backlog.c). */
typedef struct stopped_subs {
    const char *ids[16];
    size_t n;
} stopped_subs;

static bool stopped_before(const stopped_subs *st, const char *id)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->ids[i], id) == 0) return true;
    return false;
}

/* A leased delivery of a subscription that is gone or not active. With a store that can, the
 * subscription's whole queue fails in one call (this delivery included), once per round;
 * otherwise this one is failed alone. */
static void not_active(wh_hub *h, const hub_sub *hs, const wh_delivery *d, wh_time_ms now,
                       stopped_subs *st)
{
    if (!hs) {
        record_unsent(h, d, "not sent: no such webhook", now);
        return;
    }
    if (stopped_before(st, d->subscription_id)) return;
    if (whi_hub_sub_stopped(h, hs->sub)) {
        if (st->n < WHI_ARRAY_LEN(st->ids)) st->ids[st->n++] = hs->sub->id;
        return;
    }
    record_unsent(h, d, "not sent: the webhook is not active", now);
}

static void start_leased(wh_hub *h, const wh_delivery *d, wh_time_ms now, stopped_subs *st)
{
    hub_sub *hs = whi_hub_cache_get(h, d->subscription_id);
    if (!hs || hs->sub->status != WH_STATUS_ACTIVE) {
        not_active(h, hs, d, now, st);
        return;
    }
    if (!d->url) {
        record_unsent(h, d, "not sent: no rendered url", now);
        return;
    }
    if (!whi_fair_may_start(h, hs) || !whi_pace_may_start(h, hs, whi_monotonic_ms(), now)) {
        h->store->release(h->store, d->id);
        return;
    }
    int rc = send_one(h, hs, d, now);
    if (rc == WH_OK) return;
    char why[300];
    snprintf(why, sizeof(why), "not sent: %s", wh_error_last()->message);
    whi_hub_log(h, WH_LOG_ERROR, "delivery %s: %s", d->id, why);
    /* Out of memory may pass; anything else (no secret left to sign with, stored headers that
     * are not JSON) would fail the same way every time, so it fails the delivery now rather
     * than lease it again forever. */
    if (rc == WH_ENOMEM)
        h->store->release(h->store, d->id);
    else
        record_unsent(h, d, why, now);
}

/* The combined record-and-lease call failed: drop what it handed over (none of it is leased). */
static void forget_leased(void *ud)
{
    lease_ctx *c = ud;
    for (size_t i = 0; i < c->n; i++)
        whi_free(c->v[i].strings);
    c->n = 0;
    c->rc = WH_OK;
}

int whi_hub_start_due(wh_hub *h)
{
    size_t free_slots = h->opts.max_in_flight - h->inflight;
    if (h->inflight >= h->opts.max_in_flight || free_slots == 0) {
        whi_hub_flush_done(h);
        return WH_OK;
    }
    if (free_slots > LEASE_BATCH_MAX) free_slots = LEASE_BATCH_MAX;
    wh_time_ms now = whi_hub_now(h);
    whi_fair_round(h);
    /* Left out of the lease: subscriptions at their concurrency, and paced ones that may not
     * send yet (their rate limit, or a pause after an overloaded answer). */
    size_t npaced = whi_pace_count(h);
    const char **skip = whi_calloc(LEASE_BATCH_MAX + npaced + 1, sizeof(*skip));
    lease_ctx c = {whi_calloc(free_slots, sizeof(leased)), 0, free_slots, WH_OK};
    if (!c.v || !skip) {
        whi_free(c.v);
        whi_free(skip);
        whi_hub_flush_done(h);
        return whi_error_oom();
    }
    size_t nskip = busy_subs(h, skip, LEASE_BATCH_MAX);
    nskip += whi_pace_blocked(h, skip + nskip, npaced, whi_monotonic_ms(), now, &h->pace_next_at);
    wh_lease_request req = {now,        now + h->opts.lease_ms,
                            free_slots, h->opts.max_in_flight_per_subscription,
                            skip,       nskip};
    /* What completed is recorded first, in the same transaction as the lease where the store
     * can: one write per round instead of two. */
    whi_hub_lease lease = {&req, copy_delivery, forget_leased, &c};
    int rc = whi_hub_flush_done_lease(h, &lease);
    if (rc == WH_OK) rc = c.rc;
    /* Fewer than asked while some subscriptions are busy: whatever is still due belongs to
     * them, so the loop need not come back before a request completes (see wait_budget). With
     * none busy, fewer only means nothing more was due: what becomes due later (an emit, a
     * retry's time) is work for now, and wh_hub_timeout_ms must say 0. */
    h->due_blocked = rc == WH_OK && c.n < free_slots && req.exclude_count > 0;
    stopped_subs stopped = {{0}, 0};
    for (size_t i = 0; i < c.n; i++) {
        if (rc == WH_OK) start_leased(h, &c.v[i].d, now, &stopped);
        whi_free(c.v[i].strings);
    }
    whi_free(c.v);
    whi_free(skip);
    return rc;
}

void whi_hub_abandon_flights(wh_hub *h)
{
    while (h->flights) {
        hub_flight *f = h->flights;
        h->flights = f->next;
        if (h->flights) h->flights->prev = NULL;
        if (h->store->release(h->store, f->delivery_id) != WH_OK)
            whi_hub_log(h, WH_LOG_WARN, "delivery %s: not released (%s); its lease will expire",
                        f->delivery_id, wh_error_last()->message);
        if (h->transport) h->transport->cancel(h->transport, f->transport_id);
        whi_hub_flight_free(f);
    }
    h->inflight = 0;
}

/* ---- the loop ---- */

static int ms_until(wh_time_ms at, wh_time_ms now)
{
    int64_t d = at - now;
    return d <= 0 ? 0 : d > 3600000 ? 3600000 : (int)d;
}

/* How long the run may wait (with the lock held): -1 for no deadline. */
static int wait_budget(wh_hub *h)
{
    wh_time_ms at;
    int wait = -1;
    if (h->inflight < h->opts.max_in_flight && h->store->next_due(h->store, &at) == WH_OK)
        wait = ms_until(at, whi_hub_now(h));
    /* Due now but held back by per-subscription limits: a completion (socket activity) or an
     * emit (wake-up) ends the wait; BLOCKED_RECHECK_MS bounds it for anything due later. */
    if (wait == 0 && h->due_blocked) wait = BLOCKED_RECHECK_MS;
    /* A paced subscription may send again then: come back for it. */
    if (h->pace_next_at >= 0) {
        int64_t left = h->pace_next_at - whi_monotonic_ms();
        int pw = left <= 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
        if (wait < 0 || pw < wait) wait = pw;
    }
    if (h->notices || h->done_head) wait = 0;
    return wait;
}

int wh_hub_run(wh_hub *h, int timeout_ms)
{
    if (!h) return whi_error(WH_EINVAL, "hub must not be NULL");
    if (pthread_mutex_trylock(&h->run_lock) != 0)
        return whi_error(WH_EBUSY, "wh_hub_run is already running in another thread");
    /* A host polling the wake-up fd itself calls run(0) when it fires: empty it, or its poll
     * would keep firing. */
    if (h->external_waiter) {
        whi_hub_wait_drain(h);
        whi_hub_wait_sync_store(h); /* wh_hub_fd's set follows a store that reconnected */
    }
    h->transport->perform(h->transport, 0, NULL);
    pthread_mutex_lock(&h->lock);
    int rc = whi_hub_refresh_if_stale(h);
    if (rc == WH_OK)
        rc = whi_hub_start_due(h); /* records what completed, then leases */
    else
        whi_hub_flush_done(h);
    int wait = wait_budget(h);
    if (timeout_ms > 0) wait = wait < 0 || wait > timeout_ms ? timeout_ms : wait;
    /* Set under the lock that emits take, so an emit after this point wakes the poll. */
    h->run_waiting = timeout_ms > 0 && wait > 0;
    pthread_mutex_unlock(&h->lock);
    whi_hub_notify_disabled(h);
    if (whi_hub_housekeep(h) && wait > WHI_HOUSEKEEP_PAUSE_MS) wait = WHI_HOUSEKEEP_PAUSE_MS;
    if (timeout_ms > 0) {
        if (wait > 0) whi_hub_wait_for_work(h, wait);
        h->transport->perform(h->transport, 0, NULL);
        pthread_mutex_lock(&h->lock);
        h->run_waiting = false;
        int rc2 = whi_hub_start_due(h);
        rc = rc == WH_OK ? rc2 : rc;
        pthread_mutex_unlock(&h->lock);
        whi_hub_notify_disabled(h);
    }
    pthread_mutex_unlock(&h->run_lock);
    return rc;
}

int wh_hub_next_deadline(wh_hub *h, wh_time_ms *at)
{
    if (!h || !at) return whi_error(WH_EINVAL, "hub and at must not be NULL");
    pthread_mutex_lock(&h->lock);
    int rc = h->inflight < h->opts.max_in_flight ? h->store->next_due(h->store, at) : WH_ENOTFOUND;
    pthread_mutex_unlock(&h->lock);
    if (rc == WH_ENOTFOUND) return whi_error(WH_ENOTFOUND, "nothing is scheduled");
    return rc;
}

int wh_hub_timeout_ms(wh_hub *h)
{
    if (!h) return -1;
    pthread_mutex_lock(&h->lock);
    int wait = wait_budget(h);
    pthread_mutex_unlock(&h->lock);
    int tto = -1;
    size_t n;
    if (h->transport->pollfds)
        h->transport->pollfds(h->transport, NULL, 0, &n, &tto);
    else if (h->inflight)
        tto = 0;
    if (tto >= 0 && (wait < 0 || tto < wait)) wait = tto;
    /* A shared store that lost its descriptor reconnects in run(): come back for it. */
    if (whi_hub_store_notifies(h) && whi_hub_store_fd(h) < 0 &&
        (wait < 0 || wait > WHI_STORE_RETRY_MS))
        wait = WHI_STORE_RETRY_MS;
    return wait;
}

int wh_hub_pollfds(wh_hub *h, wh_pollfd *fds, size_t max, size_t *count)
{
    if (h) {
        pthread_mutex_lock(&h->lock);
        h->external_waiter = true; /* from now on every emit writes the wake-up fd */
        pthread_mutex_unlock(&h->lock);
    }
    if (!h || (max && !fds)) return whi_error(WH_EINVAL, "hub and fds must not be NULL");
    /* The wake-up descriptor first, so even a one-entry array gets it, then a shared store's
     * (another process's changes), then the transport's. */
    size_t k = 0;
    if (k < max) fds[k] = (wh_pollfd){h->wake_fd, POLLIN};
    k++;
    int sfd = whi_hub_store_fd(h);
    if (sfd >= 0 && k < max) fds[k] = (wh_pollfd){sfd, POLLIN};
    k += sfd >= 0;
    size_t n = 0;
    int tto;
    if (h->transport->pollfds)
        h->transport->pollfds(h->transport, max > k ? fds + k : NULL, max > k ? max - k : 0, &n,
                              &tto);
    if (count) *count = n + k;
    return WH_OK;
}

/* wh_hub_pollfds as two int arrays, for bindings that cannot mirror wh_pollfd. */
int wh_hub_pollfds_flat(wh_hub *hub, int *fds, int *events, size_t max, size_t *count)
{
    if (!hub || (max && (!fds || !events)))
        return whi_error(WH_EINVAL, "hub, fds and events must not be NULL");
    /* Ask for the count first so the scratch array is only as large as needed. */
    size_t need = 0;
    int rc = wh_hub_pollfds(hub, NULL, 0, &need);
    if (rc != WH_OK) return rc;
    size_t n = need < max ? need : max;
    wh_pollfd *tmp = n ? whi_calloc(n, sizeof(*tmp)) : NULL;
    if (n && !tmp) return whi_error_oom();
    if (n && (rc = wh_hub_pollfds(hub, tmp, n, &need)) != WH_OK) {
        whi_free(tmp);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        fds[i] = tmp[i].fd;
        events[i] = tmp[i].events;
    }
    whi_free(tmp);
    if (count) *count = need;
    return WH_OK;
}
