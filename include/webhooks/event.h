/*
 * Events: what the host emits. An event has a type ("order.created"), and optionally an entity
 * and action ("Order", "create"), a list of ids, string attributes for templates, product
 * ids, an identifier, a source, a JSON payload and named JSON relations.
 *
 * Setters validate and copy; on error they return a negative WH_E* code, set wh_error_last() and
 * leave the event unchanged. Returned strings are borrowed until the field next changes or the
 * event is freed. One thread at a time per event; a finished event may be read by many threads.
 */
#ifndef WEBHOOKS_EVENT_H
#define WEBHOOKS_EVENT_H

#include "webhooks/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wh_event wh_event;

#define WH_MAX_EVENT_TYPE_LEN 255
#define WH_MAX_ATTRIBUTE_LEN  4096
#define WH_MAX_EVENT_IDS      1024
#define WH_MAX_PAYLOAD_LEN    (8 * 1024 * 1024)

/* Create an event of the given type (exact name, no wildcards: 1..255 bytes, dot-separated
 * non-empty segments of printable ASCII other than '*' and space). A "msg_" + random id and
 * occurredAt now are set. *out is owned by the caller: free with wh_event_free. */
WH_EXTERN int wh_event_new(wh_event **out, const char *type);
WH_EXTERN void wh_event_free(wh_event *ev); /* NULL is a no-op */
WH_EXTERN int wh_event_clone(wh_event **out, const wh_event *ev);

/* Parse from JSON (every field but "type" optional; the fields: docs/subscriptions.md). One detail
 * per problem; on error *out is NULL. Unknown fields are ignored. */
WH_EXTERN int wh_event_from_json(wh_event **out, const char *json, size_t len);
/* Serialise to compact JSON; *out owned by the caller (wh_free), *len may be NULL. */
WH_EXTERN int wh_event_to_json(const wh_event *ev, char **out, size_t *len);

/* id: 1..255 bytes of [A-Za-z0-9._~:-]. */
WH_EXTERN const char *wh_event_id(const wh_event *ev);
WH_EXTERN int wh_event_set_id(wh_event *ev, const char *id);
WH_EXTERN const char *wh_event_type(const wh_event *ev);
WH_EXTERN int wh_event_set_type(wh_event *ev, const char *type);
/* entity and action ("Order", "create"): NULL for none. */
WH_EXTERN const char *wh_event_entity(const wh_event *ev);
WH_EXTERN int wh_event_set_entity(wh_event *ev, const char *entity);
WH_EXTERN const char *wh_event_action(const wh_event *ev);
WH_EXTERN int wh_event_set_action(wh_event *ev, const char *action);
/* identifier (a host's own name for the event, "CONVERSION") and source ("MKT", "CRM"): NULL
 * for none. */
WH_EXTERN const char *wh_event_identifier(const wh_event *ev);
WH_EXTERN int wh_event_set_identifier(wh_event *ev, const char *identifier);
WH_EXTERN const char *wh_event_source(const wh_event *ev);
WH_EXTERN int wh_event_set_source(wh_event *ev, const char *source);

/* ids of the objects concerned ({{id}} joins them with commas). */
WH_EXTERN int wh_event_add_id(wh_event *ev, const char *id);
WH_EXTERN size_t wh_event_id_count(const wh_event *ev);
WH_EXTERN const char *wh_event_id_at(const wh_event *ev, size_t i);
/* The ids joined by commas, as {{id}} renders them (borrowed; "" when none). */
WH_EXTERN const char *wh_event_ids_joined(const wh_event *ev);

/* product ids (what a subscription's product filter is checked against). */
WH_EXTERN int wh_event_add_product(wh_event *ev, const char *product_id);
WH_EXTERN size_t wh_event_product_count(const wh_event *ev);
WH_EXTERN const char *wh_event_product_at(const wh_event *ev, size_t i);

/* String attributes for templates: account, environment, paymentName, ... Names are 1..64 bytes
 * of [A-Za-z0-9_.-]; values valid UTF-8 up to 4096 bytes. Setting a name again replaces it; a NULL
 * value removes it. */
WH_EXTERN int wh_event_set_attribute(wh_event *ev, const char *name, const char *value);
WH_EXTERN const char *wh_event_attribute(const wh_event *ev, const char *name); /* NULL: absent */
WH_EXTERN size_t wh_event_attribute_count(const wh_event *ev);
WH_EXTERN const char *wh_event_attribute_name(const wh_event *ev, size_t i);
WH_EXTERN const char *wh_event_attribute_value(const wh_event *ev, size_t i);

/* Payload ("data"): any JSON value, given as text of len bytes; kept compact. "null" by
 * default. WH_ETOOLARGE over 8 MiB. */
WH_EXTERN int wh_event_set_data(wh_event *ev, const char *json, size_t len);
WH_EXTERN const char *wh_event_data(const wh_event *ev);
/* Named relations: JSON sections added to the body only for
 * subscriptions that include them. A NULL json removes one. */
WH_EXTERN int wh_event_set_relation(wh_event *ev, const char *name, const char *json, size_t len);
WH_EXTERN const char *wh_event_relation(const wh_event *ev, const char *name); /* NULL: absent */
WH_EXTERN size_t wh_event_relation_count(const wh_event *ev);
WH_EXTERN const char *wh_event_relation_name(const wh_event *ev, size_t i);

/* When the event happened (ms since epoch, years 0000..9999: WH_EINVAL outside); shown in the
 * offset it was given with. */
WH_EXTERN wh_time_ms wh_event_occurred_at(const wh_event *ev);
WH_EXTERN int wh_event_set_occurred_at(wh_event *ev, wh_time_ms at);

/* 1 when the event type matches the pattern, else 0 (also for NULL). Patterns are
 * dot-separated and case-sensitive: a segment "*" stands for exactly one segment ("order.*"
 * matches "order.created", not "order" nor "order.row.created"); a last segment "**" for one or
 * more ("order.**" matches "order.created" and "order.row.created", not "order"); "*" or "**"
 * alone match every type; anything else only the exact name. */
WH_EXTERN int wh_event_type_matches(const char *pattern, const char *event_type);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_EVENT_H */
