/*
 * What a lease costs behind a long queue (issue 21: a dead or slow endpoint must not hold the
 * others back). Subscription A has 5 000 due deliveries, B one due after all of them; a lease
 * of 64 with at most 8 per subscription takes 8 of A's and B's. Before, both stores stepped
 * over every one of A's: the memory store popped and pushed back 5 000 deliveries, the SQLite
 * store read 5 000 rows of its due index, every round of the hub. The work is counted, not
 * timed: the memory store's count of what its leases looked at, SQLite's count of virtual
 * machine steps of the lease's statements.
 */
#include <stdio.h>

#include "memory_impl.h"
#include "sqlite_impl.h"
#include "wh_test.h"
#include "wh_test_files.h"

#define QUEUED 5000

static void fill(wh_store *s)
{
    wh_sc_put_sub(s, "A", NULL, 1);
    wh_sc_put_sub(s, "B", NULL, 1);
    for (int i = 0; i < QUEUED; i++) {
        char id[16];
        snprintf(id, sizeof(id), "a%05d", i);
        wh_sc_put_delivery(s, id, "A", 1, 100 + i);
    }
    wh_sc_put_delivery(s, "b", "B", 1, 100 + QUEUED);
}

typedef struct taken {
    size_t a, b;
} taken;

static int count_taken(const wh_delivery *d, void *ud)
{
    taken *t = ud;
    t->a += d->subscription_id[0] == 'A';
    t->b += d->subscription_id[0] == 'B';
    return 0;
}

static taken lease(wh_store *s)
{
    wh_lease_request req = {100000, 200000, 64, 8, NULL, 0};
    taken t = {0, 0};
    WH_ASSERT_OK(s->lease(s, &req, count_taken, &t));
    return t;
}

static void test_memory_sets_a_full_queue_aside(void **state)
{
    (void)state;
    wh_store *s;
    WH_ASSERT_OK(wh_store_memory_new(&s));
    fill(s);
    mem_store *m = mem_of(s);
    uint64_t before = m->lease_looks;
    taken t = lease(s);
    assert_int_equal(t.a, 8);
    assert_int_equal(t.b, 1);
    uint64_t looks = m->lease_looks - before;
    printf("# memory: a lease looked at %llu deliveries and queues\n", (unsigned long long)looks);
    assert_true(looks <= 8 + 1 + 1); /* A's 8, A set aside, B's one */
    wh_store_free(s);
}

static long steps(sq_store *q, sq_stmt_id id)
{
    return (long)sqlite3_stmt_status(q->st[id], SQLITE_STMTSTATUS_VM_STEP, 1);
}

static void test_sqlite_goes_by_subscription(void **state)
{
    (void)state;
    char dir[512], path[600];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/cost.db", dir);
    wh_store *s;
    WH_ASSERT_OK(wh_test_sqlite_open(&s, path, WH_TEST_SQLITE_SYNC_NORMAL));
    fill(s);
    sq_store *q = sq_of(s);
    const sq_stmt_id ids[] = {SQ_LEASE_SCAN, SQ_LEASE_EXPIRED, SQ_LEASE_NEXT_SUB, SQ_LEASE_SUB};
    for (size_t i = 0; i < 4; i++)
        steps(q, ids[i]);
    taken t = lease(s);
    assert_int_equal(t.a, 8);
    assert_int_equal(t.b, 1);
    long total = 0;
    for (size_t i = 0; i < 4; i++)
        total += steps(q, ids[i]);
    printf("# sqlite: a lease took %ld VM steps (%d queued)\n", total, QUEUED);
    /* Stepping over all of A's 5 000 rows took 75 000. */
    assert_true(total < 20000);
    wh_store_free(s);
    wh_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_sets_a_full_queue_aside),
        cmocka_unit_test(test_sqlite_goes_by_subscription),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
