/*
 * The memory store's state, shared by memory.c (lifecycle, subscriptions), memory_queue.c
 * (enqueue, lease), memory_record.c (outcomes, replay, purge), memory_lists.c (listings) and
 * memory_due.c (the due queues), memory_finished.c (finished deliveries: the cap and retention).
 * One mutex guards everything.
 */
#ifndef WEBHOOKS_STORE_MEMORY_IMPL_H
#define WEBHOOKS_STORE_MEMORY_IMPL_H

#include <stdbool.h>
#include <pthread.h>

#include "hashmap.h"
#include "store_impl.h"
#include "subscription_impl.h"

/* A node of a pairing heap threaded through the records (memory_due.c). */
typedef struct mem_pnode {
    struct mem_pnode *child, *next, *prev; /* prev: the parent of a first child */
} mem_pnode;

/* One subscription's queued deliveries (memory_due.c). */
typedef struct mem_subq {
    char *id;        /* owned; the key in mem_store.subqs */
    mem_pnode *root; /* its deliveries, earliest (due_at, seq) first */
    mem_pnode pn;    /* its node in mem_store.top */
    bool in_top;
} mem_subq;

typedef struct mem_attempt {
    wh_attempt a; /* owned copy; subscription_id is the delivery's */
    uint64_t seq; /* order of recording: the tie-breaker of "newest first" */
} mem_attempt;

typedef struct mem_delivery {
    wh_delivery d;     /* owned copy (wh_delivery_copy) */
    uint64_t seq;      /* order of enqueueing: the tie-breaker of the due order */
    wh_time_ms due_at; /* next_attempt_at (PENDING) or lease_until (IN_FLIGHT) */
    mem_subq *q;       /* its subscription's queue (set at enqueue) */
    mem_pnode pn;      /* its node in q, while queued */
    bool queued;
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
    whi_hmap subs;                     /* id -> wh_subscription * (owned) */
    whi_hmap deliveries;               /* id -> mem_delivery * (owned) */
    whi_hmap subqs;                    /* subscription id -> mem_subq * (owned) */
    mem_pnode *top;                    /* the mem_subq with queued deliveries, earliest first */
    uint64_t seq;                      /* last delivery or attempt sequence number handed out */
    uint64_t changes;                  /* sub_changes */
    mem_delivery *fin_head, *fin_tail; /* oldest, newest finished */
    size_t nfin;
    size_t max_finished;  /* 0: no cap */
    uint64_t lease_looks; /* deliveries and queues a lease looked at, in all (for tests) */
    whi_hmap events;      /* event id -> mem_event * (owned): event idempotency */
    struct mem_event *ev_head, *ev_tail; /* the same, in acceptance order (memory_events.c) */
    size_t max_event_ids;                /* 0: no cap */
} mem_store;

/* The memory store's options (opaque in webhooks/store.h). */
struct wh_memory_options {
    size_t max_finished;
    size_t max_event_ids;
};
#define WHI_MEM_DEFAULT_MAX_FINISHED  10000
#define WHI_MEM_DEFAULT_MAX_EVENT_IDS 100000

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

/* ---- due queues (memory_due.c), called with the lock held ---- */
/* Find or make d's subscription queue and set d->q (before d is first queued). WH_ENOMEM. */
int whi_mem_subq_attach(mem_store *m, mem_delivery *d);
/* Free a subscription's queue (its deliveries gone). */
void whi_mem_subq_free(mem_store *m, const char *sub_id);
void whi_mheap_push(mem_store *m, mem_delivery *d); /* never fails: nothing is allocated */
void whi_mheap_remove(mem_store *m, mem_delivery *d);
/* The queue holding the earliest delivery of all, and a queue's earliest (NULL: none). */
mem_subq *whi_mheap_first(const mem_store *m);
mem_delivery *whi_mheap_head(const mem_subq *q);
/* Take a queue out of the order for a while (a lease that may take no more of it) / put it
 * back. */
void whi_mheap_set_aside(mem_store *m, mem_subq *q);
void whi_mheap_bring_back(mem_store *m, mem_subq *q);
/* Set d's due time and queue state after its status changed: queued when PENDING or
 * IN_FLIGHT, otherwise on the finished list. */
void whi_mheap_update(mem_store *m, mem_delivery *d);

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

/* ---- event ids (memory_events.c) ---- */
/* Add a prepared batch of deliveries (lock held); on error nothing stays added. */
int whi_mem_insert_batch(mem_store *m, mem_delivery **recs, size_t count);
/* Owned copies of a checked batch in *out (free with whi_mem_records_free). */
int whi_mem_records_new(const wh_delivery *const *batch, size_t count, mem_delivery ***out);
void whi_mem_records_free(mem_delivery **recs, size_t count);
/* Forget event ids that expired at or before t (lock held). */
void whi_mem_events_forget(mem_store *m, wh_time_ms t);
void whi_mem_events_free(mem_store *m);
void whi_mem_events_fill(wh_store *vt);

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
