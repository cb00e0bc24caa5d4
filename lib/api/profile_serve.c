/*
 * Serving a mounted profile: its routes, credentials, scopes and answer shapes around the
 * native handlers. A request in the profile's shape is mapped to the native webhook JSON and
 * handed to the native handler of its operation, so every rule of the native API (ownership,
 * the catalogue, the URL guard, the model's checks) holds for every profile; the stored webhook
 * is then shown in the profile's shape, inside the profile's envelope.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <mbedtls/platform_util.h>

#include "profile_map.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "random.h"
#include "text.h"
#include "compiler.h"

/* ---- answer templates ---- */

typedef struct tvals {
    const char *names[8];
    const cJSON *values[8]; /* borrowed; copied into the answer */
    size_t n;
} tvals;

static void tset(tvals *t, const char *name, const cJSON *v)
{
    if (t->n < WHI_ARRAY_LEN(t->names)) {
        t->names[t->n] = name;
        t->values[t->n++] = v;
    }
}

/* A copy of template with each "$name" string replaced by its value (null when absent). */
static cJSON *render(const cJSON *tpl, const tvals *t)
{
    if (cJSON_IsString(tpl) && tpl->valuestring[0] == '$') {
        for (size_t i = 0; i < t->n; i++)
            if (strcmp(t->names[i], tpl->valuestring) == 0)
                return t->values[i] ? cJSON_Duplicate(t->values[i], true) : cJSON_CreateNull();
        return cJSON_CreateNull();
    }
    if (!cJSON_IsObject(tpl) && !cJSON_IsArray(tpl)) return cJSON_Duplicate(tpl, true);
    cJSON *out = cJSON_IsObject(tpl) ? cJSON_CreateObject() : cJSON_CreateArray();
    for (const cJSON *c = tpl->child; out && c; c = c->next) {
        cJSON *v = render(c, t);
        bool ok = v && (cJSON_IsObject(tpl) ? cJSON_AddItemToObject(out, c->string, v)
                                            : cJSON_AddItemToArray(out, v));
        if (!ok) {
            cJSON_Delete(v);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

/* Answer status with doc as the body (taken). */
static int reply_json(api_ctx *c, int status, cJSON *doc)
{
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!text) return whi_api_fail(c, whi_error_oom());
    /* cJSON's buffer is not the library allocator's when the host installed none: copy */
    size_t len = strlen(text);
    char *body = whi_strndup(text, len);
    cJSON_free(text);
    return body ? whi_api_reply(c, status, body, len) : whi_api_fail(c, whi_error_oom());
}

static const char *status_word(int status)
{
    switch (status) {
    case 400:
        return "BAD_REQUEST";
    case 401:
        return "UNAUTHORIZED";
    case 403:
        return "FORBIDDEN";
    case 404:
        return "NOT_FOUND";
    case 405:
        return "METHOD_NOT_ALLOWED";
    case 409:
        return "CONFLICT";
    case 413:
        return "PAYLOAD_TOO_LARGE";
    case 415:
        return "UNSUPPORTED_MEDIA_TYPE";
    case 503:
        return "UNAVAILABLE";
    default:
        return status >= 500 ? "INTERNAL_ERROR" : "ERROR";
    }
}

/* The native error answer ({"message","details"}) in the profile's error shape. */
static void reshape_error(api_ctx *c, const wh_profile *p)
{
    if (!p->ans_error || !c->body) return;
    cJSON *native = cJSON_ParseWithLength(c->body, c->body_len);
    if (!native) return;
    tvals t = {0};
    cJSON *word = cJSON_CreateString(status_word(c->status));
    cJSON *num = cJSON_CreateNumber(c->status);
    tset(&t, "$message", cJSON_GetObjectItemCaseSensitive(native, "message"));
    tset(&t, "$details", cJSON_GetObjectItemCaseSensitive(native, "details"));
    tset(&t, "$error", word);
    tset(&t, "$status", num);
    cJSON *doc = word && num ? render(p->ans_error, &t) : NULL;
    cJSON_Delete(word);
    cJSON_Delete(num);
    cJSON_Delete(native);
    if (doc) reply_json(c, c->status, doc);
}

/* ---- one webhook shown ---- */

/* Webhook id in the profile's shape, *out owned by the caller. */
static int shown_webhook(api_ctx *c, const wh_profile *p, const char *id, cJSON **out)
{
    *out = NULL;
    wh_subscription *sub;
    int rc = wh_hub_subscription_get(c->api->hub, id, &sub);
    char *text = NULL;
    if (rc == WH_OK) rc = wh_subscription_to_json(sub, WH_JSON_SECRETS, &text, NULL);
    wh_subscription_free(sub);
    cJSON *native = rc == WH_OK ? cJSON_Parse(text) : NULL;
    if (text) {
        mbedtls_platform_zeroize(text, strlen(text));
        wh_free(text);
    }
    if (rc == WH_OK && !native) rc = whi_error_oom();
    if (rc == WH_OK) {
        pthread_rwlock_rdlock(&c->api->cfg);
        rc = whi_profile_from_native(p, &c->api->cat, native, out);
        pthread_rwlock_unlock(&c->api->cfg);
    }
    cJSON_Delete(native);
    return rc;
}

static int reply_item(api_ctx *c, const wh_profile *p, whi_op op, const char *id, int status,
                      const char *message)
{
    cJSON *item;
    int rc = shown_webhook(c, p, id, &item);
    if (rc != WH_OK) return whi_api_fail(c, rc);
    if (p->status[op]) status = p->status[op];
    if (!p->ans_item) return reply_json(c, status, item);
    tvals t = {0};
    cJSON *msg = cJSON_CreateString(message);
    tset(&t, "$item", item);
    tset(&t, "$message", msg);
    cJSON *doc = msg ? render(p->ans_item, &t) : NULL;
    cJSON_Delete(item);
    cJSON_Delete(msg);
    return doc ? reply_json(c, status, doc) : whi_api_fail(c, whi_error_oom());
}

/* ---- list ---- */

typedef struct plist {
    api_ctx *c;
    const wh_profile *p;
    cJSON *items;
    int rc;
} plist;

static int plist_one(const wh_subscription *sub, void *ud)
{
    plist *l = ud;
    char *text = NULL;
    cJSON *native = NULL, *item = NULL;
    l->rc = wh_subscription_to_json(sub, WH_JSON_SECRETS, &text, NULL);
    if (l->rc == WH_OK && !(native = cJSON_Parse(text))) l->rc = whi_error_oom();
    if (text) {
        mbedtls_platform_zeroize(text, strlen(text));
        wh_free(text);
    }
    if (l->rc == WH_OK) l->rc = whi_profile_from_native(l->p, &l->c->api->cat, native, &item);
    cJSON_Delete(native);
    if (l->rc == WH_OK && !cJSON_AddItemToArray(l->items, item)) {
        cJSON_Delete(item);
        l->rc = whi_error_oom();
    }
    return l->rc != WH_OK;
}

/* A query parameter 1..max, or the default; WH_EINVAL naming it. */
static int count_param(api_ctx *c, const char *name, size_t dflt, size_t max, size_t *out)
{
    const char *v;
    int rc = whi_api_param(c, name, &v);
    *out = dflt;
    if (rc != WH_OK || !v) return rc;
    size_t n = 0, len = strlen(v);
    bool ok = len > 0 && len <= 10;
    for (size_t i = 0; ok && i < len; i++) {
        ok = v[i] >= '0' && v[i] <= '9';
        n = n * 10 + (size_t)(v[i] - '0');
    }
    if (!ok || n < 1 || n > max)
        return whi_error(WH_EINVAL, "%s must be an integer from 1 to %zu", name, max);
    *out = n;
    return WH_OK;
}

/* The link to another page of the list (DRF's next and previous), or null. */
static cJSON *page_link(const api_ctx *c, const wh_profile *p, const char *path, size_t page,
                        size_t limit, bool exists)
{
    if (!exists) return cJSON_CreateNull();
    char link[WHI_PROFILE_MAX_PATH * 2 + 128];
    size_t plen = strcspn(path, "?");
    snprintf(link, sizeof(link), "%.*s?%s=%zu&%s=%zu", (int)(plen > 512 ? 512 : plen), path,
             p->page_param, page, p->limit_param, limit);
    (void)c;
    return cJSON_CreateString(link);
}

static int profile_list(api_ctx *c, const wh_profile *p)
{
    size_t limit = c->opts.max_page_limit, page = 1, total = 0;
    bool paged = p->page_param != NULL;
    int rc = paged ? count_param(c, p->limit_param, c->opts.default_page_limit,
                                 c->opts.max_page_limit, &limit)
                   : WH_OK;
    if (rc == WH_OK && paged) rc = count_param(c, p->page_param, 1, 2147483647u, &page);
    if (rc != WH_OK) return whi_api_fail_status(c, 400);
    plist l = {c, p, cJSON_CreateArray(), WH_OK};
    if (!l.items) return whi_api_fail(c, whi_error_oom());
    wh_store *st = wh_hub_store(c->api->hub);
    pthread_rwlock_rdlock(&c->api->cfg); /* the catalogue, for products and events */
    for (size_t pg = page;; pg++) {
        size_t before = (size_t)cJSON_GetArraySize(l.items);
        rc = wh_store_subscription_list(st, c->owner, limit, pg, &total, plist_one, &l);
        if (rc == WH_OK) rc = l.rc;
        size_t got = (size_t)cJSON_GetArraySize(l.items);
        /* unpaged: every page, up to the cap */
        if (rc != WH_OK || paged || got == before || got >= total || got >= WHI_PROFILE_MAX_LIST)
            break;
    }
    pthread_rwlock_unlock(&c->api->cfg);
    if (rc != WH_OK) {
        cJSON_Delete(l.items);
        return whi_api_fail(c, rc);
    }
    if (!p->ans_list)
        return reply_json(c, p->status[WHI_OP_LIST] ? p->status[WHI_OP_LIST] : 200, l.items);
    tvals t = {0};
    cJSON *nums[3] = {cJSON_CreateNumber((double)total), cJSON_CreateNumber((double)page),
                      cJSON_CreateNumber((double)limit)};
    const char *path = c->req->path;
    cJSON *next =
        paged ? page_link(c, p, path, page + 1, limit, page * limit < total) : cJSON_CreateNull();
    cJSON *prev = paged ? page_link(c, p, path, page - 1, limit, page > 1) : cJSON_CreateNull();
    cJSON *msg = cJSON_CreateString("OK");
    tset(&t, "$items", l.items);
    tset(&t, "$total", nums[0]);
    tset(&t, "$page", nums[1]);
    tset(&t, "$limit", nums[2]);
    tset(&t, "$next", next);
    tset(&t, "$previous", prev);
    tset(&t, "$message", msg);
    bool ok = nums[0] && nums[1] && nums[2] && next && prev && msg;
    cJSON *doc = ok ? render(p->ans_list, &t) : NULL;
    for (size_t i = 0; i < 3; i++)
        cJSON_Delete(nums[i]);
    cJSON_Delete(next);
    cJSON_Delete(prev);
    cJSON_Delete(msg);
    cJSON_Delete(l.items);
    return doc ? reply_json(c, p->status[WHI_OP_LIST] ? p->status[WHI_OP_LIST] : 200, doc)
               : whi_api_fail(c, whi_error_oom());
}

/* ---- create, update, replace ---- */

static bool set_default(cJSON *native, const char *path, cJSON *v)
{
    if (!v) return false;
    if (whi_path_get(native, path)) {
        cJSON_Delete(v);
        return true;
    }
    return whi_path_set(native, path, v);
}

/* The delivery the profile implies, for what the request left unsaid. */
static bool delivery_defaults(const wh_profile *p, cJSON *native)
{
    bool ok = true;
    if (p->scheme) ok &= set_default(native, "signature.scheme", cJSON_CreateString(p->scheme));
    if (p->body) ok &= set_default(native, "body", cJSON_CreateString(p->body));
    if (p->timeout_ms)
        ok &= set_default(native, "timeouts.totalMs", cJSON_CreateNumber(p->timeout_ms));
    if (p->retry_preset && !whi_path_get(native, "retry.schedule"))
        ok &= set_default(native, "retry.preset", cJSON_CreateString(p->retry_preset));
    return ok;
}

/* An integer id no webhook has (seed 000's ids are integers): random, checked. */
static int integer_id(api_ctx *c, cJSON *native)
{
    for (int tries = 0; tries < 16; tries++) {
        uint32_t r;
        int rc = whi_random_bytes(&r, sizeof(r));
        if (rc != WH_OK) return rc;
        char id[16];
        snprintf(id, sizeof(id), "%u", 1000000u + r % 2000000000u);
        wh_subscription *sub = NULL;
        rc = wh_hub_subscription_get(c->api->hub, id, &sub);
        wh_subscription_free(sub);
        if (rc == WH_ENOTFOUND) {
            wh_error_clear();
            return whi_path_set(native, "id", cJSON_CreateNumber((double)strtoll(id, NULL, 10)))
                       ? WH_OK
                       : whi_error_oom();
        }
        if (rc != WH_OK) return rc;
    }
    return whi_error(WH_ECONFLICT, "no free webhook id found");
}

/* The request body mapped to the native shape, in place of c->json. */
static int mapped_body(api_ctx *c, const wh_profile *p, whi_op op)
{
    cJSON *native = NULL;
    pthread_rwlock_rdlock(&c->api->cfg);
    int rc = whi_profile_to_native(p, &c->api->cat, c->json, op != WHI_OP_UPDATE, &native);
    pthread_rwlock_unlock(&c->api->cfg);
    if (rc == WH_OK && op == WHI_OP_CREATE && !delivery_defaults(p, native)) rc = whi_error_oom();
    if (rc == WH_OK && op == WHI_OP_CREATE && p->integer_ids) rc = integer_id(c, native);
    if (rc != WH_OK) {
        cJSON_Delete(native);
        return whi_api_fail(c, rc);
    }
    cJSON_Delete(c->json);
    c->json = native;
    return WH_OK;
}

/* The id of the webhook the native create answered with. */
static bool created_id(const api_ctx *c, char *id, size_t size)
{
    cJSON *doc = c->body ? cJSON_ParseWithLength(c->body, c->body_len) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "id");
    bool ok = false;
    if (cJSON_IsString(v)) ok = (size_t)snprintf(id, size, "%s", v->valuestring) < size;
    if (cJSON_IsNumber(v)) ok = (size_t)snprintf(id, size, "%.0f", v->valuedouble) < size;
    cJSON_Delete(doc);
    return ok;
}

/* Point c->segs at ("webhooks" | "deliveries", id), as the native handlers read them. */
static int set_segs(api_ctx *c, whi_op op, const char *id)
{
    for (size_t i = 0; i < c->nsegs; i++)
        whi_free(c->segs[i]);
    c->nsegs = 0;
    c->segs[0] = whi_strdup(op == WHI_OP_RETRY ? "deliveries" : "webhooks");
    c->segs[1] = id ? whi_strdup(id) : NULL;
    c->nsegs = id ? 2 : 1;
    if (!c->segs[0] || (id && !c->segs[1])) return whi_api_fail(c, whi_error_oom());
    return WH_OK;
}

static void run_mapped(api_ctx *c, const wh_profile *p, whi_op op, const char *id)
{
    switch (op) {
    case WHI_OP_LIST:
        profile_list(c, p);
        return;
    case WHI_OP_GET: {
        wh_subscription *sub;
        if (whi_api_own_webhook(c, id, &sub) != WH_OK) return;
        wh_subscription_free(sub);
        reply_item(c, p, op, id, 200, "OK");
        return;
    }
    case WHI_OP_CREATE: {
        char made[WH_MAX_ID_LEN + 1];
        if (mapped_body(c, p, op) != WH_OK || whi_api_webhooks_create(c) != WH_OK) return;
        if (!created_id(c, made, sizeof(made))) {
            whi_api_fail(c, whi_error(WH_EIO, "the created webhook has no id"));
            return;
        }
        reply_item(c, p, op, made, 201, "Webhook created");
        return;
    }
    case WHI_OP_REPLACE: /* the profile's fields, required ones included; the rest are kept */
    case WHI_OP_UPDATE:
        if (mapped_body(c, p, op) != WH_OK || whi_api_webhook_patch(c) != WH_OK) return;
        reply_item(c, p, op, id, 200, "Webhook updated");
        return;
    case WHI_OP_DELETE:
        if (whi_api_webhook_delete(c) != WH_OK) return;
        if (p->deleted_empty) {
            whi_api_reply(c, p->status[op] ? p->status[op] : 204, NULL, 0);
        } else if (p->ans_deleted) {
            tvals t = {0};
            cJSON *msg = cJSON_CreateString("Webhook deleted"), *idv = cJSON_CreateString(id);
            tset(&t, "$message", msg);
            tset(&t, "$id", idv);
            cJSON *doc = msg && idv ? render(p->ans_deleted, &t) : NULL;
            cJSON_Delete(msg);
            cJSON_Delete(idv);
            if (doc)
                reply_json(c, p->status[op] ? p->status[op] : 200, doc);
            else
                whi_api_fail(c, whi_error_oom());
        }
        return;
    default:
        break;
    }
}

/* ---- the native handlers by operation ---- */

typedef int (*op_fn)(api_ctx *);

static const op_fn NATIVE_FN[WHI_OP_COUNT] = {
    [WHI_OP_LIST] = whi_api_webhooks_list,      [WHI_OP_CREATE] = whi_api_webhooks_create,
    [WHI_OP_GET] = whi_api_webhook_get,         [WHI_OP_REPLACE] = whi_api_webhook_put,
    [WHI_OP_UPDATE] = whi_api_webhook_patch,    [WHI_OP_DELETE] = whi_api_webhook_delete,
    [WHI_OP_ROTATE] = whi_api_webhook_rotate,   [WHI_OP_DELIVERIES] = whi_api_deliveries_list,
    [WHI_OP_TEST] = whi_api_webhook_test,       [WHI_OP_RECOVER] = whi_api_webhook_recover,
    [WHI_OP_RETRY] = whi_api_delivery_retry,    [WHI_OP_EMIT] = whi_api_events_post,
    [WHI_OP_EVENT_TYPES] = whi_api_event_types,
};

static bool mapped_op(whi_op op)
{
    return op <= WHI_OP_DELETE;
}

/* ---- routing ---- */

/* The path below the mount split into decoded segments; false: no route can match. */
static bool split(const char *path, size_t len, char **segs, size_t *n)
{
    *n = 0;
    if (len == 0) return true; /* the mount point itself */
    if (path[0] != '/' || len > WHI_API_MAX_PATH) return false;
    if (len > 1 && path[len - 1] == '/') len--;
    for (size_t i = 1; i < len;) {
        const char *slash = memchr(path + i, '/', len - i);
        size_t end = slash ? (size_t)(slash - path) : len;
        if (end == i || *n == WHI_PROFILE_MAX_SEGS) return false;
        char *seg = whi_strndup(path + i, end - i);
        if (!seg) return false;
        /* ids never hold '%': a percent-encoded segment matches nothing but an id, and the
         * native handlers refuse it as an id */
        segs[(*n)++] = seg;
        i = end + 1;
    }
    return true;
}

static bool route_matches(const whi_proute *r, char *const *segs, size_t n)
{
    if (r->nsegs != n) return false;
    for (size_t i = 0; i < n; i++)
        if (r->segs[i] && strcmp(r->segs[i], segs[i]) != 0) return false;
    return true;
}

/* The Allow header of every route of this path. */
static void allow_list(const wh_profile *p, char *const *segs, size_t n, char *out, size_t size)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->nroutes; i++) {
        const whi_proute *r = &p->routes[i];
        if (!route_matches(r, segs, n) || strstr(out, r->method)) continue;
        at += (size_t)snprintf(out + at, size - at, "%s, ", r->method);
        if (at >= size) return;
    }
    snprintf(out + at, size - at, "OPTIONS");
}

