/*
 * A write-combining VFS shim for the SQLite store's WAL file.
 *
 * SQLite's unix VFS writes every WAL frame with two pwrite calls (the 24-byte frame header,
 * then the page), so a commit of 15 frames costs 30 system calls. This shim wraps the default
 * VFS ("unix") under the private name "whi-wal" and, for WAL files only, gathers the writes
 * that append frames in one buffer and hands it to the real file in one xWrite (one pwrite)
 * when the frame that commits a transaction is complete. Every other file, and every other
 * method, is passed through unchanged.
 *
 * Why flushing at the commit frame is enough (SQLite 3.x wal.c, walFrames):
 *  1. SQLite appends all the frames of a transaction (header, then page, each at the end of
 *     the log); the last one is the commit frame, whose header has the database size in pages
 *     at bytes 4..7 (0 in every other frame). We flush as soon as that frame's page is in the
 *     buffer, so the whole transaction reaches the file (the OS page cache) before walFrames
 *     goes on.
 *  2. Only then does SQLite sync the log (synchronous=FULL: xSync, which flushes too), append
 *     the frames to the wal-index and publish the commit by writing the wal-index header in
 *     shared memory (walIndexWriteHdr). Publishing is not a write to the WAL file, which is
 *     why the flush must come before it: another connection (another process) reads frames
 *     up to the published mxFrame from the file itself, so they must be there by then.
 *  3. If the process dies while frames are buffered, their transaction had not committed
 *     (nothing was published, COMMIT had not returned): the log simply ends earlier, and
 *     recovery ignores the torn tail as it would after a crash without the shim.
 *  4. SQLite's other writes to the log are not appends and are written through (after a
 *     flush, so the order of writes is kept): the log header at offset 0 (a restart), pages
 *     rewritten in place when a page changes twice in one transaction, and the frame headers
 *     whose checksums walRewriteChecksums recomputes after the commit frame. They are told
 *     apart by `frontier`, the end of what this file object has appended: an append starts
 *     at or after it, a rewrite before it. Rewrites only touch frames of the current
 *     transaction, which this connection appended itself, so its frontier covers them.
 *  5. The frames SQLite repeats to pad a commit to a sector boundary (only when the device
 *     lacks SQLITE_IOCAP_POWERSAFE_OVERWRITE, which the unix VFS has by default) are commit
 *     frames too, so they flush; a piece of a frame split at the sync point is not a whole
 *     header and is written through.
 *  6. A safety net for anything the above misses: the shared memory belongs to the main
 *     database file, whose xShmBarrier SQLite calls between the two copies of the wal-index
 *     header it writes to publish a commit. The main file's shim flushes the same
 *     connection's WAL there (found with sqlite3_database_file_object). The tests check it
 *     never has anything to flush.
 * Reads, syncs, truncation, size queries and closing the WAL flush first, so SQLite never sees
 * the file without its own writes. A failed flush drops the buffer and returns the error from
 * the call that triggered it: SQLite then rolls the transaction back and writes those frames
 * again later. Methods whose errors SQLite may ignore (file controls, locks, the barrier) keep
 * the buffer on a failed flush, so nothing is lost silently; the next call retries.
 *
 * Threading: registration is once per process (pthread_once); a file object is used by one
 * connection at a time, as SQLite requires, so the buffer needs no lock. The statistics are
 * atomic counters.
 */
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "sqlite_impl.h"
#include "alloc.h"
#include "compiler.h"

#define WHI_VFS_NAME  "whi-wal"
#define WAL_FRAME_HDR 24 /* bytes of a frame header */
/* Flush before the buffer would grow past this: the unix VFS writes at most 128 KiB - 1 bytes
 * per xWrite (seekAndWriteFd masks the length with 0x1ffff and reports the rest as a short
 * write, SQLITE_FULL), so one buffer holds up to 31 frames of 4 KiB. */
#define WAL_BUFFER_LIMIT 0x1ffffu

/* What the next append to a WAL buffer must be. */
typedef enum wal_expect {
    EXPECT_HEADER,     /* a frame header */
    EXPECT_BODY,       /* the page of a buffered frame header */
    EXPECT_COMMIT_BODY /* the page of a buffered commit frame's header: flush after it */
} wal_expect;

