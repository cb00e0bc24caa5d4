/* The SQLite store's delivery queue: enqueue, lease, release, recover, next_due. */
#include <stdbool.h>
#include <string.h>

#include "sqlite_impl.h"
#include "alloc.h"
#include "error.h"
#include "hashmap.h"

static void bind_delivery(sqlite3_stmt *st, const wh_delivery *d)
{
    whi_sq_bind_text(st, 1, d->id);
    whi_sq_bind_text(st, 2, d->subscription_id);
    whi_sq_bind_text(st, 3, d->owner_id);
    whi_sq_bind_text(st, 4, d->event_id);
    whi_sq_bind_text(st, 5, d->event_type);
    whi_sq_bind_text(st, 6, d->idempotency_key);
    sqlite3_bind_int(st, 7, (int)d->method);
    /* ?8 .. ?10 (url, headers, body): insert_payload */
    sqlite3_bind_int64(st, 11, d->event_time);
    sqlite3_bind_int(st, 12, (int)d->status);
    sqlite3_bind_int64(st, 13, d->attempts);
    sqlite3_bind_int64(st, 14, d->next_attempt_at);
    sqlite3_bind_int64(st, 15, 0); /* lease_until: not leased */
    sqlite3_bind_int64(st, 16, d->created_at);
    sqlite3_bind_int64(st, 17, d->updated_at);
    sqlite3_bind_int(st, 18, d->last_status);
    if (d->last_error)
        sqlite3_bind_text(
            st, 19, d->last_error,
            (int)whi_store_cut_len(d->last_error, strlen(d->last_error), WH_STORE_MAX_ERROR_LEN),
            SQLITE_STATIC);
    if (d->status == WH_DELIVERY_PENDING)
        sqlite3_bind_int64(st, 20, d->next_attempt_at); /* due_at; NULL (unbound) when done */
}

/* The url, headers and body of the delivery just inserted (its row is the last insert). */
static int insert_payload(sq_store *q, const wh_delivery *d)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_PAYLOAD_INSERT);
    whi_sq_bind_text(st, 1, d->url);
    whi_sq_bind_text(st, 2, d->headers);
    if (d->body_len) sqlite3_bind_blob64(st, 3, d->body, d->body_len, SQLITE_STATIC);
    int rc = whi_sq_exec(q, st, "enqueue a delivery's body");
    sqlite3_clear_bindings(st);
    return rc;
}

static int insert_one(sq_store *q, const wh_delivery *d)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_DEL_INSERT);
    bind_delivery(st, d);
    int rc = sqlite3_step(st);
    int ext = sqlite3_extended_errcode(q->db);
    int code = WH_OK;
    if (rc != SQLITE_DONE && ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        code = whi_error(WH_ENOTFOUND, "delivery %s: no subscription with id %s", d->id,
                         d->subscription_id);
    else if (rc != SQLITE_DONE && ext == SQLITE_CONSTRAINT_UNIQUE)
        code = whi_error(WH_ECONFLICT, "a delivery with id %s already exists", d->id);
    else if (rc != SQLITE_DONE)
        code = whi_sq_fail(q, rc, "enqueue a delivery");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return code == WH_OK ? insert_payload(q, d) : code;
}

typedef struct enqueue_ctx {
    const wh_delivery *const *batch;
    size_t count;
} enqueue_ctx;

static int enqueue_fn(sq_store *q, void *ctx)
{
    enqueue_ctx *c = ctx;
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < c->count; i++)
        rc = insert_one(q, c->batch[i]);
    return rc;
}

static int sq_enqueue(wh_store *s, const wh_delivery *const *batch, size_t count)
{
    if (count && !batch) return whi_error(WH_EINVAL, "batch must not be NULL");
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < count; i++)
        rc = whi_delivery_check(batch[i]);
    if (rc != WH_OK || count == 0) return rc;
    enqueue_ctx c = {batch, count};
    return whi_sq_txn(sq_of(s), true, enqueue_fn, &c);
}

/* ---- event ids (event idempotency) ---- */

typedef struct events_ctx {
    const char *const *ids;
    size_t nids;
    wh_time_ms now, expires_at;
    enqueue_ctx batch;
} events_ctx;

/* Accept one event id: refused while remembered, else remembered until expires_at. */
static int accept_event(sq_store *q, const char *id, wh_time_ms now, wh_time_ms expires_at)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_EVENT_GET);
    whi_sq_bind_text(st, 1, id);
    int step = whi_sq_step(q, st, "look up an event id");
    bool held = step == SQLITE_ROW && sqlite3_column_int64(st, 0) > now;
    sqlite3_reset(st);
    if (step < 0) return step;
    if (held) return whi_event_conflict(id);
    st = whi_sq_stmt(q, SQ_EVENT_PUT);
    whi_sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, expires_at);
    return whi_sq_exec(q, st, "remember an event id");
}

