/*
 * The PostgreSQL store's outcomes: record an attempt (one statement updates the delivery and
 * appends its attempt), batches of them, record_and_lease, replay, purge.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_impl.h"
#include "alloc.h"
#include "error.h"
#include "hashmap.h"

static void response_arg(whi_pg_args *a, const wh_attempt *at)
{
    size_t len = at->response
                     ? whi_store_cut_len(at->response, at->response_len, WH_ATTEMPT_RESPONSE_MAX)
                     : 0;
    whi_pg_arg_bytes(a, len ? at->response : NULL, len);
}

/* Update the delivery and append its attempt; *sub_id (may be NULL) gets the delivery's
 * subscription (a copy: free it). */
static int record_one(pg_store *p, pg_conn *c, const wh_attempt *at, const wh_outcome *o,
                      char **sub_id)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, at->delivery_id);
    whi_pg_arg_i64(&a, (int64_t)o->status);
    whi_pg_arg_i64(&a, o->next_attempt_at);
    whi_pg_arg_i64(&a, at->number);
    whi_pg_arg_i64(&a, at->http_status ? at->http_status : at->error_code);
    whi_pg_arg_note(&a, o->error, WH_STORE_MAX_ERROR_LEN);
    whi_pg_arg_i64(&a, at->started_at + (wh_time_ms)at->duration_ms);
    whi_pg_arg_i64(&a, at->started_at);
    whi_pg_arg_i64(&a, at->duration_ms);
    whi_pg_arg_i64(&a, at->http_status);
    whi_pg_arg_i64(&a, at->error_code);
    whi_pg_arg_note(&a, at->error, WH_STORE_MAX_ERROR_LEN);
    response_arg(&a, at);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_RECORD, &a, &r);
    whi_pg_args_free(&a);
    if (rc == WH_OK && PQntuples(r) != 1)
        rc = whi_error(WH_ENOTFOUND, "no delivery with id %s", at->delivery_id);
    if (rc == WH_OK && sub_id && !(*sub_id = whi_strdup(whi_pg_str(r, 0, 0)))) rc = whi_error_oom();
    PQclear(r);
    return rc;
}

typedef struct record_ctx {
    const wh_attempt *attempt;
    const wh_outcome *outcome;
} record_ctx;

static int record_fn(pg_store *p, pg_conn *c, void *ctx)
{
    record_ctx *rc_ = ctx;
    char *sub_id = NULL;
    int rc = record_one(p, c, rc_->attempt, rc_->outcome, rc_->outcome->stats ? &sub_id : NULL);
    if (rc == WH_OK && rc_->outcome->stats)
        rc = whi_pg_apply_stats(p, c, sub_id, rc_->outcome->stats);
    whi_free(sub_id);
    return rc;
}

/* A transaction that may disable a subscription: tell the change feed when it did. Outcomes
 * are run again after a deadlock, unless the transaction hands deliveries to a callback. */
static int outcome_txn(pg_store *p, pg_txn_fn fn, void *ctx, bool disables, bool retry)
{
    int rc = whi_pg_txn(p, WHI_PG_TXN_WRITE | (retry ? WHI_PG_TXN_RETRY : 0), fn, ctx);
    if (rc == WH_OK && disables) whi_pg_subs_changed(p);
    return rc;
}

static int pg_record(wh_store *s, const wh_attempt *attempt, const wh_outcome *outcome)
{
    int rc = whi_record_check(attempt, outcome);
    record_ctx c = {attempt, outcome};
    return rc == WH_OK ? outcome_txn(pg_of(s), record_fn, &c,
                                     outcome->stats && outcome->stats->disable, true)
                       : rc;
}

/*
 * A batch is first recorded the fast way: every outcome and attempt in one statement, then each
 * subscription's stats once, from its last item (stats carry absolute values, so the last one
 * wins; a disabling one is always applied, in order, as it writes the status too), the
 * subscriptions in id order (two workers updating the same ones never deadlock). When the fast
 * way cannot be used (a delivery twice in the batch) or an item fails, the batch is recorded
 * the exact way, a savepoint per item, which stops at the failing item and keeps those before
 * it.
 */
typedef struct batch_ctx {
    const wh_attempt *const *attempts;
    const wh_outcome *const *outcomes;
    size_t count, done;
    int item_rc; /* the error of the item that stopped the exact way */
    bool disables;
} batch_ctx;

