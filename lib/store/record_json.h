/*
 * Deliveries and attempts as JSON: the one writer behind every place that shows them (the
 * REST API, the store's JSON listings for bindings), so that they never name a field two ways.
 * Field names are camelCase; the subscription is "webhookId", as in the REST API.
 */
#ifndef WHI_STORE_RECORD_JSON_H
#define WHI_STORE_RECORD_JSON_H

#include <stdbool.h>

#include "buf.h"
#include "webhooks/delivery.h"

/*
 * The members of one delivery's object, without the braces (so a caller may add its own):
 * "id", "webhookId", "ownerId", "eventId", "eventType", "idempotencyKey", "method", "url",
 * "status", "attempts", "lastStatus", "lastError", "nextAttemptAt", "leaseUntil", "eventTime",
 * "createdAt", "updatedAt", "bodyLength"; with full, also "headers" (an object) and the body as
 * "body" or "bodyBase64".
 */
void whi_delivery_json_members(whi_buf *b, const wh_delivery *d, bool full);
/* One attempt as an object: "deliveryId", "webhookId", "number", "startedAt", "durationMs",
 * "httpStatus", "errorCode", "error", and "response" or "responseBase64". */
void whi_attempt_json(whi_buf *b, const wh_attempt *a);

#endif /* WHI_STORE_RECORD_JSON_H */