typedef struct shim_file shim_file;
struct shim_file {
    sqlite3_file base;  /* first: SQLite sees this */
    sqlite3_file *real; /* the underlying VFS's file, in the same allocation after this struct */
    bool is_wal;
    /* WAL files: bytes [off, off + len) are buffered, not yet written */
    unsigned char *buf;
    size_t len, cap;
    sqlite3_int64 off;
    sqlite3_int64 frontier; /* end of the log as this file object has appended it */
    wal_expect expect;
    shim_file *main; /* WAL: the main database file of the same connection (or NULL) */
    shim_file *wal;  /* main database file: its open WAL (or NULL) */
};

/* The shim's file struct, rounded so the underlying file that follows it stays aligned. */
#define SHIM_FILE_SIZE ((sizeof(shim_file) + 15) & ~(size_t)15)

static struct {
    atomic_uint_fast64_t wal_writes, wal_syscalls, frames, commit_flushes, barrier_flushes;
} g_stats;

static void count(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void whi_sq_vfs_stats_get(whi_sq_vfs_stats *out)
{
    out->wal_writes = atomic_load(&g_stats.wal_writes);
    out->wal_syscalls = atomic_load(&g_stats.wal_syscalls);
    out->frames = atomic_load(&g_stats.frames);
    out->commit_flushes = atomic_load(&g_stats.commit_flushes);
    out->barrier_flushes = atomic_load(&g_stats.barrier_flushes);
}

static shim_file *shim_of(sqlite3_file *f)
{
    return (shim_file *)f;
}

static const sqlite3_io_methods *real_methods(shim_file *f)
{
    return f->real->pMethods;
}

/* ---- the WAL buffer ---- */

typedef enum flush_failure { FLUSH_DROP, FLUSH_KEEP } flush_failure;

/* Write the buffer with one underlying xWrite. On failure the buffer is dropped (FLUSH_DROP:
 * the caller returns the error to SQLite, which rolls back) or kept for the next call. */
static int wal_flush(shim_file *f, flush_failure on_failure)
{
    if (!f->len) return SQLITE_OK;
    count(&g_stats.wal_syscalls);
    int rc = real_methods(f)->xWrite(f->real, f->buf, (int)f->len, f->off);
    if (rc == SQLITE_OK) {
        f->off += (sqlite3_int64)f->len;
        f->len = 0;
    } else if (on_failure == FLUSH_DROP) {
        /* Nothing past the buffer's start was written: appends there start afresh. */
        f->frontier = f->off;
        f->len = 0;
        f->expect = EXPECT_HEADER;
    }
    return rc;
}

static int flush_if_wal(shim_file *f, flush_failure on_failure)
{
    return f->is_wal ? wal_flush(f, on_failure) : SQLITE_OK;
}

/* Make room for n more bytes; false when the memory is not there (the caller writes through). */
static bool wal_reserve(shim_file *f, size_t n)
{
    if (f->len + n <= f->cap) return true;
    size_t cap = f->cap ? f->cap : 64 * 1024;
    while (cap < f->len + n)
        cap *= 2;
    unsigned char *p = whi_realloc(f->buf, cap);
    if (!p) return false;
    f->buf = p;
    f->cap = cap;
    return true;
}

static int write_through(shim_file *f, const void *data, int n, sqlite3_int64 off)
{
    count(&g_stats.wal_syscalls);
    return real_methods(f)->xWrite(f->real, data, n, off);
}

/* Buffer an append at off (contiguous with the buffer, or starting it). */
static int wal_append(shim_file *f, const void *data, int n, sqlite3_int64 off)
{
    int rc;
    if (f->len && f->len + (size_t)n > WAL_BUFFER_LIMIT && (rc = wal_flush(f, FLUSH_DROP)))
        return rc;
    if (!f->len) f->off = off;
    if ((size_t)n > WAL_BUFFER_LIMIT || !wal_reserve(f, (size_t)n)) {
        if ((rc = wal_flush(f, FLUSH_DROP))) return rc;
        return write_through(f, data, n, off);
    }
    memcpy(f->buf + f->len, data, (size_t)n);
    f->len += (size_t)n;
    return SQLITE_OK;
}

static bool is_commit_header(const unsigned char *h)
{
    return (h[4] | h[5] | h[6] | h[7]) != 0; /* database size after commit, big-endian */
}

static int wal_write(shim_file *f, const void *data, int n, sqlite3_int64 off)
{
    count(&g_stats.wal_writes);
    sqlite3_int64 buf_end = f->off + (sqlite3_int64)f->len;
    bool contiguous = f->len > 0 && off == buf_end;
    int rc;
    if (f->expect == EXPECT_HEADER && n == WAL_FRAME_HDR && off >= f->frontier) {
        count(&g_stats.frames);
        if (f->len && !contiguous && (rc = wal_flush(f, FLUSH_DROP))) return rc;
        if ((rc = wal_append(f, data, n, off))) return rc;
        f->expect = is_commit_header(data) ? EXPECT_COMMIT_BODY : EXPECT_BODY;
        f->frontier = off + n;
        return SQLITE_OK;
    }
    if (f->expect != EXPECT_HEADER && contiguous) {
        bool commit = f->expect == EXPECT_COMMIT_BODY;
        f->expect = EXPECT_HEADER;
        f->frontier = off + n;
        if ((rc = wal_append(f, data, n, off))) return rc;
        if (!commit) return SQLITE_OK;
        count(&g_stats.commit_flushes);
        return wal_flush(f, FLUSH_DROP);
    }
    /* Not an append (the log header, a page or checksum rewritten in place): write it through,
     * after what is buffered so later writes still land last. */
    f->expect = EXPECT_HEADER;
    if ((rc = wal_flush(f, FLUSH_DROP))) return rc;
    if (n == WAL_FRAME_HDR) count(&g_stats.frames);
    if (off == 0) f->frontier = 0; /* a new log header: the log restarts */
    if (off + n > f->frontier) f->frontier = off + n;
    return write_through(f, data, n, off);
}

/* ---- io methods: WAL files flush first, everything is delegated ---- */

static int shim_close(sqlite3_file *pf)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_DROP);
    if (f->main && f->main->wal == f) f->main->wal = NULL;
    if (f->wal && f->wal->main == f) f->wal->main = NULL;
    int rc2 = real_methods(f)->xClose(f->real);
    whi_free(f->buf);
    f->buf = NULL;
    f->len = f->cap = 0;
    return rc != SQLITE_OK ? rc : rc2;
}

