/*
 * The /webhooks routes: list, create, read, replace (PUT), patch, delete, rotate the secret, and
 * send a test event. Every change of an existing webhook runs under the API's write lock, so
 * the owner check and the change it guards happen as one step.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <mbedtls/platform_util.h>

#include "api_impl.h"
#include "subscription_impl.h"
#include "validate.h"
#include "alloc.h"
#include "error.h"
#include "buf.h"
#include "text.h"
#include "problems.h"
#include "json.h"

/* Fields a client never sets: the owner comes from the credential, the rest from the server.
 * They are dropped from request bodies (so a GET answer can be sent back as it is). */
static const char *const OWNER_FIELDS[] = {"ownerId", "userId", "platform_account_id", NULL};
static const char *const SERVER_FIELDS[] = {"createdAt",    "created_at",     "updatedAt",
                                            "updated_at",   "lastDeliveryAt", "lastDeliveryStatus",
                                            "failureCount", "failingSince",   NULL};
static const char *const ID_FIELDS[] = {"id", "uuid", NULL};

/* Remove every member named like one of names (case-insensitively, duplicates included). */
static void strip(cJSON *obj, const char *const *names)
{
    for (; *names; names++)
        while (cJSON_GetObjectItem(obj, *names))
            cJSON_DeleteItemFromObject(obj, *names);
}

static bool has_any(const cJSON *obj, const char *const *names)
{
    return whi_json_field(obj, names) != NULL;
}

/* The body with client-settable fields only, as JSON text (free with whi_free). */
static char *client_fields(api_ctx *c)
{
    strip(c->json, OWNER_FIELDS);
    strip(c->json, SERVER_FIELDS);
    char *text = whi_json_print(c->json);
    if (!text) whi_api_fail(c, whi_error_oom());
    return text;
}

static int reply_webhook(api_ctx *c, int status, const wh_subscription *sub, bool secrets)
{
    char *text = NULL;
    size_t len = 0;
    unsigned int flags = secrets || c->opts.reveal_secrets ? WH_JSON_SECRETS : 0;
    int rc = wh_subscription_to_json(sub, flags, &text, &len);
    if (rc != WH_OK) return whi_api_fail(c, rc);
    return whi_api_reply(c, status, text, len);
}

/* Answer with webhook id as stored: the hub may have completed it (its default retry policy), so
 * the answer shows what deliveries will use, not what the client sent. */
static int reply_stored(api_ctx *c, int status, const char *id, bool secrets)
{
    wh_subscription *sub;
    int rc = wh_hub_subscription_get(c->api->hub, id, &sub);
    if (rc != WH_OK) return whi_api_fail(c, rc);
    rc = reply_webhook(c, status, sub, secrets);
    wh_subscription_free(sub);
    return rc;
}

int whi_api_load_own(api_ctx *c, const char *id, wh_subscription **out)
{
    *out = NULL;
    if (whi_check_id(id)) return WH_ENOTFOUND;
    int rc = wh_hub_subscription_get(c->api->hub, id, out);
    if (rc == WH_OK) {
        const char *owner = wh_subscription_owner(*out);
        if (!owner || strcmp(owner, c->owner) != 0) { /* someone else's: as if absent */
            wh_subscription_free(*out);
            *out = NULL;
            rc = WH_ENOTFOUND;
        }
    }
    return rc;
}

int whi_api_own_webhook(api_ctx *c, const char *id, wh_subscription **out)
{
    int rc = whi_api_load_own(c, id, out);
    if (rc == WH_ENOTFOUND)
        return whi_api_error(c, 404, WH_ENOTFOUND, "no webhook with id %.64s", id);
    return rc == WH_OK ? WH_OK : whi_api_fail(c, rc);
}

/* ---- GET /webhooks ---- */

typedef struct list_ctx {
    whi_buf *b;
    unsigned int flags;
    size_t n;
    int rc;
} list_ctx;

static int list_one(const wh_subscription *sub, void *ud)
{
    list_ctx *l = ud;
    char *text = NULL;
    size_t len = 0;
    if ((l->rc = wh_subscription_to_json(sub, l->flags, &text, &len)) != WH_OK) return 1;
    if (l->n++) whi_buf_putc(l->b, ',');
    whi_buf_append(l->b, text, len);
    whi_free(text);
    return 0;
}

