/*
 * The memory store's due queues. Each subscription's queued (PENDING and IN_FLIGHT) deliveries
 * are a heap on (due_at, seq), and the subscriptions with any are a heap on their earliest
 * delivery, so the global order is still (due_at, seq) while a lease can set a whole
 * subscription aside in O(log n) when it may take no more of it. With one heap of every
 * delivery, a lease popped (and pushed back) every queued delivery of a subscription at its
 * concurrency: one endpoint's 10 000 queued made each round O(n log n).
 *
 * Both heaps are pairing heaps threaded through the records themselves (mem_pnode), so
 * queueing never allocates: a record that changes state cannot fail half-way. A subscription's
 * queue (mem_subq) is made when its first delivery is enqueued and lives as long as it does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "memory_impl.h"
#include "alloc.h"
#include "error.h"

#define CONTAINER(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

typedef bool (*pn_less)(const mem_pnode *a, const mem_pnode *b);

/* ---- pairing heap ---- */

static mem_pnode *pn_meld(mem_pnode *a, mem_pnode *b, pn_less less)
{
    if (!a) return b;
    if (!b) return a;
    if (less(b, a)) {
        mem_pnode *t = a;
        a = b;
        b = t;
    }
    b->prev = a; /* b becomes a's first child */
    b->next = a->child;
    if (a->child) a->child->prev = b;
    a->child = b;
    a->next = a->prev = NULL;
    return a;
}

/* The standard two passes: meld the children in pairs left to right, then the pairs right to
 * left (the stack of pairs gives them back in that order). */
static mem_pnode *pn_merge_children(mem_pnode *first, pn_less less)
{
    mem_pnode *pairs = NULL;
    while (first) {
        mem_pnode *a = first, *b = a->next;
        first = b ? b->next : NULL;
        a->next = a->prev = NULL;
        if (b) b->next = b->prev = NULL;
        mem_pnode *m = pn_meld(a, b, less);
        m->next = pairs;
        pairs = m;
    }
    mem_pnode *root = NULL;
    while (pairs) {
        mem_pnode *p = pairs;
        pairs = p->next;
        p->next = NULL;
        root = pn_meld(root, p, less);
    }
    return root;
}

static void pn_insert(mem_pnode **root, mem_pnode *n, pn_less less)
{
    n->child = n->next = n->prev = NULL;
    *root = pn_meld(*root, n, less);
}

static void pn_remove(mem_pnode **root, mem_pnode *n, pn_less less)
{
    if (n != *root) { /* cut n's subtree out: prev is its parent or its left sibling */
        if (n->prev->child == n)
            n->prev->child = n->next;
        else
            n->prev->next = n->next;
        if (n->next) n->next->prev = n->prev;
        n->next = n->prev = NULL;
    }
    mem_pnode *rest = pn_merge_children(n->child, less);
    n->child = NULL;
    *root = n == *root ? rest : pn_meld(*root, rest, less);
}

/* ---- the two orders ---- */

static mem_delivery *delivery_of(const mem_pnode *n)
{
    return CONTAINER(n, mem_delivery, pn);
}

static bool due_before(const mem_delivery *a, const mem_delivery *b)
{
    return a->due_at != b->due_at ? a->due_at < b->due_at : a->seq < b->seq;
}

static bool delivery_less(const mem_pnode *a, const mem_pnode *b)
{
    return due_before(delivery_of(a), delivery_of(b));
}

static bool subq_less(const mem_pnode *a, const mem_pnode *b)
{
    return due_before(delivery_of(CONTAINER(a, mem_subq, pn)->root),
                      delivery_of(CONTAINER(b, mem_subq, pn)->root));
}

/* Put q where its (new) earliest delivery says, or take it out when it has none. */
static void top_fix(mem_store *m, mem_subq *q)
{
    if (q->in_top) pn_remove(&m->top, &q->pn, subq_less);
    q->in_top = q->root != NULL;
    if (q->in_top) pn_insert(&m->top, &q->pn, subq_less);
}

/* ---- the interface of memory_impl.h ---- */

int whi_mem_subq_attach(mem_store *m, mem_delivery *d)
{
    const char *id = d->d.subscription_id;
    mem_subq *q = whi_hmap_get(&m->subqs, id, strlen(id));
    if (!q) {
        if (!(q = whi_calloc(1, sizeof(*q))) || !(q->id = whi_strdup(id))) {
            whi_free(q);
            return whi_error_oom();
        }
        if (whi_hmap_put(&m->subqs, q->id, strlen(q->id), q) != WH_OK) {
            whi_free(q->id);
            whi_free(q);
            return whi_error_oom();
        }
    }
    d->q = q;
    return WH_OK;
}

void whi_mem_subq_free(mem_store *m, const char *sub_id)
{
    mem_subq *q = whi_hmap_get(&m->subqs, sub_id, strlen(sub_id));
    if (!q) return;
    if (q->in_top) pn_remove(&m->top, &q->pn, subq_less);
    whi_hmap_remove(&m->subqs, q->id, strlen(q->id));
    whi_free(q->id);
    whi_free(q);
}

void whi_mheap_push(mem_store *m, mem_delivery *d)
{
    mem_subq *q = d->q;
    pn_insert(&q->root, &d->pn, delivery_less);
    d->queued = true;
    if (!q->in_top || q->root == &d->pn) top_fix(m, q);
}

void whi_mheap_remove(mem_store *m, mem_delivery *d)
{
    if (!d->queued) return;
    mem_subq *q = d->q;
    bool was_first = q->root == &d->pn;
    pn_remove(&q->root, &d->pn, delivery_less);
    d->queued = false;
    if (was_first) top_fix(m, q);
}

mem_subq *whi_mheap_first(const mem_store *m)
{
    return m->top ? CONTAINER(m->top, mem_subq, pn) : NULL;
}

mem_delivery *whi_mheap_head(const mem_subq *q)
{
    return q->root ? delivery_of(q->root) : NULL;
}

void whi_mheap_set_aside(mem_store *m, mem_subq *q)
{
    if (q->in_top) pn_remove(&m->top, &q->pn, subq_less);
    q->in_top = false;
}

void whi_mheap_bring_back(mem_store *m, mem_subq *q)
{
    top_fix(m, q);
}

void whi_mheap_update(mem_store *m, mem_delivery *d)
{
    wh_delivery_status st = d->d.status;
    bool queued = st == WH_DELIVERY_PENDING || st == WH_DELIVERY_IN_FLIGHT;
    whi_mheap_remove(m, d);
    if (!queued) {
        whi_mem_fin_add(m, d);
        return;
    }
    whi_mem_fin_remove(m, d);
    d->due_at = st == WH_DELIVERY_PENDING ? d->d.next_attempt_at : d->d.lease_until;
    whi_mheap_push(m, d);
}
