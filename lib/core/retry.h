/* Retry arithmetic: schedule delays with jitter, and Retry-After parsing. Pure. */
#ifndef WHI_CORE_RETRY_H
#define WHI_CORE_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webhooks/subscription.h"

/* Delay in ms before retry number `retry` (1-based) of sub, with +/- jitter_percent applied using
 * rnd in [0, 1); -1 when the schedule is exhausted or retries are off. */
int64_t whi_retry_delay_ms(const wh_subscription *sub, uint32_t retry, int jitter_percent,
                           double rnd);
/* Parse a Retry-After value (delay-seconds or an HTTP-date) into ms from now; -1 if invalid. */
int64_t whi_retry_after_ms(const char *value, wh_time_ms now);

/* A named retry policy: its delays (none when count is 0) and whether retries are on. */
typedef struct whi_retry_preset {
    const char *name;
    const uint32_t *delays;
    size_t count;
    bool enabled;
} whi_retry_preset;

/* The preset called name, or NULL. */
const whi_retry_preset *whi_retry_preset_find(const char *name);

#endif /* WHI_CORE_RETRY_H */
