/*
 * Stores: where subscriptions, the delivery queue and the attempt log are kept.
 *
 * A host creates a store, hands it to the hub (wh_hub_options_set_store) and reads its records
 * back with the typed functions below; it never calls a store's members itself. Writing a store
 * of one's own is the business of webhooks/sys/store.h, for backend implementers only.
 *
 * The built-in stores are safe to call from several threads at once.
 * - The memory store keeps everything in the process and loses it on exit, by design: for tests,
 *   demos and hosts that keep their own durable copy.
 * - The SQLite store keeps everything in one database file (WAL mode, one transaction per
 *   call), so a crash or a restart loses no registered webhook and no accepted event. Secrets
 *   are stored as given: protect the file like a key file. A file it creates gets mode 0600.
 *   Several processes may share the file (SQLite's locking, with a busy timeout); within one
 *   process, one wh_store serialises its callers on one connection.
 * - The PostgreSQL store keeps everything in a PostgreSQL database, which many processes on
 *   many hosts share as one queue: each delivery is leased by one worker at a time, and
 *   changes made through one process reach the others at once (docs/scale-out.md).
 *
 * Limits the built-in stores enforce on deliveries (a larger value is refused with
 * WH_ETOOLARGE): WH_STORE_MAX_URL_LEN, WH_STORE_MAX_HEADERS_LEN, WH_STORE_MAX_BODY_LEN. Error
 * texts (a delivery's last_error, an attempt's error) longer than WH_STORE_MAX_ERROR_LEN and
 * responses longer than WH_ATTEMPT_RESPONSE_MAX are cut to that length.
 */
#ifndef WEBHOOKS_STORE_H
#define WEBHOOKS_STORE_H

#include "webhooks/common.h"
#include "webhooks/delivery.h"
#include "webhooks/subscription.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A store: opaque to hosts (its layout is in webhooks/sys/store.h, for implementers). */
typedef struct wh_store wh_store;

#define WH_STORE_MAX_URL_LEN     (64 * 1024)
#define WH_STORE_MAX_HEADERS_LEN (1024 * 1024)
#define WH_STORE_MAX_BODY_LEN    (32 * 1024 * 1024)
#define WH_STORE_MAX_ERROR_LEN   1024

/* Free a store (closing its files or connections); NULL is a no-op. Only once nothing uses it:
 * a hub given the store with ownership frees it itself. */
WH_EXTERN void wh_store_free(wh_store *store);

/* ---- the memory store ---- */
/* A new, empty memory store in *out (free with wh_store_free), with the default options.
 * WH_ENOMEM, WH_EIO (a mutex could not be created). */
WH_EXTERN int wh_store_memory_new(wh_store **out);

/* The memory store's options (opaque, one setter per option, like the SQLite store's). */
typedef struct wh_memory_options wh_memory_options;
WH_EXTERN int wh_memory_options_new(wh_memory_options **out);
WH_EXTERN void wh_memory_options_free(wh_memory_options *opts); /* NULL is a no-op */
/* Finished (SUCCEEDED or FAILED) deliveries kept, with their attempts: past it, the oldest
 * finished go first. Default 10 000 (about 16 MB with 0.5 KiB events); 0: no cap (the store
 * then grows until purged: the hub's retention, wh_store_purge). Deliveries still queued are
 * never dropped. */
WH_EXTERN int wh_memory_options_set_max_finished(wh_memory_options *opts, size_t n);
/* Event ids remembered for event idempotency (wh_hub_options_set_event_id_window_ms): past it,
 * the oldest are forgotten before their window ends, so an event emitted again that late is
 * accepted again. Default 100 000 (about 10 MB); 0: no cap (every id of one window is kept,
 * as the SQLite and PostgreSQL stores do). */
WH_EXTERN int wh_memory_options_set_max_event_ids(wh_memory_options *opts, size_t n);
/* wh_store_memory_new with options (NULL: the defaults); opts may be freed afterwards. */
WH_EXTERN int wh_store_memory_new_opts(wh_store **out, const wh_memory_options *opts);

/* ---- the SQLite store ---- */
/* How the SQLite store syncs each committed transaction to disk. */
typedef enum wh_sqlite_sync {
    WH_SQLITE_SYNC_FULL = 0,  /* every commit is on disk before the call returns (default) */
    WH_SQLITE_SYNC_NORMAL = 1 /* survives a crash of the process, may lose the last commits on
                                 power loss; faster */
} wh_sqlite_sync;

/* The SQLite store's options: an opaque object with one setter per option, so that bindings
 * need no struct layout. Create with wh_sqlite_options_new (every option at its default), set
 * what differs, pass to wh_store_sqlite_new, free with wh_sqlite_options_free (it may be freed
 * or reused once the store is open). Setters return WH_EINVAL for a NULL object or a bad value,
 * leaving the option unchanged. */
typedef struct wh_sqlite_options wh_sqlite_options;

