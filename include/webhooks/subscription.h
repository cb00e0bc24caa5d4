/*
 * Subscriptions: one registered webhook endpoint and everything about how it is delivered to.
 *
 * A wh_subscription holds every field of the webhook APIs libwebhooks serves (their JSON:
 * docs/subscriptions.md).
 * Every setter validates its input: on error it returns a negative WH_E* code, sets
 * wh_error_last(), and leaves the subscription unchanged. Strings passed in are copied.
 * Strings returned are borrowed: valid until the same field is next changed or the
 * subscription is freed. A wh_subscription is not thread-safe; use one from one thread at a time.
 */
#ifndef WEBHOOKS_SUBSCRIPTION_H
#define WEBHOOKS_SUBSCRIPTION_H

#include "webhooks/common.h"
#include "webhooks/event.h"
#include "webhooks/filter.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wh_subscription wh_subscription;

typedef enum wh_status {
    WH_STATUS_ACTIVE = 0,        /* receives deliveries */
    WH_STATUS_DISABLED = 1,      /* by the owner, or automatically (see disabled reason) */
    WH_STATUS_WAITING_CONFIG = 2 /* registered but not deliverable yet; url may be absent */
} wh_status;

typedef enum wh_method {
    WH_METHOD_POST = 0,
    WH_METHOD_PUT = 1,
    WH_METHOD_PATCH = 2,
    WH_METHOD_GET = 3,
    WH_METHOD_DELETE = 4
} wh_method;

typedef enum wh_scheme {
    WH_SCHEME_STANDARD =
        0,                /* Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature */
    WH_SCHEME_GITHUB = 1, /* X-Hub-Signature-256 */
    WH_SCHEME_STRIPE = 2, /* Stripe-Signature */
    WH_SCHEME_NONE = 3,   /* no signature headers */
    /* No signature header: the newest signing secret travels in the body, as the member "secret"
     * added first to the JSON object body when each attempt is sent; the receiver compares it
     * (wh_verify). A body that is not a JSON object cannot be sent this way. */
    WH_SCHEME_BODY = 4
} wh_scheme;

/* The string lists a subscription holds. An empty filter list means "no filter". */
typedef enum wh_sub_list {
    WH_LIST_EVENTS = 0,      /* event-type patterns: "order.created", "order.*", "order.**", "*" */
    WH_LIST_ACTIONS = 1,     /* actions of the entity; empty: every action */
    WH_LIST_PRODUCTS = 2,    /* product-id filter */
    WH_LIST_IDENTIFIERS = 3, /* event-identifier filter */
    WH_LIST_RELATIONS = 4    /* include-relations: payload sections to add */
} wh_sub_list;

/* Limits enforced by validation. */
#define WH_MAX_NAME_LEN          255
#define WH_MAX_DESCRIPTION_LEN   4096
#define WH_MAX_URL_LEN           2048
#define WH_MAX_PATTERN_LEN       255
#define WH_MAX_LIST_LEN          1024
#define WH_MAX_HEADERS           64
#define WH_MAX_HEADER_LEN        8192
#define WH_MAX_HEADERS_TOTAL_LEN (64 * 1024) /* custom headers in all, names and values */
#define WH_MAX_BODY_TEMPLATE_LEN (256 * 1024)
#define WH_MAX_METADATA_LEN      (64 * 1024)
#define WH_MAX_SECRETS           16
#define WH_MAX_RETRY_STEPS       32
#define WH_MAX_RETRY_DELAY_S     (7 * 24 * 3600)
#define WH_SECRET_PREFIX         "whsec_"
#define WH_SECRET_MIN_BYTES      24
#define WH_SECRET_MAX_BYTES      64
#define WH_MAX_SECRET_LEN        255 /* a secret of a scheme other than standard, in bytes */

/* JSON output flags. */
#define WH_JSON_SECRETS 0x1u /* include secrets (left out by default, as in listings) */

/*
 * Create a subscription with defaults: a new UUID v4 id, status active, method POST, scheme
 * standard, one generated secret, retries on with the Standard Webhooks schedule, createdAt and
 * updatedAt now. It listens to nothing until events or an entity are set.
 * *out is owned by the caller: free with wh_subscription_free. WH_ENOMEM, WH_EIO (no entropy).
 */
