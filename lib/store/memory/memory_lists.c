/* The memory store's listings: one delivery, deliveries by query, attempts. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "memory_impl.h"
#include "alloc.h"
#include "error.h"

/* A growable array of pointers to what a listing shows. */
typedef struct ptrs {
    void **v;
    size_t n, cap;
} ptrs;

static int ptrs_add(ptrs *p, void *x)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        void **v = whi_realloc(p->v, cap * sizeof(*v));
        if (!v) return whi_error_oom();
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = x;
    return WH_OK;
}

/* The index range [*from, *to) of page of limit over n records. */
static void page_range(size_t n, size_t limit, size_t page, size_t *from, size_t *to)
{
    *from = whi_page_offset(limit, page);
    if (*from > n) *from = n;
    *to = limit == 0 || n - *from < limit ? n : *from + limit;
}

int whi_mem_delivery_get(wh_store *s, const char *id, wh_store_delivery_cb cb, void *user_data)
{
    mem_store *m = mem_of(s);
    int rc = whi_store_check_id("delivery id", id);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    mem_delivery *d = whi_mem_delivery_find(m, id);
    if (d) cb(&d->d, user_data);
    whi_mem_unlock(m);
    return d ? WH_OK : whi_error(WH_ENOTFOUND, "no delivery with id %s", id);
}

static bool query_match(const wh_delivery *d, const wh_delivery_query *q)
{
    return (!q->subscription_id || strcmp(d->subscription_id, q->subscription_id) == 0) &&
           (q->status < 0 || (int)d->status == q->status) && d->created_at >= q->since;
}

/* Newest first: created_at, then id, both descending. */
static int cmp_newest(const void *a, const void *b)
{
    const wh_delivery *x = *(wh_delivery *const *)a, *y = *(wh_delivery *const *)b;
    if (x->created_at != y->created_at) return x->created_at > y->created_at ? -1 : 1;
    return -strcmp(x->id, y->id);
}

static int list_locked(mem_store *m, const wh_delivery_query *q, size_t *total,
                       wh_store_delivery_cb cb, void *user_data)
{
    ptrs p = {NULL, 0, 0};
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < m->deliveries.cap; i++) {
        mem_delivery *d = m->deliveries.slots[i].value;
        if (d && query_match(&d->d, q)) rc = ptrs_add(&p, &d->d);
    }
    if (rc == WH_OK) {
        if (p.n > 1) qsort(p.v, p.n, sizeof(*p.v), cmp_newest);
        size_t from, to;
        page_range(p.n, q->limit, q->page, &from, &to);
        if (total) *total = p.n;
        for (size_t i = from; i < to && !cb(p.v[i], user_data); i++)
            ;
    }
    whi_free(p.v);
    return rc;
}

int whi_mem_delivery_list(wh_store *s, const wh_delivery_query *q, size_t *total,
                          wh_store_delivery_cb cb, void *user_data)
{
    mem_store *m = mem_of(s);
    static const wh_delivery_query any = WH_DELIVERY_QUERY_INIT;
    int rc = whi_delivery_query_check(q);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    if (rc != WH_OK) return rc;
    whi_mem_lock(m);
    rc = list_locked(m, q ? q : &any, total, cb, user_data);
    whi_mem_unlock(m);
    return rc;
}

/* Newest first: started_at, then the order of recording, both descending. */
static int cmp_attempts(const void *a, const void *b)
{
    const mem_attempt *x = *(mem_attempt *const *)a, *y = *(mem_attempt *const *)b;
    if (x->a.started_at != y->a.started_at) return x->a.started_at > y->a.started_at ? -1 : 1;
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

static int add_attempts(ptrs *p, mem_delivery *d)
{
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < d->natt; i++)
        rc = ptrs_add(p, &d->att[i]);
    return rc;
}

static int collect_attempts(mem_store *m, const char *delivery_id, const char *sub_id, ptrs *p)
{
    if (delivery_id) {
        mem_delivery *d = whi_mem_delivery_find(m, delivery_id);
        return d ? add_attempts(p, d) : WH_OK;
    }
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < m->deliveries.cap; i++) {
        mem_delivery *d = m->deliveries.slots[i].value;
        if (d && strcmp(d->d.subscription_id, sub_id) == 0) rc = add_attempts(p, d);
    }
    return rc;
}

int whi_mem_attempt_list(wh_store *s, const char *delivery_id, const char *sub_id, size_t limit,
                         size_t page, size_t *total, wh_store_attempt_cb cb, void *user_data)
{
    mem_store *m = mem_of(s);
    int rc = whi_attempt_list_check(delivery_id, sub_id, (const void *)cb);
    if (rc != WH_OK) return rc;
    ptrs p = {NULL, 0, 0};
    whi_mem_lock(m);
    if ((rc = collect_attempts(m, delivery_id, sub_id, &p)) == WH_OK) {
        if (p.n > 1) qsort(p.v, p.n, sizeof(*p.v), cmp_attempts);
        size_t from, to;
        page_range(p.n, limit, page, &from, &to);
        if (total) *total = p.n;
        for (size_t i = from; i < to && !cb(&((mem_attempt *)p.v[i])->a, user_data); i++)
            ;
    }
    whi_mem_unlock(m);
    whi_free(p.v);
    return rc;
}
