/*
 * What an attempt's response means: success, retry later (when, honouring Retry-After), or
 * give up; and how the subscription's stats move, including the automatic disable after too
 * many consecutive failures or too long a failing streak, and at once on 410 Gone.
 */
#include <stdio.h>
#include <string.h>

#include "hub_impl.h"
#include "subscription_impl.h"
#include "random.h"

static double random_unit(void)
{
    uint32_t r = 0;
    if (whi_random_bytes(&r, sizeof(r)) != WH_OK) return 0.5; /* no jitter rather than no retry */
    return (double)r / 4294967296.0;
}

static void describe_failure(const wh_http_response *resp, char *out, size_t n)
{
    if (resp->error_code != WH_OK)
        snprintf(out, n, "%s", resp->error ? resp->error : wh_strerror(resp->error_code));
    else if (resp->status >= 300 && resp->status < 400)
        snprintf(out, n, "endpoint answered %d (redirects are not followed)", resp->status);
    else
        snprintf(out, n, "endpoint answered %d", resp->status);
}

/* When the next attempt is due, or -1 to give up. */
static int64_t next_delay(const wh_hub *h, const wh_subscription *sub, uint32_t attempt,
                          const wh_http_response *resp, wh_time_ms now)
{
    int64_t delay = whi_retry_delay_ms(sub, attempt, h->opts.jitter_percent, random_unit());
    if (delay < 0) return -1;
    if ((resp->status == 429 || resp->status == 503) && resp->retry_after) {
        int64_t ra = whi_retry_after_ms(resp->retry_after, now);
        int64_t cap = (int64_t)h->opts.retry_after_cap_s * 1000;
        if (ra > cap) ra = cap;
        if (ra > delay) delay = ra;
    }
    return delay;
}

static void check_auto_disable(const wh_hub *h, wh_time_ms now, whi_verdict *v, wh_sub_stats *st)
{
    if (st->disable) return;
    char *why = v->disable_reason;
    size_t n = sizeof(v->disable_reason);
    if (h->opts.disable_after_failures && st->failure_count >= h->opts.disable_after_failures)
        snprintf(why, n, "disabled after %u consecutive failed deliveries", st->failure_count);
    else if (h->opts.disable_after_ms && st->failing_since &&
             now - st->failing_since >= h->opts.disable_after_ms)
        snprintf(why, n, "disabled after failing for %lld hours",
                 (long long)((now - st->failing_since) / 3600000));
    else
        return;
    v->disable = true;
    st->disable = 1;
    st->disabled_reason = why;
}

void whi_hub_judge(const wh_hub *h, const wh_subscription *sub, uint32_t attempt,
                   const wh_http_response *resp, wh_time_ms now, whi_verdict *v, wh_sub_stats *st)
{
    *v = (whi_verdict){0};
    *st = (wh_sub_stats){now,
                         resp->error_code != WH_OK ? resp->error_code : resp->status,
                         sub->failure_count,
                         sub->failing_since,
                         0,
                         NULL};
    if (resp->error_code == WH_OK && resp->status >= 200 && resp->status < 300) {
        v->status = WH_DELIVERY_SUCCEEDED;
        st->failure_count = 0;
        st->failing_since = 0;
        return;
    }
    describe_failure(resp, v->reason, sizeof(v->reason));
    st->failure_count++;
    if (!st->failing_since) st->failing_since = now;
    if (resp->error_code == WH_OK && resp->status == 410) {
        v->status = WH_DELIVERY_FAILED;
        v->disable = true;
        snprintf(v->reason, sizeof(v->reason), "endpoint answered 410 Gone");
        snprintf(v->disable_reason, sizeof(v->disable_reason), "endpoint answered 410 Gone");
        st->disable = 1;
        st->disabled_reason = v->disable_reason;
        return;
    }
    int64_t delay = next_delay(h, sub, attempt, resp, now);
    v->status = delay < 0 ? WH_DELIVERY_FAILED : WH_DELIVERY_PENDING;
    v->next_attempt_at = delay < 0 ? 0 : now + delay;
    check_auto_disable(h, now, v, st);
    if (v->disable) { /* no more attempts to a disabled webhook */
        size_t len = strlen(v->reason);
        snprintf(v->reason + len, sizeof(v->reason) - len, "; webhook %s", v->disable_reason);
        v->status = WH_DELIVERY_FAILED;
    }
}
