/*
 * The hub: the delivery engine. It owns (or borrows) a store and a transport, keeps an index of
 * the store's subscriptions, and turns emitted events into signed HTTP requests, retried until
 * they succeed or the subscription's policy gives up, with every attempt recorded.
 *
 *   wh_hub_emit(event)   match -> render URL/headers/body -> enqueue (durable before it returns)
 *   wh_hub_run(timeout)  lease due deliveries -> sign -> send -> record outcomes
 *
 * The host owns the loop: wh_hub_run does one bounded round of work and returns; there are no
 * hidden threads. wh_hub_timeout_ms and wh_hub_pollfds let a host fold the hub into its own
 * poll/epoll/libuv loop.
 *
 * Threading: every function may be called from any thread; the hub serialises them with its
 * own lock. wh_hub_run itself must not run in two threads at once (WH_EBUSY). A thread emitting
 * while another sits in wh_hub_run wakes it up.
 */
#ifndef WEBHOOKS_HUB_H
#define WEBHOOKS_HUB_H

#include "webhooks/common.h"
#include "webhooks/event.h"
#include "webhooks/subscription.h"
#include "webhooks/sys/store.h"
#include "webhooks/sys/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wh_hub wh_hub;

typedef enum wh_log_level {
    WH_LOG_ERROR = 0,
    WH_LOG_WARN = 1,
    WH_LOG_INFO = 2,
    WH_LOG_DEBUG = 3
} wh_log_level;

/* Log lines never contain secrets or signatures. */
typedef void (*wh_log_cb)(int level, const char *message, void *user_data);
/* The hub's clock, in ms since the Unix epoch (tests inject one to move time). */
typedef wh_time_ms (*wh_clock_cb)(void *user_data);
/* Told when the hub disables a subscription (410 Gone, or too many failures). Called without
 * the hub's lock held, so it may call the hub. */
typedef void (*wh_disable_cb)(const char *subscription_id, const char *reason, void *user_data);

#define WH_HUB_OPTIONS_VERSION 1
typedef struct wh_hub_options {
    unsigned int version;    /* WH_HUB_OPTIONS_VERSION */
    wh_store *store;         /* NULL: a memory store (owned by the hub) */
    int own_store;           /* non-zero: wh_hub_free frees store */
    wh_transport *transport; /* NULL: the libcurl transport (owned by the hub) */
    int own_transport;       /* non-zero: wh_hub_free frees transport */
    wh_clock_cb clock;       /* NULL: the system's wall clock */
    void *clock_user_data;
    wh_log_cb log; /* NULL: no logging */
    void *log_user_data;
    int log_level; /* most verbose level passed to log (WH_LOG_INFO) */
    wh_disable_cb on_disable;
    void *on_disable_user_data;
    size_t max_in_flight;                  /* requests in flight in all (64) */
    size_t max_in_flight_per_subscription; /* requests in flight to one subscription (8) */
    uint32_t connect_timeout_ms;           /* default connect timeout (10 000) */
    uint32_t total_timeout_ms;             /* default whole-request timeout (30 000) */
    size_t max_response_bytes;  /* response body read at most (64 KiB); more is dropped */
    size_t max_body_bytes;      /* rendered body limit (1 MiB) */
    uint32_t retry_after_cap_s; /* longest Retry-After honoured (3600) */
    uint32_t
        disable_after_failures;     /* consecutive failed attempts before disabling (20; 0 never) */
    wh_time_ms disable_after_ms;    /* failing for longer than this disables (5 days; 0 never) */
    int jitter_percent;             /* retry delay jitter, +/- percent (20; 0 none; max 100) */
    const char *user_agent;         /* NULL: "libwebhooks/<version>" */
    const char *const *allow_cidrs; /* SSRF guard: ranges allowed despite the defaults */
    size_t allow_cidr_count;
    int require_https; /* refuse http:// endpoints */
    uint32_t lease_ms; /* how long a leased delivery is ours (0: total timeout + 30 s) */
    int shared_queue;  /* non-zero: other workers share the store, so leases left
                          by a previous run are not reclaimed at start */
    /* The retry policy given to subscriptions added without one of their own (no "retry" in
     * their JSON, no retry setter called): default_retry_count delays (seconds) from
     * default_retry_schedule, or retries off with default_retry_off. Count 0 and not off: the
     * library's default (the Standard Webhooks schedule). */
    const uint32_t *default_retry_schedule;
    size_t default_retry_count;
    int default_retry_off;
} wh_hub_options;

