/* Small steps of tests that drive a hub against a loopback receiver. */
#ifndef WH_TEST_HUB_HELPERS_H
#define WH_TEST_HUB_HELPERS_H

#include <stddef.h>

#include <webhooks.h>

#include "receiver.h"

/* The secret the helpers' subscriptions sign with. */
#define WH_TEST_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/* Register a subscription to "order.*" at the receiver's path, signing with WH_TEST_SECRET and
 * without retries; its id goes to id (n bytes). Asserts success. */
void wh_test_add_order_sub(wh_hub *hub, wh_receiver *r, const char *path, char *id, size_t n);
/* Emit an event of type with data (JSON text); returns how many deliveries were queued. */
size_t wh_test_emit(wh_hub *hub, const char *type, const char *data);
/* Run the hub until nothing is in flight or due, at most max_ms of real time, then a few more
 * rounds to record what just completed. */
void wh_test_run_idle(wh_hub *hub, int max_ms);

#endif
