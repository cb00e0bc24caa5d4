/*
 * The PostgreSQL store's event ids (event idempotency, the port's enqueue_events): one
 * statement accepts every id of the call (inserted, or renewed when expired) and returns those
 * it accepted; an id left out is still remembered, and the whole transaction, deliveries
 * included, is refused. Two processes accepting the same id at once are ordered by its primary
 * key: the second waits for the first to commit, then finds the id remembered.
 */
#include <stdbool.h>
#include <string.h>

#include "postgres_impl.h"
#include "error.h"
#include "hashmap.h"

typedef struct events_ctx {
    const char *const *ids;
    size_t nids;
    wh_time_ms now, expires_at;
    const wh_delivery *const *batch;
    size_t count;
} events_ctx;

/* The first id the statement did not accept. */
static int name_refused(const events_ctx *e, const PGresult *r)
{
    whi_hmap got = WHI_HMAP_INIT;
    int rc = WH_OK;
    for (int i = 0; rc == WH_OK && i < PQntuples(r); i++)
        if (whi_hmap_put(&got, whi_pg_str(r, i, 0), whi_pg_len(r, i, 0), (void *)1) != WH_OK)
            rc = whi_error_oom();
    for (size_t i = 0; rc == WH_OK && i < e->nids; i++)
        if (!whi_hmap_get(&got, e->ids[i], strlen(e->ids[i]))) rc = whi_event_conflict(e->ids[i]);
    whi_hmap_free(&got);
    return rc == WH_OK ? whi_error(WH_ECONFLICT, "an event id was already accepted") : rc;
}

static int accept_events(pg_store *p, pg_conn *c, const events_ctx *e)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_array arr;
    whi_pg_array_begin(&a, &arr, WHI_PG_TEXT);
    for (size_t i = 0; i < e->nids; i++)
        whi_pg_array_str(&arr, e->ids[i]);
    whi_pg_array_end(&a, &arr);
    whi_pg_arg_i64(&a, e->now);
    whi_pg_arg_i64(&a, e->expires_at);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_EVENTS_ACCEPT, &a, &r);
    whi_pg_args_free(&a);
    if (rc == WH_OK && (size_t)PQntuples(r) != e->nids) rc = name_refused(e, r);
    PQclear(r);
    return rc;
}

/* Forget as many expired ids as this call adds, and a few more. */
static int sweep_events(pg_store *p, pg_conn *c, const events_ctx *e)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_i64(&a, e->now);
    whi_pg_arg_i64(&a, (int64_t)e->nids + 16);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_EVENTS_SWEEP, &a, &r);
    whi_pg_args_free(&a);
    PQclear(r);
    return rc;
}

static int enqueue_events_fn(pg_store *p, pg_conn *c, void *ctx)
{
    events_ctx *e = ctx;
    int rc = e->nids ? sweep_events(p, c, e) : WH_OK;
    if (rc == WH_OK && e->nids) rc = accept_events(p, c, e);
    return rc == WH_OK ? whi_pg_insert_deliveries(p, c, e->batch, e->count) : rc;
}

static int pg_enqueue_events(wh_store *s, const char *const *ids, size_t nids, wh_time_ms now,
                             wh_time_ms expires_at, const wh_delivery *const *batch, size_t count)
{
    int rc = whi_event_ids_check(ids, nids);
    if (rc == WH_OK) rc = whi_pg_enqueue_check(batch, count);
    if (rc != WH_OK || (nids == 0 && count == 0)) return rc;
    events_ctx e = {ids, nids, now, expires_at, batch, count};
    return whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RESOLVE | WHI_PG_TXN_RETRY,
                      enqueue_events_fn, &e);
}

void whi_pg_events_fill(wh_store *vt)
{
    vt->enqueue_events = pg_enqueue_events;
}
