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
#include "webhooks/store.h"
#include "webhooks/transport.h"

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

/*
 * The hub's options: an opaque object with one setter per option, so that C hosts and bindings
 * configure a hub the same way, without struct layouts. Create with wh_hub_options_new (every
 * option at its default), set what differs, pass to wh_hub_new, then free with
 * wh_hub_options_free (an options object may be freed or reused once the hub exists; the hub
 * keeps its own copy). Every setter returns WH_OK, or WH_EINVAL for a NULL object or a value out
 * of range, leaving the option unchanged (the message names the option and its range). Strings
 * are copied.
 */
typedef struct wh_hub_options wh_hub_options;

WH_EXTERN int wh_hub_options_new(wh_hub_options **out);
WH_EXTERN void wh_hub_options_free(wh_hub_options *opts); /* NULL is a no-op */

/* ---- the ports ---- */
/* The store (default NULL: a memory store the hub makes and owns). own non-zero: wh_hub_free
 * frees it. Borrowed until then: it must outlive the hub. */
WH_EXTERN int wh_hub_options_set_store(wh_hub_options *opts, wh_store *store, int own);
/* The transport (default NULL: a libcurl transport the hub makes and owns, configured with the
 * timeouts below, wh_hub_options_set_ca_file and _set_max_idle_connections). own as for the
 * store. */
WH_EXTERN int wh_hub_options_set_transport(wh_hub_options *opts, wh_transport *transport, int own);
/* For the libcurl transport the hub makes itself (ignored when a transport is set): an extra CA
 * bundle (PEM file) to trust (default NULL: the system's only), and connections kept open for
 * reuse (default 256, 0..1 000 000; unless 0, at least max_in_flight, as libcurl counts the
 * connections in use among them). */
WH_EXTERN int wh_hub_options_set_ca_file(wh_hub_options *opts, const char *path);
WH_EXTERN int wh_hub_options_set_max_idle_connections(wh_hub_options *opts, size_t n);

/* ---- callbacks (NULL cb turns one off) ---- */
/* The hub's clock (default: the system's wall clock), e.g. to move time in tests. */
WH_EXTERN int wh_hub_options_set_clock(wh_hub_options *opts, wh_clock_cb cb, void *user_data);
/* Logging (default: none), up to level (WH_LOG_ERROR..WH_LOG_DEBUG; default WH_LOG_INFO). The
 * callback runs with the hub's lock held: it must not call the hub. */
WH_EXTERN int wh_hub_options_set_log(wh_hub_options *opts, wh_log_cb cb, int level,
                                     void *user_data);
/* Told when the hub disables a subscription (default: nobody). */
WH_EXTERN int wh_hub_options_set_on_disable(wh_hub_options *opts, wh_disable_cb cb,
                                            void *user_data);

/* ---- delivery limits ---- */
/* Requests in flight in all (default 64; 1..1 000 000) and to one subscription (default 8;
 * 1..1 000 000). */
WH_EXTERN int wh_hub_options_set_max_in_flight(wh_hub_options *opts, size_t n);
WH_EXTERN int wh_hub_options_set_max_in_flight_per_subscription(wh_hub_options *opts, size_t n);
/* When a subscription counts as slow (default 1 000 ms; 1..600 000): its requests take this
 * long on average, or one has been in flight this long. A subscription's concurrency starts at
 * 2, grows by one per request completing faster, and halves (once per period) while it is
 * slow; slow subscriptions together hold at most three quarters of max_in_flight, shared
 * equally, so slow endpoints never take the slots a fast one needs. */
WH_EXTERN int wh_hub_options_set_slow_after_ms(wh_hub_options *opts, uint32_t ms);
/* Timeouts of a request whose subscription sets none: connecting (default 10 000 ms) and the
 * whole request (default 30 000 ms); 1 ms .. 1 hour. */
