/*
 * A fleet on one PostgreSQL database (issue 15): four worker processes, each a hub on the same
 * database with shared_queue on and a 2 s lease, and one loopback receiver on 127.0.0.1 run by
 * this process. 5 000 events of four types go to five subscriptions (two of them match each
 * event, one matches none: 10 000 deliveries). Two workers, chosen at random, are each killed
 * with SIGKILL twice at random moments (while they emit and deliver) and restarted at once. At
 * the end:
 * - every accepted event reached every subscription it matches, and no other;
 * - a second arrival of one (event, subscription) pair comes only after the worker that sent the
 *   earlier one was killed (so only for a delivery whose lease expired in a killed worker: a
 *   live worker's lease never ran out under it), with the same webhook-id, x-Idempotency-Key
 *   and body;
 * - the store holds exactly one delivery per pair, all succeeded: nothing in flight or pending.
 *
 * Who emits: the workers. Worker w emits the events n with n % 4 == w, in order, each with the
 * id "evt_<n>", printing "accepted <n>" once wh_hub_emit returned; a restarted worker starts
 * again after the last event its predecessor reported, and an emit answered WH_ECONFLICT is an
 * event the predecessor stored before it could say so (event idempotency keeps it from being
 * queued twice). So kills also land in the middle of emits, which the test's checks cover too:
 * an emit cut by SIGKILL stored all of its deliveries or none. The parent only registers the
 * subscriptions (through a hub of its own, freed before the workers start), listens, kills, and
 * reads the store at the end.
 *
 * Which process sent a request is told by its User-Agent, "fleet-<incarnation>", one per
 * process started. A worker is the same program run as
 * "--child CONNINFO SLOT INCARNATION FIRST_EVENT"; it stops (wh_hub_free, exit 0) when
 * its stdin is closed, once everything is delivered. Bounded: at most BUDGET_MS in all.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pg_server.h"
#include "receiver.h"
#include "wh_test.h"

#define WORKERS           4
#define EVENTS            5000
#define SUBS              5
#define TYPES             4
#define VICTIMS           2
#define KILLS_PER_VICTIM  2
#define MAX_INCARNATIONS  (WORKERS + VICTIMS * KILLS_PER_VICTIM)
#define LEASE_MS          2000
#define BUDGET_MS         100000
#define STOP_WAIT_MS      20000
#define KILL_DELAY_MAX_MS 150

static const char *const TYPE_NAMES[TYPES] = {"order.created", "order.paid", "invoice.created",
                                              "customer.updated"};
/* The subscriptions' event filters, s1..s5. */
static const char *const SUB_EVENTS[SUBS] = {
    "[\"order.*\"]",
    "[\"order.created\",\"invoice.created\"]",
    "[\"invoice.*\",\"customer.*\"]",
    "[\"customer.updated\",\"order.paid\"]",
    "[\"refund.*\"]",
};
/* MATCHES[type][sub]: what the filters above say. */
static const unsigned char MATCHES[TYPES][SUBS] = {
    {1, 1, 0, 0, 0}, /* order.created */
    {1, 0, 0, 1, 0}, /* order.paid */
    {0, 1, 1, 0, 0}, /* invoice.created */
    {0, 0, 1, 1, 0}, /* customer.updated */
};

