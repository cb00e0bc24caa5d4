/*
 * The SQLite store: opening the file, error mapping, transactions and the shared statement
 * helpers. The members live in sqlite_subs.c, sqlite_queue.c, sqlite_record.c, sqlite_lists.c.
 */
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_impl.h"
#include "alloc.h"
#include "error.h"

int whi_sq_fail(sq_store *q, int rc, const char *what)
{
    int code;
    switch (rc & 0xff) {
    case SQLITE_FULL:
        code = WH_EFULL;
        break;
    case SQLITE_READONLY:
        code = WH_EREADONLY;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        code = WH_ECORRUPT;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = WH_EBUSY;
        break;
    case SQLITE_NOMEM:
        code = WH_ENOMEM;
        break;
    case SQLITE_TOOBIG:
        code = WH_ETOOLARGE;
        break;
    case SQLITE_CONSTRAINT:
        code = WH_ECONFLICT;
        break;
    default:
        code = WH_EIO;
        break;
    }
    const char *msg = q && q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc);
    return whi_error(code, "sqlite store: %s: %s", what, msg);
}

sqlite3_stmt *whi_sq_stmt(sq_store *q, sq_stmt_id id)
{
    sqlite3_stmt *st = q->st[id];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

int whi_sq_step(sq_store *q, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
    int code = whi_sq_fail(q, rc, what);
    sqlite3_reset(st);
    return code;
}

int whi_sq_exec(sq_store *q, sqlite3_stmt *st, const char *what)
{
    int rc = whi_sq_step(q, st, what);
    sqlite3_reset(st);
    return rc < 0 ? rc : WH_OK;
}

int whi_sq_int(sq_store *q, sqlite3_stmt *st, const char *what, int64_t *out)
{
    int rc = whi_sq_step(q, st, what);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc < 0 ? rc : WH_OK;
}

void whi_sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void whi_sq_bind_size(sqlite3_stmt *st, int i, size_t n)
{
    sqlite3_bind_int64(st, i, n > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)n);
}

void whi_sq_bind_page(sqlite3_stmt *st, int i_limit, size_t limit, size_t page)
{
    if (limit == 0)
        sqlite3_bind_int64(st, i_limit, -1); /* SQLite: a negative LIMIT means none */
    else
        whi_sq_bind_size(st, i_limit, limit);
    whi_sq_bind_size(st, i_limit + 1, whi_page_offset(limit, page));
}

/* Reset every statement so none holds the transaction's read lock open. */
static void reset_all(sq_store *q)
{
    for (size_t i = 0; i < SQ_STMT_COUNT; i++)
        if (q->st[i]) sqlite3_reset(q->st[i]);
}

static int txn_locked(sq_store *q, bool write, sq_txn_fn fn, void *ctx)
{
    if (write && q->read_only) return whi_error(WH_EREADONLY, "sqlite store: opened read-only");
    int rc = whi_sq_exec(q, whi_sq_stmt(q, write ? SQ_BEGIN_WRITE : SQ_BEGIN_READ), "begin");
    if (rc != WH_OK) return rc;
    rc = fn(q, ctx);
    reset_all(q);
    if (rc == WH_OK && (rc = whi_sq_exec(q, whi_sq_stmt(q, SQ_COMMIT), "commit")) == WH_OK)
        return WH_OK;
    /* SQLite may already have rolled back (SQLITE_FULL, SQLITE_IOERR); the error of the failed
     * step is kept, so the rollback's own result is not reported. */
    if (!sqlite3_get_autocommit(q->db)) {
        sqlite3_step(q->st[SQ_ROLLBACK]);
        sqlite3_reset(q->st[SQ_ROLLBACK]);
    }
    return rc;
}

int whi_sq_txn(sq_store *q, bool write, sq_txn_fn fn, void *ctx)
{
    pthread_mutex_lock(&q->mu);
    int rc = txn_locked(q, write, fn, ctx);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* ---- open and close ---- */

static void sq_close(sq_store *q)
{
    for (size_t i = 0; i < SQ_STMT_COUNT; i++)
        sqlite3_finalize(q->st[i]);
    sqlite3_close_v2(q->db);
    pthread_mutex_destroy(&q->mu);
    whi_free(q);
}

static void sq_free(wh_store *s)
{
    sq_close(sq_of(s));
}

/* Take group and other permissions away from a file this process owns (the database holds
 * secrets); a file of another user is left as it is. A missing file is fine. */
static void make_private(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() && (sb.st_mode & 077))
        (void)fchmod(fd, sb.st_mode & 0700);
    close(fd);
}

/* The database and the -wal and -shm files SQLite keeps beside it (and creates with the
 * database's mode). */
static void make_files_private(const char *path)
{
    char side[PATH_MAX + 8];
    make_private(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    make_private(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    make_private(side);
}

/* Create the file with mode 0600 when it does not exist (SQLite would use 0644), and make an
 * existing one of ours private (see docs/storage.md). A file that exists but may not be written
 * is left to SQLite, which opens it read-only. */
static int create_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        make_files_private(path);
        return WH_OK;
    }
    int err = errno;
    struct stat sb;
    bool denied = err == EACCES || err == EROFS || err == EPERM;
    if (denied && stat(path, &sb) == 0) return WH_OK;
    return whi_error(denied ? WH_EREADONLY : WH_EIO, "sqlite store: cannot create %s: %s", path,
                     strerror(err));
}

