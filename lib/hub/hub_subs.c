/*
 * The hub's subscription cache: every stored subscription with its templates compiled, indexed
 * by the matcher. The store stays the source of truth; every change goes to the store first and
 * to the cache after, and the store's change counter tells when another process changed it.
 */
#include <stdio.h>
#include <string.h>

#include "hub_impl.h"
#include "subscription_impl.h"
#include "alloc.h"
#include "error.h"
#include "text.h"
#include "strvec.h"
#include "hashmap.h"

static void hub_sub_free(hub_sub *hs)
{
    if (!hs) return;
    wh_template_free(hs->url);
    wh_template_free(hs->body);
    for (size_t i = 0; hs->headers && i < hs->sub->headers.n; i++)
        wh_template_free(hs->headers[i]);
    whi_free(hs->headers);
    wh_subscription_free(hs->sub);
    whi_free(hs);
}

/* A body template is JSON-escaped unless the subscription declares a non-JSON Content-Type. */
static wh_escape body_mode(const wh_subscription *sub)
{
    const char *ct = whi_kvvec_get(&sub->headers, "Content-Type", true);
    return !ct || strstr(ct, "json") ? WH_ESCAPE_JSON : WH_ESCAPE_RAW;
}

static int compile(hub_sub *hs)
{
    const wh_subscription *s = hs->sub;
    int rc = WH_OK;
    if (s->url && (rc = wh_template_compile(&hs->url, s->url, strlen(s->url), WH_ESCAPE_URL)))
        return whi_error(rc, "url: %s", wh_error_last()->message);
    if (s->body &&
        (rc = wh_template_compile(&hs->body, s->body, strlen(s->body), body_mode(s))) != WH_OK)
        return whi_error(rc, "body: %s", wh_error_last()->message);
    if (s->headers.n && !(hs->headers = whi_calloc(s->headers.n, sizeof(wh_template *))))
        return whi_error_oom();
    for (size_t i = 0; i < s->headers.n; i++) {
        const char *v = s->headers.v[i].value;
        if ((rc = wh_template_compile(&hs->headers[i], v, strlen(v), WH_ESCAPE_HEADER)))
            return whi_error(rc, "headers.%s: %s", s->headers.v[i].name, wh_error_last()->message);
    }
    return WH_OK;
}

int whi_hub_check_sub(wh_hub *h, const wh_subscription *sub)
{
    int rc = wh_subscription_validate(sub);
    if (rc != WH_OK) return rc;
    /* A URL with placeholders in its host is checked after rendering, at delivery time. */
    if (sub->url && !strstr(sub->url, "{{") &&
        wh_urlguard_check_url(h->opts.guard, sub->url) != WH_OK) {
        char why[256];
        whi_strlcpy(why, wh_error_last()->message, sizeof(why));
        whi_error_begin();
        whi_error_detail("url: %s", why);
        return whi_error_finish(WH_EINVAL, "invalid subscription");
    }
    hub_sub probe = {.sub = (wh_subscription *)sub};
    rc = compile(&probe);
    probe.sub = NULL;
    wh_template_free(probe.url);
    wh_template_free(probe.body);
    for (size_t i = 0; probe.headers && i < sub->headers.n; i++)
        wh_template_free(probe.headers[i]);
    whi_free(probe.headers);
    if (rc != WH_OK) {
        char why[400];
        whi_strlcpy(why, wh_error_last()->message, sizeof(why));
        whi_error_begin();
        whi_error_detail("%s", why);
        return whi_error_finish(rc, "invalid subscription");
    }
    return WH_OK;
}

void whi_hub_sub_retain(hub_sub *hs)
{
    hs->refs++;
}

void whi_hub_sub_release(hub_sub *hs)
{
    if (hs && --hs->refs == 0) hub_sub_free(hs);
}

hub_sub *whi_hub_cache_get(const wh_hub *h, const char *id)
{
    return id ? whi_hmap_get(&h->subs, id, strlen(id)) : NULL;
}

int whi_hub_cache_put(wh_hub *h, wh_subscription *sub)
{
    hub_sub *hs = whi_calloc(1, sizeof(*hs));
    if (!hs) {
        wh_subscription_free(sub);
        return whi_error_oom();
    }
    hs->sub = sub;
    hs->refs = 1; /* the cache's */
    whi_fair_init(hs, h);
    compile(hs); /* a template that no longer compiles fails its deliveries with the reason */
    hub_sub *old = whi_hub_cache_get(h, sub->id);
    int rc = old ? wh_matcher_update(h->matcher, sub) : wh_matcher_add(h->matcher, sub);
    if (rc == WH_OK && old) {
        hs->inflight = old->inflight;
        hs->fair = old->fair;
        whi_hmap_remove(&h->subs, old->sub->id, strlen(old->sub->id));
    }
    if (rc == WH_OK && (rc = whi_hmap_put(&h->subs, sub->id, strlen(sub->id), hs)) != WH_OK)
        wh_matcher_remove(h->matcher, sub->id);
    if (rc != WH_OK) {
        if (old) { /* keep the old entry indexed and reachable */
            if (wh_matcher_update(h->matcher, old->sub) != WH_OK)
                wh_matcher_add(h->matcher, old->sub);
            whi_hmap_put(&h->subs, old->sub->id, strlen(old->sub->id), old);
        }
        hub_sub_free(hs);
        return rc;
    }
    whi_hub_sub_release(old);
    return WH_OK;
}

