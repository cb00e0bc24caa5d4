/*
 * Matching: which subscriptions receive an event.
 *
 * A wh_matcher indexes subscriptions by exact event type, by wildcard prefix and by entity, so
 * the cost of matching one event grows with the number of subscriptions it reaches, not with
 * the number indexed. It is pure: no I/O, no clock, no locks.
 *
 * It matches by the rules of wh_subscription_matches (webhooks/subscription.h).
 *
 * Threading: one writer, many readers. wh_matcher_match does not modify the matcher, so any
 * number of threads may match at the same time, each with its own wh_match_result. Changes
 * (add, update, remove, free) need exclusive access: the host provides the lock.
 */
#ifndef WEBHOOKS_MATCH_H
#define WEBHOOKS_MATCH_H

#include "webhooks/common.h"
#include "webhooks/event.h"
#include "webhooks/subscription.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wh_matcher wh_matcher;
typedef struct wh_match_result wh_match_result;

/* Create an empty matcher. *out is owned by the caller: free with wh_matcher_free. WH_ENOMEM. */
WH_EXTERN int wh_matcher_new(wh_matcher **out);
/* Free the matcher and its index (never the subscriptions it borrowed). NULL is a no-op. */
WH_EXTERN void wh_matcher_free(wh_matcher *m);

/*
 * Index sub under its id. The matcher BORROWS sub: the caller keeps it alive and unchanged
 * until it is removed (wh_matcher_remove) or re-indexed (wh_matcher_update), or the matcher is
 * freed. The matcher keeps its own copy of the id and of the keys it indexed under.
 * WH_ECONFLICT if a subscription with that id is already indexed; WH_EINVAL for a NULL
 * argument or an invalid pattern; WH_ENOMEM (the matcher is then unchanged); WH_EFULL after
 * 2^40 (over 10^12) additions to one matcher, which no host reaches. Inactive subscriptions are
 * kept (so that wh_matcher_update can activate them) but not indexed.
 */
WH_EXTERN int wh_matcher_add(wh_matcher *m, const wh_subscription *sub);
/*
 * Re-index the subscription with sub's id after it changed (or to swap in another object with
 * the same id): from now on sub is the borrowed pointer, under the same terms as
 * wh_matcher_add, and the previous pointer is no longer read. The subscription keeps its place
 * in the order of results. WH_ENOTFOUND if the id is not indexed; WH_ENOMEM (unchanged).
 */
WH_EXTERN int wh_matcher_update(wh_matcher *m, const wh_subscription *sub);
/* Forget the subscription with that id; the caller may free it afterwards. WH_ENOTFOUND. */
WH_EXTERN int wh_matcher_remove(wh_matcher *m, const char *id);
/* Number of subscriptions indexed (active or not). */
WH_EXTERN size_t wh_matcher_count(const wh_matcher *m);
/* The subscription indexed under id (borrowed, as given to add/update), or NULL. */
WH_EXTERN const wh_subscription *wh_matcher_get(const wh_matcher *m, const char *id);

/*
 * A match result: the caller's, reusable across matches (it keeps its capacity, so matching
 * in a steady state allocates nothing). *out: free with wh_match_result_free.
 */
WH_EXTERN int wh_match_result_new(wh_match_result **out);
WH_EXTERN void wh_match_result_free(wh_match_result *r); /* NULL is a no-op */
WH_EXTERN size_t wh_match_result_count(const wh_match_result *r);
/* The i-th matching subscription, or NULL when out of range. The pointer is the one given to
 * wh_matcher_add/update: valid until the matcher next changes (after which the host may have
 * freed it). */
WH_EXTERN const wh_subscription *wh_match_result_at(const wh_match_result *r, size_t i);

/*
 * Fill r with the subscriptions that receive ev: each listed once, in the order they were
 * added (an update keeps a subscription's place). r's previous contents are replaced.
 * WH_EINVAL for a NULL argument; WH_ENOMEM when r could not grow (r is then empty).
 */
WH_EXTERN int wh_matcher_match(const wh_matcher *m, const wh_event *ev, wh_match_result *r);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_MATCH_H */
