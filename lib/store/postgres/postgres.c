/*
 * The PostgreSQL store: opening, the connection pool, error mapping (with the password kept out
 * of every message), statements and transactions. The members live in postgres_subs.c,
 * postgres_queue.c, postgres_lease.c, postgres_record.c, postgres_lists.c
 * and postgres_notify.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mbedtls/platform_util.h>

#include "postgres_impl.h"
#include "alloc.h"
#include "error.h"

#define POOL_WAIT_MS        30000 /* longest wait for a free connection */
#define RESOLVE_DEADLINE_MS 15000 /* longest wait to learn what a cut-off commit did */
#define RETRIES             3     /* runs of a transaction that met a deadlock */

/* ---- messages without the password ---- */

static void replace_all(char *s, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (!n) return;
    for (char *at = strstr(s, secret); at; at = strstr(at, secret)) {
        size_t stars = n < 4 ? n : 4;
        memset(at, '*', stars);
        memmove(at + stars, at + n, strlen(at + n) + 1);
        at += stars;
    }
}

void whi_pg_scrub(const pg_store *p, const char *msg, char *out, size_t size)
{
    snprintf(out, size, "%s", msg ? msg : "");
    if (p) replace_all(out, p->password);
    size_t len = strlen(out); /* libpq's messages end with a newline */
    while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
}

/* A message about a connection string that did not parse: libpq quotes the part it stopped at,
 * which may be the password, so every quoted part longer than one character is hidden. */
static void scrub_quoted(const char *msg, char *out, size_t size)
{
    size_t o = 0;
    for (const char *s = msg ? msg : ""; *s && o + 4 < size; s++) {
        const char *end = *s == '"' ? strchr(s + 1, '"') : NULL;
        if (end && end - s > 2) {
            memcpy(out + o, "\"...\"", 5);
            o += 5;
            s = end;
        } else if (*s != '\n') {
            out[o++] = *s;
        }
    }
    out[o < size ? o : size - 1] = '\0';
}

const char *whi_pg_sqlstate(const PGresult *r)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st ? st : "";
}

static int code_of(const char *st)
{
    static const struct {
        const char *state; /* a full SQLSTATE, or a class of two characters */
        int code;
    } MAP[] = {
        {"23505", WH_ECONFLICT}, {"23503", WH_ENOTFOUND}, {"40001", WH_EBUSY},
        {"40P01", WH_EBUSY},     {"55P03", WH_EBUSY},     {"53300", WH_EBUSY},
        {"57014", WH_ETIMEOUT},  {"53100", WH_EFULL},     {"53200", WH_ENOMEM},
        {"54", WH_ETOOLARGE},    {"22", WH_EINVAL},       {"25006", WH_EREADONLY},
        {"42501", WH_EREADONLY},
    };
    for (size_t i = 0; i < sizeof(MAP) / sizeof(MAP[0]); i++) {
        size_t n = strlen(MAP[i].state);
        if (strncmp(st, MAP[i].state, n) == 0) return MAP[i].code;
    }
    return WH_EIO;
}

int whi_pg_fail(pg_store *p, PGconn *conn, const PGresult *r, const char *what)
{
    char msg[512];
    const char *raw = r ? PQresultErrorMessage(r) : NULL;
    if (!raw || !*raw) raw = conn ? PQerrorMessage(conn) : "no connection";
    whi_pg_scrub(p, raw, msg, sizeof(msg));
    if (!r && !conn) return whi_error(WH_EIO, "postgres store: %s: %s", what, msg);
    if (!conn || PQstatus(conn) != CONNECTION_OK)
        return whi_error(WH_EIO,
                         "postgres store: %s: the connection to the server was lost (%s); "
                         "the next call reconnects",
                         what, msg);
    if (!r) return whi_error(WH_ENOMEM, "postgres store: %s: %s", what, msg);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    if (detail) {
        char d[256];
        whi_pg_scrub(p, detail, d, sizeof(d));
        return whi_error(code_of(whi_pg_sqlstate(r)), "postgres store: %s: %s (%s)", what, msg, d);
    }
    return whi_error(code_of(whi_pg_sqlstate(r)), "postgres store: %s: %s", what, msg);
}

