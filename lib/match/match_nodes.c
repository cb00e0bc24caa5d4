/* The index's node map (whi_nmap, see match_impl.h): keys to nodes holding their postings. */
#include <stdbool.h>
#include <string.h>

#include "match_impl.h"
#include "alloc.h"
#include "error.h"

#define MIN_CAP 8

static uint32_t node_bytes(const whi_mnode *n)
{
    size_t size = whi_node_size(n->keylen, n->cap);
    return size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
}

whi_mnode *whi_nmap_get(const whi_nmap *m, uint64_t hash, const char *key, size_t len)
{
    if (m->n == 0) return NULL;
    size_t mask = m->cap - 1;
    uint32_t tag = (uint32_t)(hash >> 32);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const whi_nslot *s = &m->slots[i];
        if (!s->node) return NULL;
        if (s->tag == tag && s->node->hash == hash && s->node->keylen == len &&
            memcmp(s->node->key, key, len) == 0)
            return s->node;
    }
}

/* The first empty slot of hash's probe run. */
static size_t free_slot(const whi_nmap *m, uint64_t hash)
{
    size_t mask = m->cap - 1;
    size_t i = hash & mask;
    while (m->slots[i].node)
        i = (i + 1) & mask;
    return i;
}

static int rehash(whi_nmap *m, size_t ncap)
{
    whi_nslot *ns = whi_calloc(ncap, sizeof(*ns));
    if (!ns) return WH_ENOMEM;
    whi_nslot *old = m->slots;
    size_t ocap = m->cap;
    m->slots = ns;
    m->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].node) m->slots[free_slot(m, old[i].node->hash)] = old[i];
    whi_free(old);
    return WH_OK;
}

int whi_nmap_put(whi_nmap *m, whi_mnode *node)
{
    /* Keep the load at most 3/4 so probe runs stay short. */
    if ((m->n + 1) * 4 > m->cap * 3) {
        size_t ncap = m->cap ? m->cap * 2 : MIN_CAP;
        if (ncap < m->cap || rehash(m, ncap) != WH_OK) return whi_error_oom();
    }
    m->slots[free_slot(m, node->hash)] =
        (whi_nslot){(uint32_t)(node->hash >> 32), node_bytes(node), node};
    m->n++;
    return WH_OK;
}

size_t whi_nmap_slot_of(const whi_nmap *m, const whi_mnode *node)
{
    size_t mask = m->cap - 1;
    size_t i = node->hash & mask;
    while (m->slots[i].node != node)
        i = (i + 1) & mask;
    return i;
}

void whi_nmap_relink(whi_nmap *m, size_t i, whi_mnode *node)
{
    m->slots[i].node = node;
    m->slots[i].bytes = node_bytes(node);
}

void whi_nmap_remove_at(whi_nmap *m, size_t i)
{
    size_t mask = m->cap - 1;
    /* Backward-shift deletion: pull later members of the probe run into the hole when their
     * home slot is at or before it (cyclically), so lookups never need tombstones. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        whi_nslot *s = &m->slots[j];
        if (!s->node) break;
        size_t home = s->node->hash & mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->slots[i] = *s;
            i = j;
        }
    }
    m->slots[i] = (whi_nslot){0, 0, NULL};
    m->n--;
}

void whi_nmap_free(whi_nmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        whi_free(m->slots[i].node);
    whi_free(m->slots);
    *m = (whi_nmap){NULL, 0, 0};
}

size_t whi_nmap_bytes(const whi_nmap *m)
{
    size_t total = m->cap * sizeof(whi_nslot);
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].node)
            total += whi_node_size(m->slots[i].node->keylen, m->slots[i].node->cap);
    return total;
}
