/*
 * Differential test: the same seeded random sequence of operations (subscriptions created and
 * deleted, batches enqueued with duplicate and unknown ids, leases with limits and exclusions,
 * releases, records of every outcome, replays, recovers, purges) is applied to the memory store
 * and to the SQLite store. Every call must return the same code, every lease must hand out the
 * same deliveries in the same order, and the whole visible state (deliveries, attempts,
 * subscription stats) must be identical at checkpoints.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <webhooks/conformance.h>
#include "store_limits.h"
#include "wh_test.h"
#include "wh_test_files.h"

#define OPS  1500
#define SUBS 6

static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;
static char g_last_op[96]; /* what the last operation was, for the failure report */

static uint32_t rnd(uint32_t n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng % n);
}

static const char *sub_id(uint32_t i)
{
    static const char *ids[SUBS] = {"s0", "s1", "s2", "s3", "s4", "s5"};
    return ids[i % SUBS];
}

/* A text rendering of everything a caller can see, to compare the two stores. */
typedef struct dump {
    char *text;
    size_t len, cap;
} dump;

static void put(dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(dump *d, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(line));
    if (d->len + (size_t)n + 1 > d->cap) {
        d->cap = (d->cap + (size_t)n + 1) * 2;
        d->text = realloc(d->text, d->cap);
        assert_non_null(d->text);
    }
    memcpy(d->text + d->len, line, (size_t)n + 1);
    d->len += (size_t)n;
}

static int dump_delivery(const wh_delivery *x, void *ud)
{
    put(ud, "D %s %s %d %u %lld %lld %lld %d %s\n", x->id, x->subscription_id, (int)x->status,
        x->attempts, (long long)x->next_attempt_at, (long long)x->lease_until,
        (long long)x->updated_at, x->last_status, x->last_error ? x->last_error : "-");
    return 0;
}

static int dump_attempt(const wh_attempt *a, void *ud)
{
    put(ud, "A %s %u %lld %d\n", a->delivery_id, a->number, (long long)a->started_at,
        a->http_status);
    return 0;
}

static int dump_sub(const wh_subscription *s, void *ud)
{
    put(ud, "S %s %d %lld %d %u %s\n", wh_subscription_id(s), (int)wh_subscription_status(s),
        (long long)wh_subscription_last_delivery_at(s), wh_subscription_last_delivery_status(s),
        wh_subscription_failure_count(s),
        wh_subscription_disabled_reason(s) ? wh_subscription_disabled_reason(s) : "-");
    return 0;
}

static char *state_of(wh_store *s)
{
    dump d = {NULL, 0, 0};
    put(&d, "%s", "state\n");
    WH_ASSERT_OK(s->sub_list(s, NULL, 0, 1, NULL, dump_sub, &d));
    WH_ASSERT_OK(s->delivery_list(s, NULL, NULL, dump_delivery, &d));
    for (uint32_t i = 0; i < SUBS; i++)
        WH_ASSERT_OK(s->attempt_list(s, NULL, sub_id(i), 0, 1, NULL, dump_attempt, &d));
    wh_time_ms at = -1;
    int rc = s->next_due(s, &at);
    put(&d, "N %d %lld\n", rc, (long long)at);
    return d.text;
}

typedef struct op_ctx {
    wh_store *s[2];
    wh_time_ms now;
    int next_delivery;
    int last_rc;             /* what the last BOTH call returned */
    size_t leased, recorded; /* how much the run did, to be sure it did something */
    char recent[16][32];     /* the last lease's deliveries, which a worker would record */
    size_t nrecent;
} op_ctx;

/* Run the same call on both stores and compare what they return. The call is evaluated once
 * per store, so it must not draw random numbers itself. */
#define BOTH(c, call)                                                                              \
    do {                                                                                           \
        wh_store *s_ = (c)->s[0];                                                                  \
        int rc0_ = (call);                                                                         \
        s_ = (c)->s[1];                                                                            \
        int rc1_ = (call);                                                                         \
        if (rc0_ != rc1_)                                                                          \
            print_error("%s: memory %d, sqlite %d (%s)\n", #call, rc0_, rc1_,                      \
                        wh_error_last()->message);                                                 \
        assert_int_equal(rc0_, rc1_);                                                              \
        (c)->last_rc = rc0_;                                                                       \
    } while (0)

static void op_sub(op_ctx *c)
{
    const char *id = sub_id(rnd(SUBS));
    if (rnd(4) == 0) {
        BOTH(c, s_->sub_delete(s_, id));
        return;
    }
    wh_subscription *sub = wh_sc_sub(id, rnd(2) ? "o1" : "o2", c->now);
    BOTH(c, s_->sub_create(s_, sub));
    wh_subscription_free(sub);
}

static void op_enqueue(op_ctx *c)
{
    char ids[4][32];
    wh_delivery d[4];
    const wh_delivery *batch[4];
    size_t n = 1 + rnd(4);
    for (size_t i = 0; i < n; i++) {
        int num = rnd(10) == 0 && c->next_delivery ? (int)rnd((uint32_t)c->next_delivery)
                                                   : c->next_delivery++;
        snprintf(ids[i], sizeof(ids[i]), "d%d", num); /* sometimes a duplicate */
        d[i] = wh_sc_delivery(ids[i], sub_id(rnd(SUBS)), c->now, c->now + rnd(50));
        d[i].status = rnd(20) == 0 ? WH_DELIVERY_FAILED : WH_DELIVERY_PENDING;
        batch[i] = &d[i];
    }
    BOTH(c, s_->enqueue(s_, batch, n));
}

