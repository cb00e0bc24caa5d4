/* The SQLite store's outcomes: record an attempt, replay, purge. */
#include <stdbool.h>
#include <string.h>

#include "sqlite_impl.h"
#include "alloc.h"
#include "error.h"

/* The status (IN_FLIGHT while leased) and subscription id (a copy, in *sub_id, may be NULL)
 * of a delivery. */
static int delivery_status(sq_store *q, const char *id, int *status, char **sub_id)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_DEL_STATUS);
    whi_sq_bind_text(st, 1, id);
    int rc = whi_sq_step(q, st, "read a delivery");
    if (rc == SQLITE_ROW) {
        *status = sqlite3_column_int(st, 0);
        if (sub_id && !(*sub_id = whi_strdup((const char *)sqlite3_column_text(st, 1))))
            rc = whi_error_oom();
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return whi_error(WH_ENOTFOUND, "no delivery with id %s", id);
    return rc < 0 ? rc : WH_OK;
}

static void bind_error_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, (int)whi_store_cut_len(s, strlen(s), WH_STORE_MAX_ERROR_LEN),
                          SQLITE_STATIC);
}

static int insert_attempt(sq_store *q, const wh_attempt *a, const char *sub_id)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_ATT_INSERT);
    whi_sq_bind_text(st, 1, a->delivery_id);
    whi_sq_bind_text(st, 2, sub_id);
    sqlite3_bind_int64(st, 3, a->number);
    sqlite3_bind_int64(st, 4, a->started_at);
    sqlite3_bind_int64(st, 5, a->duration_ms);
    sqlite3_bind_int(st, 6, a->http_status);
    sqlite3_bind_int(st, 7, a->error_code);
    bind_error_text(st, 8, a->error);
    size_t len =
        a->response ? whi_store_cut_len(a->response, a->response_len, WH_ATTEMPT_RESPONSE_MAX) : 0;
    if (len) sqlite3_bind_blob(st, 9, a->response, (int)len, SQLITE_STATIC);
    return whi_sq_exec(q, st, "append an attempt");
}

/*
 * Update the delivery with its outcome; when sub_id is not NULL, only if the delivery belongs to
 * that subscription. *changed: whether it did. No RETURNING here: SQLite runs a statement with
 * RETURNING like one with a trigger, under a statement journal whose buffer (~150 KiB) it
 * allocates and frees each time, which cost two brk calls per delivery.
 */
static int update_delivery(sq_store *q, const wh_attempt *a, const wh_outcome *o,
                           const char *sub_id, bool *changed)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_DEL_RECORD);
    whi_sq_bind_text(st, 1, a->delivery_id);
    sqlite3_bind_int(st, 2, (int)o->status);
    sqlite3_bind_int64(st, 3, o->next_attempt_at);
    sqlite3_bind_int64(st, 4, a->number);
    sqlite3_bind_int(st, 5, a->http_status ? a->http_status : a->error_code);
    bind_error_text(st, 6, o->error);
    sqlite3_bind_int64(st, 7, a->started_at + (wh_time_ms)a->duration_ms);
    whi_sq_bind_text(st, 8, sub_id); /* NULL: any subscription */
    int rc = whi_sq_exec(q, st, "record an outcome");
    *changed = rc == WH_OK && sqlite3_changes(q->db) == 1;
    return rc;
}

/* The delivery's lease, if any, ends with its outcome. */
static int end_lease(sq_store *q, const char *delivery_id)
{
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_RELEASE);
    whi_sq_bind_text(st, 1, delivery_id);
    return whi_sq_exec(q, st, "end a lease");
}

/*
 * One outcome: the delivery, its attempt and (when stats_too) the subscription's stats. The
 * subscription id is handed back in *sub_id (the caller frees it). The hub names the delivery's
 * subscription in the attempt: the update checks it and saves reading the delivery first; an
 * attempt without one, or naming another, takes the longer way.
 */