#define WH_HUB_OPTIONS_INIT                                                                        \
    {                                                                                              \
        WH_HUB_OPTIONS_VERSION, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, WH_LOG_INFO, NULL, NULL, \
            64, 8, 10000, 30000, 65536, 1024 * 1024, 3600, 20, 5LL * 24 * 3600 * 1000, 20, NULL,   \
            NULL, 0, 0, 0, 0, NULL, 0, 0                                                           \
    }

/*
 * Create a hub (opts NULL: all defaults). Loads every subscription from the store into its
 * index and, unless opts->shared_queue, makes deliveries left in flight by a crashed run due
 * again. *out is owned by the caller: free with wh_hub_free. Strings in opts are copied.
 * WH_EINVAL for a bad option (e.g. an invalid CIDR), a store error, WH_ENOMEM. On failure the
 * store and transport passed in are not freed, whatever own_store / own_transport say.
 */
WH_EXTERN int wh_hub_new(wh_hub **out, const wh_hub_options *opts);
/* Stop: requests in flight are abandoned and their deliveries given back to the queue (nothing
 * is lost; they are sent again by the next run). Frees the store and transport if owned. */
WH_EXTERN void wh_hub_free(wh_hub *hub);

/*
 * Emit an event: every active subscription it matches gets one delivery, rendered now and
 * stored before this returns. A delivery whose URL, headers or body cannot be rendered (a
 * placeholder the event lacks) is stored as failed with the reason, without holding back the
 * others. *queued (may be NULL) receives the number of deliveries created (failed ones
 * included). ev is borrowed for the call. WH_EINVAL, or the store's error (then nothing was
 * stored).
 */
WH_EXTERN int wh_hub_emit(wh_hub *hub, const wh_event *ev, size_t *queued);
/* Emit count events at once: like wh_hub_emit for each, but every delivery of every event is
 * stored in one atomic batch (all or nothing), which a store that syncs to disk does in one
 * transaction. *queued (may be NULL) receives the total number of deliveries created. */
WH_EXTERN int wh_hub_emit_batch(wh_hub *hub, const wh_event *const *events, size_t count,
                                size_t *queued);
/* Emit ev to the matching subscriptions whose owner is owner, and no others (a multi-tenant
 * host emitting on one tenant's behalf: the registration API's POST /events). Atomic like
 * wh_hub_emit. */
WH_EXTERN int wh_hub_emit_owner(wh_hub *hub, const wh_event *ev, const char *owner, size_t *queued);
/* Emit ev to one subscription only, whatever its event filters say (its status must be
 * active): the registration API's "send a test event". WH_ENOTFOUND, WH_ESTATE. */
WH_EXTERN int wh_hub_emit_to(wh_hub *hub, const wh_event *ev, const char *subscription_id);

/*
 * One bounded round of delivery work: finish what completed, start what is due, and wait at
 * most timeout_ms (0: not at all) for more to complete or become due. Returns WH_OK, WH_EBUSY
 * when another thread is already running the hub, or a store error.
 */
WH_EXTERN int wh_hub_run(wh_hub *hub, int timeout_ms);
/* Milliseconds until wh_hub_run has work (0: now), or -1 when nothing is scheduled. */
WH_EXTERN int wh_hub_timeout_ms(wh_hub *hub);
/* The next time (hub clock) something is due or a request needs attention, in *at;
 * WH_ENOTFOUND when nothing is scheduled. */
WH_EXTERN int wh_hub_next_deadline(wh_hub *hub, wh_time_ms *at);
/* Descriptors for a host's poll loop: the hub's wake-up descriptor (always fds[0]), then the
 * transport's sockets,
 * up to max into fds, *count the number needed. Poll them for at most wh_hub_timeout_ms, then
 * call wh_hub_run(hub, 0). */
WH_EXTERN int wh_hub_pollfds(wh_hub *hub, wh_pollfd *fds, size_t max, size_t *count);
/* Requests in flight now. */
WH_EXTERN size_t wh_hub_in_flight(wh_hub *hub);

/* ---- subscriptions, kept in step in the store and the hub's index ---- */
/* Validate and store a copy of sub (also checks the URL against the SSRF policy and compiles its
 * templates). WH_EINVAL with details, WH_ECONFLICT for an existing id. */