/* ---- connections ---- */

PGconn *whi_pg_connect(pg_store *p, const char *what)
{
    /* Defaults come before the connection string, which may override them; the encoding comes
     * after it, so it holds whatever the string says. */
    static const char *const keys[] = {"connect_timeout",
                                       "keepalives",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "application_name",
                                       "dbname",
                                       "client_encoding",
                                       NULL};
    const char *values[] = {"10", "1", "30", "10", "3", "libwebhooks", p->conninfo, "UTF8", NULL};
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (!c) {
        whi_error_oom();
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[512];
        whi_pg_scrub(p, PQerrorMessage(c), msg, sizeof(msg));
        whi_error(WH_EIO, "postgres store: %s: cannot connect to the server: %s", what, msg);
        PQfinish(c);
        return NULL;
    }
    return c;
}

static void conn_close(pg_conn *c)
{
    PQfinish(c->conn);
    c->conn = NULL;
    memset(c->prepared, 0, sizeof(c->prepared));
}

/* (Re)open c's connection when it has none or it broke. */
static int conn_ready(pg_store *p, pg_conn *c)
{
    if (c->conn && PQstatus(c->conn) == CONNECTION_OK) return WH_OK;
    conn_close(c);
    c->conn = whi_pg_connect(p, "connect");
    return c->conn ? WH_OK : wh_error_last()->code;
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* A free connection, preferring one already open (the pool grows only as calls overlap). */
static pg_conn *pool_pick(pg_store *p)
{
    pg_conn *closed = NULL;
    for (size_t i = 0; i < p->nconns; i++) {
        if (p->conns[i].busy) continue;
        if (p->conns[i].conn) return &p->conns[i];
        if (!closed) closed = &p->conns[i];
    }
    return closed;
}

static int pool_acquire(pg_store *p, pg_conn **out)
{
    struct timespec until;
    deadline_in(&until, POOL_WAIT_MS);
    pthread_mutex_lock(&p->mu);
    pg_conn *c;
    int wait = 0;
    while (!(c = pool_pick(p)) && wait != ETIMEDOUT)
        wait = pthread_cond_timedwait(&p->freed, &p->mu, &until);
    if (c) c->busy = true;
    pthread_mutex_unlock(&p->mu);
    *out = c;
    if (!c)
        return whi_error(WH_EBUSY, "postgres store: all %zu connections stayed busy for %d s",
                         p->nconns, POOL_WAIT_MS / 1000);
    int rc = conn_ready(p, c);
    if (rc != WH_OK) {
        pthread_mutex_lock(&p->mu);
        c->busy = false;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}

static void pool_release(pg_store *p, pg_conn *c)
{
    /* A connection left inside a transaction (a failed rollback) cannot be reused as it is. */
    if (c->conn && PQtransactionStatus(c->conn) != PQTRANS_IDLE) conn_close(c);
    pthread_mutex_lock(&p->mu);
    c->busy = false;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->mu);
}

/* ---- statements ---- */

static int prepare(pg_store *p, pg_conn *c, pg_stmt_id id)
{
    char name[16];
    snprintf(name, sizeof(name), "wh_%d", (int)id);
    PGresult *r = PQprepare(c->conn, name, whi_pg_sql(id), 0, NULL);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? WH_OK : whi_pg_fail(p, c->conn, r, "prepare");
    PQclear(r);
    if (rc == WH_OK) c->prepared[id] = true;
    return rc;
}

int whi_pg_run(pg_store *p, pg_conn *c, pg_stmt_id id, whi_pg_args *args, PGresult **res)
{
    if (res) *res = NULL;
    if (args && args->failed)
        return args->failed == WH_ENOMEM ? whi_error_oom()
                                         : whi_error(args->failed, "postgres store: a statement's "
                                                                   "arguments are too large");
    int rc = c->prepared[id] ? WH_OK : prepare(p, c, id);
    if (rc != WH_OK) return rc;
    char name[16];
    snprintf(name, sizeof(name), "wh_%d", (int)id);
    int n = args ? args->n : 0;
    PGresult *r = PQexecPrepared(c->conn, name, n, args ? args->v : NULL, args ? args->len : NULL,
                                 args ? args->fmt : NULL, 1);
    ExecStatusType st = PQresultStatus(r);
    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", whi_pg_sqlstate(r));
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = whi_pg_fail(p, c->conn, r, "run a statement");
        PQclear(r);
        return rc;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return WH_OK;
}

int whi_pg_exec(pg_store *p, pg_conn *c, const char *sql, const char *what)
{
    PGresult *r = PQexec(c->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", whi_pg_sqlstate(r));
    int rc =
        st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? WH_OK : whi_pg_fail(p, c->conn, r, what);
    PQclear(r);
    return rc;
}

/* ---- transactions ---- */

static bool conn_lost(const pg_conn *c)
{
    return !c->conn || PQstatus(c->conn) != CONNECTION_OK;
}

/* BEGIN, reading the transaction id when the commit may need resolving. */
static int txn_begin(pg_store *p, pg_conn *c, unsigned flags, char *xid, size_t xid_size)
{
    const char *sql = flags & WHI_PG_TXN_RESOLVE ? "BEGIN; SELECT pg_current_xact_id()::text"
                      : flags & WHI_PG_TXN_WRITE
                          ? "BEGIN"
                          : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    PGresult *r = PQexec(c->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? WH_OK
                                                             : whi_pg_fail(p, c->conn, r, "begin");
    if (rc == WH_OK && (flags & WHI_PG_TXN_RESOLVE))
        snprintf(xid, xid_size, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return rc;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* What became of transaction xid: 1 committed, 0 not, -1 unknown yet. */
static int xact_status(pg_store *p, pg_conn *c, const char *xid)
{
    const char *v[] = {xid};
    PGresult *r =
        PQexecParams(c->conn, "SELECT pg_xact_status($1::text::xid8)", 1, NULL, v, NULL, NULL, 0);
    int answer = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        const char *s = PQgetvalue(r, 0, 0);
        answer = strcmp(s, "committed") == 0 ? 1 : strcmp(s, "aborted") == 0 ? 0 : -1;
    }
    PQclear(r);
    return answer;
}

/*
 * The connection broke while COMMIT was under way: the transaction may or may not have
 * committed. Reconnect (the server may be restarting) and ask, for up to RESOLVE_DEADLINE_MS.
 * Returns WH_OK when it committed, rc (the commit's error) when it did not, and WH_EIO saying
 * the outcome is unknown when the server could not be asked.
 */
static int resolve_commit(pg_store *p, pg_conn *c, const char *xid, int rc)
{
    char why[400];
    snprintf(why, sizeof(why), "%s", wh_error_last()->message);
    int64_t waited = 0;
    while (waited < RESOLVE_DEADLINE_MS) {
        conn_close(c);
        if (conn_ready(p, c) == WH_OK) {
            int st = xact_status(p, c, xid);
            if (st == 1) return WH_OK;
            if (st == 0) return whi_error(rc, "%s", why);
        }
        sleep_ms(100);
        waited += 100;
    }
    return whi_error(WH_EIO,
                     "%s; the commit's outcome is unknown (the server could not be asked within "
                     "%d s): the change may or may not be stored",
                     why, RESOLVE_DEADLINE_MS / 1000);
}

static int txn_commit(pg_store *p, pg_conn *c, unsigned flags, const char *xid)
{
    PGresult *r = PQexec(c->conn, "COMMIT");
    /* COMMIT of a transaction that failed answers ROLLBACK, not an error. */
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
    int rc = ok ? WH_OK : whi_pg_fail(p, c->conn, r, "commit");
    if (!ok && rc == WH_OK) rc = whi_error(WH_EIO, "postgres store: commit: rolled back");
    PQclear(r);
    if (rc != WH_OK && conn_lost(c) && (flags & WHI_PG_TXN_RESOLVE) && *xid)
        rc = resolve_commit(p, c, xid, rc);
    return rc;
}

static void txn_rollback(pg_conn *c)
{
    if (conn_lost(c) || PQtransactionStatus(c->conn) == PQTRANS_IDLE) return;
    PQclear(PQexec(c->conn, "ROLLBACK"));
}

/* Whether a failed run may be tried again: a deadlock or a serialization failure. */
static bool retryable(const pg_conn *c, int rc)
{
    return rc == WH_EBUSY &&
           (strcmp(c->sqlstate, "40P01") == 0 || strcmp(c->sqlstate, "40001") == 0);
}

static int txn_once(pg_store *p, pg_conn *c, unsigned flags, pg_txn_fn fn, void *ctx,
                    bool *begin_failed)
{
    char xid[32] = "";
    *begin_failed = false;
    if (flags & WHI_PG_TXN_SINGLE) { /* one read: safe to run again on a new connection */
        int rc = fn(p, c, ctx);
        *begin_failed = rc != WH_OK && conn_lost(c);
        return rc;
    }
    int rc = txn_begin(p, c, flags, xid, sizeof(xid));
    if (rc != WH_OK) {
        *begin_failed = true;
        return rc;
    }
    rc = fn(p, c, ctx);
    if (rc == WH_OK) return txn_commit(p, c, flags, xid);
    txn_rollback(c);
    return rc;
}

int whi_pg_txn(pg_store *p, unsigned flags, pg_txn_fn fn, void *ctx)
{
    pg_conn *c;
    int rc = pool_acquire(p, &c);
    if (rc != WH_OK) return rc;
    bool reconnected = false;
    for (int run = 0;; run++) {
        bool begin_failed;
        rc = txn_once(p, c, flags, fn, ctx, &begin_failed);
        /* A connection that broke while idle in the pool (a server restart) fails at BEGIN (or
         * a single read), before anything was done: reconnect once and go on. */
        if (rc != WH_OK && begin_failed && conn_lost(c) && !reconnected) {
            reconnected = true;
            conn_close(c);
            if ((rc = conn_ready(p, c)) == WH_OK) continue;
        }
        if (rc != WH_OK && (flags & WHI_PG_TXN_RETRY) && run + 1 < RETRIES && retryable(c, rc))
            continue;
        break;
    }
    pool_release(p, c);
    return rc;
}

int whi_pg_savepoint(pg_store *p, pg_conn *c, pg_txn_fn fn, void *ctx)
{
    int rc = whi_pg_exec(p, c, "SAVEPOINT item", "savepoint");
    if (rc != WH_OK) return rc;
    rc = fn(p, c, ctx);
    const char *end = rc == WH_OK ? "RELEASE item" : "ROLLBACK TO item; RELEASE item";
    if (!conn_lost(c)) {
        char keep[512];
        snprintf(keep, sizeof(keep), "%s", wh_error_last()->message);
        int code = wh_error_last()->code;
        int erc = whi_pg_exec(p, c, end, "savepoint");
        if (rc == WH_OK) return erc;
        if (erc == WH_OK) whi_error(code, "%s", keep); /* the item's own error stays */
    }
    return rc;
}

/* ---- open and close ---- */

static void wipe(char **s)
{
    if (*s) {
        mbedtls_platform_zeroize(*s, strlen(*s));
        whi_free(*s);
        *s = NULL;
    }
}

static void pg_close(pg_store *p)
{
    whi_pg_listen_free(p);
    for (size_t i = 0; p->conns && i < p->nconns; i++)
        conn_close(&p->conns[i]);
    whi_free(p->conns);
    wipe(&p->conninfo);
    wipe(&p->password);
    whi_free(p->schema);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->mu);
    whi_free(p);
}

static void pg_free(wh_store *s)
{
    pg_close(pg_of(s));
}

/* Check the connection string and keep its password, to scrub it from every message. */
static int parse_conninfo(pg_store *p, const char *conninfo)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    if (!opts) {
        char msg[300];
        scrub_quoted(err ? err : "out of memory", msg, sizeof(msg));
        PQfreemem(err);
        return whi_error(WH_EINVAL, "postgres store: the connection string is malformed: %s", msg);
    }
    int rc = WH_OK;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val &&
            !(p->password = whi_strdup(o->val)))
            rc = whi_error_oom();
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val) mbedtls_platform_zeroize(o->val, strlen(o->val));
    PQconninfoFree(opts);
    return rc;
}