static int batch_check(batch_ctx *b)
{
    if (b->count && (!b->attempts || !b->outcomes))
        return whi_error(WH_EINVAL, "attempts and outcomes must not be NULL");
    for (size_t i = 0; i < b->count; i++) {
        int rc = whi_record_check(b->attempts[i], b->outcomes[i]);
        if (rc != WH_OK) return rc;
        b->disables |= b->outcomes[i]->stats && b->outcomes[i]->stats->disable;
    }
    return WH_OK;
}

/* Whether the batch names a delivery twice (the fast way updates each row once). */
static bool has_repeats(const batch_ctx *b, int *rc)
{
    whi_hmap seen = WHI_HMAP_INIT;
    bool repeat = false;
    for (size_t i = 0; !repeat && i < b->count; i++) {
        const char *id = b->attempts[i]->delivery_id;
        repeat = whi_hmap_get(&seen, id, strlen(id)) != NULL;
        if (!repeat && whi_hmap_put(&seen, id, strlen(id), (void *)id) != WH_OK) {
            *rc = whi_error_oom();
            break;
        }
    }
    whi_hmap_free(&seen);
    return repeat;
}

static void many_args(whi_pg_args *a, const batch_ctx *b)
{
    whi_pg_array arr;
#define COLUMN(type, put)                                                                          \
    do {                                                                                           \
        whi_pg_array_begin(a, &arr, type);                                                         \
        for (size_t i = 0; i < b->count; i++) {                                                    \
            const wh_attempt *at = b->attempts[i];                                                 \
            const wh_outcome *o = b->outcomes[i];                                                  \
            (void)at;                                                                              \
            (void)o;                                                                               \
            put;                                                                                   \
        }                                                                                          \
        whi_pg_array_end(a, &arr);                                                                 \
    } while (0)
    COLUMN(WHI_PG_TEXT, whi_pg_array_str(&arr, at->delivery_id));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, (int64_t)o->status));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, o->next_attempt_at));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, at->number));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, at->http_status ? at->http_status : at->error_code));
    COLUMN(WHI_PG_TEXT, whi_pg_array_note(&arr, o->error, WH_STORE_MAX_ERROR_LEN));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, at->started_at + (wh_time_ms)at->duration_ms));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, at->started_at));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, at->duration_ms));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, at->http_status));
    COLUMN(WHI_PG_INT8, whi_pg_array_i64(&arr, at->error_code));
    COLUMN(WHI_PG_TEXT, whi_pg_array_note(&arr, at->error, WH_STORE_MAX_ERROR_LEN));
    COLUMN(WHI_PG_BYTEA,
           whi_pg_array_bytes(&arr, at->response_len ? at->response : NULL,
                              at->response ? whi_store_cut_len(at->response, at->response_len,
                                                               WH_ATTEMPT_RESPONSE_MAX)
                                           : 0));
#undef COLUMN
}

/* One stats update to apply: item index, and its delivery's subscription (borrowed). */
typedef struct stats_item {
    size_t index;
    const char *sub_id;
} stats_item;

static int by_sub_then_index(const void *x, const void *y)
{
    const stats_item *a = x, *b = y;
    int c = strcmp(a->sub_id, b->sub_id);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* Whether item i's stats are overwritten by a later item of the same subscription (a disabling
 * one never is: it must be applied for its status). */
static bool superseded(const batch_ctx *b, const stats_item *v, size_t n, size_t k)
{
    if (b->outcomes[v[k].index]->stats->disable) return false;
    return k + 1 < n && strcmp(v[k + 1].sub_id, v[k].sub_id) == 0;
}

/* Apply the batch's stats; subs maps a delivery id to its subscription id (from the result). */
static int apply_batch_stats(pg_store *p, pg_conn *c, const batch_ctx *b, const whi_hmap *subs)
{
    stats_item *v = whi_calloc(b->count ? b->count : 1, sizeof(*v));
    if (!v) return whi_error_oom();
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++) {
        const char *id = b->attempts[i]->delivery_id;
        const char *sub = whi_hmap_get(subs, id, strlen(id));
        if (b->outcomes[i]->stats && sub) v[n++] = (stats_item){i, sub};
    }
    qsort(v, n, sizeof(*v), by_sub_then_index);
    int rc = WH_OK;
    for (size_t k = 0; rc == WH_OK && k < n; k++)
        if (!superseded(b, v, n, k))
            rc = whi_pg_apply_stats(p, c, v[k].sub_id, b->outcomes[v[k].index]->stats);
    whi_free(v);
    return rc;
}

