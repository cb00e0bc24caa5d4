/*
 * The SQLite store's schema, its migrations and its statements.
 *
 * The schema version is PRAGMA user_version; PRAGMA application_id marks the file as ours.
 * MIGRATIONS[v] upgrades a file at version v to v + 1; on open every step from the file's
 * version to WHI_SQ_SCHEMA_VERSION runs in one transaction. A file with a newer version is
 * refused (WH_EVERSION) rather than misread. To change the schema, append a step: never edit
 * one that has shipped.
 */
#include <stdio.h>
#include <string.h>

#include "sqlite_impl.h"
#include "error.h"
#include "text.h"

static const char *const MIGRATIONS[WHI_SQ_SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta(key, value) VALUES('sub_changes', 0);"
    /* A subscription is its full JSON (secrets included) plus the columns it is found by;
     * delivery stats are columns of their own so recording an attempt does not rewrite it. */
    "CREATE TABLE subscriptions("
    " id TEXT PRIMARY KEY NOT NULL, owner TEXT, created_at INTEGER NOT NULL,"
    " json TEXT NOT NULL, last_delivery_at INTEGER NOT NULL DEFAULT 0,"
    " last_status INTEGER NOT NULL DEFAULT 0, failure_count INTEGER NOT NULL DEFAULT 0,"
    " failing_since INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX subscriptions_by_created ON subscriptions(created_at, id);"
    "CREATE INDEX subscriptions_by_owner ON subscriptions(owner, created_at, id);"
    /* due_at: next_attempt_at while PENDING, lease_until while IN_FLIGHT, NULL when done. */
    "CREATE TABLE deliveries("
    " seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " subscription_id TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,"
    " owner_id TEXT, event_id TEXT NOT NULL, event_type TEXT NOT NULL,"
    " idempotency_key TEXT NOT NULL, method INTEGER NOT NULL, url TEXT, headers TEXT,"
    " body BLOB, event_time INTEGER NOT NULL, status INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
    " lease_until INTEGER NOT NULL, due_at INTEGER, created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL, last_status INTEGER NOT NULL, last_error TEXT);"
    "CREATE INDEX deliveries_due ON deliveries(due_at) WHERE due_at IS NOT NULL;"
    "CREATE INDEX deliveries_by_subscription ON deliveries(subscription_id, created_at, id);"
    "CREATE INDEX deliveries_by_created ON deliveries(created_at, id);"
    "CREATE INDEX deliveries_by_status ON deliveries(status, updated_at);"
    "CREATE TABLE attempts("
    " seq INTEGER PRIMARY KEY,"
    " delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,"
    " subscription_id TEXT NOT NULL, number INTEGER NOT NULL, started_at INTEGER NOT NULL,"
    " duration_ms INTEGER NOT NULL, http_status INTEGER NOT NULL,"
    " error_code INTEGER NOT NULL, error TEXT, response BLOB);"
    "CREATE INDEX attempts_by_delivery ON attempts(delivery_id, started_at);"
    "CREATE INDEX attempts_by_subscription ON attempts(subscription_id, started_at);"
    "CREATE INDEX attempts_by_started ON attempts(started_at);",
    /* 1 -> 2: deliveries_by_status cost two index updates on every lease and outcome, the
     * hottest writes; purge and listings by status (rare) scan the other indexes instead. */
    "DROP INDEX IF EXISTS deliveries_by_status;",
    /* 2 -> 3: leases get a table of their own. Leasing used to rewrite the whole delivery
     * row (body included) and move it in the due index; now it adds a 16-byte row here, and
     * the delivery row is written only at enqueue and at each outcome (~20 % more deliveries
     * per second in the store benchmark). A delivery is IN_FLIGHT while it has a lease row;
     * deliveries.status then holds PENDING and deliveries.lease_until stays 0. */
    "CREATE TABLE leases(seq INTEGER PRIMARY KEY REFERENCES deliveries(seq) ON DELETE CASCADE,"
    " until INTEGER NOT NULL);"
    "INSERT INTO leases(seq, until) SELECT seq, lease_until FROM deliveries WHERE status = 1;"
    "UPDATE deliveries SET status = 0, lease_until = 0, due_at = next_attempt_at"
    " WHERE status = 1;",
    /* 3 -> 4: attempts_by_started served only purge, yet every recorded attempt paid for it: a
     * page written at about every other commit (a WAL count over the store benchmark: 0.19
     * pages per delivery of 2.4). Purge scans the attempts instead, as it scans deliveries. */
    "DROP INDEX IF EXISTS attempts_by_started;",
    /* 4 -> 5: a delivery's url, headers and body (most of its ~1.3 KB) move to payloads, written
     * once at enqueue. Each outcome rewrote the whole row: with 1 KiB bodies, recording 8
     * outcomes dirtied 3 to 6 pages of deliveries, a third of the pages of each commit; their
     * rows are now ~250 bytes, so the same outcomes dirty one or two. */
    "CREATE TABLE payloads(seq INTEGER PRIMARY KEY REFERENCES deliveries(seq) ON DELETE CASCADE,"
    " url TEXT, headers TEXT, body BLOB);"
    "INSERT INTO payloads(seq, url, headers, body) SELECT seq, url, headers, body FROM deliveries;"
    "UPDATE deliveries SET url = NULL, headers = NULL, body = NULL;",
    /* 5 -> 6: attempts name their delivery by its seq, not its text id. Index b-trees do not
     * append cheaply (a full last page is split with its neighbours), and at ~45 bytes an
     * entry, attempts_by_delivery split every few commits: ~2.8 pages per commit of 8 outcomes.
     * An integer entry is ~8 bytes. The old foreign key on the id needed that index too (its
     * cascades), so the table is rebuilt. */
    "CREATE TABLE attempts_v6(seq INTEGER PRIMARY KEY,"
    " delivery_seq INTEGER NOT NULL REFERENCES deliveries(seq) ON DELETE CASCADE,"
    " delivery_id TEXT NOT NULL, subscription_id TEXT NOT NULL, number INTEGER NOT NULL,"
    " started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, http_status INTEGER NOT NULL,"
    " error_code INTEGER NOT NULL, error TEXT, response BLOB);"
    "INSERT INTO attempts_v6 SELECT a.seq, d.seq, a.delivery_id, a.subscription_id, a.number,"
    " a.started_at, a.duration_ms, a.http_status, a.error_code, a.error, a.response"
    " FROM attempts a JOIN deliveries d ON d.id = a.delivery_id;"
    "DROP TABLE attempts;"
    "ALTER TABLE attempts_v6 RENAME TO attempts;"
    "CREATE INDEX attempts_by_delivery ON attempts(delivery_seq);"
    "CREATE INDEX attempts_by_subscription ON attempts(subscription_id, started_at);",
    /* 6 -> 7: each subscription's queue in due order. The lease scans the due index in due
     * order and must step over every queued delivery of a subscription that may take no more
     * (at its concurrency, or excluded): with one endpoint's 10 000 queued, every round read
     * them all (13 ms a round). Past a budget it now asks each other subscription for its
     * first due deliveries through this index instead (sqlite_lease_subs.c). */
    "CREATE INDEX deliveries_due_by_subscription ON deliveries(subscription_id, due_at)"
    " WHERE due_at IS NOT NULL;",
    /* 7 -> 8: event ids accepted (event idempotency), each until it expires. */
    "CREATE TABLE IF NOT EXISTS events(event_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS events_by_expiry ON events(expires_at);",
};

