/*
 * A throw-away PostgreSQL server for tests: initdb into a new temporary directory, a server
 * listening on a Unix socket in that directory and on 127.0.0.1 (a free port, never another
 * address), fsync off, removed with its directory at the end.
 *
 *     wh_pg_server *pg = wh_pg_server_start(600);      // NULL (a line on stderr): cannot start
 *     const char *ci = wh_pg_server_conninfo(pg);      // "host=/tmp/wh-pg-XXXXXX port=N ..."
 *     ... wh_store_postgres_open(&s, ci) ...
 *     wh_pg_server_free(pg);                           // stops it and removes the directory
 *
 * The server refuses to run as root, so a root caller (CI on a fresh Debian machine) runs initdb
 * and the server as the `postgres` user the Debian package creates, and gives it the directory;
 * anyone else runs them as themselves. Debian's binaries are found in /usr/lib/postgresql/N/bin
 * (the newest N), or in $WH_PG_BINDIR.
 *
 * Cleanup also happens when the test does not get to call wh_pg_server_free: a watchdog process
 * owns the server; it stops the server and removes the directory when the test exits (atexit),
 * is stopped by a signal (SIGINT, SIGTERM, SIGHUP: handlers installed here), or dies any other
 * way, SIGKILL included (the watchdog is told by PR_SET_PDEATHSIG), and in any case once
 * lifetime_s seconds have passed. Call wh_pg_server_start from the main thread, before starting
 * other threads (it forks). Every wait in here is bounded.
 *
 * Roles: "wh" (superuser, trusted on the socket and on 127.0.0.1) and any role a test creates
 * for password checks: 127.0.0.1 connections of roles other than wh need a password
 * (scram-sha-256). The database "wh" exists.
 */
#ifndef WH_TEST_PG_SERVER_H
#define WH_TEST_PG_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wh_pg_server wh_pg_server;

wh_pg_server *wh_pg_server_start(int lifetime_s);
/* Stop the server, remove its directory, free pg. NULL is fine. */
void wh_pg_server_free(wh_pg_server *pg);

/* libpq connection strings of the database "wh" as role "wh": over the Unix socket, and over
 * TCP to 127.0.0.1 (a URI: "postgresql://wh@127.0.0.1:PORT/wh"). Borrowed from pg. */
const char *wh_pg_server_conninfo(const wh_pg_server *pg);
const char *wh_pg_server_uri(const wh_pg_server *pg);
int wh_pg_server_port(const wh_pg_server *pg);
const char *wh_pg_server_dir(const wh_pg_server *pg);

/* Stop the server (fast shutdown: sessions are cut) and keep its data; then start it again on
 * the same socket and port. Each returns once the server is down, or accepts connections again
 * (false after 60 s). */
bool wh_pg_server_halt(wh_pg_server *pg);
bool wh_pg_server_resume(wh_pg_server *pg);

/*
 * A connection string for a new, empty schema of the database "wh" (its own tables, the first
 * in the search path), named name ([a-z0-9_], created here): one store per test case without
 * the cost of a database each. Written to out (size bytes). false when the schema cannot be
 * made.
 */
bool wh_pg_server_schema(wh_pg_server *pg, const char *name, char *out, size_t size);

/* Run SQL (one or more statements) on conninfo; false with a line on stderr on error. */
bool wh_pg_exec(const char *conninfo, const char *sql);
/* The first column of the first row of a query, as an integer (INT64_MIN on error or no row). */
int64_t wh_pg_int(const char *conninfo, const char *sql);

#endif
