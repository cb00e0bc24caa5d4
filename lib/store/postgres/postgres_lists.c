/* The PostgreSQL store's listings: one delivery, deliveries by query, attempts. */
#include <stdbool.h>
#include <string.h>

#include "postgres_impl.h"
#include "error.h"

void whi_pg_row_delivery(const PGresult *r, int row, int first, wh_delivery *d)
{
    int c = first;
    memset(d, 0, sizeof(*d));
    d->version = WH_DELIVERY_VERSION;
    d->id = whi_pg_str(r, row, c++);
    d->subscription_id = whi_pg_str(r, row, c++);
    d->owner_id = whi_pg_str(r, row, c++);
    d->event_id = whi_pg_str(r, row, c++);
    d->event_type = whi_pg_str(r, row, c++);
    d->idempotency_key = whi_pg_str(r, row, c++);
    d->method = (wh_method)whi_pg_i64(r, row, c++);
    d->url = whi_pg_str(r, row, c++);
    d->headers = whi_pg_str(r, row, c++);
    d->body = whi_pg_str(r, row, c);
    d->body_len = whi_pg_len(r, row, c++);
    d->event_time = whi_pg_i64(r, row, c++);
    d->status = (wh_delivery_status)whi_pg_i64(r, row, c++);
    d->attempts = (uint32_t)whi_pg_i64(r, row, c++);
    d->next_attempt_at = whi_pg_i64(r, row, c++);
    d->lease_until = whi_pg_i64(r, row, c++);
    d->created_at = whi_pg_i64(r, row, c++);
    d->updated_at = whi_pg_i64(r, row, c++);
    d->last_status = (int)whi_pg_i64(r, row, c++);
    d->last_error = whi_pg_str(r, row, c);
    if (!d->body_len) d->body = NULL;
}

static void row_attempt(const PGresult *r, int row, wh_attempt *a)
{
    memset(a, 0, sizeof(*a));
    a->version = WH_ATTEMPT_VERSION;
    a->delivery_id = whi_pg_str(r, row, 0);
    a->subscription_id = whi_pg_str(r, row, 1);
    a->number = (uint32_t)whi_pg_i64(r, row, 2);
    a->started_at = whi_pg_i64(r, row, 3);
    a->duration_ms = (uint32_t)whi_pg_i64(r, row, 4);
    a->http_status = (int)whi_pg_i64(r, row, 5);
    a->error_code = (int)whi_pg_i64(r, row, 6);
    a->error = whi_pg_str(r, row, 7);
    a->response = whi_pg_str(r, row, 8);
    a->response_len = whi_pg_len(r, row, 8);
    if (!a->response_len) a->response = NULL;
}

/* The callback of a listing: exactly one of the two is set. */
typedef struct row_cb {
    wh_store_delivery_cb delivery;
    wh_store_attempt_cb attempt;
    void *user_data;
} row_cb;

/* Hand every row of r to the callback until it says stop. */
static void each_row(const PGresult *r, const row_cb *cb)
{
    for (int i = 0; i < PQntuples(r); i++) {
        int stop;
        if (cb->attempt) {
            wh_attempt a;
            row_attempt(r, i, &a);
            stop = cb->attempt(&a, cb->user_data);
        } else {
            wh_delivery d;
            whi_pg_row_delivery(r, i, 0, &d);
            stop = cb->delivery(&d, cb->user_data);
        }
        if (stop) break;
    }
}

typedef struct get_ctx {
    const char *id;
    wh_store_delivery_cb cb;
    void *user_data;
} get_ctx;

static int get_fn(pg_store *p, pg_conn *c, void *ctx)
{
    get_ctx *g = ctx;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, g->id);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_DEL_GET, &a, &r);
    whi_pg_args_free(&a);
    if (rc == WH_OK && PQntuples(r) == 1) {
        wh_delivery d;
        whi_pg_row_delivery(r, 0, 0, &d);
        g->cb(&d, g->user_data);
    } else if (rc == WH_OK) {
        rc = whi_error(WH_ENOTFOUND, "no delivery with id %s", g->id);
    }
    PQclear(r);
    return rc;
}

