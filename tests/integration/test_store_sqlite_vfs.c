/*
 * The SQLite store's WAL write-combining VFS shim (lib/store/sqlite_vfs.c): a commit reaches
 * the WAL in about one pwrite instead of two per frame, what is written reads back (in this
 * connection, another one, one without the shim, and after the writer is killed), write errors
 * are reported, and the buffer follows its rules (commit frame, non-contiguous write, other
 * methods, the 128 KiB cap, the wal-index barrier).
 *
 * The pwrite calls are counted below the shim, at the unix VFS's system call (replaced with
 * xSetSystemCall), so the counts do not rely on the shim's own statistics.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqlite_impl.h"
#include <webhooks/conformance.h>
#include "store_limits.h"
#include "wh_test.h"
#include "wh_test_files.h"

/* ---- pwrite64 below the unix VFS: count the WAL's, fail them on demand ---- */

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
static pwrite_fn g_real_pwrite;
static int g_wal_pwrites; /* pwrite calls on a -wal file */
static size_t g_wal_max;  /* the largest of them */
static int g_fail_wal;    /* when set, WAL pwrites fail with ENOSPC */

static int is_wal_fd(int fd)
{
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 4) return 0;
    target[n] = '\0';
    return strcmp(target + n - 4, "-wal") == 0;
}

static ssize_t hook_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (is_wal_fd(fd)) {
        g_wal_pwrites++;
        if (n > g_wal_max) g_wal_max = n;
        if (g_fail_wal) {
            errno = ENOSPC;
            return -1;
        }
    }
    return g_real_pwrite(fd, buf, n, off);
}

static void hook_install(void)
{
    sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");
    assert_non_null(unix_vfs);
    g_real_pwrite = (pwrite_fn)unix_vfs->xGetSystemCall(unix_vfs, "pwrite64");
    assert_non_null(g_real_pwrite);
    assert_int_equal(
        unix_vfs->xSetSystemCall(unix_vfs, "pwrite64", (sqlite3_syscall_ptr)hook_pwrite),
        SQLITE_OK);
    g_wal_pwrites = 0;
    g_wal_max = 0;
    g_fail_wal = 0;
}

static void hook_remove(void)
{
    sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");
    unix_vfs->xSetSystemCall(unix_vfs, "pwrite64", NULL); /* NULL: back to the default */
}

/* ---- fixture: a temporary directory per test ---- */

