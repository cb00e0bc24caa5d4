/*
 * The PostgreSQL store's state and helpers, shared by postgres.c (open, the connection pool,
 * errors, transactions), postgres_args.c (parameters and results), postgres_schema.c (schema,
 * migrations, statements), postgres_subs.c, postgres_queue.c, postgres_lease.c,
 * postgres_record.c, postgres_lists.c and postgres_notify.c (the change feed
 * and the wake-up descriptor).
 *
 * Connections: a pool of at most max_connections (default 4), opened when first needed; every
 * member takes one for its whole transaction and gives it back, so that many threads (the hub's,
 * the API's) work at once; a member finding them all busy waits for one (bounded). One more
 * connection, the listener, only LISTENs. A connection found broken is reopened by the next call
 * that takes it. Each connection prepares the statements it runs, once.
 *
 * Processes sharing the database are kept in step by PostgreSQL itself: row locks (leases take
 * due rows with FOR UPDATE SKIP LOCKED), transaction-scoped advisory locks (the per-subscription
 * in-flight limit, see postgres_lease.c), a session advisory lock (migrations), and
 * notifications (NOTIFY wh_queue on every enqueue, wh_subs on every subscription change), whose
 * payload is the schema of the tables so that stores in other schemas of the same database are
 * not disturbed.
 */
#ifndef WEBHOOKS_STORE_POSTGRES_IMPL_H
#define WEBHOOKS_STORE_POSTGRES_IMPL_H

#include <stdbool.h>
#include <pthread.h>

#include <libpq-fe.h>

#include "store_impl.h"
#include "subscription_impl.h"
#include "buf.h"

struct wh_postgres_options {
    size_t max_connections;
    int migrate;
};

void whi_pg_options_defaults(wh_postgres_options *o);

#define WHI_PG_MAX_CONNECTIONS 64

/* Every prepared statement (SQL in postgres_schema.c). */
typedef enum pg_stmt_id {
    PG_CHANGES_GET,
    PG_CHANGES_BUMP,
    PG_SUB_INSERT,
    PG_SUB_UPDATE,
    PG_SUB_GET,
    PG_SUB_LOCK,
    PG_SUB_EXISTS,
    PG_SUB_DELETE,
    PG_SUB_COUNT_ALL,
    PG_SUB_COUNT_OWNER,
    PG_SUB_LIST_ALL,
    PG_SUB_LIST_OWNER,
    PG_SUB_STATS,
    PG_DEL_INSERT,
    PG_DEL_GET,
    PG_DEL_STATUS,
    PG_LEASE_SCAN,
    PG_LEASE_LOCK,
    PG_LEASE_COUNT,
    PG_LEASE_TAKE,
    PG_LEASE_UNDO,
    PG_RELEASE,
    PG_RECOVER,
    PG_NEXT_DUE,
    PG_RECORD,
    PG_RECORD_MANY,
    PG_REPLAY,
    PG_REPLAY_SINCE,
    PG_REPLAY_FAILED,
    PG_FAIL_UNSENT,
    PG_DEL_COUNT_ALL,
    PG_DEL_COUNT_SUB,
    PG_DEL_LIST_ALL,
    PG_DEL_LIST_SUB,
    PG_ATT_COUNT_DEL,
    PG_ATT_COUNT_SUB,
    PG_ATT_LIST_DEL,
    PG_ATT_LIST_SUB,
    PG_PURGE_DELIVERIES,
    PG_PURGE_ATTEMPTS,
    PG_PURGE_EVENTS,
    PG_PURGE_SOME,
    PG_EVENTS_ACCEPT,
    PG_EVENTS_SWEEP,
    PG_STMT_COUNT
} pg_stmt_id;

/* One pooled connection. */
typedef struct pg_conn {
    PGconn *conn; /* NULL until first needed, or after it broke */
    bool busy;
    char sqlstate[6]; /* of the last statement that failed on it ("" after a success) */
    bool prepared[PG_STMT_COUNT];
} pg_conn;

/* The listener: the connection that LISTENs, and what it learnt (postgres_notify.c). */
typedef struct pg_listener {
    pthread_mutex_t mu;
    PGconn *conn;
    bool lost_reported;      /* the loss of the connection was reported once */
    bool subs_dirty;         /* sub_changes must read the counter again */
    uint64_t changes;        /* the counter as last read */
    wh_time_ms next_attempt; /* when to try to reconnect (monotonic ms) */
} pg_listener;

typedef struct pg_store {
    wh_store vt; /* first: the wh_store handed out is this struct */
    pthread_mutex_t mu;
    pthread_cond_t freed;
    pg_conn *conns;
    size_t nconns;
    char *conninfo; /* may hold the password: wiped when freed, never in a message */
    char *password; /* the password it holds, to scrub from messages; wiped when freed */
    char *schema;   /* the schema of our tables: the notifications' payload */
    pg_listener listen;
} pg_store;