WH_EXTERN int wh_hub_options_set_connect_timeout_ms(wh_hub_options *opts, uint32_t ms);
WH_EXTERN int wh_hub_options_set_total_timeout_ms(wh_hub_options *opts, uint32_t ms);
/* Response body read at most (default 64 KiB; 1 byte .. 64 MiB); the rest is dropped. */
WH_EXTERN int wh_hub_options_set_max_response_bytes(wh_hub_options *opts, size_t n);
/* Rendered body limit (default 1 MiB; 1 byte .. WH_STORE_MAX_BODY_LEN). */
WH_EXTERN int wh_hub_options_set_max_body_bytes(wh_hub_options *opts, size_t n);
/* How long a leased delivery is this hub's (default 0: the total timeout + 30 s). */
WH_EXTERN int wh_hub_options_set_lease_ms(wh_hub_options *opts, uint32_t ms);
/* Non-zero: other workers share the store, so leases left by a previous run are not reclaimed
 * when the hub starts (default 0: they are, as after a crash of the only worker). */
WH_EXTERN int wh_hub_options_set_shared_queue(wh_hub_options *opts, int shared);
/* Event idempotency: how long the store remembers an event id it accepted (default 24 hours;
 * 0 turns it off; at most 366 days). An event emitted again with that id meanwhile (wh_hub_emit,
 * wh_hub_emit_batch, wh_hub_emit_owner, POST /events), through this hub or any other process
 * sharing the store, creates no delivery: the emit returns WH_ECONFLICT. An event is accepted
 * even when it matches no subscription. Needs a store that remembers event ids (the built-in
 * ones do; a store without enqueue_events accepts every event). */
WH_EXTERN int wh_hub_options_set_event_id_window_ms(wh_hub_options *opts, wh_time_ms ms);
/* The User-Agent header (default NULL: "libwebhooks/<version>"); no CR, LF or NUL. */
WH_EXTERN int wh_hub_options_set_user_agent(wh_hub_options *opts, const char *user_agent);

/* ---- housekeeping ---- */
/* How long finished deliveries (SUCCEEDED or FAILED) and their attempts are kept (default 30
 * days; 0: forever, the host purges with wh_store_purge). The hub removes older ones itself,
 * between rounds of wh_hub_run, at most WH_HUB_PURGE_BATCH per round and only while there are
 * some to remove (otherwise it looks again a minute later), so housekeeping never holds back
 * delivery. Stores older than version 3 of the port are purged whole, at most once an hour. */
WH_EXTERN int wh_hub_options_set_retention_ms(wh_hub_options *opts, wh_time_ms ms);
#define WH_HUB_PURGE_BATCH 256

/* ---- retries and disabling ---- */
/* The retry policy of subscriptions added without one of their own (no "retry" in their JSON,
 * no retry setter called): count delays in seconds (1..WH_MAX_RETRY_STEPS, each at most
 * WH_MAX_RETRY_DELAY_S), copied; count 0: the library's default (the Standard Webhooks
 * schedule). */
WH_EXTERN int wh_hub_options_set_default_retry_schedule(wh_hub_options *opts,
                                                        const uint32_t *delays_s, size_t count);
/* Non-zero: subscriptions without a policy of their own are not retried (default 0). */
WH_EXTERN int wh_hub_options_set_default_retry_off(wh_hub_options *opts, int off);
/* Both of the above from a named preset ("standard", "none", "commerce", "cakto": see
 * wh_subscription_set_retry_preset). WH_EINVAL for an unknown name (the options unchanged). */
WH_EXTERN int wh_hub_options_set_default_retry_preset(wh_hub_options *opts, const char *name);
/* Retry delay jitter, +/- percent (default 20; 0..100). */
WH_EXTERN int wh_hub_options_set_jitter_percent(wh_hub_options *opts, int percent);
/* Longest Retry-After honoured, in seconds (default 3600). */
WH_EXTERN int wh_hub_options_set_retry_after_cap_s(wh_hub_options *opts, uint32_t s);
/* Consecutive failed attempts before a subscription is disabled (default 20; 0: never). */
WH_EXTERN int wh_hub_options_set_disable_after_failures(wh_hub_options *opts, uint32_t n);
/* Failing for longer than this disables it (default 5 days; 0: never; negative: WH_EINVAL). */
WH_EXTERN int wh_hub_options_set_disable_after_ms(wh_hub_options *opts, wh_time_ms ms);

/* ---- the SSRF guard (webhooks/urlguard.h) ---- */
/* Allow a range the guard refuses by default ("127.0.0.0/8", "10.1.2.3", "fd00::/8"). WH_EINVAL
 * for a malformed range. */