/* The fast way, inside the caller's transaction. WH_ENOTFOUND when some delivery is missing. */
static int batch_fast(pg_store *p, pg_conn *c, batch_ctx *b)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    many_args(&a, b);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_RECORD_MANY, &a, &r);
    whi_pg_args_free(&a);
    if (rc != WH_OK) return rc;
    whi_hmap subs = WHI_HMAP_INIT; /* keys and values borrowed from r */
    int n = PQntuples(r);
    if ((size_t)n != b->count)
        rc = whi_error(WH_ENOTFOUND, "a delivery of the batch does not exist");
    for (int i = 0; rc == WH_OK && i < n; i++)
        if (whi_hmap_put(&subs, whi_pg_str(r, i, 0), whi_pg_len(r, i, 0),
                         (void *)whi_pg_str(r, i, 1)) != WH_OK)
            rc = whi_error_oom();
    if (rc == WH_OK) rc = apply_batch_stats(p, c, b, &subs);
    whi_hmap_free(&subs);
    PQclear(r);
    if (rc == WH_OK) b->done = b->count;
    return rc;
}

static int batch_fast_fn(pg_store *p, pg_conn *c, void *ctx)
{
    return batch_fast(p, c, ctx);
}

/* The exact way: record items, each in a savepoint, until one fails; commit those before it. */
static int batch_exact_fn(pg_store *p, pg_conn *c, void *ctx)
{
    batch_ctx *b = ctx;
    b->done = 0;
    b->item_rc = WH_OK;
    for (; b->done < b->count; b->done++) {
        record_ctx item = {b->attempts[b->done], b->outcomes[b->done]};
        if ((b->item_rc = whi_pg_savepoint(p, c, record_fn, &item)) != WH_OK) break;
    }
    /* A lost connection loses the whole transaction: report it, not the item. */
    if (b->item_rc != WH_OK && (!c->conn || PQstatus(c->conn) != CONNECTION_OK)) {
        b->done = 0;
        return b->item_rc;
    }
    return WH_OK;
}

static int pg_record_batch(wh_store *s, const wh_attempt *const *attempts,
                           const wh_outcome *const *outcomes, size_t count, size_t *done)
{
    pg_store *p = pg_of(s);
    batch_ctx b = {attempts, outcomes, count, 0, WH_OK, false};
    int rc = batch_check(&b);
    bool fast = rc == WH_OK && count && !has_repeats(&b, &rc);
    if (fast) {
        rc = outcome_txn(p, batch_fast_fn, &b, b.disables, true);
        /* Anything but a lost server is found and reported item by item the exact way. */
        if (rc != WH_OK && rc != WH_EIO) {
            b.done = 0;
            rc = WH_OK;
            fast = false;
        }
    }
    if (rc == WH_OK && count && !fast) rc = outcome_txn(p, batch_exact_fn, &b, b.disables, true);
    if (rc != WH_OK) b.done = 0;
    if (done) *done = b.done;
    return rc != WH_OK ? rc : b.item_rc;
}

/* record_and_lease: the fast way of a batch, then the lease, in one transaction. */
typedef struct record_lease_ctx {
    batch_ctx batch;
    whi_pg_lease lease;
} record_lease_ctx;

static int record_lease_fn(pg_store *p, pg_conn *c, void *ctx)
{
    record_lease_ctx *rl = ctx;
    int rc = WH_OK;
    if (rl->batch.count) {
        bool repeats = has_repeats(&rl->batch, &rc);
        if (rc == WH_OK && repeats) {
            rl->batch.done = 0;
            rc = batch_exact_fn(p, c, &rl->batch);
            if (rc == WH_OK) rc = rl->batch.item_rc;
        } else if (rc == WH_OK) {
            rc = batch_fast(p, c, &rl->batch);
        }
    }
    return rc == WH_OK ? whi_pg_lease_step(p, c, &rl->lease) : rc;
}

static int record_and_lease(wh_store *s, const wh_attempt *const *attempts,
                            const wh_outcome *const *outcomes, size_t count, size_t *done,
                            const wh_lease_request *req, size_t global_limit,
                            wh_store_delivery_cb cb, void *user_data)
{
    record_lease_ctx rl = {{attempts, outcomes, count, 0, WH_OK, false}, {0}};
    int rc = batch_check(&rl.batch);
    int lrc = whi_pg_lease_init(&rl.lease, req, cb, user_data);
    rl.lease.global_limit = global_limit;
    if (rc == WH_OK) rc = lrc;
    if (rc == WH_OK) rc = outcome_txn(pg_of(s), record_lease_fn, &rl, rl.batch.disables, false);
    if (done) *done = rc == WH_OK ? count : 0;
    return rc;
}

