/* Open-addressing string hash map (see hashmap.h). */
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "hashmap.h"

#define MIN_CAP 8

uint64_t whi_hash_bytes(const void *key, size_t len)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    const unsigned char *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * m);
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    if (len) {
        uint64_t t = 0;
        for (size_t i = 0; i < len; i++)
            t |= (uint64_t)p[i] << (8 * i);
        h ^= t;
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

static uint32_t hash32(const char *key, size_t len)
{
    return (uint32_t)whi_hash_bytes(key, len);
}

uint32_t whi_hmap_hash(const char *key, size_t len)
{
    return hash32(key, len);
}

static size_t find_slot(const whi_hmap *m, const char *key, size_t len, uint32_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const whi_hslot *s = &m->slots[i];
        if (!s->value) return i;
        if (s->hash == h && s->keylen == len && memcmp(s->key, key, len) == 0) return i;
    }
}

void *whi_hmap_get(const whi_hmap *m, const char *key, size_t len)
{
    if (m->n == 0) return NULL;
    return m->slots[find_slot(m, key, len, hash32(key, len))].value;
}

const void *whi_hmap_peek(const whi_hmap *m, uint32_t h)
{
    if (m->n == 0) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const whi_hslot *s = &m->slots[i];
        if (!s->value || s->hash == h) return s->value;
    }
}

void *whi_hmap_get_hashed(const whi_hmap *m, const char *key, size_t len, uint32_t h)
{
    if (m->n == 0) return NULL;
    return m->slots[find_slot(m, key, len, h)].value;
}

static int rehash(whi_hmap *m, size_t ncap)
{
    whi_hslot *ns = whi_calloc(ncap, sizeof(*ns));
    if (!ns) return whi_error_oom();
    whi_hslot *old = m->slots;
    size_t ocap = m->cap;
    m->slots = ns;
    m->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].value) m->slots[find_slot(m, old[i].key, old[i].keylen, old[i].hash)] = old[i];
    whi_free(old);
    return WH_OK;
}

int whi_hmap_put(whi_hmap *m, const char *key, size_t len, void *value)
{
    if (!value || len > UINT32_MAX) return whi_error(WH_EINVAL, "hash map: invalid key or value");
    /* Keep the load at most 3/4 so probe runs stay short. */
    if ((m->n + 1) * 4 > m->cap * 3) {
        size_t ncap = m->cap ? m->cap * 2 : MIN_CAP;
        if (ncap < m->cap || rehash(m, ncap) != WH_OK) return whi_error_oom();
    }
    uint32_t h = hash32(key, len);
    whi_hslot *s = &m->slots[find_slot(m, key, len, h)];
    if (!s->value) m->n++;
    *s = (whi_hslot){key, value, h, (uint32_t)len};
    return WH_OK;
}

void *whi_hmap_remove(whi_hmap *m, const char *key, size_t len)
{
    if (m->n == 0) return NULL;
    size_t mask = m->cap - 1;
    size_t i = find_slot(m, key, len, hash32(key, len));
    void *value = m->slots[i].value;
    if (!value) return NULL;
    /* Backward-shift deletion: pull later members of the probe run into the hole when their
     * home slot is at or before it (cyclically), so lookups never need tombstones. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        whi_hslot *s = &m->slots[j];
        if (!s->value) break;
        size_t home = s->hash & mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->slots[i] = *s;
            i = j;
        }
    }
    m->slots[i] = (whi_hslot){NULL, NULL, 0, 0};
    m->n--;
    return value;
}

void whi_hmap_free(whi_hmap *m)
{
    whi_free(m->slots);
    *m = (whi_hmap)WHI_HMAP_INIT;
}

size_t whi_hmap_bytes(const whi_hmap *m)
{
    return m->cap * sizeof(whi_hslot);
}