static int shim_read(sqlite3_file *pf, void *data, int n, sqlite3_int64 off)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_DROP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xRead(f->real, data, n, off);
}

static int shim_write(sqlite3_file *pf, const void *data, int n, sqlite3_int64 off)
{
    shim_file *f = shim_of(pf);
    if (f->is_wal && n > 0) return wal_write(f, data, n, off);
    return real_methods(f)->xWrite(f->real, data, n, off);
}

static int shim_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_DROP);
    if (rc != SQLITE_OK) return rc;
    if (f->frontier > size) f->frontier = size;
    return real_methods(f)->xTruncate(f->real, size);
}

static int shim_sync(sqlite3_file *pf, int flags)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_DROP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xSync(f->real, flags);
}

static int shim_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_DROP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xFileSize(f->real, size);
}

static int shim_lock(sqlite3_file *pf, int level)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_KEEP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xLock(f->real, level);
}

static int shim_unlock(sqlite3_file *pf, int level)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_KEEP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xUnlock(f->real, level);
}

static int shim_check_reserved(sqlite3_file *pf, int *out)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_KEEP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xCheckReservedLock(f->real, out);
}

static int shim_file_control(sqlite3_file *pf, int op, void *arg)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_KEEP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xFileControl(f->real, op, arg);
}

/* Pure queries: nothing to flush. */
static int shim_sector_size(sqlite3_file *pf)
{
    shim_file *f = shim_of(pf);
    return real_methods(f)->xSectorSize(f->real);
}

static int shim_device_characteristics(sqlite3_file *pf)
{
    shim_file *f = shim_of(pf);
    return real_methods(f)->xDeviceCharacteristics(f->real);
}

static int shim_shm_map(sqlite3_file *pf, int page, int size, int extend, void volatile **out)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_KEEP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xShmMap(f->real, page, size, extend, out);
}

static int shim_shm_lock(sqlite3_file *pf, int offset, int n, int flags)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_KEEP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xShmLock(f->real, offset, n, flags);
}

/* The safety net of point 6 above: a commit is published right after this barrier. */
static void shim_shm_barrier(sqlite3_file *pf)
{
    shim_file *f = shim_of(pf);
    shim_file *wal = f->is_wal ? f : f->wal;
    if (wal && wal->len) {
        count(&g_stats.barrier_flushes);
        (void)wal_flush(wal, FLUSH_KEEP);
    }
    real_methods(f)->xShmBarrier(f->real);
}

