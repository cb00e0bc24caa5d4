/*
 * The store's listings as JSON text, for bindings: the wh_store vtable's members are function
 * pointers inside a struct, which ctypes or koffi cannot call without mirroring its layout, and
 * their results arrive through callbacks with struct arguments. These wrappers call the members
 * and hand back one JSON document (free with wh_free), written by record_json.c like every other
 * JSON view of these records.
 *
 * The JSON is written inside the store's callbacks (which may hold the store's lock), so it only
 * builds text there and never calls the store back.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "record_json.h"
#include "webhooks/sys/store.h"

/* ---- listings ---- */

typedef struct list_ctx {
    whi_buf *b;
    size_t n;
    unsigned int flags;
    int rc;
} list_ctx;

static void comma(list_ctx *l)
{
    if (l->n++) whi_buf_putc(l->b, ',');
}

static int on_sub(const wh_subscription *sub, void *ud)
{
    list_ctx *l = ud;
    char *text = NULL;
    size_t len = 0;
    if ((l->rc = wh_subscription_to_json(sub, l->flags, &text, &len)) != WH_OK) return 1;
    comma(l);
    whi_buf_append(l->b, text, len);
    whi_free(text);
    return 0;
}

static int on_delivery(const wh_delivery *d, void *ud)
{
    list_ctx *l = ud;
    comma(l);
    whi_buf_putc(l->b, '{');
    whi_delivery_json_members(l->b, d, l->flags != 0);
    whi_buf_putc(l->b, '}');
    return 0;
}

static int on_attempt(const wh_attempt *a, void *ud)
{
    list_ctx *l = ud;
    comma(l);
    whi_attempt_json(l->b, a);
    return 0;
}

static int check_args(wh_store *s, char **json_out)
{
    if (json_out) *json_out = NULL;
    if (!s || !json_out) return whi_error(WH_EINVAL, "store and json_out must not be NULL");
    return WH_OK;
}

/* Close a listing: "],"page":..,"limit":..,"total":..}" and hand the text over. */
static int finish(whi_buf *b, int rc, size_t page, size_t limit, size_t total, char **json_out)
{
    whi_buf_printf(b, "],\"page\":%zu,\"limit\":%zu,\"total\":%zu}", page, limit, total);
    if (rc == WH_OK) rc = whi_buf_status(b);
    if (rc == WH_OK && !(*json_out = whi_buf_detach(b, NULL))) rc = whi_error_oom();
    whi_buf_free(b);
    return rc;
}

int wh_store_subscription_list_json(wh_store *s, const char *owner, unsigned int flags,
                                    size_t limit, size_t page, char **json_out)
{
    int rc = check_args(s, json_out);
    if (rc != WH_OK) return rc;
    if (flags & ~WH_JSON_SECRETS)
        return whi_error(WH_EINVAL, "flags: only WH_JSON_SECRETS is defined");
    page = page ? page : 1;
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{\"subscriptions\":[");
    list_ctx l = {&b, 0, flags, WH_OK};
    size_t total = 0;
    rc = s->sub_list(s, owner, limit, page, &total, on_sub, &l);
    return finish(&b, rc == WH_OK ? l.rc : rc, page, limit, total, json_out);
}

int wh_store_delivery_list_json(wh_store *s, const char *subscription_id, int status, size_t limit,
                                size_t page, char **json_out)
{
    int rc = check_args(s, json_out);
    if (rc != WH_OK) return rc;
    if (status != -1 && !wh_delivery_status_name((wh_delivery_status)status))
        return whi_error(WH_EINVAL, "status must be -1 (any) or a wh_delivery_status");
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.subscription_id = subscription_id;
    q.status = status;
    q.limit = limit;
    q.page = page ? page : 1;
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{\"deliveries\":[");
    list_ctx l = {&b, 0, 0, WH_OK};
    size_t total = 0;
    rc = s->delivery_list(s, &q, &total, on_delivery, &l);
    return finish(&b, rc, q.page, limit, total, json_out);
}

int wh_store_delivery_get_json(wh_store *s, const char *delivery_id, char **json_out)
{
    int rc = check_args(s, json_out);
    if (rc != WH_OK) return rc;
    if (!delivery_id) return whi_error(WH_EINVAL, "delivery id must not be NULL");
    whi_buf b = WHI_BUF_INIT;
    list_ctx l = {&b, 0, 1, WH_OK};
    rc = s->delivery_get(s, delivery_id, on_delivery, &l);
    if (rc == WH_OK && !l.n) rc = whi_error(WH_ENOTFOUND, "no delivery %s", delivery_id);
    if (rc == WH_OK) rc = whi_buf_status(&b);
    if (rc == WH_OK && !(*json_out = whi_buf_detach(&b, NULL))) rc = whi_error_oom();
    whi_buf_free(&b);
    return rc;
}

int wh_store_attempt_list_json(wh_store *s, const char *delivery_id, const char *subscription_id,
                               size_t limit, size_t page, char **json_out)
{
    int rc = check_args(s, json_out);
    if (rc != WH_OK) return rc;
    if (!delivery_id == !subscription_id)
        return whi_error(WH_EINVAL, "give exactly one of delivery_id and subscription_id");
    page = page ? page : 1;
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{\"attempts\":[");
    list_ctx l = {&b, 0, 0, WH_OK};
    size_t total = 0;
    rc = s->attempt_list(s, delivery_id, subscription_id, limit, page, &total, on_attempt, &l);
    return finish(&b, rc, page, limit, total, json_out);
}
