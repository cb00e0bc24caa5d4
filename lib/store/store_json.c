/*
 * The store's listings as JSON text, for bindings: the wh_store vtable's members are function
 * pointers inside a struct, which ctypes or koffi cannot call without mirroring its layout, and
 * their results arrive through callbacks with struct arguments. These wrappers call the members
 * and hand back one JSON document (free with wh_free). Also wh_store_purge, and the SQLite
 * store's options as JSON.
 *
 * The JSON is written inside the store's callbacks (which may hold the store's lock), so it only
 * builds text there and never calls the store back.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "rfc3339.h"
#include "encode.h"
#include "text.h"
#include "problems.h"
#include "json.h"
#include "webhooks/store.h"

/* ---- JSON pieces ---- */

static void put_time(whi_buf *b, wh_time_ms at)
{
    if (!at) {
        whi_buf_puts(b, "null");
        return;
    }
    char t[WHI_RFC3339_MAX];
    whi_rfc3339_format(at, 0, t);
    whi_buf_printf(b, "\"%s\"", t);
}

static void put_str(whi_buf *b, const char *s)
{
    if (s)
        whi_json_escape(b, s, strlen(s), true);
    else
        whi_buf_puts(b, "null");
}

/* Bytes as a JSON string when they are valid UTF-8 without NUL, else base64 under key64. */
static void put_bytes(whi_buf *b, const char *key, const char *key64, const char *s, size_t len)
{
    if (!s) len = 0;
    if (whi_utf8_valid(s ? s : "", len) && (!len || !memchr(s, '\0', len))) {
        whi_buf_printf(b, ",\"%s\":", key);
        whi_json_escape(b, s ? s : "", len, true);
        return;
    }
    whi_buf_printf(b, ",\"%s\":\"", key64);
    size_t n = whi_base64_encoded_len(len);
    if (whi_buf_reserve(b, n + 1) != WH_OK) return;
    b->len += whi_base64_encode(s, len, b->data + b->len); /* writes its NUL too */
    whi_buf_putc(b, '"');
}

static void put_status(whi_buf *b, const char *key, int status)
{
    if (status)
        whi_buf_printf(b, ",\"%s\":%d", key, status);
    else
        whi_buf_printf(b, ",\"%s\":null", key);
}

/* The fields every delivery shows; wh_store_delivery_get_json adds headers and body. */
static void put_delivery(whi_buf *b, const wh_delivery *d, bool full)
{
    whi_buf_puts(b, "{\"id\":");
    put_str(b, d->id);
    whi_buf_puts(b, ",\"subscriptionId\":");
    put_str(b, d->subscription_id);
    whi_buf_puts(b, ",\"ownerId\":");
    put_str(b, d->owner_id);
    whi_buf_puts(b, ",\"eventId\":");
    put_str(b, d->event_id);
    whi_buf_puts(b, ",\"eventType\":");
    put_str(b, d->event_type);
    whi_buf_puts(b, ",\"idempotencyKey\":");
    put_str(b, d->idempotency_key);
    const char *method = wh_method_name(d->method), *status = wh_delivery_status_name(d->status);
    whi_buf_printf(b, ",\"method\":\"%s\",\"url\":", method ? method : "?");
    put_str(b, d->url);
    whi_buf_printf(b, ",\"status\":\"%s\",\"attempts\":%u", status ? status : "?",
                   (unsigned)d->attempts);
    put_status(b, "lastStatus", d->last_status);
    whi_buf_puts(b, ",\"lastError\":");
    put_str(b, d->last_error);
    whi_buf_puts(b, ",\"nextAttemptAt\":");
    put_time(b, d->status == WH_DELIVERY_PENDING ? d->next_attempt_at : 0);
    whi_buf_puts(b, ",\"leaseUntil\":");
    put_time(b, d->status == WH_DELIVERY_IN_FLIGHT ? d->lease_until : 0);
    whi_buf_puts(b, ",\"eventTime\":");
    put_time(b, d->event_time);
    whi_buf_puts(b, ",\"createdAt\":");
    put_time(b, d->created_at);
    whi_buf_puts(b, ",\"updatedAt\":");
    put_time(b, d->updated_at);
    whi_buf_printf(b, ",\"bodyLength\":%zu", d->body_len);
    if (full) {
        /* Stored headers are a JSON object's text; anything else is shown as a string. */
        cJSON *h = d->headers ? cJSON_Parse(d->headers) : NULL;
        if (cJSON_IsObject(h))
            whi_buf_printf(b, ",\"headers\":%s", d->headers);
        else
            whi_buf_puts(b, ",\"headers\":{}");
        cJSON_Delete(h);
        put_bytes(b, "body", "bodyBase64", d->body, d->body_len);
    }
    whi_buf_putc(b, '}');
}

