/*
 * The delivery routes: a webhook's delivery log with the attempts of each delivery
 * (GET /webhooks/{id}/deliveries) and replaying one delivery (POST /deliveries/{id}/retry).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_impl.h"
#include "record_json.h"
#include "store_impl.h"
#include "validate.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "json.h"
#include "rfc3339.h"

/* Deliveries copied out of a store callback (the store may hold its lock meanwhile, and each
 * delivery's attempts are read after the listing). */
typedef struct dlv_list {
    wh_delivery *v;
    size_t n, cap;
    int rc;
} dlv_list;

static void list_free(dlv_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        wh_delivery_clear(&l->v[i]);
    whi_free(l->v);
}

static int collect(const wh_delivery *d, void *ud)
{
    dlv_list *l = ud;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        wh_delivery *grown = whi_realloc(l->v, cap * sizeof(*grown));
        if (!grown) {
            l->rc = whi_error_oom();
            return 1;
        }
        l->v = grown;
        l->cap = cap;
    }
    if ((l->rc = wh_delivery_copy(&l->v[l->n], d)) != WH_OK) return 1;
    l->n++;
    return 0;
}

/* ---- JSON ---- */

/* One attempt as JSON, kept as text: the store hands attempts newest first, the log shows them
 * oldest first. */
typedef struct att_list {
    char **v;
    size_t n;
    int rc;
} att_list;

static int attempt_json(const wh_attempt *a, void *ud)
{
    att_list *l = ud;
    whi_buf b = WHI_BUF_INIT;
    whi_attempt_json(&b, a);
    char *text = whi_buf_detach(&b, NULL);
    if (!text || l->n == WHI_API_MAX_ATTEMPT_LOG) {
        whi_free(text);
        l->rc = text ? WH_OK : WH_ENOMEM;
        return 1;
    }
    l->v[l->n++] = text;
    return 0;
}

static int put_attempts(whi_buf *b, wh_store *st, const char *delivery_id)
{
    char *slots[WHI_API_MAX_ATTEMPT_LOG];
    att_list l = {slots, 0, WH_OK};
    int rc = wh_store_attempt_list(st, delivery_id, NULL, WHI_API_MAX_ATTEMPT_LOG, 1, NULL,
                                   attempt_json, &l);
    if (rc == WH_OK) rc = l.rc;
    whi_buf_puts(b, "[");
    for (size_t i = l.n; i-- > 0;) {
        whi_buf_puts(b, slots[i]);
        if (i) whi_buf_putc(b, ',');
        whi_free(slots[i]);
    }
    whi_buf_puts(b, "]");
    return rc;
}

/* A delivery as the record writer shows it, with its attempts oldest first. */
static int put_delivery(whi_buf *b, wh_store *st, const wh_delivery *d)
{
    whi_buf_putc(b, '{');
    whi_delivery_json_members(b, d, false);
    whi_buf_puts(b, ",\"attemptLog\":");
    int rc = put_attempts(b, st, d->id);
    whi_buf_putc(b, '}');
    return rc;
}

/* ---- GET /webhooks/{id}/deliveries ---- */

static int delivery_query(api_ctx *c, wh_delivery_query *q)
{
    int rc = whi_api_paging(c, &q->limit, &q->page);
    const char *status = NULL;
    if (rc == WH_OK) rc = whi_api_param(c, "status", &status);
    wh_delivery_status st;
    if (rc == WH_OK && status && wh_delivery_status_parse(status, &st) != WH_OK)
        rc = whi_error(WH_EINVAL, "status must be pending, in_flight, succeeded or failed");
    if (rc == WH_OK && status) q->status = (int)st;
    return rc == WH_OK ? WH_OK : whi_api_fail_status(c, 400);
}

int whi_api_deliveries_list(api_ctx *c)
{
    wh_subscription *sub;
    if (whi_api_own_webhook(c, c->segs[1], &sub) != WH_OK) return WH_ENOTFOUND;
    wh_subscription_free(sub);
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    if (delivery_query(c, &q) != WH_OK) return WH_EINVAL;
    q.subscription_id = c->segs[1];
    wh_store *st = wh_hub_store(c->api->hub);
    dlv_list l = {NULL, 0, 0, WH_OK};
    size_t total = 0;
    int rc = wh_store_delivery_list(st, &q, &total, collect, &l);
    if (rc == WH_OK) rc = l.rc;
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{\"deliveries\":[");
    for (size_t i = 0; rc == WH_OK && i < l.n; i++) {
        if (i) whi_buf_putc(&b, ',');
        rc = put_delivery(&b, st, &l.v[i]);
    }
    whi_buf_printf(&b, "],\"page\":%zu,\"limit\":%zu,\"total\":%zu}", q.page, q.limit, total);
    list_free(&l);
    size_t len = 0;
    char *body = rc == WH_OK ? whi_buf_detach(&b, &len) : NULL;
    whi_buf_free(&b);
    if (rc == WH_OK && !body) rc = WH_ENOMEM;
    return rc == WH_OK ? whi_api_reply(c, 200, body, len) : whi_api_fail(c, rc);
}

