/*
 * The SQLite store: the conformance suite and the built-in limits on a file per case, then what
 * only a durable store promises: everything survives close and reopen, the file is private
 * (0600), and two handles on one file (as two processes would) see each other's changes.
 */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include <webhooks/conformance.h>
#include "store_limits.h"
#include "wh_test.h"
#include "wh_test_files.h"

static char g_dir[PATH_MAX];
static int g_files;

static void path_in_dir(char *path, size_t size, const char *name)
{
    snprintf(path, size, "%s/%s", g_dir, name);
}

/* A fresh database file per conformance case. */
static int make_sqlite(wh_store **out, void *user_data)
{
    (void)user_data;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/case-%d.db", g_dir, g_files++);
    return wh_store_sqlite_open(out, path);
}

static wh_store *open_store(const char *path)
{
    wh_store *s;
    WH_ASSERT_OK(wh_store_sqlite_open(&s, path));
    return s;
}

static const char SUB_JSON[] =
    "{\"id\":777,\"ownerId\":\"acct\",\"name\":\"n\",\"url\":\"https://example.com/h\","
    "\"events\":[\"a.b\"],\"headers\":{\"X-K\":\"v\"},\"signature\":{\"scheme\":\"stripe\"},"
    "\"secrets\":[\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"],\"previousSecrets\":"
    "[{\"secret\":\"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtMTIzNA==\","
    "\"expiresAt\":\"2030-01-01T00:00:00.001Z\"}],\"metadata\":{\"plan\":\"gold\"},"
    "\"createdAt\":\"2023-03-04T05:06:07.089+05:45\"}";

static char *sub_json(wh_store *s, const char *id)
{
    wh_subscription *sub;
    char *json;
    WH_ASSERT_OK(s->sub_get(s, id, &sub));
    WH_ASSERT_OK(wh_subscription_to_json(sub, WH_JSON_SECRETS, &json, NULL));
    wh_subscription_free(sub);
    return json;
}

static int count_attempts(const wh_attempt *a, void *user_data)
{
    assert_int_equal(a->number, 1);
    assert_int_equal(a->response_len, 2);
    (*(int *)user_data)++;
    return 0;
}

static void test_everything_survives_reopen(void **state)
{
    (void)state;
    char path[PATH_MAX + 32];
    path_in_dir(path, sizeof(path), "durable.db");
    wh_store *s = open_store(path);
    wh_subscription *sub;
    WH_ASSERT_OK(wh_subscription_from_json(&sub, SUB_JSON, strlen(SUB_JSON)));
    WH_ASSERT_OK(wh_subscription_set_stats(sub, 123456, 503, 7, 120000));
    WH_ASSERT_OK(s->sub_create(s, sub));
    wh_subscription_free(sub);
    wh_sc_put_delivery(s, "d1", "777", 10, 20);
    wh_sc_put_delivery(s, "d2", "777", 11, 21);
    WH_ASSERT_OK(wh_sc_record(s, "d1", 1, 30, 500, WH_DELIVERY_PENDING, 90, NULL));
    char *before = sub_json(s, "777");
    uint64_t changes = s->sub_changes(s);
    wh_delivery d1_before;
    wh_sc_get(s, "d1", &d1_before);
    wh_store_free(s);

    s = open_store(path);
    char *after = sub_json(s, "777");
    assert_string_equal(before, after);
    assert_non_null(strstr(after, "\"lastDeliveryStatus\":503"));
    assert_true(s->sub_changes(s) == changes);
    wh_delivery d1;
    wh_sc_get(s, "d1", &d1);
    assert_string_equal(d1.id, d1_before.id);
    assert_int_equal(d1.status, WH_DELIVERY_PENDING);
    assert_int_equal(d1.next_attempt_at, 90);
    assert_int_equal(d1.attempts, 1);
    assert_string_equal(d1.last_error, "failed");
    assert_int_equal(d1.body_len, d1_before.body_len);
    assert_memory_equal(d1.body, d1_before.body, d1.body_len);
    int n = 0;
    WH_ASSERT_OK(s->attempt_list(s, "d1", NULL, 0, 1, NULL, count_attempts, &n));
    assert_int_equal(n, 1);
    wh_time_ms at;
    WH_ASSERT_OK(s->next_due(s, &at));
    assert_int_equal(at, 21);
    wh_delivery_clear(&d1);
    wh_delivery_clear(&d1_before);
    wh_free(before);
    wh_free(after);
    wh_store_free(s);
    wh_sqlite_assert_intact(path);
}

static int drop(const wh_delivery *d, void *ud)
{
    (void)d;
    (void)ud;
    return 0;
}

