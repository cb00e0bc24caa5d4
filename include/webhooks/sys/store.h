/*
 * The store port: where subscriptions, the delivery queue and the attempt log live.
 *
 * For implementers of storage backends only (a KV store, another database, a test double):
 * hosts never include this header, and webhooks.h does not. The hub talks to storage only
 * through this vtable; hosts read a store through the typed functions of webhooks/store.h. The
 * library ships memory and SQLite stores (webhooks/store.h), and an installed conformance suite
 * (docs/store-authors.md) that checks a new store against every rule below. Stability: members are
 * only ever added at the end, with `version` raised; a store built against an older version keeps
 * working.
 *
 * Rules every store follows (the conformance suite checks them):
 * - Every member returns WH_OK or a negative WH_E* code and sets wh_error_last() on failure.
 * - A failed call changes nothing (each call is atomic).
 * - Objects passed in are borrowed for the call only: copy what you keep.
 * - Objects handed to callbacks are borrowed for the callback only. A callback returning non-zero
 *   stops the iteration early; the member then returns WH_OK.
 * - Callbacks may run while the store holds its lock: a callback must not call the same store
 *   (copy what it needs and act after the member returns).
 * - A listing whose filter matches nothing (an unknown subscription or delivery id) is empty,
 *   not an error.
 * - Stores must be safe to call from several threads at once (the hub's thread and the threads
 *   serving the registration API).
 * - Paging: page numbers start at 1; limit 0 means "all". *total (when not NULL) receives the
 *   number of matching records regardless of paging.
 */
#ifndef WEBHOOKS_SYS_STORE_H
#define WEBHOOKS_SYS_STORE_H

#include "webhooks/common.h"
#include "webhooks/delivery.h"
#include "webhooks/store.h"
#include "webhooks/subscription.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Delivery statistics of a subscription, and an optional automatic disable. */
typedef struct wh_sub_stats {
    wh_time_ms last_delivery_at;
    int last_status;
    uint32_t failure_count;   /* consecutive failed deliveries */
    wh_time_ms failing_since; /* start of the failure streak, 0 when none */
    int disable;              /* non-zero: set status disabled, with disabled_reason */
    const char *disabled_reason;
} wh_sub_stats;

/* What an attempt led to. */
typedef struct wh_outcome {
    wh_delivery_status status;  /* PENDING (retry), SUCCEEDED or FAILED (dead) */
    wh_time_ms next_attempt_at; /* for PENDING */
    const char *error;          /* stored as the delivery's last_error (NULL clears it) */
    const wh_sub_stats *stats;  /* NULL: leave the subscription's stats alone */
} wh_outcome;

/* Which due deliveries a worker takes. */
typedef struct wh_lease_request {
    /* due: PENDING with next_attempt_at <= now, or IN_FLIGHT with lease_until <= now (an expired
     * lease of a crashed worker) */
    wh_time_ms now;
    wh_time_ms lease_until;      /* the lease given to what is taken */
    size_t max;                  /* at most this many in all (> 0) */
    size_t max_per_subscription; /* at most this many of one subscription; 0: no limit */
    const char *const *exclude;  /* subscription ids to skip (busy ones), or NULL */
    size_t exclude_count;
} wh_lease_request;

/* 1: every member up to record_batch. 2: record_and_lease. 3: fail_unsent, replay_failed,
 * purge_some. 4: notify_fd, notify_drain, record_and_lease_global. 5: enqueue_events. The hub reads
 * a member only when the store's version has it, so a store built against an older header keeps
 * working. */
#define WH_STORE_VERSION 5

struct wh_store {
    unsigned int version; /* WH_STORE_VERSION the store was built against */
    void *data;           /* the implementation's own state */

