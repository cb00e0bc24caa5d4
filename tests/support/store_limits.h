/* The limits of the built-in stores (webhooks/store.h: WH_STORE_MAX_*), which a third-party
 * store need not share: oversized fields refused, long error texts and responses cut. Run like
 * the conformance suite (webhooks/conformance.h). */
#ifndef WH_TEST_STORE_LIMITS_H
#define WH_TEST_STORE_LIMITS_H

#include <webhooks/conformance.h>

int wh_store_limits_run(const char *name, wh_store_factory make, void *user_data);

#endif