/* ---- credentials and scopes ---- */

static bool is_header(const char *name, const char *want)
{
    return name && whi_strcasecmp(name, want) == 0;
}

/* Authenticate with only the credential headers the profile accepts. */
static int profile_auth(api_ctx *c, const wh_profile *p)
{
    const wh_api_request *orig = c->req;
    size_t n = orig->header_names && orig->header_values ? orig->header_count : 0;
    const char **names = n ? whi_malloc(n * sizeof(*names)) : NULL;
    const char **values = n ? whi_malloc(n * sizeof(*values)) : NULL;
    if (n && (!names || !values)) {
        whi_free(names);
        whi_free(values);
        return whi_api_fail(c, whi_error_oom());
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *h = orig->header_names[i];
        if ((is_header(h, "Authorization") && !(p->credentials & WHI_CRED_BEARER)) ||
            (is_header(h, "x-api-key") && !(p->credentials & WHI_CRED_API_KEY)))
            continue;
        names[k] = h;
        values[k++] = orig->header_values[i];
    }
    wh_api_request req = *orig;
    req.header_names = names;
    req.header_values = values;
    req.header_count = k;
    c->req = &req;
    c->key_prefix = p->key_prefix;
    int rc = whi_api_authenticate(c);
    c->req = orig;
    whi_free(names);
    whi_free(values);
    return rc;
}

