/*
 * The matcher's own node map (whi_nmap, lib/match/match_nodes.c) against the library's generic
 * map (whi_hmap, lib/util/hashmap.h), for issue 14: "one open-addressing map unless the
 * matcher's proves it needs its own (measure)".
 *
 * Both hold the same index nodes (a key and 8 postings in one allocation, as the matcher builds
 * them) under the same keys: event types of the matcher's benchmark vocabulary at the size of
 * its 100 000-subscription case, and 10x that. A lookup is what the matcher does per key of an
 * event: hash once (outside the timing of neither: both get a precomputed hash, as the matcher
 * reuses one hash across its maps), look up, and on a hit read the node's first posting. Half
 * of the lookups miss (most prefixes of an event's type and most entity keys are not indexed).
 * Keys are looked up in a random order, so slots and nodes come from memory, not cache, as in a
 * matcher with 100 000 subscriptions. Seven rounds, the maps taking turns; the median per
 * lookup is reported, with the generic map as value and the node map as baseline: a ratio above
 * 1 is what the matcher's map saves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bench_util.h"
#include "hashmap.h"
#include "match_impl.h"

#define LOOKUPS 2000000
#define ROUNDS  7

typedef struct probe {
    char key[48];
    size_t len;
    uint64_t hash64;
    uint32_t hash32;
} probe;

static whi_mnode *node_new(const char *key, size_t len, uint64_t hash)
{
    whi_mnode *n = whi_calloc(1, whi_node_size(len, 8));
    if (!n) abort();
    n->hash = hash;
    n->keylen = (uint16_t)len;
    n->cap = 8;
    n->nend = 8;
    memcpy(n->key, key, len + 1);
    for (uint32_t i = 0; i < 8; i++)
        whi_node_end(n)[i].tag = (uint64_t)i + len;
    return n;
}

static void probe_set(probe *p, const char *noun, size_t i)
{
    p->len = (size_t)snprintf(p->key, sizeof(p->key), "d%zu.%s%zu.created", i % 500, noun, i);
    p->hash64 = whi_hash_bytes(p->key, p->len);
    p->hash32 = whi_hmap_hash(p->key, p->len);
}

static uint64_t use(const whi_mnode *n)
{
    return n ? whi_node_end(n)[0].tag + n->nend : 1;
}

static double time_nmap(const whi_nmap *m, const probe *ps, const size_t *order, uint64_t *sink)
{
    double t0 = bench_now_s();
    uint64_t acc = 0;
    for (size_t i = 0; i < LOOKUPS; i++) {
        const probe *p = &ps[order[i]];
        acc += use(whi_nmap_get(m, p->hash64, p->key, p->len));
    }
    *sink += acc;
    return (bench_now_s() - t0) / LOOKUPS * 1e9;
}

static double time_hmap(const whi_hmap *m, const probe *ps, const size_t *order, uint64_t *sink)
{
    double t0 = bench_now_s();
    uint64_t acc = 0;
    for (size_t i = 0; i < LOOKUPS; i++) {
        const probe *p = &ps[order[i]];
        acc += use(whi_hmap_get_hashed(m, p->key, p->len, p->hash32));
    }
    *sink += acc;
    return (bench_now_s() - t0) / LOOKUPS * 1e9;
}

/* The matcher's pattern (match_lookup.c probe_all): an event's BATCH keys at once; first start
 * loading every candidate node (whole, its size read from the slot) while the slots are read,
 * then check each. The generic map can only start loading a candidate's first line
 * (whi_hmap_peek). */
#define BATCH 8

static void prefetch_node(const whi_nslot *s)
{
    for (uint32_t off = 0; off < s->bytes && off < 512; off += 64)
        __builtin_prefetch((const char *)s->node + off);
}

