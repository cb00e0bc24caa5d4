/* Benchmark helpers (see bench_util.h). */
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_util.h"

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

size_t bench_discard(char *data, size_t size, size_t n, void *user_data)
{
    (void)data;
    (void)user_data;
    return size * n;
}

static int stop_at_first(const wh_delivery *d, void *ud)
{
    (void)d;
    (void)ud;
    return 1; /* the total is what we want */
}

size_t bench_count(wh_store *store, int status)
{
    wh_delivery_query q = WH_DELIVERY_QUERY_INIT;
    q.status = status;
    size_t total = 0;
    return wh_store_delivery_list(store, &q, &total, stop_at_first, NULL) == WH_OK ? total : 0;
}

void bench_line(const char *bench, const char *bcase, const char *metric, double value,
                const char *unit, const char *baseline, double baseline_value)
{
    printf("{\"bench\":\"%s\",\"case\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\","
           "\"baseline\":\"%s\",\"baseline_value\":%.6g,\"ratio\":%.6g}\n",
           bench, bcase, metric, value, unit, baseline, baseline_value,
           baseline_value != 0 ? value / baseline_value : 0.0);
    fflush(stdout);
}