typedef struct taken {
    char id[16][32];
    size_t n;
} taken;

static int take(const wh_delivery *d, void *ud)
{
    taken *t = ud;
    snprintf(t->id[t->n++], 32, "%s", d->id);
    return t->n >= 16;
}

static void op_lease(op_ctx *c)
{
    const char *excl[] = {sub_id(rnd(SUBS))};
    wh_lease_request req = {c->now, c->now + 1 + rnd(40), 1 + rnd(6), rnd(3), excl, rnd(2)};
    taken t[2] = {{.n = 0}, {.n = 0}};
    for (int i = 0; i < 2; i++)
        WH_ASSERT_OK(c->s[i]->lease(c->s[i], &req, take, &t[i]));
    assert_int_equal(t[0].n, t[1].n);
    for (size_t i = 0; i < t[0].n; i++)
        assert_string_equal(t[0].id[i], t[1].id[i]);
    c->leased += t[0].n;
    if (t[0].n) memcpy(c->recent, t[0].id, sizeof(c->recent));
    if (t[0].n) c->nrecent = t[0].n;
}

static void op_record(op_ctx *c, const char *id)
{
    if (c->nrecent && rnd(4)) id = c->recent[rnd((uint32_t)c->nrecent)];
    wh_delivery_status st = (wh_delivery_status)(rnd(3) == 0 ? 0 : 2 + rnd(2));
    wh_sub_stats stats = {c->now, 500, rnd(5), c->now, rnd(10) == 0, "too many failures"};
    /* Draw every random value once: BOTH evaluates the call once per store. */
    uint32_t number = 1 + rnd(5);
    wh_time_ms started = c->now - rnd(20), next = c->now + rnd(30);
    int http = rnd(2) ? 200 : 503;
    const wh_sub_stats *with = rnd(2) ? &stats : NULL;
    BOTH(c, wh_sc_record(s_, id, number, started, http, st, next, with));
    c->recorded += c->last_rc == WH_OK;
}

static void one_op(op_ctx *c)
{
    char id[32];
    snprintf(id, sizeof(id), "d%u", c->next_delivery ? rnd((uint32_t)c->next_delivery + 2) : 0);
    size_t n0 = 0, n1 = 0;
    uint32_t kind = rnd(12);
    snprintf(g_last_op, sizeof(g_last_op), "kind %u, id %s", kind, id);
    switch (kind) {
    case 0:
        op_sub(c);
        break;
    case 1:
    case 2:
    case 3:
        op_enqueue(c);
        break;
    case 4:
    case 5:
        op_lease(c);
        break;
    case 6:
    case 7:
        op_record(c, id);
        break;
    case 8:
        BOTH(c, s_->release(s_, id));
        break;
    case 9:
        BOTH(c, s_->replay(s_, id, c->now));
        break;
    case 10:
        assert_int_equal(c->s[0]->replay_since(c->s[0], sub_id(0), c->now - 100, c->now, &n0),
                         c->s[1]->replay_since(c->s[1], sub_id(0), c->now - 100, c->now, &n1));
        assert_int_equal(n0, n1);
        break;
    default:
        if (rnd(2)) {
            BOTH(c, s_->recover(s_, &n0));
        } else {
            WH_ASSERT_OK(c->s[0]->purge(c->s[0], c->now - 200, &n0));
            WH_ASSERT_OK(c->s[1]->purge(c->s[1], c->now - 200, &n1));
            assert_int_equal(n0, n1);
        }
    }
}

/* Print the first line where the two states differ (cmocka cuts long strings). */
static void report_difference(const char *a, const char *b, int op)
{
    size_t line = 0, i = 0;
    for (; a[i] && a[i] == b[i]; i++)
        line += a[i] == '\n';
    if (!a[i] && !b[i]) return;
    while (i > 0 && a[i - 1] != '\n')
        i--;
    print_error("after op %d (%s), line %zu differs:\nmemory: %.300s\nsqlite: %.300s\n", op,
                g_last_op, line, a + i, b + i);
}

static void test_memory_and_sqlite_agree(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX + 16];
    wh_tmpdir_new(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/diff.db", dir);
    const char *seed = getenv("WH_DIFF_SEED"); /* to explore other sequences by hand */
    if (seed) g_rng = strtoull(seed, NULL, 10) * 0x9e3779b97f4a7c15ULL + 1;
    op_ctx c = {.s = {NULL, NULL}, .now = 1000};
    WH_ASSERT_OK(wh_store_memory_new(&c.s[0]));
    WH_ASSERT_OK(wh_test_sqlite_open(&c.s[1], path, WH_TEST_SQLITE_SYNC_NORMAL));
    for (int i = 0; i < OPS; i++) {
        c.now += rnd(8);
        one_op(&c);
        if (getenv("WH_DIFF_EVERY") || i % 100 == 99 || i == OPS - 1) {
            char *a = state_of(c.s[0]), *b = state_of(c.s[1]);
            report_difference(a, b, i);
            assert_string_equal(a, b);
            free(a);
            free(b);
        }
    }
    assert_true(c.leased > 100 && c.recorded > 50); /* the run exercised the queue */
    wh_store_free(c.s[0]);
    wh_store_free(c.s[1]);
    wh_sqlite_assert_intact(path);
    wh_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_memory_and_sqlite_agree)};
    return cmocka_run_group_tests_name("store_differential", tests, NULL, NULL);
}
