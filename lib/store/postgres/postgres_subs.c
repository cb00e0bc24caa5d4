/*
 * The PostgreSQL store's subscriptions. Each is stored as its full JSON (secrets included, as
 * wh_subscription_to_json(WH_JSON_SECRETS) writes it) with its id, owner and creation time as
 * indexed columns, and its delivery stats as columns of their own (authoritative over the
 * JSON's) so that recording an attempt does not rewrite the JSON. A read-modify-write (patch, a
 * disable) locks the row first (FOR UPDATE), so two processes patching at once both count.
 * Every change bumps the change counter in the same transaction, which notifies the other
 * processes at commit (postgres_notify.c).
 */
#include <stdbool.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "postgres_impl.h"
#include "alloc.h"
#include "error.h"

int whi_pg_row_sub(const PGresult *r, int row, wh_subscription **out)
{
    const char *json = whi_pg_str(r, row, 0);
    int rc = json ? wh_subscription_from_json(out, json, whi_pg_len(r, row, 0)) : WH_EINVAL;
    if (rc != WH_OK)
        return whi_error(WH_ECORRUPT, "postgres store: a stored subscription cannot be read: %s",
                         wh_error_last()->message);
    wh_subscription_set_stats(*out, whi_pg_i64(r, row, 1), (int)whi_pg_i64(r, row, 2),
                              (uint32_t)whi_pg_i64(r, row, 3), whi_pg_i64(r, row, 4));
    return WH_OK;
}

static int not_found(const char *id)
{
    return whi_error(WH_ENOTFOUND, "no subscription with id %s", id);
}

/* Run statement id with the single text argument s. */
static int run_str(pg_store *p, pg_conn *c, pg_stmt_id id, const char *s, PGresult **res)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, s);
    int rc = whi_pg_run(p, c, id, &a, res);
    whi_pg_args_free(&a);
    return rc;
}

int whi_pg_sub_load(pg_store *p, pg_conn *c, const char *id, bool lock, wh_subscription **out)
{
    PGresult *r;
    int rc = run_str(p, c, lock ? PG_SUB_LOCK : PG_SUB_GET, id, &r);
    if (rc != WH_OK) return rc;
    rc = PQntuples(r) == 1 ? whi_pg_row_sub(r, 0, out) : not_found(id);
    PQclear(r);
    return rc;
}

int whi_pg_sub_exists(pg_store *p, pg_conn *c, const char *id, bool *exists)
{
    PGresult *r;
    int rc = run_str(p, c, PG_SUB_EXISTS, id, &r);
    *exists = rc == WH_OK && PQntuples(r) == 1;
    PQclear(r);
    return rc;
}

static int bump_changes(pg_store *p, pg_conn *c)
{
    return run_str(p, c, PG_CHANGES_BUMP, p->schema, NULL);
}

/* Write sub's row (insert, or update of the existing one) and count the change. */
static int sub_save(pg_store *p, pg_conn *c, const wh_subscription *sub, bool insert)
{
    char *json;
    size_t len;
    int rc = wh_subscription_to_json(sub, WH_JSON_SECRETS, &json, &len);
    if (rc != WH_OK) return rc;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, sub->id);
    whi_pg_arg_str(&a, sub->owner);
    whi_pg_arg_i64(&a, sub->created_at);
    whi_pg_arg_bytes(&a, json, len);
    whi_pg_arg_i64(&a, sub->last_delivery_at);
    whi_pg_arg_i64(&a, sub->last_status);
    whi_pg_arg_i64(&a, sub->failure_count);
    whi_pg_arg_i64(&a, sub->failing_since);
    PGresult *r;
    rc = whi_pg_run(p, c, insert ? PG_SUB_INSERT : PG_SUB_UPDATE, &a, &r);
    whi_pg_args_free(&a);
    mbedtls_platform_zeroize(json, len); /* it holds the secrets */
    whi_free(json);
    if (rc == WH_OK && whi_pg_changed(r) == 0)
        rc = insert ? whi_error(WH_ECONFLICT, "a subscription with id %s already exists", sub->id)
                    : not_found(sub->id);
    PQclear(r);
    return rc == WH_OK ? bump_changes(p, c) : rc;
}

