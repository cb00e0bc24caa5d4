/*
 * The memory store's state, shared by memory.c (lifecycle, subscriptions), memory_queue.c
 * (enqueue, lease), memory_record.c (outcomes, replay, purge), memory_lists.c (listings) and
 * memory_heap.c (the due queue), memory_finished.c (finished deliveries: the cap and retention).
 * One mutex guards everything.
 */
#ifndef WEBHOOKS_STORE_MEMORY_IMPL_H
#define WEBHOOKS_STORE_MEMORY_IMPL_H

#include <stdbool.h>
#include <pthread.h>

#include "hashmap.h"
#include "store_impl.h"
#include "subscription_impl.h"

#define MEM_NOT_QUEUED SIZE_MAX

typedef struct mem_attempt {
    wh_attempt a; /* owned copy; subscription_id is the delivery's */
    uint64_t seq; /* order of recording: the tie-breaker of "newest first" */
} mem_attempt;

typedef struct mem_delivery {
    wh_delivery d;     /* owned copy (wh_delivery_copy) */
    uint64_t seq;      /* order of enqueueing: the tie-breaker of the due order */
    wh_time_ms due_at; /* next_attempt_at (PENDING) or lease_until (IN_FLIGHT) */
    size_t heap_pos;   /* index in the due heap, MEM_NOT_QUEUED when finished */
    mem_attempt *att;
    size_t natt, catt;
    /* The finished list (SUCCEEDED and FAILED, in the order they finished): the oldest go
     * first when the cap is passed or retention purges. */
    struct mem_delivery *fin_prev, *fin_next;
    bool fin_linked;
} mem_delivery;

typedef struct mem_store {
    wh_store vt; /* first: the wh_store handed out is this struct */
    pthread_mutex_t mu;
    whi_hmap subs;       /* id -> wh_subscription * (owned) */
    whi_hmap deliveries; /* id -> mem_delivery * (owned) */
    mem_delivery **heap; /* min-heap on (due_at, seq) of PENDING and IN_FLIGHT deliveries */
    size_t nheap, cheap;
    uint64_t seq;                      /* last delivery or attempt sequence number handed out */
    uint64_t changes;                  /* sub_changes */
    mem_delivery *fin_head, *fin_tail; /* oldest, newest finished */
    size_t nfin;
    size_t max_finished; /* 0: no cap */
} mem_store;

/* The memory store's options (opaque in webhooks/store.h). */
struct wh_memory_options {
    size_t max_finished;
};
#define WHI_MEM_DEFAULT_MAX_FINISHED 10000

static inline mem_store *mem_of(wh_store *s)
{
    return (mem_store *)s->data;
}

static inline void whi_mem_lock(mem_store *m)
{
    pthread_mutex_lock(&m->mu);
}

static inline void whi_mem_unlock(mem_store *m)
{
    pthread_mutex_unlock(&m->mu);
}

/* ---- due heap (memory_heap.c) ---- */
int whi_mheap_reserve(mem_store *m, size_t extra);
void whi_mheap_push(mem_store *m, mem_delivery *d); /* capacity reserved beforehand */
void whi_mheap_remove(mem_store *m, mem_delivery *d);
mem_delivery *whi_mheap_pop(mem_store *m);
/* Set d's due time and queue state after its status changed: queued when PENDING or
 * IN_FLIGHT, removed otherwise (and then on the finished list). WH_ENOMEM only when it has to
 * be added and cannot be. */
int whi_mheap_update(mem_store *m, mem_delivery *d);
/* Recompute every queued delivery's due time and restore the heap order (after recover). */
void whi_mheap_rebuild(mem_store *m);

/* ---- finished deliveries (memory_finished.c), called with the lock held ---- */
void whi_mem_fin_add(mem_store *m, mem_delivery *d);    /* no-op when already on the list */
void whi_mem_fin_remove(mem_store *m, mem_delivery *d); /* no-op when not on it */
/* Drop the oldest finished deliveries past the cap. Call at the end of an operation that may
 * finish deliveries, never while walking the deliveries map (dropping moves its entries). */
void whi_mem_fin_trim(mem_store *m);
int whi_mem_purge_some(wh_store *s, wh_time_ms older_than, size_t max, size_t *removed);

/* ---- deliveries (memory_queue.c), called with the lock held ---- */
mem_delivery *whi_mem_delivery_find(mem_store *m, const char *id);
void whi_mem_delivery_free(mem_delivery *d);
/* Take d out of the map, the heap and the finished list, and free it. */
void whi_mem_delivery_drop(mem_store *m, mem_delivery *d);
/* Remove and free every delivery for which drop(d, arg) is true; returns how many. */
size_t whi_mem_deliveries_drop(mem_store *m, bool (*drop)(const mem_delivery *, const void *),
                               const void *arg);
void whi_mem_queue_fill(wh_store *vt); /* the queue members of the vtable */

/* ---- outcomes (memory_record.c) ---- */
int whi_mem_record(wh_store *s, const wh_attempt *attempt, const wh_outcome *outcome);
int whi_mem_record_batch(wh_store *s, const wh_attempt *const *attempts,
                         const wh_outcome *const *outcomes, size_t count, size_t *done);
int whi_mem_replay(wh_store *s, const char *delivery_id, wh_time_ms now);
int whi_mem_replay_since(wh_store *s, const char *subscription_id, wh_time_ms since, wh_time_ms now,
                         size_t *count);
int whi_mem_fail_unsent(wh_store *s, const char *subscription_id, const char *reason,
                        wh_time_ms now, size_t *count);
int whi_mem_replay_failed(wh_store *s, const char *subscription_id, wh_time_ms since,
                          wh_time_ms now, size_t *count);
int whi_mem_purge(wh_store *s, wh_time_ms older_than, size_t *removed);

/* ---- listings (memory_lists.c) ---- */
int whi_mem_delivery_get(wh_store *s, const char *id, wh_store_delivery_cb cb, void *user_data);
int whi_mem_delivery_list(wh_store *s, const wh_delivery_query *q, size_t *total,
                          wh_store_delivery_cb cb, void *user_data);
int whi_mem_attempt_list(wh_store *s, const char *delivery_id, const char *subscription_id,
                         size_t limit, size_t page, size_t *total, wh_store_attempt_cb cb,
                         void *user_data);

/* Apply stats (and maybe a disable) to a stored subscription; called with the lock held. */
int whi_mem_apply_stats(mem_store *m, wh_subscription *sub, const wh_sub_stats *st);

#endif
