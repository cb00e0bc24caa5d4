/*
 * RFC 3339 timestamps with milliseconds and a UTC offset, plus the clocks. Civil-date arithmetic
 * is done here (days_from_civil) rather than with timegm/gmtime_r so it is locale- and
 * TZ-independent and works for any year 0000..9999.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "rfc3339.h"

wh_time_ms whi_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (wh_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t whi_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t whi_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

size_t whi_rfc3339_format(wh_time_ms ms, int offset_minutes, char out[WHI_RFC3339_MAX])
{
    int64_t local = ms + (int64_t)offset_minutes * 60000;
    int64_t days = floor_div(local, 86400000);
    int64_t rem = local - days * 86400000;
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    int h = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60), s = (int)(rem / 1000 % 60);
    int frac = (int)(rem % 1000);
    char zone[16] = "Z";
    if (offset_minutes != 0) {
        int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
        a %= 24 * 60; /* offsets are within a day; keeps the output bounded */
        zone[0] = offset_minutes < 0 ? '-' : '+';
        zone[1] = (char)('0' + a / 600);
        zone[2] = (char)('0' + a / 60 % 10);
        zone[3] = ':';
        zone[4] = (char)('0' + a % 60 / 10);
        zone[5] = (char)('0' + a % 10);
        zone[6] = '\0';
    }
    if (y < 0 || y > 9999) {
        int n = snprintf(out, WHI_RFC3339_MAX, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d%s",
                         (long long)y, mo, d, h, mi, s, frac, zone);
        return n < 0 ? 0 : strlen(out); /* the length written, even when truncated */
    }
    /* Years 0000..9999, the usual case, without snprintf: templates format this per delivery
     * and snprintf was most of the cost. Same output as the format above. */
    int fields[] = {(int)y / 100, (int)y % 100, (int)mo, (int)d, h, mi, s};
    static const char seps[7] = {0, 0, '-', '-', 'T', ':', ':'}; /* before each field */
    char *p = out;
    for (int i = 0; i < 7; i++) {
        if (seps[i]) *p++ = seps[i];
        *p++ = (char)('0' + fields[i] / 10);
        *p++ = (char)('0' + fields[i] % 10);
    }
    *p++ = '.';
    *p++ = (char)('0' + frac / 100);
    *p++ = (char)('0' + frac / 10 % 10);
    *p++ = (char)('0' + frac % 10);
    size_t zl = strlen(zone);
    memcpy(p, zone, zl + 1);
    return (size_t)(p - out) + zl;
}

/* Read exactly n digits at *p; advances *p. */
static bool digits(const char **p, int n, int *val)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *val = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c) return false;
    (*p)++;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static bool parse_zone(const char **p, int *offset)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *offset = 0;
        return true;
    }
    char sign = **p;
    int oh, om;
    if (sign != '+' && sign != '-') return false;
    (*p)++;
    if (!digits(p, 2, &oh) || !expect(p, ':') || !digits(p, 2, &om) || oh > 23 || om > 59)
        return false;
    *offset = (sign == '-' ? -1 : 1) * (oh * 60 + om);
    return true;
}

int whi_rfc3339_parse(const char *s, wh_time_ms *ms, int *offset_minutes)
{
    const char *p = s;
    int y, mo, d, h, mi, sec, off = 0, frac_ms = 0;
    bool ok = s && digits(&p, 4, &y) && expect(&p, '-') && digits(&p, 2, &mo) && expect(&p, '-') &&
              digits(&p, 2, &d);
    ok = ok && (*p == 'T' || *p == 't' || *p == ' ') && (p++, true);
    ok = ok && digits(&p, 2, &h) && expect(&p, ':') && digits(&p, 2, &mi) && expect(&p, ':') &&
         digits(&p, 2, &sec);
    if (ok && *p == '.') {
        p++;
        int n = 0;
        for (; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3) frac_ms = frac_ms * 10 + (*p - '0');
        for (int i = n; i < 3; i++)
            frac_ms *= 10;
        ok = n > 0;
    }
    ok = ok && parse_zone(&p, &off) && *p == '\0';
    ok = ok && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) && h <= 23 && mi <= 59 &&
         sec <= 60;
    if (!ok) return whi_error(WH_EINVAL, "not an RFC 3339 date-time: \"%.40s\"", s ? s : "(null)");
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t local = ((days * 24 + h) * 60 + mi) * 60 + sec;
    /* A leap second (:60) carries into the next minute; on 9999-12-31 that is year 10000,
     * which whi_rfc3339_format would write with five digits that no parser reads back. */
    if (local >= days_from_civil(10000, 1, 1) * 86400)
        return whi_error(WH_EINVAL, "not an RFC 3339 date-time: \"%.40s\" (past year 9999)", s);
    *ms = (local - (int64_t)off * 60) * 1000 + frac_ms;
    if (offset_minutes) *offset_minutes = off;
    return WH_OK;
}

int whi_local_offset_minutes(wh_time_ms ms)
{
    /* localtime_r and gmtime_r of one instant: their difference is the zone's offset then (no
     * tm_gmtoff, which POSIX does not have). */
    time_t t = (time_t)(ms / 1000);
    struct tm lt, gt;
    if (!localtime_r(&t, &lt) || !gmtime_r(&t, &gt)) return 0;
    int days =
        lt.tm_year != gt.tm_year ? (lt.tm_year > gt.tm_year ? 1 : -1) : lt.tm_yday - gt.tm_yday;
    return days * 1440 + (lt.tm_hour - gt.tm_hour) * 60 + (lt.tm_min - gt.tm_min);
}
