/*
 * The built-in stores: where subscriptions, the delivery queue and the attempt log are kept.
 *
 * Both return a wh_store (webhooks/sys/store.h) to hand to the hub; free it with wh_store_free
 * once nothing uses it any more. Both are safe to call from several threads at once.
 *
 * - The memory store keeps everything in the process and loses it on exit, by design: for tests,
 *   demos and hosts that keep their own durable copy.
 * - The SQLite store keeps everything in one database file (WAL mode, one transaction per
 *   call), so a crash or a restart loses no registered webhook and no accepted event. Secrets
 *   are stored as given: protect the file like a key file. A file it creates gets mode 0600.
 *   Several processes may share the file (SQLite's locking, with a busy timeout); within one
 *   process, one wh_store serialises its callers on one connection.
 *
 * Limits the built-in stores enforce on deliveries (a larger value is refused with
 * WH_ETOOLARGE): WH_STORE_MAX_URL_LEN, WH_STORE_MAX_HEADERS_LEN, WH_STORE_MAX_BODY_LEN. Error
 * texts (a delivery's last_error, an attempt's error) longer than WH_STORE_MAX_ERROR_LEN and
 * responses longer than WH_ATTEMPT_RESPONSE_MAX are cut to that length.
 */
#ifndef WEBHOOKS_STORE_H
#define WEBHOOKS_STORE_H

#include "webhooks/common.h"
#include "webhooks/sys/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WH_STORE_MAX_URL_LEN     (64 * 1024)
#define WH_STORE_MAX_HEADERS_LEN (1024 * 1024)
#define WH_STORE_MAX_BODY_LEN    (32 * 1024 * 1024)
#define WH_STORE_MAX_ERROR_LEN   1024

/*
 * A new, empty memory store in *out (free with wh_store_free). WH_ENOMEM, WH_EIO (a mutex
 * could not be created).
 */
WH_EXTERN int wh_store_memory_new(wh_store **out);

/* How the SQLite store syncs each committed transaction to disk. */
typedef enum wh_sqlite_sync {
    WH_SQLITE_SYNC_FULL = 0,  /* every commit is on disk before the call returns (default) */
    WH_SQLITE_SYNC_NORMAL = 1 /* survives a crash of the process, may lose the last commits on
                                 power loss; faster */
} wh_sqlite_sync;

#define WH_SQLITE_OPTIONS_VERSION 1
typedef struct wh_sqlite_options {
    unsigned int version;       /* WH_SQLITE_OPTIONS_VERSION */
    int busy_timeout_ms;        /* how long to wait for another process's lock (default 5000);
                                   0: fail at once with WH_EBUSY; negative: WH_EINVAL */
    wh_sqlite_sync synchronous; /* WH_SQLITE_SYNC_FULL by default */
    uint32_t max_page_count;    /* cap on the file's size in pages (4 KiB); 0: unlimited.
                                   Past it writes fail with WH_EFULL. */
    int read_only;              /* non-zero: open read-only; every write fails with
                                   WH_EREADONLY, and the file is never created or upgraded */
} wh_sqlite_options;

#define WH_SQLITE_OPTIONS_INIT                                                                     \
    {                                                                                              \
        WH_SQLITE_OPTIONS_VERSION, 5000, WH_SQLITE_SYNC_FULL, 0, 0                                 \
    }

/*
 * Open (creating it with mode 0600 when absent, unless read-only) the SQLite database at path
 * and return a store over it in *out (free with wh_store_free, which closes the file). opts may
 * be NULL for the defaults; it is read during the call only. The schema is created or upgraded
 * to this version of the library on open.
 * Errors (with the SQLite message in wh_error_last()):
 * WH_EINVAL (NULL or empty path, ":memory:", bad options), WH_ENOTFOUND (read-only and no such
 * file), WH_ECORRUPT (not a SQLite file, a damaged one, or another application's database),
 * WH_EVERSION (written by a newer libwebhooks with a schema this one does not know),
 * WH_EREADONLY (the file or its directory cannot be written, or a read-only open of a file that
 * needs an upgrade), WH_EBUSY (another process held a lock past the busy timeout), WH_EFULL,
 * WH_EIO, WH_ENOMEM. On error nothing was written to an existing file.
 */
WH_EXTERN int wh_store_sqlite_new(wh_store **out, const char *path, const wh_sqlite_options *opts);

/* wh_store_sqlite_new with the default options, for bindings that cannot fill a struct. */
WH_EXTERN int wh_store_sqlite_open(wh_store **out, const char *path);

/* Flags of wh_store_sqlite_open_flags. */
#define WH_SQLITE_FLAG_READ_ONLY   0x1u /* as wh_sqlite_options.read_only */
#define WH_SQLITE_FLAG_SYNC_NORMAL 0x2u /* synchronous = WH_SQLITE_SYNC_NORMAL */

/* wh_store_sqlite_new with the default options changed by flags (WH_SQLITE_FLAG_*); unknown flags
 * give WH_EINVAL. */
WH_EXTERN int wh_store_sqlite_open_flags(wh_store **out, const char *path, unsigned int flags);

/*
 * wh_store_sqlite_new with the options as a JSON object (NULL or "" for the defaults), for
 * bindings: {"busyTimeoutMs":5000, "synchronous":"full"|"normal", "maxPageCount":0,
 * "readOnly":false}. WH_EINVAL for malformed JSON or an unknown or bad key (one detail per
 * problem); otherwise as wh_store_sqlite_new.
 */
WH_EXTERN int wh_store_sqlite_open_json(wh_store **out, const char *path, const char *options_json);

/* ---- a store's records as JSON, for bindings (the vtable's members need struct layouts) ---- */
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
 * wh_delivery_status), newest first. Each delivery: id, subscriptionId, ownerId, eventId,
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
 * subscriptionId, number, startedAt, durationMs, httpStatus (null when no response), errorCode
 * (a WH_E* code, null for none), error, and the first bytes of the response as "response" or,
 * when not UTF-8 text, "responseBase64". */
WH_EXTERN int wh_store_attempt_list_json(wh_store *s, const char *delivery_id,
                                         const char *subscription_id, size_t limit, size_t page,
                                         char **json_out);
/* Delete finished deliveries last updated before older_than (ms since epoch) with their
 * attempts, and attempts started before it (the purge member). *removed (may be NULL) gets how
 * many deliveries went. */
WH_EXTERN int wh_store_purge(wh_store *s, wh_time_ms older_than, size_t *removed);

#ifdef __cplusplus
}
#endif

#endif /* WEBHOOKS_STORE_H */