    /* ---- subscriptions (all must provide) ---- */
    /* Save a new subscription (a validated copy is kept). WH_ECONFLICT if the id exists. */
    int (*sub_create)(wh_store *s, const wh_subscription *sub);
    /* A new copy of subscription id in *out (caller frees with wh_subscription_free).
     * WH_ENOTFOUND when absent. */
    int (*sub_get)(wh_store *s, const char *id, wh_subscription **out);
    /* Replace the stored subscription with the same id, stats included. WH_ENOTFOUND. */
    int (*sub_replace)(wh_store *s, const wh_subscription *sub);
    /* Apply wh_subscription_patch_json(json) to the stored one atomically; *out (may be NULL)
     * receives a copy of the result. WH_ENOTFOUND, or the patch's WH_EINVAL (nothing changes). */
    int (*sub_patch)(wh_store *s, const char *id, const char *json, size_t len,
                     wh_subscription **out);
    /* Delete a subscription with its deliveries and attempts. WH_ENOTFOUND. */
    int (*sub_delete)(wh_store *s, const char *id);
    /* Subscriptions of owner (NULL: every owner), oldest first (createdAt, then id). */
    int (*sub_list)(wh_store *s, const char *owner, size_t limit, size_t page, size_t *total,
                    wh_store_sub_cb cb, void *user_data);
    /* Set delivery stats (and maybe disable) without touching other fields. WH_ENOTFOUND.
     * Only a disable counts as a change for sub_changes. */
    int (*sub_update_stats)(wh_store *s, const char *id, const wh_sub_stats *stats);
    /* A counter that grows whenever any subscription is created, replaced, patched, deleted or
     * disabled, by this process or (for shared stores) another: an index built from the store
     * compares it to tell whether it is stale. */
    uint64_t (*sub_changes)(wh_store *s);

    /* ---- delivery queue (all must provide) ---- */
    /* Add deliveries atomically: all of them or none. WH_ECONFLICT on a duplicate id (in the
     * batch or stored); WH_ENOTFOUND when a delivery's subscription does not exist (deleted
     * since the event was matched). A delivery is PENDING, or FAILED when it is dead on arrival
     * (not renderable); IN_FLIGHT is refused (WH_EINVAL). */
    int (*enqueue)(wh_store *s, const wh_delivery *const *batch, size_t count);
    /* Take due deliveries (oldest next_attempt_at first): mark them IN_FLIGHT until
     * req->lease_until and hand each to cb (status IN_FLIGHT, lease_until set; updated_at is
     * not changed by a lease, only by enqueue, outcomes and replays). Every delivery
     * handed to cb is leased; when cb returns non-zero the rest are left as they were. If lease
     * fails, deliveries already handed to cb may not be leased (forget them). */
    int (*lease)(wh_store *s, const wh_lease_request *req, wh_store_delivery_cb cb,
                 void *user_data);
    /* Give a leased delivery back unattempted: IN_FLIGHT -> PENDING, due again at its
     * next_attempt_at. WH_ENOTFOUND; WH_ESTATE when it is not IN_FLIGHT. */
    int (*release)(wh_store *s, const char *delivery_id);
    /* Make every IN_FLIGHT delivery PENDING (a single worker restarting after a crash).
     * *count (may be NULL) receives how many. */
    int (*recover)(wh_store *s, size_t *count);
    /* Record an attempt and its outcome atomically: append the attempt, set the delivery's
     * status (complete, retry later, or dead), attempts = attempt->number, last_status and
     * last_error, and apply outcome->stats to the subscription. WH_ENOTFOUND.
     * last_status is attempt->http_status, or attempt->error_code when that is 0; updated_at is
     * started_at + duration_ms; attempt->subscription_id may be NULL (the delivery's is used).
     * It applies whatever the delivery's status (its lease may have expired meanwhile).
     * WH_EINVAL for an outcome status of IN_FLIGHT. */
    int (*record)(wh_store *s, const wh_attempt *attempt, const wh_outcome *outcome);
    /* The delivery with this id, handed to cb. WH_ENOTFOUND. */
    int (*delivery_get)(wh_store *s, const char *id, wh_store_delivery_cb cb, void *user_data);
    /* Deliveries matching q, newest first (created_at, then id). */
    int (*delivery_list)(wh_store *s, const wh_delivery_query *q, size_t *total,
                         wh_store_delivery_cb cb, void *user_data);
    /* Make a delivery due again at now (any status but IN_FLIGHT), keeping its idempotency key
     * and attempt count. WH_ENOTFOUND; WH_ESTATE when it is IN_FLIGHT. */
    int (*replay)(wh_store *s, const char *delivery_id, wh_time_ms now);
    /* Replay every SUCCEEDED or FAILED delivery of a subscription created at or after since.
     * *count (may be NULL) receives how many. */
    int (*replay_since)(wh_store *s, const char *subscription_id, wh_time_ms since, wh_time_ms now,
                        size_t *count);
    /* The earliest time something becomes due (a PENDING next_attempt_at or an IN_FLIGHT
     * lease_until) in *at. WH_ENOTFOUND when the queue holds nothing unfinished. */
    int (*next_due)(wh_store *s, wh_time_ms *at);

