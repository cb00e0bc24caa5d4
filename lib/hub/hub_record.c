/*
 * Recording outcomes. The transport calls whi_hub_on_done from inside perform(); the hub only
 * queues a copy there, and after each perform() records every queued completion in one
 * record_batch call, so a store that syncs to disk pays one transaction per round rather than
 * one per request.
 */
#include <stdbool.h>
#include <string.h>

#include "hub_impl.h"
#include "subscription_impl.h"
#include "alloc.h"
#include "error.h"
#include "rfc3339.h"

void whi_hub_flight_free(hub_flight *f)
{
    if (!f) return;
    whi_free(f->delivery_id);
    whi_free(f->subscription_id);
    whi_free(f);
}

static void unlink_flight(wh_hub *h, hub_flight *f)
{
    hub_flight **p = &h->flights;
    while (*p && *p != f)
        p = &(*p)->next;
    if (*p) *p = f->next;
    h->inflight--;
    hub_sub *hs = whi_hub_cache_get(h, f->subscription_id);
    if (hs && hs->inflight) {
        hs->inflight--;
        whi_fair_on_done(h, hs, f->started_mono, whi_monotonic_ms());
    }
}

static void done_free(hub_done *d)
{
    whi_hub_flight_free(d->flight);
    whi_free(d->error);
    whi_free(d->body);
    whi_free(d->retry_after);
    whi_free(d);
}

/* Copy a borrowed response; when memory runs out, the copy says so instead of losing it. */
static hub_done *copy_done(hub_flight *f, const wh_http_response *resp)
{
    hub_done *d = whi_calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->flight = f;
    d->resp = *resp;
    d->error = resp->error ? whi_strdup(resp->error) : NULL;
    d->body = resp->body_len ? whi_strndup(resp->body, resp->body_len) : NULL;
    d->retry_after = resp->retry_after ? whi_strdup(resp->retry_after) : NULL;
    if ((resp->error && !d->error) || (resp->body_len && !d->body) ||
        (resp->retry_after && !d->retry_after)) {
        d->resp.error_code = WH_ENOMEM;
        d->resp.status = 0;
        d->resp.body_len = 0;
        d->resp.retry_after = NULL;
        d->resp.error = "out of memory while recording the response";
    } else {
        d->resp.error = d->error;
        d->resp.retry_after = d->retry_after;
    }
    d->resp.body = d->body;
    return d;
}

void whi_hub_on_done(const wh_http_response *resp, void *ud)
{
    hub_flight *f = ud;
    wh_hub *h = f->hub;
    pthread_mutex_lock(&h->lock);
    unlink_flight(h, f);
    hub_done *d = copy_done(f, resp);
    if (!d) {
        /* Not even a record fits: the lease expires and the delivery is sent again. */
        whi_hub_log(h, WH_LOG_ERROR, "delivery %s: out of memory; it will be retried",
                    f->delivery_id);
        whi_hub_flight_free(f);
    } else if (h->done_tail) {
        h->done_tail->next = d;
        h->done_tail = d;
    } else {
        h->done_head = h->done_tail = d;
    }
    pthread_mutex_unlock(&h->lock);
}

/* Queue the host's on_disable notice, to be delivered once the lock is released. */
static void queue_notice(wh_hub *h, const char *id, const char *reason)
{
    hub_notice *n = whi_calloc(1, sizeof(*n));
    if (!n || !(n->subscription_id = whi_strdup(id)) || !(n->reason = whi_strdup(reason))) {
        if (n) whi_free(n->subscription_id);
        whi_free(n);
        return;
    }
    n->next = h->notices;
    h->notices = n;
}

static void apply_to_cache(wh_hub *h, hub_sub *hs, const wh_sub_stats *st)
{
    wh_subscription_set_stats(hs->sub, st->last_delivery_at, st->last_status, st->failure_count,
                              st->failing_since);
    if (!st->disable) return;
    wh_subscription_set_status(hs->sub, WH_STATUS_DISABLED);
    wh_subscription_set_disabled_reason(hs->sub, st->disabled_reason);
    wh_matcher_update(h->matcher, hs->sub);
    queue_notice(h, hs->sub->id, st->disabled_reason);
    whi_hub_log(h, WH_LOG_WARN, "webhook %s disabled: %s", hs->sub->id, st->disabled_reason);
}

/* One completion's attempt, outcome and stats; the cache moves on at once so that the next
 * completion of the same subscription counts from these stats. */
typedef struct judged {
    wh_attempt attempt;
    wh_outcome outcome;
    wh_sub_stats stats;
    whi_verdict verdict;
} judged;

static bool judge_one(wh_hub *h, const hub_done *d, wh_time_ms now, judged *j)
{
    const hub_flight *f = d->flight;
    hub_sub *hs = whi_hub_cache_get(h, f->subscription_id);
    if (!hs) /* deleted while in flight: its deliveries are gone too */
        return false;
    const wh_http_response *r = &d->resp;
    whi_hub_judge(h, hs->sub, f->attempt, r, now, &j->verdict, &j->stats);
    /* A response cut short (reset, timeout) counts as no response, whatever status came. */
    int http_status = r->error_code == WH_OK ? r->status : 0;
    j->attempt = (wh_attempt){WH_ATTEMPT_VERSION,
                              f->delivery_id,
                              f->subscription_id,
                              f->attempt,
                              f->started_at,
                              r->duration_ms,
                              http_status,
                              r->error_code,
                              r->error_code != WH_OK ? r->error : NULL,
                              r->body,
                              r->body_len};
    const whi_verdict *v = &j->verdict;
    j->outcome = (wh_outcome){v->status, v->next_attempt_at,
                              v->status == WH_DELIVERY_SUCCEEDED ? NULL : v->reason, &j->stats};
    apply_to_cache(h, hs, &j->stats);
    whi_hub_log(h, v->status == WH_DELIVERY_SUCCEEDED ? WH_LOG_DEBUG : WH_LOG_INFO,
                "delivery %s attempt %u: %s", f->delivery_id, f->attempt,
                v->status == WH_DELIVERY_SUCCEEDED ? "delivered" : v->reason);
    return true;
}

