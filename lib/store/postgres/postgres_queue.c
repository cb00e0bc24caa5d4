/*
 * The PostgreSQL store's delivery queue: enqueue (a whole batch in one statement, each column
 * an array), release, recover, next_due. Leasing is in postgres_lease.c.
 */
#include <stdbool.h>
#include <string.h>

#include "postgres_impl.h"
#include "error.h"

/* The batch as the 19 array arguments of PG_DEL_INSERT. */
static void batch_args(whi_pg_args *a, const wh_delivery *const *batch, size_t count)
{
    whi_pg_array arr;
#define COLUMN(type, put)                                                                          \
    do {                                                                                           \
        whi_pg_array_begin(a, &arr, type);                                                         \
        for (size_t i = 0; i < count; i++) {                                                       \
            const wh_delivery *d = batch[i];                                                       \
            put;                                                                                   \
        }                                                                                          \
        whi_pg_array_end(a, &arr);                                                                 \
    } while (0)
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, d->id));
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, d->subscription_id));
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, d->owner_id));
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, d->event_id));
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, d->event_type));
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, d->idempotency_key));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, (int64_t)d->method));
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, d->url));
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, d->headers));
    COLUMN(WHI_PG_BYTEA, whi_pg_array_bytes(&arr, d->body_len ? d->body : NULL, d->body_len));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, d->event_time));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, (int64_t)d->status));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, d->attempts));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, d->next_attempt_at));
    /* due_at: only a PENDING delivery is ever due (a FAILED one arrived dead) */
    COLUMN(WHI_PG_INT8, d->status == WH_DELIVERY_PENDING
                            ? whi_pg_array_i64(&arr, d->next_attempt_at)
                            : whi_pg_array_bytes(&arr, NULL, 0));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, d->created_at));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, d->updated_at));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, d->last_status));
    COLUMN(WHI_PG_TEXT, whi_pg_array_note(&arr, d->last_error, WH_STORE_MAX_ERROR_LEN));
#undef COLUMN
}

/* Say what a refused insert means for the queue. */
static int insert_error(const pg_conn *c, int rc)
{
    char why[512];
    snprintf(why, sizeof(why), "%s", wh_error_last()->message);
    if (strcmp(c->sqlstate, "23505") == 0)
        return whi_error(WH_ECONFLICT, "a delivery with that id already exists: %s", why);
    if (strcmp(c->sqlstate, "23503") == 0)
        return whi_error(WH_ENOTFOUND,
                         "a delivery's subscription does not exist (deleted since the event was "
                         "matched?): %s",
                         why);
    if (strncmp(c->sqlstate, "22", 2) == 0)
        return whi_error(WH_EINVAL, "a delivery cannot be stored: %s", why);
    return rc;
}

typedef struct enqueue_ctx {
    const wh_delivery *const *batch;
    size_t count;
} enqueue_ctx;

int whi_pg_insert_deliveries(pg_store *p, pg_conn *c, const wh_delivery *const *batch, size_t count)
{
    if (count == 0) return WH_OK;
    whi_pg_args a;
    whi_pg_args_init(&a);
    batch_args(&a, batch, count);
    int rc = whi_pg_run(p, c, PG_DEL_INSERT, &a, NULL);
    whi_pg_args_free(&a);
    return rc == WH_OK ? WH_OK : insert_error(c, rc);
}

static int enqueue_fn(pg_store *p, pg_conn *c, void *ctx)
{
    enqueue_ctx *e = ctx;
    return whi_pg_insert_deliveries(p, c, e->batch, e->count);
}

int whi_pg_enqueue_check(const wh_delivery *const *batch, size_t count)
{
    if (count && !batch) return whi_error(WH_EINVAL, "batch must not be NULL");
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < count; i++)
        rc = whi_delivery_check(batch[i]);
    return rc;
}

static int pg_enqueue(wh_store *s, const wh_delivery *const *batch, size_t count)
{
    int rc = whi_pg_enqueue_check(batch, count);
    if (rc != WH_OK || count == 0) return rc;
    enqueue_ctx e = {batch, count};
    return whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RESOLVE | WHI_PG_TXN_RETRY,
                      enqueue_fn, &e);
}

/* ---- release, recover, next_due ---- */

int whi_pg_state_error(pg_store *p, pg_conn *c, const char *id, bool want_in_flight)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, id);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_DEL_STATUS, &a, &r);
    whi_pg_args_free(&a);
    int status = rc == WH_OK && PQntuples(r) == 1 ? (int)whi_pg_i64(r, 0, 0) : -1;
    PQclear(r);
    if (rc != WH_OK) return rc;
    if (status < 0) return whi_error(WH_ENOTFOUND, "no delivery with id %s", id);
    if (want_in_flight)
        return whi_error(WH_ESTATE, "delivery %s is %s, not in_flight", id,
                         wh_delivery_status_name((wh_delivery_status)status));
    return whi_error(WH_ESTATE, "delivery %s is in flight; replay it once it is done", id);
}

static int release_fn(pg_store *p, pg_conn *c, void *ctx)
{
    const char *id = ctx;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, id);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_RELEASE, &a, &r);
    whi_pg_args_free(&a);
    size_t n = rc == WH_OK ? whi_pg_changed(r) : 0;
    PQclear(r);
    if (rc != WH_OK || n == 1) return rc;
    return whi_pg_state_error(p, c, id, true);
}

static int pg_release(wh_store *s, const char *id)
{
    int rc = whi_store_check_id("delivery id", id);
    return rc == WH_OK
               ? whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RETRY, release_fn, (void *)id)
               : rc;
}

static int recover_fn(pg_store *p, pg_conn *c, void *ctx)
{
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_RECOVER, NULL, &r);
    *(size_t *)ctx = rc == WH_OK ? whi_pg_changed(r) : 0;
    PQclear(r);
    return rc;
}

static int pg_recover(wh_store *s, size_t *count)
{
    size_t n = 0;
    int rc = whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RETRY, recover_fn, &n);
    if (count) *count = rc == WH_OK ? n : 0;
    return rc;
}

static int next_due_fn(pg_store *p, pg_conn *c, void *ctx)
{
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_NEXT_DUE, NULL, &r);
    bool any = rc == WH_OK && PQntuples(r) == 1 && !whi_pg_null(r, 0, 0);
    if (any) *(wh_time_ms *)ctx = whi_pg_i64(r, 0, 0);
    PQclear(r);
    if (rc != WH_OK) return rc;
    return any ? WH_OK : whi_error(WH_ENOTFOUND, "no pending or in-flight delivery");
}

static int pg_next_due(wh_store *s, wh_time_ms *at)
{
    if (!at) return whi_error(WH_EINVAL, "at must not be NULL");
    return whi_pg_txn(pg_of(s), WHI_PG_TXN_SINGLE, next_due_fn, at);
}

void whi_pg_queue_fill(wh_store *vt)
{
    vt->enqueue = pg_enqueue;
    vt->release = pg_release;
    vt->recover = pg_recover;
    vt->next_due = pg_next_due;
}