/* A write transaction on subscriptions, whose success tells the change feed. */
static int sub_txn(pg_store *p, pg_txn_fn fn, void *ctx)
{
    int rc = whi_pg_txn(p, WHI_PG_TXN_WRITE | WHI_PG_TXN_RESOLVE | WHI_PG_TXN_RETRY, fn, ctx);
    if (rc == WH_OK) whi_pg_subs_changed(p);
    return rc;
}

static int create_fn(pg_store *p, pg_conn *c, void *ctx)
{
    return sub_save(p, c, ctx, true);
}

static int pg_sub_create(wh_store *s, const wh_subscription *sub)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    int rc = wh_subscription_validate(sub);
    return rc == WH_OK ? sub_txn(pg_of(s), create_fn, (void *)sub) : rc;
}

typedef struct get_ctx {
    const char *id;
    wh_subscription **out;
} get_ctx;

static int get_fn(pg_store *p, pg_conn *c, void *ctx)
{
    get_ctx *g = ctx;
    return whi_pg_sub_load(p, c, g->id, false, g->out);
}

static int pg_sub_get(wh_store *s, const char *id, wh_subscription **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    int rc = whi_store_check_id("subscription id", id);
    get_ctx g = {id, out};
    return rc == WH_OK ? whi_pg_txn(pg_of(s), WHI_PG_TXN_SINGLE, get_fn, &g) : rc;
}

static int replace_fn(pg_store *p, pg_conn *c, void *ctx)
{
    return sub_save(p, c, ctx, false);
}

static int pg_sub_replace(wh_store *s, const wh_subscription *sub)
{
    if (!sub) return whi_error(WH_EINVAL, "subscription must not be NULL");
    int rc = wh_subscription_validate(sub);
    return rc == WH_OK ? sub_txn(pg_of(s), replace_fn, (void *)sub) : rc;
}

typedef struct patch_ctx {
    const char *id;
    const char *json;
    size_t len;
    wh_subscription *result;
} patch_ctx;

static int patch_fn(pg_store *p, pg_conn *c, void *ctx)
{
    patch_ctx *pc = ctx;
    wh_subscription_free(pc->result); /* a run again after a deadlock starts afresh */
    pc->result = NULL;
    int rc = whi_pg_sub_load(p, c, pc->id, true, &pc->result);
    if (rc == WH_OK) rc = wh_subscription_patch_json(pc->result, pc->json, pc->len);
    return rc == WH_OK ? sub_save(p, c, pc->result, false) : rc;
}

static int pg_sub_patch(wh_store *s, const char *id, const char *json, size_t len,
                        wh_subscription **out)
{
    if (out) *out = NULL;
    int rc = whi_store_check_id("subscription id", id);
    if (rc == WH_OK && !json) rc = whi_error(WH_EINVAL, "patch JSON must not be NULL");
    if (rc != WH_OK) return rc;
    patch_ctx pc = {id, json, len, NULL};
    rc = sub_txn(pg_of(s), patch_fn, &pc);
    if (rc == WH_OK && out)
        *out = pc.result;
    else
        wh_subscription_free(pc.result);
    return rc;
}

static int delete_fn(pg_store *p, pg_conn *c, void *ctx)
{
    const char *id = ctx;
    PGresult *r;
    int rc = run_str(p, c, PG_SUB_DELETE, id, &r); /* deliveries and attempts cascade */
    if (rc == WH_OK && whi_pg_changed(r) == 0) rc = not_found(id);
    PQclear(r);
    return rc == WH_OK ? bump_changes(p, c) : rc;
}

static int pg_sub_delete(wh_store *s, const char *id)
{
    int rc = whi_store_check_id("subscription id", id);
    return rc == WH_OK ? sub_txn(pg_of(s), delete_fn, (void *)id) : rc;
}

typedef struct list_ctx {
    const char *owner;
    size_t limit, page;
    size_t *total;
    wh_store_sub_cb cb;
    void *user_data;
} list_ctx;

