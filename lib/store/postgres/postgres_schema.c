/*
 * The PostgreSQL store's schema, its migrations and its statements.
 *
 * The tables live in the connection's current schema (the first of its search_path that
 * exists), prefixed wh_ so that they can share a database, and a schema, with the host's own.
 * The schema version is the row 'schema_version' of wh_meta; wh_schema_history has a row per
 * migration step run (and when, and by which server process). MIGRATIONS[v] upgrades version v
 * to v + 1. On open, a database at an older version is upgraded in one transaction that first
 * takes a transaction-scoped advisory lock, so that processes opening at once wait for the one
 * that migrates and then find the work done: each step runs exactly once. A newer version is
 * refused (WH_EVERSION) rather than misread. To change the schema, append a step: never edit one
 * that has shipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_impl.h"
#include "error.h"

/* pg_advisory_xact_lock key of migrations: "WHKSCHEM". */
#define MIGRATION_LOCK "6289072783216445261"
#define LOCK_WAIT      "60s" /* longest wait for another process's migration */

static const char *const MIGRATIONS[WHI_PG_SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE wh_meta(key text PRIMARY KEY, value bigint NOT NULL);"
    "INSERT INTO wh_meta(key, value) VALUES('schema_version', 0), ('sub_changes', 0);"
    "CREATE TABLE wh_schema_history(version integer PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " backend_pid integer NOT NULL DEFAULT pg_backend_pid());"
    /* A subscription is its full JSON (secrets included) plus the columns it is found by;
     * delivery stats are columns of their own so recording an attempt does not rewrite it. */
    "CREATE TABLE wh_subscriptions(id text PRIMARY KEY, owner text,"
    " created_at bigint NOT NULL, json text NOT NULL,"
    " last_delivery_at bigint NOT NULL DEFAULT 0, last_status bigint NOT NULL DEFAULT 0,"
    " failure_count bigint NOT NULL DEFAULT 0, failing_since bigint NOT NULL DEFAULT 0);"
    "CREATE INDEX wh_subscriptions_by_created ON wh_subscriptions(created_at, id);"
    "CREATE INDEX wh_subscriptions_by_owner ON wh_subscriptions(owner, created_at, id);"
    /* due_at: next_attempt_at while PENDING, lease_until while IN_FLIGHT, NULL when done: one
     * index gives every due delivery in order, a crashed worker's expired leases included. */
    "CREATE TABLE wh_deliveries(seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE,"
    " subscription_id text NOT NULL REFERENCES wh_subscriptions(id) ON DELETE CASCADE,"
    " owner_id text, event_id text NOT NULL, event_type text NOT NULL,"
    " idempotency_key text NOT NULL, method bigint NOT NULL, url text, headers text, body bytea,"
    " event_time bigint NOT NULL, status bigint NOT NULL, attempts bigint NOT NULL,"
    " next_attempt_at bigint NOT NULL, lease_until bigint NOT NULL DEFAULT 0, due_at bigint,"
    " created_at bigint NOT NULL, updated_at bigint NOT NULL, last_status bigint NOT NULL,"
    " last_error text);"
    "CREATE INDEX wh_deliveries_due ON wh_deliveries(due_at, seq) WHERE due_at IS NOT NULL;"
    /* the per-subscription count of what is in flight, read by every lease */
    "CREATE INDEX wh_deliveries_in_flight ON wh_deliveries(subscription_id, lease_until)"
    " WHERE status = 1;"
    "CREATE INDEX wh_deliveries_by_subscription ON wh_deliveries(subscription_id, created_at,"
    " id);"
    "CREATE INDEX wh_deliveries_by_created ON wh_deliveries(created_at, id);"
    "CREATE TABLE wh_attempts(seq bigserial PRIMARY KEY,"
    " delivery_seq bigint NOT NULL REFERENCES wh_deliveries(seq) ON DELETE CASCADE,"
    " delivery_id text NOT NULL, subscription_id text NOT NULL, number bigint NOT NULL,"
    " started_at bigint NOT NULL, duration_ms bigint NOT NULL, http_status bigint NOT NULL,"
    " error_code bigint NOT NULL, error text, response bytea);"
    "CREATE INDEX wh_attempts_by_delivery ON wh_attempts(delivery_seq);"
    "CREATE INDEX wh_attempts_by_subscription ON wh_attempts(subscription_id, started_at);"
    /* Event ids accepted (event idempotency), each until it expires. */
    "CREATE TABLE wh_events(event_id text PRIMARY KEY, expires_at bigint NOT NULL);"
    "CREATE INDEX wh_events_by_expiry ON wh_events(expires_at);"
    /* Every enqueue wakes the other processes' hubs (NOTIFY is sent at commit, once per
     * transaction); the payload names the schema, so stores in other schemas ignore it. */
    "CREATE FUNCTION wh_notify_queue() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN PERFORM pg_notify('wh_queue', TG_TABLE_SCHEMA); RETURN NULL; END$$;"
    "CREATE TRIGGER wh_deliveries_notify AFTER INSERT ON wh_deliveries"
    " FOR EACH STATEMENT EXECUTE FUNCTION wh_notify_queue();",
};

