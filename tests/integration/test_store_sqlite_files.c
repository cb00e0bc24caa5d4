/*
 * The SQLite store given bad files: a newer schema, garbage, another application's database, a
 * read-only file, a full disk (a tiny max_page_count), and a process killed mid-write. Each
 * gives a clear error and leaves the stored data as it was (PRAGMA integrity_check is "ok").
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqlite_impl.h" /* WHI_SQ_SCHEMA_VERSION */
#include <webhooks/conformance.h>
#include "store_limits.h"
#include "wh_test.h"
#include "wh_test_files.h"

static char g_dir[PATH_MAX];

typedef struct path {
    char v[PATH_MAX + 64];
} path;

static path path_of(const char *name)
{
    path p;
    snprintf(p.v, sizeof(p.v), "%s/%s", g_dir, name);
    return p;
}

static path suffixed(const path *p, const char *suffix)
{
    path q;
    int n = snprintf(q.v, sizeof(q.v), "%s%s", p->v, suffix);
    assert_true(n > 0 && (size_t)n < sizeof(q.v)); /* (using n also quiets -Wformat-truncation) */
    return q;
}

static void write_file(const char *p, const char *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* A database holding one subscription "s" and one delivery "d". */
static void make_db(const char *p)
{
    wh_store *s;
    WH_ASSERT_OK(wh_store_sqlite_open(&s, p));
    wh_sc_put_sub(s, "s", "owner", 1);
    wh_sc_put_delivery(s, "d", "s", 1, 10);
    wh_store_free(s);
}

/* Assert the database still holds exactly what make_db put there. */
static void assert_db_intact(const char *p)
{
    wh_sqlite_assert_intact(p);
    wh_store *s;
    WH_ASSERT_OK(wh_test_sqlite_open(&s, p, WH_TEST_SQLITE_READ_ONLY));
    wh_subscription *sub;
    WH_ASSERT_OK(s->sub_get(s, "s", &sub));
    assert_string_equal(wh_subscription_owner(sub), "owner");
    assert_int_equal(wh_subscription_status(sub), WH_STATUS_ACTIVE);
    wh_subscription_free(sub);
    assert_int_equal(wh_sc_status(s, "d"), WH_DELIVERY_PENDING);
    assert_int_equal(wh_sc_count_deliveries(s), 1);
    wh_store_free(s);
}

/* Assert that opening p fails with code and leaves its bytes (and no side files) as they were. */
static void assert_refused(const char *p, int code, const char *needle)
{
    size_t len_before, len_after;
    char *before = wh_file_read(p, &len_before);
    assert_non_null(before);
    wh_store *s = (wh_store *)1;
    assert_int_equal(wh_store_sqlite_open(&s, p), code);
    assert_null(s);
    assert_non_null(strstr(wh_error_last()->message, needle));
    char *after = wh_file_read(p, &len_after);
    assert_non_null(after);
    assert_int_equal(len_before, len_after);
    assert_memory_equal(before, after, len_before);
    free(before);
    free(after);
}

static void test_newer_schema_is_refused(void **state)
{
    (void)state;
    path p = path_of("newer.db");
    make_db(p.v);
    wh_sqlite_exec(p.v, "PRAGMA user_version = 99");
    assert_refused(p.v, WH_EVERSION, "newer");
    assert_non_null(strstr(wh_error_last()->message, "99"));
    wh_store *s;
    assert_int_equal(wh_test_sqlite_open(&s, p.v, WH_TEST_SQLITE_READ_ONLY), WH_EVERSION);
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", WHI_SQ_SCHEMA_VERSION);
    wh_sqlite_exec(p.v, sql);
    assert_db_intact(p.v);
}

/* Turn a current file back into what schema version 1 was: it had the status index and
 * attempts_by_started, a lease was the delivery's status 1, lease_until and due_at, and a
 * delivery's url, headers and body were in its row. */
static void downgrade_to_v1(const char *p)
{
    wh_sqlite_exec(p, "UPDATE deliveries SET url = (SELECT url FROM payloads p WHERE p.seq ="
                      " deliveries.seq), headers = (SELECT headers FROM payloads p WHERE p.seq ="
                      " deliveries.seq), body = (SELECT body FROM payloads p WHERE p.seq ="
                      " deliveries.seq)");
    wh_sqlite_exec(p, "DROP TABLE payloads");
    wh_sqlite_exec(p, "DROP INDEX deliveries_due_by_subscription");
    wh_sqlite_exec(p, "CREATE TABLE attempts_v1(seq INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL"
                      " REFERENCES deliveries(id) ON DELETE CASCADE, subscription_id TEXT NOT NULL,"
                      " number INTEGER NOT NULL, started_at INTEGER NOT NULL, duration_ms INTEGER"
                      " NOT NULL, http_status INTEGER NOT NULL, error_code INTEGER NOT NULL, error"
                      " TEXT, response BLOB)");
    wh_sqlite_exec(p, "INSERT INTO attempts_v1 SELECT seq, delivery_id, subscription_id, number,"
                      " started_at, duration_ms, http_status, error_code, error, response FROM"
                      " attempts");
    wh_sqlite_exec(p, "DROP TABLE attempts");
    wh_sqlite_exec(p, "ALTER TABLE attempts_v1 RENAME TO attempts");
    wh_sqlite_exec(p, "CREATE INDEX attempts_by_delivery ON attempts(delivery_id, started_at)");
    wh_sqlite_exec(p, "CREATE INDEX attempts_by_subscription ON attempts(subscription_id,"
                      " started_at)");
    wh_sqlite_exec(p, "CREATE INDEX attempts_by_started ON attempts(started_at)");
    wh_sqlite_exec(p, "UPDATE deliveries SET status = 1, lease_until = (SELECT until FROM leases l"
                      " WHERE l.seq = deliveries.seq), due_at = (SELECT until FROM leases l"
                      " WHERE l.seq = deliveries.seq) WHERE seq IN (SELECT seq FROM leases)");
    wh_sqlite_exec(p, "DROP TABLE leases");
    wh_sqlite_exec(p, "CREATE INDEX deliveries_by_status ON deliveries(status, updated_at)");
    wh_sqlite_exec(p, "PRAGMA user_version = 1");
}

static int count_delivery(const wh_delivery *d, void *user_data)
{
    (void)d;
    ++*(int *)user_data;
    return 0;
}

typedef struct sc_attempts_view {
    int http_status;
    wh_time_ms started_at;
} sc_attempts_view;

static int keep_attempt(const wh_attempt *a, void *user_data)
{
    sc_attempts_view *v = user_data;
    v->http_status = a->http_status;
    v->started_at = a->started_at;
    return 0;
}

static void test_version_1_file_is_upgraded(void **state)
{
    (void)state;
    path p = path_of("v1.db");
    make_db(p.v);
    wh_store *s = NULL;
    WH_ASSERT_OK(wh_store_sqlite_open(&s, p.v)); /* "d" in flight until 500, "e" pending */
    wh_sc_put_delivery(s, "e", "s", 1, 400);
    wh_lease_request req = {10, 500, 1, 0, NULL, 0};
    WH_ASSERT_OK(s->lease(s, &req, wh_sc_ignore_delivery, NULL));
    wh_sc_put_delivery(s, "f", "s", 2, 2000); /* "f" was attempted once */
    WH_ASSERT_OK(wh_sc_record(s, "f", 1, 300, 503, WH_DELIVERY_PENDING, 2000, NULL));
    wh_store_free(s);
    downgrade_to_v1(p.v);
    assert_int_equal(wh_sqlite_int(p.v, "SELECT count(*) FROM deliveries WHERE status = 1"), 1);
    /* a read-only store never upgrades a file */
    assert_int_equal(wh_test_sqlite_open(&s, p.v, WH_TEST_SQLITE_READ_ONLY), WH_EREADONLY);
    assert_int_equal(wh_sqlite_int(p.v, "PRAGMA user_version"), 1);
    WH_ASSERT_OK(wh_store_sqlite_open(&s, p.v));
    assert_int_equal(wh_sqlite_int(p.v, "PRAGMA user_version"), WHI_SQ_SCHEMA_VERSION);
    assert_int_equal(wh_sqlite_int(p.v, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                        "('deliveries_by_status', 'attempts_by_started')"),
                     0);
    assert_int_equal(wh_sqlite_int(p.v, "SELECT count(*) FROM sqlite_master WHERE name ="
                                        " 'deliveries_due_by_subscription'"),
                     1);
    /* the lease moved to its table: still in flight until 500, then due again */
    wh_delivery d;
    wh_sc_get(s, "d", &d);
    assert_int_equal(d.status, WH_DELIVERY_IN_FLIGHT);
    assert_int_equal(d.lease_until, 500);
    /* the url, headers and body moved to payloads, and only there */
    assert_string_equal(d.url, "https://example.com/hooks");
    assert_string_equal(d.headers, "{}");
    assert_int_equal(d.body_len, 7);
    assert_memory_equal(d.body, "{\"a\":1}", 7);
    wh_delivery_clear(&d);
    assert_int_equal(wh_sqlite_int(p.v, "SELECT count(*) FROM deliveries WHERE body IS NOT NULL"),
                     0);
    /* the attempt now names its delivery by seq, and goes with it */
    size_t total = 0;
    sc_attempts_view list = {0};
    WH_ASSERT_OK(s->attempt_list(s, "f", NULL, 0, 1, &total, keep_attempt, &list));
    assert_int_equal(total, 1);
    assert_int_equal(list.http_status, 503);
    assert_int_equal(list.started_at, 300);
    assert_int_equal(wh_sc_status(s, "e"), WH_DELIVERY_PENDING);
    wh_time_ms at = 0;
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 400);
    int n = 0;
    req = (wh_lease_request){450, 900, 5, 0, NULL, 0};
    WH_ASSERT_OK(s->lease(s, &req, count_delivery, &n));
    assert_int_equal(n, 1); /* "e"; "d" is still leased */
    req.now = 600;
    WH_ASSERT_OK(s->lease(s, &req, count_delivery, &n));
    assert_int_equal(n, 2); /* "d": its lease expired at 500 */
    wh_store_free(s);
    wh_sqlite_assert_intact(p.v);
}

