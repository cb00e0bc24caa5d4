/*
 * Memory benchmark: bytes per indexed subscription at 100 000 subscriptions (the issue 3 mix,
 * see bench_mix.h). Measured in one fresh process, in three steps: the subscriptions alone are
 * created (the hub's own cache holds them), then the matcher indexes them. Figures:
 * - resident_bytes_per_subscription: growth of the resident set (/proc/self/statm) caused by
 *   indexing, per subscription; baseline: the growth caused by the subscriptions themselves.
 * - heap_bytes_per_subscription: the same with the allocator's in-use bytes (mallinfo2), which
 *   is not blurred by page granularity or memory the allocator keeps.
 * - accounted_bytes_per_subscription: what the matcher's structures add up to by their own
 *   count (whi_matcher_index_bytes), against the heap figure.
 * The target (issue 3) is under 1 KiB per indexed subscription for the index.
 */
#include <malloc.h>
#include <unistd.h>

#include "bench_mix.h"
#include "match_impl.h"

#define N 100000

static double resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2) {
        fprintf(stderr, "bench_memory: cannot read /proc/self/statm\n");
        exit(1);
    }
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

static double heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}

static void emit(const char *metric, double value, const char *baseline, double baseline_value)
{
    printf("{\"bench\":\"memory\",\"case\":\"subs=%d\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":"
           "\"bytes\",\"baseline\":\"%s\",\"baseline_value\":%.6g,\"ratio\":%.6g}\n",
           N, metric, value, baseline, baseline_value,
           baseline_value != 0 ? value / baseline_value : 0.0);
}

int main(void)
{
    sizes sz = bench_sizes(N);
    wh_subscription **subs = malloc(N * sizeof(*subs));
    /* Warm the library (thread DRBG, error state) so its one-time allocations are not counted. */
    wh_subscription_free(make_sub(0, sz));
    double rss0 = resident_bytes(), heap0 = heap_bytes();
    for (unsigned i = 0; i < N; i++)
        subs[i] = make_sub(i, sz);
    double rss1 = resident_bytes(), heap1 = heap_bytes();
    wh_matcher *m;
    must(wh_matcher_new(&m), "matcher_new");
    for (unsigned i = 0; i < N; i++)
        must(wh_matcher_add(m, subs[i]), "matcher_add");
    double rss2 = resident_bytes(), heap2 = heap_bytes();
    double accounted = (double)whi_matcher_index_bytes(m);

    double subs_rss = (rss1 - rss0) / N, index_rss = (rss2 - rss1) / N;
    double subs_heap = (heap1 - heap0) / N, index_heap = (heap2 - heap1) / N;
    emit("resident_bytes_per_subscription", index_rss, "subscriptions_alone", subs_rss);
    emit("heap_bytes_per_subscription", index_heap, "subscriptions_alone", subs_heap);
    emit("accounted_bytes_per_subscription", accounted / N, "heap_bytes_per_subscription",
         index_heap);
    emit("total_resident_bytes_per_subscription", index_rss + subs_rss, "subscriptions_alone",
         subs_rss);

    wh_matcher_free(m);
    for (unsigned i = 0; i < N; i++)
        wh_subscription_free(subs[i]);
    free(subs);
    return 0;
}