#define DCOLS WHI_PG_DCOLS
#define ACOLS                                                                                      \
    "delivery_id, subscription_id, number, started_at, duration_ms, http_status, error_code, "     \
    "error, response"
#define DEL_WHERE_ALL   "WHERE ($1::int8 < 0 OR d.status = $1::int8) AND d.created_at >= $2::int8 "
#define DEL_WHERE_SUB   DEL_WHERE_ALL "AND d.subscription_id = $3::text "
#define ATT_OF_DELIVERY "delivery_seq = (SELECT seq FROM wh_deliveries WHERE id = $1::text)"
/* A recorded outcome: status (PENDING keeps its due time), attempts, last status and error. */
#define RECORD_SET(a)                                                                              \
    "status = " a "status, next_attempt_at = CASE WHEN " a "status = 0 THEN " a "next"             \
    " ELSE d.next_attempt_at END, due_at = CASE WHEN " a "status = 0 THEN " a "next END,"          \
    " lease_until = 0, attempts = " a "number, last_status = " a "last_status,"                    \
    " last_error = " a "last_error, updated_at = " a "updated_at"

static const char *const SQL[PG_STMT_COUNT] = {
    [PG_CHANGES_GET] = "SELECT value FROM wh_meta WHERE key = 'sub_changes'",
    [PG_CHANGES_BUMP] = "UPDATE wh_meta SET value = value + 1 WHERE key = 'sub_changes'"
                        " RETURNING value, pg_notify('wh_subs', $1::text)",
    [PG_SUB_INSERT] = "INSERT INTO wh_subscriptions(id, owner, created_at, json, last_delivery_at,"
                      " last_status, failure_count, failing_since) VALUES($1::text, $2::text,"
                      " $3::int8, $4::text, $5::int8, $6::int8, $7::int8, $8::int8)"
                      " ON CONFLICT (id) DO NOTHING",
    [PG_SUB_UPDATE] = "UPDATE wh_subscriptions SET owner = $2::text, created_at = $3::int8,"
                      " json = $4::text, last_delivery_at = $5::int8, last_status = $6::int8,"
                      " failure_count = $7::int8, failing_since = $8::int8 WHERE id = $1::text",
    [PG_SUB_GET] = "SELECT " WHI_PG_SCOLS " FROM wh_subscriptions WHERE id = $1::text",
    [PG_SUB_LOCK] = "SELECT " WHI_PG_SCOLS " FROM wh_subscriptions WHERE id = $1::text FOR UPDATE",
    [PG_SUB_EXISTS] = "SELECT 1 FROM wh_subscriptions WHERE id = $1::text",
    [PG_SUB_DELETE] = "DELETE FROM wh_subscriptions WHERE id = $1::text",
    [PG_SUB_COUNT_ALL] = "SELECT count(*) FROM wh_subscriptions",
    [PG_SUB_COUNT_OWNER] = "SELECT count(*) FROM wh_subscriptions WHERE owner = $1::text",
    [PG_SUB_LIST_ALL] = "SELECT " WHI_PG_SCOLS " FROM wh_subscriptions ORDER BY created_at, id"
                        " LIMIT $1::int8 OFFSET $2::int8",
    [PG_SUB_LIST_OWNER] = "SELECT " WHI_PG_SCOLS " FROM wh_subscriptions WHERE owner = $3::text"
                          " ORDER BY created_at, id LIMIT $1::int8 OFFSET $2::int8",
    [PG_SUB_STATS] = "UPDATE wh_subscriptions SET last_delivery_at = $2::int8,"
                     " last_status = $3::int8, failure_count = $4::int8,"
                     " failing_since = $5::int8 WHERE id = $1::text",
    /* A whole batch in one statement, each column an array. */
    [PG_DEL_INSERT] = "INSERT INTO wh_deliveries(id, subscription_id, owner_id, event_id,"
                      " event_type, idempotency_key, method, url, headers, body, event_time,"
                      " status, attempts, next_attempt_at, due_at, created_at, updated_at,"
                      " last_status, last_error) SELECT * FROM unnest($1::text[], $2::text[],"
                      " $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::text[],"
                      " $9::text[], $10::bytea[], $11::int8[], $12::int8[], $13::int8[],"
                      " $14::int8[], $15::int8[], $16::int8[], $17::int8[], $18::int8[],"
                      " $19::text[])",
    [PG_DEL_GET] = "SELECT " DCOLS " FROM wh_deliveries d WHERE d.id = $1::text",
    [PG_DEL_STATUS] = "SELECT status, subscription_id FROM wh_deliveries WHERE id = $1::text",
    /* Due deliveries in due order after (the due time, seq) $2, $3, skipping those another
     * worker holds, the excluded subscriptions ($4) and, with a global limit ($6 > 0), those
     * already at it in the whole fleet (a pre-filter: the limit is checked under a lock
     * later). */
    [PG_LEASE_SCAN] = "SELECT d.seq, d.subscription_id, d.status, d.lease_until, d.due_at"
                      " FROM wh_deliveries d WHERE d.due_at <= $1::int8"
                      " AND (d.due_at, d.seq) > ($2::int8, $3::int8)"
                      " AND d.subscription_id <> ALL($4::text[])"
                      " AND ($6::int8 = 0 OR d.subscription_id NOT IN (SELECT f.subscription_id"
                      " FROM wh_deliveries f WHERE f.status = 1 AND f.lease_until > $1::int8"
                      " GROUP BY f.subscription_id HAVING count(*) >= $6::int8))"
                      " ORDER BY d.due_at, d.seq LIMIT $5::int8 FOR UPDATE OF d SKIP LOCKED",
    /* The subscriptions whose lease lock this transaction got (the others are being leased by
     * another worker right now: skipped this time). */
    [PG_LEASE_LOCK] = "SELECT s FROM unnest($1::text[]) AS s"
                      " WHERE pg_try_advisory_xact_lock(1464355585, hashtext(s))",
    [PG_LEASE_COUNT] = "SELECT subscription_id, count(*) FROM wh_deliveries WHERE status = 1"
                       " AND lease_until > $1::int8 AND subscription_id = ANY($2::text[])"
                       " GROUP BY subscription_id",
    [PG_LEASE_TAKE] = "UPDATE wh_deliveries d SET status = 1, lease_until = $2::int8,"
                      " due_at = $2::int8 FROM unnest($1::int8[]) WITH ORDINALITY AS t(seq, ord)"
                      " WHERE d.seq = t.seq RETURNING t.ord, " DCOLS,
    /* Put back what was taken but not handed over (the callback said stop). */
    [PG_LEASE_UNDO] = "UPDATE wh_deliveries d SET status = t.status, lease_until = t.lease_until,"
                      " due_at = t.due_at FROM unnest($1::int8[], $2::int8[], $3::int8[],"
                      " $4::int8[]) AS t(seq, status, lease_until, due_at) WHERE d.seq = t.seq",
    [PG_RELEASE] = "UPDATE wh_deliveries SET status = 0, lease_until = 0,"
                   " due_at = next_attempt_at WHERE id = $1::text AND status = 1",
    [PG_RECOVER] = "UPDATE wh_deliveries SET status = 0, lease_until = 0,"
                   " due_at = next_attempt_at WHERE status = 1",
    [PG_NEXT_DUE] = "SELECT min(due_at) FROM wh_deliveries WHERE due_at IS NOT NULL",
    /* One outcome: the delivery updated, its attempt appended, in one statement. */
    [PG_RECORD] =
        "WITH a AS (SELECT $1::text AS id, $2::int8 AS status, $3::int8 AS next,"
        " $4::int8 AS number, $5::int8 AS last_status, $6::text AS last_error,"
        " $7::int8 AS updated_at),"
        " u AS (UPDATE wh_deliveries d SET " RECORD_SET(
            "a.") " FROM a"
                  " WHERE d.id = a.id RETURNING d.seq, d.id, d.subscription_id)"
                  " INSERT INTO wh_attempts(delivery_seq, " ACOLS ") SELECT u.seq, u.id,"
                  " u.subscription_id, $4::int8, $8::int8, $9::int8, $10::int8, $11::int8,"
                  " $12::text, $13::bytea FROM u RETURNING subscription_id",
    /* A batch of outcomes (distinct deliveries), each column an array, attempts appended in
     * the batch's order. Returns each recorded delivery with its subscription. */
    [PG_RECORD_MANY] =
        "WITH a AS (SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[],"
        " $4::int8[], $5::int8[], $6::text[], $7::int8[], $8::int8[], $9::int8[],"
        " $10::int8[], $11::int8[], $12::text[], $13::bytea[]) WITH ORDINALITY AS"
        " a(id, status, next, number, last_status, last_error, updated_at,"
        " started_at, duration_ms, http_status, error_code, error, response, ord)),"
        " u AS (UPDATE wh_deliveries d SET " RECORD_SET(
            "a.") " FROM a"
                  " WHERE d.id = a.id RETURNING d.seq, d.id, d.subscription_id)"
                  " INSERT INTO wh_attempts(delivery_seq, " ACOLS ") SELECT u.seq, u.id,"
                  " u.subscription_id, a.number, a.started_at, a.duration_ms,"
                  " a.http_status, a.error_code, a.error, a.response FROM a JOIN u"
                  " ON u.id = a.id ORDER BY a.ord RETURNING delivery_id, subscription_id",
    [PG_REPLAY] = "UPDATE wh_deliveries SET status = 0, next_attempt_at = $2::int8,"
                  " due_at = $2::int8, updated_at = $2::int8 WHERE id = $1::text"
                  " AND status <> 1 RETURNING pg_notify('wh_queue', $3::text)",
    [PG_REPLAY_SINCE] = "UPDATE wh_deliveries SET status = 0, next_attempt_at = $3::int8,"
                        " due_at = $3::int8, updated_at = $3::int8 WHERE subscription_id ="
                        " $1::text AND created_at >= $2::int8 AND status IN (2, 3)",
    [PG_REPLAY_FAILED] = "UPDATE wh_deliveries SET status = 0, next_attempt_at = $3::int8,"
                         " due_at = $3::int8, updated_at = $3::int8 WHERE subscription_id ="
                         " $1::text AND created_at >= $2::int8 AND status = 3",
    /* A stopped subscription's queue: failed at once, kept with the reason. */
    [PG_FAIL_UNSENT] = "UPDATE wh_deliveries SET status = 3, last_error = $2::text,"
                       " updated_at = $3::int8, lease_until = 0, due_at = NULL"
                       " WHERE subscription_id = $1::text AND status IN (0, 1)",
    [PG_DEL_COUNT_ALL] = "SELECT count(*) FROM wh_deliveries d " DEL_WHERE_ALL,
    [PG_DEL_COUNT_SUB] = "SELECT count(*) FROM wh_deliveries d " DEL_WHERE_SUB,
    [PG_DEL_LIST_ALL] = "SELECT " DCOLS " FROM wh_deliveries d " DEL_WHERE_ALL
                        "ORDER BY d.created_at DESC, d.id DESC LIMIT $3::int8 OFFSET $4::int8",
    [PG_DEL_LIST_SUB] = "SELECT " DCOLS " FROM wh_deliveries d " DEL_WHERE_SUB
                        "ORDER BY d.created_at DESC, d.id DESC LIMIT $4::int8 OFFSET $5::int8",
    [PG_ATT_COUNT_DEL] = "SELECT count(*) FROM wh_attempts WHERE " ATT_OF_DELIVERY,
    [PG_ATT_COUNT_SUB] = "SELECT count(*) FROM wh_attempts WHERE subscription_id = $1::text",
    [PG_ATT_LIST_DEL] = "SELECT " ACOLS " FROM wh_attempts WHERE " ATT_OF_DELIVERY
                        " ORDER BY started_at DESC, seq DESC LIMIT $2::int8 OFFSET $3::int8",
    [PG_ATT_LIST_SUB] = "SELECT " ACOLS " FROM wh_attempts WHERE subscription_id = $1::text"
                        " ORDER BY started_at DESC, seq DESC LIMIT $2::int8 OFFSET $3::int8",
    [PG_PURGE_DELIVERIES] = "DELETE FROM wh_deliveries WHERE status IN (2, 3)"
                            " AND updated_at < $1::int8",
    [PG_PURGE_ATTEMPTS] = "DELETE FROM wh_attempts WHERE started_at < $1::int8",
    [PG_PURGE_EVENTS] = "DELETE FROM wh_events WHERE expires_at <= $1::int8",
    /* A bounded batch, oldest created first (wh_deliveries_by_created), for retention. */
    [PG_PURGE_SOME] = "DELETE FROM wh_deliveries WHERE seq IN (SELECT seq FROM wh_deliveries"
                      " WHERE created_at < $1::int8 AND status IN (2, 3) AND updated_at < $1::int8"
                      " ORDER BY created_at LIMIT $2::int8)",
    /* Accept event ids: a new id is inserted, an expired one renewed; one still remembered is
     * left alone and so missing from what this returns. */
    [PG_EVENTS_ACCEPT] = "INSERT INTO wh_events(event_id, expires_at) SELECT e, $3::int8"
                         " FROM unnest($1::text[]) AS e ON CONFLICT (event_id)"
                         " DO UPDATE SET expires_at = excluded.expires_at"
                         " WHERE wh_events.expires_at <= $2::int8 RETURNING event_id",
    /* A few expired ids, oldest first (wh_events_by_expiry): each accept sweeps as many as it
     * adds, so the table holds about one window's ids; rows another worker sweeps are skipped. */
    [PG_EVENTS_SWEEP] = "DELETE FROM wh_events WHERE event_id IN (SELECT event_id FROM wh_events"
                        " WHERE expires_at <= $1::int8 ORDER BY expires_at LIMIT $2::int8"
                        " FOR UPDATE SKIP LOCKED)",
};

