/*
 * The SQLite store's subscriptions. Each is stored as its full JSON (secrets included, as
 * wh_subscription_to_json(WH_JSON_SECRETS) writes it) with its id, owner and creation time as
 * indexed columns, and its delivery stats as columns of their own (authoritative over the
 * JSON's) so that recording an attempt does not rewrite the JSON.
 */
#include <stdbool.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "sqlite_impl.h"
#include "alloc.h"
#include "error.h"

int whi_sq_row_sub(sqlite3_stmt *st, wh_subscription **out)
{
    const char *json = (const char *)sqlite3_column_text(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    int rc = json ? wh_subscription_from_json(out, json, len) : WH_EINVAL;
    if (rc != WH_OK)
        return whi_error(WH_ECORRUPT, "sqlite store: a stored subscription cannot be read: %s",
                         wh_error_last()->message);
    wh_subscription_set_stats(*out, sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2),
                              (uint32_t)sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
    return WH_OK;
}

static int not_found(const char *id)
{
    return whi_error(WH_ENOTFOUND, "no subscription with id %s", id);
}

int whi_sq_sub_load(sq_store *q, const char *id, wh_subscription **out)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_SUB_GET);
    whi_sq_bind_text(st, 1, id);
    int rc = whi_sq_step(q, st, "read a subscription");
    if (rc == SQLITE_ROW)
        rc = whi_sq_row_sub(st, out);
    else if (rc == SQLITE_DONE)
        rc = not_found(id);
    sqlite3_reset(st);
    return rc;
}

int whi_sq_sub_exists(sq_store *q, const char *id, bool *exists)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_SUB_EXISTS);
    whi_sq_bind_text(st, 1, id);
    int rc = whi_sq_step(q, st, "find a subscription");
    *exists = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc < 0 ? rc : WH_OK;
}

static int bump_changes(sq_store *q)
{
    return whi_sq_exec(q, whi_sq_stmt(q, SQ_CHANGES_BUMP), "count a subscription change");
}

int whi_sq_sub_save(sq_store *q, const wh_subscription *sub, bool insert)
{
    char *json;
    size_t len;
    int rc = wh_subscription_to_json(sub, WH_JSON_SECRETS, &json, &len);
    if (rc != WH_OK) return rc;
    sqlite3_stmt *st = whi_sq_stmt(q, insert ? SQ_SUB_INSERT : SQ_SUB_UPDATE);
    whi_sq_bind_text(st, 1, sub->id);
    whi_sq_bind_text(st, 2, sub->owner);
    sqlite3_bind_int64(st, 3, sub->created_at);
    sqlite3_bind_text(st, 4, json, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, sub->last_delivery_at);
    sqlite3_bind_int(st, 6, sub->last_status);
    sqlite3_bind_int64(st, 7, sub->failure_count);
    sqlite3_bind_int64(st, 8, sub->failing_since);
    rc = whi_sq_exec(q, st, "save a subscription");
    sqlite3_clear_bindings(st);
    mbedtls_platform_zeroize(json, len); /* it holds the secrets */
    whi_free(json);
    if (rc == WH_OK && !insert && sqlite3_changes(q->db) == 0) rc = not_found(sub->id);
    return rc == WH_OK ? bump_changes(q) : rc;
}

static int create_fn(sq_store *q, void *ctx)
{
    const wh_subscription *sub = ctx;
    bool exists;
    int rc = whi_sq_sub_exists(q, sub->id, &exists);
    if (rc == WH_OK && exists)
        rc = whi_error(WH_ECONFLICT, "a subscription with id %s already exists", sub->id);
    return rc == WH_OK ? whi_sq_sub_save(q, sub, true) : rc;
}

static int sq_sub_create(wh_store *s, const wh_subscription *sub)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    int rc = wh_subscription_validate(sub);
    return rc == WH_OK ? whi_sq_txn(sq_of(s), true, create_fn, (void *)sub) : rc;
}

