/* Benchmark helpers (see bench_util.h). */
#include <stdio.h>
#include <time.h>

#include "bench_util.h"

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