static unsigned int op_scope(whi_op op)
{
    switch (op) {
    case WHI_OP_LIST:
    case WHI_OP_GET:
    case WHI_OP_DELIVERIES:
        return WH_SCOPE_WEBHOOKS_READ;
    case WHI_OP_EMIT:
        return WH_SCOPE_EVENTS_WRITE;
    case WHI_OP_EVENT_TYPES:
        return 0;
    default:
        return WH_SCOPE_WEBHOOKS_WRITE;
    }
}

static int profile_scope(api_ctx *c, const wh_profile *p, whi_op op)
{
    unsigned int scope = op_scope(op);
    if (!scope || (c->scopes & scope) == scope) return WH_OK;
    const char *name = scope == WH_SCOPE_WEBHOOKS_READ && p->scope_read ? p->scope_read
                       : scope == WH_SCOPE_WEBHOOKS_WRITE && p->scope_write
                           ? p->scope_write
                           : wh_api_scope_name(scope);
    char www[WHI_API_HDR_VALUE];
    snprintf(www, sizeof(www), "Bearer error=\"insufficient_scope\", scope=\"%s\"", name);
    whi_api_set_header(c, "WWW-Authenticate", www);
    return whi_api_error(c, 403, WH_EFORBIDDEN, "the credential lacks the %s scope", name);
}