typedef struct get_ctx {
    const char *id;
    wh_subscription **out;
} get_ctx;

static int get_fn(sq_store *q, void *ctx)
{
    get_ctx *c = ctx;
    return whi_sq_sub_load(q, c->id, c->out);
}

static int sq_sub_get(wh_store *s, const char *id, wh_subscription **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    int rc = whi_store_check_id("subscription id", id);
    get_ctx c = {id, out};
    return rc == WH_OK ? whi_sq_txn(sq_of(s), false, get_fn, &c) : rc;
}

static int replace_fn(sq_store *q, void *ctx)
{
    return whi_sq_sub_save(q, ctx, false);
}

static int sq_sub_replace(wh_store *s, const wh_subscription *sub)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    int rc = wh_subscription_validate(sub);
    return rc == WH_OK ? whi_sq_txn(sq_of(s), true, replace_fn, (void *)sub) : rc;
}

typedef struct patch_ctx {
    const char *id;
    const char *json;
    size_t len;
    wh_subscription *result;
} patch_ctx;

static int patch_fn(sq_store *q, void *ctx)
{
    patch_ctx *c = ctx;
    int rc = whi_sq_sub_load(q, c->id, &c->result);
    if (rc == WH_OK) rc = wh_subscription_patch_json(c->result, c->json, c->len);
    return rc == WH_OK ? whi_sq_sub_save(q, c->result, false) : rc;
}

static int sq_sub_patch(wh_store *s, const char *id, const char *json, size_t len,
                        wh_subscription **out)
{
    if (out) *out = NULL;
    int rc = whi_store_check_id("subscription id", id);
    if (rc == WH_OK && !json) rc = whi_error(WH_EINVAL, "patch JSON must not be NULL");
    if (rc != WH_OK) return rc;
    patch_ctx c = {id, json, len, NULL};
    rc = whi_sq_txn(sq_of(s), true, patch_fn, &c);
    if (rc == WH_OK && out)
        *out = c.result;
    else
        wh_subscription_free(c.result);
    return rc;
}

static int delete_fn(sq_store *q, void *ctx)
{
    const char *id = ctx;
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_SUB_DELETE);
    whi_sq_bind_text(st, 1, id);
    int rc = whi_sq_exec(q, st, "delete a subscription"); /* deliveries and attempts cascade */
    if (rc == WH_OK && sqlite3_changes(q->db) == 0) rc = not_found(id);
    return rc == WH_OK ? bump_changes(q) : rc;
}

static int sq_sub_delete(wh_store *s, const char *id)
{
    int rc = whi_store_check_id("subscription id", id);
    return rc == WH_OK ? whi_sq_txn(sq_of(s), true, delete_fn, (void *)id) : rc;
}

typedef struct list_ctx {
    const char *owner;
    size_t limit, page;
    size_t *total;
    wh_store_sub_cb cb;
    void *user_data;
} list_ctx;

static int list_rows(sq_store *q, sqlite3_stmt *st, list_ctx *c)
{
    int rc;
    while ((rc = whi_sq_step(q, st, "list subscriptions")) == SQLITE_ROW) {
        wh_subscription *sub;
        if ((rc = whi_sq_row_sub(st, &sub)) != WH_OK) break;
        int stop = c->cb(sub, c->user_data);
        wh_subscription_free(sub);
        if (stop) break;
    }
    sqlite3_reset(st);
    return rc < 0 ? rc : WH_OK;
}