static int pg_delivery_get(wh_store *s, const char *id, wh_store_delivery_cb cb, void *user_data)
{
    int rc = whi_store_check_id("delivery id", id);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    get_ctx g = {id, cb, user_data};
    return rc == WH_OK ? whi_pg_txn(pg_of(s), WHI_PG_TXN_SINGLE, get_fn, &g) : rc;
}

typedef struct list_ctx {
    const char *id; /* delivery or subscription id filter (NULL: none) */
    int status;
    wh_time_ms since;
    size_t limit, page;
    size_t *total;
    pg_stmt_id count, list;
    bool attempts;
    row_cb cb;
} list_ctx;

/* The filter arguments: deliveries ($1 status, $2 since, $3 subscription), attempts ($1 id). */
static void filter_args(whi_pg_args *a, const list_ctx *l)
{
    if (l->attempts) {
        whi_pg_arg_str(a, l->id);
        return;
    }
    whi_pg_arg_i64(a, l->status);
    whi_pg_arg_i64(a, l->since);
    if (l->id) whi_pg_arg_str(a, l->id);
}

static int list_fn(pg_store *p, pg_conn *c, void *ctx)
{
    list_ctx *l = ctx;
    whi_pg_args a;
    whi_pg_args_init(&a);
    filter_args(&a, l);
    PGresult *r = NULL;
    int rc = l->total ? whi_pg_run(p, c, l->count, &a, &r) : WH_OK;
    if (rc == WH_OK && l->total) *l->total = (size_t)whi_pg_i64(r, 0, 0);
    PQclear(r);
    r = NULL;
    whi_pg_arg_page(&a, l->limit, l->page);
    if (rc == WH_OK) rc = whi_pg_run(p, c, l->list, &a, &r);
    whi_pg_args_free(&a);
    if (rc == WH_OK) each_row(r, &l->cb);
    PQclear(r);
    return rc;
}

static int pg_delivery_list(wh_store *s, const wh_delivery_query *q, size_t *total,
                            wh_store_delivery_cb cb, void *user_data)
{
    static const wh_delivery_query any = WH_DELIVERY_QUERY_INIT;
    int rc = whi_delivery_query_check(q);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    if (rc != WH_OK) return rc;
    q = q ? q : &any;
    bool by_sub = q->subscription_id != NULL;
    list_ctx l = {q->subscription_id,
                  q->status,
                  q->since,
                  q->limit,
                  q->page,
                  total,
                  by_sub ? PG_DEL_COUNT_SUB : PG_DEL_COUNT_ALL,
                  by_sub ? PG_DEL_LIST_SUB : PG_DEL_LIST_ALL,
                  false,
                  {cb, NULL, user_data}};
    return whi_pg_txn(pg_of(s), total ? WHI_PG_TXN_READ : WHI_PG_TXN_SINGLE, list_fn, &l);
}

static int pg_attempt_list(wh_store *s, const char *delivery_id, const char *sub_id, size_t limit,
                           size_t page, size_t *total, wh_store_attempt_cb cb, void *user_data)
{
    int rc = whi_attempt_list_check(delivery_id, sub_id, (const void *)cb);
    if (rc != WH_OK) return rc;
    list_ctx l = {delivery_id ? delivery_id : sub_id,
                  -1,
                  0,
                  limit,
                  page,
                  total,
                  delivery_id ? PG_ATT_COUNT_DEL : PG_ATT_COUNT_SUB,
                  delivery_id ? PG_ATT_LIST_DEL : PG_ATT_LIST_SUB,
                  true,
                  {NULL, cb, user_data}};
    return whi_pg_txn(pg_of(s), total ? WHI_PG_TXN_READ : WHI_PG_TXN_SINGLE, list_fn, &l);
}

void whi_pg_lists_fill(wh_store *vt)
{
    vt->delivery_get = pg_delivery_get;
    vt->delivery_list = pg_delivery_list;
    vt->attempt_list = pg_attempt_list;
}
