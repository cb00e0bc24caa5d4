/* libwebhooks umbrella header: includes every public header. */
#ifndef WEBHOOKS_H
#define WEBHOOKS_H

#include "webhooks/common.h"
#include "webhooks/subscription.h"
#include "webhooks/event.h"
#include "webhooks/store.h"
#include "webhooks/sys/store.h"
#include "webhooks/match.h"
#include "webhooks/template.h"
#include "webhooks/sign.h"
#include "webhooks/urlguard.h"

#include "webhooks/transport.h"
#include "webhooks/hub.h"
#include "webhooks/api.h"

#endif
