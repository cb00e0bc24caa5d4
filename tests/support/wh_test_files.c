/* File helpers for tests (see wh_test_files.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "wh_test.h"
#include "wh_test_files.h"

void wh_tmpdir_new(char *dir, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, size, "%s/wh-test-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
}

void wh_tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

char *wh_file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    if (buf && len) *len = (size_t)n;
    return buf;
}

int wh_file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static int first_row(void *user_data, int ncols, char **values, char **names)
{
    (void)names;
    char *out = user_data;
    if (ncols > 0 && values[0] && !*out) snprintf(out, 256, "%s", values[0]);
    return 0;
}

void wh_sqlite_assert_intact(const char *path)
{
    sqlite3 *db;
    char answer[256] = "";
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA integrity_check", first_row, answer, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_string_equal(answer, "ok");
}

void wh_sqlite_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    char *err = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) print_error("%s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(db);
    assert_int_equal(rc, SQLITE_OK);
}

int64_t wh_sqlite_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

int wh_test_sqlite_open(wh_store **out, const char *path, unsigned int flags)
{
    wh_sqlite_options *o;
    WH_ASSERT_OK(wh_sqlite_options_new(&o));
    if (flags & WH_TEST_SQLITE_READ_ONLY) WH_ASSERT_OK(wh_sqlite_options_set_read_only(o, 1));
    if (flags & WH_TEST_SQLITE_SYNC_NORMAL)
        WH_ASSERT_OK(wh_sqlite_options_set_synchronous(o, WH_SQLITE_SYNC_NORMAL));
    int rc = wh_store_sqlite_new(out, path, o);
    wh_sqlite_options_free(o);
    return rc;
}
