/*
 * `postgres` and `postgres_enqueue` benchmarks: the PostgreSQL store (issue 15) against the
 * SQLite store in the same run.
 *
 * The database is a throw-away PostgreSQL server the bench starts (tests/support/pg_server.h)
 * with PostgreSQL's defaults for durability: fsync and synchronous_commit on, so a commit
 * waits for its WAL to reach the disk. The baseline is the SQLite store with its own default,
 * synchronous FULL (a disk sync per commit too), on a file in /tmp, in one process.
 *
 * - postgres: emit-and-deliver. EVENTS events with a 1 KiB body, each matching one of SUBS
 *   subscriptions at the nginx sink (plain HTTP/1.1; it is the store that is measured), emitted
 *   with wh_hub_emit_batch of BATCH events and delivered while emitting (wh_hub_run between
 *   batches), then drained. With 1, 2 and 4 worker processes on one database (a new schema per
 *   run), each a hub with shared_queue on that emits its share of the events and delivers from
 *   the one queue until the queue is empty; the clock runs from the moment all of them are
 *   ready until the last one exits. Deliveries per second of each, against SQLite with one
 *   process (the same hub settings, the same emits); and 2 and 4 workers against 1 worker.
 * - postgres_enqueue: events per second accepted by one hub through wh_hub_emit_batch (BATCH
 *   events per call, nothing delivered), against SQLite.
 *
 * The machine is shared, so each configuration is measured in ROUNDS rounds, all of a round's
 * runs back to back, and a line reports the round whose ratio is the median.
 *
 * `bench_postgres sqlite|N [batch [events]]` runs one configuration once (N PostgreSQL
 * workers), for profiling; WH_BENCH_PG_OPTIONS adds settings to the PostgreSQL sessions, e.g.
 * "-c synchronous_commit=off" (a host's choice: commits no longer wait for the disk; a crash
 * of the machine may lose the last ones, never corrupt anything) or "-c log_statement=all"
 * (the server's log is copied to /tmp/wh-bench-pg.log at the end of a profiling run). Needs
 * WH_BENCH_SINK_URL (set by tests/bench/run.sh).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <webhooks.h>

#include "bench_util.h"
#include "pg_server.h"
#include "wh_test_files.h"

#define EVENTS     20000
#define SUBS       8
#define BATCH      50
#define CONNS      16
#define BODY_BYTES 1024
#define ROUNDS     3
#define MAX_PROCS  4

static char g_body[BODY_BYTES + 1];
static const char *g_url;
static wh_pg_server *g_pg;
static char g_dir[PATH_MAX];
static int g_runs;
static int g_batch = BATCH;
static const char *g_pg_options; /* added to the sessions' options (profiling) */
static int g_events = EVENTS;

/* ---- CPU time, for profiling: ours, our reaped children's, and the server's ---- */

static double rusage_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds of the server's processes that have exited (its backends, once their sessions
 * end), from the postmaster's cutime and cstime. */
static double server_cpu_s(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/data/postmaster.pid", wh_pg_server_dir(g_pg));
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (!f || fscanf(f, "%ld", &pid) != 1) pid = 0;
    if (f) fclose(f);
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (!pid || !(f = fopen(path, "r"))) return 0;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* after the command name */
    unsigned long long v[20] = {0};
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
                     &v[0], &v[1], &v[2], &v[3]) != 4)
        return 0;
    return (double)(v[2] + v[3]) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- one hub ---- */

static wh_hub *make_hub(wh_store *store, bool shared)
{
    wh_hub_options *o;
    wh_hub *hub = NULL;
    int rc = wh_hub_options_new(&o);
    if (rc == WH_OK) rc = wh_hub_options_set_store(o, store, 1);
    if (rc == WH_OK) rc = wh_hub_options_set_shared_queue(o, shared);
    if (rc == WH_OK) rc = wh_hub_options_allow_cidr(o, "127.0.0.0/8");
    if (rc == WH_OK) rc = wh_hub_options_set_max_in_flight(o, CONNS);
    if (rc == WH_OK) rc = wh_hub_options_set_max_in_flight_per_subscription(o, CONNS);
    if (rc == WH_OK) rc = wh_hub_new(&hub, o);
    wh_hub_options_free(o);
    if (rc != WH_OK) {
        fprintf(stderr, "bench_postgres: hub: %s\n", wh_error_last()->message);
        wh_store_free(store);
    }
    return rc == WH_OK ? hub : NULL;
}