static void test_garbage_is_refused(void **state)
{
    (void)state;
    char junk[8192];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)("not a database "[i % 15] ^ (i & 7));
    size_t sizes[] = {sizeof(junk), 100, 1};
    for (size_t k = 0; k < 3; k++) {
        path p = path_of("garbage.db");
        write_file(p.v, junk, sizes[k]);
        assert_refused(p.v, WH_ECORRUPT, "not a database");
        path wal = suffixed(&p, "-wal"), shm = suffixed(&p, "-shm");
        assert_false(wh_file_exists(wal.v));
        assert_false(wh_file_exists(shm.v));
        unlink(p.v);
    }
}

static void test_damaged_database_is_reported(void **state)
{
    (void)state;
    path p = path_of("damaged.db");
    make_db(p.v);
    size_t len;
    char *bytes = wh_file_read(p.v, &len);
    assert_non_null(bytes);
    assert_true(len >= 4096 * 3);
    memset(bytes + 4096, 0x5a, len - 4096); /* keep the header, wreck every other page */
    write_file(p.v, bytes, len);
    free(bytes);
    wh_store *s = NULL;
    int rc = wh_store_sqlite_open(&s, p.v);
    if (rc == WH_OK) { /* the header alone may pass the checks at open: reads must fail */
        wh_subscription *sub = NULL;
        rc = s->sub_get(s, "s", &sub);
        wh_store_free(s);
    }
    assert_int_equal(rc, WH_ECORRUPT);
}