int whi_api_webhooks_list(api_ctx *c)
{
    size_t limit, page, total = 0;
    int rc = whi_api_paging(c, &limit, &page);
    if (rc != WH_OK) return whi_api_fail_status(c, 400);
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{\"webhooks\":[");
    list_ctx l = {&b, c->opts.reveal_secrets ? WH_JSON_SECRETS : 0, 0, WH_OK};
    wh_store *st = wh_hub_store(c->api->hub);
    rc = wh_store_subscription_list(st, c->owner, limit, page, &total, list_one, &l);
    if (rc == WH_OK) rc = l.rc;
    whi_buf_printf(&b, "],\"page\":%zu,\"limit\":%zu,\"total\":%zu}", page, limit, total);
    size_t len = 0;
    char *body = rc == WH_OK ? whi_buf_detach(&b, &len) : NULL;
    whi_buf_free(&b);
    if (rc == WH_OK && !body) rc = WH_ENOMEM;
    return rc == WH_OK ? whi_api_reply(c, 200, body, len) : whi_api_fail(c, rc);
}

/* ---- POST /webhooks ---- */

/* Parse a webhook body into *out, owned by the principal, checked against the catalogue. */
static int parse_webhook(api_ctx *c, wh_subscription **out)
{
    *out = NULL;
    char *text = client_fields(c);
    if (!text) return WH_ENOMEM;
    int rc = wh_subscription_from_json(out, text, strlen(text));
    whi_free(text);
    if (rc == WH_OK)
        rc = wh_subscription_set_owner(*out, c->owner); /* checked when authenticating */
    if (rc == WH_OK) rc = whi_api_check_webhook(c->api, *out, c->opts.allowed_methods);
    if (rc != WH_OK) {
        wh_subscription_free(*out);
        *out = NULL;
        whi_api_fail(c, rc);
    }
    return rc;
}

int whi_api_webhooks_create(api_ctx *c)
{
    if (c->opts.server_ids && has_any(c->json, ID_FIELDS))
        return whi_api_error(c, 400, WH_EINVAL, "id: webhook ids are chosen by the server");
    wh_subscription *sub;
    if (parse_webhook(c, &sub) != WH_OK) return WH_EINVAL;
    wh_time_ms now = wh_hub_now(c->api->hub);
    wh_subscription_set_times(sub, now, now);
    int rc = wh_hub_subscription_add(c->api->hub, sub);
    if (rc == WH_ECONFLICT)
        rc = whi_api_error(c, 409, WH_ECONFLICT, "a webhook with id %.64s already exists",
                           wh_subscription_id(sub));
    else if (rc != WH_OK)
        whi_api_fail(c, rc);
    else
        rc = reply_stored(c, 201, wh_subscription_id(sub), true); /* the one time secrets show */
    wh_subscription_free(sub);
    return rc;
}

/* ---- GET /webhooks/{id} ---- */

int whi_api_webhook_get(api_ctx *c)
{
    wh_subscription *sub;
    if (whi_api_own_webhook(c, c->segs[1], &sub) != WH_OK) return WH_ENOTFOUND;
    int rc = reply_webhook(c, 200, sub, false);
    wh_subscription_free(sub);
    return rc;
}

/* ---- PUT /webhooks/{id} ---- */

/* Give next the secrets of cur (a PUT without secrets keeps them rather than generating). */
static int keep_secrets(wh_subscription *next, const wh_subscription *cur)
{
    wh_subscription_clear_secrets(next);
    for (size_t i = wh_subscription_secret_count(cur); i-- > 0;) {
        int rc = wh_subscription_add_secret(next, wh_subscription_secret_at(cur, i),
                                            wh_subscription_secret_expires_at(cur, i));
        if (rc != WH_OK) return rc;
    }
    return WH_OK;
}

/* The replacement for cur from the body: id, owner and (unless given) secrets kept. */
static int build_replacement(api_ctx *c, const wh_subscription *cur, wh_subscription **out)
{
    bool id_given = has_any(c->json, ID_FIELDS);
    bool secrets_given = has_any(c->json, NAMES("secret", "secrets", "previousSecrets"));
    if (parse_webhook(c, out) != WH_OK) return WH_EINVAL;
    wh_subscription *next = *out;
    int rc = WH_OK;
    if (id_given && strcmp(wh_subscription_id(next), wh_subscription_id(cur)) != 0) {
        rc = whi_api_error(c, 400, WH_EINVAL, "id: cannot be changed (it is the path's %.64s)",
                           wh_subscription_id(cur));
    } else {
        if (!id_given && (rc = wh_subscription_set_id(next, wh_subscription_id(cur))) == WH_OK)
            next->id_numeric = cur->id_numeric;
        if (rc == WH_OK && !secrets_given) rc = keep_secrets(next, cur);
        /* e.g. scheme none -> standard with no secret to keep: the client must give one */
        if (rc == WH_OK && !secrets_given) rc = wh_subscription_validate(next);
        if (rc != WH_OK) whi_api_fail(c, rc);
    }
    if (rc != WH_OK) {
        wh_subscription_free(next);
        *out = NULL;
    }
    return rc;
}