/* ---- the dispatcher ---- */

static int body_kind(whi_op op)
{
    if (op == WHI_OP_CREATE || op == WHI_OP_REPLACE || op == WHI_OP_UPDATE || op == WHI_OP_EMIT)
        return 2; /* required */
    if (op == WHI_OP_ROTATE || op == WHI_OP_TEST || op == WHI_OP_RECOVER || op == WHI_OP_RETRY)
        return 1; /* optional */
    return 0;
}

static void serve_route(api_ctx *c, const wh_profile *p, const whi_proute *r, const char *id)
{
    const wh_api_request *req = c->req;
    const char *q = req->query;
    const char *mark = q ? NULL : strchr(req->path, '?');
    int rc = q      ? whi_api_parse_query(c, q, strlen(q))
             : mark ? whi_api_parse_query(c, mark + 1, strlen(mark + 1))
                    : WH_OK;
    if (rc == WH_OK) rc = whi_api_add_params(c, req);
    if (rc != WH_OK) {
        rc == WH_ENOMEM ? whi_api_fail(c, rc) : whi_api_fail_status(c, 400);
        return;
    }
    if (profile_auth(c, p) != WH_OK || profile_scope(c, p, r->op) != WH_OK) return;
    if (req->body_too_large || req->body_len > c->opts.max_body_bytes) {
        whi_api_error(c, 413, WH_ETOOLARGE, "the request body is over the limit of %zu bytes",
                      c->opts.max_body_bytes);
        return;
    }
    int body = body_kind(r->op);
    if (body && whi_api_read_json(c, body == 2) != WH_OK) return;
    if (set_segs(c, r->op, id) != WH_OK) return;
    if (!p->native_fields && mapped_op(r->op)) {
        run_mapped(c, p, r->op, id);
        return;
    }
    NATIVE_FN[r->op](c);
    if (c->status > 0 && c->status < 300 && p->status[r->op]) c->status = p->status[r->op];
}

