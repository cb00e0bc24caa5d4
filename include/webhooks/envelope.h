/*
 * The envelope: the JSON body a subscription receives for an event when it has no body template
 * of its own (the Standard Webhooks shape), with the event's relations the subscription asks for.
 */
#ifndef WEBHOOKS_ENVELOPE_H
#define WEBHOOKS_ENVELOPE_H

#include "webhooks/common.h"
#include "webhooks/event.h"
#include "webhooks/subscription.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The default body, used when a subscription has no body template:
 *   {"id":<event id>,"type":<event type>,"timestamp":<occurredAt, RFC 3339>,"data":<payload>}
 * followed, for each name in sub's WH_LIST_RELATIONS (in that order) that the event carries
 * (exact, case-sensitive name), by "<name>":<relation JSON>. Relation names id, type,
 * timestamp and data are skipped so no key repeats. sub may be NULL (no relations).
 * *out is NUL-terminated, owned by the caller (free with wh_free); *len may be NULL.
 * WH_EINVAL for NULL ev/out, WH_ENOMEM.
 */
WH_EXTERN int wh_envelope_render(const wh_event *ev, const wh_subscription *sub, char **out,
                                 size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_ENVELOPE_H */
