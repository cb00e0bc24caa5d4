/* The memory store's delivery queue: enqueue, lease, release, recover, next_due. */
#include <stdbool.h>
#include <string.h>

#include "memory_impl.h"
#include "alloc.h"
#include "error.h"
#include "hashmap.h"

mem_delivery *whi_mem_delivery_find(mem_store *m, const char *id)
{
    return whi_hmap_get(&m->deliveries, id, strlen(id));
}

void whi_mem_delivery_free(mem_delivery *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->natt; i++)
        wh_attempt_clear(&d->att[i].a);
    whi_free(d->att);
    wh_delivery_clear(&d->d);
    whi_free(d);
}

size_t whi_mem_deliveries_drop(mem_store *m, bool (*drop)(const mem_delivery *, const void *),
                               const void *arg)
{
    size_t n = 0;
    /* Removing with backward shift only moves not-yet-visited entries to this slot or later,
     * so re-checking slot i after a removal visits every entry without a side list. */
    for (size_t i = 0; i < m->deliveries.cap;) {
        mem_delivery *d = m->deliveries.slots[i].value;
        if (!d || !drop(d, arg)) {
            i++;
            continue;
        }
        whi_mem_delivery_drop(m, d);
        n++;
    }
    return n;
}

void whi_mem_delivery_drop(mem_store *m, mem_delivery *d)
{
    whi_hmap_remove(&m->deliveries, d->d.id, strlen(d->d.id));
    whi_mheap_remove(m, d);
    whi_mem_fin_remove(m, d);
    whi_mem_delivery_free(d);
}

static mem_delivery *new_record(const wh_delivery *src)
{
    mem_delivery *d = whi_calloc(1, sizeof(*d));
    if (!d || wh_delivery_copy(&d->d, src) != WH_OK) {
        whi_free(d);
        return NULL;
    }
    d->d.lease_until = 0;
    return d;
}

/* Check the batch against the store (and itself) and add it; on error nothing stays added. */
int whi_mem_insert_batch(mem_store *m, mem_delivery **recs, size_t count)
{
    int rc = WH_OK;
    size_t added = 0;
    for (; rc == WH_OK && added < count; added++) {
        const wh_delivery *d = &recs[added]->d;
        /* A duplicate id is reported before a missing subscription, as SQLite does. */
        if (whi_mem_delivery_find(m, d->id))
            rc = whi_error(WH_ECONFLICT, "a delivery with id %s already exists", d->id);
        else if (!whi_hmap_get(&m->subs, d->subscription_id, strlen(d->subscription_id)))
            rc = whi_error(WH_ENOTFOUND, "delivery %s: no subscription with id %s", d->id,
                           d->subscription_id);
        else if ((rc = whi_mem_subq_attach(m, recs[added])) == WH_OK)
            rc = whi_hmap_put(&m->deliveries, d->id, strlen(d->id), recs[added]);
        if (rc != WH_OK) break;
    }
    if (rc != WH_OK) {
        while (added-- > 0)
            whi_hmap_remove(&m->deliveries, recs[added]->d.id, strlen(recs[added]->d.id));
        return rc;
    }
    for (size_t i = 0; i < count; i++) {
        recs[i]->seq = ++m->seq;
        whi_mheap_update(m, recs[i]); /* cannot fail: nothing is allocated */
    }
    whi_mem_fin_trim(m); /* a host may enqueue finished records */
    return WH_OK;
}

int whi_mem_records_new(const wh_delivery *const *batch, size_t count, mem_delivery ***out)
{
    *out = NULL;
    if (count && !batch) return whi_error(WH_EINVAL, "batch must not be NULL");
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < count; i++)
        rc = whi_delivery_check(batch[i]);
    if (rc != WH_OK || count == 0) return rc;
    mem_delivery **recs = whi_calloc(count, sizeof(*recs));
    if (!recs) return whi_error_oom();
    for (size_t i = 0; rc == WH_OK && i < count; i++)
        if (!(recs[i] = new_record(batch[i]))) rc = whi_error_oom();
    if (rc != WH_OK) {
        whi_mem_records_free(recs, count);
        return rc;
    }
    *out = recs;
    return WH_OK;
}

void whi_mem_records_free(mem_delivery **recs, size_t count)
{
    for (size_t i = 0; recs && i < count; i++)
        whi_mem_delivery_free(recs[i]);
    whi_free(recs);
}

static int mem_enqueue(wh_store *s, const wh_delivery *const *batch, size_t count)
{
    mem_store *m = mem_of(s);
    mem_delivery **recs;
    int rc = whi_mem_records_new(batch, count, &recs);
    if (rc != WH_OK || count == 0) return rc;
    whi_mem_lock(m);
    rc = whi_mem_insert_batch(m, recs, count);
    whi_mem_unlock(m);
    if (rc != WH_OK)
        whi_mem_records_free(recs, count);
    else
        whi_free(recs);
    return rc;
}

/* Deliveries taken or queues set aside during a lease, put back when it ends. */
typedef struct lease_state {
    mem_delivery **taken;
    size_t ntaken, ctaken;
    mem_subq **aside;
    size_t naside, caside;
} lease_state;

/* Room for one more pointer in *v (n used of *cap). */
static int room_for_one(void ***v, size_t n, size_t *cap)
{
    if (n < *cap) return WH_OK;
    size_t ncap = *cap ? *cap * 2 : 16;
    void **nv = whi_realloc(*v, ncap * sizeof(*nv));
    if (!nv) return whi_error_oom();
    *v = nv;
    *cap = ncap;
    return WH_OK;
}