const char *whi_pg_sql(pg_stmt_id id)
{
    return SQL[id];
}

/* ---- migrations ---- */

/* The single value of a one-row query (NULL or no row: *found false). */
static int query_value(pg_store *p, pg_conn *c, const char *sql, const char *arg, int64_t *out,
                       bool *found)
{
    const char *v[] = {arg};
    PGresult *r = PQexecParams(c->conn, sql, arg ? 1 : 0, NULL, v, NULL, NULL, 0);
    int rc = WH_OK;
    *found = false;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = whi_pg_fail(p, c->conn, r, "read the schema version");
    else if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        *found = true;
    }
    PQclear(r);
    return rc;
}

/* The schema version of the tables in our schema: 0 when there are none. */
static int query_version(pg_store *p, pg_conn *c, int64_t *version)
{
    bool found;
    int64_t n = 0;
    *version = 0;
    int rc = query_value(p, c,
                         "SELECT count(*) FROM pg_tables WHERE schemaname = $1"
                         " AND tablename = 'wh_meta'",
                         p->schema, &n, &found);
    if (rc != WH_OK || n == 0) return rc;
    rc = query_value(p, c, "SELECT value FROM wh_meta WHERE key = 'schema_version'", NULL, version,
                     &found);
    if (rc == WH_OK && !found)
        rc = whi_error(WH_ECORRUPT,
                       "postgres store: the table wh_meta in schema %s has no "
                       "schema version: not ours, or damaged",
                       p->schema);
    return rc;
}

