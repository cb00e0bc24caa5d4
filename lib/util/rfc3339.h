/*
 * Clocks, and RFC 3339 timestamps written and read.
 *
 * Part of lib/util: generic helpers that know nothing of webhooks. Private to the library
 * (not installed); every symbol is hidden and prefixed whi_.
 */
#ifndef WHI_UTIL_RFC3339_H
#define WHI_UTIL_RFC3339_H

#include <stddef.h>
#include <stdint.h>

#include "webhooks/common.h"

#define WHI_RFC3339_MAX 32      /* "2050-11-07T09:11:58.377-03:00" plus NUL, with room */
wh_time_ms whi_now_ms(void);    /* wall clock, UTC */
int64_t whi_monotonic_ms(void); /* for durations */
int64_t whi_monotonic_us(void);
/* Format ms since epoch shown at offset_minutes east of UTC; 0 gives "Z". Always 3 fraction
 * digits. Returns the length written. */
size_t whi_rfc3339_format(wh_time_ms ms, int offset_minutes, char out[WHI_RFC3339_MAX]);
/* Parse RFC 3339 (date-time with 'T' or ' ', optional fraction of any length, Z or +hh:mm).
 * Fractions below a millisecond are truncated. WH_EINVAL on anything else. */
int whi_rfc3339_parse(const char *s, wh_time_ms *ms, int *offset_minutes);
/* The offset east of UTC, in minutes, of the process's time zone (TZ) at ms. */
int whi_local_offset_minutes(wh_time_ms ms);

#endif /* WHI_UTIL_RFC3339_H */