WH_EXTERN int wh_hub_subscription_add(wh_hub *hub, const wh_subscription *sub);
/* A copy of the stored subscription in *out (free with wh_subscription_free). WH_ENOTFOUND. */
WH_EXTERN int wh_hub_subscription_get(wh_hub *hub, const char *id, wh_subscription **out);
/* Replace the stored subscription of the same id (its delivery stats are kept). */
WH_EXTERN int wh_hub_subscription_replace(wh_hub *hub, const wh_subscription *sub);
/* Apply a JSON merge patch (wh_subscription_patch_json); *out (may be NULL) gets a copy. */
WH_EXTERN int wh_hub_subscription_patch(wh_hub *hub, const char *id, const char *json, size_t len,
                                        wh_subscription **out);
/* Delete a subscription with its queued deliveries and attempts. WH_ENOTFOUND. */
WH_EXTERN int wh_hub_subscription_delete(wh_hub *hub, const char *id);
/* Rotate its secret (wh_subscription_rotate_secret with the hub's clock); *secret_out (may be
 * NULL) receives the new secret, free with wh_free. */
WH_EXTERN int wh_hub_subscription_rotate_secret(wh_hub *hub, const char *id, const char *new_secret,
                                                wh_time_ms overlap_ms, char **secret_out);

/* ---- deliveries ---- */
/* Send a delivery again (same idempotency key) at the next run. WH_ENOTFOUND, WH_ESTATE. */
WH_EXTERN int wh_hub_replay(wh_hub *hub, const char *delivery_id);
/* Send again every finished delivery of a subscription created at or after since. */
WH_EXTERN int wh_hub_replay_since(wh_hub *hub, const char *subscription_id, wh_time_ms since,
                                  size_t *count);

/* The store the hub uses (borrowed: valid until wh_hub_free), for listings and logs. */
WH_EXTERN wh_store *wh_hub_store(wh_hub *hub);
/* The hub's clock now. */
WH_EXTERN wh_time_ms wh_hub_now(wh_hub *hub);

/* ---- for bindings: the options and callbacks without structs ---- */
/*
 * wh_hub_new with its options as a JSON object (NULL or "" for the defaults), for bindings that
 * cannot fill wh_hub_options. Keys are the members' camelCase names, with the same meaning,
 * defaults and limits: maxInFlight, maxInFlightPerSubscription, connectTimeoutMs,
 * totalTimeoutMs, maxResponseBytes, maxBodyBytes, retryAfterCapS, disableAfterFailures,
 * disableAfterMs, jitterPercent (whole numbers >= 0), userAgent (string or null), allowCidrs
 * (array of strings), requireHttps, sharedQueue (booleans), leaseMs, defaultRetrySchedule
 * (array of delays in seconds), defaultRetryOff (boolean). Two more configure the
 * built-in libcurl transport (see wh_curl_options): caFile (a PEM file) and
 * maxIdleConnections. store: NULL for a memory store owned by the hub; own_store non-zero makes
 * wh_hub_free free store. The callbacks are set with the setters below.
 * *out is owned by the caller: free with wh_hub_free. WH_EINVAL for malformed JSON, an unknown
 * key, a wrong type or a bad value (one detail per problem, the message names the first), and
 * the errors of wh_hub_new. On any error *out is NULL and the caller still owns store.
 */
WH_EXTERN int wh_hub_new_json(wh_hub **out, wh_store *store, int own_store,
                              const char *options_json);
/* Setters for the callbacks of wh_hub_options (NULL cb turns one off). Meant for setup, before
 * wh_hub_run is first called; they take the hub's lock, so a call already under way may still
 * use the previous callback. The log callback runs with the hub's lock held: it must not call
 * the hub. level: WH_LOG_ERROR..WH_LOG_DEBUG, the most verbose level passed (else WH_EINVAL). */
WH_EXTERN int wh_hub_set_log(wh_hub *hub, wh_log_cb cb, int level, void *user_data);
WH_EXTERN int wh_hub_set_on_disable(wh_hub *hub, wh_disable_cb cb, void *user_data);
/* Replace the hub's clock (NULL: the system's wall clock again), e.g. to move time in tests. */
WH_EXTERN int wh_hub_set_clock(wh_hub *hub, wh_clock_cb cb, void *user_data);
/* wh_hub_pollfds as two int arrays: fds[i] and events[i] (the poll(2) bits POLLIN / POLLOUT,
 * 1 and 4 on Linux) for i < min(max, *count). fds and events may be NULL when max is 0 (to ask
 * for the count). */
WH_EXTERN int wh_hub_pollfds_flat(wh_hub *hub, int *fds, int *events, size_t max, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_HUB_H */