static void test_other_applications_database_is_refused(void **state)
{
    (void)state;
    path p = path_of("foreign.db");
    wh_sqlite_exec(p.v, "CREATE TABLE notes(x); INSERT INTO notes VALUES('mine')");
    assert_refused(p.v, WH_ECORRUPT, "another application");
    wh_sqlite_exec(p.v, "PRAGMA application_id = 42");
    assert_refused(p.v, WH_ECORRUPT, "42");
    wh_sqlite_assert_intact(p.v);
}

static void test_empty_file_gets_the_schema(void **state)
{
    (void)state;
    path p = path_of("empty.db");
    write_file(p.v, "", 0);
    wh_store *s;
    assert_int_equal(wh_test_sqlite_open(&s, p.v, WH_TEST_SQLITE_READ_ONLY), WH_EREADONLY);
    assert_non_null(strstr(wh_error_last()->message, "read-only"));
    WH_ASSERT_OK(wh_store_sqlite_open(&s, p.v));
    wh_sc_put_sub(s, "s", "owner", 1);
    wh_sc_put_delivery(s, "d", "s", 1, 10);
    wh_store_free(s);
    assert_db_intact(p.v);
}

static int never(const wh_delivery *d, void *user_data)
{
    (void)d;
    (void)user_data;
    fail_msg("a read-only store leased something");
    return 1;
}

