/* Retry arithmetic: schedule delays with jitter, and Retry-After parsing. Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retry.h"
#include "subscription_impl.h"
#include "error.h"
#include "rfc3339.h"
#include "compiler.h"

/* ---- named policies ---- */

static const uint32_t COMMERCE[] = {600, 600, 600};
static const uint32_t CAKTO[] = {60, 300, 1800, 7200};

static const whi_retry_preset PRESETS[] = {
    {"standard", whi_default_retry, WHI_ARRAY_LEN(whi_default_retry), true},
    {"none", NULL, 0, false},
    {"commerce", COMMERCE, WHI_ARRAY_LEN(COMMERCE), true},
    {"cakto", CAKTO, WHI_ARRAY_LEN(CAKTO), true},
    {"seed003", COMMERCE, WHI_ARRAY_LEN(COMMERCE), true}, /* the first name of "commerce" */
};

const whi_retry_preset *whi_retry_preset_find(const char *name)
{
    for (size_t i = 0; name && i < WHI_ARRAY_LEN(PRESETS); i++)
        if (strcmp(PRESETS[i].name, name) == 0) return &PRESETS[i];
    return NULL;
}

const char *wh_retry_preset_name(size_t i)
{
    /* seed003 is listed under its own name, commerce, only */
    return i + 1 < WHI_ARRAY_LEN(PRESETS) ? PRESETS[i].name : NULL;
}

int wh_retry_preset_get(const char *name, const uint32_t **delays_s, size_t *count, int *enabled)
{
    const whi_retry_preset *p = whi_retry_preset_find(name);
    if (!p)
        return whi_error(WH_EINVAL,
                         "retry preset \"%.64s\" is unknown (known: standard, none, "
                         "commerce, cakto)",
                         name ? name : "(null)");
    if (delays_s) *delays_s = p->delays;
    if (count) *count = p->count;
    if (enabled) *enabled = p->enabled;
    return WH_OK;
}

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