static void put_attempt(whi_buf *b, const wh_attempt *a)
{
    whi_buf_puts(b, "{\"deliveryId\":");
    put_str(b, a->delivery_id);
    whi_buf_puts(b, ",\"subscriptionId\":");
    put_str(b, a->subscription_id);
    whi_buf_printf(b, ",\"number\":%u,\"startedAt\":", (unsigned)a->number);
    put_time(b, a->started_at);
    whi_buf_printf(b, ",\"durationMs\":%u", (unsigned)a->duration_ms);
    put_status(b, "httpStatus", a->http_status);
    put_status(b, "errorCode", a->error_code);
    whi_buf_puts(b, ",\"error\":");
    put_str(b, a->error);
    put_bytes(b, "response", "responseBase64", a->response, a->response_len);
    whi_buf_putc(b, '}');
}

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
    put_delivery(l->b, d, l->flags != 0);
    return 0;
}

static int on_attempt(const wh_attempt *a, void *ud)
{
    list_ctx *l = ud;
    comma(l);
    put_attempt(l->b, a);
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

int wh_store_purge(wh_store *s, wh_time_ms older_than, size_t *removed)
{
    if (removed) *removed = 0;
    if (!s) return whi_error(WH_EINVAL, "store must not be NULL");
    return s->purge(s, older_than, removed);
}

/* ---- the SQLite store's options ---- */

static void sqlite_option(const cJSON *item, wh_sqlite_options *o, whi_problems *p)
{
    const char *k = item->string;
    double d = cJSON_IsNumber(item) ? item->valuedouble : -1;
    bool whole = cJSON_IsNumber(item) && d >= 0 && d <= 4294967295.0 && d == (double)(uint64_t)d;
    if (!strcmp(k, "busyTimeoutMs")) {
        if (whole && d <= 2147483647.0)
            o->busy_timeout_ms = (int)d;
        else
            whi_problem(p, "busyTimeoutMs: must be a whole number from 0 to 2147483647");
    } else if (!strcmp(k, "maxPageCount")) {
        if (whole && d <= 4294967295.0)
            o->max_page_count = (uint32_t)d;
        else
            whi_problem(p, "maxPageCount: must be a whole number from 0 to 4294967295");
    } else if (!strcmp(k, "readOnly")) {
        if (cJSON_IsBool(item))
            o->read_only = cJSON_IsTrue(item);
        else
            whi_problem(p, "readOnly: must be true or false");
    } else if (!strcmp(k, "synchronous")) {
        const char *v = cJSON_IsString(item) ? item->valuestring : "";
        if (!strcmp(v, "full") || !strcmp(v, "normal"))
            o->synchronous = v[0] == 'f' ? WH_SQLITE_SYNC_FULL : WH_SQLITE_SYNC_NORMAL;
        else
            whi_problem(p, "synchronous: must be \"full\" or \"normal\"");
    } else {
        whi_problem(p, "%s: unknown option", k);
    }
}

int wh_store_sqlite_open_json(wh_store **out, const char *path, const char *options_json)
{
    if (out) *out = NULL;
    wh_sqlite_options o = WH_SQLITE_OPTIONS_INIT;
    if (!options_json || !options_json[0]) return wh_store_sqlite_new(out, path, &o);
    cJSON *root;
    int rc = whi_json_parse(options_json, strlen(options_json), 0, &root);
    if (rc != WH_OK) return rc;
    whi_problems p = {0};
    if (!cJSON_IsObject(root)) {
        whi_problem(&p, "the JSON document must be an object");
    } else {
        const cJSON *item;
        cJSON_ArrayForEach(item, root) sqlite_option(item, &o, &p);
    }
    cJSON_Delete(root);
    if (p.count) {
        char msg[320];
        snprintf(msg, sizeof(msg), "SQLite store options: %s%s",
                 p.list.n ? p.list.v[0] : "out of memory",
                 p.count > 1 ? " (and more: see the details)" : "");
        return whi_problems_fail(&p, WH_EINVAL, msg);
    }
    return wh_store_sqlite_new(out, path, &o);
}
