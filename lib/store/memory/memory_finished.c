/*
 * The memory store's finished deliveries. Every SUCCEEDED or FAILED delivery is on one list in
 * the order it finished, so that what must go goes oldest first in O(1) each: past the cap on
 * finished deliveries kept (a host that never purges no longer grows forever: 1.6 KB per
 * delivery of a 0.5 KiB event used to stay until the process ended), and when the hub's
 * retention purges a batch (purge_some), which then costs what it removes, not a walk over
 * every delivery.
 */
#include "memory_impl.h"
#include "error.h"

void whi_mem_fin_add(mem_store *m, mem_delivery *d)
{
    if (d->fin_linked) return;
    d->fin_prev = m->fin_tail;
    d->fin_next = NULL;
    if (m->fin_tail)
        m->fin_tail->fin_next = d;
    else
        m->fin_head = d;
    m->fin_tail = d;
    d->fin_linked = true;
    m->nfin++;
}

void whi_mem_fin_remove(mem_store *m, mem_delivery *d)
{
    if (!d->fin_linked) return;
    if (d->fin_prev)
        d->fin_prev->fin_next = d->fin_next;
    else
        m->fin_head = d->fin_next;
    if (d->fin_next)
        d->fin_next->fin_prev = d->fin_prev;
    else
        m->fin_tail = d->fin_prev;
    d->fin_prev = d->fin_next = NULL;
    d->fin_linked = false;
    m->nfin--;
}

void whi_mem_fin_trim(mem_store *m)
{
    while (m->max_finished && m->nfin > m->max_finished)
        whi_mem_delivery_drop(m, m->fin_head);
}

int whi_mem_purge_some(wh_store *s, wh_time_ms older_than, size_t max, size_t *removed)
{
    mem_store *m = mem_of(s);
    size_t n = 0;
    whi_mem_lock(m);
    /* Finishing order is updated_at order as long as the host's clock does not go back; if
     * it does, a delivery stays until the ones finished before it have gone. */
    while (n < max && m->fin_head && m->fin_head->d.updated_at < older_than) {
        whi_mem_delivery_drop(m, m->fin_head);
        n++;
    }
    whi_mem_unlock(m);
    if (removed) *removed = n;
    return WH_OK;
}