static int pg_record_and_lease(wh_store *s, const wh_attempt *const *attempts,
                               const wh_outcome *const *outcomes, size_t count, size_t *done,
                               const wh_lease_request *req, wh_store_delivery_cb cb,
                               void *user_data)
{
    return record_and_lease(s, attempts, outcomes, count, done, req, 0, cb, user_data);
}

static int pg_record_and_lease_global(wh_store *s, const wh_attempt *const *attempts,
                                      const wh_outcome *const *outcomes, size_t count, size_t *done,
                                      const wh_lease_request *req,
                                      size_t max_in_flight_per_subscription,
                                      wh_store_delivery_cb cb, void *user_data)
{
    return record_and_lease(s, attempts, outcomes, count, done, req, max_in_flight_per_subscription,
                            cb, user_data);
}

/* ---- replay ---- */

typedef struct replay_ctx {
    const char *id;
    wh_time_ms since, now;
    size_t count;
    pg_stmt_id stmt; /* for a subscription's deliveries: PG_REPLAY_SINCE or PG_REPLAY_FAILED */
} replay_ctx;

static int replay_fn(pg_store *p, pg_conn *c, void *ctx)
{
    replay_ctx *rp = ctx;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, rp->id);
    whi_pg_arg_i64(&a, rp->now);
    whi_pg_arg_str(&a, p->schema);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_REPLAY, &a, &r);
    whi_pg_args_free(&a);
    size_t n = rc == WH_OK ? (size_t)PQntuples(r) : 0;
    PQclear(r);
    if (rc != WH_OK || n == 1) return rc;
    return whi_pg_state_error(p, c, rp->id, false);
}

static int pg_replay(wh_store *s, const char *id, wh_time_ms now)
{
    int rc = whi_store_check_id("delivery id", id);
    replay_ctx rp = {id, 0, now, 0, PG_REPLAY};
    return rc == WH_OK ? whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RESOLVE, replay_fn, &rp)
                       : rc;
}

/* Replays the subscription's deliveries rp->stmt selects (all since a time, or the failed). */
static int replay_sub_fn(pg_store *p, pg_conn *c, void *ctx)
{
    replay_ctx *rp = ctx;
    bool exists;
    int rc = whi_pg_sub_exists(p, c, rp->id, &exists);
    if (rc == WH_OK && !exists) rc = whi_error(WH_ENOTFOUND, "no subscription with id %s", rp->id);
    if (rc != WH_OK) return rc;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, rp->id);
    whi_pg_arg_i64(&a, rp->since);
    whi_pg_arg_i64(&a, rp->now);
    PGresult *r;
    rc = whi_pg_run(p, c, rp->stmt, &a, &r);
    whi_pg_args_free(&a);
    rp->count = rc == WH_OK ? whi_pg_changed(r) : 0;
    PQclear(r);
    if (rc == WH_OK && rp->count) { /* wake the other processes' hubs */
        const char *v[] = {p->schema};
        PGresult *n =
            PQexecParams(c->conn, "SELECT pg_notify('wh_queue', $1)", 1, NULL, v, NULL, NULL, 0);
        if (PQresultStatus(n) != PGRES_TUPLES_OK) rc = whi_pg_fail(p, c->conn, n, "notify");
        PQclear(n);
    }
    return rc;
}

static int replay_sub(wh_store *s, pg_stmt_id stmt, const char *sub_id, wh_time_ms since,
                      wh_time_ms now, size_t *count)
{
    if (count) *count = 0;
    int rc = whi_store_check_id("subscription id", sub_id);
    replay_ctx rp = {sub_id, since, now, 0, stmt};
    if (rc == WH_OK &&
        (rc = whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RESOLVE, replay_sub_fn, &rp)) ==
            WH_OK &&
        count)
        *count = rp.count;
    return rc;
}

static int pg_replay_since(wh_store *s, const char *sub_id, wh_time_ms since, wh_time_ms now,
                           size_t *count)
{
    return replay_sub(s, PG_REPLAY_SINCE, sub_id, since, now, count);
}

