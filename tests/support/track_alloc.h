/*
 * An allocator hook for tests that bound memory: it counts the bytes the library holds (through
 * wh_set_allocator, which cJSON's allocations follow too) and remembers the peak, and may call a
 * test's function on every allocation (to pause a thread at a chosen moment).
 */
#ifndef WH_TEST_TRACK_ALLOC_H
#define WH_TEST_TRACK_ALLOC_H

#include <stddef.h>

/* Called with the size of every malloc and realloc, in the allocating thread. */
typedef void (*wh_track_hook)(size_t size, void *user_data);

/* Install the tracking allocator (hook may be NULL) and zero the counters. */
void wh_track_begin(wh_track_hook hook, void *user_data);
/* Restore the default allocator. */
void wh_track_end(void);
/* Bytes held now and at most since wh_track_begin or wh_track_reset_peak, counted from the
 * moment the tracker was installed (memory allocated before and freed after counts negative). */
long long wh_track_live(void);
long long wh_track_peak(void);
/* Make the peak the current level. */
void wh_track_reset_peak(void);

#endif