WH_EXTERN int wh_subscription_new(wh_subscription **out);
WH_EXTERN void wh_subscription_free(wh_subscription *sub); /* NULL is a no-op */
/* Deep copy into *out (owned by the caller). */
WH_EXTERN int wh_subscription_clone(wh_subscription **out, const wh_subscription *sub);

/*
 * Parse a subscription from JSON (len bytes; the fields: docs/subscriptions.md). Absent fields take
 * the defaults of wh_subscription_new (id and secret generated). Every problem is reported as one
 * detail of a single WH_EINVAL; on error *out is NULL. Unknown fields are ignored.
 * Accepted aliases: "enabled"/"active" (bool) for status, "serverUrl" for url,
 * "userId" for ownerId, "event_type"... (docs/subscriptions.md). A numeric "id" is kept as its
 * decimal text and written back as a number.
 */
WH_EXTERN int wh_subscription_from_json(wh_subscription **out, const char *json, size_t len);
/*
 * Apply the fields present in json to sub (a JSON merge: absent fields keep their value, null
 * clears an optional field). All-or-nothing: on any error sub is unchanged. id, createdAt and
 * delivery stats cannot be changed this way (WH_EINVAL names them). updatedAt is set to now.
 */
WH_EXTERN int wh_subscription_patch_json(wh_subscription *sub, const char *json, size_t len);
/*
 * Serialise to compact JSON. flags: WH_JSON_SECRETS to include secrets. *out is NUL-terminated,
 * owned by the caller (free with wh_free); *len (may be NULL) gets its length.
 */
WH_EXTERN int wh_subscription_to_json(const wh_subscription *sub, unsigned int flags, char **out,
                                      size_t *len);

/* Check the fields together (e.g. an active subscription needs a url and something to listen
 * to). Setters check each field alone; this is what from_json and the store run before saving. */
WH_EXTERN int wh_subscription_validate(const wh_subscription *sub);

