/* The hub's private state, shared by hub.c, hub_subs.c, hub_emit.c, hub_run.c, hub_outcome.c. */
#ifndef WEBHOOKS_HUB_IMPL_H
#define WEBHOOKS_HUB_IMPL_H

#include <stdbool.h>
#include <pthread.h>

#include "event_impl.h"
#include "hub_options.h"
#include "retry.h"
#include "compiler.h"
#include "hashmap.h"
#include "webhooks/hub.h"
#include "webhooks/sys/store.h"
#include "webhooks/sys/transport.h"
#include "webhooks/match.h"
#include "webhooks/template.h"
#include "webhooks/urlguard.h"

/* How many requests a subscription may have in flight, and how slow it is (hub_fair.c). */
typedef struct hub_fair {
    size_t cap;           /* its concurrency now: 1..max_in_flight_per_subscription */
    uint64_t avg_ms;      /* running average of its requests' durations */
    uint64_t samples;     /* how many went into it */
    int64_t oldest_start; /* monotonic ms its oldest request in flight started */
    int64_t decreased_at; /* monotonic ms of the last halving of cap */
    bool slow;            /* as of the last round */
    bool seen;            /* scratch for whi_fair_round */
} hub_fair;

/* A subscription's starting concurrency (it grows by one per timely completion). */
#define WHI_FAIR_START 2

/* One cached subscription with what the hot path needs precompiled. */
typedef struct hub_sub {
    wh_subscription *sub;  /* owned; the matcher borrows it */
    wh_template *url;      /* URL mode */
    wh_template *body;     /* NULL: the default envelope */
    wh_template **headers; /* one per custom header value, HEADER mode */
    size_t inflight;       /* requests in flight to it */
    hub_fair fair;
    /* The cache's reference, plus one per emit rendering its templates outside the hub's lock
     * (taken and given back under the lock): replacing or deleting the subscription meanwhile
     * drops it from the cache, and the last reference frees it. */
    unsigned refs;
} hub_sub;

/* One request in flight. */
typedef struct hub_flight {
    struct wh_hub *hub;
    char *delivery_id;
    char *subscription_id;
    uint32_t attempt; /* number of this attempt */
    wh_time_ms started_at;
    int64_t started_mono; /* the same on the monotonic clock (hub_fair.c) */
    uint64_t transport_id;
    struct hub_flight *next;
} hub_flight;

/* A completed request, waiting to be recorded with the others of its round. */
typedef struct hub_done {
    hub_flight *flight;
    wh_http_response resp; /* its strings point into the copies below */
    char *error, *body, *retry_after;
    struct hub_done *next;
} hub_done;

/* A deferred call of the host's on_disable callback (made after the lock is released). */
typedef struct hub_notice {
    char *subscription_id;
    char *reason;
    struct hub_notice *next;
} hub_notice;

struct wh_hub {
    pthread_mutex_t lock;
    pthread_mutex_t run_lock; /* one wh_hub_run at a time */
    wh_hub_options opts;      /* the hub's own copy (strings and guard included) */
    wh_store *store;
    wh_transport *transport;
    bool own_store, own_transport;
    wh_matcher *matcher;
    wh_match_result *result;
    whi_id_clock id_clock; /* delivery ids sort in the order they are made (under the lock) */
    whi_hmap subs;         /* id -> hub_sub */
    uint64_t changes;      /* store->sub_changes() the cache reflects */
    hub_flight *flights;
    size_t inflight;
    bool due_blocked; /* the last lease left due deliveries of busy subscriptions */
    struct {
        size_t slow_subs;     /* subscriptions with requests in flight that are slow */
        size_t slow_inflight; /* their requests in flight */
    } fair;
    hub_done *done_head, *done_tail; /* completions to record, oldest first */
    hub_notice *notices;
    int wake_fd;           /* eventfd: emit wakes a run waiting in poll */
    bool run_waiting;      /* a run is (about to be) asleep in poll */
    bool external_waiter;  /* the host polls wake_fd itself (it asked for wh_hub_pollfds) */
    struct {               /* retention (hub_housekeeping.c), under the run lock */
        wh_time_ms at;     /* hub clock time of the next batch */
        int64_t resume_us; /* monotonic time before which the next batch waits */
    } housekeep;
};

/* hub.c */
wh_time_ms whi_hub_now(const wh_hub *h);
void whi_hub_log(const wh_hub *h, int level, const char *fmt, ...) WHI_PRINTF(3, 4);
void whi_hub_wake(wh_hub *h);            /* call with the lock held */
void whi_hub_notify_disabled(wh_hub *h); /* call without the lock: flushes notices */