static int shim_shm_unmap(sqlite3_file *pf, int delete_flag)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_KEEP);
    return rc != SQLITE_OK ? rc : real_methods(f)->xShmUnmap(f->real, delete_flag);
}

static int shim_fetch(sqlite3_file *pf, sqlite3_int64 off, int n, void **out)
{
    shim_file *f = shim_of(pf);
    int rc = flush_if_wal(f, FLUSH_KEEP);
    if (rc != SQLITE_OK) {
        *out = NULL;
        return rc;
    }
    return real_methods(f)->xFetch(f->real, off, n, out);
}

static int shim_unfetch(sqlite3_file *pf, sqlite3_int64 off, void *p)
{
    shim_file *f = shim_of(pf);
    return real_methods(f)->xUnfetch(f->real, off, p);
}

/* One table per io_methods version, so a file advertises exactly what the underlying one has
 * (SQLite decides from iVersion whether WAL and memory-mapped I/O are possible). */
#define SHIM_METHODS_V1                                                                            \
    shim_close, shim_read, shim_write, shim_truncate, shim_sync, shim_file_size, shim_lock,        \
        shim_unlock, shim_check_reserved, shim_file_control, shim_sector_size,                     \
        shim_device_characteristics
static const sqlite3_io_methods SHIM_METHODS[3] = {
    {1, SHIM_METHODS_V1, NULL, NULL, NULL, NULL, NULL, NULL},
    {2, SHIM_METHODS_V1, shim_shm_map, shim_shm_lock, shim_shm_barrier, shim_shm_unmap, NULL, NULL},
    {3, SHIM_METHODS_V1, shim_shm_map, shim_shm_lock, shim_shm_barrier, shim_shm_unmap, shim_fetch,
     shim_unfetch},
};

static bool is_shim_file(const sqlite3_file *pf)
{
    for (size_t i = 0; i < WHI_ARRAY_LEN(SHIM_METHODS); i++)
        if (pf->pMethods == &SHIM_METHODS[i]) return true;
    return false;
}

/* ---- the VFS: xOpen wraps, everything else is the underlying VFS's ---- */

static sqlite3_vfs *root_of(sqlite3_vfs *vfs)
{
    return (sqlite3_vfs *)vfs->pAppData;
}

/* Tie a WAL to its connection's main database file, for the barrier's safety net. zName is
 * the name SQLite passed to xOpen for the WAL, as sqlite3_database_file_object requires. */
static void link_main(shim_file *wal, const char *zName)
{
#if SQLITE_VERSION_NUMBER >= 3032000 /* sqlite3_database_file_object is 3.32's */
    sqlite3_file *db = zName ? sqlite3_database_file_object(zName) : NULL;
#else
    sqlite3_file *db = NULL;
    (void)zName;
#endif
    if (!db || !is_shim_file(db)) return;
    shim_file *m = shim_of(db);
    if (m->wal) m->wal->main = NULL;
    m->wal = wal;
    wal->main = m;
}

static int shim_open(sqlite3_vfs *vfs, const char *zName, sqlite3_file *pf, int flags,
                     int *out_flags)
{
    sqlite3_vfs *root = root_of(vfs);
    shim_file *f = shim_of(pf);
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)((char *)pf + SHIM_FILE_SIZE);
    int rc = root->xOpen(root, zName, f->real, flags, out_flags);
    const sqlite3_io_methods *m = f->real->pMethods;
    /* SQLite calls xClose when pMethods is set, even after a failed open: set it exactly when
     * the underlying file needs closing. */
    if (!m) return rc;
    int version = m->iVersion < 1 ? 1 : m->iVersion > 3 ? 3 : m->iVersion;
    pf->pMethods = &SHIM_METHODS[version - 1];
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL)) {
        f->is_wal = true;
        link_main(f, zName);
    }
    return rc;
}

static int shim_delete(sqlite3_vfs *vfs, const char *zName, int sync_dir)
{
    return root_of(vfs)->xDelete(root_of(vfs), zName, sync_dir);
}

static int shim_access(sqlite3_vfs *vfs, const char *zName, int flags, int *out)
{
    return root_of(vfs)->xAccess(root_of(vfs), zName, flags, out);
}

static int shim_full_pathname(sqlite3_vfs *vfs, const char *zName, int n, char *out)
{
    return root_of(vfs)->xFullPathname(root_of(vfs), zName, n, out);
}