/* Every write member of a read-only store fails with WH_EREADONLY. */
static void assert_writes_refused(wh_store *s)
{
    wh_subscription *sub = wh_sc_sub("new", NULL, 5), *out = NULL;
    wh_delivery d = wh_sc_delivery("d2", "s", 1, 1);
    const wh_delivery *batch[] = {&d};
    wh_sub_stats st = {1, 200, 0, 0, 0, NULL};
    wh_lease_request req = {100, 200, 5, 0, NULL, 0};
    size_t n;
    assert_int_equal(s->sub_create(s, sub), WH_EREADONLY);
    assert_non_null(strstr(wh_error_last()->message, "read-only"));
    WH_ASSERT_OK(wh_subscription_set_id(sub, "s"));
    assert_int_equal(s->sub_replace(s, sub), WH_EREADONLY);
    assert_int_equal(s->sub_patch(s, "s", "{\"name\":\"x\"}", 12, &out), WH_EREADONLY);
    assert_null(out);
    assert_int_equal(s->sub_delete(s, "s"), WH_EREADONLY);
    assert_int_equal(s->sub_update_stats(s, "s", &st), WH_EREADONLY);
    assert_int_equal(s->enqueue(s, batch, 1), WH_EREADONLY);
    assert_int_equal(s->lease(s, &req, never, NULL), WH_EREADONLY);
    assert_int_equal(s->release(s, "d"), WH_EREADONLY);
    assert_int_equal(s->recover(s, &n), WH_EREADONLY);
    assert_int_equal(wh_sc_record(s, "d", 1, 1, 200, WH_DELIVERY_SUCCEEDED, 0, NULL), WH_EREADONLY);
    assert_int_equal(s->replay(s, "d", 5), WH_EREADONLY);
    assert_int_equal(s->replay_since(s, "s", 0, 5, &n), WH_EREADONLY);
    assert_int_equal(s->purge(s, INT64_MAX, &n), WH_EREADONLY);
    wh_attempt a = {WH_ATTEMPT_VERSION, "d", NULL, 1, 1, 1, 200, 0, NULL, NULL, 0};
    wh_outcome o = {WH_DELIVERY_SUCCEEDED, 0, NULL, NULL};
    const wh_attempt *as[] = {&a};
    const wh_outcome *os[] = {&o};
    n = 9;
    assert_int_equal(s->record_batch(s, as, os, 1, &n), WH_EREADONLY);
    assert_int_equal(n, 0);
    wh_subscription_free(sub);
}