WH_EXTERN int wh_hub_options_allow_cidr(wh_hub_options *opts, const char *cidr);
/* Non-zero: refuse http:// endpoints (default 0). */
WH_EXTERN int wh_hub_options_set_require_https(wh_hub_options *opts, int on);

/*
 * Create a hub (opts NULL: all defaults; opts is read during the call only). Loads every
 * subscription from the store into its index and, unless the queue is shared, makes deliveries
 * left in flight by a crashed run due again. *out is owned by the caller: free with wh_hub_free.
 * WH_EINVAL, a store error, WH_ENOMEM. On failure the store and transport set in opts are not
 * freed, whatever their ownership flag says.
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
 * included). ev is borrowed for the call. WH_EINVAL; WH_ECONFLICT when the store already
 * accepted an event with this id within the event id window (wh_hub_options_set_event_id_window_ms:
 * nothing is stored, the first emit's deliveries stand); or the store's error (then nothing was
 * stored).
 */
WH_EXTERN int wh_hub_emit(wh_hub *hub, const wh_event *ev, size_t *queued);
/* Emit count events at once: like wh_hub_emit for each, but every delivery of every event is
 * stored in one atomic batch (all or nothing), which a store that syncs to disk does in one
 * transaction. *queued (may be NULL) receives the total number of deliveries created. One
 * event id accepted before (or given twice) refuses the whole batch with WH_ECONFLICT. */
WH_EXTERN int wh_hub_emit_batch(wh_hub *hub, const wh_event *const *events, size_t count,
                                size_t *queued);
/* Emit ev to the matching subscriptions whose owner is owner, and no others (a multi-tenant
 * host emitting on one tenant's behalf: the registration API's POST /events). Atomic like
 * wh_hub_emit. */
WH_EXTERN int wh_hub_emit_owner(wh_hub *hub, const wh_event *ev, const char *owner, size_t *queued);
/* Emit ev to one subscription only, whatever its event filters say (its status must be
 * active): the registration API's "send a test event". WH_ENOTFOUND, WH_ESTATE. Its event id is
 * not remembered (event idempotency is for wh_hub_emit and its siblings). */
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
/* Descriptors for a host's poll loop: the hub's wake-up descriptor (always fds[0]), then a
 * shared store's (PostgreSQL: readable when another process enqueued work), then the transport's
 * sockets, up to max into fds, *count the number needed (one per connection: thousands with
 * thousands of requests in flight). Poll them for at most wh_hub_timeout_ms, then call
 * wh_hub_run(hub, 0). */
WH_EXTERN int wh_hub_pollfds(wh_hub *hub, wh_pollfd *fds, size_t max, size_t *count);
/* The same as one descriptor (an epoll descriptor holding them all), fixed for the hub's life:
 * poll it for POLLIN for at most wh_hub_timeout_ms, then call wh_hub_run(hub, 0). The choice for
 * a host with many requests in flight; wh_hub_pollfds for a loop that cannot nest epoll (or not
 * on Linux). WH_EUNSUPPORTED when the transport has no single descriptor (transport port
 * version < 2, or its poll_fd is NULL). */
WH_EXTERN int wh_hub_fd(wh_hub *hub, int *fd);
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

/* Send again the FAILED deliveries of a subscription created at or after since (same
 * idempotency keys), e.g. those that failed while its endpoint was down or the subscription
 * disabled: disabling fails a subscription's queued deliveries at once (keeping them, with the
 * reason), and this brings them back. The subscription must be active (WH_ESTATE otherwise);
 * WH_ENOTFOUND. *count (may be NULL): how many. */
WH_EXTERN int wh_hub_recover(wh_hub *hub, const char *subscription_id, wh_time_ms since,
                             size_t *count);

/* The store the hub uses (borrowed: valid until wh_hub_free), for listings and logs. */
WH_EXTERN wh_store *wh_hub_store(wh_hub *hub);
/* The hub's clock now. */
WH_EXTERN wh_time_ms wh_hub_now(wh_hub *hub);

/* ---- for bindings ---- */
/* wh_hub_pollfds as two int arrays: fds[i] and events[i] (the poll(2) bits POLLIN / POLLOUT,
 * 1 and 4 on Linux) for i < min(max, *count). fds and events may be NULL when max is 0 (to ask
 * for the count). */
WH_EXTERN int wh_hub_pollfds_flat(wh_hub *hub, int *fds, int *events, size_t max, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_HUB_H */
