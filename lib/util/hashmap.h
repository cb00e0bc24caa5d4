/*
 * A small open-addressing hash map from byte-string keys to pointers (linear probing with
 * backward-shift deletion, so no tombstones). The map does not own keys or values: a key must
 * stay valid while its entry is in the map (the usual pattern is a value object holding its own
 * key). Values must not be NULL (NULL marks an empty slot). Not thread-safe for writes; lookups
 * do not modify the map, so concurrent lookups are fine.
 */
#ifndef WEBHOOKS_HASHMAP_H
#define WEBHOOKS_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct whi_hslot {
    const char *key;
    void *value; /* NULL: empty slot */
    uint32_t hash;
    uint32_t keylen;
} whi_hslot;

typedef struct whi_hmap {
    whi_hslot *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
} whi_hmap;

#define WHI_HMAP_INIT                                                                              \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* 64-bit hash of len bytes (MurmurHash64A); stable within a process. */
uint64_t whi_hash_bytes(const void *key, size_t len);

/* The value stored under key, or NULL. */
void *whi_hmap_get(const whi_hmap *m, const char *key, size_t len);
/* For hot paths that look up several keys at once: hash them first, then look them up with the
 * hash (whi_hmap_peek lets a caller prefetch a value before its real lookup). */
uint32_t whi_hmap_hash(const char *key, size_t len);
void *whi_hmap_get_hashed(const whi_hmap *m, const char *key, size_t len, uint32_t hash);
/* The value of the first entry with that hash, key not compared: only a hint, for prefetching
 * the value before the real lookup compares its key. */
const void *whi_hmap_peek(const whi_hmap *m, uint32_t hash);
/* Insert key -> value, replacing the value of an existing equal key. WH_ENOMEM (map unchanged),
 * WH_EINVAL for a NULL value or a key over 4 GiB. */
int whi_hmap_put(whi_hmap *m, const char *key, size_t len, void *value);
/* Remove key; returns its value, or NULL if absent. */
void *whi_hmap_remove(whi_hmap *m, const char *key, size_t len);
/* Release the slots (not the keys or values). */
void whi_hmap_free(whi_hmap *m);
/* Bytes the map itself allocated (for memory accounting). */
size_t whi_hmap_bytes(const whi_hmap *m);

#endif