static void test_read_only_file(void **state)
{
    (void)state;
    path p = path_of("ro.db");
    make_db(p.v);
    assert_int_equal(chmod(p.v, 0400), 0);
    wh_store *s;
    WH_ASSERT_OK(wh_test_sqlite_open(&s, p.v, WH_TEST_SQLITE_READ_ONLY));
    uint64_t changes = s->sub_changes(s);
    assert_writes_refused(s);
    assert_true(s->sub_changes(s) == changes);
    wh_time_ms at;
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 10);
    wh_store_free(s);
    if (geteuid() != 0) { /* as root, file permissions do not stop writes */
        WH_ASSERT_OK(wh_store_sqlite_open(&s, p.v));
        assert_writes_refused(s);
        wh_store_free(s);
    }
    assert_int_equal(chmod(p.v, 0600), 0);
    assert_db_intact(p.v);
    path missing = path_of("missing.db");
    assert_int_equal(wh_test_sqlite_open(&s, missing.v, WH_TEST_SQLITE_READ_ONLY), WH_ENOTFOUND);
    assert_false(wh_file_exists(missing.v));
}

static void test_full_disk(void **state)
{
    (void)state;
    path p = path_of("full.db");
    make_db(p.v);
    wh_sqlite_options *o;
    WH_ASSERT_OK(wh_sqlite_options_new(&o));
    WH_ASSERT_OK(wh_sqlite_options_set_max_page_count(o, 48)); /* 192 KiB */
    wh_store *s;
    WH_ASSERT_OK(wh_store_sqlite_new(&s, p.v, o));
    wh_sqlite_options_free(o);
    static char body[3000];
    memset(body, 'b', sizeof(body));
    char ids[5][32];
    int rc = WH_OK, batches = 0;
    for (; batches < 1000; batches++) {
        wh_delivery d[5];
        const wh_delivery *batch[5];
        for (int k = 0; k < 5; k++) {
            snprintf(ids[k], sizeof(ids[k]), "f%d-%d", batches, k);
            d[k] = wh_sc_delivery(ids[k], "s", 2, 20);
            d[k].body = body;
            d[k].body_len = sizeof(body);
            batch[k] = &d[k];
        }
        if ((rc = s->enqueue(s, batch, 5)) != WH_OK) break;
    }
    assert_int_equal(rc, WH_EFULL);
    assert_non_null(strstr(wh_error_last()->message, "full"));
    assert_true(batches > 0);
    assert_int_equal(wh_sc_status(s, ids[0]), -1); /* the failed batch left nothing */
    assert_int_equal(wh_sc_count_deliveries(s), 1 + 5 * (size_t)batches);
    wh_subscription *sub = wh_sc_sub("big", NULL, 3);
    char *template = malloc(200 * 1024); /* more than the whole file may hold */
    assert_non_null(template);
    memset(template, 't', 200 * 1024 - 1);
    template[200 * 1024 - 1] = '\0';
    WH_ASSERT_OK(wh_subscription_set_body(sub, template));
    free(template);
    uint64_t changes = s->sub_changes(s);
    assert_int_equal(s->sub_create(s, sub), WH_EFULL);
    assert_true(s->sub_changes(s) == changes);
    wh_subscription_free(sub);
    wh_subscription *got = NULL;
    assert_int_equal(s->sub_get(s, "big", &got), WH_ENOTFOUND);
    rc = wh_sc_record(s, "d", 1, 30, 200, WH_DELIVERY_SUCCEEDED, 0, NULL);
    assert_true(rc == WH_OK || rc == WH_EFULL); /* all of it, or nothing */
    assert_int_equal(wh_sc_status(s, "d"),
                     rc == WH_OK ? WH_DELIVERY_SUCCEEDED : WH_DELIVERY_PENDING);
    wh_store_free(s);
    wh_sqlite_assert_intact(p.v);
    WH_ASSERT_OK(wh_store_sqlite_open(&s, p.v)); /* room again: writes work */
    wh_sc_put_delivery(s, "after", "s", 3, 30);
    assert_int_equal(wh_sc_count_deliveries(s), 2 + 5 * (size_t)batches);
    wh_store_free(s);
    wh_sqlite_assert_intact(p.v);
}

