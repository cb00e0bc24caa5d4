/* Small helpers shared by the benchmark programs: a monotonic clock and the JSON line format of
 * DESIGN.md (ratio = value / baseline_value). */
#ifndef WH_BENCH_UTIL_H
#define WH_BENCH_UTIL_H

#include <stdint.h>

double bench_now_s(void);
/* Print one figure: {"bench":..,"case":..,"metric":..,"value":..,"unit":..,"baseline":..,
 * "baseline_value":..,"ratio":..} on its own line, flushed. */
void bench_line(const char *bench, const char *bcase, const char *metric, double value,
                const char *unit, const char *baseline, double baseline_value);

#endif
