/*
 * The PostgreSQL store's lease: many workers, in many processes, take due deliveries from one
 * queue without ever taking the same one and, through record_and_lease_global, without more
 * than a given number of one subscription in flight in the whole fleet.
 *
 * One transaction (READ COMMITTED):
 *   1. Scan due deliveries in due order with FOR UPDATE SKIP LOCKED: rows another worker is
 *      leasing at this moment are skipped, never waited for, and the rows returned stay locked
 *      by this transaction until it ends. The excluded subscriptions are left out, and, with a
 *      global limit, so are subscriptions already at it (a pre-filter on a snapshot).
 *   2. With a global limit: take a transaction-scoped advisory lock per subscription met
 *      (pg_try_advisory_xact_lock on a hash of its id; not waiting: a subscription another
 *      worker is leasing right now is skipped this time), then count, in a new statement (so a
 *      new snapshot, taken after the lock), that subscription's deliveries IN_FLIGHT with a lease
 *      not yet expired, whoever holds them. Every lease counts under the same lock and commits
 *      before releasing it, so two workers can never both see room for the same slot: the limit
 *      holds across all workers together. An expired lease does not count (its worker is
 *      presumed dead; the delivery is due again and counts once leased anew).
 *   3. Choose in due order what the limits allow (max_per_subscription counts what this call
 *      takes; the global limit adds what is in flight), up to max, scanning further windows
 *      when subscriptions at a limit filled one (bounded: at most SCAN_MAX rows per lease).
 *   4. Mark the chosen ones IN_FLIGHT until lease_until (due_at = lease_until, so an expired
 *      lease is due again for anyone) and hand them to the callback in due order; if it says
 *      stop, the ones not handed over are put back as they were.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "postgres_impl.h"
#include "alloc.h"
#include "error.h"
#include "hashmap.h"

#define SCAN_MAX 4096 /* rows a lease looks at, at most */

/* What this lease knows of a subscription. */
typedef struct lease_sub {
    bool excluded;     /* skip it: asked to, at a limit, or locked by another worker */
    bool counted;      /* in_flight was read (under its lock) */
    int64_t in_flight; /* IN_FLIGHT with unexpired leases before this lease */
    size_t taken;      /* by this lease */
    char id[];
} lease_sub;

/* A delivery chosen, with what to put back if it is not handed over. */
typedef struct chosen {
    int64_t seq, status, lease_until, due_at;
} chosen;

typedef struct lease_run {
    whi_pg_lease *l;
    whi_hmap subs; /* id -> lease_sub (owned) */
    chosen *v;
    size_t n;
    int64_t cursor_due, cursor_seq; /* the scan goes on after this row */
    size_t scanned;
} lease_run;

static lease_sub *sub_get(lease_run *r, const char *id, int *rc)
{
    size_t len = strlen(id);
    lease_sub *s = whi_hmap_get(&r->subs, id, len);
    if (s) return s;
    if (!(s = whi_calloc(1, sizeof(*s) + len + 1))) {
        *rc = whi_error_oom();
        return NULL;
    }
    memcpy(s->id, id, len + 1);
    if (whi_hmap_put(&r->subs, s->id, len, s) != WH_OK) {
        whi_free(s);
        *rc = whi_error_oom();
        return NULL;
    }
    return s;
}

static void run_free(lease_run *r)
{
    for (size_t i = 0; i < r->subs.cap; i++)
        whi_free(r->subs.slots[i].value);
    whi_hmap_free(&r->subs);
    whi_free(r->v);
}

static int run_init(lease_run *r, whi_pg_lease *l)
{
    *r = (lease_run){l, WHI_HMAP_INIT, NULL, 0, INT64_MIN, INT64_MIN, 0};
    if (!(r->v = whi_calloc(l->req->max, sizeof(chosen)))) return whi_error_oom();
    int rc = WH_OK;
    for (size_t i = 0; rc == WH_OK && i < l->req->exclude_count; i++) {
        lease_sub *s = sub_get(r, l->req->exclude[i], &rc);
        if (s) s->excluded = true;
    }
    return rc;
}

/* The excluded subscriptions as a text[] argument. */
static void exclude_arg(whi_pg_args *a, const lease_run *r)
{
    whi_pg_array arr;
    whi_pg_array_begin(a, &arr, WHI_PG_TEXT);
    for (size_t i = 0; i < r->subs.cap; i++) {
        const lease_sub *s = r->subs.slots[i].value;
        if (s && s->excluded) whi_pg_array_str(&arr, s->id);
    }
    whi_pg_array_end(a, &arr);
}

