/*
 * Deliveries and attempts: the records a store keeps for every event sent to a subscription,
 * as a host reads them back (wh_store_delivery_list, wh_store_attempt_list in webhooks/store.h).
 *
 * A delivery is one event to one subscription, rendered once when the event is emitted and sent
 * until it succeeds or its retry policy gives up; an attempt is one HTTP request of a delivery.
 * Strings in these records are borrowed from the store for the duration of the callback that
 * receives them: copy what you keep.
 */
#ifndef WEBHOOKS_DELIVERY_H
#define WEBHOOKS_DELIVERY_H

#include "webhooks/common.h"
#include "webhooks/subscription.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wh_delivery_status {
    WH_DELIVERY_PENDING = 0,   /* waiting for its next attempt at next_attempt_at */
    WH_DELIVERY_IN_FLIGHT = 1, /* leased by a worker until lease_until */
    WH_DELIVERY_SUCCEEDED = 2, /* a 2xx answer was received */
    WH_DELIVERY_FAILED = 3     /* dead: retries exhausted, not renderable, or refused; replayable */
} wh_delivery_status;

/* One event to one subscription, with its request rendered once at emit time. */
#define WH_DELIVERY_VERSION 1
typedef struct wh_delivery {
    unsigned int version; /* WH_DELIVERY_VERSION */
    const char *id;       /* unique, 1..255 bytes of [A-Za-z0-9._~:-] */
    const char *subscription_id;
    const char *owner_id; /* the subscription's owner, or NULL */
    const char *event_id;
    const char *event_type;
    const char *idempotency_key; /* webhook-id / x-Idempotency-Key: the same for every attempt */
    wh_method method;
    const char *url;     /* rendered URL, or NULL when rendering failed */
    const char *headers; /* rendered custom headers as a JSON object text, e.g. "{}" */
    const char *body;    /* rendered body bytes (may be NULL when body_len is 0) */
    size_t body_len;
    wh_time_ms event_time; /* when the event happened (x-timestamp) */
    wh_delivery_status status;
    uint32_t attempts;          /* attempts made so far */
    wh_time_ms next_attempt_at; /* PENDING: when it is due */
    wh_time_ms lease_until;     /* IN_FLIGHT: when the lease expires */
    wh_time_ms created_at;
    wh_time_ms updated_at;
    int last_status;        /* last HTTP status, a negative WH_E* code, or 0 (none yet) */
    const char *last_error; /* why the last attempt failed (or why it is FAILED), or NULL */
} wh_delivery;

/* One HTTP attempt of a delivery, appended to the attempt log. */
#define WH_ATTEMPT_VERSION      1
#define WH_ATTEMPT_RESPONSE_MAX 4096
typedef struct wh_attempt {
    unsigned int version; /* WH_ATTEMPT_VERSION */
    const char *delivery_id;
    /* Read: the delivery's subscription. Record: may be NULL or name the delivery's subscription
     * (a hint the store may use to skip a read); the attempt is filed under the delivery's own
     * subscription either way. */
    const char *subscription_id;
    uint32_t number; /* 1 for the first attempt of the delivery */
    wh_time_ms started_at;
    uint32_t duration_ms;
    int http_status;      /* 0 when no response was received */
    int error_code;       /* WH_OK, or WH_ETIMEOUT / WH_ETRANSPORT / WH_EREFUSED / ... */
    const char *error;    /* human-readable reason, or NULL */
    const char *response; /* the first bytes of the response body (at most 4 KiB) */
    size_t response_len;
} wh_attempt;

/* Which deliveries a listing shows. */
typedef struct wh_delivery_query {
    const char *subscription_id; /* NULL: any */
    int status;                  /* -1: any, else a wh_delivery_status */
    wh_time_ms since;            /* created_at >= since; 0: any */
    size_t limit;                /* 0: all */
    size_t page;                 /* from 1 */
} wh_delivery_query;

#define WH_DELIVERY_QUERY_INIT                                                                     \
    {                                                                                              \
        NULL, -1, 0, 0, 1                                                                          \
    }

/* Listing callbacks: the record is borrowed for the call only. Return non-zero to stop the
 * listing early (the listing then returns WH_OK). */
typedef int (*wh_store_delivery_cb)(const wh_delivery *delivery, void *user_data);
typedef int (*wh_store_attempt_cb)(const wh_attempt *attempt, void *user_data);

/* Names of delivery statuses as used in JSON: "pending", "in_flight", "succeeded", "failed"
 * (static strings, never freed; NULL for an unknown status). */
WH_EXTERN const char *wh_delivery_status_name(wh_delivery_status status);
WH_EXTERN int wh_delivery_status_parse(const char *name, wh_delivery_status *out);

/* ---- copies a caller keeps (records reach callbacks borrowed) ---- */
/* Deep-copy src into dst, whose old contents are ignored: every string and the body become owned
 * by dst. Free them with wh_delivery_clear. WH_ENOMEM (dst is then zeroed), WH_EINVAL for NULL. */
WH_EXTERN int wh_delivery_copy(wh_delivery *dst, const wh_delivery *src);
/* Free what wh_delivery_copy allocated and zero *d; NULL is a no-op. */
WH_EXTERN void wh_delivery_clear(wh_delivery *d);
/* The same for attempts; the copy's response is cut to WH_ATTEMPT_RESPONSE_MAX bytes and its
 * error to 1024 bytes. */
WH_EXTERN int wh_attempt_copy(wh_attempt *dst, const wh_attempt *src);
WH_EXTERN void wh_attempt_clear(wh_attempt *a);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_DELIVERY_H */
