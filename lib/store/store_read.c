/*
 * Reading a store's records (webhooks/store.h): typed functions over the vtable's members, so
 * hosts never call a member themselves. Each checks what the member would not (a NULL store or
 * callback, a store without the member) and then calls it.
 */
#include "store_impl.h"
#include "error.h"

static int check(const wh_store *s, const void *cb)
{
    if (!s) return whi_error(WH_EINVAL, "store must not be NULL");
    if (!cb) return whi_error(WH_EINVAL, "callback must not be NULL");
    return WH_OK;
}

int wh_store_subscription_list(wh_store *s, const char *owner, size_t limit, size_t page,
                               size_t *total, wh_store_sub_cb cb, void *user_data)
{
    if (total) *total = 0;
    int rc = check(s, (const void *)cb);
    return rc != WH_OK ? rc : s->sub_list(s, owner, limit, page ? page : 1, total, cb, user_data);
}

int wh_store_delivery_get(wh_store *s, const char *delivery_id, wh_store_delivery_cb cb,
                          void *user_data)
{
    int rc = check(s, (const void *)cb);
    if (rc == WH_OK && !delivery_id) rc = whi_error(WH_EINVAL, "delivery_id must not be NULL");
    return rc != WH_OK ? rc : s->delivery_get(s, delivery_id, cb, user_data);
}

int wh_store_delivery_list(wh_store *s, const wh_delivery_query *q, size_t *total,
                           wh_store_delivery_cb cb, void *user_data)
{
    if (total) *total = 0;
    int rc = check(s, (const void *)cb);
    if (rc != WH_OK) return rc;
    wh_delivery_query all = WH_DELIVERY_QUERY_INIT;
    return s->delivery_list(s, q ? q : &all, total, cb, user_data);
}

int wh_store_attempt_list(wh_store *s, const char *delivery_id, const char *subscription_id,
                          size_t limit, size_t page, size_t *total, wh_store_attempt_cb cb,
                          void *user_data)
{
    if (total) *total = 0;
    int rc = check(s, (const void *)cb);
    if (rc == WH_OK && !delivery_id == !subscription_id)
        rc = whi_error(WH_EINVAL, "give exactly one of delivery_id and subscription_id");
    return rc != WH_OK ? rc
                       : s->attempt_list(s, delivery_id, subscription_id, limit, page ? page : 1,
                                         total, cb, user_data);
}

int wh_store_purge(wh_store *s, wh_time_ms older_than, size_t *removed)
{
    if (removed) *removed = 0;
    if (!s) return whi_error(WH_EINVAL, "store must not be NULL");
    return s->purge(s, older_than, removed);
}