static void *shim_dl_open(sqlite3_vfs *vfs, const char *zPath)
{
    return root_of(vfs)->xDlOpen(root_of(vfs), zPath);
}

static void shim_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    root_of(vfs)->xDlError(root_of(vfs), n, out);
}

static void (*shim_dl_sym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
    return root_of(vfs)->xDlSym(root_of(vfs), handle, sym);
}

static void shim_dl_close(sqlite3_vfs *vfs, void *handle)
{
    root_of(vfs)->xDlClose(root_of(vfs), handle);
}

static int shim_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    return root_of(vfs)->xRandomness(root_of(vfs), n, out);
}

static int shim_sleep(sqlite3_vfs *vfs, int us)
{
    return root_of(vfs)->xSleep(root_of(vfs), us);
}

static int shim_current_time(sqlite3_vfs *vfs, double *out)
{
    return root_of(vfs)->xCurrentTime(root_of(vfs), out);
}

static int shim_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    return root_of(vfs)->xGetLastError(root_of(vfs), n, out);
}

static int shim_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    return root_of(vfs)->xCurrentTimeInt64(root_of(vfs), out);
}

static int shim_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
    return root_of(vfs)->xSetSystemCall(root_of(vfs), name, p);
}

static sqlite3_syscall_ptr shim_get_system_call(sqlite3_vfs *vfs, const char *name)
{
    return root_of(vfs)->xGetSystemCall(root_of(vfs), name);
}

static const char *shim_next_system_call(sqlite3_vfs *vfs, const char *name)
{
    return root_of(vfs)->xNextSystemCall(root_of(vfs), name);
}

int whi_sq_vfs_make(sqlite3_vfs *out, sqlite3_vfs *root, const char *name)
{
    if (!root || root->iVersion < 1 || root->szOsFile < 0) return SQLITE_MISUSE;
    memset(out, 0, sizeof(*out));
    out->iVersion = root->iVersion > 3 ? 3 : root->iVersion;
    out->szOsFile = (int)SHIM_FILE_SIZE + root->szOsFile;
    out->mxPathname = root->mxPathname;
    out->zName = name;
    out->pAppData = root;
    out->xOpen = shim_open;
    out->xDelete = shim_delete;
    out->xAccess = shim_access;
    out->xFullPathname = shim_full_pathname;
    out->xDlOpen = root->xDlOpen ? shim_dl_open : NULL;
    out->xDlError = root->xDlError ? shim_dl_error : NULL;
    out->xDlSym = root->xDlSym ? shim_dl_sym : NULL;
    out->xDlClose = root->xDlClose ? shim_dl_close : NULL;
    out->xRandomness = shim_randomness;
    out->xSleep = shim_sleep;
    out->xCurrentTime = shim_current_time;
    out->xGetLastError = root->xGetLastError ? shim_get_last_error : NULL;
    if (out->iVersion >= 2)
        out->xCurrentTimeInt64 = root->xCurrentTimeInt64 ? shim_current_time_int64 : NULL;
    if (out->iVersion >= 3) {
        out->xSetSystemCall = root->xSetSystemCall ? shim_set_system_call : NULL;
        out->xGetSystemCall = root->xGetSystemCall ? shim_get_system_call : NULL;
        out->xNextSystemCall = root->xNextSystemCall ? shim_next_system_call : NULL;
    }
    return SQLITE_OK;
}

/* ---- registration ---- */

static sqlite3_vfs g_vfs;
static const char *g_vfs_name; /* set once registered */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* The shim only knows the unix VFS's ways (pwrite-backed files, shared memory on the main
 * file): over any other default VFS the store opens without it. */
static bool is_unix(const sqlite3_vfs *v)
{
    return v && v->zName && strncmp(v->zName, "unix", 4) == 0 &&
           (v->zName[4] == '\0' || v->zName[4] == '-');
}

static void register_once(void)
{
    sqlite3_vfs *root = sqlite3_vfs_find(NULL);
    if (!is_unix(root) || whi_sq_vfs_make(&g_vfs, root, WHI_VFS_NAME) != SQLITE_OK) return;
    if (sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK) g_vfs_name = WHI_VFS_NAME;
}

const char *whi_sq_vfs_name(void)
{
    pthread_once(&g_once, register_once);
    return g_vfs_name;
}
