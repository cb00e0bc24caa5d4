/* File helpers for tests that use files (SQLite stores): temporary directories and checks. */
#ifndef WH_TEST_FILES_H
#define WH_TEST_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Create a new directory under $TMPDIR (or /tmp); the path is written to dir (PATH_MAX). */
void wh_tmpdir_new(char *dir, size_t size);
/* Remove every file in dir, then dir itself (not recursive: tests put only files there). */
void wh_tmpdir_remove(const char *dir);
/* The whole file, NUL-terminated (the NUL not counted in *len), or NULL when it cannot be read;
 * free with free(). */
char *wh_file_read(const char *path, size_t *len);
/* Whether a file exists. */
int wh_file_exists(const char *path);
/* Run PRAGMA integrity_check on the SQLite database at path (opened read-only) and assert
 * that it answers "ok". */
void wh_sqlite_assert_intact(const char *path);
/* Run one SQL statement on the database at path with a connection of its own (asserts). */
void wh_sqlite_exec(const char *path, const char *sql);
/* The integer of the first row of a query on the database at path (opened read-only; asserts
 * that there is a row). */
int64_t wh_sqlite_int(const char *path, const char *sql);

/* Open the SQLite store at path with a few options changed (WH_TEST_SQLITE_* flags), through
 * wh_sqlite_options. Returns what wh_store_sqlite_new returns. */
#define WH_TEST_SQLITE_READ_ONLY   0x1u
#define WH_TEST_SQLITE_SYNC_NORMAL 0x2u
struct wh_store;
int wh_test_sqlite_open(struct wh_store **out, const char *path, unsigned int flags);

#endif