    /* ---- attempt log (must provide) ---- */
    /* Attempts of a delivery (delivery_id) or of a subscription (subscription_id; exactly one
     * of the two is non-NULL), newest first. */
    int (*attempt_list)(wh_store *s, const char *delivery_id, const char *subscription_id,
                        size_t limit, size_t page, size_t *total, wh_store_attempt_cb cb,
                        void *user_data);

    /* ---- housekeeping (must provide) ---- */
    /* Delete SUCCEEDED and FAILED deliveries last updated before older_than, their attempts, and
     * any attempt started before older_than. *removed (may be NULL): deliveries removed. */
    int (*purge)(wh_store *s, wh_time_ms older_than, size_t *removed);

    /* Release everything (must provide). Called by wh_store_free. */
    void (*free)(wh_store *s);

    /* ---- batching (may provide: NULL means call record for each) ---- */
    /* Record count attempts with their outcomes, in order, each exactly as record does, in as
     * few transactions as the store can (the built-in stores: one). Where each transaction
     * costs a disk sync, this is what lets delivering keep up. Stops at the first item that
     * fails and returns its error; *done (may be NULL) receives how many items, from the first,
     * were recorded (each item is atomic, so the rest changed nothing). */
    int (*record_batch)(wh_store *s, const wh_attempt *const *attempts,
                        const wh_outcome *const *outcomes, size_t count, size_t *done);

    /* ---- version 2 ---- */
    /* (may provide: NULL means call record_batch, then lease) Record count attempts with their
     * outcomes as record_batch does, then lease as lease does, all in one transaction: a
     * delivery loop's two writes of a round for the price of one. All or nothing: on any error
     * nothing was recorded nor leased, *done (may be NULL) is 0, and deliveries already handed
     * to cb are not leased (forget them); the caller then records and leases separately, which
     * says which item failed. count may be 0 (then it only leases). */
    int (*record_and_lease)(wh_store *s, const wh_attempt *const *attempts,
                            const wh_outcome *const *outcomes, size_t count, size_t *done,
                            const wh_lease_request *req, wh_store_delivery_cb cb, void *user_data);

    /* ---- version 3 ---- */
    /* (may provide: NULL means the hub fails them one at a time as it leases them) Take every
     * unfinished delivery of a subscription (PENDING, or IN_FLIGHT: a request already sent may
     * still record its outcome) out of the queue in one transaction: status FAILED, last_error
     * reason, updated_at now, no attempt appended, attempts unchanged. The hub calls it when a
     * subscription is disabled, so a dead endpoint's backlog leaves the queue at once instead of
     * one lease and one write per delivery. *count (may be NULL): how many. WH_OK also when
     * the subscription has none (or does not exist). */
    int (*fail_unsent)(wh_store *s, const char *subscription_id, const char *reason, wh_time_ms now,
                       size_t *count);
    /* (may provide: NULL means the hub lists them and replays one at a time) Make every FAILED
     * delivery of a subscription created at or after since due at now, as replay does (same
     * idempotency key, attempts kept). *count (may be NULL): how many. WH_ENOTFOUND when the
     * subscription does not exist. */
    int (*replay_failed)(wh_store *s, const char *subscription_id, wh_time_ms since, wh_time_ms now,
                         size_t *count);
    /* (may provide: NULL means the hub calls purge, at most once an hour) Delete at most max
     * SUCCEEDED and FAILED deliveries last updated before older_than, oldest first as far as
     * the store can tell cheaply, with their attempts, in one short transaction: the hub's
     * retention calls it between rounds, so it must cost in proportion to max, not to the size
     * of the store. Attempts of deliveries still queued are kept. *removed (may be NULL): how
     * many deliveries went; fewer than max means none older is left. */
    int (*purge_some)(wh_store *s, wh_time_ms older_than, size_t max, size_t *removed);