static int newer_error(const pg_store *p, int64_t version)
{
    return whi_error(WH_EVERSION,
                     "postgres store: the tables in schema %s have schema version %lld, newer "
                     "than this library's %d: they were written by a newer libwebhooks; upgrade "
                     "the library",
                     p->schema, (long long)version, WHI_PG_SCHEMA_VERSION);
}

static int run_step(pg_store *p, pg_conn *c, int64_t from)
{
    int rc = whi_pg_exec(p, c, MIGRATIONS[from], "upgrade the schema");
    char sql[200];
    snprintf(sql, sizeof(sql),
             "UPDATE wh_meta SET value = %lld WHERE key = 'schema_version';"
             "INSERT INTO wh_schema_history(version) VALUES(%lld)",
             (long long)from + 1, (long long)from + 1);
    return rc == WH_OK ? whi_pg_exec(p, c, sql, "upgrade the schema") : rc;
}

/* Inside the transaction, once the lock is held: read the version again (another process may
 * have migrated meanwhile) and run what is left. */
static int migrate_locked(pg_store *p, pg_conn *c)
{
    int64_t version;
    int rc = query_version(p, c, &version);
    if (rc == WH_OK && version > WHI_PG_SCHEMA_VERSION) rc = newer_error(p, version);
    for (int64_t v = version; rc == WH_OK && v < WHI_PG_SCHEMA_VERSION; v++)
        rc = run_step(p, c, v);
    return rc;
}