static int add_subscriptions(wh_hub *hub)
{
    for (int s = 0; s < SUBS; s++) {
        char json[512];
        snprintf(json, sizeof(json), "{\"url\":\"%ss%d\",\"events\":[\"t%d\"]}", g_url, s, s);
        wh_subscription *sub;
        int rc = wh_subscription_from_json(&sub, json, strlen(json));
        if (rc == WH_OK) rc = wh_hub_subscription_add(hub, sub);
        wh_subscription_free(sub);
        if (rc != WH_OK) return rc;
    }
    return WH_OK;
}

/* Emit events [from, to) in batches; deliver between batches when deliver. */
static int emit_range(wh_hub *hub, int from, int to, bool deliver)
{
    wh_event *evs[64];
    int rc = WH_OK, made = 0;
    for (; rc == WH_OK && made < g_batch; made++)
        if ((rc = wh_event_new(&evs[made], "t0")) == WH_OK)
            rc = wh_event_set_data(evs[made], g_body, BODY_BYTES);
    for (int i = from; rc == WH_OK && i < to; i += g_batch) {
        int n = to - i < g_batch ? to - i : g_batch;
        for (int k = 0; rc == WH_OK && k < n; k++) {
            char id[32], type[16];
            snprintf(id, sizeof(id), "evt_%d", i + k);
            snprintf(type, sizeof(type), "t%d", (i + k) % SUBS);
            rc = wh_event_set_id(evs[k], id);
            if (rc == WH_OK) rc = wh_event_set_type(evs[k], type);
        }
        if (rc == WH_OK) rc = wh_hub_emit_batch(hub, (const wh_event *const *)evs, (size_t)n, NULL);
        if (rc == WH_OK && deliver) rc = wh_hub_run(hub, 0);
    }
    for (int k = 0; k < made; k++)
        wh_event_free(evs[k]);
    if (rc != WH_OK) fprintf(stderr, "bench_postgres: emit: %s\n", wh_error_last()->message);
    return rc;
}

/* Run until nothing is queued or in flight anywhere (the shared queue included). */
static int drain(wh_hub *hub)
{
    wh_time_ms at;
    double deadline = bench_now_s() + 300;
    int rc = WH_OK;
    while (rc == WH_OK && (wh_hub_in_flight(hub) || wh_hub_next_deadline(hub, &at) == WH_OK) &&
           bench_now_s() < deadline)
        rc = wh_hub_run(hub, 50);
    return rc;
}

/* ---- SQLite, one process ---- */

static wh_hub *sqlite_hub(char *path, size_t size)
{
    snprintf(path, size, "%s/run-%d.db", g_dir, g_runs++);
    wh_store *st;
    if (wh_test_sqlite_open(&st, path, 0) != WH_OK) {
        fprintf(stderr, "bench_postgres: sqlite: %s\n", wh_error_last()->message);
        return NULL;
    }
    wh_hub *hub = make_hub(st, false);
    if (hub && add_subscriptions(hub) != WH_OK) {
        wh_hub_free(hub);
        return NULL;
    }
    return hub;
}