/* The hub reads a store member only when the store's version has it. */
static bool has_record_and_lease(const wh_store *s)
{
    return s->version >= 2 && s->record_and_lease;
}

/* Point the outcomes at their stats and list the items as the store takes them. */
static int item_lists(judged *js, size_t n, const wh_attempt ***as, const wh_outcome ***os)
{
    *as = n ? whi_calloc(n, sizeof(**as)) : NULL;
    *os = n ? whi_calloc(n, sizeof(**os)) : NULL;
    if (n && (!*as || !*os)) return whi_error_oom();
    for (size_t i = 0; i < n; i++) {
        /* stats are referenced by address: point each outcome at its own */
        js[i].outcome.stats = &js[i].stats;
        js[i].stats.disabled_reason = js[i].stats.disable ? js[i].verdict.disable_reason : NULL;
        (*as)[i] = &js[i].attempt;
        (*os)[i] = &js[i].outcome;
    }
    return WH_OK;
}

static int record_items(wh_hub *h, const wh_attempt **as, const wh_outcome **os, size_t n)
{
    if (n == 0) return WH_OK;
    if (h->store->record_batch) return h->store->record_batch(h->store, as, os, n, NULL);
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < n; i++)
        rc = h->store->record(h->store, as[i], os[i]);
    return rc;
}

static bool has_record_and_lease_global(const wh_store *s)
{
    return s->version >= 4 && s->record_and_lease_global;
}

/* The combined call failed: all or nothing, so nothing was kept; apart, each call says what
 * failed. */
static void lease_apart(wh_hub *h, const whi_hub_lease *lease)
{
    whi_hub_log(h, WH_LOG_WARN, "recording and leasing together failed (%s); apart",
                wh_error_last()->message);
    lease->forget(lease->user_data);
}

/* Record the judged items, and take the lease in the same call when the store can (*leased
 * says whether it did; the lease then succeeded). */
static int store_items(wh_hub *h, judged *js, size_t n, const whi_hub_lease *lease, bool *leased)
{
    const wh_attempt **as;
    const wh_outcome **os;
    int rc = item_lists(js, n, &as, &os);
    *leased = false;
    if (rc == WH_OK && lease && has_record_and_lease_global(h->store)) {
        /* A store several workers share: the per-subscription limit holds for all of them. */
        *leased = h->store->record_and_lease_global(h->store, as, os, n, NULL, lease->req,
                                                    h->opts.max_in_flight_per_subscription,
                                                    lease->cb, lease->user_data) == WH_OK;
        if (!*leased) lease_apart(h, lease);
    } else if (rc == WH_OK && lease && has_record_and_lease(h->store)) {
        *leased = h->store->record_and_lease(h->store, as, os, n, NULL, lease->req, lease->cb,
                                             lease->user_data) == WH_OK;
        if (!*leased) lease_apart(h, lease);
    }
    if (rc == WH_OK && !*leased) rc = record_items(h, as, os, n);
    whi_free(as);
    whi_free(os);
    return rc;
}

int whi_hub_flush_done_lease(wh_hub *h, const whi_hub_lease *lease)
{
    hub_done *list = h->done_head;
    h->done_head = h->done_tail = NULL;
    size_t n = 0;
    for (hub_done *d = list; d; d = d->next)
        n++;
    judged *js = n ? whi_calloc(n, sizeof(*js)) : NULL;
    size_t m = 0;
    bool disables = false;
    wh_time_ms now = whi_hub_now(h);
    for (hub_done *d = list; js && d; d = d->next)
        if (judge_one(h, d, now, &js[m])) disables |= js[m++].stats.disable;
    /* Our disables bump the store's change counter: read it before writing, to tell ours from
     * another process's change. Nothing else we record changes it. */
    uint64_t before = disables ? h->store->sub_changes(h->store) : 0;
    bool leased = false;
    int rc = n && !js ? whi_error_oom() : store_items(h, js, m, lease, &leased);
    if (rc != WH_OK) {
        /* Unrecorded attempts are sent again when their leases expire; the cache already moved,
         * so re-read what the store really holds. */
        whi_hub_log(h, WH_LOG_ERROR, "cannot record %zu attempts: %s", m, wh_error_last()->message);
        whi_hub_reload(h);
    } else if (disables) {
        if (before == h->changes) h->changes = h->store->sub_changes(h->store); /* ours */
        /* What the disabled subscriptions still had queued leaves the queue now, in bulk. */
        for (size_t i = 0; i < m; i++) {
            hub_sub *hs =
                js[i].stats.disable ? whi_hub_cache_get(h, js[i].attempt.subscription_id) : NULL;
            if (hs) whi_hub_sub_stopped(h, hs->sub);
        }
    }
    whi_free(js);
    while (list) {
        hub_done *d = list;
        list = d->next;
        done_free(d);
    }
    if (!lease || leased) return WH_OK;
    return h->store->lease(h->store, lease->req, lease->cb, lease->user_data);
}

void whi_hub_flush_done(wh_hub *h)
{
    whi_hub_flush_done_lease(h, NULL);
}