/* Forget a few expired ids: as many as this call adds, and a few more, so that the table
 * shrinks back to one window's ids after a burst without a separate purge. */
static int sweep_events(sq_store *q, const events_ctx *c)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_EVENTS_SWEEP);
    sqlite3_bind_int64(st, 1, c->now);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)c->nids + 16);
    return whi_sq_exec(q, st, "forget expired event ids");
}

static int enqueue_events_fn(sq_store *q, void *ctx)
{
    events_ctx *c = ctx;
    int rc = c->nids ? sweep_events(q, c) : WH_OK;
    for (size_t i = 0; rc == WH_OK && i < c->nids; i++)
        rc = accept_event(q, c->ids[i], c->now, c->expires_at);
    return rc == WH_OK ? enqueue_fn(q, &c->batch) : rc;
}

static int sq_enqueue_events(wh_store *s, const char *const *ids, size_t nids, wh_time_ms now,
                             wh_time_ms expires_at, const wh_delivery *const *batch, size_t count)
{
    int rc = whi_event_ids_check(ids, nids);
    if (rc == WH_OK && count && !batch) rc = whi_error(WH_EINVAL, "batch must not be NULL");
    for (size_t i = 0; rc == WH_OK && i < count; i++)
        rc = whi_delivery_check(batch[i]);
    if (rc != WH_OK || (nids == 0 && count == 0)) return rc;
    events_ctx c = {ids, nids, now, expires_at, {batch, count}};
    return whi_sq_txn(sq_of(s), true, enqueue_events_fn, &c);
}

/* ---- lease ---- */

int whi_sq_lease_add(whi_sq_lease *c, sqlite3_int64 seq)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        sqlite3_int64 *v = whi_realloc(c->seqs, cap * sizeof(*v));
        if (!v) return whi_error_oom();
        c->seqs = v;
        c->cap = cap;
    }
    c->seqs[c->n++] = seq;
    return WH_OK;
}

int whi_sq_src_next(sq_store *q, whi_sq_due_src *s)
{
    int rc = whi_sq_step(q, s->st, "find due deliveries");
    s->live = rc == SQLITE_ROW;
    if (s->live) {
        s->seq = sqlite3_column_int64(s->st, 0);
        s->at = sqlite3_column_int64(s->st, 2);
    }
    return rc < 0 ? rc : WH_OK;
}

static bool src_first(const whi_sq_due_src *a, const whi_sq_due_src *b)
{
    if (!b->live) return true;
    return a->live && (a->at != b->at ? a->at < b->at : a->seq < b->seq);
}

/* Rows the scan may step over before the lease goes by subscription (see the 6 -> 7 step). */
static size_t scan_budget(const wh_lease_request *req)
{
    return req->max + 16;
}

/* Merge the pending and the expired-lease sources in due order and choose what the filter
 * allows, up to max: the order one queue keyed on due time gives (the memory store's). */
static int lease_choose(sq_store *q, whi_sq_lease *c)
{
    whi_sq_due_src src[2] = {{whi_sq_stmt(q, SQ_LEASE_SCAN), false, 0, 0},
                             {whi_sq_stmt(q, SQ_LEASE_EXPIRED), false, 0, 0}};
    int rc = WH_OK;
    for (int i = 0; i < 2; i++) {
        sqlite3_bind_int64(src[i].st, 1, c->req->now);
        if (rc == WH_OK) rc = whi_sq_src_next(q, &src[i]);
    }
    size_t skipped = 0;
    while (rc == WH_OK && c->n < c->req->max && (src[0].live || src[1].live)) {
        if (skipped >= scan_budget(c->req)) {
            rc = whi_sq_lease_by_subscription(q, c, src);
            break;
        }
        whi_sq_due_src *s = src_first(&src[0], &src[1]) ? &src[0] : &src[1];
        bool take;
        rc = whi_lease_filter_take(&c->filter, (const char *)sqlite3_column_text(s->st, 1), &take);
        if (rc == WH_OK && take) rc = whi_sq_lease_add(c, s->seq);
        skipped += !take;
        if (rc == WH_OK) rc = whi_sq_src_next(q, s);
    }
    for (int i = 0; i < 2; i++)
        sqlite3_reset(src[i].st);
    return rc;
}

/* Lease one chosen delivery and read it (into st, reset by the caller). */
static int lease_one(sq_store *q, const whi_sq_lease *c, sqlite3_int64 seq, sqlite3_stmt **st)
{
    sqlite3_stmt *take = whi_sq_stmt(q, SQ_LEASE_TAKE);
    sqlite3_bind_int64(take, 1, seq);
    sqlite3_bind_int64(take, 2, c->req->lease_until);
    int rc = whi_sq_exec(q, take, "lease a delivery");
    *st = whi_sq_stmt(q, SQ_LEASE_READ);
    sqlite3_bind_int64(*st, 1, seq);
    if (rc != WH_OK) return rc;
    int step = whi_sq_step(q, *st, "read a leased delivery");
    if (step == SQLITE_DONE)
        return whi_error(WH_EIO, "sqlite store: delivery row %lld vanished while leased",
                         (long long)seq);
    return step < 0 ? step : WH_OK;
}

