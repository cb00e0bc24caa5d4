/* The memory store's outcomes: record an attempt, replay, purge. */
#include <stdbool.h>
#include <string.h>

#include "memory_impl.h"
#include "alloc.h"
#include "error.h"
#include "hashmap.h"

static int reserve_attempt(mem_delivery *d)
{
    if (d->natt < d->catt) return WH_OK;
    size_t cap = d->catt ? d->catt * 2 : 4;
    mem_attempt *v = whi_realloc(d->att, cap * sizeof(*v));
    if (!v) return whi_error_oom();
    d->att = v;
    d->catt = cap;
    return WH_OK;
}

/* Every step of a record that can fail, done before anything changes: on success *copy and
 * *err are ready to keep and the subscription's stats are applied (the last fallible step). */
static int record_prepare(mem_store *m, mem_delivery *d, const wh_attempt *a, const wh_outcome *o,
                          wh_attempt *copy, char **err)
{
    wh_attempt own = *a;
    own.subscription_id = d->d.subscription_id; /* the delivery's, whatever the caller said */
    int rc = reserve_attempt(d);
    if (rc == WH_OK) rc = whi_store_error_text(err, o->error);
    if (rc == WH_OK) rc = wh_attempt_copy(copy, &own);
    wh_subscription *sub =
        whi_hmap_get(&m->subs, d->d.subscription_id, strlen(d->d.subscription_id));
    if (rc == WH_OK && o->stats && sub) rc = whi_mem_apply_stats(m, sub, o->stats);
    return rc;
}

static int record_locked(mem_store *m, mem_delivery *d, const wh_attempt *a, const wh_outcome *o)
{
    wh_attempt copy = {0};
    char *err = NULL;
    int rc = record_prepare(m, d, a, o, &copy, &err);
    if (rc != WH_OK) {
        wh_attempt_clear(&copy);
        whi_free(err);
        return rc;
    }
    d->att[d->natt++] = (mem_attempt){copy, ++m->seq};
    wh_delivery *v = &d->d;
    v->status = o->status;
    if (o->status == WH_DELIVERY_PENDING) v->next_attempt_at = o->next_attempt_at;
    v->attempts = a->number;
    v->last_status = a->http_status ? a->http_status : a->error_code;
    whi_free((void *)v->last_error);
    v->last_error = err;
    v->lease_until = 0;
    v->updated_at = a->started_at + (wh_time_ms)a->duration_ms;
    whi_mheap_update(m, d);
    return WH_OK;
}

/* Check, find and record one attempt atomically. */
static int record_one_locked(mem_store *m, const wh_attempt *a, const wh_outcome *o)
{
    int rc = whi_record_check(a, o);
    if (rc != WH_OK) return rc;
    mem_delivery *d = whi_mem_delivery_find(m, a->delivery_id);
    return d ? record_locked(m, d, a, o)
             : whi_error(WH_ENOTFOUND, "no delivery with id %s", a->delivery_id);
}

int whi_mem_record(wh_store *s, const wh_attempt *attempt, const wh_outcome *outcome)
{
    mem_store *m = mem_of(s);
    whi_mem_lock(m);
    int rc = record_one_locked(m, attempt, outcome);
    whi_mem_fin_trim(m);
    whi_mem_unlock(m);
    return rc;
}

int whi_mem_record_batch(wh_store *s, const wh_attempt *const *attempts,
                         const wh_outcome *const *outcomes, size_t count, size_t *done)
{
    mem_store *m = mem_of(s);
    size_t n = 0;
    int rc = count && (!attempts || !outcomes)
                 ? whi_error(WH_EINVAL, "attempts and outcomes must not be NULL")
                 : WH_OK;
    whi_mem_lock(m);
    for (; rc == WH_OK && n < count; n++)
        if ((rc = record_one_locked(m, attempts[n], outcomes[n])) != WH_OK) break;
    whi_mem_fin_trim(m);
    whi_mem_unlock(m);
    if (done) *done = n;
    return rc;
}

/* Make d due at now. */
static void replay_one(mem_store *m, mem_delivery *d, wh_time_ms now)
{
    d->d.status = WH_DELIVERY_PENDING;
    d->d.next_attempt_at = now;
    d->d.updated_at = now;
    whi_mheap_update(m, d);
}

int whi_mem_replay(wh_store *s, const char *id, wh_time_ms now)
{
    mem_store *m = mem_of(s);
    int rc = whi_store_check_id("delivery id", id);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    mem_delivery *d = whi_mem_delivery_find(m, id);
    if (!d)
        rc = whi_error(WH_ENOTFOUND, "no delivery with id %s", id);
    else if (d->d.status == WH_DELIVERY_IN_FLIGHT)
        rc = whi_error(WH_ESTATE, "delivery %s is in flight; replay it once it is done", id);
    else
        replay_one(m, d, now);
    whi_mem_unlock(m);
    return rc;
}

static bool replayable(const mem_delivery *d, const char *sub_id, wh_time_ms since)
{
    return (d->d.status == WH_DELIVERY_SUCCEEDED || d->d.status == WH_DELIVERY_FAILED) &&
           d->d.created_at >= since && strcmp(d->d.subscription_id, sub_id) == 0;
}

