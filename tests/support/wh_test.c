/* Helpers shared by the tests (see wh_test.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wh_test.h"
#include "wh_test_files.h"

int64_t wh_test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wh_test_has_detail(const char *needle)
{
    const wh_error *e = wh_error_last();
    for (size_t i = 0; i < e->details_count; i++)
        if (strstr(e->details[i], needle)) return 1;
    return 0;
}

char *wh_test_read_source_file(const char *relpath, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", WH_SOURCE_DIR, relpath);
    return wh_file_read(path, len);
}

long wh_test_allocs;
static long g_fail_at = -1;

/* Count one call; whether it fails. */
static bool alloc_fails(void)
{
    long i = wh_test_allocs++;
    return g_fail_at >= 0 && i >= g_fail_at;
}

static void *count_malloc(size_t n, void *ud)
{
    (void)ud;
    return alloc_fails() ? NULL : malloc(n);
}

static void *count_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return alloc_fails() ? NULL : realloc(p, n);
}

static void count_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

void wh_test_alloc_begin(long fail_at)
{
    static const wh_allocator a = {WH_ALLOCATOR_VERSION, count_malloc, count_realloc, count_free,
                                   NULL};
    wh_test_allocs = 0;
    g_fail_at = fail_at;
    WH_ASSERT_OK(wh_set_allocator(&a));
}

void wh_test_alloc_end(void)
{
    WH_ASSERT_OK(wh_set_allocator(NULL));
    g_fail_at = -1;
}
