/*
 * Per-endpoint pacing (docs/delivery.md, "Pacing and throttling"): a subscription's rate limit
 * (a token bucket) and the hub's reaction to an endpoint that says it is overloaded (429, 502,
 * 503, 504). Both hold a whole endpoint back: its deliveries stay queued and are left out of
 * the lease until it may send again; none is failed for it.
 *
 * Throttling, the exact rule: each such answer halves the endpoint's concurrency (hub_fair.c,
 * at least 1) and, with a rate limit, its rate (at most down to a sixteenth), and pauses the
 * endpoint: for Retry-After (429 and 503; capped by retry_after_cap_s), else for 1 s doubling
 * with each consecutive such answer up to 60 s. Every 2xx afterwards ends the streak and gives
 * back a quarter of the rate (x1.25, up to the configured rate); the concurrency grows back by
 * one per timely completion, as always.
 *
 * The state lives in a map by subscription id, beside the cache (a subscription replaced keeps
 * its bucket), holding only subscriptions that have a rate limit or were throttled, so a round
 * looks at those and no others. The bucket runs on the monotonic clock (a rate is real time);
 * a pause on the hub's clock, like the retry it goes with (Retry-After is a time on it), so a
 * host or test that moves the hub's clock moves both.
 */
#include <string.h>

#include "hub_impl.h"
#include "alloc.h"
#include "error.h"
#include "retry.h"
#include "rfc3339.h"
#include "subscription_impl.h"

#define MIN_FACTOR  (1.0 / 16)
#define PAUSE_FIRST 1000
#define PAUSE_MAX   60000

typedef struct hub_pace {
    double tokens;           /* the rate limit's bucket */
    int64_t refilled_at;     /* when tokens were last brought up to date */
    double factor;           /* share of the configured rate allowed now (throttling) */
    wh_time_ms paused_until; /* no request before this, on the hub's clock (0: none) */
    uint32_t throttles;      /* consecutive overloaded answers */
    char id[];
} hub_pace;

static hub_pace *pace_find(const wh_hub *h, const char *id)
{
    return whi_hmap_get(&h->paces, id, strlen(id));
}

static double capacity(const wh_subscription *s)
{
    return s->rate_burst ? s->rate_burst : s->rate_requests;
}

static hub_pace *pace_get(wh_hub *h, const wh_subscription *s, int64_t now)
{
    hub_pace *p = pace_find(h, s->id);
    if (p) return p;
    size_t len = strlen(s->id);
    if (!(p = whi_calloc(1, sizeof(*p) + len + 1))) return NULL;
    memcpy(p->id, s->id, len + 1);
    p->tokens = capacity(s);
    p->refilled_at = now;
    p->factor = 1;
    if (whi_hmap_put(&h->paces, p->id, len, p) != WH_OK) {
        whi_free(p);
        return NULL;
    }
    return p;
}

static void refill(hub_pace *p, const wh_subscription *s, int64_t now)
{
    if (!s->rate_requests) return;
    double per_ms = (double)s->rate_requests / s->rate_period_ms * p->factor;
    p->tokens += (double)(now - p->refilled_at) * per_ms;
    if (p->tokens > capacity(s)) p->tokens = capacity(s);
    p->refilled_at = now;
}

/* How long (ms) until p may send again, 0 if it may now. */
static int64_t wait_ms(hub_pace *p, const wh_subscription *s, int64_t mono, wh_time_ms hub_now)
{
    int64_t wait = p->paused_until > hub_now ? p->paused_until - hub_now : 0;
    if (!s->rate_requests) return wait;
    refill(p, s, mono);
    if (p->tokens >= 1) return wait;
    double per_ms = (double)s->rate_requests / s->rate_period_ms * p->factor;
    int64_t token = (int64_t)((1 - p->tokens) / per_ms) + 1;
    return token > wait ? token : wait;
}

bool whi_pace_may_start(wh_hub *h, const hub_sub *hs, int64_t mono, wh_time_ms hub_now)
{
    const wh_subscription *s = hs->sub;
    hub_pace *p = pace_find(h, s->id);
    if (!p && !s->rate_requests) return true;
    if (!p && !(p = pace_get(h, s, mono))) return true; /* out of memory: do not pace */
    return wait_ms(p, s, mono, hub_now) == 0;
}

