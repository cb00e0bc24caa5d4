/* The tracking allocator of track_alloc.h: malloc_usable_size tells what each block holds. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "track_alloc.h"
#include "wh_test.h"

static _Atomic long long g_live, g_peak;
static wh_track_hook g_hook;
static void *g_hook_ud;

static void add(long long n)
{
    long long now = atomic_fetch_add(&g_live, n) + n;
    long long peak = atomic_load(&g_peak);
    while (now > peak && !atomic_compare_exchange_weak(&g_peak, &peak, now)) {
    }
}

static void *t_malloc(size_t n, void *ud)
{
    (void)ud;
    if (g_hook) g_hook(n, g_hook_ud);
    void *p = malloc(n);
    if (p) add((long long)malloc_usable_size(p));
    return p;
}

static void *t_realloc(void *old, size_t n, void *ud)
{
    (void)ud;
    if (g_hook) g_hook(n, g_hook_ud);
    long long before = old ? (long long)malloc_usable_size(old) : 0;
    void *p = realloc(old, n);
    if (p) add((long long)malloc_usable_size(p) - before);
    return p;
}

static void t_free(void *p, void *ud)
{
    (void)ud;
    if (p) add(-(long long)malloc_usable_size(p));
    free(p);
}

void wh_track_begin(wh_track_hook hook, void *user_data)
{
    static const wh_allocator a = {WH_ALLOCATOR_VERSION, t_malloc, t_realloc, t_free, NULL};
    atomic_store(&g_live, 0);
    atomic_store(&g_peak, 0);
    g_hook = hook;
    g_hook_ud = user_data;
    WH_ASSERT_OK(wh_set_allocator(&a));
}

void wh_track_end(void)
{
    WH_ASSERT_OK(wh_set_allocator(NULL));
    g_hook = NULL;
    g_hook_ud = NULL;
}

long long wh_track_live(void)
{
    return atomic_load(&g_live);
}

long long wh_track_peak(void)
{
    return atomic_load(&g_peak);
}

void wh_track_reset_peak(void)
{
    atomic_store(&g_peak, atomic_load(&g_live));
}
