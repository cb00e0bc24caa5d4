/*
 * Templates: {{placeholder}} strings compiled once and rendered per event (a subscription's URL,
 * body and header values). The body sent when a subscription has no body template is the
 * envelope of webhooks/envelope.h.
 * Pure: no I/O. A compiled wh_template is immutable, so any number of threads may render the
 * same template at the same time.
 *
 * Syntax:
 * - "{{name}}" inserts a value; spaces or tabs may surround the name ("{{ entity }}"). Names are
 *   1..64 bytes of [A-Za-z0-9_.-].
 * - "\{{" writes a literal "{{" (the backslash is dropped). Every other byte, including other
 *   backslashes and a lone "}}", is copied as it is.
 * - Errors at compile time (WH_EINVAL, with the byte offset in the message): an unterminated
 *   "{{", an empty name, a character not allowed in a name, a name over 64 bytes, {{data}}
 *   outside a body; in header mode also CR, LF or NUL in the literal text.
 *
 * Names:
 *   entity, action          the event's entity and action
 *   id                      the event's ids joined by commas
 *   event.id, event.type    the event's id and type
 *   timestamp               occurredAt, RFC 3339 in the offset the event was given with
 *   subscription.id         the id passed to the render call
 *   data                    the event's payload, JSON inserted as it is (null when it has
 *                           none); only in WH_ESCAPE_JSON and WH_ESCAPE_RAW templates (bodies):
 *                           elsewhere it is a compile error
 *   account, environment    the event's attributes of those names
 *   anything else           the event's attribute of that name (paymentName, orderRowId, ...)
 * The built-in names above (all but account and environment) always take their value from the
 * event field, never from an attribute of the same name. A value that is absent (no entity, no
 * ids, no such attribute, no subscription id) makes the render fail with WH_ERENDER naming the
 * placeholder, so a subscription can record the failure instead of sending a broken request.
 *
 * Escaping, chosen at compile time:
 *   WH_ESCAPE_RAW     values are inserted as they are.
 *   WH_ESCAPE_URL     every byte of a value outside RFC 3986 unreserved (A-Z a-z 0-9 - . _ ~) is
 *                     percent-encoded, "/" included; for {{id}} each id is encoded and the
 *                     separating commas are kept as ",".
 *   WH_ESCAPE_JSON    values are escaped as JSON string content (the template supplies quotes).
 *   WH_ESCAPE_HEADER  values are inserted as they are, but a CR, LF or NUL in one fails with
 *                     WH_ERENDER.
 */
#ifndef WEBHOOKS_TEMPLATE_H
#define WEBHOOKS_TEMPLATE_H

#include "webhooks/common.h"
#include "webhooks/event.h"
#include "webhooks/subscription.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wh_template wh_template;

typedef enum wh_escape {
    WH_ESCAPE_RAW = 0,
    WH_ESCAPE_URL = 1,
    WH_ESCAPE_JSON = 2,
    WH_ESCAPE_HEADER = 3
} wh_escape;

/* Default limit of a rendered body (wh_template_render with max_len 0). */
#define WH_DEFAULT_BODY_LIMIT (1024 * 1024)
/* Longest template source accepted by wh_template_compile. */
#define WH_MAX_TEMPLATE_LEN (1024 * 1024)

/*
 * Compile len bytes of src (need not be NUL-terminated; may contain any bytes) for the given
 * escaping mode. *out is owned by the caller: free with wh_template_free. WH_EINVAL with the
 * byte offset in the message for a syntax error, or for a NULL argument or unknown mode;
 * WH_ETOOLARGE over WH_MAX_TEMPLATE_LEN; WH_ENOMEM. On error *out is NULL.
 */
WH_EXTERN int wh_template_compile(wh_template **out, const char *src, size_t len, wh_escape mode);
WH_EXTERN void wh_template_free(wh_template *t); /* NULL is a no-op */

/* The escaping mode it was compiled with. */
WH_EXTERN wh_escape wh_template_mode(const wh_template *t);
/* The distinct placeholder names the template uses, in order of first use (borrowed: valid
 * while t lives). wh_template_placeholder_at gives NULL when i is out of range. Useful to check
 * at registration time that the names are ones the host's events provide. */
WH_EXTERN size_t wh_template_placeholder_count(const wh_template *t);
WH_EXTERN const char *wh_template_placeholder_at(const wh_template *t, size_t i);
/* 1 when name is a built-in placeholder (entity, action, id, event.id, event.type, timestamp,
 * subscription.id, data; not account/environment, which are attributes), else 0. */
WH_EXTERN int wh_template_name_is_builtin(const char *name);

/*
 * Render t for ev. subscription_id fills {{subscription.id}} (may be NULL when the template
 * does not use it). max_len bounds the output (0: WH_DEFAULT_BODY_LIMIT). *out is
 * NUL-terminated and owned by the caller (free with wh_free); *len (may be NULL) gets its length
 * (a RAW template may render NUL bytes of its own text). WH_ERENDER naming the placeholder when
 * a value is missing or not allowed by the mode; WH_ETOOLARGE over max_len; WH_EINVAL for NULL
 * arguments; WH_ENOMEM. On error *out is NULL.
 */
WH_EXTERN int wh_template_render(const wh_template *t, const wh_event *ev,
                                 const char *subscription_id, size_t max_len, char **out,
                                 size_t *len);
/*
 * Render a URL template (normally compiled with WH_ESCAPE_URL) and check the result is an
 * absolute http(s) URL of at most WH_MAX_URL_LEN bytes without spaces or controls:
 * WH_ETOOLARGE when longer, WH_ERENDER when not a valid URL, otherwise as wh_template_render.
 */
WH_EXTERN int wh_template_render_url(const wh_template *t, const wh_event *ev,
                                     const char *subscription_id, char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_TEMPLATE_H */