static double time_nmap_batched(const whi_nmap *m, const probe *ps, const size_t *order,
                                uint64_t *sink)
{
    double t0 = bench_now_s();
    uint64_t acc = 0;
    size_t mask = m->cap - 1;
    for (size_t i = 0; i + BATCH <= LOOKUPS; i += BATCH) {
        for (size_t k = 0; k < BATCH; k++) {
            const probe *p = &ps[order[i + k]];
            uint32_t tag = (uint32_t)(p->hash64 >> 32);
            for (size_t j = p->hash64 & mask; m->slots[j].node; j = (j + 1) & mask)
                if (m->slots[j].tag == tag) {
                    prefetch_node(&m->slots[j]);
                    break;
                }
        }
        for (size_t k = 0; k < BATCH; k++) {
            const probe *p = &ps[order[i + k]];
            acc += use(whi_nmap_get(m, p->hash64, p->key, p->len));
        }
    }
    *sink += acc;
    return (bench_now_s() - t0) / LOOKUPS * 1e9;
}

static double time_hmap_batched(const whi_hmap *m, const probe *ps, const size_t *order,
                                uint64_t *sink)
{
    double t0 = bench_now_s();
    uint64_t acc = 0;
    for (size_t i = 0; i + BATCH <= LOOKUPS; i += BATCH) {
        for (size_t k = 0; k < BATCH; k++)
            __builtin_prefetch(whi_hmap_peek(m, ps[order[i + k]].hash32));
        for (size_t k = 0; k < BATCH; k++) {
            const probe *p = &ps[order[i + k]];
            acc += use(whi_hmap_get_hashed(m, p->key, p->len, p->hash32));
        }
    }
    *sink += acc;
    return (bench_now_s() - t0) / LOOKUPS * 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void run_size(size_t keys)
{
    size_t nprobe = 2 * keys; /* the second half are keys never indexed */
    probe *ps = calloc(nprobe, sizeof(*ps));
    size_t *order = malloc(LOOKUPS * sizeof(*order));
    whi_mnode **nodes = calloc(keys, sizeof(*nodes));
    if (!ps || !order || !nodes) abort();
    whi_nmap nm = {0};
    whi_hmap hm = WHI_HMAP_INIT;
    for (size_t i = 0; i < keys; i++) {
        probe_set(&ps[i], "order", i);
        probe_set(&ps[keys + i], "refund", i);
        nodes[i] = node_new(ps[i].key, ps[i].len, ps[i].hash64);
        if (whi_nmap_put(&nm, nodes[i]) != 0 ||
            whi_hmap_put(&hm, nodes[i]->key, ps[i].len, nodes[i]) != 0)
            abort();
    }
    srand(7);
    for (size_t i = 0; i < LOOKUPS; i++)
        order[i] = ((size_t)rand() * 2654435761u) % nprobe;
    double tn[ROUNDS], th[ROUNDS], bn[ROUNDS], bh[ROUNDS];
    uint64_t sink = 0;
    for (int r = 0; r < ROUNDS; r++) {
        tn[r] = time_nmap(&nm, ps, order, &sink);
        th[r] = time_hmap(&hm, ps, order, &sink);
        bn[r] = time_nmap_batched(&nm, ps, order, &sink);
        bh[r] = time_hmap_batched(&hm, ps, order, &sink);
    }
    qsort(tn, ROUNDS, sizeof(double), cmp_double);
    qsort(th, ROUNDS, sizeof(double), cmp_double);
    qsort(bn, ROUNDS, sizeof(double), cmp_double);
    qsort(bh, ROUNDS, sizeof(double), cmp_double);
    char cas[64];
    snprintf(cas, sizeof(cas), "%zu_keys", keys);
    bench_line("match_map", cas, "ns_per_lookup", th[ROUNDS / 2], "ns", "whi_nmap", tn[ROUNDS / 2]);
    snprintf(cas, sizeof(cas), "%zu_keys_batched", keys);
    bench_line("match_map", cas, "ns_per_lookup", bh[ROUNDS / 2], "ns", "whi_nmap", bn[ROUNDS / 2]);
    fprintf(stderr, "# %s: sink %llu\n", cas, (unsigned long long)sink);
    whi_nmap_free(&nm); /* frees the nodes */
    whi_hmap_free(&hm);
    free(nodes);
    free(order);
    free(ps);
}

int main(void)
{
    run_size(10000);  /* the 100 000-subscription case's vocabulary: N / 10 types */
    run_size(100000); /* ten times that */
    return 0;
}