int whi_api_webhook_put(api_ctx *c)
{
    pthread_mutex_lock(&c->api->writes);
    wh_subscription *cur = NULL, *next = NULL;
    int rc = whi_api_own_webhook(c, c->segs[1], &cur);
    if (rc == WH_OK) rc = build_replacement(c, cur, &next);
    if (rc == WH_OK && (rc = wh_hub_subscription_replace(c->api->hub, next)) != WH_OK)
        whi_api_fail(c, rc);
    if (rc == WH_OK) rc = reply_stored(c, 200, wh_subscription_id(cur), false);
    pthread_mutex_unlock(&c->api->writes);
    wh_subscription_free(cur);
    wh_subscription_free(next);
    return rc;
}

/* ---- PATCH /webhooks/{id} ---- */

int whi_api_webhook_patch(api_ctx *c)
{
    pthread_mutex_lock(&c->api->writes);
    wh_subscription *cur = NULL, *dry = NULL;
    char *text = NULL;
    int rc = whi_api_own_webhook(c, c->segs[1], &cur);
    if (rc == WH_OK && !(text = client_fields(c))) rc = WH_ENOMEM;
    /* A dry run on a copy, to check the result against the catalogue before storing it. */
    if (rc == WH_OK && (rc = wh_subscription_clone(&dry, cur)) == WH_OK &&
        (rc = wh_subscription_patch_json(dry, text, strlen(text))) == WH_OK)
        rc = whi_api_check_webhook(c->api, dry, c->opts.allowed_methods);
    if (rc == WH_OK)
        rc = wh_hub_subscription_patch(c->api->hub, c->segs[1], text, strlen(text), NULL);
    if (rc != WH_OK && c->status == 0) whi_api_fail(c, rc);
    if (rc == WH_OK) rc = reply_stored(c, 200, c->segs[1], false);
    pthread_mutex_unlock(&c->api->writes);
    wh_subscription_free(cur);
    wh_subscription_free(dry);
    whi_free(text);
    return rc;
}

/* ---- DELETE /webhooks/{id} ---- */

int whi_api_webhook_delete(api_ctx *c)
{
    pthread_mutex_lock(&c->api->writes);
    wh_subscription *cur = NULL;
    int rc = whi_api_own_webhook(c, c->segs[1], &cur);
    if (rc == WH_OK && (rc = wh_hub_subscription_delete(c->api->hub, c->segs[1])) != WH_OK)
        whi_api_fail(c, rc);
    pthread_mutex_unlock(&c->api->writes);
    wh_subscription_free(cur);
    if (rc != WH_OK) return rc;
    char *body = whi_strdup("{\"success\":true}");
    return body ? whi_api_reply(c, 200, body, strlen(body)) : whi_api_fail(c, WH_ENOMEM);
}

/* ---- POST /webhooks/{id}/secret/rotate ---- */

/* The optional body: {"secret": "whsec_..." (bring your own), "overlapMs": n}. */
static int rotate_args(api_ctx *c, const char **secret, wh_time_ms *overlap)
{
    *secret = NULL;
    *overlap = c->opts.secret_overlap_ms;
    if (!c->json) return WH_OK;
    whi_problems p = {0};
    const cJSON *s = whi_json_field(c->json, NAMES("secret", "key"));
    const cJSON *o = whi_json_field(c->json, NAMES("overlapMs"));
    if (s && !cJSON_IsNull(s) && !cJSON_IsString(s))
        whi_problem(&p, "secret must be a string");
    else if (cJSON_IsString(s) && wh_secret_check(s->valuestring) != WH_OK)
        whi_problem(&p, "secret: %s", wh_error_last()->message);
    else if (cJSON_IsString(s))
        *secret = s->valuestring;
    /* 0 retires the old secrets at once (a leaked secret); at most 30 days. */
    if (o && !cJSON_IsNull(o) &&
        (!cJSON_IsNumber(o) || o->valuedouble < 0 || o->valuedouble > 30.0 * 86400000 ||
         o->valuedouble != (double)(int64_t)o->valuedouble))
        whi_problem(&p, "overlapMs must be whole milliseconds from 0 to 2592000000");
    else if (cJSON_IsNumber(o))
        *overlap = o->valuedouble > 0 ? (wh_time_ms)o->valuedouble : 1;
    if (!p.count) return WH_OK;
    whi_problems_fail(&p, WH_EINVAL, "invalid request");
    return whi_api_fail_status(c, 400);
}

/* When the rotated-out secrets stop signing: the latest expiry among them, or 0. */
static wh_time_ms previous_expiry(const wh_subscription *sub)
{
    wh_time_ms at = 0;
    for (size_t i = 0; i < wh_subscription_secret_count(sub); i++)
        if (wh_subscription_secret_expires_at(sub, i) > at)
            at = wh_subscription_secret_expires_at(sub, i);
    return at;
}