static void sqlite_remove(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

/* Deliveries per second (deliver) or events per second accepted (!deliver); 0 on failure. */
static double sqlite_rate(bool deliver)
{
    char path[PATH_MAX + 32];
    wh_hub *hub = sqlite_hub(path, sizeof(path));
    if (!hub) return 0;
    double t0 = bench_now_s();
    int rc = emit_range(hub, 0, g_events, deliver);
    if (rc == WH_OK && deliver) rc = drain(hub);
    double dt = bench_now_s() - t0;
    size_t done =
        deliver ? bench_count(wh_hub_store(hub), WH_DELIVERY_SUCCEEDED) : (size_t)g_events;
    wh_hub_free(hub);
    sqlite_remove(path);
    if (rc != WH_OK || done != (size_t)g_events) {
        fprintf(stderr, "bench_postgres: sqlite: %zu of %d delivered\n", done, g_events);
        return 0;
    }
    return g_events / dt;
}

/* ---- PostgreSQL, N processes ---- */

/* A new schema for one run, run_<run>; its connection string in out. */
static bool pg_schema(int run, char *out, size_t size)
{
    char name[32];
    snprintf(name, sizeof(name), "run_%d", run);
    if (!wh_pg_server_schema(g_pg, name, out, size)) return false;
    if (g_pg_options) {
        /* "... options='-c search_path=X'": add the settings inside the quotes */
        size_t len = strlen(out);
        if (len < 2 || out[len - 1] != '\'') return false;
        snprintf(out + len - 1, size - (len - 1), " %s'", g_pg_options);
    }
    return true;
}

static wh_hub *pg_hub(const char *conninfo)
{
    wh_store *st;
    if (wh_store_postgres_open(&st, conninfo) != WH_OK) {
        fprintf(stderr, "bench_postgres: postgres: %s\n", wh_error_last()->message);
        return NULL;
    }
    return make_hub(st, true);
}

/* A worker process: its hub ready, it says so on ready_fd, waits for go_fd to close, emits its
 * share and delivers until the queue is empty. Leaves with _exit (the atexit handlers are the
 * parent's: one stops the server). */
static void worker(const char *conninfo, int w, int procs, bool deliver, int ready_fd, int go_fd)
{
    wh_hub *hub = pg_hub(conninfo);
    if (!hub) _exit(1);
    char c = 'r', g;
    if (write(ready_fd, &c, 1) != 1) _exit(1);
    while (read(go_fd, &g, 1) > 0) {
    }
    int from = (int)((long)g_events * w / procs), to = (int)((long)g_events * (w + 1) / procs);
    int rc = emit_range(hub, from, to, deliver);
    if (rc == WH_OK && deliver) rc = drain(hub);
    wh_hub_free(hub);
    _exit(rc == WH_OK ? 0 : 1);
}

static double pg_rate(int procs, bool deliver)
{
    char conninfo[512];
    int run = g_runs++;
    if (!pg_schema(run, conninfo, sizeof(conninfo))) return 0;
    wh_hub *setup = pg_hub(conninfo);
    if (!setup || add_subscriptions(setup) != WH_OK) {
        wh_hub_free(setup);
        return 0;
    }
    wh_hub_free(setup);
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0) return 0;
    pid_t pid[MAX_PROCS];
    fflush(NULL);
    for (int w = 0; w < procs; w++) {
        if ((pid[w] = fork()) == 0) {
            close(ready[0]);
            close(go[1]);
            worker(conninfo, w, procs, deliver, ready[1], go[0]);
        }
    }
    close(ready[1]);
    close(go[0]);
    int got = 0;
    char c;
    while (got < procs && read(ready[0], &c, 1) == 1)
        got++;
    double t0 = bench_now_s();
    close(go[1]); /* go */
    bool ok = got == procs;
    for (int w = 0; w < procs; w++) {
        int st;
        ok = waitpid(pid[w], &st, 0) == pid[w] && WIFEXITED(st) && WEXITSTATUS(st) == 0 && ok;
    }
    double dt = bench_now_s() - t0;
    close(ready[0]);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM wh_deliveries WHERE status = %d",
             deliver ? WH_DELIVERY_SUCCEEDED : WH_DELIVERY_PENDING);
    int64_t done = wh_pg_int(conninfo, sql);
    /* as the SQLite runs remove their file: the next run starts from the same server state */
    snprintf(sql, sizeof(sql), "SET client_min_messages = warning; DROP SCHEMA run_%d CASCADE",
             run);
    if (!wh_pg_exec(wh_pg_server_conninfo(g_pg), sql)) done = -1;
    if (!ok || done != g_events) {
        fprintf(stderr, "bench_postgres: %d workers: %lld of %d %s\n", procs, (long long)done,
                g_events, deliver ? "delivered" : "queued");
        return 0;
    }
    return g_events / dt;
}

/* ---- rounds and lines ---- */

typedef struct round {
    double sqlite, pg[MAX_PROCS + 1]; /* pg[n]: n workers */
    double enq_sqlite, enq_pg;
} round;

static const round *g_sort_rounds;
static int g_sort_key; /* 1..4: pg[n] / sqlite; 10 + n: pg[n] / pg[1]; 20: enqueue */

static double key_of(const round *r, int key)
{
    if (key >= 20) return r->enq_sqlite > 0 ? r->enq_pg / r->enq_sqlite : 0;
    if (key >= 10) return r->pg[1] > 0 ? r->pg[key - 10] / r->pg[1] : 0;
    return r->sqlite > 0 ? r->pg[key] / r->sqlite : 0;
}

static int by_key(const void *a, const void *b)
{
    double x = key_of(&g_sort_rounds[*(const int *)a], g_sort_key);
    double y = key_of(&g_sort_rounds[*(const int *)b], g_sort_key);
    return (x > y) - (x < y);
}