static int type_of(int n)
{
    return (n / WORKERS) % TYPES;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a worker ---- */

static bool stdin_closed(void)
{
    struct pollfd p = {0, POLLIN, 0};
    return poll(&p, 1, 0) > 0; /* the parent never writes: readable means EOF */
}

static wh_hub *worker_hub(const char *conninfo, const char *incarnation)
{
    wh_store *store;
    if (wh_store_postgres_open(&store, conninfo) != WH_OK) return NULL;
    char ua[64];
    snprintf(ua, sizeof(ua), "fleet-%s", incarnation);
    wh_hub_options *o;
    wh_hub *hub = NULL;
    int rc = wh_hub_options_new(&o);
    if (rc == WH_OK) rc = wh_hub_options_set_store(o, store, 1);
    if (rc == WH_OK) rc = wh_hub_options_set_shared_queue(o, 1);
    if (rc == WH_OK) rc = wh_hub_options_set_lease_ms(o, LEASE_MS);
    if (rc == WH_OK) rc = wh_hub_options_set_max_in_flight(o, 32);
    if (rc == WH_OK) rc = wh_hub_options_set_user_agent(o, ua);
    if (rc == WH_OK) rc = wh_hub_options_allow_cidr(o, "127.0.0.0/8");
    if (rc == WH_OK) rc = wh_hub_new(&hub, o);
    wh_hub_options_free(o);
    if (rc != WH_OK) wh_store_free(store);
    return rc == WH_OK ? hub : NULL;
}

static int worker_emit(wh_hub *hub, int n)
{
    char id[32], data[64];
    snprintf(id, sizeof(id), "evt_%d", n);
    snprintf(data, sizeof(data), "{\"n\":%d}", n);
    wh_event *ev;
    int rc = wh_event_new(&ev, TYPE_NAMES[type_of(n)]);
    if (rc == WH_OK) rc = wh_event_set_id(ev, id);
    if (rc == WH_OK) rc = wh_event_set_data(ev, data, strlen(data));
    if (rc == WH_OK) rc = wh_hub_emit(hub, ev, NULL);
    wh_event_free(ev);
    if (rc != WH_ECONFLICT) return rc;
    /* accepted by a predecessor killed before it could say so */
    printf("conflict %d\n", n);
    return WH_OK;
}

static int worker_main(const char *conninfo, int slot, const char *incarnation, int first)
{
    wh_hub *hub = worker_hub(conninfo, incarnation);
    if (!hub) {
        fprintf(stderr, "worker %s: %s\n", incarnation, wh_error_last()->message);
        return 2;
    }
    for (int n = first; n < EVENTS; n += WORKERS) {
        if (n % WORKERS != slot) return 2;
        if (worker_emit(hub, n) != WH_OK) {
            fprintf(stderr, "worker %s: emit: %s\n", incarnation, wh_error_last()->message);
            return 2;
        }
        printf("accepted %d\n", n);
        fflush(stdout);
        (void)wh_hub_run(hub, 0);
    }
    printf("emitted\n");
    fflush(stdout);
    /* Deliver (its own deliveries and anyone's) until told to stop; the parent's budget bounds
     * this, and the worker dies with the parent (PR_SET_PDEATHSIG). */
    while (!stdin_closed())
        (void)wh_hub_run(hub, 50);
    wh_hub_free(hub);
    return 0;
}

/* ---- the parent ---- */

typedef struct worker {
    int slot;
    int incarnation; /* index into the fleet's incarnations */
    pid_t pid;
    int out, in; /* its stdout (read), its stdin (written: closed to stop it) */
    char partial[64];
    size_t plen;
    bool emitted;
    bool victim;
    int kills;                           /* done so far */
    int kill_at_event[KILLS_PER_VICTIM]; /* kill once this event of its share is accepted */
    int64_t kill_at_ms;                  /* scheduled (0: none) */
} worker;

typedef struct fleet {
    char conninfo[512];
    char base[128];
    wh_receiver *recv;
    worker w[WORKERS];
    int next_event[WORKERS];             /* the first event a new incarnation emits */
    int incarnations;                    /* started so far */
    int64_t killed_at[MAX_INCARNATIONS]; /* mono ms of the SIGKILL, 0 when never killed */
    int kills;
    int conflicts; /* emits a restarted worker found accepted already (WH_ECONFLICT) */
} fleet;

static void spawn(fleet *f, worker *w)
{
    assert_true(f->incarnations < MAX_INCARNATIONS);
    w->incarnation = f->incarnations++;
    int out[2], in[2];
    /* close-on-exec, so no other worker keeps this one's stdin open */
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    char slot[16], inc[16], first[16];
    snprintf(slot, sizeof(slot), "%d", w->slot);
    snprintf(inc, sizeof(inc), "i%d", w->incarnation);
    snprintf(first, sizeof(first), "%d", f->next_event[w->slot]);
    fflush(stdout);
    w->pid = fork();
    assert_true(w->pid >= 0);
    if (w->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
        dup2(out[1], 1);                  /* dup2 clears close-on-exec on 0 and 1 */
        dup2(in[0], 0);
        execl("/proc/self/exe", "test_pg_fleet", "--child", f->conninfo, slot, inc, first,
              (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(in[0]);
    w->out = out[0];
    w->in = in[1];
    w->plen = 0;
    w->emitted = false;
    w->kill_at_ms = 0;
}

/* Lines the worker printed: its progress. false on EOF (it exited or died). */
static bool pump(fleet *f, worker *w)
{
    char buf[4096];
    ssize_t n = read(w->out, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (w->plen < sizeof(w->partial) - 1) w->partial[w->plen++] = buf[i];
            continue;
        }
        w->partial[w->plen] = '\0';
        w->plen = 0;
        int ev;
        if (sscanf(w->partial, "accepted %d", &ev) == 1) {
            assert_int_equal(ev % WORKERS, w->slot);
            if (ev + WORKERS > f->next_event[w->slot]) f->next_event[w->slot] = ev + WORKERS;
        } else if (sscanf(w->partial, "conflict %d", &ev) == 1) {
            f->conflicts++;
        } else if (strcmp(w->partial, "emitted") == 0) {
            w->emitted = true;
        }
    }
    return true;
}

static void kill_and_restart(fleet *f, worker *w)
{
    f->killed_at[w->incarnation] = mono_ms();
    kill(w->pid, SIGKILL);
    int st = 0;
    assert_int_equal(waitpid(w->pid, &st, 0), w->pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    /* what it printed before it died still counts */
    while (pump(f, w)) {
    }
    close(w->out);
    close(w->in);
    w->kills++;
    f->kills++;
    spawn(f, w);
}

/* A victim whose next kill point was reached gets a kill at a random moment soon after. */
static void maybe_kill(fleet *f, worker *w)
{
    if (!w->victim || w->kills >= KILLS_PER_VICTIM) return;
    int64_t now = mono_ms();
    if (!w->kill_at_ms && f->next_event[w->slot] > w->kill_at_event[w->kills])
        w->kill_at_ms = now + rand() % (KILL_DELAY_MAX_MS + 1);
    if (w->kill_at_ms && now >= w->kill_at_ms) kill_and_restart(f, w);
}

static bool all_killed(const fleet *f)
{
    for (int i = 0; i < WORKERS; i++)
        if (f->w[i].victim && f->w[i].kills < KILLS_PER_VICTIM) return false;
    return true;
}

static bool all_emitted(const fleet *f)
{
    for (int i = 0; i < WORKERS; i++)
        if (!f->w[i].emitted) return false;
    return true;
}

static int expected_deliveries(void)
{
    int total = 0;
    for (int n = 0; n < EVENTS; n++)
        for (int s = 0; s < SUBS; s++)
            total += MATCHES[type_of(n)][s];
    return total;
}

static int64_t store_count(const fleet *f, const char *where)
{
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM wh_deliveries %s", where);
    return wh_pg_int(f->conninfo, sql);
}

/* Everything emitted and every delivery succeeded (the parent reads the store itself). */
static bool finished(const fleet *f)
{
    if (!all_emitted(f) || !all_killed(f)) return false;
    return store_count(f, "") == expected_deliveries() && store_count(f, "WHERE status <> 2") == 0;
}

static void register_subscriptions(fleet *f)
{
    wh_store *store;
    WH_ASSERT_OK(wh_store_postgres_open(&store, f->conninfo));
    wh_hub_options *o;
    WH_ASSERT_OK(wh_hub_options_new(&o));
    WH_ASSERT_OK(wh_hub_options_set_store(o, store, 1));
    WH_ASSERT_OK(wh_hub_options_set_shared_queue(o, 1));
    WH_ASSERT_OK(wh_hub_options_allow_cidr(o, "127.0.0.0/8"));
    wh_hub *hub;
    WH_ASSERT_OK(wh_hub_new(&hub, o));
    wh_hub_options_free(o);
    for (int s = 0; s < SUBS; s++) {
        char json[512];
        snprintf(json, sizeof(json),
                 "{\"id\":\"s%d\",\"url\":\"%s/s%d\",\"events\":%s,"
                 "\"retry\":{\"schedule\":[0,0,0,0,0,0,0,0,0,0]}}",
                 s + 1, f->base, s + 1, SUB_EVENTS[s]);
        wh_subscription *sub;
        WH_ASSERT_OK(wh_subscription_from_json(&sub, json, strlen(json)));
        WH_ASSERT_OK(wh_hub_subscription_add(hub, sub));
        wh_subscription_free(sub);
    }
    wh_hub_free(hub);
}

/* Victims: two slots at random, each with kill points spread over its share of events. */
static void choose_victims(fleet *f)
{
    int a = rand() % WORKERS, b = (a + 1 + rand() % (WORKERS - 1)) % WORKERS;
    int share = EVENTS / WORKERS;
    for (int i = 0; i < WORKERS; i++) {
        worker *w = &f->w[i];
        *w = (worker){.slot = i, .victim = i == a || i == b};
        for (int k = 0; k < KILLS_PER_VICTIM; k++) {
            /* the k-th kill somewhere in the k-th part of 5-95 % of its share */
            int lo = share * 5 / 100 + k * (share * 90 / 100) / KILLS_PER_VICTIM;
            int span = (share * 90 / 100) / KILLS_PER_VICTIM;
            w->kill_at_event[k] = (lo + rand() % span) * WORKERS + i;
        }
    }
}

static void run_fleet(fleet *f)
{
    for (int i = 0; i < WORKERS; i++)
        spawn(f, &f->w[i]);
    int64_t start = mono_ms(), next_check = 0;
    bool done = false;
    while (!done && mono_ms() - start < BUDGET_MS) {
        struct pollfd p[WORKERS];
        for (int i = 0; i < WORKERS; i++)
            p[i] = (struct pollfd){f->w[i].out, POLLIN, 0};
        poll(p, WORKERS, 20);
        for (int i = 0; i < WORKERS; i++)
            if (p[i].revents && !pump(f, &f->w[i]))
                fail_msg("worker %d (incarnation %d) died by itself", i, f->w[i].incarnation);
        for (int i = 0; i < WORKERS; i++)
            maybe_kill(f, &f->w[i]);
        if (mono_ms() >= next_check) {
            next_check = mono_ms() + 200;
            done = finished(f);
        }
    }
    int64_t took = mono_ms() - start;
    print_message("# fleet: everything delivered after %lld ms\n", (long long)took);
    assert_true(done);
    /* stop: each worker sees its stdin closed, frees its hub and exits 0 */
    for (int i = 0; i < WORKERS; i++)
        close(f->w[i].in);
    for (int i = 0; i < WORKERS; i++) {
        worker *w = &f->w[i];
        int st = -1;
        int64_t end = mono_ms() + STOP_WAIT_MS;
        while (waitpid(w->pid, &st, WNOHANG) == 0 && mono_ms() < end) {
            struct timespec t = {0, 10 * 1000000};
            nanosleep(&t, NULL);
            st = -1;
        }
        if (st == -1) kill(w->pid, SIGKILL), waitpid(w->pid, NULL, 0);
        close(w->out);
        assert_true(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
}

/* One (event, subscription) pair's arrivals so far. */
typedef struct arrival {
    int count;
    size_t last; /* the receiver's index of the latest one */
} arrival;

static void check_store(const fleet *f)
{
    int64_t total = store_count(f, ""), in_flight = store_count(f, "WHERE status = 1");
    int64_t pending = store_count(f, "WHERE status = 0"),
            failed = store_count(f, "WHERE status = 3");
    int64_t attempts = wh_pg_int(f->conninfo, "SELECT count(*) FROM wh_attempts");
    int64_t events = wh_pg_int(f->conninfo, "SELECT count(*) FROM wh_events");
    print_message("# fleet store: %lld deliveries (%lld in flight, %lld pending, %lld failed), "
                  "%lld attempts, %lld event ids\n",
                  (long long)total, (long long)in_flight, (long long)pending, (long long)failed,
                  (long long)attempts, (long long)events);
    assert_int_equal(total, expected_deliveries()); /* one delivery per pair: none queued twice */
    assert_int_equal(in_flight, 0);
    assert_int_equal(pending, 0);
    assert_int_equal(failed, 0);
    assert_int_equal(events, EVENTS);
}

static void check_deliveries(fleet *f)
{
    size_t n = wh_receiver_count(f->recv);
    arrival *seen = calloc((size_t)EVENTS * SUBS, sizeof(*seen));
    assert_non_null(seen);
    size_t dups = 0;
    int64_t worst_gap = 0; /* longest wait between a kill and the arrival it caused */
    for (size_t i = 0; i < n; i++) {
        const wh_recv_request *q = wh_receiver_request(f->recv, i);
        const char *id = wh_recv_request_header(q, "webhook-id");
        const char *key = wh_recv_request_header(q, "x-Idempotency-Key");
        const char *ua = wh_recv_request_header(q, "User-Agent");
        assert_non_null(id);
        assert_non_null(key);
        assert_non_null(ua);
        assert_string_equal(id, key);
        int ev = -1, sub = -1, inc = -1;
        assert_int_equal(sscanf(id, "evt_%d", &ev), 1);
        assert_int_equal(sscanf(q->target, "/s%d", &sub), 1);
        assert_int_equal(sscanf(ua, "fleet-i%d", &inc), 1);
        assert_true(ev >= 0 && ev < EVENTS && sub >= 1 && sub <= SUBS);
        assert_true(inc >= 0 && inc < f->incarnations);
        assert_true(MATCHES[type_of(ev)][sub - 1]); /* only to the subscriptions it matches */
        assert_non_null(strstr((const char *)q->body, id));
        arrival *a = &seen[(size_t)ev * SUBS + (size_t)(sub - 1)];
        if (a->count++ > 0) {
            /* Sent again: the worker that sent it before must have been killed since (its lease
             * then expired and another worker took the delivery over), and this is the same
             * delivery: same idempotency key, same body. */
            const wh_recv_request *prev = wh_receiver_request(f->recv, a->last);
            int pinc = -1;
            assert_int_equal(sscanf(wh_recv_request_header(prev, "User-Agent"), "fleet-i%d", &pinc),
                             1);
            int64_t killed = f->killed_at[pinc];
            if (killed == 0 || q->mono_ms < killed)
                fail_msg("%s to /s%d arrived twice, the first time from incarnation %d which "
                         "was not killed before the second",
                         id, sub, pinc);
            assert_string_equal(wh_recv_request_header(prev, "x-Idempotency-Key"), key);
            assert_int_equal(prev->body_len, q->body_len);
            assert_memory_equal(prev->body, q->body, q->body_len);
            if (q->mono_ms - killed > worst_gap) worst_gap = q->mono_ms - killed;
            dups++;
        }
        a->last = i;
    }
    size_t missing = 0, pairs = 0;
    for (int ev = 0; ev < EVENTS; ev++)
        for (int s = 0; s < SUBS; s++) {
            pairs += MATCHES[type_of(ev)][s];
            missing += MATCHES[type_of(ev)][s] && seen[(size_t)ev * SUBS + (size_t)s].count == 0;
        }
    print_message("# fleet: %d events, %zu (event, subscription) pairs, %zu requests, %zu second "
                  "arrivals (all after their first sender was killed; the latest %lld ms after "
                  "the kill), %zu missing\n",
                  EVENTS, pairs, n, dups, (long long)worst_gap, missing);
    free(seen);
    assert_int_equal(missing, 0);
}

static wh_pg_server *g_pg;

static void test_fleet_with_kills(void **state)
{
    (void)state;
    static fleet f; /* large: not on the stack */
    memset(&f, 0, sizeof(f));
    assert_true(wh_pg_server_schema(g_pg, "fleet", f.conninfo, sizeof(f.conninfo)));
    assert_non_null(f.recv = wh_receiver_start());
    wh_receiver_url(f.recv, "", f.base, sizeof(f.base));
    size_t bl = strlen(f.base);
    if (bl && f.base[bl - 1] == '/') f.base[bl - 1] = '\0';
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    register_subscriptions(&f);
    choose_victims(&f);
    for (int i = 0; i < WORKERS; i++)
        f.next_event[i] = i;
    int64_t t0 = mono_ms();
    run_fleet(&f);
    int victims[VICTIMS], nv = 0;
    for (int i = 0; i < WORKERS; i++)
        if (f.w[i].victim) victims[nv++] = i;
    print_message("# fleet: %d workers, %d SIGKILLs (workers %d and %d, %d each), %d processes "
                  "started, %d re-emits answered WH_ECONFLICT, lease %d ms, seed %u, %lld ms in "
                  "all\n",
                  WORKERS, f.kills, victims[0], victims[1], KILLS_PER_VICTIM, f.incarnations,
                  f.conflicts, LEASE_MS, seed, (long long)(mono_ms() - t0));
    assert_int_equal(f.kills, VICTIMS * KILLS_PER_VICTIM);
    check_store(&f);
    check_deliveries(&f);
    wh_receiver_stop(f.recv);
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--child") == 0)
        return worker_main(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
    if (!(g_pg = wh_pg_server_start(600))) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fleet_with_kills),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    wh_pg_server_free(g_pg);
    return failed;
}
