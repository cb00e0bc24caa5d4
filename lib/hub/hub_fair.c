/*
 * How the hub shares its request slots between subscriptions, so that slow endpoints never
 * starve fast ones (the rules are in docs/delivery.md, "Sharing the slots").
 *
 * Each subscription has its own concurrency, between 1 and max_in_flight_per_subscription. It
 * starts at WHI_FAIR_START and grows by one with every request that completes in time, or with
 * any that completes while slots are plentiful. A subscription is slow while its requests take
 * longer than slow_after_ms on average, or its oldest request in flight has been waiting that
 * long. Slow subscriptions together hold at most max_in_flight minus a reserve of a quarter of
 * it, shared equally between them, so a quarter of the slots is always there for the others;
 * when slots are scarce (three quarters in use), a slow subscription's concurrency also halves,
 * at most once per slow_after_ms. Alone, a slow endpoint still grows to its full concurrency.
 *
 * Times are measured on the monotonic clock, not the hub's (injectable) one: a test that jumps
 * the hub's clock by hours must not make every endpoint look slow.
 */
#include "hub_impl.h"
#include "rfc3339.h"

/* The weight of a new duration in the running average, out of 8. */
#define EWMA_NEW 2

static size_t per_sub_max(const wh_hub *h)
{
    return h->opts.max_in_flight_per_subscription;
}

/* The slots slow subscriptions may hold together: all but a reserve of a quarter (at least 1,
 * unless there is only one slot). */
static size_t slow_budget(const wh_hub *h)
{
    size_t max = h->opts.max_in_flight, reserve = max / 4 ? max / 4 : 1;
    return max > reserve ? max - reserve : max;
}

void whi_fair_init(hub_sub *hs, const wh_hub *h)
{
    size_t start = WHI_FAIR_START < per_sub_max(h) ? WHI_FAIR_START : per_sub_max(h);
    hs->fair.cap = start ? start : 1;
}

void whi_fair_on_start(wh_hub *h, hub_sub *hs, int64_t mono_ms)
{
    if (hs->inflight == 0 || mono_ms < hs->fair.oldest_start) hs->fair.oldest_start = mono_ms;
    hs->inflight++;
    if (hs->fair.slow) h->fair.slow_inflight++; /* until the next round counts again */
}

/* Three quarters of the slots or more are in use. */
static bool scarce(const wh_hub *h)
{
    return h->inflight >= slow_budget(h);
}

void whi_fair_on_done(const wh_hub *h, hub_sub *hs, int64_t started, int64_t mono_ms)
{
    int64_t took = mono_ms - started;
    if (took < 0) took = 0;
    hs->fair.avg_ms = hs->fair.samples
                          ? (hs->fair.avg_ms * (8 - EWMA_NEW) + (uint64_t)took * EWMA_NEW) / 8
                          : (uint64_t)took;
    hs->fair.samples++;
    bool timely = (uint64_t)took < h->opts.slow_after_ms;
    if ((timely || !scarce(h)) && hs->fair.cap < per_sub_max(h)) hs->fair.cap++;
}

/* Whether hs counts as slow now (its oldest_start is fresh: see whi_fair_round). */
static bool is_slow(const wh_hub *h, const hub_sub *hs, int64_t mono_ms)
{
    if (hs->fair.samples && hs->fair.avg_ms >= h->opts.slow_after_ms) return true;
    return hs->inflight && mono_ms - hs->fair.oldest_start >= (int64_t)h->opts.slow_after_ms;
}

void whi_fair_round(wh_hub *h)
{
    int64_t now = whi_monotonic_ms();
    /* Each subscription's oldest request in flight (requests complete in any order). */
    for (hub_flight *f = h->flights; f; f = f->next) {
        hub_sub *hs = whi_hub_cache_get(h, f->subscription_id);
        if (hs) hs->fair.seen = false;
    }
    h->fair.slow_subs = h->fair.slow_inflight = 0;
    for (hub_flight *f = h->flights; f; f = f->next) {
        hub_sub *hs = whi_hub_cache_get(h, f->subscription_id);
        if (!hs) continue;
        if (!hs->fair.seen || f->started_mono < hs->fair.oldest_start)
            hs->fair.oldest_start = f->started_mono;
        hs->fair.seen = true;
    }
    for (hub_flight *f = h->flights; f; f = f->next) {
        hub_sub *hs = whi_hub_cache_get(h, f->subscription_id);
        if (!hs || !hs->fair.seen) continue;
        hs->fair.seen = false; /* count each subscription once */
        hs->fair.slow = is_slow(h, hs, now);
        if (!hs->fair.slow) continue;
        h->fair.slow_subs++;
        h->fair.slow_inflight += hs->inflight;
        /* Multiplicative decrease while slots are scarce, once per slow period. */
        if (scarce(h) && now - hs->fair.decreased_at >= (int64_t)h->opts.slow_after_ms) {
            hs->fair.cap = hs->fair.cap > 1 ? hs->fair.cap / 2 : 1;
            hs->fair.decreased_at = now;
        }
    }
}

bool whi_fair_may_start(const wh_hub *h, const hub_sub *hs)
{
    size_t cap = hs->fair.cap;
    if (hs->fair.slow && hs->inflight) {
        if (h->fair.slow_inflight >= slow_budget(h)) return false;
        size_t share = slow_budget(h) / (h->fair.slow_subs ? h->fair.slow_subs : 1);
        if (share < cap) cap = share ? share : 1;
    }
    return hs->inflight < cap;
}