typedef struct fixture {
    char dir[PATH_MAX];
    char path[PATH_MAX + 16];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    wh_tmpdir_new(f->dir, sizeof(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/s.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hook_remove();
    wh_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static wh_store *open_store(const char *path, wh_sqlite_sync sync)
{
    wh_sqlite_options *o;
    WH_ASSERT_OK(wh_sqlite_options_new(&o));
    WH_ASSERT_OK(wh_sqlite_options_set_synchronous(o, sync));
    wh_store *s = NULL;
    WH_ASSERT_OK(wh_store_sqlite_new(&s, path, o));
    wh_sqlite_options_free(o);
    return s;
}

static char g_body[2048];

/* Enqueue count deliveries named <prefix><first + i> with bodies of body_len bytes. */
static int enqueue(wh_store *s, const char *prefix, int first, int count, size_t body_len)
{
    wh_delivery *d = calloc((size_t)count, sizeof(*d));
    const wh_delivery **batch = calloc((size_t)count, sizeof(*batch));
    char(*ids)[32] = calloc((size_t)count, sizeof(*ids));
    assert_true(d && batch && ids && body_len <= sizeof(g_body));
    memset(g_body, 'b', sizeof(g_body));
    for (int i = 0; i < count; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%s%d", prefix, first + i);
        d[i] = wh_sc_delivery(ids[i], "s", 1, 1);
        d[i].body = g_body;
        d[i].body_len = body_len;
        batch[i] = &d[i];
    }
    int rc = s->enqueue(s, batch, (size_t)count);
    free(ids);
    free(batch);
    free(d);
    return rc;
}

static whi_sq_vfs_stats stats_now(void)
{
    whi_sq_vfs_stats st;
    whi_sq_vfs_stats_get(&st);
    return st;
}

/* ---- tests ---- */

/* Runs first, in a child, before anything registers the shim: a default VFS that is not unix
 * means no shim, and the store still opens and works. */
static void test_no_shim_over_another_default_vfs(void **state)
{
    fixture *f = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static sqlite3_vfs other;
        other = *sqlite3_vfs_find("unix");
        other.zName = "not-the-unix-vfs";
        other.pNext = NULL;
        int ok = sqlite3_vfs_register(&other, 1) == SQLITE_OK && whi_sq_vfs_name() == NULL;
        wh_store *s = NULL;
        ok = ok && wh_store_sqlite_open(&s, f->path) == WH_OK;
        wh_subscription *sub = wh_sc_sub("s", NULL, 1);
        ok = ok && s->sub_create(s, sub) == WH_OK && enqueue(s, "d", 0, 3, 100) == WH_OK;
        size_t total = 0;
        ok = ok && s->delivery_list(s, NULL, &total, wh_sc_ignore_delivery, NULL) == WH_OK &&
             total == 3;
        wh_subscription_free(sub);
        if (s) wh_store_free(s);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_registered_beside_the_default(void **state)
{
    (void)state;
    const char *name = whi_sq_vfs_name();
    assert_non_null(name);
    assert_string_equal(name, "whi-wal");
    assert_non_null(sqlite3_vfs_find(name));
    assert_string_equal(sqlite3_vfs_find(NULL)->zName, "unix"); /* not made the default */
    assert_ptr_equal(whi_sq_vfs_name(), name);
}

static void check_commit_costs_one_write(const char *path, wh_sqlite_sync sync)
{
    wh_store *s = open_store(path, sync);
    wh_sc_put_sub(s, "s", NULL, 1);
    WH_ASSERT_OK(enqueue(s, "warm", 0, 1, 100)); /* the WAL header is written by now */
    hook_install();
    whi_sq_vfs_stats a = stats_now();
    WH_ASSERT_OK(enqueue(s, "d", 0, 20, 1024)); /* one transaction of many frames */
    whi_sq_vfs_stats b = stats_now();
    uint64_t frames = b.frames - a.frames;
    assert_true(frames >= 5);
    assert_true(b.wal_writes - a.wal_writes >= 2 * frames); /* SQLite's two writes a frame */
    assert_int_equal(g_wal_pwrites, 1);                     /* ... became one pwrite */
    assert_int_equal(b.wal_syscalls - a.wal_syscalls, 1);
    assert_int_equal(b.commit_flushes - a.commit_flushes, 1);
    /* Many small transactions: one pwrite each. */
    g_wal_pwrites = 0;
    a = stats_now();
    for (int i = 0; i < 50; i++)
        WH_ASSERT_OK(enqueue(s, "e", i, 1, 300));
    b = stats_now();
    assert_true(b.frames - a.frames >= 100);
    assert_int_equal(g_wal_pwrites, 50);
    assert_int_equal(b.barrier_flushes, a.barrier_flushes); /* the safety net had no work */
    hook_remove();
    assert_int_equal(wh_sc_count_deliveries(s), 71);
    wh_store_free(s);
    wh_sqlite_assert_intact(path);
}

static void test_commit_costs_one_write_full(void **state)
{
    check_commit_costs_one_write(((fixture *)*state)->path, WH_SQLITE_SYNC_FULL);
}

static void test_commit_costs_one_write_normal(void **state)
{
    check_commit_costs_one_write(((fixture *)*state)->path, WH_SQLITE_SYNC_NORMAL);
}

/* A transaction larger than one pwrite of the unix VFS (128 KiB - 1 bytes) is split. */
static void test_large_transaction(void **state)
{
    fixture *f = *state;
    wh_store *s = open_store(f->path, WH_SQLITE_SYNC_FULL);
    wh_sc_put_sub(s, "s", NULL, 1);
    hook_install();
    WH_ASSERT_OK(enqueue(s, "big", 0, 300, 2048)); /* ~1 MiB of frames */
    assert_true(g_wal_pwrites >= 8);
    assert_true(g_wal_max <= 0x1ffff);
    hook_remove();
    wh_delivery got;
    wh_sc_get(s, "big299", &got);
    assert_int_equal(got.body_len, 2048);
    assert_memory_equal(got.body, g_body, 2048);
    wh_delivery_clear(&got);
    wh_store_free(s);
    wh_sqlite_assert_intact(f->path);
}

static void test_data_reads_back_after_reopen(void **state)
{
    fixture *f = *state;
    wh_store *s = open_store(f->path, WH_SQLITE_SYNC_NORMAL);
    wh_sc_put_sub(s, "s", NULL, 1);
    int total = 0;
    for (int t = 0; t < 60; t++) {
        int n = 1 + (t * 7) % 40;
        WH_ASSERT_OK(enqueue(s, "d", total, n, (size_t)(50 + (t * 97) % 1900)));
        total += n;
    }
    wh_store_free(s);
    wh_sqlite_assert_intact(f->path);
    s = open_store(f->path, WH_SQLITE_SYNC_NORMAL);
    assert_int_equal(wh_sc_count_deliveries(s), (size_t)total);
    wh_delivery got;
    wh_sc_get(s, "d0", &got);
    assert_int_equal(got.body_len, 50);
    wh_delivery_clear(&got);
    wh_store_free(s);
}

static int64_t count_raw(sqlite3 *db)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM deliveries", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Two stores on one file (as two processes would have) and a plain connection without the
 * shim see each commit as soon as it returns, while the log is checkpointed and restarted. */
static void test_other_connections_see_commits(void **state)
{
    fixture *f = *state;
    wh_store *a = open_store(f->path, WH_SQLITE_SYNC_NORMAL);
    wh_store *b = open_store(f->path, WH_SQLITE_SYNC_FULL);
    wh_sc_put_sub(a, "s", NULL, 1);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open_v2(f->path, &raw, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    whi_sq_vfs_stats before = stats_now();
    char id[32];
    for (int i = 0; i < 40; i++) {
        WH_ASSERT_OK(enqueue(a, "a", i * 10, 1 + i % 5, 700));
        snprintf(id, sizeof(id), "a%d", i * 10);
        assert_int_equal(wh_sc_status(b, id), WH_DELIVERY_PENDING);
        WH_ASSERT_OK(enqueue(b, "b", i * 10, 1 + i % 3, 1500));
        snprintf(id, sizeof(id), "b%d", i * 10);
        assert_int_equal(wh_sc_status(a, id), WH_DELIVERY_PENDING);
        assert_int_equal(count_raw(raw), (int64_t)wh_sc_count_deliveries(a));
        if (i % 10 == 9) /* the next writer restarts the log from its start */
            assert_int_equal(sqlite3_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
                             SQLITE_OK);
    }
    assert_int_equal(stats_now().barrier_flushes, before.barrier_flushes);
    sqlite3_close(raw);
    wh_store_free(b);
    wh_store_free(a);
    wh_sqlite_assert_intact(f->path);
}

/* A commit that returned is in the file even if the process dies right after (NORMAL sync:
 * no fsync, so only the write itself keeps it). */
static void test_commit_survives_kill(void **state)
{
    fixture *f = *state;
    wh_store *s = open_store(f->path, WH_SQLITE_SYNC_NORMAL);
    wh_sc_put_sub(s, "s", NULL, 1);
    wh_store_free(s);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        wh_store *c = NULL;
        if (wh_test_sqlite_open(&c, f->path, WH_TEST_SQLITE_SYNC_NORMAL) != WH_OK) _exit(1);
        for (int i = 0; i < 20; i++)
            if (enqueue(c, "k", i * 10, 10, 900) != WH_OK) _exit(1);
        raise(SIGKILL);
        _exit(1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    s = open_store(f->path, WH_SQLITE_SYNC_NORMAL);
    assert_int_equal(wh_sc_count_deliveries(s), 200);
    wh_store_free(s);
    wh_sqlite_assert_intact(f->path);
}

/* A failed write of the combined buffer fails the commit; nothing of it stays, and the store
 * goes on working. */
static void test_flush_error_fails_the_commit(void **state)
{
    fixture *f = *state;
    wh_store *s = open_store(f->path, WH_SQLITE_SYNC_FULL);
    wh_sc_put_sub(s, "s", NULL, 1);
    WH_ASSERT_OK(enqueue(s, "ok", 0, 3, 500));
    hook_install();
    g_fail_wal = 1;
    assert_int_equal(enqueue(s, "lost", 0, 10, 1000), WH_EFULL);
    assert_true(g_wal_pwrites >= 1);
    g_fail_wal = 0;
    assert_int_equal(wh_sc_status(s, "lost0"), -1);
    WH_ASSERT_OK(enqueue(s, "after", 0, 10, 1000));
    assert_int_equal(wh_sc_status(s, "after9"), WH_DELIVERY_PENDING);
    hook_remove();
    wh_store_free(s);
    wh_sqlite_assert_intact(f->path);
    s = open_store(f->path, WH_SQLITE_SYNC_FULL);
    assert_int_equal(wh_sc_count_deliveries(s), 13);
    assert_int_equal(wh_sc_status(s, "lost0"), -1);
    wh_store_free(s);
}

/* ---- the buffer's rules, driven on a live WAL file past the log's end ---- */

typedef struct wal_rig {
    sqlite3 *db;
    sqlite3_file *wal, *main;
    sqlite3_int64 end; /* the next append offset */
    unsigned char page[4096];
} wal_rig;

static void rig_open(wal_rig *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     whi_sq_vfs_name()),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(r->db,
                                  "PRAGMA journal_mode=WAL; CREATE TABLE t(x);"
                                  "INSERT INTO t VALUES(1)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_file_control(r->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &r->wal),
                     SQLITE_OK);
    assert_int_equal(sqlite3_file_control(r->db, "main", SQLITE_FCNTL_FILE_POINTER, &r->main),
                     SQLITE_OK);
    assert_non_null(r->wal);
    assert_non_null(r->main);
    assert_int_equal(r->wal->pMethods->xFileSize(r->wal, &r->end), SQLITE_OK);
    r->end += 100 * 4120; /* well past the frames SQLite knows of */
    memset(r->page, 'p', sizeof(r->page));
}

/* Append one frame (header then page) as SQLite does; commit: the header's size field. */
static int rig_frame(wal_rig *r, uint32_t commit)
{
    unsigned char hdr[24] = {0, 0, 0, 2};
    hdr[4] = (unsigned char)(commit >> 24);
    hdr[7] = (unsigned char)commit;
    int rc = r->wal->pMethods->xWrite(r->wal, hdr, sizeof(hdr), r->end);
    if (rc == SQLITE_OK) rc = r->wal->pMethods->xWrite(r->wal, r->page, 4096, r->end + 24);
    r->end += 4120;
    return rc;
}

static sqlite3_int64 rig_size(wal_rig *r)
{
    sqlite3_int64 size = 0;
    assert_int_equal(r->wal->pMethods->xFileSize(r->wal, &size), SQLITE_OK);
    return size;
}

static void test_buffer_rules(void **state)
{
    fixture *f = *state;
    wal_rig r;
    rig_open(&r, f->path);
    hook_install();
    /* Plain frames wait; the commit frame's page sends them all in one write. */
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    assert_int_equal(g_wal_pwrites, 0);
    assert_int_equal(rig_frame(&r, 7), SQLITE_OK);
    assert_int_equal(g_wal_pwrites, 1);
    assert_int_equal(g_wal_max, 3 * 4120);
    assert_int_equal(rig_size(&r), r.end);
    /* A write elsewhere (a page rewritten in place) sends the buffer first, then goes through. */
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    assert_int_equal(r.wal->pMethods->xWrite(r.wal, r.page, 4096, r.end - 2 * 4120 + 24),
                     SQLITE_OK);
    assert_int_equal(g_wal_pwrites, 3);
    /* A commit header rewritten behind the log's end (checksums) is not held back. */
    unsigned char hdr[24] = {0, 0, 0, 2, 0, 0, 0, 9};
    assert_int_equal(r.wal->pMethods->xWrite(r.wal, hdr, 24, r.end - 4120), SQLITE_OK);
    assert_int_equal(g_wal_pwrites, 4);
    /* Any other method on the file sends the buffer first. */
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    assert_int_equal(r.wal->pMethods->xSync(r.wal, SQLITE_SYNC_NORMAL), SQLITE_OK);
    assert_int_equal(g_wal_pwrites, 5);
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    unsigned char buf[24];
    assert_int_equal(r.wal->pMethods->xRead(r.wal, buf, 24, r.end - 4120), SQLITE_OK);
    assert_int_equal(g_wal_pwrites, 6);
    /* The wal-index barrier on the main file sends the same connection's WAL buffer. */
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    whi_sq_vfs_stats a = stats_now();
    r.main->pMethods->xShmBarrier(r.main);
    assert_int_equal(g_wal_pwrites, 7);
    assert_int_equal(stats_now().barrier_flushes, a.barrier_flushes + 1);
    /* The buffer never grows past one unix-VFS write. */
    g_wal_max = 0;
    for (int i = 0; i < 70; i++)
        assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    assert_int_equal(rig_frame(&r, 1), SQLITE_OK);
    assert_int_equal(g_wal_pwrites, 7 + 3); /* 71 frames: 31 + 31 + 9 */
    assert_true(g_wal_max <= 0x1ffff);
    assert_int_equal(rig_size(&r), r.end);
    /* A failed flush in xSync is reported and drops the buffer ... */
    sqlite3_int64 size = rig_size(&r);
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    g_fail_wal = 1;
    assert_int_equal(r.wal->pMethods->xSync(r.wal, SQLITE_SYNC_NORMAL), SQLITE_FULL);
    g_fail_wal = 0;
    int before = g_wal_pwrites;
    assert_int_equal(rig_size(&r), size);
    assert_int_equal(g_wal_pwrites, before);
    /* ... as does one in the write that completes a commit frame ... */
    r.end = size;
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    g_fail_wal = 1;
    assert_int_equal(rig_frame(&r, 3), SQLITE_FULL);
    g_fail_wal = 0;
    assert_int_equal(rig_size(&r), size);
    /* ... while a file control, whose result SQLite may ignore, keeps it for the next call. */
    r.end = size;
    assert_int_equal(rig_frame(&r, 0), SQLITE_OK);
    g_fail_wal = 1;
    int errno_out = 0;
    assert_int_equal(r.wal->pMethods->xFileControl(r.wal, SQLITE_FCNTL_LAST_ERRNO, &errno_out),
                     SQLITE_FULL);
    g_fail_wal = 0;
    assert_int_equal(rig_size(&r), size + 4120);
    hook_remove();
    /* SQLite's own data is untouched. */
    assert_int_equal(sqlite3_exec(r.db, "INSERT INTO t VALUES(2)", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(r.db), SQLITE_OK);
    wh_sqlite_assert_intact(f->path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_shim_over_another_default_vfs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registered_beside_the_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_costs_one_write_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_costs_one_write_normal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_reads_back_after_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_connections_see_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_survives_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_error_fails_the_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffer_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