/* hub_subs.c: the cache (call with the lock held) */
int whi_hub_cache_put(wh_hub *h, wh_subscription *sub); /* takes ownership, even on error */
void whi_hub_cache_drop(wh_hub *h, const char *id);
hub_sub *whi_hub_cache_get(const wh_hub *h, const char *id);
/* Keep hs alive outside the lock / give it back (both with the lock held). */
void whi_hub_sub_retain(hub_sub *hs);
void whi_hub_sub_release(hub_sub *hs);
void whi_hub_cache_clear(wh_hub *h);
int whi_hub_reload(wh_hub *h);           /* rebuild the cache from the store */
int whi_hub_refresh_if_stale(wh_hub *h); /* reload when the store changed behind our back */
int whi_hub_check_sub(wh_hub *h, const wh_subscription *sub); /* templates + SSRF policy */

/* hub_fair.c: sharing the request slots (call with the lock held) */
void whi_fair_init(hub_sub *hs, const wh_hub *h);
void whi_fair_on_start(wh_hub *h, hub_sub *hs, int64_t mono_ms); /* counts hs->inflight */
void whi_fair_on_done(const wh_hub *h, hub_sub *hs, int64_t started_mono, int64_t mono_ms);
void whi_fair_round(wh_hub *h); /* once per lease: who is slow now */
bool whi_fair_may_start(const wh_hub *h, const hub_sub *hs);

/* hub_backlog.c: a stopped subscription's queue (call with the lock held) */
/* Fail sub_id's unfinished deliveries in one store call, giving why (e.g. "disabled: ...");
 * false when the store cannot (older than version 3) or failed (logged). */
bool whi_hub_fail_unsent(wh_hub *h, const char *sub_id, const char *why);
/* The same for sub when it is no longer active (false, doing nothing, when it is). */
bool whi_hub_sub_stopped(wh_hub *h, const wh_subscription *sub);

/* hub_housekeeping.c: one retention batch when one is due (wh_hub_run, without the lock);
 * true when more may be left (the next round should come soon). */
bool whi_hub_housekeep(wh_hub *h);
#define WHI_HOUSEKEEP_PAUSE_MS 10 /* the longest wait of a run while old deliveries are left */

/* hub_store_wake.c: another process's changes (a shared store's descriptor), without the lock */
bool whi_hub_store_notifies(const wh_hub *h);
int whi_hub_store_fd(wh_hub *h); /* -1: none now (or a store without one) */
void whi_hub_store_drain(wh_hub *h);
#define WHI_STORE_RETRY_MS 1000 /* the longest wait while the store has no descriptor */

/* hub_run.c: record what completed, then lease and start what is due */
int whi_hub_start_due(wh_hub *h);
void whi_hub_abandon_flights(wh_hub *h);

/* hub_record.c: completions are queued by the transport's callback and recorded in batches */
void whi_hub_on_done(const wh_http_response *resp, void *ud); /* takes the lock itself */
void whi_hub_flush_done(wh_hub *h);                           /* call with the lock held */
/* A lease to take in the same store call as the records (whi_hub_flush_done_lease). */
typedef struct whi_hub_lease {
    const wh_lease_request *req;
    wh_store_delivery_cb cb;
    void (*forget)(void *user_data); /* drop what cb received (the combined call failed) */
    void *user_data;
} whi_hub_lease;
/* Record what completed, then lease: in one store call (one transaction) when the store has
 * record_and_lease. Returns the lease's result; recording errors are logged. Lock held. */
int whi_hub_flush_done_lease(wh_hub *h, const whi_hub_lease *lease);
void whi_hub_flight_free(hub_flight *f);

/* hub_outcome.c: what an attempt's response means */
typedef struct whi_verdict {
    wh_delivery_status status; /* SUCCEEDED, PENDING (retry) or FAILED */
    wh_time_ms next_attempt_at;
    bool disable;
    char reason[320]; /* why the attempt failed (and, if so, that the webhook was disabled) */
    char disable_reason[128]; /* why the subscription is disabled */
} whi_verdict;

void whi_hub_judge(const wh_hub *h, const wh_subscription *sub, uint32_t attempt,
                   const wh_http_response *resp, wh_time_ms now, whi_verdict *v,
                   wh_sub_stats *stats);

#endif
