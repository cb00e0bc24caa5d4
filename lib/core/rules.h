/* The matching rules as pure predicates (rules.c); wh_subscription_matches is both. */
#ifndef WHI_CORE_RULES_H
#define WHI_CORE_RULES_H

#include <stdbool.h>

#include "webhooks/event.h"
#include "webhooks/subscription.h"

/* The subscription is active and the event passes its product, identifier and source filters. */
bool whi_sub_passes_filters(const wh_subscription *sub, const wh_event *ev);
/* The event's entity equals the subscription's and its action is one of the subscription's
 * actions (no actions: any). */
bool whi_sub_entity_matches(const wh_subscription *sub, const wh_event *ev);
/* The event's type matches one of its patterns, and its entity and action are listened to
 * when the subscription has an entity: patterns alone, an entity alone, or both at once. */
bool whi_sub_listens(const wh_subscription *sub, const wh_event *ev);

#endif /* WHI_CORE_RULES_H */
