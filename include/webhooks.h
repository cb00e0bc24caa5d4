/* libwebhooks umbrella header: includes every public header. */
#ifndef WEBHOOKS_H
#define WEBHOOKS_H

#include "webhooks/common.h"
#include "webhooks/subscription.h"
#include "webhooks/event.h"
#include "webhooks/sign.h"

#endif