static int migrate(pg_store *p, pg_conn *c)
{
    int rc = whi_pg_exec(p, c,
                         "BEGIN; SET LOCAL lock_timeout = '" LOCK_WAIT "';"
                         " SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")",
                         "wait for the schema migration lock");
    if (rc == WH_OK) rc = migrate_locked(p, c);
    if (rc == WH_OK) return whi_pg_exec(p, c, "COMMIT", "upgrade the schema");
    if (PQstatus(c->conn) == CONNECTION_OK && PQtransactionStatus(c->conn) != PQTRANS_IDLE)
        PQclear(PQexec(c->conn, "ROLLBACK"));
    return rc;
}

int whi_pg_schema_open(pg_store *p, pg_conn *c, bool allow_migrate)
{
    int64_t version;
    int rc = query_version(p, c, &version);
    if (rc != WH_OK || version == WHI_PG_SCHEMA_VERSION) return rc;
    if (version > WHI_PG_SCHEMA_VERSION) return newer_error(p, version);
    if (!allow_migrate)
        return whi_error(WH_EVERSION,
                         "postgres store: the tables in schema %s are at schema version %lld and "
                         "this library needs %d, but migrating is turned off "
                         "(wh_postgres_options_set_migrate)",
                         p->schema, (long long)version, WHI_PG_SCHEMA_VERSION);
    return migrate(p, c);
}