static int replay_since_locked(mem_store *m, const char *sub_id, wh_time_ms since, wh_time_ms now,
                               size_t *count)
{
    if (!whi_hmap_get(&m->subs, sub_id, strlen(sub_id)))
        return whi_error(WH_ENOTFOUND, "no subscription with id %s", sub_id);
    size_t n = 0;
    for (size_t i = 0; i < m->deliveries.cap; i++) {
        mem_delivery *d = m->deliveries.slots[i].value;
        if (d && replayable(d, sub_id, since)) {
            replay_one(m, d, now);
            n++;
        }
    }
    *count = n;
    return WH_OK;
}

int whi_mem_replay_since(wh_store *s, const char *sub_id, wh_time_ms since, wh_time_ms now,
                         size_t *count)
{
    mem_store *m = mem_of(s);
    size_t n = 0;
    int rc = whi_store_check_id("subscription id", sub_id);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    rc = replay_since_locked(m, sub_id, since, now, &n);
    whi_mem_unlock(m);
    if (count) *count = rc == WH_OK ? n : 0;
    return rc;
}

static bool unsent_of(const mem_delivery *d, const char *sub_id)
{
    return (d->d.status == WH_DELIVERY_PENDING || d->d.status == WH_DELIVERY_IN_FLIGHT) &&
           strcmp(d->d.subscription_id, sub_id) == 0;
}

int whi_mem_fail_unsent(wh_store *s, const char *sub_id, const char *reason, wh_time_ms now,
                        size_t *count)
{
    mem_store *m = mem_of(s);
    if (count) *count = 0;
    int rc = whi_store_check_id("subscription id", sub_id);
    if (rc == WH_OK && !reason) rc = whi_error(WH_EINVAL, "reason must not be NULL");
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    /* Every copy first, so that running out of memory changes nothing. */
    size_t n = 0;
    for (size_t i = 0; i < m->deliveries.cap; i++) {
        mem_delivery *d = m->deliveries.slots[i].value;
        n += d && unsent_of(d, sub_id);
    }
    char **texts = n ? whi_calloc(n, sizeof(*texts)) : NULL;
    for (size_t i = 0; texts && i < n; i++)
        if (!(texts[i] = whi_strdup(reason))) rc = whi_error_oom();
    if (n && !texts) rc = whi_error_oom();
    for (size_t i = 0, k = 0; rc == WH_OK && i < m->deliveries.cap; i++) {
        mem_delivery *d = m->deliveries.slots[i].value;
        if (!d || !unsent_of(d, sub_id)) continue;
        whi_free((void *)d->d.last_error);
        d->d.last_error = texts[k];
        texts[k++] = NULL;
        d->d.status = WH_DELIVERY_FAILED;
        d->d.lease_until = 0;
        d->d.updated_at = now;
        whi_mheap_update(m, d); /* out of the heap, onto the finished list */
    }
    if (rc == WH_OK) whi_mem_fin_trim(m);
    whi_mem_unlock(m);
    for (size_t i = 0; texts && i < n; i++)
        whi_free(texts[i]);
    whi_free(texts);
    if (count && rc == WH_OK) *count = n;
    return rc;
}

static bool failed_since(const mem_delivery *d, const char *sub_id, wh_time_ms since)
{
    return d->d.status == WH_DELIVERY_FAILED && d->d.created_at >= since &&
           strcmp(d->d.subscription_id, sub_id) == 0;
}

int whi_mem_replay_failed(wh_store *s, const char *sub_id, wh_time_ms since, wh_time_ms now,
                          size_t *count)
{
    mem_store *m = mem_of(s);
    if (count) *count = 0;
    int rc = whi_store_check_id("subscription id", sub_id);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    size_t n = 0;
    if (!whi_hmap_get(&m->subs, sub_id, strlen(sub_id)))
        rc = whi_error(WH_ENOTFOUND, "no subscription with id %s", sub_id);
    for (size_t i = 0; rc == WH_OK && i < m->deliveries.cap; i++) {
        mem_delivery *d = m->deliveries.slots[i].value;
        if (d && failed_since(d, sub_id, since)) {
            replay_one(m, d, now);
            n++;
        }
    }
    whi_mem_unlock(m);
    if (count && rc == WH_OK) *count = n;
    return rc;
}

static bool finished_before(const mem_delivery *d, const void *arg)
{
    wh_time_ms t = *(const wh_time_ms *)arg;
    return (d->d.status == WH_DELIVERY_SUCCEEDED || d->d.status == WH_DELIVERY_FAILED) &&
           d->d.updated_at < t;
}

static void prune_attempts(mem_delivery *d, wh_time_ms older_than)
{
    size_t kept = 0;
    for (size_t i = 0; i < d->natt; i++) {
        if (d->att[i].a.started_at < older_than)
            wh_attempt_clear(&d->att[i].a);
        else
            d->att[kept++] = d->att[i];
    }
    d->natt = kept;
}

int whi_mem_purge(wh_store *s, wh_time_ms older_than, size_t *removed)
{
    mem_store *m = mem_of(s);
    whi_mem_lock(m);
    size_t n = whi_mem_deliveries_drop(m, finished_before, &older_than);
    for (size_t i = 0; i < m->deliveries.cap; i++)
        if (m->deliveries.slots[i].value) prune_attempts(m->deliveries.slots[i].value, older_than);
    whi_mem_events_forget(m, older_than);
    whi_mem_unlock(m);
    if (removed) *removed = n;
    return WH_OK;
}