static int record_one(sq_store *q, const wh_attempt *a, const wh_outcome *o, bool stats_too,
                      char **sub_id)
{
    *sub_id = NULL;
    bool changed = false;
    int rc = a->subscription_id ? update_delivery(q, a, o, a->subscription_id, &changed) : WH_OK;
    if (rc == WH_OK && changed) {
        if (!(*sub_id = whi_strdup(a->subscription_id))) rc = whi_error_oom();
    } else if (rc == WH_OK) {
        int status;
        rc = delivery_status(q, a->delivery_id, &status, sub_id);
        if (rc == WH_OK) rc = update_delivery(q, a, o, NULL, &changed);
    }
    if (rc == WH_OK) rc = insert_attempt(q, a, *sub_id);
    if (rc == WH_OK) rc = end_lease(q, a->delivery_id);
    if (rc == WH_OK && stats_too && o->stats) rc = whi_sq_apply_stats(q, *sub_id, o->stats);
    return rc;
}

typedef struct record_ctx {
    const wh_attempt *attempt;
    const wh_outcome *outcome;
} record_ctx;

static int record_fn(sq_store *q, void *ctx)
{
    record_ctx *c = ctx;
    char *sub_id;
    int rc = record_one(q, c->attempt, c->outcome, true, &sub_id);
    whi_free(sub_id);
    return rc;
}

static int sq_record(wh_store *s, const wh_attempt *attempt, const wh_outcome *outcome)
{
    int rc = whi_record_check(attempt, outcome);
    record_ctx c = {attempt, outcome};
    return rc == WH_OK ? whi_sq_txn(sq_of(s), true, record_fn, &c) : rc;
}

/*
 * A batch is first recorded the fast way: every item in one transaction without savepoints,
 * each subscription's stats written once, from its last item (stats carry absolute values, so
 * the last one wins; a disabling one is always applied, in order, as it writes the status
 * too). When any item fails, that transaction is rolled back and the batch is recorded again
 * the exact way, one savepoint per item, which stops at the failing item and keeps those
 * before it.
 */
typedef struct batch_ctx {
    const wh_attempt *const *attempts;
    const wh_outcome *const *outcomes;
    size_t count, done;
    int item_rc;    /* the error of the item that stopped the batch */
    char **sub_ids; /* fast way: each item's subscription id */
} batch_ctx;

/* Whether item i's stats are overwritten by a later item of the same subscription. The search
 * is quadratic, so in a batch of more than 256 items every item's stats are applied (the same
 * result, only slower; the hub's batches are at most its in-flight limit, 64 by default). */
static bool stats_superseded(const batch_ctx *c, size_t i)
{
    if (c->outcomes[i]->stats->disable || c->count > 256) return false;
    for (size_t j = i + 1; j < c->count; j++)
        if (c->outcomes[j]->stats && strcmp(c->sub_ids[j], c->sub_ids[i]) == 0) return true;
    return false;
}

static int batch_fast_fn(sq_store *q, void *ctx)
{
    batch_ctx *c = ctx;
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < c->count; i++)
        rc = record_one(q, c->attempts[i], c->outcomes[i], false, &c->sub_ids[i]);
    for (size_t i = 0; rc == WH_OK && i < c->count; i++)
        if (c->outcomes[i]->stats && !stats_superseded(c, i))
            rc = whi_sq_apply_stats(q, c->sub_ids[i], c->outcomes[i]->stats);
    if (rc == WH_OK) c->done = c->count;
    return rc;
}

/* Check every item and make room for their subscription ids (batch_release frees it). */
static int batch_prepare(batch_ctx *c)
{
    for (size_t i = 0; i < c->count; i++) {
        int rc = whi_record_check(c->attempts[i], c->outcomes[i]);
        if (rc != WH_OK) return rc;
    }
    if (c->count && !(c->sub_ids = whi_calloc(c->count, sizeof(char *)))) return whi_error_oom();
    return WH_OK;
}