/* ---- identity ---- */
/* id: 1..255 bytes of [A-Za-z0-9._~:-] (it appears in URL paths). */
WH_EXTERN const char *wh_subscription_id(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_id(wh_subscription *sub, const char *id);
/* owner: the principal that owns it (a user or account id); NULL: none. */
WH_EXTERN const char *wh_subscription_owner(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_owner(wh_subscription *sub, const char *owner);
/* name: 1..255 bytes of valid UTF-8; NULL until set. */
WH_EXTERN const char *wh_subscription_name(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_name(wh_subscription *sub, const char *name);
/* description: up to 4096 bytes of valid UTF-8, or NULL. */
WH_EXTERN const char *wh_subscription_description(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_description(wh_subscription *sub, const char *description);

/* ---- destination ---- */
/* url: absolute http(s), at most 2048 bytes, may hold {{placeholders}}; NULL only while
 * waiting_config. */
WH_EXTERN const char *wh_subscription_url(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_url(wh_subscription *sub, const char *url);
WH_EXTERN wh_method wh_subscription_method(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_method(wh_subscription *sub, wh_method method);
WH_EXTERN wh_status wh_subscription_status(const wh_subscription *sub);
/* Setting active clears the disabled reason. */
WH_EXTERN int wh_subscription_set_status(wh_subscription *sub, wh_status status);
/* Why it was disabled (e.g. "endpoint answered 410 Gone"), or NULL. */
WH_EXTERN const char *wh_subscription_disabled_reason(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_disabled_reason(wh_subscription *sub, const char *reason);

/* ---- what it listens to ---- */
/* entity (e.g. "Order"): NULL for none. Actions are the WH_LIST_ACTIONS list. */
WH_EXTERN const char *wh_subscription_entity(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_entity(wh_subscription *sub, const char *entity);
/* source filter (e.g. "MKT"): NULL for none. */
WH_EXTERN const char *wh_subscription_source(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_source(wh_subscription *sub, const char *source);

/*
 * Payload filter (webhooks/filter.h): a JSON object the event must satisfy once it matched by
 * type or entity and the list filters. wh_subscription_filter gives it as compact JSON, or NULL
 * when there is none. wh_subscription_set_filter compiles json (len bytes) now: WH_EINVAL with
 * one detail per problem, each naming its path ("filter.data.total.$gte: ..."), WH_ETOOLARGE
 * over WH_FILTER_MAX_LEN, WH_ENOMEM; the subscription is then unchanged. NULL or "null"
 * removes the filter, and so does an empty object (every event passes it).
 */
WH_EXTERN const char *wh_subscription_filter(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_filter(wh_subscription *sub, const char *json, size_t len);

/* String lists. Values are validated per list (patterns for WH_LIST_EVENTS). Adding a value
 * already present is a no-op. */
WH_EXTERN size_t wh_subscription_list_count(const wh_subscription *sub, wh_sub_list which);
/* The i-th value, or NULL when out of range. */
WH_EXTERN const char *wh_subscription_list_at(const wh_subscription *sub, wh_sub_list which,
                                              size_t i);
WH_EXTERN int wh_subscription_list_add(wh_subscription *sub, wh_sub_list which, const char *value);
WH_EXTERN int wh_subscription_list_clear(wh_subscription *sub, wh_sub_list which);

/* ---- request shape ---- */
/* Custom headers. Names are HTTP tokens (case-insensitive, unique); values have no CR, LF or NUL
 * and may hold {{placeholders}}. Headers the library sets itself (signature headers,
 * x-Idempotency-Key, x-timestamp, User-Agent, Host, Content-Length, ...) are refused:
 * WH_EINVAL. Content-Type may be set. A NULL value removes the header. */
WH_EXTERN int wh_subscription_set_header(wh_subscription *sub, const char *name, const char *value);
WH_EXTERN size_t wh_subscription_header_count(const wh_subscription *sub);
WH_EXTERN const char *wh_subscription_header_name(const wh_subscription *sub, size_t i);
WH_EXTERN const char *wh_subscription_header_value(const wh_subscription *sub, size_t i);
/* True when name may not be set by a subscription (case-insensitive). */
WH_EXTERN int wh_header_is_reserved(const char *name);
/* Body template, or NULL for the default JSON envelope (webhooks/envelope.h). */
WH_EXTERN const char *wh_subscription_body(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_body(wh_subscription *sub, const char *body);

/* ---- signing ---- */
WH_EXTERN wh_scheme wh_subscription_scheme(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_scheme(wh_subscription *sub, wh_scheme scheme);
/*
 * Secrets. Current secrets never expire; rotated-out ones carry an expiry time. Signing uses
 * every current secret and every previous secret not yet expired. Index 0 is the newest.
 */
WH_EXTERN size_t wh_subscription_secret_count(const wh_subscription *sub);
WH_EXTERN const char *wh_subscription_secret_at(const wh_subscription *sub, size_t i);
/* Expiry of secret i (ms since epoch), or 0 when it does not expire. */
WH_EXTERN wh_time_ms wh_subscription_secret_expires_at(const wh_subscription *sub, size_t i);
/* Add a secret as the newest, of the form the subscription's scheme takes (wh_secret_check_scheme:
 * "whsec_" + base64 of 24..64 bytes for standard, any string for the others). expires_at 0:
 * never. Adding one already held only updates its expiry. At most WH_MAX_SECRETS. Changing the
 * scheme later does not check the secrets again: wh_subscription_validate does. */
WH_EXTERN int wh_subscription_add_secret(wh_subscription *sub, const char *secret,
                                         wh_time_ms expires_at);
/* Remove every secret. */
WH_EXTERN int wh_subscription_clear_secrets(wh_subscription *sub);
/*
 * Rotate: every current secret gets an expiry of now + overlap_ms (0: the default 24 h) and
 * new_secret (NULL: a generated one) becomes the newest current secret. Secrets already expired
 * at now are removed. If new_out is not NULL it receives a copy of the new secret (free with
 * wh_free): the one time a generated secret is shown. now is ms since epoch (0: the clock).
 */
#define WH_DEFAULT_SECRET_OVERLAP_MS (24 * 3600 * 1000LL)
WH_EXTERN int wh_subscription_rotate_secret(wh_subscription *sub, const char *new_secret,
                                            wh_time_ms overlap_ms, wh_time_ms now, char **new_out);
/* Remove secrets whose expiry is at or before now. Returns how many were removed. */
WH_EXTERN size_t wh_subscription_prune_secrets(wh_subscription *sub, wh_time_ms now);
/* Number of secrets that sign at time now (current ones and unexpired previous ones); the i-th
 * of those with wh_subscription_signing_secret_at. */
WH_EXTERN size_t wh_subscription_signing_secret_count(const wh_subscription *sub, wh_time_ms now);
WH_EXTERN const char *wh_subscription_signing_secret_at(const wh_subscription *sub, wh_time_ms now,
                                                        size_t i);

/* ---- retries ---- */
WH_EXTERN int wh_subscription_retry_enabled(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_retry_enabled(wh_subscription *sub, int enabled);
/* Delays in seconds before each retry (the first attempt is immediate). */
WH_EXTERN size_t wh_subscription_retry_count(const wh_subscription *sub);
WH_EXTERN uint32_t wh_subscription_retry_delay(const wh_subscription *sub, size_t i);
/* Replace the schedule: count 0..32 delays of 0..7 days each. */
WH_EXTERN int wh_subscription_set_retry_schedule(wh_subscription *sub, const uint32_t *delays_s,
                                                 size_t count);

/*
 * Named retry policies (presets), for a subscription, a hub's default (wh_hub_options) and a
 * profile's delivery defaults:
 *   standard  the Standard Webhooks schedule, the default: retries 5 s, 5 min, 30 min, 2 h, 5 h,
 *             10 h and 10 h after the attempt before
 *   none      retries off
 *   commerce  3 retries 10 minutes apart (a commerce platform's "Retry"; also named seed003)
 *   cakto     4 retries: 1 min, 5 min, 30 min, 2 h
 * wh_subscription_set_retry_preset sets the schedule and the enabled flag (WH_EINVAL for an
 * unknown name).
 */
WH_EXTERN int wh_subscription_set_retry_preset(wh_subscription *sub, const char *preset);
/* The i-th preset's name, or NULL past the last (a static string). */
WH_EXTERN const char *wh_retry_preset_name(size_t i);
/* The preset called name: *delays_s (static; may be NULL) its count delays in seconds, *enabled
 * whether it retries at all. Any output pointer may be NULL. WH_EINVAL for an unknown name. */
WH_EXTERN int wh_retry_preset_get(const char *name, const uint32_t **delays_s, size_t *count,
                                  int *enabled);

/* ---- timeouts: 0 means the hub's default (connect 10 s, total 30 s) ---- */
WH_EXTERN uint32_t wh_subscription_connect_timeout_ms(const wh_subscription *sub);
WH_EXTERN uint32_t wh_subscription_total_timeout_ms(const wh_subscription *sub);
/* Each 0..600 000 ms. */
WH_EXTERN int wh_subscription_set_timeouts(wh_subscription *sub, uint32_t connect_ms,
                                           uint32_t total_ms);

#define WH_MAX_RATE_REQUESTS 1000000

/* ---- rate limit: at most `requests` requests per `period_ms` to this webhook ----
 * A token bucket holding up to `burst` requests (0: as many as `requests`), refilled at
 * requests / period_ms. Deliveries over the limit wait in the queue; they are not failed. The
 * hub keeps the bucket (one per hub: hubs sharing a store each allow the rate). requests 0
 * turns it off (the default). requests 1..1 000 000, period_ms 1..86 400 000 (a day), burst
 * 0..1 000 000; WH_EINVAL otherwise. JSON: "rateLimit": {"requests": N, "periodMs": P,
 * "burst": B}, or null for none. */
WH_EXTERN int wh_subscription_set_rate_limit(wh_subscription *sub, uint32_t requests,
                                             uint32_t period_ms, uint32_t burst);
/* The rate limit in *requests, *period_ms, *burst (each may be NULL; burst as given, 0 when it
 * follows requests); all 0 when there is none. */
WH_EXTERN void wh_subscription_rate_limit(const wh_subscription *sub, uint32_t *requests,
                                          uint32_t *period_ms, uint32_t *burst);

/* ---- host metadata: an arbitrary JSON object, compact text ---- */
WH_EXTERN const char *wh_subscription_metadata(const wh_subscription *sub); /* "{}" by default */
WH_EXTERN int wh_subscription_set_metadata(wh_subscription *sub, const char *json, size_t len);

/* ---- times and delivery stats ---- */
WH_EXTERN wh_time_ms wh_subscription_created_at(const wh_subscription *sub);
WH_EXTERN wh_time_ms wh_subscription_updated_at(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_times(wh_subscription *sub, wh_time_ms created_at,
                                        wh_time_ms updated_at);
/* lastDeliveryAt (0: never), lastDeliveryStatus (0: never; else the HTTP status, or a negative
 * WH_E* code for a transport failure), failureCount (consecutive failed deliveries), and
 * firstFailureAt (start of the current failure streak, 0 when none). */
WH_EXTERN wh_time_ms wh_subscription_last_delivery_at(const wh_subscription *sub);
WH_EXTERN int wh_subscription_last_delivery_status(const wh_subscription *sub);
WH_EXTERN uint32_t wh_subscription_failure_count(const wh_subscription *sub);
WH_EXTERN wh_time_ms wh_subscription_failing_since(const wh_subscription *sub);
WH_EXTERN int wh_subscription_set_stats(wh_subscription *sub, wh_time_ms last_delivery_at,
                                        int last_status, uint32_t failure_count,
                                        wh_time_ms failing_since);

/* Names as used in JSON: "active", "POST", "standard". NULL for an unknown value. Static
 * strings: never freed. */
WH_EXTERN const char *wh_status_name(wh_status status);
WH_EXTERN const char *wh_method_name(wh_method method);
WH_EXTERN const char *wh_scheme_name(wh_scheme scheme);
/* Parse those names (case-sensitive for status and scheme, case-insensitive for methods). */
WH_EXTERN int wh_status_parse(const char *name, wh_status *out);
WH_EXTERN int wh_method_parse(const char *name, wh_method *out);
WH_EXTERN int wh_scheme_parse(const char *name, wh_scheme *out);

/* Generate a new secret "whsec_" + base64 of 32 random bytes. *out: free with wh_free. */
WH_EXTERN int wh_secret_generate(char **out);
/* Check a secret's form ("whsec_" + base64 of 24..64 bytes). WH_OK or WH_EINVAL with the reason. */
WH_EXTERN int wh_secret_check(const char *secret);
/* Check a secret for a scheme: standard as wh_secret_check; github, stripe, body and none take
 * any string the host or its client chose, 1..WH_MAX_SECRET_LEN bytes of UTF-8 without control
 * characters. WH_OK or WH_EINVAL with the reason (never the secret itself). */
WH_EXTERN int wh_secret_check_scheme(wh_scheme scheme, const char *secret);

/* ---- matching ---- */
/*
 * 1 when sub receives ev, else 0 (also for NULL). A wh_matcher (webhooks/match.h) applies the
 * same rules to many subscriptions at once through an index.
 *
 * The rules:
 * - Only subscriptions whose status is active match; disabled and waiting_config never do.
 * - A subscription listens through its event-type patterns (WH_LIST_EVENTS) and/or through its
 *   entity plus actions. When it has both, an event must match both ways to be received (each
 *   narrows; nothing widens).
 *   - Patterns are dot-separated and case-sensitive. A segment "*" stands for exactly one
 *     segment ("order.*" matches "order.created", not "order" nor "order.row.created"); a last
 *     segment "**" stands for one or more segments ("order.**" matches "order.created" and
 *     "order.row.created", not "order"). "*" or "**" alone match every type.
 *   - Entity plus actions: the event's entity equals the subscription's entity
 *     (case-sensitive) and the event's action is one of its actions; no actions means every
 *     action of that entity. Actions without an entity never match.
 * - Filters, each applied only when set, must all hold: products (at least one of the event's
 *   product ids is listed; an event without products fails), event identifiers (the event's
 *   identifier is listed), source (equal, case-sensitive), and the payload filter
 *   (webhooks/filter.h). When evaluating the payload filter runs out of memory, the result is 0.
 */
WH_EXTERN int wh_subscription_matches(const wh_subscription *sub, const wh_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_SUBSCRIPTION_H */