static void test_lease_survives_reopen(void **state)
{
    (void)state;
    char path[PATH_MAX + 32];
    path_in_dir(path, sizeof(path), "leased.db");
    wh_store *s = open_store(path);
    wh_sc_put_sub(s, "s", NULL, 1);
    wh_sc_put_delivery(s, "x", "s", 1, 1);
    wh_lease_request req = {10, 500, 5, 0, NULL, 0};
    WH_ASSERT_OK(s->lease(s, &req, drop, NULL));
    wh_store_free(s); /* a worker that stops without recording */
    s = open_store(path);
    wh_delivery d;
    wh_sc_get(s, "x", &d);
    assert_int_equal(d.status, WH_DELIVERY_IN_FLIGHT);
    assert_int_equal(d.lease_until, 500);
    wh_delivery_clear(&d);
    size_t n = 0;
    WH_ASSERT_OK(s->recover(s, &n));
    assert_int_equal(n, 1);
    wh_store_free(s);
    wh_sqlite_assert_intact(path);
}

static int drop_delivery(const wh_delivery *d, void *user_data)
{
    (void)d;
    (void)user_data;
    return 0;
}

/* A lease goes with its delivery (here through the subscription's cascade), so a later delivery
 * that reuses the row number is not born in flight. */
static void test_leases_go_with_their_deliveries(void **state)
{
    (void)state;
    char path[PATH_MAX + 32];
    path_in_dir(path, sizeof(path), "cascade.db");
    wh_store *s = open_store(path);
    wh_sc_put_sub(s, "gone", NULL, 1);
    wh_sc_put_delivery(s, "g1", "gone", 1, 1);
    wh_sc_put_delivery(s, "g2", "gone", 1, 1);
    wh_lease_request req = {10, 5000, 5, 0, NULL, 0};
    WH_ASSERT_OK(s->lease(s, &req, drop_delivery, NULL));
    assert_int_equal(wh_sc_status(s, "g2"), WH_DELIVERY_IN_FLIGHT);
    WH_ASSERT_OK(s->sub_delete(s, "gone"));
    wh_sc_put_sub(s, "new", NULL, 1);
    wh_sc_put_delivery(s, "n1", "new", 1, 1);
    wh_sc_put_delivery(s, "n2", "new", 1, 1);
    assert_int_equal(wh_sc_status(s, "n1"), WH_DELIVERY_PENDING);
    assert_int_equal(wh_sc_status(s, "n2"), WH_DELIVERY_PENDING);
    size_t n = 99;
    WH_ASSERT_OK(s->recover(s, &n));
    assert_int_equal(n, 0); /* no lease was left behind */
    wh_store_free(s);
    wh_sqlite_assert_intact(path);
}

/* A delivery's payload and attempts live in tables of their own (schemas 5 and 6): deleting its
 * subscription or purging it removes them too. */
static void test_payloads_and_attempts_go_with_their_deliveries(void **state)
{
    (void)state;
    char path[PATH_MAX + 32];
    path_in_dir(path, sizeof(path), "payloads.db");
    wh_store *s = open_store(path);
    wh_sc_put_sub(s, "gone", NULL, 1);
    wh_sc_put_sub(s, "kept", NULL, 1);
    wh_sc_put_delivery(s, "g1", "gone", 1, 1);
    wh_sc_put_delivery(s, "k1", "kept", 1, 1);
    wh_sc_put_delivery(s, "k2", "kept", 1, 1);
    WH_ASSERT_OK(wh_sc_record(s, "g1", 1, 10, 500, WH_DELIVERY_PENDING, 100, NULL));
    WH_ASSERT_OK(wh_sc_record(s, "k1", 1, 10, 200, WH_DELIVERY_SUCCEEDED, 0, NULL));
    assert_int_equal(wh_sqlite_int(path, "SELECT count(*) FROM payloads"), 3);
    WH_ASSERT_OK(s->sub_delete(s, "gone"));
    assert_int_equal(wh_sqlite_int(path, "SELECT count(*) FROM payloads"), 2);
    assert_int_equal(wh_sqlite_int(path, "SELECT count(*) FROM attempts"), 1);
    size_t removed = 0;
    WH_ASSERT_OK(s->purge(s, 1000, &removed)); /* k1 finished at 10 */
    assert_int_equal(removed, 1);
    assert_int_equal(wh_sqlite_int(path, "SELECT count(*) FROM payloads"), 1);
    assert_int_equal(wh_sqlite_int(path, "SELECT count(*) FROM attempts"), 0);
    wh_delivery d;
    wh_sc_get(s, "k2", &d); /* the one left still reads whole */
    assert_string_equal(d.url, "https://example.com/hooks");
    assert_int_equal(d.body_len, 7);
    wh_delivery_clear(&d);
    wh_store_free(s);
    wh_sqlite_assert_intact(path);
}