/* The round whose ratio (key) is the median. */
static const round *median(const round *r, int key)
{
    int idx[ROUNDS];
    for (int i = 0; i < ROUNDS; i++)
        idx[i] = i;
    g_sort_rounds = r;
    g_sort_key = key;
    qsort(idx, ROUNDS, sizeof(int), by_key);
    return &r[idx[ROUNDS / 2]];
}

static void lines(const round *r)
{
    static const int procs[] = {1, 2, 4};
    char c[160];
    for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
        int n = procs[i];
        const round *m = median(r, n);
        snprintf(c, sizeof(c),
                 "events=%d,body=1KiB,subs=%d,emit=batch%d,conns=%d,workers=%d,durable", g_events,
                 SUBS, g_batch, CONNS, n);
        bench_line("postgres", c, "deliveries_per_s", m->pg[n], "1/s", "sqlite_full_1_process",
                   m->sqlite);
    }
    for (size_t i = 1; i < sizeof(procs) / sizeof(procs[0]); i++) {
        int n = procs[i];
        const round *m = median(r, 10 + n);
        snprintf(c, sizeof(c),
                 "events=%d,body=1KiB,subs=%d,emit=batch%d,conns=%d,workers=%d,durable", g_events,
                 SUBS, g_batch, CONNS, n);
        bench_line("postgres", c, "deliveries_per_s", m->pg[n], "1/s", "postgres_1_worker",
                   m->pg[1]);
    }
    const round *m = median(r, 20);
    snprintf(c, sizeof(c), "events=%d,body=1KiB,subs=%d,emit=batch%d,processes=1,durable", g_events,
             SUBS, g_batch);
    bench_line("postgres_enqueue", c, "events_per_s", m->enq_pg, "1/s", "sqlite_full",
               m->enq_sqlite);
}

int main(int argc, char **argv)
{
    g_url = getenv("WH_BENCH_SINK_URL");
    if (!g_url) {
        fprintf(stderr, "bench_postgres: WH_BENCH_SINK_URL not set (run through make bench)\n");
        return 0;
    }
    g_pg_options = getenv("WH_BENCH_PG_OPTIONS");
    memset(g_body, 'x', BODY_BYTES);
    memcpy(g_body, "{\"pad\":\"", 8);
    memcpy(g_body + BODY_BYTES - 2, "\"}", 2);
    if (!(g_pg = wh_pg_server_start_durable(3600))) {
        fprintf(stderr, "bench_postgres: no PostgreSQL server: skipped\n");
        return 0;
    }
    wh_tmpdir_new(g_dir, sizeof(g_dir));
    if (argc > 1) {
        if (argc > 2) g_batch = atoi(argv[2]);
        if (argc > 3) g_events = atoi(argv[3]);
        if (g_events < 1 || g_events > EVENTS * 10) g_events = EVENTS;
        if (g_batch < 1 || g_batch > 64) g_batch = BATCH;
        bool sql = strcmp(argv[1], "sqlite") == 0;
        int n = sql ? 0 : atoi(argv[1]);
        if (!sql && (n < 1 || n > MAX_PROCS)) n = 1;
        double self0 = rusage_s(RUSAGE_SELF), kids0 = rusage_s(RUSAGE_CHILDREN);
        double srv0 = server_cpu_s();
        printf("%s: %.0f deliveries/s\n", argv[1], sql ? sqlite_rate(true) : pg_rate(n, true));
        printf("CPU per delivery: this process %.1f us, workers %.1f us, server %.1f us\n",
               (rusage_s(RUSAGE_SELF) - self0) * 1e6 / g_events,
               (rusage_s(RUSAGE_CHILDREN) - kids0) * 1e6 / g_events,
               (server_cpu_s() - srv0) * 1e6 / g_events);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "cp %s/server.log /tmp/wh-bench-pg.log", wh_pg_server_dir(g_pg));
        if (system(cmd) != 0) fprintf(stderr, "bench_postgres: no server log\n");
    } else {
        round r[ROUNDS];
        memset(r, 0, sizeof(r));
        for (int i = 0; i < ROUNDS; i++) {
            r[i].sqlite = sqlite_rate(true);
            r[i].pg[1] = pg_rate(1, true);
            r[i].pg[2] = pg_rate(2, true);
            r[i].pg[4] = pg_rate(4, true);
            r[i].enq_sqlite = sqlite_rate(false);
            r[i].enq_pg = pg_rate(1, false);
        }
        lines(r);
    }
    wh_tmpdir_remove(g_dir);
    wh_pg_server_free(g_pg);
    return 0;
}