static void test_locked_by_another_process(void **state)
{
    (void)state;
    path p = path_of("busy.db");
    make_db(p.v);
    wh_sqlite_options *o;
    WH_ASSERT_OK(wh_sqlite_options_new(&o));
    WH_ASSERT_OK(wh_sqlite_options_set_busy_timeout_ms(o, 0));
    wh_store *s;
    WH_ASSERT_OK(wh_store_sqlite_new(&s, p.v, o));
    wh_sqlite_options_free(o);
    sqlite3 *other; /* another process's connection, holding the write lock */
    assert_int_equal(sqlite3_open(p.v, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    wh_subscription *sub = wh_sc_sub("late", NULL, 2);
    assert_int_equal(s->sub_create(s, sub), WH_EBUSY);
    assert_non_null(strstr(wh_error_last()->message, "locked"));
    assert_int_equal(wh_sc_status(s, "d"), WH_DELIVERY_PENDING); /* readers are not blocked */
    assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    WH_ASSERT_OK(s->sub_create(s, sub));
    wh_subscription_free(sub);
    wh_store_free(s);
    wh_sqlite_assert_intact(p.v);
}

/* ---- a writer killed with SIGKILL ---- */

/* The child: enqueue batches of 10 forever, reporting each committed batch number. */
static void child_writer(const char *p, int fd)
{
    wh_store *s;
    if (wh_store_sqlite_open(&s, p) != WH_OK) _exit(2);
    for (int i = 0; i < 100000; i++) {
        char ids[10][32];
        wh_delivery d[10];
        const wh_delivery *batch[10];
        for (int k = 0; k < 10; k++) {
            snprintf(ids[k], sizeof(ids[k]), "k%d-%d", i, k);
            d[k] = wh_sc_delivery(ids[k], "s", i, i);
            batch[k] = &d[k];
        }
        if (s->enqueue(s, batch, 10) != WH_OK || write(fd, &i, sizeof(i)) != sizeof(i)) _exit(3);
    }
    _exit(0);
}

/* Read committed batch numbers until want of them arrived or 10 s passed; returns the last. */
static int read_progress(int fd, int want)
{
    int last = -1, got = 0;
    for (int waited = 0; got < want && waited < 10000;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0) {
            waited += 100;
            continue;
        }
        int n;
        if (read(fd, &n, sizeof(n)) != sizeof(n)) break;
        last = n;
        got++;
    }
    return last;
}

static void test_killed_writer_loses_nothing(void **state)
{
    (void)state;
    path p = path_of("killed.db");
    make_db(p.v);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_writer(p.v, fds[1]);
    }
    close(fds[1]);
    int last = read_progress(fds[0], 150);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    assert_true(last >= 0);
    wh_sqlite_assert_intact(p.v);
    wh_store *s;
    WH_ASSERT_OK(wh_store_sqlite_open(&s, p.v));
    char id[32];
    for (int i = 0; i <= last; i++) {
        snprintf(id, sizeof(id), "k%d-9", i);
        assert_int_equal(wh_sc_status(s, id), WH_DELIVERY_PENDING);
    }
    size_t n = wh_sc_count_deliveries(s) - 1;
    assert_int_equal(n % 10, 0); /* whole batches only */
    assert_true(n >= (size_t)(last + 1) * 10);
    wh_store_free(s);
}

int main(void)
{
    wh_tmpdir_new(g_dir, sizeof(g_dir));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newer_schema_is_refused),
        cmocka_unit_test(test_version_1_file_is_upgraded),
        cmocka_unit_test(test_garbage_is_refused),
        cmocka_unit_test(test_damaged_database_is_reported),
        cmocka_unit_test(test_other_applications_database_is_refused),
        cmocka_unit_test(test_empty_file_gets_the_schema),
        cmocka_unit_test(test_read_only_file),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_locked_by_another_process),
        cmocka_unit_test(test_killed_writer_loses_nothing),
    };
    int failed = cmocka_run_group_tests_name("store_sqlite_files", tests, NULL, NULL);
    wh_tmpdir_remove(g_dir);
    return failed ? 1 : 0;
}