static int list_fn(sq_store *q, void *ctx)
{
    list_ctx *c = ctx;
    int rc = WH_OK;
    if (c->total) {
        sqlite3_stmt *st = whi_sq_stmt(q, c->owner ? SQ_SUB_COUNT_OWNER : SQ_SUB_COUNT_ALL);
        whi_sq_bind_text(st, 3, c->owner);
        int64_t n;
        rc = whi_sq_int(q, st, "count subscriptions", &n);
        *c->total = (size_t)n;
    }
    if (rc != WH_OK) return rc;
    sqlite3_stmt *st = whi_sq_stmt(q, c->owner ? SQ_SUB_LIST_OWNER : SQ_SUB_LIST_ALL);
    whi_sq_bind_page(st, 1, c->limit, c->page);
    if (c->owner) whi_sq_bind_text(st, 3, c->owner);
    return list_rows(q, st, c);
}

static int sq_sub_list(wh_store *s, const char *owner, size_t limit, size_t page, size_t *total,
                       wh_store_sub_cb cb, void *user_data)
{
    if (!cb) return whi_error(WH_EINVAL, "callback must not be NULL");
    list_ctx c = {owner, limit, page, total, cb, user_data};
    return whi_sq_txn(sq_of(s), false, list_fn, &c);
}

static int disable_sub(sq_store *q, const char *id, const wh_sub_stats *st)
{
    wh_subscription *sub;
    int rc = whi_sq_sub_load(q, id, &sub);
    if (rc != WH_OK) return rc;
    if ((rc = wh_subscription_set_disabled_reason(sub, st->disabled_reason)) == WH_OK) {
        sub->status = WH_STATUS_DISABLED;
        wh_subscription_set_stats(sub, st->last_delivery_at, st->last_status, st->failure_count,
                                  st->failing_since);
        rc = whi_sq_sub_save(q, sub, false);
    }
    wh_subscription_free(sub);
    return rc;
}

int whi_sq_apply_stats(sq_store *q, const char *id, const wh_sub_stats *st)
{
    if (st->disable) return disable_sub(q, id, st);
    sqlite3_stmt *s = whi_sq_stmt(q, SQ_SUB_STATS);
    whi_sq_bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, st->last_delivery_at);
    sqlite3_bind_int(s, 3, st->last_status);
    sqlite3_bind_int64(s, 4, st->failure_count);
    sqlite3_bind_int64(s, 5, st->failing_since);
    int rc = whi_sq_exec(q, s, "update delivery stats");
    if (rc == WH_OK && sqlite3_changes(q->db) == 0) rc = not_found(id);
    return rc;
}

typedef struct stats_ctx {
    const char *id;
    const wh_sub_stats *stats;
} stats_ctx;

static int stats_fn(sq_store *q, void *ctx)
{
    stats_ctx *c = ctx;
    return whi_sq_apply_stats(q, c->id, c->stats);
}

static int sq_sub_update_stats(wh_store *s, const char *id, const wh_sub_stats *stats)
{
    int rc = whi_store_check_id("subscription id", id);
    if (rc == WH_OK) rc = whi_stats_check(stats);
    stats_ctx c = {id, stats};
    return rc == WH_OK ? whi_sq_txn(sq_of(s), true, stats_fn, &c) : rc;
}

static uint64_t sq_sub_changes(wh_store *s)
{
    sq_store *q = sq_of(s);
    int64_t n;
    pthread_mutex_lock(&q->mu);
    /* Read from the file each time, so changes made by another process are seen. */
    if (whi_sq_int(q, whi_sq_stmt(q, SQ_CHANGES_GET), "read the change counter", &n) == WH_OK)
        q->last_changes = (uint64_t)n;
    uint64_t v = q->last_changes;
    pthread_mutex_unlock(&q->mu);
    return v;
}

void whi_sq_subs_fill(wh_store *vt)
{
    vt->sub_create = sq_sub_create;
    vt->sub_get = sq_sub_get;
    vt->sub_replace = sq_sub_replace;
    vt->sub_patch = sq_sub_patch;
    vt->sub_delete = sq_sub_delete;
    vt->sub_list = sq_sub_list;
    vt->sub_update_stats = sq_sub_update_stats;
    vt->sub_changes = sq_sub_changes;
}
