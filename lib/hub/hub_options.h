/*
 * The hub's options object (opaque in webhooks/hub.h). The hub keeps a copy of it by value: every
 * pointer member is either borrowed for the hub's life (store, transport, callbacks' user data)
 * or owned by the options object and copied again by the hub (strings, the guard).
 */
#ifndef WHI_HUB_OPTIONS_H
#define WHI_HUB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webhooks/hub.h"
#include "webhooks/urlguard.h"

struct wh_hub_options {
    wh_store *store; /* NULL: a memory store made by the hub */
    bool own_store;
    wh_transport *transport; /* NULL: a libcurl transport made by the hub */
    bool own_transport;
    char *ca_file;               /* owned; for the libcurl transport the hub makes */
    size_t max_idle_connections; /* the same */
    wh_clock_cb clock;
    void *clock_user_data;
    wh_log_cb log;
    void *log_user_data;
    int log_level;
    wh_disable_cb on_disable;
    void *on_disable_user_data;
    size_t max_in_flight;
    size_t max_in_flight_per_subscription;
    uint32_t slow_after_ms; /* a subscription slower than this shares its slots (hub_fair.c) */
    uint32_t connect_timeout_ms;
    uint32_t total_timeout_ms;
    size_t max_response_bytes;
    size_t max_body_bytes;
    uint32_t lease_ms; /* 0: total_timeout_ms + 30 s */
    bool shared_queue;
    wh_time_ms event_id_window_ms; /* event idempotency: how long an event id is kept (0: off) */
    char *user_agent;              /* owned; NULL: "libwebhooks/<version>" */
    uint32_t default_retry[WH_MAX_RETRY_STEPS];
    size_t default_retry_count; /* 0: the library's default schedule */
    bool default_retry_off;
    int jitter_percent;
    uint32_t retry_after_cap_s;
    uint32_t disable_after_failures;
    wh_time_ms disable_after_ms;
    wh_time_ms retention_ms; /* 0: keep finished deliveries forever (hub_housekeeping.c) */
    wh_urlguard *guard;      /* owned: allowed ranges and require_https */
};

/* Every option at its default (the guard allocated); WH_ENOMEM. */
int whi_hub_options_init(struct wh_hub_options *o);
/* Free what an options object owns (not the object itself). */
void whi_hub_options_clear(struct wh_hub_options *o);
/* dst = a copy of src owning its own strings and guard; WH_ENOMEM leaves dst cleared. */
int whi_hub_options_copy(struct wh_hub_options *dst, const struct wh_hub_options *src);

#endif /* WHI_HUB_OPTIONS_H */