void whi_hub_cache_drop(wh_hub *h, const char *id)
{
    hub_sub *hs = whi_hmap_remove(&h->subs, id, strlen(id));
    if (!hs) return;
    wh_matcher_remove(h->matcher, id);
    whi_hub_sub_release(hs);
}

void whi_hub_cache_clear(wh_hub *h)
{
    for (size_t i = 0; i < h->subs.cap; i++) {
        hub_sub *hs = h->subs.slots[i].value;
        if (hs) {
            wh_matcher_remove(h->matcher, hs->sub->id);
            whi_hub_sub_release(hs);
        }
    }
    whi_hmap_free(&h->subs);
}

typedef struct sub_list {
    wh_subscription **v;
    size_t n, cap;
    int rc;
} sub_list;

static int collect(const wh_subscription *sub, void *ud)
{
    sub_list *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        wh_subscription **grown = whi_realloc(l->v, cap * sizeof(*grown));
        if (!grown) {
            l->rc = whi_error_oom();
            return 1;
        }
        l->v = grown;
        l->cap = cap;
    }
    if ((l->rc = wh_subscription_clone(&l->v[l->n], sub)) != WH_OK) return 1;
    l->n++;
    return 0;
}

int whi_hub_reload(wh_hub *h)
{
    uint64_t changes = h->store->sub_changes(h->store);
    sub_list l = {0};
    int rc = h->store->sub_list(h->store, NULL, 0, 1, NULL, collect, &l);
    if (rc == WH_OK) rc = l.rc;
    if (rc == WH_OK) {
        whi_hub_cache_clear(h);
        for (size_t i = 0; i < l.n; i++) {
            int prc = whi_hub_cache_put(h, l.v[i]);
            l.v[i] = NULL;
            if (prc != WH_OK && rc == WH_OK) rc = prc;
        }
        for (hub_flight *f = h->flights; f; f = f->next) { /* in-flight counts survive */
            hub_sub *hs = whi_hub_cache_get(h, f->subscription_id);
            if (hs) hs->inflight++;
        }
        h->changes = changes;
    }
    for (size_t i = 0; i < l.n; i++)
        wh_subscription_free(l.v[i]);
    whi_free(l.v);
    return rc;
}

int whi_hub_refresh_if_stale(wh_hub *h)
{
    if (h->store->sub_changes(h->store) == h->changes) return WH_OK;
    whi_hub_log(h, WH_LOG_INFO, "subscriptions changed in the store: reloading the index");
    return whi_hub_reload(h);
}

/* After one of our own writes: catch up with the counter, or reload if someone else wrote too. */
static void sync_changes(wh_hub *h, uint64_t before)
{
    if (before == h->changes)
        h->changes = h->store->sub_changes(h->store);
    else
        whi_hub_reload(h);
}

/* ---- the public subscription calls ---- */

static int lock_checked(wh_hub *h, const void *arg)
{
    if (!h || !arg) return whi_error(WH_EINVAL, "hub and arguments must not be NULL");
    pthread_mutex_lock(&h->lock);
    return whi_hub_refresh_if_stale(h);
}

/* Give a subscription the parts of the hub's default retry policy it did not choose itself (seed
 * 003's "Retry": true chooses only the flag, so it gets the hub's schedule). */
static int apply_default_retry(const wh_hub *h, wh_subscription *sub)
{
    int rc = WH_OK;
    if (!sub->retry_enabled_set && h->opts.default_retry_off)
        rc = wh_subscription_set_retry_enabled(sub, 0);
    if (rc == WH_OK && !sub->retry_schedule_set && h->opts.default_retry_count)
        rc = wh_subscription_set_retry_schedule(sub, h->opts.default_retry,
                                                h->opts.default_retry_count);
    return rc;
}

int wh_hub_subscription_add(wh_hub *h, const wh_subscription *sub)
{
    int rc = lock_checked(h, sub);
    if (!h || !sub) return rc;
    wh_subscription *copy = NULL;
    uint64_t before = h->store->sub_changes(h->store);
    if (rc == WH_OK) rc = whi_hub_check_sub(h, sub);
    if (rc == WH_OK) rc = wh_subscription_clone(&copy, sub);
    if (rc == WH_OK) rc = apply_default_retry(h, copy);
    if (rc == WH_OK) rc = h->store->sub_create(h->store, copy);
    if (rc == WH_OK) {
        sync_changes(h, before);
        rc = whi_hub_cache_put(h, copy);
        copy = NULL;
    }
    wh_subscription_free(copy);
    pthread_mutex_unlock(&h->lock);
    return rc;
}