WH_EXTERN int wh_sqlite_options_new(wh_sqlite_options **out);
WH_EXTERN void wh_sqlite_options_free(wh_sqlite_options *opts); /* NULL is a no-op */
/* How long to wait for another process's lock, in ms (default 5000); 0: fail at once with
 * WH_EBUSY; negative: WH_EINVAL. */
WH_EXTERN int wh_sqlite_options_set_busy_timeout_ms(wh_sqlite_options *opts, int ms);
/* WH_SQLITE_SYNC_FULL (default) or WH_SQLITE_SYNC_NORMAL. */
WH_EXTERN int wh_sqlite_options_set_synchronous(wh_sqlite_options *opts, wh_sqlite_sync sync);
/* Cap on the file's size in pages of 4 KiB (default 0: unlimited). Past it writes fail with
 * WH_EFULL. */
WH_EXTERN int wh_sqlite_options_set_max_page_count(wh_sqlite_options *opts, uint32_t pages);
/* Non-zero: open read-only (default 0). Every write then fails with WH_EREADONLY, and the file
 * is never created or upgraded. */
WH_EXTERN int wh_sqlite_options_set_read_only(wh_sqlite_options *opts, int read_only);

/*
 * Open (creating it with mode 0600 when absent, unless read-only) the SQLite database at path
 * and return a store over it in *out (free with wh_store_free, which closes the file). opts may
 * be NULL for the defaults; it is read during the call only. The schema is created or upgraded
 * to this version of the library on open.
 * Errors (with the SQLite message in wh_error_last()):
 * WH_EINVAL (NULL or empty path, ":memory:"), WH_ENOTFOUND (read-only and no such file),
 * WH_ECORRUPT (not a SQLite file, a damaged one, or another application's database),
 * WH_EVERSION (written by a newer libwebhooks with a schema this one does not know),
 * WH_EREADONLY (the file or its directory cannot be written, or a read-only open of a file that
 * needs an upgrade), WH_EBUSY (another process held a lock past the busy timeout), WH_EFULL,
 * WH_EIO, WH_ENOMEM. On error nothing was written to an existing file.
 */
WH_EXTERN int wh_store_sqlite_new(wh_store **out, const char *path, const wh_sqlite_options *opts);
/* wh_store_sqlite_new with the default options. */
WH_EXTERN int wh_store_sqlite_open(wh_store **out, const char *path);

/* ---- the PostgreSQL store ---- */
/* The PostgreSQL store's options: an opaque object with one setter per option, used like
 * wh_sqlite_options (create with every option at its default, set what differs, pass to
 * wh_store_postgres_new, free; it may be freed or reused once the store is open). Setters
 * return WH_EINVAL for a NULL object or a bad value, leaving the option unchanged. */
typedef struct wh_postgres_options wh_postgres_options;

WH_EXTERN int wh_postgres_options_new(wh_postgres_options **out);
WH_EXTERN void wh_postgres_options_free(wh_postgres_options *opts); /* NULL is a no-op */
/* Connections the store opens for its calls, at most (default 4; 1..64): each call (one
 * transaction) takes one for its duration, so this many threads of the process use the database
 * at once, and a call finding them all busy waits for one (up to 30 s, then WH_EBUSY). They are
 * opened as calls first need them. One more connection only listens for other processes'
 * changes: a store holds at most n + 1 connections. */
WH_EXTERN int wh_postgres_options_set_max_connections(wh_postgres_options *opts, size_t n);
/* Non-zero (default): create the tables, or upgrade them, on open. 0: never change the schema
 * (for a role without the right to): tables that are missing or older are refused with
 * WH_EVERSION. */
WH_EXTERN int wh_postgres_options_set_migrate(wh_postgres_options *opts, int migrate);

/*
 * Connect to the PostgreSQL database conninfo names and return a store over it in *out (free
 * with wh_store_free, which closes its connections). conninfo is any libpq connection string:
 * "host=db.example port=5432 dbname=app user=hooks password=..." or a URI
 * "postgresql://hooks:PASSWORD@db.example:5432/app" (also "postgres://"); libpq's environment
 * variables (PGHOST, PGPASSWORD, ...) and ~/.pgpass apply as usual. It is copied; a password in it
 * never appears in an error message or a log line. opts may be NULL for the defaults; it is read
 * during the call only.
 *
 * The tables (named wh_*) are made in the connection's current schema (the first of its
 * search_path that exists), and created or upgraded on open under an advisory lock, so that
 * processes starting together migrate once. Many stores, in many processes on many hosts, may
 * open the same database: they share one queue (see docs/scale-out.md for what is guaranteed).
 * Within a process the store is safe to call from several threads.
 *
 * Errors (with the server's message in wh_error_last()): WH_EINVAL (NULL or empty conninfo, a
 * malformed one, no schema to put the tables in), WH_EIO (the server cannot be reached, refuses
 * the login, or the connection was lost), WH_EVERSION (tables of a newer libwebhooks, or older
 * ones with migrating turned off), WH_ECORRUPT (a wh_meta table that is not ours), WH_EREADONLY
 * (the role may not create the tables), WH_EBUSY (another process's migration held its lock for
 * over 60 s), WH_ENOMEM.
 */
