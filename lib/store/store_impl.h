/*
 * Helpers shared by the built-in stores (and usable by the hub): owned copies of deliveries and
 * attempts, the input checks every built-in store runs, and the lease filter.
 */
#ifndef WEBHOOKS_STORE_IMPL_H
#define WEBHOOKS_STORE_IMPL_H

#include <stdbool.h>
#include "hashmap.h"
#include "webhooks/store.h"
#include "webhooks/sys/store.h"

/* Replace *dst with a copy of the error text s cut to WH_STORE_MAX_ERROR_LEN (NULL clears). */
int whi_store_error_text(char **dst, const char *s);
/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
size_t whi_store_cut_len(const char *s, size_t len, size_t max);

/* Input checks, each WH_OK or WH_EINVAL / WH_ETOOLARGE with the field named. */
int whi_store_check_id(const char *what, const char *id);
int whi_delivery_check(const wh_delivery *d);
int whi_record_check(const wh_attempt *a, const wh_outcome *o);
int whi_stats_check(const wh_sub_stats *st);
#define WHI_DISABLED_REASON_MAX 1024 /* as wh_subscription_set_disabled_reason */
int whi_lease_check(const wh_lease_request *req);
/* The event keys of enqueue_events: each 1..WHI_EVENT_KEY_MAX bytes of text without control
 * characters (WH_EINVAL), none given twice (WH_ECONFLICT, naming it). */
#define WHI_EVENT_KEY_MAX 511 /* an owner, '/', an event id */
int whi_event_ids_check(const char *const *ids, size_t count);
/* The error of an event key still remembered. */
int whi_event_conflict(const char *id);
int whi_delivery_query_check(const wh_delivery_query *q);
/* The arguments of attempt_list: a callback, and exactly one valid id of the two. */
int whi_attempt_list_check(const char *delivery_id, const char *sub_id, const void *cb);
/* Paging arguments: page 0 is taken as 1. Returns the number of records to skip. */
size_t whi_page_offset(size_t limit, size_t page);

/* Which due deliveries a lease may take: skips excluded subscriptions and counts per
 * subscription against max_per_subscription. */
typedef struct whi_lease_filter {
    whi_hmap exclude; /* keys borrowed from the request */
    whi_hmap counts;  /* subscription id -> its count (owned, holding the key) */
    size_t per_sub;
} whi_lease_filter;

int whi_lease_filter_init(whi_lease_filter *f, const wh_lease_request *req);
/* Whether a delivery of subscription_id may be taken; counts it when so. WH_ENOMEM. */
int whi_lease_filter_take(whi_lease_filter *f, const char *subscription_id, bool *take);
/* How many more of sub_id's deliveries the lease may take (SIZE_MAX: no limit; 0: none, also
 * when it is excluded), without counting anything. */
size_t whi_lease_filter_room(const whi_lease_filter *f, const char *sub_id);
void whi_lease_filter_free(whi_lease_filter *f);

#endif