    /* ---- version 4 ---- */
    /* (may provide both, or neither) How a store shared by several processes wakes a hub when
     * another process changed it, so that the hub need not poll. notify_fd: a descriptor that
     * becomes readable (POLLIN) when another process enqueued a delivery or made one due again,
     * or changed a subscription; -1 when the store has none at the moment (it lost its
     * connection: the hub then calls notify_drain at least once a second, which reconnects).
     * It may change from one call to the next. notify_drain: consume, without blocking, what
     * made the descriptor readable, so that a poll on it sleeps again (and reconnect when there
     * is none); WH_OK, or an error the hub logs. A store without them (memory, SQLite) is woken
     * by its own process only. */
    int (*notify_fd)(wh_store *s);
    int (*notify_drain)(wh_store *s);
    /* (may provide; NULL: the hub calls record_and_lease, and its in-flight limit holds per
     * hub) As record_and_lease (count may be 0: then a lease only), with one more limit: of each
     * subscription, at most max_in_flight_per_subscription deliveries IN_FLIGHT with a lease not
     * yet expired, whoever holds them, those this call takes included (0: no such limit). In a
     * store several workers share, this is what makes a hub's max_in_flight_per_subscription
     * hold for all of them together (req->max_per_subscription, as in lease, counts only what
     * one call takes). */
    int (*record_and_lease_global)(wh_store *s, const wh_attempt *const *attempts,
                                   const wh_outcome *const *outcomes, size_t count, size_t *done,
                                   const wh_lease_request *req,
                                   size_t max_in_flight_per_subscription, wh_store_delivery_cb cb,
                                   void *user_data);

    /* ---- version 5 ---- */
    /* (may provide; NULL: the hub remembers no event ids, so an event emitted twice is
     * delivered twice) Event idempotency: enqueue batch (count may be 0) as enqueue does and, in
     * the same transaction, accept the events event_ids[0..event_count) (an event that matched
     * nothing is here without a delivery in the batch). Each is a key of 1..511 bytes of text
     * without control characters (else WH_EINVAL): the hub passes the event's id, or
     * "<owner>/<event id>" for an event emitted on one owner's behalf (event ids have no '/'),
     * so that tenants never see each other's ids. Each key is remembered until expires_at. If
     * any of them is still remembered at now (accepted before, and now < its expires_at), or is
     * given twice, nothing is stored and WH_ECONFLICT is returned, its message naming the key.
     * An expired key is accepted again. The store forgets expired keys on its own, at a cost in
     * proportion to what it accepts (the built-in ones: each call sweeps at most as many expired
     * keys as it adds, plus a few), so it holds about one window's keys; purge also forgets
     * those expired at or before its older_than. */
    int (*enqueue_events)(wh_store *s, const char *const *event_ids, size_t event_count,
                          wh_time_ms now, wh_time_ms expires_at, const wh_delivery *const *batch,
                          size_t count);
};

/* A wh_store with its version set and every member NULL, for implementers to fill in:
 * `wh_store s = WH_STORE_INIT;` (members not named are zero). */
#if defined(__cplusplus) && __cplusplus < 202002L
#define WH_STORE_INIT                                                                              \
    {                                                                                              \
        WH_STORE_VERSION                                                                           \
    }
#else
#define WH_STORE_INIT                                                                              \
    {                                                                                              \
        .version = WH_STORE_VERSION                                                                \
    }
#endif

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_SYS_STORE_H */