static size_t window(const wh_lease_request *req)
{
    size_t w = req->max * 2;
    return w < 32 ? 32 : w > 512 ? 512 : w;
}

static int scan(pg_store *p, pg_conn *c, lease_run *r, PGresult **res)
{
    const wh_lease_request *req = r->l->req;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_arg_i64(&a, req->now);
    whi_pg_arg_i64(&a, r->cursor_due);
    whi_pg_arg_i64(&a, r->cursor_seq);
    exclude_arg(&a, r);
    whi_pg_arg_size(&a, window(req));
    whi_pg_arg_size(&a, r->l->global_limit);
    int rc = whi_pg_run(p, c, PG_LEASE_SCAN, &a, res);
    whi_pg_args_free(&a);
    return rc;
}

/* Run statement id with a text[] of the subscriptions of rows not yet counted (and now as $1
 * for the count); subs is NULL when there are none. */
static int subs_query(pg_store *p, pg_conn *c, lease_run *r, pg_stmt_id id, const char **ids,
                      size_t n, PGresult **res)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    if (id == PG_LEASE_COUNT) whi_pg_arg_i64(&a, r->l->req->now);
    whi_pg_array arr;
    whi_pg_array_begin(&a, &arr, WHI_PG_TEXT);
    for (size_t i = 0; i < n; i++)
        whi_pg_array_str(&arr, ids[i]);
    whi_pg_array_end(&a, &arr);
    int rc = whi_pg_run(p, c, id, &a, res);
    whi_pg_args_free(&a);
    return rc;
}

/* Lock and count the subscriptions of the scanned rows met for the first time. */
static int lock_and_count(pg_store *p, pg_conn *c, lease_run *r, const PGresult *rows)
{
    int n = PQntuples(rows), rc = WH_OK;
    const char **fresh = whi_calloc((size_t)n + 1, sizeof(char *));
    if (!fresh) return whi_error_oom();
    size_t nf = 0;
    for (int i = 0; rc == WH_OK && i < n; i++) {
        lease_sub *s = sub_get(r, whi_pg_str(rows, i, 1), &rc);
        if (s && !s->excluded && !s->counted) {
            s->counted = true; /* provisionally: until the lock says otherwise */
            s->excluded = true;
            fresh[nf++] = s->id;
        }
    }
    PGresult *res = NULL;
    if (rc == WH_OK && nf) rc = subs_query(p, c, r, PG_LEASE_LOCK, fresh, nf, &res);
    /* Locked ones are open (count 0 until counted); the rest stay excluded this time. */
    for (int i = 0; rc == WH_OK && res && i < PQntuples(res); i++) {
        lease_sub *s = whi_hmap_get(&r->subs, whi_pg_str(res, i, 0), whi_pg_len(res, i, 0));
        if (s) s->excluded = false;
    }
    PQclear(res);
    res = NULL;
    if (rc == WH_OK && nf) rc = subs_query(p, c, r, PG_LEASE_COUNT, fresh, nf, &res);
    for (int i = 0; rc == WH_OK && res && i < PQntuples(res); i++) {
        lease_sub *s = whi_hmap_get(&r->subs, whi_pg_str(res, i, 0), whi_pg_len(res, i, 0));
        if (s) s->in_flight = whi_pg_i64(res, i, 1);
    }
    PQclear(res);
    whi_free(fresh);
    return rc;
}

/* Choose from the scanned rows, in due order, what the limits allow. */
static int choose(lease_run *r, const PGresult *rows)
{
    const wh_lease_request *req = r->l->req;
    int rc = WH_OK;
    for (int i = 0; i < PQntuples(rows) && r->n < req->max; i++) {
        r->cursor_due = whi_pg_i64(rows, i, 4);
        r->cursor_seq = whi_pg_i64(rows, i, 0);
        lease_sub *s = sub_get(r, whi_pg_str(rows, i, 1), &rc);
        if (!s) return rc;
        if (s->excluded) continue;
        size_t global = r->l->global_limit;
        if ((req->max_per_subscription && s->taken >= req->max_per_subscription) ||
            (global && (size_t)s->in_flight + s->taken >= global)) {
            s->excluded = true;
            continue;
        }
        s->taken++;
        r->v[r->n++] =
            (chosen){r->cursor_seq, whi_pg_i64(rows, i, 2), whi_pg_i64(rows, i, 3), r->cursor_due};
    }
    return WH_OK;
}