static int set_aside(mem_store *m, lease_state *ls, mem_subq *q)
{
    int rc = room_for_one((void ***)&ls->aside, ls->naside, &ls->caside);
    if (rc != WH_OK) return rc;
    ls->aside[ls->naside++] = q;
    whi_mheap_set_aside(m, q);
    return WH_OK;
}

/* Take due deliveries in (due_at, seq) order, those the filter allows, until max are taken: a
 * subscription that may take no more is set aside whole, so what it has queued costs nothing. */
static int lease_locked(mem_store *m, const wh_lease_request *req, whi_lease_filter *f,
                        lease_state *ls, wh_store_delivery_cb cb, void *user_data)
{
    mem_subq *q;
    mem_delivery *d;
    while (ls->ntaken < req->max && (q = whi_mheap_first(m)) &&
           (d = whi_mheap_head(q))->due_at <= req->now) {
        bool take;
        m->lease_looks++;
        int rc = room_for_one((void ***)&ls->taken, ls->ntaken, &ls->ctaken);
        if (rc == WH_OK) rc = whi_lease_filter_take(f, q->id, &take);
        if (rc == WH_OK && !take) rc = set_aside(m, ls, q);
        if (rc != WH_OK) return rc;
        if (!take) continue;
        whi_mheap_remove(m, d);
        ls->taken[ls->ntaken++] = d;
        d->d.status = WH_DELIVERY_IN_FLIGHT;
        d->d.lease_until = req->lease_until; /* updated_at is left alone (see store.h) */
        if (cb(&d->d, user_data)) break;
    }
    return WH_OK;
}

static int mem_lease(wh_store *s, const wh_lease_request *req, wh_store_delivery_cb cb,
                     void *user_data)
{
    mem_store *m = mem_of(s);
    int rc = whi_lease_check(req);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    whi_lease_filter f;
    if (rc != WH_OK || (rc = whi_lease_filter_init(&f, req)) != WH_OK) return rc;
    lease_state ls = {NULL, 0, 0, NULL, 0, 0};
    whi_mem_lock(m);
    rc = lease_locked(m, req, &f, &ls, cb, user_data);
    for (size_t i = 0; i < ls.naside; i++)
        whi_mheap_bring_back(m, ls.aside[i]);
    for (size_t i = 0; i < ls.ntaken; i++)
        whi_mheap_update(m, ls.taken[i]); /* queued again, due at its lease's end */
    whi_mem_unlock(m);
    whi_free(ls.taken);
    whi_free(ls.aside);
    whi_lease_filter_free(&f);
    return rc;
}

static int mem_release(wh_store *s, const char *id)
{
    mem_store *m = mem_of(s);
    int rc = whi_store_check_id("delivery id", id);
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    mem_delivery *d = whi_mem_delivery_find(m, id);
    if (!d)
        rc = whi_error(WH_ENOTFOUND, "no delivery with id %s", id);
    else if (d->d.status != WH_DELIVERY_IN_FLIGHT)
        rc = whi_error(WH_ESTATE, "delivery %s is %s, not in_flight", id,
                       wh_delivery_status_name(d->d.status));
    else {
        d->d.status = WH_DELIVERY_PENDING;
        d->d.lease_until = 0;
        whi_mheap_update(m, d); /* already queued: only moves */
    }
    whi_mem_unlock(m);
    return rc;
}

static int mem_recover(wh_store *s, size_t *count)
{
    mem_store *m = mem_of(s);
    size_t n = 0;
    whi_mem_lock(m);
    for (size_t i = 0; i < m->deliveries.cap; i++) {
        mem_delivery *d = m->deliveries.slots[i].value;
        if (d && d->d.status == WH_DELIVERY_IN_FLIGHT) {
            d->d.status = WH_DELIVERY_PENDING;
            d->d.lease_until = 0;
            whi_mheap_update(m, d); /* due again at its next_attempt_at */
            n++;
        }
    }
    whi_mem_unlock(m);
    if (count) *count = n;
    return WH_OK;
}

static int mem_next_due(wh_store *s, wh_time_ms *at)
{
    mem_store *m = mem_of(s);
    if (!at) return whi_error(WH_EINVAL, "at must not be NULL");
    whi_mem_lock(m);
    mem_subq *q = whi_mheap_first(m);
    bool any = q != NULL;
    if (any) *at = whi_mheap_head(q)->due_at;
    whi_mem_unlock(m);
    return any ? WH_OK : whi_error(WH_ENOTFOUND, "no pending or in-flight delivery");
}

void whi_mem_queue_fill(wh_store *vt)
{
    vt->enqueue = mem_enqueue;
    vt->lease = mem_lease;
    vt->release = mem_release;
    vt->recover = mem_recover;
    vt->next_due = mem_next_due;
    vt->record = whi_mem_record;
    vt->record_batch = whi_mem_record_batch;
    vt->replay = whi_mem_replay;
    vt->replay_since = whi_mem_replay_since;
    vt->fail_unsent = whi_mem_fail_unsent;
    vt->replay_failed = whi_mem_replay_failed;
    vt->purge_some = whi_mem_purge_some;
    vt->delivery_get = whi_mem_delivery_get;
    vt->delivery_list = whi_mem_delivery_list;
}