static int pg_replay_failed(wh_store *s, const char *sub_id, wh_time_ms since, wh_time_ms now,
                            size_t *count)
{
    return replay_sub(s, PG_REPLAY_FAILED, sub_id, since, now, count);
}

/* ---- a stopped subscription's queue ---- */

typedef struct unsent_ctx {
    const char *sub_id, *reason;
    wh_time_ms now;
    size_t count;
} unsent_ctx;

static int fail_unsent_fn(pg_store *p, pg_conn *c, void *ctx)
{
    unsent_ctx *u = ctx;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_str(&a, u->sub_id);
    whi_pg_arg_str(&a, u->reason);
    whi_pg_arg_i64(&a, u->now);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_FAIL_UNSENT, &a, &r);
    whi_pg_args_free(&a);
    u->count = rc == WH_OK ? whi_pg_changed(r) : 0;
    PQclear(r);
    return rc;
}

static int pg_fail_unsent(wh_store *s, const char *sub_id, const char *reason, wh_time_ms now,
                          size_t *count)
{
    if (count) *count = 0;
    int rc = whi_store_check_id("subscription id", sub_id);
    if (rc == WH_OK && !reason) rc = whi_error(WH_EINVAL, "reason must not be NULL");
    unsent_ctx u = {sub_id, reason, now, 0};
    if (rc == WH_OK &&
        (rc = whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RESOLVE, fail_unsent_fn, &u)) ==
            WH_OK &&
        count)
        *count = u.count;
    return rc;
}

/* ---- purge ---- */

typedef struct purge_ctx {
    wh_time_ms older_than;
    size_t removed;
} purge_ctx;

static int purge_one(pg_store *p, pg_conn *c, pg_stmt_id id, wh_time_ms t, size_t *n)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_i64(&a, t);
    PGresult *r;
    int rc = whi_pg_run(p, c, id, &a, &r);
    whi_pg_args_free(&a);
    if (n) *n = rc == WH_OK ? whi_pg_changed(r) : 0;
    PQclear(r);
    return rc;
}

static int purge_fn(pg_store *p, pg_conn *c, void *ctx)
{
    purge_ctx *pc = ctx;
    /* their attempts cascade */
    int rc = purge_one(p, c, PG_PURGE_DELIVERIES, pc->older_than, &pc->removed);
    if (rc == WH_OK) rc = purge_one(p, c, PG_PURGE_ATTEMPTS, pc->older_than, NULL);
    /* event ids whose window had ended by then */
    if (rc == WH_OK) rc = purge_one(p, c, PG_PURGE_EVENTS, pc->older_than, NULL);
    return rc;
}

static int pg_purge(wh_store *s, wh_time_ms older_than, size_t *removed)
{
    purge_ctx pc = {older_than, 0};
    int rc = whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RETRY, purge_fn, &pc);
    if (removed) *removed = rc == WH_OK ? pc.removed : 0;
    return rc;
}

typedef struct purge_some_ctx {
    wh_time_ms older_than;
    size_t max, removed;
} purge_some_ctx;

static int purge_some_fn(pg_store *p, pg_conn *c, void *ctx)
{
    purge_some_ctx *pc = ctx;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_i64(&a, pc->older_than);
    whi_pg_arg_i64(&a, pc->max > INT64_MAX ? INT64_MAX : (int64_t)pc->max);
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_PURGE_SOME, &a, &r); /* attempts cascade */
    whi_pg_args_free(&a);
    pc->removed = rc == WH_OK ? whi_pg_changed(r) : 0;
    PQclear(r);
    return rc;
}

static int pg_purge_some(wh_store *s, wh_time_ms older_than, size_t max, size_t *removed)
{
    purge_some_ctx pc = {older_than, max, 0};
    int rc =
        max ? whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE | WHI_PG_TXN_RETRY, purge_some_fn, &pc) : WH_OK;
    if (removed) *removed = rc == WH_OK ? pc.removed : 0;
    return rc;
}

void whi_pg_record_fill(wh_store *vt)
{
    vt->record = pg_record;
    vt->record_batch = pg_record_batch;
    vt->record_and_lease = pg_record_and_lease;
    vt->record_and_lease_global = pg_record_and_lease_global;
    vt->replay = pg_replay;
    vt->replay_since = pg_replay_since;
    vt->replay_failed = pg_replay_failed;
    vt->fail_unsent = pg_fail_unsent;
    vt->purge = pg_purge;
    vt->purge_some = pg_purge_some;
}