static void assert_mode_0600(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_file_is_private(void **state)
{
    (void)state;
    char path[PATH_MAX + 32], wal[PATH_MAX + 40];
    path_in_dir(path, sizeof(path), "private.db");
    wh_store *s = open_store(path);
    wh_sc_put_sub(s, "s", NULL, 1);
    assert_mode_0600(path);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    assert_true(wh_file_exists(wal)); /* WAL mode */
    assert_mode_0600(wal);
    wh_store_free(s);
}

/* A file made elsewhere with mode 0644 (as sqlite3 or an older release would) is made private on
 * open, with its -wal and -shm: it holds the webhooks' secrets. */
static void test_existing_open_file_is_made_private(void **state)
{
    (void)state;
    char path[PATH_MAX + 32], wal[PATH_MAX + 40], shm[PATH_MAX + 40];
    path_in_dir(path, sizeof(path), "shared.db");
    snprintf(wal, sizeof(wal), "%s-wal", path);
    snprintf(shm, sizeof(shm), "%s-shm", path);
    wh_store *s = open_store(path);
    wh_sc_put_sub(s, "s", NULL, 1);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(chmod(wal, 0644), 0);
    assert_int_equal(chmod(shm, 0664), 0);
    wh_store *again = open_store(path); /* while the first keeps its -wal and -shm */
    assert_mode_0600(path);
    assert_mode_0600(wal);
    assert_mode_0600(shm);
    wh_store_free(again);
    wh_store_free(s);
}

static int count_leased(const wh_delivery *d, void *user_data)
{
    assert_int_equal(d->status, WH_DELIVERY_IN_FLIGHT);
    (*(int *)user_data)++;
    return 0;
}

static void test_two_handles_share_the_file(void **state)
{
    (void)state;
    char path[PATH_MAX + 32];
    path_in_dir(path, sizeof(path), "shared.db");
    wh_store *a = open_store(path), *b = open_store(path);
    uint64_t c = b->sub_changes(b);
    wh_sc_put_sub(a, "from-a", NULL, 1);
    assert_true(b->sub_changes(b) > c); /* another "process" sees the change */
    wh_sc_put_delivery(a, "da", "from-a", 1, 1);
    wh_sc_put_delivery(b, "db", "from-a", 1, 2);
    assert_int_equal(wh_sc_status(b, "da"), WH_DELIVERY_PENDING);
    wh_lease_request req = {10, 500, 10, 0, NULL, 0};
    int n = 0;
    WH_ASSERT_OK(a->lease(a, &req, count_leased, &n));
    assert_int_equal(n, 2);
    n = 0;
    WH_ASSERT_OK(b->lease(b, &req, count_leased, &n));
    assert_int_equal(n, 0); /* never leased twice, across handles too */
    wh_store_free(a);
    wh_store_free(b);
    wh_sqlite_assert_intact(path);
}

static void test_open_arguments(void **state)
{
    (void)state;
    wh_store *s = (wh_store *)1;
    wh_sqlite_options *o;
    WH_ASSERT_OK(wh_sqlite_options_new(&o));
    assert_int_equal(wh_store_sqlite_new(&s, NULL, o), WH_EINVAL);
    assert_null(s);
    assert_int_equal(wh_store_sqlite_new(&s, "", o), WH_EINVAL);
    assert_int_equal(wh_store_sqlite_new(&s, ":memory:", o), WH_EINVAL);
    assert_int_equal(wh_store_sqlite_new(NULL, "x.db", o), WH_EINVAL);
    /* A bad option is refused by its setter, which leaves the option as it was. */
    assert_int_equal(wh_sqlite_options_set_busy_timeout_ms(o, -1), WH_EINVAL);
    assert_non_null(strstr(wh_error_last_message(), "busy_timeout_ms"));
    assert_int_equal(wh_sqlite_options_set_synchronous(o, (wh_sqlite_sync)7), WH_EINVAL);
    assert_int_equal(wh_sqlite_options_set_busy_timeout_ms(NULL, 1), WH_EINVAL);
    assert_int_equal(wh_sqlite_options_new(NULL), WH_EINVAL);
    wh_sqlite_options_free(o);
    wh_sqlite_options_free(NULL);
    assert_false(wh_file_exists("x.db"));
    char path[PATH_MAX + 32];
    path_in_dir(path, sizeof(path), "no-such-dir/x.db");
    assert_int_equal(wh_store_sqlite_open(&s, path), WH_EIO);
    assert_non_null(strstr(wh_error_last()->message, "no-such-dir"));
    path_in_dir(path, sizeof(path), "normal.db");
    WH_ASSERT_OK(wh_test_sqlite_open(&s, path, WH_TEST_SQLITE_SYNC_NORMAL));
    wh_sc_put_sub(s, "s", NULL, 1);
    wh_store_free(s);
}

int main(void)
{
    wh_tmpdir_new(g_dir, sizeof(g_dir));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_survives_reopen),
        cmocka_unit_test(test_lease_survives_reopen),
        cmocka_unit_test(test_leases_go_with_their_deliveries),
        cmocka_unit_test(test_payloads_and_attempts_go_with_their_deliveries),
        cmocka_unit_test(test_file_is_private),
        cmocka_unit_test(test_existing_open_file_is_made_private),
        cmocka_unit_test(test_two_handles_share_the_file),
        cmocka_unit_test(test_open_arguments),
    };
    int failed = wh_store_conformance_run("store_sqlite", make_sqlite, NULL);
    failed += wh_store_limits_run("store_sqlite_limits", make_sqlite, NULL);
    failed += cmocka_run_group_tests_name("store_sqlite_durable", tests, NULL, NULL);
    wh_tmpdir_remove(g_dir);
    return failed ? 1 : 0;
}
