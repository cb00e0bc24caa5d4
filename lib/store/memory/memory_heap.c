/*
 * The memory store's due queue: a binary min-heap of deliveries on (due_at, seq), each knowing
 * its position so it can be moved or removed in O(log n) when its status changes.
 */
#include <stdbool.h>
#include "memory_impl.h"
#include "alloc.h"
#include "error.h"

static bool before(const mem_delivery *a, const mem_delivery *b)
{
    return a->due_at != b->due_at ? a->due_at < b->due_at : a->seq < b->seq;
}

static void place(mem_store *m, size_t i, mem_delivery *d)
{
    m->heap[i] = d;
    d->heap_pos = i;
}

static void sift_up(mem_store *m, size_t i)
{
    mem_delivery *d = m->heap[i];
    while (i > 0 && before(d, m->heap[(i - 1) / 2])) {
        place(m, i, m->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    place(m, i, d);
}

static void sift_down(mem_store *m, size_t i)
{
    mem_delivery *d = m->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->nheap) break;
        if (c + 1 < m->nheap && before(m->heap[c + 1], m->heap[c])) c++;
        if (!before(m->heap[c], d)) break;
        place(m, i, m->heap[c]);
        i = c;
    }
    place(m, i, d);
}

int whi_mheap_reserve(mem_store *m, size_t extra)
{
    if (m->nheap + extra <= m->cheap) return WH_OK;
    size_t cap = m->cheap ? m->cheap : 64;
    while (cap < m->nheap + extra)
        cap *= 2;
    mem_delivery **h = whi_realloc(m->heap, cap * sizeof(*h));
    if (!h) return whi_error_oom();
    m->heap = h;
    m->cheap = cap;
    return WH_OK;
}

void whi_mheap_push(mem_store *m, mem_delivery *d)
{
    m->heap[m->nheap++] = d;
    sift_up(m, m->nheap - 1);
}

void whi_mheap_remove(mem_store *m, mem_delivery *d)
{
    size_t i = d->heap_pos;
    if (i == MEM_NOT_QUEUED) return;
    d->heap_pos = MEM_NOT_QUEUED;
    mem_delivery *last = m->heap[--m->nheap];
    if (i == m->nheap) return;
    place(m, i, last);
    sift_up(m, i);
    sift_down(m, last->heap_pos);
}

mem_delivery *whi_mheap_pop(mem_store *m)
{
    if (m->nheap == 0) return NULL;
    mem_delivery *top = m->heap[0];
    whi_mheap_remove(m, top);
    return top;
}

int whi_mheap_update(mem_store *m, mem_delivery *d)
{
    wh_delivery_status st = d->d.status;
    bool queued = st == WH_DELIVERY_PENDING || st == WH_DELIVERY_IN_FLIGHT;
    if (!queued) {
        whi_mheap_remove(m, d);
        whi_mem_fin_add(m, d);
        return WH_OK;
    }
    whi_mem_fin_remove(m, d);
    d->due_at = st == WH_DELIVERY_PENDING ? d->d.next_attempt_at : d->d.lease_until;
    if (d->heap_pos == MEM_NOT_QUEUED) {
        int rc = whi_mheap_reserve(m, 1);
        if (rc == WH_OK) whi_mheap_push(m, d);
        return rc;
    }
    sift_up(m, d->heap_pos);
    sift_down(m, d->heap_pos);
    return WH_OK;
}

void whi_mheap_rebuild(mem_store *m)
{
    for (size_t i = 0; i < m->nheap; i++) {
        mem_delivery *d = m->heap[i];
        d->due_at = d->d.status == WH_DELIVERY_PENDING ? d->d.next_attempt_at : d->d.lease_until;
        d->heap_pos = i;
    }
    for (size_t i = m->nheap / 2; i-- > 0;)
        sift_down(m, i);
}