static inline pg_store *pg_of(wh_store *s)
{
    return (pg_store *)s->data;
}

/* ---- connections and errors (postgres.c) ---- */
/* Open a connection with conninfo and the store's defaults (NULL with the error set). */
PGconn *whi_pg_connect(pg_store *p, const char *what);
/* Map a failed result (r may be NULL) to a WH_E* code and set the thread's error:
 * "postgres store: <what>: <the server's message>", the password scrubbed. A lost connection
 * gives WH_EIO saying so. */
int whi_pg_fail(pg_store *p, PGconn *conn, const PGresult *r, const char *what);
/* The SQLSTATE of a failed result ("" when none). */
const char *whi_pg_sqlstate(const PGresult *r);
/* Copy msg into out (size bytes) with the store's password replaced by "****". */
void whi_pg_scrub(const pg_store *p, const char *msg, char *out, size_t size);

/* ---- parameters and results (postgres_args.c) ---- */
#define WHI_PG_MAX_ARGS 24
typedef struct whi_pg_args {
    int n;
    const char *v[WHI_PG_MAX_ARGS];
    int len[WHI_PG_MAX_ARGS];
    int fmt[WHI_PG_MAX_ARGS];
    char num[WHI_PG_MAX_ARGS][24];
    whi_buf arrays[WHI_PG_MAX_ARGS]; /* binary arrays and texts made valid (owned) */
    int failed;                      /* WH_ENOMEM or WH_ETOOLARGE once an argument failed */
} whi_pg_args;

void whi_pg_args_init(whi_pg_args *a);
void whi_pg_args_free(whi_pg_args *a);
/* A text argument (NULL: SQL NULL), passed as is. */
void whi_pg_arg_str(whi_pg_args *a, const char *s);
/* Bytes for a bytea (or text) parameter, binary format (s NULL and len 0: SQL NULL). */
void whi_pg_arg_bytes(whi_pg_args *a, const void *s, size_t len);
void whi_pg_arg_i64(whi_pg_args *a, int64_t v);
void whi_pg_arg_size(whi_pg_args *a, size_t v); /* clamped to INT64_MAX */
/* A diagnostic text (an error message) cut to max bytes and made valid UTF-8 (invalid bytes
 * become '?'); NULL stays NULL. */
void whi_pg_arg_note(whi_pg_args *a, const char *s, size_t max);
/* LIMIT and OFFSET of a page (limit 0: no limit). */
void whi_pg_arg_page(whi_pg_args *a, size_t limit, size_t page);

/* A one-dimensional array argument in PostgreSQL's binary format, built element by element. */
typedef struct whi_pg_array {
    whi_buf *b;
    uint32_t type;
    size_t count_at; /* where the dimension's length is written */
    int32_t count;
} whi_pg_array;
#define WHI_PG_TEXT  25u
#define WHI_PG_BYTEA 17u
#define WHI_PG_INT8  20u
/* Start an array argument of element type (WHI_PG_TEXT, _BYTEA, _INT8). */
void whi_pg_array_begin(whi_pg_args *a, whi_pg_array *arr, uint32_t type);
void whi_pg_array_bytes(whi_pg_array *arr, const void *s, size_t len); /* s NULL: NULL */
void whi_pg_array_str(whi_pg_array *arr, const char *s);               /* NULL: NULL */
void whi_pg_array_note(whi_pg_array *arr, const char *s, size_t max);  /* as whi_pg_arg_note */
void whi_pg_array_i64(whi_pg_array *arr, int64_t v);
/* Finish the array (its length written). */
void whi_pg_array_end(whi_pg_args *a, whi_pg_array *arr);

/* Results come in binary format. */
int64_t whi_pg_i64(const PGresult *r, int row, int col);     /* int2/4/8; NULL gives 0 */
const char *whi_pg_str(const PGresult *r, int row, int col); /* NULL for SQL NULL */
size_t whi_pg_len(const PGresult *r, int row, int col);
bool whi_pg_null(const PGresult *r, int row, int col);
/* The number of rows a command changed (PQcmdTuples). */
size_t whi_pg_changed(const PGresult *r);

/* ---- statements and transactions (postgres.c) ---- */
/* Run statement id on c with args (NULL: none); on success *res holds the result (PQclear it;
 * res may be NULL to drop it). Prepares the statement on c first if needed. */
int whi_pg_run(pg_store *p, pg_conn *c, pg_stmt_id id, whi_pg_args *args, PGresult **res);
/* Run SQL text (simple protocol, several statements allowed) on c. */
int whi_pg_exec(pg_store *p, pg_conn *c, const char *sql, const char *what);