static int check_options(const char *path, const wh_sqlite_options *o)
{
    if (!path || !*path || strcmp(path, ":memory:") == 0)
        return whi_error(WH_EINVAL, "sqlite store: path must name a file (for a store in "
                                    "memory use wh_store_memory_new)");
    if (!sqlite3_threadsafe())
        return whi_error(WH_EUNSUPPORTED, "sqlite store: the SQLite library was built without "
                                          "thread support (SQLITE_THREADSAFE=0)");
    return WH_OK;
}

static int run_pragma(sq_store *q, const char *sql)
{
    int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? WH_OK : whi_sq_fail(q, rc, sql);
}

/* Connection settings; the ones that write (WAL) only once the file is known to be ours. */
static int configure(sq_store *q, const wh_sqlite_options *o)
{
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, o->busy_timeout_ms);
    int rc = run_pragma(q, "PRAGMA foreign_keys = ON");
    if (rc == WH_OK)
        rc = run_pragma(q, o->synchronous == WH_SQLITE_SYNC_NORMAL ? "PRAGMA synchronous = NORMAL"
                                                                   : "PRAGMA synchronous = FULL");
    if (rc == WH_OK && q->read_only) rc = run_pragma(q, "PRAGMA query_only = ON");
    /* A queue that turns over 1 KiB bodies re-reads what a small page cache evicted, and a
     * checkpoint every 1000 WAL pages syncs often: 16 MiB of cache, checkpoints every 4000. */
    if (rc == WH_OK) rc = run_pragma(q, "PRAGMA cache_size = -16384");
    if (rc == WH_OK) rc = run_pragma(q, "PRAGMA wal_autocheckpoint = 4000");
    return rc;
}

/* Cap the file's size; set once the schema is in place (the pager's limit does not survive the
 * switch to WAL). */
static int limit_pages(sq_store *q, uint32_t max_pages)
{
    char sql[64];
    if (!max_pages) return WH_OK;
    snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lu", (unsigned long)max_pages);
    return run_pragma(q, sql);
}

/* An existing non-empty file must start with SQLite's header. SQLite itself takes a file
 * shorter than one page for an empty database and would write over it. */
static int check_header(const char *path)
{
    static const char MAGIC[16] = "SQLite format 3";
    char head[16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return WH_OK; /* absent, or not readable: creating or opening it reports why */
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    if (n == 0 || (n == (ssize_t)sizeof(head) && memcmp(head, MAGIC, sizeof(head)) == 0))
        return WH_OK;
    return whi_error(WH_ECORRUPT, "sqlite store: %s is not a database (no SQLite header)", path);
}

static int open_db(sq_store *q, const char *path, const wh_sqlite_options *o)
{
    struct stat sb;
    if (o->read_only && stat(path, &sb) != 0)
        return whi_error(WH_ENOTFOUND, "sqlite store: no database file at %s", path);
    int rc = check_header(path);
    if (rc == WH_OK && !o->read_only) rc = create_file(path);
    if (rc != WH_OK) return rc;
    int flags = (o->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    /* Through the WAL write-combining shim when it could be registered (sqlite_vfs.c). */
    int src = sqlite3_open_v2(path, &q->db, flags, whi_sq_vfs_name());
    if (src != SQLITE_OK) return whi_sq_fail(q, src, "open");
    /* A file the process may not write opens read-only without an error: treat it so. */
    q->read_only = o->read_only || sqlite3_db_readonly(q->db, "main") == 1;
    if ((rc = configure(q, o)) == WH_OK && (rc = whi_sq_schema_open(q)) == WH_OK)
        rc = whi_sq_prepare_all(q);
    return rc == WH_OK ? limit_pages(q, o->max_page_count) : rc;
}

static void fill_vtable(sq_store *q)
{
    q->vt = (wh_store)WH_STORE_INIT;
    q->vt.data = q;
    q->vt.free = sq_free;
    whi_sq_subs_fill(&q->vt);
    whi_sq_queue_fill(&q->vt);
    whi_sq_record_fill(&q->vt);
    whi_sq_lists_fill(&q->vt);
}

int wh_store_sqlite_new(wh_store **out, const char *path, const wh_sqlite_options *opts)
{
    wh_sqlite_options defaults;
    whi_sq_options_defaults(&defaults);
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    const wh_sqlite_options *o = opts ? opts : &defaults;
    int rc = check_options(path, o);
    if (rc != WH_OK) return rc;
    sq_store *q = whi_calloc(1, sizeof(*q));
    if (!q) return whi_error_oom();
    if (pthread_mutex_init(&q->mu, NULL) != 0) {
        whi_free(q);
        return whi_error(WH_EIO, "sqlite store: cannot create a mutex");
    }
    if ((rc = open_db(q, path, o)) != WH_OK) {
        sq_close(q);
        return rc;
    }
    fill_vtable(q);
    *out = &q->vt;
    return WH_OK;
}

int wh_store_sqlite_open(wh_store **out, const char *path)
{
    return wh_store_sqlite_new(out, path, NULL);
}
