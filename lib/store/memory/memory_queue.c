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
    d->heap_pos = MEM_NOT_QUEUED;
    return d;
}

/* Check the batch against the store (and itself) and add it; on error nothing stays added. */
static int insert_batch(mem_store *m, mem_delivery **recs, size_t count)
{
    int rc = whi_mheap_reserve(m, count);
    size_t added = 0;
    for (; rc == WH_OK && added < count; added++) {
        const wh_delivery *d = &recs[added]->d;
        /* A duplicate id is reported before a missing subscription, as SQLite does. */
        if (whi_mem_delivery_find(m, d->id))
            rc = whi_error(WH_ECONFLICT, "a delivery with id %s already exists", d->id);
        else if (!whi_hmap_get(&m->subs, d->subscription_id, strlen(d->subscription_id)))
            rc = whi_error(WH_ENOTFOUND, "delivery %s: no subscription with id %s", d->id,
                           d->subscription_id);
        else
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
        whi_mheap_update(m, recs[i]); /* cannot fail: room was reserved */
    }
    return WH_OK;
}

static int mem_enqueue(wh_store *s, const wh_delivery *const *batch, size_t count)
{
    mem_store *m = mem_of(s);
    if (count && !batch) return whi_error(WH_EINVAL, "batch must not be NULL");
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < count; i++)
        rc = whi_delivery_check(batch[i]);
    if (rc != WH_OK || count == 0) return rc;
    mem_delivery **recs = whi_calloc(count, sizeof(*recs));
    if (!recs) return whi_error_oom();
    for (size_t i = 0; rc == WH_OK && i < count; i++)
        if (!(recs[i] = new_record(batch[i]))) rc = whi_error_oom();
    if (rc == WH_OK) {
        whi_mem_lock(m);
        rc = insert_batch(m, recs, count);
        if (rc == WH_OK) whi_mem_fin_trim(m); /* a host may enqueue finished records */
        whi_mem_unlock(m);
    }
    if (rc != WH_OK)
        for (size_t i = 0; i < count; i++)
            whi_mem_delivery_free(recs[i]);
    whi_free(recs);
    return rc;
}

/* Deliveries popped off the heap during a lease, pushed back when it ends. */
typedef struct popped {
    mem_delivery **v;
    size_t n, cap;
} popped;

static int popped_add(popped *p, mem_delivery *d)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        mem_delivery **v = whi_realloc(p->v, cap * sizeof(*v));
        if (!v) return whi_error_oom();
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = d;
    return WH_OK;
}

/* Pop due deliveries in order, leasing those the filter allows, until max are taken. */
static int lease_locked(mem_store *m, const wh_lease_request *req, whi_lease_filter *f, popped *p,
                        wh_store_delivery_cb cb, void *user_data)
{
    size_t taken = 0;
    while (taken < req->max && m->nheap && m->heap[0]->due_at <= req->now) {
        mem_delivery *d = m->heap[0];
        bool take;
        int rc = popped_add(p, d);
        if (rc == WH_OK) rc = whi_lease_filter_take(f, d->d.subscription_id, &take);
        if (rc != WH_OK) return rc;
        whi_mheap_pop(m);
        if (!take) continue;
        d->d.status = WH_DELIVERY_IN_FLIGHT;
        d->d.lease_until = req->lease_until; /* updated_at is left alone (see store.h) */
        taken++;
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
    popped p = {NULL, 0, 0};
    whi_mem_lock(m);
    rc = lease_locked(m, req, &f, &p, cb, user_data);
    for (size_t i = 0; i < p.n; i++)
        whi_mheap_update(m, p.v[i]); /* back in the heap: its slot is still allocated */
    whi_mem_unlock(m);
    whi_free(p.v);
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
    /* Every IN_FLIGHT delivery is in the heap, so the heap is all there is to look at. */
    for (size_t i = 0; i < m->nheap; i++) {
        wh_delivery *d = &m->heap[i]->d;
        if (d->status == WH_DELIVERY_IN_FLIGHT) {
            d->status = WH_DELIVERY_PENDING;
            d->lease_until = 0;
            n++;
        }
    }
    if (n) whi_mheap_rebuild(m);
    whi_mem_unlock(m);
    if (count) *count = n;
    return WH_OK;
}

static int mem_next_due(wh_store *s, wh_time_ms *at)
{
    mem_store *m = mem_of(s);
    if (!at) return whi_error(WH_EINVAL, "at must not be NULL");
    whi_mem_lock(m);
    bool any = m->nheap > 0;
    if (any) *at = m->heap[0]->due_at;
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