#define WHI_PG_TXN_READ  0x0u /* reads: REPEATABLE READ READ ONLY, so they agree */
#define WHI_PG_TXN_WRITE 0x1u /* a write transaction */
#define WHI_PG_TXN_RESOLVE                                                                         \
    0x2u                       /* a commit cut off by a lost connection is resolved: its           \
                                  outcome is asked for (pg_xact_status) once reconnected */
#define WHI_PG_TXN_RETRY  0x4u /* fn may run again after a deadlock or serialization failure */
#define WHI_PG_TXN_SINGLE 0x8u /* one read statement: no BEGIN/COMMIT around it */
typedef int (*pg_txn_fn)(pg_store *p, pg_conn *c, void *ctx);
/* Take a connection, run fn inside one transaction (committed when fn returns WH_OK, rolled
 * back otherwise), give the connection back. */
int whi_pg_txn(pg_store *p, unsigned flags, pg_txn_fn fn, void *ctx);
/* A savepoint around fn (inside a transaction): undone alone when fn fails. */
int whi_pg_savepoint(pg_store *p, pg_conn *c, pg_txn_fn fn, void *ctx);

/* ---- schema (postgres_schema.c) ---- */
#define WHI_PG_SCHEMA_VERSION 1
/* Create or upgrade the schema (under an advisory lock), or refuse a newer one. */
int whi_pg_schema_open(pg_store *p, pg_conn *c, bool migrate);
const char *whi_pg_sql(pg_stmt_id id);

/* ---- rows ---- */
/* A delivery's columns, in the order whi_pg_row_delivery reads them from column first. */
#define WHI_PG_DCOLS                                                                               \
    "d.id, d.subscription_id, d.owner_id, d.event_id, d.event_type, d.idempotency_key, "           \
    "d.method, d.url, d.headers, d.body, d.event_time, d.status, d.attempts, "                     \
    "d.next_attempt_at, d.lease_until, d.created_at, d.updated_at, d.last_status, d.last_error"
void whi_pg_row_delivery(const PGresult *r, int row, int first, wh_delivery *d);
#define WHI_PG_SCOLS "json, last_delivery_at, last_status, failure_count, failing_since"
int whi_pg_row_sub(const PGresult *r, int row, wh_subscription **out);
/* Load subscription id (WH_ENOTFOUND when absent); lock: FOR UPDATE. */
int whi_pg_sub_load(pg_store *p, pg_conn *c, const char *id, bool lock, wh_subscription **out);
int whi_pg_sub_exists(pg_store *p, pg_conn *c, const char *id, bool *exists);
/* Apply stats (and maybe a disable) to subscription id. */
int whi_pg_apply_stats(pg_store *p, pg_conn *c, const char *id, const wh_sub_stats *st);

/* ---- the queue (postgres_queue.c) ---- */
/* The checks of enqueue's arguments. */
int whi_pg_enqueue_check(const wh_delivery *const *batch, size_t count);
/* Insert a checked batch (count may be 0) inside the caller's transaction. */
int whi_pg_insert_deliveries(pg_store *p, pg_conn *c, const wh_delivery *const *batch,
                             size_t count);
/* Why delivery id could not be released (want_in_flight) or replayed: WH_ENOTFOUND, or
 * WH_ESTATE naming its status. */
int whi_pg_state_error(pg_store *p, pg_conn *c, const char *id, bool want_in_flight);

/* ---- a lease as one step of a transaction (postgres_lease.c) ---- */
typedef struct whi_pg_lease {
    const wh_lease_request *req;
    size_t global_limit; /* in flight per subscription in the whole fleet (0: none) */
    wh_store_delivery_cb cb;
    void *user_data;
    size_t handed; /* deliveries handed to cb */
} whi_pg_lease;
int whi_pg_lease_init(whi_pg_lease *l, const wh_lease_request *req, wh_store_delivery_cb cb,
                      void *user_data);
/* Lease inside the caller's write transaction (a pg_txn_fn; ctx is the whi_pg_lease). */
int whi_pg_lease_step(pg_store *p, pg_conn *c, void *ctx);

/* ---- the change feed (postgres_notify.c) ---- */
int whi_pg_listen_init(pg_store *p);
void whi_pg_listen_free(pg_store *p);
/* This process changed a subscription: the next sub_changes reads the counter. */
void whi_pg_subs_changed(pg_store *p);

/* ---- vtable parts ---- */
void whi_pg_subs_fill(wh_store *vt);
void whi_pg_queue_fill(wh_store *vt);
void whi_pg_lease_fill(wh_store *vt);
void whi_pg_record_fill(wh_store *vt);
void whi_pg_lists_fill(wh_store *vt);
void whi_pg_notify_fill(wh_store *vt);
void whi_pg_events_fill(wh_store *vt);

#endif