/* Deliveries read with their lease: the status they show is IN_FLIGHT while leased. */
#define DEL_FROM                                                                                   \
    "FROM deliveries d LEFT JOIN leases l ON l.seq = d.seq "                                       \
    "LEFT JOIN payloads p ON p.seq = d.seq "
#define DEL_WHERE_ALL "WHERE (?2 < 0 OR " WHI_SQ_DSTATUS " = ?2) AND d.created_at >= ?3 "
#define DEL_WHERE_SUB                                                                              \
    "WHERE d.subscription_id = ?1 AND (?2 < 0 OR " WHI_SQ_DSTATUS " = ?2) AND d.created_at >= ?3 "
#define ATT_OF_DELIVERY "delivery_seq = (SELECT seq FROM deliveries WHERE id = ?1)"
#define ACOLS                                                                                      \
    "delivery_id, subscription_id, number, started_at, duration_ms, http_status, error_code, "     \
    "error, response"

static const char *const SQL[SQ_STMT_COUNT] = {
    [SQ_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [SQ_BEGIN_READ] = "BEGIN",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_SAVEPOINT] = "SAVEPOINT item",
    [SQ_SAVEPOINT_RELEASE] = "RELEASE item",
    [SQ_SAVEPOINT_ROLLBACK] = "ROLLBACK TO item",
    [SQ_CHANGES_GET] = "SELECT value FROM meta WHERE key = 'sub_changes'",
    [SQ_CHANGES_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'sub_changes'",
    [SQ_SUB_INSERT] = "INSERT INTO subscriptions(id, owner, created_at, json, last_delivery_at,"
                      " last_status, failure_count, failing_since)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQ_SUB_UPDATE] = "UPDATE subscriptions SET owner = ?2, created_at = ?3, json = ?4,"
                      " last_delivery_at = ?5, last_status = ?6, failure_count = ?7,"
                      " failing_since = ?8 WHERE id = ?1",
    [SQ_SUB_GET] = "SELECT " WHI_SQ_SCOLS " FROM subscriptions WHERE id = ?1",
    [SQ_SUB_EXISTS] = "SELECT 1 FROM subscriptions WHERE id = ?1",
    [SQ_SUB_DELETE] = "DELETE FROM subscriptions WHERE id = ?1",
    [SQ_SUB_COUNT_ALL] = "SELECT COUNT(*) FROM subscriptions",
    [SQ_SUB_COUNT_OWNER] = "SELECT COUNT(*) FROM subscriptions WHERE owner = ?3",
    [SQ_SUB_LIST_ALL] = "SELECT " WHI_SQ_SCOLS " FROM subscriptions"
                        " ORDER BY created_at, id LIMIT ?1 OFFSET ?2",
    [SQ_SUB_LIST_OWNER] = "SELECT " WHI_SQ_SCOLS " FROM subscriptions WHERE owner = ?3"
                          " ORDER BY created_at, id LIMIT ?1 OFFSET ?2",
    [SQ_SUB_STATS] = "UPDATE subscriptions SET last_delivery_at = ?2, last_status = ?3,"
                     " failure_count = ?4, failing_since = ?5 WHERE id = ?1",
    /* url (?8), headers (?9) and body (?10) go to payloads (SQ_PAYLOAD_INSERT) */
    [SQ_DEL_INSERT] = "INSERT INTO deliveries(id, subscription_id, owner_id, event_id, event_type,"
                      " idempotency_key, method, event_time, status, attempts, next_attempt_at,"
                      " lease_until, created_at, updated_at, last_status, last_error, due_at)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
                      " ?19, ?20)",
    [SQ_PAYLOAD_INSERT] = "INSERT INTO payloads(seq, url, headers, body)"
                          " VALUES(last_insert_rowid(), ?1, ?2, ?3)",
    [SQ_DEL_GET] = "SELECT " WHI_SQ_DCOLS_LEASED " " DEL_FROM "WHERE d.id = ?1",
    [SQ_DEL_STATUS] =
        "SELECT " WHI_SQ_DSTATUS ", d.subscription_id, d.seq " DEL_FROM "WHERE d.id = ?1",
    /* Due deliveries come from two sources, each in (due time, seq) order, merged by the lease:
     * pending ones from the due index (leased rows stay in it, so the scan steps over those in
     * flight), and leases that expired, due at their expiry. */
    [SQ_LEASE_SCAN] = "SELECT d.seq, d.subscription_id, d.due_at FROM deliveries d"
                      " WHERE d.due_at <= ?1 AND NOT EXISTS(SELECT 1 FROM leases l"
                      " WHERE l.seq = d.seq) ORDER BY d.due_at, d.seq",
    /* The next subscription (after ?1) with queued deliveries: a seek in the index above. */
    [SQ_LEASE_NEXT_SUB] = "SELECT subscription_id FROM deliveries WHERE due_at IS NOT NULL"
                          " AND subscription_id > ?1 ORDER BY subscription_id LIMIT 1",
    /* Its first ?5 due, unleased deliveries at or after (due ?3, seq ?4). */
    [SQ_LEASE_SUB] = "SELECT d.seq, d.due_at FROM deliveries d WHERE d.subscription_id = ?1"
                     " AND d.due_at IS NOT NULL AND d.due_at <= ?2"
                     " AND (d.due_at > ?3 OR (d.due_at = ?3 AND d.seq >= ?4))"
                     " AND NOT EXISTS(SELECT 1 FROM leases l WHERE l.seq = d.seq)"
                     " ORDER BY d.due_at, d.seq LIMIT ?5",
    [SQ_LEASE_EXPIRED] = "SELECT l.seq, d.subscription_id, l.until FROM leases l JOIN deliveries d"
                         " ON d.seq = l.seq WHERE l.until <= ?1 ORDER BY l.until, l.seq",
    [SQ_LEASE_TAKE] = "INSERT OR REPLACE INTO leases(seq, until) VALUES(?1, ?2)",
    [SQ_LEASE_READ] = "SELECT " WHI_SQ_DCOLS " FROM deliveries d"
                      " LEFT JOIN payloads p ON p.seq = d.seq WHERE d.seq = ?1",
    [SQ_RELEASE] = "DELETE FROM leases WHERE seq = (SELECT seq FROM deliveries WHERE id = ?1)",
    [SQ_RECOVER] = "DELETE FROM leases",
    /* The earliest of: a pending delivery's due time, a lease's expiry. */
    [SQ_NEXT_DUE] = "SELECT min(t) FROM (SELECT * FROM (SELECT d.due_at AS t FROM deliveries d"
                    " WHERE d.due_at IS NOT NULL AND NOT EXISTS(SELECT 1 FROM leases l"
                    " WHERE l.seq = d.seq) ORDER BY d.due_at LIMIT 1)"
                    " UNION ALL SELECT min(until) FROM leases)",
    [SQ_DEL_RECORD] = "UPDATE deliveries SET status = ?2,"
                      " next_attempt_at = CASE WHEN ?2 = 0 THEN ?3 ELSE next_attempt_at END,"
                      " due_at = CASE WHEN ?2 = 0 THEN ?3 ELSE NULL END, attempts = ?4,"
                      " last_status = ?5, last_error = ?6, updated_at = ?7"
                      " WHERE id = ?1 AND (?8 IS NULL OR subscription_id = ?8)",
    [SQ_ATT_INSERT] = "INSERT INTO attempts(delivery_seq, " ACOLS ") VALUES((SELECT seq FROM"
                      " deliveries WHERE id = ?1), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [SQ_REPLAY] = "UPDATE deliveries SET status = 0, next_attempt_at = ?2, due_at = ?2,"
                  " updated_at = ?2 WHERE id = ?1",
    [SQ_REPLAY_SINCE] = "UPDATE deliveries SET status = 0, next_attempt_at = ?3, due_at = ?3,"
                        " updated_at = ?3 WHERE subscription_id = ?1 AND created_at >= ?2"
                        " AND status IN (2, 3)",
    /* A delivery is unfinished while its status is 0 (IN_FLIGHT ones have a lease row). */
    [SQ_FAIL_UNSENT_LEASES] = "DELETE FROM leases WHERE seq IN (SELECT seq FROM deliveries"
                              " WHERE subscription_id = ?1 AND status = 0)",
    [SQ_FAIL_UNSENT] = "UPDATE deliveries SET status = 3, due_at = NULL, last_error = ?2,"
                       " updated_at = ?3 WHERE subscription_id = ?1 AND status = 0",
    [SQ_REPLAY_FAILED] = "UPDATE deliveries SET status = 0, next_attempt_at = ?3, due_at = ?3,"
                         " updated_at = ?3 WHERE subscription_id = ?1 AND created_at >= ?2"
                         " AND status = 3",
    [SQ_DEL_COUNT_ALL] = "SELECT COUNT(*) " DEL_FROM DEL_WHERE_ALL,
    [SQ_DEL_COUNT_SUB] = "SELECT COUNT(*) " DEL_FROM DEL_WHERE_SUB,
    [SQ_DEL_LIST_ALL] = "SELECT " WHI_SQ_DCOLS_LEASED " " DEL_FROM DEL_WHERE_ALL
                        "ORDER BY d.created_at DESC, d.id DESC LIMIT ?4 OFFSET ?5",
    [SQ_DEL_LIST_SUB] = "SELECT " WHI_SQ_DCOLS_LEASED " " DEL_FROM DEL_WHERE_SUB
                        "ORDER BY d.created_at DESC, d.id DESC LIMIT ?4 OFFSET ?5",
    [SQ_ATT_COUNT_DEL] = "SELECT COUNT(*) FROM attempts WHERE " ATT_OF_DELIVERY,
    [SQ_ATT_COUNT_SUB] = "SELECT COUNT(*) FROM attempts WHERE subscription_id = ?1",
    [SQ_ATT_LIST_DEL] = "SELECT " ACOLS " FROM attempts WHERE " ATT_OF_DELIVERY
                        " ORDER BY started_at DESC, seq DESC LIMIT ?2 OFFSET ?3",
    [SQ_ATT_LIST_SUB] = "SELECT " ACOLS " FROM attempts WHERE subscription_id = ?1"
                        " ORDER BY started_at DESC, seq DESC LIMIT ?2 OFFSET ?3",
    [SQ_PURGE_DELIVERIES] = "DELETE FROM deliveries WHERE status IN (2, 3) AND updated_at < ?1",
    [SQ_PURGE_ATTEMPTS] = "DELETE FROM attempts WHERE started_at < ?1",
    /* Walks deliveries_by_created from the oldest: only deliveries created before the limit
     * are looked at, and of those only the few still queued (or replayed lately) are skipped
     * again by the next batch. Attempts, payloads and leases cascade. */
    [SQ_PURGE_SOME] = "DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries"
                      " WHERE created_at < ?1 AND status IN (2, 3) AND updated_at < ?1"
                      " ORDER BY created_at LIMIT ?2)",
    [SQ_EVENT_GET] = "SELECT expires_at FROM events WHERE event_id = ?1",
    [SQ_EVENT_PUT] = "INSERT OR REPLACE INTO events(event_id, expires_at) VALUES(?1, ?2)",
    [SQ_PURGE_EVENTS] = "DELETE FROM events WHERE expires_at <= ?1",
    /* A few expired ids, oldest first through events_by_expiry: each accept sweeps as many as
     * it adds, so the table holds about one window's ids without a separate purge. */
    [SQ_EVENTS_SWEEP] = "DELETE FROM events WHERE event_id IN (SELECT event_id FROM events"
                        " WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)",
};

int whi_sq_prepare_all(sq_store *q)
{
    for (size_t i = 0; i < SQ_STMT_COUNT; i++) {
        int rc = sqlite3_prepare_v3(q->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i], NULL);
        if (rc != SQLITE_OK) return whi_sq_fail(q, rc, "prepare");
    }
    return WH_OK;
}