void whi_profile_dispatch(api_ctx *c, const wh_profile *p, const char *prefix, const char *path)
{
    (void)prefix;
    char *segs[WHI_PROFILE_MAX_SEGS];
    size_t n = 0;
    size_t plen = c->req->query ? strlen(path) : strcspn(path, "?");
    const whi_proute *hit = NULL;
    bool path_known = false;
    if (split(path, plen, segs, &n)) {
        for (size_t i = 0; i < p->nroutes; i++) {
            if (!route_matches(&p->routes[i], segs, n)) continue;
            path_known = true;
            if (strcmp(p->routes[i].method, c->req->method) == 0) {
                hit = &p->routes[i];
                break;
            }
        }
    }
    const char *id = NULL;
    for (size_t i = 0; hit && i < n; i++)
        if (!hit->segs[i]) id = segs[i];
    char allow[96];
    allow_list(p, segs, n, allow, sizeof(allow));
    if (!path_known) {
        whi_api_error(c, 404, WH_ENOTFOUND, "no route for %.200s", c->req->path);
    } else if (!hit && strcmp(c->req->method, "OPTIONS") == 0) {
        whi_api_set_header(c, "Allow", allow);
        whi_api_reply(c, 204, NULL, 0);
    } else if (!hit) {
        whi_api_set_header(c, "Allow", allow);
        whi_api_error(c, 405, WH_EUNSUPPORTED, "method %.16s is not allowed here (allowed: %s)",
                      c->req->method, allow);
    } else {
        serve_route(c, p, hit, id);
    }
    for (size_t i = 0; i < n; i++)
        whi_free(segs[i]);
    if (c->status >= 400) reshape_error(c, p);
}
