/* Layout of wh_subscription, shared by the modules that read it on hot paths (match, hub). */
#ifndef WEBHOOKS_SUBSCRIPTION_IMPL_H
#define WEBHOOKS_SUBSCRIPTION_IMPL_H

#include <stdbool.h>
#include "strvec.h"
#include "webhooks/subscription.h"

#define WHI_SUB_LISTS 5

typedef struct whi_secret {
    char *value;
    wh_time_ms expires_at; /* 0: current (never expires) */
} whi_secret;

struct wh_subscription {
    char *id;
    bool id_numeric; /* given as a JSON number (seed 000): written back as one */
    char *owner;
    char *name;
    char *description;
    char *url;
    wh_method method;
    wh_status status;
    char *disabled_reason;
    char *entity;
    char *source;
    whi_strvec lists[WHI_SUB_LISTS]; /* indexed by wh_sub_list */
    whi_kvvec headers;               /* names compared case-insensitively */
    char *body;
    wh_filter *filter; /* the payload filter, compiled (NULL: none) */
    wh_scheme scheme;
    /* Heap arrays sized to their contents: the hub indexes 100 000s of subscriptions. */
    whi_secret *secrets; /* newest first */
    size_t nsecrets;
    uint32_t *retry; /* delays in seconds; NULL when nretry is 0 */
    size_t nretry;
    bool retry_enabled;
    /* Whether the schedule / the enabled flag were chosen (not left at the library default): a
     * hub's default retry policy fills in only what was not chosen. */
    bool retry_schedule_set, retry_enabled_set;
    uint32_t connect_timeout_ms, total_timeout_ms; /* 0: the hub's defaults */
    char *metadata;                                /* compact JSON object text; NULL: "{}" */
    wh_time_ms created_at, updated_at;
    int created_off, updated_off; /* UTC offsets (minutes) the times were given in */
    wh_time_ms last_delivery_at;
    int last_status;
    uint32_t failure_count;
    wh_time_ms failing_since;
};

/* Release every owned field and zero *sub (the struct itself is not freed). */
void whi_subscription_clear(wh_subscription *sub);
/* Deep copy into a zeroed dst. */
int whi_subscription_copy(wh_subscription *dst, const wh_subscription *src);
/* Initialise a zeroed sub with the defaults of wh_subscription_new; gen_secret adds a secret. */
int whi_subscription_init(wh_subscription *sub, bool gen_secret);

/* Insert a secret (taking ownership of value) at the front or the back of the list. On failure
 * value is freed (and wiped). */
int whi_sub_insert_secret(wh_subscription *sub, char *value, wh_time_ms expires_at, bool front);

/* Make filter (owned; NULL or always true: none) the subscription's payload filter. */
int whi_sub_replace_filter(wh_subscription *sub, wh_filter *filter);

/* The Standard Webhooks retry schedule (delays in seconds after the first attempt). */
extern const uint32_t whi_default_retry[7];

#endif
