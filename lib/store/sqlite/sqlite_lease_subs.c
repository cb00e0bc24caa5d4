/*
 * The second half of a lease that stepped over too many deliveries (sqlite_queue.c,
 * lease_choose). Scanning the due index in due order costs a row per queued delivery of a
 * subscription that may take no more, and one endpoint can have tens of thousands queued, so
 * past a budget the lease asks each other subscription for its own first due deliveries
 * (deliveries_due_by_subscription: a seek per subscription) and picks among those in due order.
 * What it picks is exactly what the scan would have picked, for a cost in the number of
 * subscriptions with queued deliveries instead of the number of deliveries.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_impl.h"
#include "alloc.h"
#include "error.h"

typedef struct cand {
    sqlite3_int64 seq, at;
    size_t sub; /* index into cands.subs */
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
    char **subs; /* owned copies of the subscription ids */
    size_t nsubs, capsubs;
} cands;

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return WH_OK;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *nv = whi_realloc(*v, ncap * size);
    if (!nv) return whi_error_oom();
    *v = nv;
    *cap = ncap;
    return WH_OK;
}

static int add_sub(cands *cs, const unsigned char *id)
{
    int rc = grow((void **)&cs->subs, &cs->capsubs, cs->nsubs, sizeof(*cs->subs));
    if (rc == WH_OK && !(cs->subs[cs->nsubs] = whi_strdup(id ? (const char *)id : "")))
        rc = whi_error_oom();
    if (rc == WH_OK) cs->nsubs++;
    return rc;
}

static int add_cand(cands *cs, sqlite3_int64 seq, sqlite3_int64 at)
{
    int rc = grow((void **)&cs->v, &cs->cap, cs->n, sizeof(*cs->v));
    if (rc == WH_OK) cs->v[cs->n++] = (cand){seq, at, cs->nsubs - 1};
    return rc;
}

static void cands_free(cands *cs)
{
    for (size_t i = 0; i < cs->nsubs; i++)
        whi_free(cs->subs[i]);
    whi_free(cs->subs);
    whi_free(cs->v);
}

/* The last subscription added: its first due deliveries from the pending source's row on, as
 * many as the lease could still take of it. */
static int collect_sub(sq_store *q, whi_sq_lease *c, const whi_sq_due_src *pend, cands *cs)
{
    const char *sub = cs->subs[cs->nsubs - 1];
    size_t want = c->req->max - c->n, room = whi_lease_filter_room(&c->filter, sub);
    if (room < want) want = room;
    if (want == 0) return WH_OK;
    sqlite3_stmt *st = whi_sq_stmt(q, SQ_LEASE_SUB);
    whi_sq_bind_text(st, 1, sub);
    sqlite3_bind_int64(st, 2, c->req->now);
    sqlite3_bind_int64(st, 3, pend->at);
    sqlite3_bind_int64(st, 4, pend->seq);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)want);
    int rc = WH_OK, step;
    while (rc == WH_OK &&
           (step = whi_sq_step(q, st, "find a subscription's due deliveries")) == SQLITE_ROW)
        rc = add_cand(cs, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    if (rc == WH_OK && step < 0) rc = step;
    sqlite3_reset(st);
    return rc;
}

/* Every subscription with queued deliveries, in id order, one index seek each. */
static int collect_pending(sq_store *q, whi_sq_lease *c, const whi_sq_due_src *pend, cands *cs)
{
    sqlite3_stmt *next = whi_sq_stmt(q, SQ_LEASE_NEXT_SUB);
    const char *after = "";
    int rc = WH_OK;
    for (;;) {
        whi_sq_bind_text(next, 1, after);
        int step = whi_sq_step(q, next, "find subscriptions with due deliveries");
        if (step == SQLITE_ROW) rc = add_sub(cs, sqlite3_column_text(next, 0));
        sqlite3_reset(next);
        if (step < 0) return step;
        if (step != SQLITE_ROW || rc != WH_OK) return rc;
        if ((rc = collect_sub(q, c, pend, cs)) != WH_OK) return rc;
        after = cs->subs[cs->nsubs - 1];
    }
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int whi_sq_lease_by_subscription(sq_store *q, whi_sq_lease *c, whi_sq_due_src src[2])
{
    cands cs = {0};
    int rc = src[0].live ? collect_pending(q, c, &src[0], &cs) : WH_OK;
    /* Expired leases (of crashed workers: few) are the rest of their own source. */
    while (rc == WH_OK && src[1].live) {
        rc = add_sub(&cs, sqlite3_column_text(src[1].st, 1));
        if (rc == WH_OK) rc = add_cand(&cs, src[1].seq, src[1].at);
        if (rc == WH_OK) rc = whi_sq_src_next(q, &src[1]);
    }
    if (rc == WH_OK && cs.n) qsort(cs.v, cs.n, sizeof(*cs.v), cmp_cand);
    for (size_t i = 0; rc == WH_OK && i < cs.n && c->n < c->req->max; i++) {
        bool take;
        rc = whi_lease_filter_take(&c->filter, cs.subs[cs.v[i].sub], &take);
        if (rc == WH_OK && take) rc = whi_sq_lease_add(c, cs.v[i].seq);
    }
    cands_free(&cs);
    return rc;
}