void whi_pace_on_start(wh_hub *h, const hub_sub *hs, int64_t now)
{
    if (!hs->sub->rate_requests) return;
    hub_pace *p = pace_get(h, hs->sub, now);
    if (p) p->tokens -= 1;
}

static bool overloaded(int status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

/* How long an overloaded answer pauses the endpoint. */
static int64_t pause_ms(const wh_hub *h, const hub_pace *p, const wh_http_response *resp,
                        wh_time_ms hub_now)
{
    if ((resp->status == 429 || resp->status == 503) && resp->retry_after) {
        int64_t ra = whi_retry_after_ms(resp->retry_after, hub_now);
        int64_t cap = (int64_t)h->opts.retry_after_cap_s * 1000;
        if (ra >= 0) return ra > cap ? cap : ra;
    }
    int64_t ms = PAUSE_FIRST;
    for (uint32_t i = 1; i < p->throttles && ms < PAUSE_MAX; i++)
        ms *= 2;
    return ms > PAUSE_MAX ? PAUSE_MAX : ms;
}

void whi_pace_on_done(wh_hub *h, hub_sub *hs, const wh_http_response *resp, int64_t now,
                      wh_time_ms hub_now)
{
    const wh_subscription *s = hs->sub;
    if (resp->error_code == WH_OK && overloaded(resp->status)) {
        hub_pace *p = pace_get(h, s, now);
        if (!p) return;
        refill(p, s, now);
        p->throttles++;
        p->factor = p->factor / 2 < MIN_FACTOR ? MIN_FACTOR : p->factor / 2;
        wh_time_ms until = hub_now + pause_ms(h, p, resp, hub_now);
        if (until > p->paused_until) p->paused_until = until;
        hs->fair.cap = hs->fair.cap > 1 ? hs->fair.cap / 2 : 1;
        whi_hub_log(h, WH_LOG_INFO, "webhook %s: endpoint answered %d; paused for %lld ms", s->id,
                    resp->status, (long long)(p->paused_until - hub_now));
        return;
    }
    hub_pace *p = pace_find(h, s->id);
    if (!p || resp->error_code != WH_OK || resp->status < 200 || resp->status > 299) return;
    p->throttles = 0;
    refill(p, s, now);
    p->factor = p->factor * 1.25 > 1 ? 1 : p->factor * 1.25;
}

/* An entry that holds nothing back any more (no rate limit, not throttled, or a subscription
 * gone from the cache) is dropped as the round passes it. */
static bool idle(const hub_pace *p, const hub_sub *hs, wh_time_ms hub_now)
{
    if (!hs) return true;
    return !hs->sub->rate_requests && p->paused_until <= hub_now && p->factor >= 1;
}

size_t whi_pace_blocked(wh_hub *h, const char **ids, size_t max, int64_t mono, wh_time_ms hub_now,
                        int64_t *next_at)
{
    size_t n = 0;
    *next_at = -1;
    for (size_t i = 0; i < h->paces.cap;) {
        hub_pace *p = h->paces.slots[i].value;
        hub_sub *hs = p ? whi_hub_cache_get(h, p->id) : NULL;
        if (p && idle(p, hs, hub_now)) {
            whi_hmap_remove(&h->paces, p->id, strlen(p->id)); /* shifts a later one here */
            whi_free(p);
            continue;
        }
        i++;
        if (!p) continue;
        int64_t wait = wait_ms(p, hs->sub, mono, hub_now);
        if (wait == 0) continue;
        if (n < max) ids[n++] = p->id;
        if (*next_at < 0 || mono + wait < *next_at) *next_at = mono + wait;
    }
    return n;
}

size_t whi_pace_count(const wh_hub *h)
{
    return h->paces.n;
}

void whi_pace_free(wh_hub *h)
{
    for (size_t i = 0; i < h->paces.cap; i++)
        whi_free(h->paces.slots[i].value);
    whi_hmap_free(&h->paces);
}
