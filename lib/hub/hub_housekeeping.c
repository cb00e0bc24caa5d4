/*
 * Retention: the hub removes finished deliveries older than retention_ms itself, so that a
 * long-running host does not grow without bound (the anchors do the same: Svix keeps 90 days,
 * Convoy 30). Called by wh_hub_run between rounds, under the run lock and outside the hub's
 * lock, so emits and other threads never wait for it. It never holds delivery back: one batch
 * of WH_HUB_PURGE_BATCH per round at most (a round waits for one short transaction, not for a
 * purge of everything), at most a quarter of the time while old deliveries are left (a batch
 * that took d waits 3d before the next), and a minute's rest once none is.
 */
#include "hub_impl.h"
#include "error.h"
#include "rfc3339.h"

#define IDLE_MS        (60 * 1000)   /* nothing old left: look again after this */
#define WHOLE_PURGE_MS (3600 * 1000) /* a store without purge_some: purge whole this often */
#define DUTY_PAUSE     3             /* pause after a batch, in units of its duration */

static bool has_purge_some(const wh_store *s)
{
    return s->version >= 3 && s->purge_some;
}

/* One batch; true when it was full (more may be left). */
static bool purge_batch(wh_hub *h, wh_time_ms now)
{
    size_t removed = 0;
    int rc;
    bool more = false;
    if (has_purge_some(h->store)) {
        rc = h->store->purge_some(h->store, now - h->opts.retention_ms, WH_HUB_PURGE_BATCH,
                                  &removed);
        more = rc == WH_OK && removed == WH_HUB_PURGE_BATCH;
        h->housekeep.at = more ? now : now + IDLE_MS;
    } else {
        rc = h->store->purge(h->store, now - h->opts.retention_ms, &removed);
        h->housekeep.at = now + WHOLE_PURGE_MS;
    }
    if (rc != WH_OK)
        whi_hub_log(h, WH_LOG_ERROR, "retention: cannot purge finished deliveries: %s",
                    wh_error_last()->message);
    else if (removed)
        whi_hub_log(h, WH_LOG_DEBUG, "retention: %zu finished deliveries purged", removed);
    return more;
}

bool whi_hub_housekeep(wh_hub *h)
{
    if (!h->opts.retention_ms) return false;
    wh_time_ms now = whi_hub_now(h);
    if (now < h->housekeep.at) return false; /* the common case: one comparison a round */
    int64_t start = whi_monotonic_us();
    if (start < h->housekeep.resume_us) return true; /* pausing between batches */
    bool more = purge_batch(h, now);
    int64_t took = whi_monotonic_us() - start;
    h->housekeep.resume_us = more ? start + took + DUTY_PAUSE * took : 0;
    return more;
}