/* Lease each chosen delivery and hand it to the callback, until it says stop. */
int whi_sq_lease_step(sq_store *q, void *ctx)
{
    whi_sq_lease *c = ctx;
    int rc = lease_choose(q, c);
    for (size_t i = 0; rc == WH_OK && i < c->n; i++) {
        sqlite3_stmt *st;
        rc = lease_one(q, c, c->seqs[i], &st);
        int stop = 0;
        if (rc == WH_OK) {
            wh_delivery d;
            whi_sq_row_delivery(st, &d);
            d.status = WH_DELIVERY_IN_FLIGHT; /* as the row reads through its lease */
            d.lease_until = c->req->lease_until;
            stop = c->cb(&d, c->user_data);
        }
        sqlite3_reset(st);
        if (stop) break;
    }
    return rc;
}

int whi_sq_lease_init(whi_sq_lease *l, const wh_lease_request *req, wh_store_delivery_cb cb,
                      void *user_data)
{
    *l = (whi_sq_lease){req, {WHI_HMAP_INIT, WHI_HMAP_INIT, 0}, cb, user_data, NULL, 0, 0};
    int rc = whi_lease_check(req);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    return rc == WH_OK ? whi_lease_filter_init(&l->filter, req) : rc;
}

void whi_sq_lease_free(whi_sq_lease *l)
{
    whi_lease_filter_free(&l->filter);
    whi_free(l->seqs);
    l->seqs = NULL;
}

static int sq_lease(wh_store *s, const wh_lease_request *req, wh_store_delivery_cb cb,
                    void *user_data)
{
    whi_sq_lease l;
    int rc = whi_sq_lease_init(&l, req, cb, user_data);
    if (rc == WH_OK) rc = whi_sq_txn(sq_of(s), true, whi_sq_lease_step, &l);
    whi_sq_lease_free(&l);
    return rc;
}

/* ---- release, recover, next_due ---- */

static int release_fn(sq_store *q, void *ctx)
{
    const char *id = ctx;
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_RELEASE);
    whi_sq_bind_text(st, 1, id);
    int rc = whi_sq_exec(q, st, "release a delivery");
    if (rc != WH_OK || sqlite3_changes(q->db) == 1) return rc;
    st = whi_sq_stmt(q, SQ_DEL_STATUS);
    whi_sq_bind_text(st, 1, id);
    int step = whi_sq_step(q, st, "read a delivery");
    int status = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_reset(st);
    if (step < 0) return step;
    if (status < 0) return whi_error(WH_ENOTFOUND, "no delivery with id %s", id);
    return whi_error(WH_ESTATE, "delivery %s is %s, not in_flight", id,
                     wh_delivery_status_name((wh_delivery_status)status));
}

static int sq_release(wh_store *s, const char *id)
{
    int rc = whi_store_check_id("delivery id", id);
    return rc == WH_OK ? whi_sq_txn(sq_of(s), true, release_fn, (void *)id) : rc;
}

static int recover_fn(sq_store *q, void *ctx)
{
    int rc = whi_sq_exec(q, whi_sq_stmt(q, SQ_RECOVER), "recover leases");
    *(size_t *)ctx = rc == WH_OK ? (size_t)sqlite3_changes(q->db) : 0;
    return rc;
}

static int sq_recover(wh_store *s, size_t *count)
{
    size_t n = 0;
    int rc = whi_sq_txn(sq_of(s), true, recover_fn, &n);
    if (count) *count = rc == WH_OK ? n : 0;
    return rc;
}

static int next_due_fn(sq_store *q, void *ctx)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_NEXT_DUE);
    int rc = whi_sq_step(q, st, "find the next due delivery");
    bool any = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (any) *(wh_time_ms *)ctx = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc < 0) return rc;
    return any ? WH_OK : whi_error(WH_ENOTFOUND, "no pending or in-flight delivery");
}

static int sq_next_due(wh_store *s, wh_time_ms *at)
{
    if (!at) return whi_error(WH_EINVAL, "at must not be NULL");
    return whi_sq_txn(sq_of(s), false, next_due_fn, at);
}

void whi_sq_queue_fill(wh_store *vt)
{
    vt->enqueue = sq_enqueue;
    vt->enqueue_events = sq_enqueue_events;
    vt->lease = sq_lease;
    vt->release = sq_release;
    vt->recover = sq_recover;
    vt->next_due = sq_next_due;
}