/* The integer answer of a one-row PRAGMA or query run outside the prepared set. */
static int query_int(sq_store *q, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return whi_sq_fail(q, rc, "read the schema");
    rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int code =
        rc == SQLITE_ROW || rc == SQLITE_DONE ? WH_OK : whi_sq_fail(q, rc, "read the schema");
    sqlite3_finalize(st);
    return code;
}

static int exec_sql(sq_store *q, const char *sql, const char *what)
{
    int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? WH_OK : whi_sq_fail(q, rc, what);
}

static int newer_error(int64_t version)
{
    return whi_error(WH_EVERSION,
                     "sqlite store: the database has schema version %lld, newer than this "
                     "library's %d: it was written by a newer libwebhooks; upgrade the library",
                     (long long)version, WHI_SQ_SCHEMA_VERSION);
}

/* Run the steps from the file's version up, re-reading it under the write lock since another
 * process may have upgraded the file meanwhile. */
static int migrate_locked(sq_store *q)
{
    int64_t version;
    int rc = query_int(q, "PRAGMA user_version", &version);
    if (rc == WH_OK && version > WHI_SQ_SCHEMA_VERSION) rc = newer_error(version);
    for (int64_t v = version; rc == WH_OK && v < WHI_SQ_SCHEMA_VERSION; v++)
        rc = exec_sql(q, MIGRATIONS[v], "upgrade the schema");
    if (rc == WH_OK && version < WHI_SQ_SCHEMA_VERSION) {
        char sql[96];
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
                 WHI_SQ_SCHEMA_VERSION, WHI_SQ_APPLICATION_ID);
        rc = exec_sql(q, sql, "upgrade the schema");
    }
    return rc;
}

