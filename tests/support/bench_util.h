/* Small helpers shared by the benchmark programs: a monotonic clock and the JSON line format of
 * DESIGN.md (ratio = value / baseline_value). */
#ifndef WH_BENCH_UTIL_H
#define WH_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <webhooks.h>

double bench_now_s(void);
/* CPU seconds this process used so far (user and system). */
double bench_cpu_s(void);
/* A libcurl write callback that drops the answer. */
size_t bench_discard(char *data, size_t size, size_t n, void *user_data);
/* How many deliveries of store have status (-1: any); 0 on error. */
size_t bench_count(wh_store *store, int status);
/* Print one figure: {"bench":..,"case":..,"metric":..,"value":..,"unit":..,"baseline":..,
 * "baseline_value":..,"ratio":..} on its own line, flushed. */
void bench_line(const char *bench, const char *bcase, const char *metric, double value,
                const char *unit, const char *baseline, double baseline_value);

#endif