/* Scan windows and choose until max are chosen or nothing due is left to look at. */
static int choose_all(pg_store *p, pg_conn *c, lease_run *r)
{
    const wh_lease_request *req = r->l->req;
    for (;;) {
        PGresult *rows;
        int rc = scan(p, c, r, &rows);
        if (rc != WH_OK) return rc;
        size_t got = (size_t)PQntuples(rows);
        r->scanned += got;
        if (r->l->global_limit) rc = lock_and_count(p, c, r, rows);
        if (rc == WH_OK) rc = choose(r, rows);
        PQclear(rows);
        if (rc != WH_OK || r->n == req->max || got < window(req) || r->scanned >= SCAN_MAX)
            return rc;
    }
}

/* Put back the chosen deliveries from index from on (not handed over). */
static int undo(pg_store *p, pg_conn *c, const lease_run *r, size_t from)
{
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_array arr;
    for (int col = 0; col < 4; col++) {
        whi_pg_array_begin(&a, &arr, WHI_PG_INT8);
        for (size_t i = from; i < r->n; i++) {
            const chosen *ch = &r->v[i];
            int64_t v[4] = {ch->seq, ch->status, ch->lease_until, ch->due_at};
            whi_pg_array_i64(&arr, v[col]);
        }
        whi_pg_array_end(&a, &arr);
    }
    int rc = whi_pg_run(p, c, PG_LEASE_UNDO, &a, NULL);
    whi_pg_args_free(&a);
    return rc;
}

/* Mark the chosen ones leased and hand them over in due order. */
static int take(pg_store *p, pg_conn *c, lease_run *r)
{
    whi_pg_lease *l = r->l;
    whi_pg_args a;
    whi_pg_args_init(&a);
    whi_pg_array arr;
    whi_pg_array_begin(&a, &arr, WHI_PG_INT8);
    for (size_t i = 0; i < r->n; i++)
        whi_pg_array_i64(&arr, r->v[i].seq);
    whi_pg_array_end(&a, &arr);
    whi_pg_arg_i64(&a, l->req->lease_until);
    PGresult *res;
    int rc = whi_pg_run(p, c, PG_LEASE_TAKE, &a, &res);
    whi_pg_args_free(&a);
    if (rc != WH_OK) return rc;
    int n = PQntuples(res);
    int *row_of = whi_calloc(r->n, sizeof(int)); /* position in the chosen order -> row */
    if (!row_of) rc = whi_error_oom();
    for (size_t i = 0; row_of && i < r->n; i++)
        row_of[i] = -1;
    for (int i = 0; row_of && i < n; i++) {
        int64_t ord = whi_pg_i64(res, i, 0);
        if (ord >= 1 && (size_t)ord <= r->n) row_of[ord - 1] = i;
    }
    size_t i = 0;
    for (; rc == WH_OK && i < r->n; i++) {
        if (row_of[i] < 0) continue; /* cannot happen: the rows were locked */
        wh_delivery d;
        whi_pg_row_delivery(res, row_of[i], 1, &d);
        l->handed++;
        if (l->cb(&d, l->user_data)) {
            i++;
            break;
        }
    }
    whi_free(row_of);
    PQclear(res);
    return rc == WH_OK && i < r->n ? undo(p, c, r, i) : rc;
}

int whi_pg_lease_step(pg_store *p, pg_conn *c, void *ctx)
{
    whi_pg_lease *l = ctx;
    l->handed = 0;
    lease_run r;
    int rc = run_init(&r, l);
    if (rc == WH_OK) rc = choose_all(p, c, &r);
    if (rc == WH_OK && r.n) rc = take(p, c, &r);
    run_free(&r);
    return rc;
}

int whi_pg_lease_init(whi_pg_lease *l, const wh_lease_request *req, wh_store_delivery_cb cb,
                      void *user_data)
{
    *l = (whi_pg_lease){req, 0, cb, user_data, 0};
    int rc = whi_lease_check(req);
    if (rc == WH_OK && !cb) rc = whi_error(WH_EINVAL, "callback must not be NULL");
    return rc;
}

static int pg_lease(wh_store *s, const wh_lease_request *req, wh_store_delivery_cb cb,
                    void *user_data)
{
    whi_pg_lease l;
    int rc = whi_pg_lease_init(&l, req, cb, user_data);
    return rc == WH_OK ? whi_pg_txn(pg_of(s), WHI_PG_TXN_WRITE, whi_pg_lease_step, &l) : rc;
}

void whi_pg_lease_fill(wh_store *vt)
{
    vt->lease = pg_lease;
}