static void batch_release(batch_ctx *c)
{
    for (size_t i = 0; c->sub_ids && i < c->count; i++)
        whi_free(c->sub_ids[i]);
    whi_free(c->sub_ids);
    c->sub_ids = NULL;
}

static int batch_fast(sq_store *q, batch_ctx *c)
{
    int rc = batch_prepare(c);
    if (rc == WH_OK) rc = whi_sq_txn(q, true, batch_fast_fn, c);
    batch_release(c);
    return rc;
}

/* One item inside a savepoint, so a failing item is undone alone. */
static int batch_item(sq_store *q, const wh_attempt *a, const wh_outcome *o)
{
    int rc = whi_record_check(a, o);
    if (rc == WH_OK) rc = whi_sq_exec(q, whi_sq_stmt(q, SQ_SAVEPOINT), "record a batch");
    if (rc != WH_OK) return rc;
    record_ctx c = {a, o};
    rc = record_fn(q, &c);
    if (rc != WH_OK && !sqlite3_get_autocommit(q->db))
        whi_sq_exec(q, whi_sq_stmt(q, SQ_SAVEPOINT_ROLLBACK), "undo an item");
    if (!sqlite3_get_autocommit(q->db))
        whi_sq_exec(q, whi_sq_stmt(q, SQ_SAVEPOINT_RELEASE), "end an item");
    return rc;
}

/* The exact way: record items until one fails, then commit those before it. */
static int batch_fn(sq_store *q, void *ctx)
{
    batch_ctx *c = ctx;
    for (; c->done < c->count; c->done++)
        if ((c->item_rc = batch_item(q, c->attempts[c->done], c->outcomes[c->done])) != WH_OK)
            break;
    if (c->item_rc != WH_OK && sqlite3_get_autocommit(q->db)) {
        c->done = 0; /* SQLite rolled the whole transaction back (a full disk, an I/O error) */
        return c->item_rc;
    }
    return WH_OK;
}

static int sq_record_batch(wh_store *s, const wh_attempt *const *attempts,
                           const wh_outcome *const *outcomes, size_t count, size_t *done)
{
    batch_ctx c = {attempts, outcomes, count, 0, WH_OK, NULL};
    int rc = count && (!attempts || !outcomes)
                 ? whi_error(WH_EINVAL, "attempts and outcomes must not be NULL")
                 : WH_OK;
    if (rc == WH_OK && count && batch_fast(sq_of(s), &c) != WH_OK) {
        c.done = 0;
        rc = whi_sq_txn(sq_of(s), true, batch_fn, &c);
    }
    if (rc != WH_OK) c.done = 0;
    if (done) *done = c.done;
    return rc != WH_OK ? rc : c.item_rc;
}

/* record_and_lease: the fast way of a batch, then the lease, in one transaction. */
typedef struct record_lease_ctx {
    batch_ctx batch;
    whi_sq_lease lease;
} record_lease_ctx;

static int record_lease_fn(sq_store *q, void *ctx)
{
    record_lease_ctx *c = ctx;
    int rc = c->batch.count ? batch_fast_fn(q, &c->batch) : WH_OK;
    return rc == WH_OK ? whi_sq_lease_step(q, &c->lease) : rc;
}

static int sq_record_and_lease(wh_store *s, const wh_attempt *const *attempts,
                               const wh_outcome *const *outcomes, size_t count, size_t *done,
                               const wh_lease_request *req, wh_store_delivery_cb cb,
                               void *user_data)
{
    record_lease_ctx c = {{attempts, outcomes, count, 0, WH_OK, NULL}, {0}};
    int rc = count && (!attempts || !outcomes)
                 ? whi_error(WH_EINVAL, "attempts and outcomes must not be NULL")
                 : WH_OK;
    if (rc == WH_OK) rc = batch_prepare(&c.batch);
    int lrc = whi_sq_lease_init(&c.lease, req, cb, user_data);
    if (rc == WH_OK) rc = lrc;
    if (rc == WH_OK) rc = whi_sq_txn(sq_of(s), true, record_lease_fn, &c);
    batch_release(&c.batch);
    whi_sq_lease_free(&c.lease);
    if (done) *done = rc == WH_OK ? count : 0;
    return rc;
}