/* ---- POST /deliveries/{id}/retry ---- */

/* The delivery id, if it belongs to one of the principal's webhooks, into *out; *status gets
 * the webhook's status. */
static int load_own_delivery(api_ctx *c, const char *id, dlv_list *out, wh_status *status)
{
    if (whi_check_id(id)) return WH_ENOTFOUND;
    wh_store *st = wh_hub_store(c->api->hub);
    int rc = wh_store_delivery_get(st, id, collect, out);
    if (rc == WH_OK) rc = out->rc;
    if (rc == WH_OK && out->n != 1) rc = WH_ENOTFOUND;
    wh_subscription *sub = NULL;
    if (rc == WH_OK) /* the webhook's owner is the authority, not a copy in the delivery */
        rc = whi_api_load_own(c, out->v[0].subscription_id, &sub);
    if (rc == WH_OK) *status = wh_subscription_status(sub);
    wh_subscription_free(sub);
    return rc;
}

int whi_api_delivery_retry(api_ctx *c)
{
    const char *id = c->segs[1];
    dlv_list l = {NULL, 0, 0, WH_OK};
    wh_status status = WH_STATUS_ACTIVE;
    pthread_mutex_lock(&c->api->writes);
    int rc = load_own_delivery(c, id, &l, &status);
    if (rc == WH_OK && status == WH_STATUS_ACTIVE) rc = wh_hub_replay(c->api->hub, id);
    pthread_mutex_unlock(&c->api->writes);
    list_free(&l);
    if (rc == WH_ENOTFOUND)
        return whi_api_error(c, 404, WH_ENOTFOUND, "no delivery with id %.64s", id);
    if (rc == WH_OK && status != WH_STATUS_ACTIVE) /* it would only be recorded as not sent */
        return whi_api_error(c, 409, WH_ESTATE, "the webhook of delivery %.64s is %s, not active",
                             id, wh_status_name(status));
    if (rc == WH_ESTATE)
        return whi_api_error(c, 409, WH_ESTATE, "delivery %.64s is being sent right now", id);
    if (rc != WH_OK) return whi_api_fail(c, rc);
    /* Answer with the delivery as it is now (pending again). */
    dlv_list now = {NULL, 0, 0, WH_OK};
    wh_store *st = wh_hub_store(c->api->hub);
    rc = wh_store_delivery_get(st, id, collect, &now);
    if (rc == WH_OK) rc = now.rc;
    whi_buf b = WHI_BUF_INIT;
    if (rc == WH_OK && now.n != 1) /* deleted meanwhile */
        rc = whi_error(WH_ENOTFOUND, "no delivery with id %.64s", id);
    if (rc == WH_OK) rc = put_delivery(&b, st, &now.v[0]);
    list_free(&now);
    size_t len = 0;
    char *body = rc == WH_OK ? whi_buf_detach(&b, &len) : NULL;
    whi_buf_free(&b);
    if (rc == WH_OK && !body) rc = whi_error_oom();
    return rc == WH_OK ? whi_api_reply(c, 202, body, len) : whi_api_fail(c, rc);
}

/* ---- POST /webhooks/{id}/recover ---- */

/* The optional body {"since": RFC 3339}: deliveries created since then (default: all). */
static int recover_since(api_ctx *c, wh_time_ms *since)
{
    *since = 0;
    const cJSON *v = c->json ? whi_json_field(c->json, NAMES("since")) : NULL;
    if (!v || cJSON_IsNull(v)) return WH_OK;
    int offset;
    if (!cJSON_IsString(v) || whi_rfc3339_parse(v->valuestring, since, &offset) != WH_OK)
        return whi_api_error(c, 400, WH_EINVAL, "since must be an RFC 3339 time");
    return WH_OK;
}

int whi_api_webhook_recover(api_ctx *c)
{
    const char *id = c->segs[1];
    wh_time_ms since;
    wh_subscription *sub = NULL;
    if (recover_since(c, &since) != WH_OK) return WH_EINVAL;
    pthread_mutex_lock(&c->api->writes);
    int rc = whi_api_own_webhook(c, id, &sub);
    size_t n = 0;
    if (rc == WH_OK && wh_subscription_status(sub) != WH_STATUS_ACTIVE)
        rc = whi_api_error(c, 409, WH_ESTATE, "webhook %.64s is %s: enable it first", id,
                           wh_status_name(wh_subscription_status(sub)));
    else if (rc == WH_OK && (rc = wh_hub_recover(c->api->hub, id, since, &n)) != WH_OK)
        whi_api_fail(c, rc);
    pthread_mutex_unlock(&c->api->writes);
    wh_subscription_free(sub);
    if (rc != WH_OK) return rc;
    whi_buf b = WHI_BUF_INIT;
    whi_buf_printf(&b, "{\"recovered\":%zu}", n);
    size_t len = 0;
    char *body = whi_buf_detach(&b, &len);
    whi_buf_free(&b);
    return body ? whi_api_reply(c, 202, body, len) : whi_api_fail(c, whi_error_oom());
}
