/*
 * The SQLite store's state and helpers, shared by sqlite.c (open, errors, transactions),
 * sqlite_schema.c (schema, migrations, statements), sqlite_subs.c, sqlite_queue.c,
 * sqlite_record.c and sqlite_lists.c.
 *
 * Threading: one connection per store, opened in SQLite's multi-thread mode, and one mutex
 * held for the whole of every member (each member is one transaction). Other processes sharing
 * the file are kept in step by SQLite's file locks and the busy timeout.
 */
#ifndef WEBHOOKS_STORE_SQLITE_IMPL_H
#define WEBHOOKS_STORE_SQLITE_IMPL_H

#include <stdbool.h>
#include <pthread.h>

#include <sqlite3.h>

#include "store_impl.h"
#include "subscription_impl.h"

/* The options object of webhooks/store.h. */
struct wh_sqlite_options {
    int busy_timeout_ms;
    wh_sqlite_sync synchronous;
    uint32_t max_page_count;
    int read_only;
};

void whi_sq_options_defaults(wh_sqlite_options *o);

/* Every statement, prepared once at open (SQL in sqlite_schema.c). */
typedef enum sq_stmt_id {
    SQ_BEGIN_WRITE,
    SQ_BEGIN_READ,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_SAVEPOINT,
    SQ_SAVEPOINT_RELEASE,
    SQ_SAVEPOINT_ROLLBACK,
    SQ_CHANGES_GET,
    SQ_CHANGES_BUMP,
    SQ_SUB_INSERT,
    SQ_SUB_UPDATE,
    SQ_SUB_GET,
    SQ_SUB_EXISTS,
    SQ_SUB_DELETE,
    SQ_SUB_COUNT_ALL,
    SQ_SUB_COUNT_OWNER,
    SQ_SUB_LIST_ALL,
    SQ_SUB_LIST_OWNER,
    SQ_SUB_STATS,
    SQ_DEL_INSERT,
    SQ_PAYLOAD_INSERT,
    SQ_DEL_GET,
    SQ_DEL_STATUS,
    SQ_LEASE_SCAN,
    SQ_LEASE_NEXT_SUB,
    SQ_LEASE_SUB,
    SQ_LEASE_TAKE,
    SQ_LEASE_EXPIRED,
    SQ_LEASE_READ,
    SQ_RELEASE,
    SQ_RECOVER,
    SQ_NEXT_DUE,
    SQ_DEL_RECORD,
    SQ_ATT_INSERT,
    SQ_REPLAY,
    SQ_REPLAY_SINCE,
    SQ_FAIL_UNSENT_LEASES,
    SQ_FAIL_UNSENT,
    SQ_REPLAY_FAILED,
    SQ_DEL_COUNT_ALL,
    SQ_DEL_COUNT_SUB,
    SQ_DEL_LIST_ALL,
    SQ_DEL_LIST_SUB,
    SQ_ATT_COUNT_DEL,
    SQ_ATT_COUNT_SUB,
    SQ_ATT_LIST_DEL,
    SQ_ATT_LIST_SUB,
    SQ_PURGE_DELIVERIES,
    SQ_PURGE_ATTEMPTS,
    SQ_PURGE_SOME,
    SQ_EVENT_GET,
    SQ_EVENT_PUT,
    SQ_PURGE_EVENTS,
    SQ_EVENTS_SWEEP,
    SQ_STMT_COUNT
} sq_stmt_id;

typedef struct sq_store {
    wh_store vt; /* first: the wh_store handed out is this struct */
    pthread_mutex_t mu;
    sqlite3 *db;
    sqlite3_stmt *st[SQ_STMT_COUNT];
    bool read_only;
    uint64_t last_changes; /* the last sub_changes value read, returned if a read fails */
} sq_store;

static inline sq_store *sq_of(wh_store *s)
{
    return (sq_store *)s->data;
}

/* ---- errors and statements (sqlite.c) ---- */
/* Map a SQLite result code to a WH_E* code and set the thread's error with SQLite's message. */
int whi_sq_fail(sq_store *q, int rc, const char *what);
/* The statement, reset and with its bindings cleared. */
sqlite3_stmt *whi_sq_stmt(sq_store *q, sq_stmt_id id);
/* Step st: SQLITE_ROW or SQLITE_DONE, or a negative WH_E* code (error set, st reset). */
int whi_sq_step(sq_store *q, sqlite3_stmt *st, const char *what);
/* Run a statement that returns no rows. */
int whi_sq_exec(sq_store *q, sqlite3_stmt *st, const char *what);
/* The single integer of a one-row query (0 when the row is NULL). */
int whi_sq_int(sq_store *q, sqlite3_stmt *st, const char *what, int64_t *out);
void whi_sq_bind_text(sqlite3_stmt *st, int i, const char *s);
void whi_sq_bind_size(sqlite3_stmt *st, int i, size_t n); /* clamped to INT64_MAX */
/* Bind LIMIT and OFFSET for paging (limit 0: all). */
void whi_sq_bind_page(sqlite3_stmt *st, int i_limit, size_t limit, size_t page);

/* Run fn inside one transaction with the store locked: a write transaction (BEGIN IMMEDIATE)
 * when write, else a read one. Commits when fn returns WH_OK, rolls back otherwise. */
typedef int (*sq_txn_fn)(sq_store *q, void *ctx);
int whi_sq_txn(sq_store *q, bool write, sq_txn_fn fn, void *ctx);