typedef struct replay_ctx {
    const char *id;
    wh_time_ms since, now;
    size_t count;
    int stmt; /* for a subscription's deliveries: SQ_REPLAY_SINCE or SQ_REPLAY_FAILED */
} replay_ctx;

static int replay_fn(sq_store *q, void *ctx)
{
    replay_ctx *c = ctx;
    int status = -1;
    int rc = delivery_status(q, c->id, &status, NULL);
    if (rc == WH_OK && status == WH_DELIVERY_IN_FLIGHT)
        rc = whi_error(WH_ESTATE, "delivery %s is in flight; replay it once it is done", c->id);
    if (rc != WH_OK) return rc;
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_REPLAY);
    whi_sq_bind_text(st, 1, c->id);
    sqlite3_bind_int64(st, 2, c->now);
    return whi_sq_exec(q, st, "replay a delivery");
}

static int sq_replay(wh_store *s, const char *id, wh_time_ms now)
{
    int rc = whi_store_check_id("delivery id", id);
    replay_ctx c = {id, 0, now, 0, SQ_REPLAY};
    return rc == WH_OK ? whi_sq_txn(sq_of(s), true, replay_fn, &c) : rc;
}

/* Replays the subscription's deliveries that c->stmt selects (all since a time, or failed). */
static int replay_sub_fn(sq_store *q, void *ctx)
{
    replay_ctx *c = ctx;
    bool exists;
    int rc = whi_sq_sub_exists(q, c->id, &exists);
    if (rc == WH_OK && !exists) rc = whi_error(WH_ENOTFOUND, "no subscription with id %s", c->id);
    if (rc != WH_OK) return rc;
    sqlite3_stmt *st = whi_sq_stmt(q, c->stmt);
    whi_sq_bind_text(st, 1, c->id);
    sqlite3_bind_int64(st, 2, c->since);
    sqlite3_bind_int64(st, 3, c->now);
    rc = whi_sq_exec(q, st, "replay deliveries");
    c->count = rc == WH_OK ? (size_t)sqlite3_changes(q->db) : 0;
    return rc;
}

static int replay_sub(wh_store *s, int stmt, const char *sub_id, wh_time_ms since, wh_time_ms now,
                      size_t *count)
{
    if (count) *count = 0;
    int rc = whi_store_check_id("subscription id", sub_id);
    replay_ctx c = {sub_id, since, now, 0, stmt};
    if (rc == WH_OK && (rc = whi_sq_txn(sq_of(s), true, replay_sub_fn, &c)) == WH_OK && count)
        *count = c.count;
    return rc;
}

static int sq_replay_since(wh_store *s, const char *sub_id, wh_time_ms since, wh_time_ms now,
                           size_t *count)
{
    return replay_sub(s, SQ_REPLAY_SINCE, sub_id, since, now, count);
}

typedef struct unsent_ctx {
    const char *sub_id, *reason;
    wh_time_ms now;
    size_t count;
} unsent_ctx;

static int fail_unsent_fn(sq_store *q, void *ctx)
{
    unsent_ctx *c = ctx;
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_FAIL_UNSENT_LEASES);
    whi_sq_bind_text(st, 1, c->sub_id);
    int rc = whi_sq_exec(q, st, "end the leases of a subscription's deliveries");
    if (rc != WH_OK) return rc;
    st = whi_sq_stmt(q, SQ_FAIL_UNSENT);
    whi_sq_bind_text(st, 1, c->sub_id);
    whi_sq_bind_text(st, 2, c->reason);
    sqlite3_bind_int64(st, 3, c->now);
    rc = whi_sq_exec(q, st, "fail a subscription's unsent deliveries");
    c->count = rc == WH_OK ? (size_t)sqlite3_changes(q->db) : 0;
    return rc;
}