static int reply_rotated(api_ctx *c, const wh_subscription *sub, const char *secret)
{
    whi_buf b = WHI_BUF_INIT;
    whi_buf_puts(&b, "{\"id\":");
    whi_json_escape(&b, wh_subscription_id(sub), strlen(wh_subscription_id(sub)), true);
    whi_buf_puts(&b, ",\"secret\":");
    whi_json_escape(&b, secret, strlen(secret), true);
    whi_buf_puts(&b, ",\"previousSecretsExpireAt\":");
    whi_json_time(&b, previous_expiry(sub));
    whi_buf_putc(&b, '}');
    size_t len = 0;
    char *body = whi_buf_detach(&b, &len);
    return body ? whi_api_reply(c, 200, body, len) : whi_api_fail(c, WH_ENOMEM);
}

int whi_api_webhook_rotate(api_ctx *c)
{
    const char *given;
    wh_time_ms overlap;
    if (rotate_args(c, &given, &overlap) != WH_OK) return WH_EINVAL;
    pthread_mutex_lock(&c->api->writes);
    wh_subscription *cur = NULL;
    char *secret = NULL;
    int rc = whi_api_own_webhook(c, c->segs[1], &cur);
    if (rc == WH_OK) {
        wh_subscription_free(cur);
        cur = NULL;
        rc = wh_hub_subscription_rotate_secret(c->api->hub, c->segs[1], given, overlap, &secret);
        if (rc == WH_OK) rc = wh_hub_subscription_get(c->api->hub, c->segs[1], &cur);
        rc = rc == WH_OK ? reply_rotated(c, cur, secret) : whi_api_fail(c, rc);
    }
    pthread_mutex_unlock(&c->api->writes);
    if (secret) mbedtls_platform_zeroize(secret, strlen(secret));
    wh_free(secret);
    wh_subscription_free(cur);
    return rc;
}

/* ---- POST /webhooks/{id}/test ---- */

typedef struct find_ctx {
    const char *event_id;
    char id[WH_MAX_ID_LEN + 1];
} find_ctx;

static int find_delivery(const wh_delivery *d, void *ud)
{
    find_ctx *f = ud;
    if (d->event_id && strcmp(d->event_id, f->event_id) == 0) {
        whi_strlcpy(f->id, d->id, sizeof(f->id));
        return 1;
    }
    return 0;
}

/* The test event: type webhook.test, data from the body's "data" (default {"test":true}). */
static int test_event(api_ctx *c, wh_event **out)
{
    const cJSON *data = c->json ? whi_json_field(c->json, NAMES("data")) : NULL;
    char *text = data ? whi_json_print(data) : NULL;
    int rc = data && !text ? whi_error_oom() : wh_event_new(out, WHI_API_TEST_TYPE);
    if (rc == WH_OK)
        rc = text ? wh_event_set_data(*out, text, strlen(text))
                  : wh_event_set_data(*out, "{\"test\":true}", 13);
    if (rc == WH_OK) rc = wh_event_set_occurred_at(*out, wh_hub_now(c->api->hub));
    whi_free(text);
    if (rc != WH_OK) {
        wh_event_free(*out);
        *out = NULL;
    }
    return rc;
}

int whi_api_webhook_test(api_ctx *c)
{
    wh_event *ev = NULL;
    int rc = test_event(c, &ev);
    if (rc != WH_OK) return whi_api_fail(c, rc);
    pthread_mutex_lock(&c->api->writes);
    wh_subscription *cur = NULL;
    wh_time_ms queued_at = wh_hub_now(c->api->hub);
    rc = whi_api_own_webhook(c, c->segs[1], &cur);
    if (rc == WH_OK && (rc = wh_hub_emit_to(c->api->hub, ev, c->segs[1])) != WH_OK)
        whi_api_fail(c, rc);
    pthread_mutex_unlock(&c->api->writes);
    find_ctx f = {wh_event_id(ev), ""};
    if (rc == WH_OK) { /* find the delivery just queued among the webhook's newest ones */
        wh_store *st = wh_hub_store(c->api->hub);
        wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
        q.subscription_id = c->segs[1];
        q.since = queued_at;
        wh_store_delivery_list(st, &q, NULL, find_delivery, &f);
        whi_buf b = WHI_BUF_INIT;
        whi_buf_puts(&b, "{\"id\":");
        whi_json_escape(&b, wh_event_id(ev), strlen(wh_event_id(ev)), true);
        whi_buf_puts(&b, ",\"queued\":1,\"deliveryId\":");
        if (f.id[0])
            whi_json_escape(&b, f.id, strlen(f.id), true);
        else
            whi_buf_puts(&b, "null");
        whi_buf_putc(&b, '}');
        size_t len = 0;
        char *body = whi_buf_detach(&b, &len);
        rc = body ? whi_api_reply(c, 202, body, len) : whi_api_fail(c, WH_ENOMEM);
    }
    wh_subscription_free(cur);
    wh_event_free(ev);
    return rc;
}
