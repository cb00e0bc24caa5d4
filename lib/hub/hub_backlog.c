/*
 * A disabled subscription's backlog. When a subscription stops being active (disabled by the
 * hub after its failures, by the host or the API, or by another worker sharing the store), its
 * unfinished deliveries leave the queue at once, in one store call, kept as FAILED with the
 * reason: a dead endpoint's thousands of queued deliveries used to be leased and recorded one
 * by one in the same queue as the healthy endpoints' (10 000 of them held a healthy endpoint
 * back by 9 s with SQLite). wh_hub_recover sends them again once the endpoint is back.
 */
#include <stdio.h>
#include <string.h>

#include "hub_impl.h"
#include "subscription_impl.h"
#include "alloc.h"
#include "error.h"

/* The store has the bulk members (version 3). */
static bool has_bulk(const wh_store *s)
{
    return s->version >= 3 && s->fail_unsent && s->replay_failed;
}

bool whi_hub_fail_unsent(wh_hub *h, const char *sub_id, const char *why)
{
    if (!has_bulk(h->store)) return false; /* start_leased fails them one at a time */
    char reason[400];
    snprintf(reason, sizeof(reason),
             "not sent: the webhook is %s; recover it once the endpoint is back", why);
    size_t n = 0;
    if (h->store->fail_unsent(h->store, sub_id, reason, whi_hub_now(h), &n) != WH_OK) {
        whi_hub_log(h, WH_LOG_ERROR, "webhook %s: cannot fail its queued deliveries: %s", sub_id,
                    wh_error_last()->message);
        return false;
    }
    if (n)
        whi_hub_log(h, WH_LOG_INFO, "webhook %s is %s: %zu queued deliveries failed", sub_id, why,
                    n);
    return true;
}

bool whi_hub_sub_stopped(wh_hub *h, const wh_subscription *sub)
{
    if (sub->status == WH_STATUS_ACTIVE) return false;
    char why[320];
    snprintf(why, sizeof(why), "%s%s%s", wh_status_name(sub->status),
             sub->disabled_reason ? ": " : "", sub->disabled_reason ? sub->disabled_reason : "");
    return whi_hub_fail_unsent(h, sub->id, why);
}

/* Without the bulk member: list the failed deliveries, then replay them one at a time. */
typedef struct recover_list {
    char **ids;
    size_t n, cap;
    int rc;
} recover_list;

static int collect_failed(const wh_delivery *d, void *ud)
{
    recover_list *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = whi_realloc(l->ids, cap * sizeof(*v));
        if (!v) return (l->rc = whi_error_oom()), 1;
        l->ids = v;
        l->cap = cap;
    }
    if (!(l->ids[l->n] = whi_strdup(d->id))) return (l->rc = whi_error_oom()), 1;
    l->n++;
    return 0;
}

static int recover_one_by_one(wh_hub *h, const char *sub_id, wh_time_ms since, size_t *count)
{
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = sub_id;
    q.status = WH_DELIVERY_FAILED;
    q.since = since;
    recover_list l = {NULL, 0, 0, WH_OK};
    size_t total = 0;
    int rc = h->store->delivery_list(h->store, &q, &total, collect_failed, &l);
    if (rc == WH_OK) rc = l.rc;
    for (size_t i = 0; i < l.n; i++) {
        if (rc == WH_OK && (rc = h->store->replay(h->store, l.ids[i], whi_hub_now(h))) == WH_OK)
            (*count)++;
        whi_free(l.ids[i]);
    }
    whi_free(l.ids);
    return rc;
}

int wh_hub_recover(wh_hub *h, const char *subscription_id, wh_time_ms since, size_t *count)
{
    size_t n = 0;
    if (count) *count = 0;
    if (!h || !subscription_id)
        return whi_error(WH_EINVAL, "hub and subscription id must not be NULL");
    pthread_mutex_lock(&h->lock);
    int rc = whi_hub_refresh_if_stale(h);
    hub_sub *hs = rc == WH_OK ? whi_hub_cache_get(h, subscription_id) : NULL;
    if (rc == WH_OK && !hs)
        rc = whi_error(WH_ENOTFOUND, "no webhook with id %.64s", subscription_id);
    else if (rc == WH_OK && hs->sub->status != WH_STATUS_ACTIVE)
        rc = whi_error(WH_ESTATE, "webhook %.64s is not active: enable it before recovering",
                       subscription_id);
    else if (rc == WH_OK && has_bulk(h->store))
        rc = h->store->replay_failed(h->store, subscription_id, since, whi_hub_now(h), &n);
    else if (rc == WH_OK)
        rc = recover_one_by_one(h, subscription_id, since, &n);
    if (n) whi_hub_wake(h);
    pthread_mutex_unlock(&h->lock);
    if (count) *count = n;
    return rc;
}