WH_EXTERN int wh_store_postgres_new(wh_store **out, const char *conninfo,
                                    const wh_postgres_options *opts);
/* wh_store_postgres_new with the default options. */
WH_EXTERN int wh_store_postgres_open(wh_store **out, const char *conninfo);

/* ---- reading a store's records ---- */
/*
 * Each function checks its arguments (WH_EINVAL for a NULL store or callback) and calls the
 * store. Records reach cb borrowed for the call only; cb returning non-zero stops the listing
 * early (the function then returns WH_OK). cb may run while the store holds its lock: it must
 * not call the same store (copy what it needs). Paging: page numbers start at 1 (0 is taken as
 * 1), limit 0 means all; *total (may be NULL) receives the number of matching records
 * regardless of paging. A filter that matches nothing lists nothing (not an error).
 */
/* Subscriptions of owner (NULL: every owner), oldest first (createdAt, then id). */
typedef int (*wh_store_sub_cb)(const wh_subscription *sub, void *user_data);
WH_EXTERN int wh_store_subscription_list(wh_store *s, const char *owner, size_t limit, size_t page,
                                         size_t *total, wh_store_sub_cb cb, void *user_data);
/* The delivery with this id, handed to cb. WH_ENOTFOUND. */
WH_EXTERN int wh_store_delivery_get(wh_store *s, const char *delivery_id, wh_store_delivery_cb cb,
                                    void *user_data);
/* Deliveries matching q (NULL: every delivery), newest first (created_at, then id). */
WH_EXTERN int wh_store_delivery_list(wh_store *s, const wh_delivery_query *q, size_t *total,
                                     wh_store_delivery_cb cb, void *user_data);
/* Attempts of one delivery or of one subscription (exactly one of the two ids non-NULL, else
 * WH_EINVAL), newest first. */
WH_EXTERN int wh_store_attempt_list(wh_store *s, const char *delivery_id,
                                    const char *subscription_id, size_t limit, size_t page,
                                    size_t *total, wh_store_attempt_cb cb, void *user_data);
/* Delete finished deliveries last updated before older_than (ms since epoch) with their
 * attempts, and attempts started before it. *removed (may be NULL) gets how many deliveries
 * went. */
WH_EXTERN int wh_store_purge(wh_store *s, wh_time_ms older_than, size_t *removed);

/* ---- the same as JSON text, for bindings that cannot take callbacks with struct arguments ---- */
/*
 * Each call runs one member of s and writes the result as one JSON document into *json_out,
 * NUL-terminated and owned by the caller: free with wh_free (NULL on error). Listings have the
 * shape {"<things>":[...],"page":P,"limit":L,"total":T}: page numbers start at 1 (0 is taken as
 * 1), limit 0 means all, total counts every match regardless of paging. Times are RFC 3339 UTC
 * strings (null for none). Errors: WH_EINVAL for a NULL store or json_out or a bad argument,
 * the store's own errors, WH_ENOMEM.
 */
/* {"subscriptions":[...]}: subscriptions of owner (NULL: every owner), oldest first, each as
 * wh_subscription_to_json with flags (WH_JSON_SECRETS or 0). */
WH_EXTERN int wh_store_subscription_list_json(wh_store *s, const char *owner, unsigned int flags,
                                              size_t limit, size_t page, char **json_out);
/* {"deliveries":[...]}: deliveries of subscription_id (NULL: any) with status (-1: any, else a
 * wh_delivery_status), newest first. Each delivery: id, webhookId, ownerId, eventId,
 * eventType, idempotencyKey, method, url, status ("pending", "in_flight", "succeeded",
 * "failed"), attempts, lastStatus (HTTP status, negative WH_E* code, or null), lastError,
 * nextAttemptAt, leaseUntil, eventTime, createdAt, updatedAt, bodyLength. */
WH_EXTERN int wh_store_delivery_list_json(wh_store *s, const char *subscription_id, int status,
                                          size_t limit, size_t page, char **json_out);
/* One delivery as above plus "headers" (the rendered custom headers, an object) and its body:
 * "body" (a string) when it is valid UTF-8 without NUL bytes, else "bodyBase64".
 * WH_ENOTFOUND when there is no such delivery. */
WH_EXTERN int wh_store_delivery_get_json(wh_store *s, const char *delivery_id, char **json_out);
/* {"attempts":[...]}: the attempt log of one delivery or of one subscription (exactly one of
 * the two ids non-NULL, else WH_EINVAL), newest first. Each attempt: deliveryId,
 * webhookId, number, startedAt, durationMs, httpStatus (null when no response), errorCode
 * (a WH_E* code, null for none), error, and the first bytes of the response as "response" or,
 * when not UTF-8 text, "responseBase64". */
WH_EXTERN int wh_store_attempt_list_json(wh_store *s, const char *delivery_id,
                                         const char *subscription_id, size_t limit, size_t page,
                                         char **json_out);
#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_STORE_H */