static int count_subs(pg_store *p, pg_conn *c, const list_ctx *l)
{
    PGresult *r;
    int rc = l->owner ? run_str(p, c, PG_SUB_COUNT_OWNER, l->owner, &r)
                      : whi_pg_run(p, c, PG_SUB_COUNT_ALL, NULL, &r);
    if (rc == WH_OK) *l->total = (size_t)whi_pg_i64(r, 0, 0);
    PQclear(r);
    return rc;
}

static int list_fn(pg_store *p, pg_conn *c, void *ctx)
{
    list_ctx *l = ctx;
    int rc = l->total ? count_subs(p, c, l) : WH_OK;
    if (rc != WH_OK) return rc;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_page(&a, l->limit, l->page);
    if (l->owner) whi_pg_arg_str(&a, l->owner);
    PGresult *r;
    rc = whi_pg_run(p, c, l->owner ? PG_SUB_LIST_OWNER : PG_SUB_LIST_ALL, &a, &r);
    whi_pg_args_free(&a);
    for (int i = 0; rc == WH_OK && i < PQntuples(r); i++) {
        wh_subscription *sub;
        if ((rc = whi_pg_row_sub(r, i, &sub)) != WH_OK) break;
        int stop = l->cb(sub, l->user_data);
        wh_subscription_free(sub);
        if (stop) break;
    }
    PQclear(r);
    return rc;
}

static int pg_sub_list(wh_store *s, const char *owner, size_t limit, size_t page, size_t *total,
                       wh_store_sub_cb cb, void *user_data)
{
    if (!cb) return whi_error(WH_EINVAL, "callback must not be NULL");
    list_ctx l = {owner, limit, page, total, cb, user_data};
    return whi_pg_txn(pg_of(s), total ? WHI_PG_TXN_READ : WHI_PG_TXN_SINGLE, list_fn, &l);
}

static int disable_sub(pg_store *p, pg_conn *c, const char *id, const wh_sub_stats *st)
{
    wh_subscription *sub;
    int rc = whi_pg_sub_load(p, c, id, true, &sub);
    if (rc != WH_OK) return rc;
    if ((rc = wh_subscription_set_disabled_reason(sub, st->disabled_reason)) == WH_OK) {
        sub->status = WH_STATUS_DISABLED;
        wh_subscription_set_stats(sub, st->last_delivery_at, st->last_status, st->failure_count,
                                  st->failing_since);
        rc = sub_save(p, c, sub, false);
    }
    wh_subscription_free(sub);
    return rc;
}

int whi_pg_apply_stats(pg_store *p, pg_conn *c, const char *id, const wh_sub_stats *st)
{
    if (st->disable) return disable_sub(p, c, id, st);
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, id);
    whi_pg_arg_i64(&a, st->last_delivery_at);
    whi_pg_arg_i64(&a, st->last_status);
    whi_pg_arg_i64(&a, st->failure_count);
    whi_pg_arg_i64(&a, st->failing_since);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_SUB_STATS, &a, &r);
    whi_pg_args_free(&a);
    if (rc == WH_OK && whi_pg_changed(r) == 0) rc = not_found(id);
    PQclear(r);
    return rc;
}

typedef struct stats_ctx {
    const char *id;
    const wh_sub_stats *stats;
} stats_ctx;

static int stats_fn(pg_store *p, pg_conn *c, void *ctx)
{
    stats_ctx *sc = ctx;
    return whi_pg_apply_stats(p, c, sc->id, sc->stats);
}

static int pg_sub_update_stats(wh_store *s, const char *id, const wh_sub_stats *stats)
{
    int rc = whi_store_check_id("subscription id", id);
    if (rc == WH_OK) rc = whi_stats_check(stats);
    stats_ctx sc = {id, stats};
    if (rc != WH_OK) return rc;
    rc = whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RETRY, stats_fn, &sc);
    if (rc == WH_OK && stats->disable) whi_pg_subs_changed(pg_of(s));
    return rc;
}

void whi_pg_subs_fill(wh_store *vt)
{
    vt->sub_create = pg_sub_create;
    vt->sub_get = pg_sub_get;
    vt->sub_replace = pg_sub_replace;
    vt->sub_patch = pg_sub_patch;
    vt->sub_delete = pg_sub_delete;
    vt->sub_list = pg_sub_list;
    vt->sub_update_stats = pg_sub_update_stats;
}
