/* Retry arithmetic: schedule delays with jitter, and Retry-After parsing. Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retry.h"
#include "subscription_impl.h"
#include "rfc3339.h"

int64_t whi_retry_delay_ms(const wh_subscription *sub, uint32_t retry, int jitter_percent,
                           double rnd)
{
    if (!sub->retry_enabled || retry == 0 || retry > sub->nretry) return -1;
    int64_t base = (int64_t)sub->retry[retry - 1] * 1000;
    if (jitter_percent <= 0 || base == 0) return base;
    double factor = 1.0 + (double)jitter_percent / 100.0 * (2.0 * rnd - 1.0);
    return (int64_t)((double)base * factor);
}

static int month_index(const char *m)
{
    static const char *const names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; i++)
        if (strncmp(m, names[i], 3) == 0) return i + 1;
    return 0;
}

/* IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT" (RFC 9110 section 5.6.7). */
static int64_t parse_http_date(const char *s, wh_time_ms *at)
{
    char wday[4], mon[4];
    int d, y, hh, mm, ss;
    if (sscanf(s, "%3s, %d %3s %d %d:%d:%d GMT", wday, &d, mon, &y, &hh, &mm, &ss) != 7) return -1;
    int m = month_index(mon);
    if (!m) return -1;
    char iso[40];
    snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, hh, mm, ss);
    return whi_rfc3339_parse(iso, at, NULL) == WH_OK ? 0 : -1;
}

int64_t whi_retry_after_ms(const char *value, wh_time_ms now)
{
    if (!value || !*value) return -1;
    if (value[0] >= '0' && value[0] <= '9') {
        char *end;
        long long secs = strtoll(value, &end, 10);
        if (*end != '\0' || secs < 0 || secs > 365LL * 86400) return -1;
        return secs * 1000;
    }
    wh_time_ms at;
    const char *comma = strchr(value, ',');
    if (!comma || parse_http_date(value, &at) != 0) return -1;
    return at > now ? at - now : 0;
}
