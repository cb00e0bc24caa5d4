/* The SQLite store's listings: one delivery, deliveries by query, attempts. */
#include <stdbool.h>
#include <string.h>

#include "sqlite_impl.h"
#include "error.h"

static const char *text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

void whi_sq_row_delivery(sqlite3_stmt *st, wh_delivery *d)
{
    memset(d, 0, sizeof(*d));
    d->version = WH_DELIVERY_VERSION;
    d->id = text(st, 0);
    d->subscription_id = text(st, 1);
    d->owner_id = text(st, 2);
    d->event_id = text(st, 3);
    d->event_type = text(st, 4);
    d->idempotency_key = text(st, 5);
    d->method = (wh_method)sqlite3_column_int(st, 6);
    d->url = text(st, 7);
    d->headers = text(st, 8);
    d->body = sqlite3_column_blob(st, 9);
    d->body_len = (size_t)sqlite3_column_bytes(st, 9);
    d->event_time = sqlite3_column_int64(st, 10);
    d->status = (wh_delivery_status)sqlite3_column_int(st, 11);
    d->attempts = (uint32_t)sqlite3_column_int64(st, 12);
    d->next_attempt_at = sqlite3_column_int64(st, 13);
    d->lease_until = sqlite3_column_int64(st, 14);
    d->created_at = sqlite3_column_int64(st, 15);
    d->updated_at = sqlite3_column_int64(st, 16);
    d->last_status = sqlite3_column_int(st, 17);
    d->last_error = text(st, 18);
}

static void row_attempt(sqlite3_stmt *st, wh_attempt *a)
{
    memset(a, 0, sizeof(*a));
    a->version = WH_ATTEMPT_VERSION;
    a->delivery_id = text(st, 0);
    a->subscription_id = text(st, 1);
    a->number = (uint32_t)sqlite3_column_int64(st, 2);
    a->started_at = sqlite3_column_int64(st, 3);
    a->duration_ms = (uint32_t)sqlite3_column_int64(st, 4);
    a->http_status = sqlite3_column_int(st, 5);
    a->error_code = sqlite3_column_int(st, 6);
    a->error = text(st, 7);
    a->response = sqlite3_column_blob(st, 8);
    a->response_len = (size_t)sqlite3_column_bytes(st, 8);
}

/* The callback of a listing: exactly one of the two is set. */
typedef struct row_cb {
    wh_store_delivery_cb delivery;
    wh_store_attempt_cb attempt;
    void *user_data;
} row_cb;

/* Hand every row of st to the callback until it says stop. */
static int each_row(sq_store *q, sqlite3_stmt *st, const row_cb *cb)
{
    int rc;
    while ((rc = whi_sq_step(q, st, "list")) == SQLITE_ROW) {
        int stop;
        if (cb->attempt) {
            wh_attempt a;
            row_attempt(st, &a);
            stop = cb->attempt(&a, cb->user_data);
        } else {
            wh_delivery d;
            whi_sq_row_delivery(st, &d);
            stop = cb->delivery(&d, cb->user_data);
        }
        if (stop) break;
    }
    sqlite3_reset(st);
    return rc < 0 ? rc : WH_OK;
}

typedef struct get_ctx {
    const char *id;
    wh_store_delivery_cb cb;
    void *user_data;
} get_ctx;

static int get_fn(sq_store *q, void *ctx)
{
    get_ctx *c = ctx;
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_DEL_GET);
    whi_sq_bind_text(st, 1, c->id);
    int rc = whi_sq_step(q, st, "read a delivery");
    if (rc == SQLITE_ROW) {
        wh_delivery d;
        whi_sq_row_delivery(st, &d);
        c->cb(&d, c->user_data);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return whi_error(WH_ENOTFOUND, "no delivery with id %s", c->id);
    return rc < 0 ? rc : WH_OK;
}

static int sq_delivery_get(wh_store *s, const char *id, wh_store_delivery_cb cb, void *user_data)
{
    int rc = whi_store_check_id("delivery id", id);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    get_ctx c = {id, cb, user_data};
    return rc == WH_OK ? whi_sq_txn(sq_of(s), false, get_fn, &c) : rc;
}

typedef struct list_ctx {
    const char *id; /* delivery or subscription id filter */
    int status;
    wh_time_ms since;
    size_t limit, page;
    size_t *total;
    sq_stmt_id count, list;
    bool attempts;
    row_cb cb;
} list_ctx;

/* Count (when asked) and list with one statement pair whose filters are ?1, ?2, ?3 and whose
 * LIMIT/OFFSET come right after them. */
static int list_fn(sq_store *q, void *ctx)
{
    list_ctx *c = ctx;
    int page_at = c->attempts ? 2 : 4;
    sqlite3_stmt *st[2] = {c->total ? whi_sq_stmt(q, c->count) : NULL, whi_sq_stmt(q, c->list)};
    for (int i = 0; i < 2; i++) {
        if (!st[i]) continue;
        whi_sq_bind_text(st[i], 1, c->id);
        if (!c->attempts) {
            sqlite3_bind_int(st[i], 2, c->status);
            sqlite3_bind_int64(st[i], 3, c->since);
        }
    }
    if (c->total) {
        int64_t n;
        int rc = whi_sq_int(q, st[0], "count", &n);
        if (rc != WH_OK) return rc;
        *c->total = (size_t)n;
    }
    whi_sq_bind_page(st[1], page_at, c->limit, c->page);
    return each_row(q, st[1], &c->cb);
}

static int sq_delivery_list(wh_store *s, const wh_delivery_query *q, size_t *total,
                            wh_store_delivery_cb cb, void *user_data)
{
    static const wh_delivery_query any = WH_DELIVERY_QUERY_INIT;
    int rc = whi_delivery_query_check(q);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    if (rc != WH_OK) return rc;
    q = q ? q : &any;
    bool by_sub = q->subscription_id != NULL;
    list_ctx c = {q->subscription_id,
                  q->status,
                  q->since,
                  q->limit,
                  q->page,
                  total,
                  by_sub ? SQ_DEL_COUNT_SUB : SQ_DEL_COUNT_ALL,
                  by_sub ? SQ_DEL_LIST_SUB : SQ_DEL_LIST_ALL,
                  false,
                  {cb, NULL, user_data}};
    return whi_sq_txn(sq_of(s), false, list_fn, &c);
}

static int sq_attempt_list(wh_store *s, const char *delivery_id, const char *sub_id, size_t limit,
                           size_t page, size_t *total, wh_store_attempt_cb cb, void *user_data)
{
    int rc = whi_attempt_list_check(delivery_id, sub_id, (const void *)cb);
    if (rc != WH_OK) return rc;
    list_ctx c = {delivery_id ? delivery_id : sub_id,
                  -1,
                  0,
                  limit,
                  page,
                  total,
                  delivery_id ? SQ_ATT_COUNT_DEL : SQ_ATT_COUNT_SUB,
                  delivery_id ? SQ_ATT_LIST_DEL : SQ_ATT_LIST_SUB,
                  true,
                  {NULL, cb, user_data}};
    return whi_sq_txn(sq_of(s), false, list_fn, &c);
}

void whi_sq_lists_fill(wh_store *vt)
{
    vt->delivery_get = sq_delivery_get;
    vt->delivery_list = sq_delivery_list;
    vt->attempt_list = sq_attempt_list;
}