int wh_hub_subscription_get(wh_hub *h, const char *id, wh_subscription **out)
{
    if (out) *out = NULL;
    int rc = lock_checked(h, id);
    if (!h || !id) return rc;
    hub_sub *hs = whi_hub_cache_get(h, id);
    if (rc == WH_OK)
        rc = !out ? whi_error(WH_EINVAL, "out must not be NULL")
             : hs ? wh_subscription_clone(out, hs->sub)
                  : whi_error(WH_ENOTFOUND, "no webhook with id %.64s", id);
    pthread_mutex_unlock(&h->lock);
    return rc;
}

/* Store next (whose id must exist) and cache it; next is consumed. */
static int commit_replace(wh_hub *h, wh_subscription *next)
{
    uint64_t before = h->store->sub_changes(h->store);
    int rc = whi_hub_check_sub(h, next);
    if (rc == WH_OK) rc = h->store->sub_replace(h->store, next);
    if (rc != WH_OK) {
        wh_subscription_free(next);
        return rc;
    }
    sync_changes(h, before);
    const hub_sub *cur = whi_hub_cache_get(h, next->id);
    bool stops = next->status != WH_STATUS_ACTIVE && (!cur || cur->sub->status == WH_STATUS_ACTIVE);
    char id[WH_MAX_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", next->id);
    rc = whi_hub_cache_put(h, next);
    hub_sub *now = whi_hub_cache_get(h, id);
    if (rc == WH_OK && stops && now) whi_hub_sub_stopped(h, now->sub);
    return rc;
}

int wh_hub_subscription_replace(wh_hub *h, const wh_subscription *sub)
{
    int rc = lock_checked(h, sub);
    if (!h || !sub) return rc;
    hub_sub *hs = whi_hub_cache_get(h, sub->id);
    wh_subscription *next = NULL;
    if (rc == WH_OK && !hs) rc = whi_error(WH_ENOTFOUND, "no webhook with id %.64s", sub->id);
    if (rc == WH_OK) rc = wh_subscription_clone(&next, sub);
    if (rc == WH_OK && (rc = apply_default_retry(h, next)) != WH_OK) {
        wh_subscription_free(next);
        next = NULL;
    }
    if (rc == WH_OK) {
        const wh_subscription *cur = hs->sub; /* delivery stats belong to the hub */
        wh_subscription_set_stats(next, cur->last_delivery_at, cur->last_status, cur->failure_count,
                                  cur->failing_since);
        next->created_at = cur->created_at;
        next->created_off = cur->created_off;
        next->updated_at = whi_hub_now(h);
        next->updated_off = 0;
        rc = commit_replace(h, next);
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

/* A copy of cached subscription id to edit (lock held). */
static int clone_cached(wh_hub *h, const char *id, wh_subscription **next)
{
    hub_sub *hs = whi_hub_cache_get(h, id);
    *next = NULL;
    if (!hs) return whi_error(WH_ENOTFOUND, "no webhook with id %.64s", id);
    return wh_subscription_clone(next, hs->sub);
}

/* Store an edited copy stamped with the hub's clock; next is consumed. */
static int commit_edit(wh_hub *h, wh_subscription *next)
{
    next->updated_at = whi_hub_now(h);
    next->updated_off = 0;
    return commit_replace(h, next);
}

int wh_hub_subscription_patch(wh_hub *h, const char *id, const char *json, size_t len,
                              wh_subscription **out)
{
    if (out) *out = NULL;
    int rc = lock_checked(h, id);
    if (!h || !id) return rc;
    wh_subscription *next = NULL;
    if (rc == WH_OK) rc = clone_cached(h, id, &next);
    if (rc == WH_OK) rc = wh_subscription_patch_json(next, json, len);
    if (rc == WH_OK) {
        rc = commit_edit(h, next);
        next = NULL;
    }
    wh_subscription_free(next);
    hub_sub *hs = whi_hub_cache_get(h, id);
    if (rc == WH_OK && out && hs) rc = wh_subscription_clone(out, hs->sub);
    pthread_mutex_unlock(&h->lock);
    return rc;
}

int wh_hub_subscription_delete(wh_hub *h, const char *id)
{
    int rc = lock_checked(h, id);
    if (!h || !id) return rc;
    uint64_t before = h->store->sub_changes(h->store);
    if (rc == WH_OK) rc = h->store->sub_delete(h->store, id);
    if (rc == WH_OK) {
        sync_changes(h, before);
        whi_hub_cache_drop(h, id);
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

int wh_hub_subscription_rotate_secret(wh_hub *h, const char *id, const char *new_secret,
                                      wh_time_ms overlap_ms, char **secret_out)
{
    if (secret_out) *secret_out = NULL;
    int rc = lock_checked(h, id);
    if (!h || !id) return rc;
    wh_subscription *next = NULL;
    if (rc == WH_OK) rc = clone_cached(h, id, &next);
    if (rc == WH_OK)
        rc =
            wh_subscription_rotate_secret(next, new_secret, overlap_ms, whi_hub_now(h), secret_out);
    if (rc == WH_OK) {
        rc = commit_edit(h, next);
        next = NULL;
    }
    wh_subscription_free(next);
    if (rc != WH_OK && secret_out && *secret_out) {
        whi_free(*secret_out);
        *secret_out = NULL;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}
