/*
 * The PostgreSQL store's change feed and wake-up: a connection of its own LISTENs on wh_subs
 * (a subscription changed, sent by the transaction that bumps the change counter) and wh_queue
 * (a delivery was enqueued or made due again), both sent at commit by whichever process made
 * the change, with the schema of the tables as payload (a store in another schema of the same
 * database ignores them).
 *
 * sub_changes: the counter as last read, read again (one indexed row) only after a wh_subs
 * notification, a change made through this store, or a lost listener; so the common call costs a
 * non-blocking read of the listener's socket, and the whole table is never polled. Another
 * process's change is seen as soon as its notification arrives (milliseconds), and at worst at
 * the next call after that.
 *
 * notify_fd / notify_drain (the port's version 4): the listener's socket, which the hub polls
 * while it sleeps, so that a delivery enqueued by another process wakes it at once. When the
 * listener's connection is lost, notify_fd is -1 and notify_drain reconnects (at most once a
 * second); after a reconnection the counter is read again, since notifications sent meanwhile
 * were lost.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "postgres_impl.h"
#include "error.h"

#define RECONNECT_EVERY_MS 1000

static wh_time_ms mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (wh_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop_listener(pg_listener *l)
{
    PQfinish(l->conn);
    l->conn = NULL;
    l->subs_dirty = true; /* notifications may be lost until it is back */
}

/* Open the listener and LISTEN (lock held). */
static int listen_connect(pg_store *p)
{
    pg_listener *l = &p->listen;
    l->next_attempt = mono_ms() + RECONNECT_EVERY_MS;
    PGconn *c = whi_pg_connect(p, "listen for changes");
    if (!c) return wh_error_last()->code;
    PGresult *r = PQexec(c, "LISTEN wh_subs; LISTEN wh_queue");
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? WH_OK : whi_pg_fail(p, c, r, "listen");
    PQclear(r);
    if (rc == WH_OK && PQsetnonblocking(c, 1) != 0)
        rc = whi_pg_fail(p, c, NULL, "listen without blocking");
    if (rc != WH_OK) {
        PQfinish(c);
        return rc;
    }
    l->conn = c;
    l->lost_reported = false;
    l->subs_dirty = true; /* what happened while it was away is read once */
    return WH_OK;
}

/* Read what arrived (lock held): note a subscription change of our schema. */
static int consume(pg_store *p)
{
    pg_listener *l = &p->listen;
    if (!l->conn) {
        if (mono_ms() < l->next_attempt) return WH_OK;
        int rc = listen_connect(p);
        if (rc != WH_OK) {
            bool first = !l->lost_reported;
            l->lost_reported = true;
            return first ? rc : WH_OK; /* said once, not at every round */
        }
    }
    if (!PQconsumeInput(l->conn)) {
        int rc = whi_pg_fail(p, l->conn, NULL, "listen for changes");
        drop_listener(l);
        l->next_attempt = mono_ms(); /* try again at once, once */
        return rc;
    }
    PGnotify *n;
    while ((n = PQnotifies(l->conn))) {
        if (strcmp(n->relname, "wh_subs") == 0 && n->extra && strcmp(n->extra, p->schema) == 0)
            l->subs_dirty = true;
        PQfreemem(n);
    }
    return WH_OK;
}

int whi_pg_listen_init(pg_store *p)
{
    pthread_mutex_lock(&p->listen.mu);
    int rc = listen_connect(p);
    pthread_mutex_unlock(&p->listen.mu);
    return rc;
}

void whi_pg_listen_free(pg_store *p)
{
    PQfinish(p->listen.conn);
    p->listen.conn = NULL;
    pthread_mutex_destroy(&p->listen.mu);
}

void whi_pg_subs_changed(pg_store *p)
{
    pthread_mutex_lock(&p->listen.mu);
    p->listen.subs_dirty = true;
    pthread_mutex_unlock(&p->listen.mu);
}

static int read_counter(pg_store *p, pg_conn *c, void *ctx)
{
    PGresult *r;
    int rc = whi_pg_run(p, c, PG_CHANGES_GET, NULL, &r);
    if (rc == WH_OK && PQntuples(r) == 1) *(uint64_t *)ctx = (uint64_t)whi_pg_i64(r, 0, 0);
    PQclear(r);
    return rc;
}

static uint64_t pg_sub_changes(wh_store *s)
{
    pg_store *p = pg_of(s);
    pg_listener *l = &p->listen;
    pthread_mutex_lock(&l->mu);
    consume(p);
    if (l->subs_dirty || !l->conn) {
        /* Cleared first: a notification arriving during the read makes the next call read. */
        l->subs_dirty = false;
        uint64_t v = l->changes;
        if (whi_pg_txn(p, WHI_PG_TXN_SINGLE, read_counter, &v) == WH_OK)
            l->changes = v;
        else
            l->subs_dirty = true; /* the server is away: the last value read stands */
    }
    uint64_t v = l->changes;
    pthread_mutex_unlock(&l->mu);
    return v;
}

static int pg_notify_fd(wh_store *s)
{
    pg_listener *l = &pg_of(s)->listen;
    pthread_mutex_lock(&l->mu);
    int fd = l->conn ? PQsocket(l->conn) : -1;
    pthread_mutex_unlock(&l->mu);
    return fd;
}

static int pg_notify_drain(wh_store *s)
{
    pg_store *p = pg_of(s);
    pthread_mutex_lock(&p->listen.mu);
    int rc = consume(p);
    pthread_mutex_unlock(&p->listen.mu);
    return rc;
}

void whi_pg_notify_fill(wh_store *vt)
{
    vt->sub_changes = pg_sub_changes;
    vt->notify_fd = pg_notify_fd;
    vt->notify_drain = pg_notify_drain;
}
