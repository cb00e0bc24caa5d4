/*
 * libwebhooks umbrella header: every public header a host uses. The headers under
 * webhooks/sys/ are for implementers of stores and transports only and are not included here.
 */
#ifndef WEBHOOKS_H
#define WEBHOOKS_H

#include "webhooks/common.h"
#include "webhooks/subscription.h"
#include "webhooks/event.h"
#include "webhooks/delivery.h"
#include "webhooks/match.h"
#include "webhooks/template.h"
#include "webhooks/envelope.h"
#include "webhooks/sign.h"
#include "webhooks/urlguard.h"
#include "webhooks/store.h"
#include "webhooks/transport.h"
#include "webhooks/hub.h"
#include "webhooks/api.h"

#endif /* WEBHOOKS_H */