static int migrate(sq_store *q)
{
    int rc = exec_sql(q, "BEGIN IMMEDIATE", "upgrade the schema");
    if (rc != WH_OK) return rc;
    if ((rc = migrate_locked(q)) == WH_OK) rc = exec_sql(q, "COMMIT", "upgrade the schema");
    if (rc != WH_OK && !sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int set_wal(sq_store *q)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        rc = mode && whi_strcasecmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_ERROR;
    }
    int code = rc == SQLITE_OK ? WH_OK : whi_sq_fail(q, rc, "switch to WAL mode");
    sqlite3_finalize(st);
    return code;
}

/* Refuse files that are not ours, or too new, before anything is written to them. */
static int check_file(sq_store *q, int64_t *version)
{
    int64_t app_id, tables;
    int rc = query_int(q, "PRAGMA user_version", version); /* the first read: SQLITE_NOTADB */
    if (rc == WH_OK) rc = query_int(q, "PRAGMA application_id", &app_id);
    if (rc == WH_OK)
        rc = query_int(q, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'", &tables);
    if (rc != WH_OK) return rc;
    if ((app_id != 0 && app_id != WHI_SQ_APPLICATION_ID) || (app_id == 0 && tables > 0))
        return whi_error(WH_ECORRUPT,
                         "sqlite store: the file is another application's "
                         "database (application_id %lld, %lld tables)",
                         (long long)app_id, (long long)tables);
    return *version > WHI_SQ_SCHEMA_VERSION ? newer_error(*version) : WH_OK;
}

int whi_sq_schema_open(sq_store *q)
{
    int64_t version;
    int rc = check_file(q, &version);
    if (rc != WH_OK) return rc;
    if (q->read_only)
        return version == WHI_SQ_SCHEMA_VERSION
                   ? WH_OK
                   : whi_error(WH_EREADONLY,
                               "sqlite store: the database needs its schema created or upgraded "
                               "(version %lld to %d) but is open read-only",
                               (long long)version, WHI_SQ_SCHEMA_VERSION);
    if ((rc = set_wal(q)) != WH_OK) return rc;
    return version == WHI_SQ_SCHEMA_VERSION ? WH_OK : migrate(q);
}