/* ---- schema (sqlite_schema.c) ---- */
#define WHI_SQ_SCHEMA_VERSION 8
#define WHI_SQ_APPLICATION_ID 0x57484B53 /* "WHKS": marks the file as ours */
/* Check the file's schema version and create or upgrade it (not when read-only). */
int whi_sq_schema_open(sq_store *q);
int whi_sq_prepare_all(sq_store *q);

/* ---- rows ---- */
/* A delivery's columns, from `deliveries d` and `payloads p` (its url, headers and body): fill d
 * with borrowed pointers to the current row of a statement selecting WHI_SQ_DCOLS. */
#define WHI_SQ_DCOLS_WITH(status, lease)                                                           \
    "d.id, d.subscription_id, d.owner_id, d.event_id, d.event_type, d.idempotency_key, "           \
    "d.method, p.url, p.headers, p.body, d.event_time, " status ", d.attempts, "                   \
    "d.next_attempt_at, " lease ", d.created_at, d.updated_at, d.last_status, d.last_error"
#define WHI_SQ_DCOLS WHI_SQ_DCOLS_WITH("d.status", "d.lease_until")
/* The same columns of `deliveries d LEFT JOIN leases l`: status and lease_until as leased. */
#define WHI_SQ_DSTATUS      "(CASE WHEN l.seq IS NULL THEN d.status ELSE 1 END)"
#define WHI_SQ_DCOLS_LEASED WHI_SQ_DCOLS_WITH(WHI_SQ_DSTATUS, "coalesce(l.until, 0)")
void whi_sq_row_delivery(sqlite3_stmt *st, wh_delivery *d);
#define WHI_SQ_SCOLS "json, last_delivery_at, last_status, failure_count, failing_since"
/* A new subscription from the current row of a statement selecting WHI_SQ_SCOLS. */
int whi_sq_row_sub(sqlite3_stmt *st, wh_subscription **out);
int whi_sq_sub_exists(sq_store *q, const char *id, bool *exists);
/* Load subscription id (WH_ENOTFOUND when absent). */
int whi_sq_sub_load(sq_store *q, const char *id, wh_subscription **out);
/* Write sub's row (insert or update) and count the change. */
int whi_sq_sub_save(sq_store *q, const wh_subscription *sub, bool insert);
/* Apply stats (and maybe a disable) to subscription id inside a write transaction. */
int whi_sq_apply_stats(sq_store *q, const char *id, const wh_sub_stats *st);

/* ---- a lease as one step of a transaction (sqlite_queue.c; record_and_lease uses it) ---- */
typedef struct whi_sq_lease {
    const wh_lease_request *req;
    whi_lease_filter filter;
    wh_store_delivery_cb cb;
    void *user_data;
    sqlite3_int64 *seqs; /* the deliveries chosen, in due order */
    size_t n, cap;
} whi_sq_lease;
/* Check the request and set l up (whi_sq_lease_free it whatever this returns). */
int whi_sq_lease_init(whi_sq_lease *l, const wh_lease_request *req, wh_store_delivery_cb cb,
                      void *user_data);
/* Add a chosen delivery (sqlite_queue.c). */
int whi_sq_lease_add(whi_sq_lease *c, sqlite3_int64 seq);
/* One source of due deliveries, stepped in (due time, seq) order (sqlite_queue.c). */
typedef struct whi_sq_due_src {
    sqlite3_stmt *st;
    bool live; /* st is on a row */
    sqlite3_int64 seq, at;
} whi_sq_due_src;
int whi_sq_src_next(sq_store *q, whi_sq_due_src *s);
/* The rest of a lease whose scan in due order stepped over too many deliveries of subscriptions
 * that may take no more (sqlite_lease_subs.c): from the sources' current rows on, each other
 * subscription's first due deliveries through its own index. */
int whi_sq_lease_by_subscription(sq_store *q, whi_sq_lease *c, whi_sq_due_src src[2]);
/* Lease inside the caller's write transaction (an sq_txn_fn; ctx is the whi_sq_lease). */
int whi_sq_lease_step(sq_store *q, void *ctx);
void whi_sq_lease_free(whi_sq_lease *l);

/* ---- the WAL write-combining VFS (sqlite_vfs.c) ---- */
/* The name of the shim VFS, registered on first use (thread-safe), or NULL when it cannot be
 * (the default VFS is not unix, or registration failed): then open with the default VFS. */
const char *whi_sq_vfs_name(void);
/* Fill *out as a shim over root named name (not registered; tests register their own). */
int whi_sq_vfs_make(sqlite3_vfs *out, sqlite3_vfs *root, const char *name);
/* Process-wide counters of the shim's work on WAL files, for tests. */
typedef struct whi_sq_vfs_stats {
    uint64_t wal_writes;      /* xWrite calls SQLite made on WAL files */
    uint64_t wal_syscalls;    /* xWrite calls passed on to the underlying VFS (one pwrite each) */
    uint64_t frames;          /* frame headers written */
    uint64_t commit_flushes;  /* buffers written because a commit frame was complete */
    uint64_t barrier_flushes; /* buffers still pending at a wal-index barrier: should stay 0 */
} whi_sq_vfs_stats;
void whi_sq_vfs_stats_get(whi_sq_vfs_stats *out);

/* ---- vtable parts ---- */
void whi_sq_subs_fill(wh_store *vt);
void whi_sq_queue_fill(wh_store *vt);
void whi_sq_record_fill(wh_store *vt);
void whi_sq_lists_fill(wh_store *vt);

#endif
