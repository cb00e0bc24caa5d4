/*
 * Another process's changes (store port version 4: a store several processes share, such as the
 * PostgreSQL store). The store gives a descriptor that becomes readable when another process
 * enqueued a delivery, made one due again or changed a subscription; the hub polls it with its
 * sockets, so a delivery enqueued elsewhere starts at once instead of at this hub's next
 * timeout, and drains it after. While the store has no descriptor (it lost its connection) the
 * hub waits at most WHI_STORE_RETRY_MS, and the drain reconnects.
 */
#include "hub_impl.h"
#include "error.h"

bool whi_hub_store_notifies(const wh_hub *h)
{
    const wh_store *s = h->store;
    return s->version >= 4 && s->notify_fd && s->notify_drain;
}

int whi_hub_store_fd(wh_hub *h)
{
    return whi_hub_store_notifies(h) ? h->store->notify_fd(h->store) : -1;
}

void whi_hub_store_drain(wh_hub *h)
{
    if (!whi_hub_store_notifies(h)) return;
    if (h->store->notify_drain(h->store) != WH_OK)
        whi_hub_log(h, WH_LOG_WARN, "store: cannot read other processes' changes: %s",
                    wh_error_last()->message);
}