static int sq_fail_unsent(wh_store *s, const char *sub_id, const char *reason, wh_time_ms now,
                          size_t *count)
{
    if (count) *count = 0;
    int rc = whi_store_check_id("subscription id", sub_id);
    if (rc == WH_OK && !reason) rc = whi_error(WH_EINVAL, "reason must not be NULL");
    unsent_ctx c = {sub_id, reason, now, 0};
    if (rc == WH_OK && (rc = whi_sq_txn(sq_of(s), true, fail_unsent_fn, &c)) == WH_OK && count)
        *count = c.count;
    return rc;
}

static int sq_replay_failed(wh_store *s, const char *sub_id, wh_time_ms since, wh_time_ms now,
                            size_t *count)
{
    return replay_sub(s, SQ_REPLAY_FAILED, sub_id, since, now, count);
}

typedef struct purge_ctx {
    wh_time_ms older_than;
    size_t removed;
} purge_ctx;

static int purge_fn(sq_store *q, void *ctx)
{
    purge_ctx *c = ctx;
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_PURGE_DELIVERIES); /* their attempts cascade */
    sqlite3_bind_int64(st, 1, c->older_than);
    int rc = whi_sq_exec(q, st, "purge deliveries");
    c->removed = rc == WH_OK ? (size_t)sqlite3_changes(q->db) : 0;
    if (rc != WH_OK) return rc;
    st = whi_sq_stmt(q, SQ_PURGE_ATTEMPTS);
    sqlite3_bind_int64(st, 1, c->older_than);
    if ((rc = whi_sq_exec(q, st, "purge attempts")) != WH_OK) return rc;
    st = whi_sq_stmt(q, SQ_PURGE_EVENTS); /* event ids whose window had ended by then */
    sqlite3_bind_int64(st, 1, c->older_than);
    return whi_sq_exec(q, st, "forget event ids");
}

static int sq_purge(wh_store *s, wh_time_ms older_than, size_t *removed)
{
    purge_ctx c = {older_than, 0};
    int rc = whi_sq_txn(sq_of(s), true, purge_fn, &c);
    if (removed) *removed = rc == WH_OK ? c.removed : 0;
    return rc;
}

typedef struct purge_some_ctx {
    wh_time_ms older_than;
    size_t max, removed;
} purge_some_ctx;

static int purge_some_fn(sq_store *q, void *ctx)
{
    purge_some_ctx *c = ctx;
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_PURGE_SOME);
    sqlite3_bind_int64(st, 1, c->older_than);
    sqlite3_bind_int64(st, 2, c->max > INT64_MAX ? INT64_MAX : (sqlite3_int64)c->max);
    int rc = whi_sq_exec(q, st, "purge deliveries");
    c->removed = rc == WH_OK ? (size_t)sqlite3_changes(q->db) : 0;
    return rc;
}

static int sq_purge_some(wh_store *s, wh_time_ms older_than, size_t max, size_t *removed)
{
    purge_some_ctx c = {older_than, max, 0};
    int rc = max ? whi_sq_txn(sq_of(s), true, purge_some_fn, &c) : WH_OK;
    if (removed) *removed = rc == WH_OK ? c.removed : 0;
    return rc;
}

void whi_sq_record_fill(wh_store *vt)
{
    vt->record = sq_record;
    vt->record_batch = sq_record_batch;
    vt->record_and_lease = sq_record_and_lease;
    vt->replay = sq_replay;
    vt->replay_since = sq_replay_since;
    vt->fail_unsent = sq_fail_unsent;
    vt->replay_failed = sq_replay_failed;
    vt->purge = sq_purge;
    vt->purge_some = sq_purge_some;
}
