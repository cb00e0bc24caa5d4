/*
 * The matcher's product dictionary (whi_mproducts, see match_impl.h): every product id a
 * subscription's filter lists gets a small number, counted by the filters listing it. A
 * subscription filtering on one to three products carries their numbers in its postings, so a
 * match checks its filter against the event's numbers without reading the filter block.
 */
#include <string.h>

#include "match_impl.h"
#include "alloc.h"
#include "hashmap.h"

/* A free number: the last one given back, or the next unused. */
static int take_number(whi_mproducts *d, uint32_t *out)
{
    if (d->nspare) {
        *out = d->spare[--d->nspare];
        return WH_OK;
    }
    if (d->next == UINT32_MAX) return WH_ENOMEM;
    if (d->next >= d->cap) {
        uint32_t ncap = d->cap ? d->cap * 2 : 16; /* > next: next is 1 at first */
        whi_mproduct **v = ncap > d->cap ? whi_realloc(d->by_id, ncap * sizeof(*v)) : NULL;
        if (!v) return WH_ENOMEM;
        memset(v + d->cap, 0, (ncap - d->cap) * sizeof(*v));
        d->by_id = v;
        d->cap = ncap;
    }
    *out = d->next++;
    return WH_OK;
}

/* Keep room to give back every number, the next one too, without allocating (release never
 * fails). */
static int reserve_spare(whi_mproducts *d)
{
    if (d->spare_cap >= d->next + 1) return WH_OK;
    uint32_t ncap = d->next + 1 > 2 * d->spare_cap ? d->next + 1 : 2 * d->spare_cap;
    uint32_t *v = whi_realloc(d->spare, ncap * sizeof(*v));
    if (!v) return WH_ENOMEM;
    d->spare = v;
    d->spare_cap = ncap;
    return WH_OK;
}

int whi_products_acquire(whi_mproducts *d, const char *name, size_t len, uint32_t *id)
{
    whi_mproduct *p = whi_hmap_get(&d->map, name, len);
    if (p) {
        p->refs++;
        *id = p->id;
        return WH_OK;
    }
    uint32_t n;
    if (reserve_spare(d) != WH_OK || take_number(d, &n) != WH_OK) return WH_ENOMEM;
    p = whi_malloc(sizeof(*p) + len + 1);
    if (!p) {
        d->spare[d->nspare++] = n;
        return WH_ENOMEM;
    }
    memcpy(p->name, name, len);
    p->name[len] = '\0';
    p->len = (uint32_t)len;
    p->id = n;
    p->refs = 1;
    if (whi_hmap_put(&d->map, p->name, len, p) != WH_OK) {
        d->spare[d->nspare++] = n;
        whi_free(p);
        return WH_ENOMEM;
    }
    d->by_id[n] = p;
    *id = n;
    return WH_OK;
}

void whi_products_release(whi_mproducts *d, uint32_t id)
{
    if (id == 0 || id >= d->next || !d->by_id[id]) return;
    whi_mproduct *p = d->by_id[id];
    if (--p->refs) return;
    whi_hmap_remove(&d->map, p->name, p->len);
    d->by_id[id] = NULL;
    d->spare[d->nspare++] = id; /* room reserved when the number was given */
    whi_free(p);
}

uint32_t whi_products_find(const whi_mproducts *d, const char *name, size_t len, uint64_t hash)
{
    if (!d->map.n) return 0;
    const whi_mproduct *p = whi_hmap_get_hashed(&d->map, name, len, (uint32_t)hash);
    return p ? p->id : 0;
}

const char *whi_products_name(const whi_mproducts *d, uint32_t id)
{
    return id && id < d->next && d->by_id[id] ? d->by_id[id]->name : NULL;
}

size_t whi_products_bytes(const whi_mproducts *d)
{
    size_t total =
        whi_hmap_bytes(&d->map) + d->cap * sizeof(*d->by_id) + d->spare_cap * sizeof(*d->spare);
    for (uint32_t i = 1; i < d->next; i++)
        if (d->by_id[i]) total += sizeof(whi_mproduct) + d->by_id[i]->len + 1;
    return total;
}

void whi_products_free(whi_mproducts *d)
{
    for (uint32_t i = 1; i < d->next; i++)
        whi_free(d->by_id[i]);
    whi_hmap_free(&d->map);
    whi_free(d->by_id);
    whi_free(d->spare);
    *d = (whi_mproducts){.next = 1};
}

void whi_products_init(whi_mproducts *d)
{
    *d = (whi_mproducts){.next = 1}; /* 0 means "no such product" */
}