/* The schema our tables live in (the first of the search path that exists). */
static int read_schema(pg_store *p, pg_conn *c)
{
    PGresult *r = PQexec(c->conn, "SELECT current_schema()");
    int rc = WH_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = whi_pg_fail(p, c->conn, r, "read the current schema");
    else if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
        rc = whi_error(WH_EINVAL, "postgres store: no schema to keep the tables in (the "
                                  "search_path names none that exists)");
    else if (!(p->schema = whi_strdup(PQgetvalue(r, 0, 0))))
        rc = whi_error_oom();
    PQclear(r);
    return rc;
}

static void fill_vtable(pg_store *p)
{
    p->vt = (wh_store)WH_STORE_INIT;
    p->vt.data = p;
    p->vt.free = pg_free;
    whi_pg_subs_fill(&p->vt);
    whi_pg_queue_fill(&p->vt);
    whi_pg_lease_fill(&p->vt);
    whi_pg_record_fill(&p->vt);
    whi_pg_lists_fill(&p->vt);
    whi_pg_notify_fill(&p->vt);
    whi_pg_events_fill(&p->vt);
}

static int open_store(pg_store *p, const char *conninfo, const wh_postgres_options *o)
{
    int rc = parse_conninfo(p, conninfo);
    if (rc != WH_OK) return rc;
    if (!(p->conninfo = whi_strdup(conninfo)) ||
        !(p->conns = whi_calloc(o->max_connections, sizeof(pg_conn))))
        return whi_error_oom();
    p->nconns = o->max_connections;
    pg_conn *c;
    if ((rc = pool_acquire(p, &c)) != WH_OK) return rc;
    rc = read_schema(p, c);
    if (rc == WH_OK) rc = whi_pg_schema_open(p, c, o->migrate != 0);
    pool_release(p, c);
    return rc == WH_OK ? whi_pg_listen_init(p) : rc;
}

int wh_store_postgres_new(wh_store **out, const char *conninfo, const wh_postgres_options *opts)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!conninfo || !*conninfo)
        return whi_error(WH_EINVAL, "postgres store: give a libpq connection string "
                                    "(\"host=... dbname=...\" or \"postgresql://...\")");
    wh_postgres_options defaults;
    whi_pg_options_defaults(&defaults);
    const wh_postgres_options *o = opts ? opts : &defaults;
    pg_store *p = whi_calloc(1, sizeof(*p));
    if (!p) return whi_error_oom();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->freed, NULL);
    pthread_mutex_init(&p->listen.mu, NULL);
    int rc = open_store(p, conninfo, o);
    if (rc != WH_OK) {
        pg_close(p);
        return rc;
    }
    fill_vtable(p);
    *out = &p->vt;
    return WH_OK;
}

int wh_store_postgres_open(wh_store **out, const char *conninfo)
{
    return wh_store_postgres_new(out, conninfo, NULL);
}
