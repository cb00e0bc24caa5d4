/* The transport port's own code: what every transport shares, whatever its backend. */
#include "webhooks/sys/transport.h"

void wh_transport_free(wh_transport *t)
{
    if (t && t->free) t->free(t);
}
