/*
 * The matcher's private layout, shared by match.c (API, entries), match_index.c (posting lists,
 * trie upkeep), match_mat.c (wildcards copied into exact types), match_types.c (the tree of
 * exact types), match_lookup.c (lookups), match_nodes.c (the node map), match_presence.c (the
 * presence filter), match_rules.c (pure rules, linear scan) and the tests and benchmark.
 *
 * Index:
 * - exact:  event type -> node whose `end` list holds subscriptions with that exact pattern,
 *           and (when materialized, WHI_NODE_MAT) every subscription whose wildcard pattern
 *           matches that type, but "*" and "**": an event whose type has such a node is
 *           matched by reading that one node, without walking the trie. See match_mat.c.
 * - trie:   wildcard patterns by their path with '*' segments kept literally: node "order.*"
 *           holds "order.*" in `end`; node "order" holds "order.**" in `deep`. The root (not in
 *           the map) holds "*" and "**" in `deep`. Every prefix of an indexed path has a node,
 *           so a walk over the event's segments can follow both the literal and the '*' child.
 * - entity: "Entity" -> node holding subscriptions on every action of the entity;
 *           "Entity\0action" -> node holding those on that action.
 * - presence: a small bitset over the trie's paths (whi_mpresence) with which a match finds
 *           the trie lists an event reaches without reading the trie nodes on the way, and
 *           learns whether its type has a materialized node.
 * - types:  the exact types as a tree of segments (whi_tnode), which only the upkeep reads:
 *           filing a wildcard finds there the exact types it must be copied into.
 * Posting lists are sorted by the entry's sequence number (order of addition), which gives the
 * stable result order. Each node holds its lists inline, after its key (whi_mnode), and the
 * three maps are the index's own (whi_nmap), so a lookup reads a slot, then one block.
 */
#ifndef WEBHOOKS_MATCH_IMPL_H
#define WEBHOOKS_MATCH_IMPL_H

#include <stdbool.h>
#include "hashmap.h"
#include "rules.h"
#include "filter_impl.h"
#include "webhooks/match.h"

typedef struct whi_mentry whi_mentry;

/*
 * A subscription's filters as the index checks them, in one block: 64-bit hashes of its
 * product ids, event identifiers and source, so matching compares integers, followed by copies
 * of the strings, to confirm a hash hit without reading the subscription. Built at add/update.
 */
typedef struct whi_mfilter {
    const wh_subscription *sub; /* borrowed: a filtered entry's postings reach it through here */
    /* The subscription's payload filter, copied at the end of this block, or NULL. Checked in
     * the result step, once per matched subscription, after the index's own filters. */
    const wh_filter *payload;
    uint32_t bloom; /* one of WHI_BLOOM_BITS bits per product hash (0: no product filter) */
    bool has_source;
    /* The subscription listens through patterns and an entity at once: it is filed under its
     * patterns only, and the entity (with nactions actions) is checked here. */
    bool has_entity;
    uint32_t nactions;
    uint32_t nproducts, nidents; /* hashes[0 .. nproducts), then nidents identifier hashes */
    uint32_t size;               /* bytes of the whole block */
    /* The postings' inline form (WHI_TAG_MODE and payload: the products' numbers) when the
     * filter is one to three numbered products alone, else 0 (postings point at this block). */
    uint32_t inline_bits;
    uint64_t source_hash;
    /* hashes[nproducts + nidents], then the products' numbers in the matcher's dictionary
     * (uint32_t, 0 until numbered: whi_mfilter_pids), then the strings NUL-terminated in the
     * same order, then the source (when has_source), then the entity and its actions (when
     * has_entity). */
    uint64_t hashes[];
} whi_mfilter;

static inline uint32_t *whi_mfilter_pids(const whi_mfilter *f)
{
    return (uint32_t *)(f->hashes + f->nproducts + f->nidents);
}

/*
 * One entry in a posting list, 16 bytes (a match reads a few dozen: their size is most of the
 * memory it reads). A subscription without filters, or filtering on one to three products
 * (their numbers inline, WHI_TAG_MODE), is listed without touching any other memory; one with
 * other filters through its filter block, which holds the subscription pointer.
 */
typedef struct whi_posting {
    /* The entry's order of addition (which identifies it in the list) << 24, WHI_TAG_FILTERED,
     * WHI_TAG_EXACT (in an exact node: the entry has that exact pattern, as opposed to being
     * copied there for a wildcard), and in the low 22 bits either (WHI_TAG_FILTERED) its
     * filter's product bloom bits: most events miss a product filter, and this rejects them
     * without reading the filter; or (WHI_TAG_MODE 1-3) the numbers of the one to three
     * products it filters on, checked exactly without reading anything else. */
    uint64_t tag;
    const void *ref; /* the wh_subscription (borrowed), or its whi_mfilter when filtered */
} whi_posting;

#define WHI_BLOOM_BITS     20
#define WHI_BLOOM_ALL      ((uint32_t)((UINT32_C(1) << WHI_BLOOM_BITS) - 1))
#define WHI_TAG_MODE(tag)  ((uint32_t)((tag) >> 20) & 3) /* inline product numbers: 0 or 1-3 */
#define WHI_TAG_EXACT      (UINT64_C(1) << 22)
#define WHI_TAG_FILTERED   (UINT64_C(1) << 23)
#define WHI_TAG_SEQ(tag)   ((tag) >> 24)
#define WHI_TAG_BLOOM(tag) ((uint32_t)((tag)&WHI_BLOOM_ALL))
#define WHI_MAX_SEQ        ((UINT64_C(1) << 40) - 1)
/* The product bloom bit of a product id hash. */
#define WHI_BLOOM_BIT(hash) ((uint32_t)(UINT32_C(1) << ((hash) >> 32) % WHI_BLOOM_BITS))

/*
 * An index node: one key's posting lists inline after the key, in one allocation, so a match
 * reads a node and its postings as one block (one dependent cache miss after the map slot).
 * Layout: this header, the key (keylen bytes and a NUL), padding to 8 bytes, then room for
 * `cap` postings: the `end` list in [0, nend), the `deep` list in [nend, nend + ndeep).
 * Growing or shrinking the lists reallocates the node, so whoever points at it is updated then:
 * its map slot (whi_nmap_relink), its trie parent's `star`, or the matcher's root.
 */
typedef struct whi_mnode {
    uint64_t hash;          /* its key's hash in its map (whi_path_hash for the trie) */
    struct whi_mnode *star; /* trie: the child whose last segment is '*', or NULL */
    uint32_t nend, ndeep;   /* postings in the `end` list (pattern ends here) and the `deep`
                               list (pattern is this path followed by ".**") */
    uint32_t cap;           /* room for postings */
    uint32_t refs;          /* keys indexed at or below this node; freed at 0 */
    uint32_t nlit;          /* trie: children whose last segment is literal (found by lookup) */
    uint16_t keylen;        /* at most WHI_MAX_KEY */
    uint16_t flags;         /* exact nodes: WHI_NODE_MAT */
    char key[];             /* the path / type / entity key, NUL-terminated */
} whi_mnode;

/* An exact node that lists the wildcard subscriptions reaching its type too (match_mat.c). */
#define WHI_NODE_MAT 1u

/* Bytes from a node's start to its postings. */
static inline size_t whi_node_voff(size_t keylen)
{
    return (sizeof(whi_mnode) + keylen + 1 + 7) & ~(size_t)7;
}
static inline whi_posting *whi_node_end(const whi_mnode *n)
{
    return (whi_posting *)((char *)n + whi_node_voff(n->keylen));
}
static inline whi_posting *whi_node_deep(const whi_mnode *n)
{
    return whi_node_end(n) + n->nend;
}
static inline size_t whi_node_size(size_t keylen, size_t cap)
{
    return whi_node_voff(keylen) + cap * sizeof(whi_posting);
}

/*
 * The index's own open-addressing map from keys to nodes (linear probing, backward-shift
 * deletion). A slot holds the top half of the node's hash, to skip other keys' nodes without
 * reading them, and the node's size, so a match can start loading the whole node as soon as it
 * has read the slot. Keys are compared in the node. Lookups do not modify the map.
 */
typedef struct whi_nslot {
    uint32_t tag;    /* hash >> 32 */
    uint32_t bytes;  /* the node's allocation size (a prefetch hint) */
    whi_mnode *node; /* NULL: empty */
} whi_nslot;

typedef struct whi_nmap {
    whi_nslot *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
} whi_nmap;

/* The slot where a lookup of hash starts. */
static inline const whi_nslot *whi_nmap_home(const whi_nmap *m, uint64_t hash)
{
    return &m->slots[hash & (m->cap - 1)];
}
/* The node with that hash and key, or NULL. */
whi_mnode *whi_nmap_get(const whi_nmap *m, uint64_t hash, const char *key, size_t len);
/* Add node (its key is not in the map yet). WH_ENOMEM (map unchanged). */
int whi_nmap_put(whi_nmap *m, whi_mnode *node);
/* The index of node's slot (node must be in the map). */
size_t whi_nmap_slot_of(const whi_nmap *m, const whi_mnode *node);
/* Point slot i at node (after node was reallocated). */
void whi_nmap_relink(whi_nmap *m, size_t i, whi_mnode *node);
/* Remove the node in slot i. */
void whi_nmap_remove_at(whi_nmap *m, size_t i);
/* Free every node and the slots. */
void whi_nmap_free(whi_nmap *m);
size_t whi_nmap_bytes(const whi_nmap *m); /* slots and nodes */

/* Kinds of index keys an entry is filed under. */
enum { WHI_KEY_EXACT = 1, WHI_KEY_END, WHI_KEY_DEEP, WHI_KEY_ENTITY };

/* A node's posting list of one kind (WHI_KEY_DEEP: `deep`; any other: `end`). */
typedef struct plist {
    whi_posting *v;
    uint32_t n;
} plist;

static inline plist whi_node_list(const whi_mnode *n, int kind)
{
    if (kind == WHI_KEY_DEEP) return (plist){whi_node_deep(n), n->ndeep};
    return (plist){whi_node_end(n), n->nend};
}

/* The position of the first posting of l whose sequence number is not below seq. */
static inline size_t whi_plist_lower_bound(plist l, uint64_t seq)
{
    size_t lo = 0, hi = l.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (WHI_TAG_SEQ(l.v[mid].tag) < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The posting of l with that sequence number, or NULL. */
static inline whi_posting *whi_plist_find(plist l, uint64_t seq)
{
    size_t i = whi_plist_lower_bound(l, seq);
    return i < l.n && WHI_TAG_SEQ(l.v[i].tag) == seq ? &l.v[i] : NULL;
}

struct whi_mentry {
    const wh_subscription *sub; /* borrowed */
    uint64_t seq;               /* order of addition */
    /* Keys it is indexed under, as a packed blob: repeated [kind:1][len:2][bytes:len]. */
    unsigned char *keys;
    size_t keys_len;
    whi_mfilter *filter; /* NULL: no filters */
    char id[];           /* own copy, NUL-terminated; key of the id map */
};

#define WHI_MAX_KEY 512 /* longest key: entity (255) + NUL + action (255) */

/*
 * The product dictionary (match_products.c): each product id some filter lists has a number,
 * counted by the filters listing it; numbers given back are reused first, so they stay small.
 */
typedef struct whi_mproduct {
    uint32_t id, refs, len;
    char name[];
} whi_mproduct;
typedef struct whi_mproducts {
    whi_hmap map;         /* name -> whi_mproduct */
    whi_mproduct **by_id; /* number -> product (NULL: unused; 0 is never given) */
    uint32_t cap, next;   /* by_id's room; the numbers below next have been given */
    uint32_t *spare;      /* numbers given back (room for all, so release never allocates) */
    uint32_t nspare, spare_cap;
} whi_mproducts;
void whi_products_init(whi_mproducts *d);
/* The number of product name, counted once more (made when new). WH_ENOMEM, no message. */
int whi_products_acquire(whi_mproducts *d, const char *name, size_t len, uint32_t *id);
void whi_products_release(whi_mproducts *d, uint32_t id);
/* The number of name (hash: its whi_hash_bytes), or 0 when no filter lists it. */
uint32_t whi_products_find(const whi_mproducts *d, const char *name, size_t len, uint64_t hash);
const char *whi_products_name(const whi_mproducts *d, uint32_t id); /* NULL: unused */
size_t whi_products_bytes(const whi_mproducts *d);
void whi_products_free(whi_mproducts *d);

/* Bits per inline product number for k numbers (WHI_TAG_MODE k, 0 to 3): 0, 20, 10, 6, one byte
 * each of a constant, so that decoding needs no branch and no table. */
static inline uint32_t whi_inline_width(uint32_t k)
{
    return UINT32_C(0x060A1400) >> (8 * k) & 0xFF;
}

/* The inline form of up to three product numbers (see whi_posting), or 0 when they do not fit:
 * one number below 2^20, two below 2^10, three below 2^6. */
static inline uint32_t whi_inline_bits(const uint32_t *ids, uint32_t k)
{
    if (k < 1 || k > 3) return 0;
    uint32_t bits = k << 20, w = whi_inline_width(k);
    for (uint32_t i = 0; i < k; i++) {
        if (ids[i] == 0 || ids[i] >> w) return 0;
        bits |= ids[i] << (i * w);
    }
    return bits;
}

/* The three inline numbers of a posting's tag, without branches; those it does not have (all
 * three for WHI_TAG_MODE 0) are 0, which is never a number. */
static inline void whi_inline_numbers(uint64_t tag, uint32_t n[3])
{
    uint32_t s = whi_inline_width(WHI_TAG_MODE(tag));
    uint64_t mask = (UINT64_C(1) << s) - 1, payload = tag & 0xFFFFF;
    n[0] = (uint32_t)(payload & mask);
    n[1] = (uint32_t)(payload >> s & mask);
    n[2] = (uint32_t)(payload >> 2 * s & mask);
}

/*
 * The exact types of the `exact` map as a tree of their dot segments, for the upkeep of
 * materialized nodes: which exact types does a wildcard pattern match (whi_types_each)?
 */
typedef struct whi_tnode whi_tnode;
struct whi_tnode {
    whi_tnode **kids; /* sorted by segment bytes (a prefix first) */
    uint32_t nkids, cap;
    uint32_t below; /* exact types at or below this node: freed at 0 (the root never) */
    uint16_t seglen;
    bool is_type; /* its path is an exact type */
    char seg[];   /* the segment, NUL-terminated ("" for the root) */
};
whi_tnode *whi_types_new(void); /* the root, or NULL */
/* Add / remove an exact type. whi_types_add: WH_ENOMEM (tree unchanged), without a message. */
int whi_types_add(whi_tnode *root, const char *type, size_t len);
void whi_types_remove(whi_tnode *root, const char *type, size_t len);
/* Call cb for every exact type the trie key (kind WHI_KEY_END or WHI_KEY_DEEP, path len > 0)
 * matches, with the type's whi_path_hash. cb must not change the tree. */
typedef void (*whi_type_cb)(void *ud, const char *type, size_t len, uint64_t hash);
void whi_types_each(const whi_tnode *root, int kind, const char *key, size_t len, whi_type_cb cb,
                    void *ud);
size_t whi_types_bytes(const whi_tnode *root);
void whi_types_free(whi_tnode *root);

/*
 * A presence filter over the trie, small enough to stay in the cache, so a match can find the
 * trie's lists without reading the nodes on the way to them (each a likely cache miss at 100 000
 * subscriptions). Three kinds of members, by a path hash composed segment by segment
 * (whi_path_hash_step, so a match extends a path's hash by one segment in a few instructions):
 * every trie node's path (NODE), the paths whose `end` list is not empty (END), and those whose
 * `deep` list is not empty (DEEP). A bit may be set for a path that is not a member (a false
 * positive only costs a lookup), never clear for one that is. Counts per bit make removal
 * exact; matching reads only the bits. When `bits` is NULL (allocation failed) matching walks
 * the trie instead.
 */
enum { WHI_PRES_NODE, WHI_PRES_END, WHI_PRES_DEEP, WHI_PRES_TYPE };

typedef struct whi_mpresence {
    uint64_t *bits; /* nbits bits: the only part a match reads */
    /* Members per bit. A count that reaches UINT16_MAX stays there (its bit then stays set: a
     * false positive costs a lookup, a false negative would lose a match). */
    uint16_t *counts;
    size_t nbits; /* 0 or a power of two */
    size_t members;
} whi_mpresence;

#define WHI_PATH_SEED UINT64_C(0x8f14a3c5e7d2b961) /* the root's (empty path's) hash */
/* The hash of path "<parent>.<seg>" from the parent path's hash and the segment's
 * whi_hash_bytes. */
static inline uint64_t whi_path_hash_step(uint64_t parent, uint64_t seg_hash)
{
    /* Mix the parent in before and after the segment, so "a.b" and "b.a" differ. */
    uint64_t h = (parent ^ seg_hash) * UINT64_C(0x9E3779B97F4A7C15);
    return h ^ (h >> 29) ^ parent >> 17;
}
/* The hash of a whole path (dot-separated; len 0: the root). */
uint64_t whi_path_hash(const char *path, size_t len);
/* The bit of path hash h for that kind: 21 bits of h each for the trie's kinds, and for
 * TYPE (materialized exact types) the top bits of h times an odd constant. */
static inline size_t whi_presence_bit(const whi_mpresence *p, uint64_t h, int kind)
{
    uint64_t x = kind == WHI_PRES_TYPE ? h * UINT64_C(0xD6E8FEB86659FD93) >> 40 : h >> (kind * 21);
    return (size_t)x & (p->nbits - 1);
}
/* Whether the path with hash h may be a member of that kind. */
static inline bool whi_presence_test(const whi_mpresence *p, uint64_t h, int kind)
{
    size_t i = whi_presence_bit(p, h, kind);
    return p->bits[i / 64] >> (i % 64) & 1;
}
/* Count one member in or out (the bitset must have room: see whi_presence_grow). */
void whi_presence_count(whi_mpresence *p, uint64_t h, int kind, int delta);
/* Allocate an empty filter of nbits bits into *out. WH_ENOMEM, without setting an error. */
int whi_presence_alloc(whi_mpresence *out, size_t nbits);
void whi_presence_free(whi_mpresence *p);

struct wh_matcher {
    whi_hmap ids;           /* id -> whi_mentry */
    whi_nmap exact;         /* type -> whi_mnode, by whi_path_hash */
    whi_nmap trie;          /* path -> whi_mnode, by whi_path_hash */
    whi_nmap entity;        /* entity or entity\0action -> whi_mnode */
    whi_mnode *root;        /* trie root (own allocation): "*" and "**" in deep */
    whi_mpresence presence; /* over the trie (not the root) and the materialized exact types */
    whi_tnode *types;       /* the exact types (own allocation) */
    whi_mproducts products; /* numbers of the products filters list */
    uint32_t mat_budget;    /* most wildcard copies an exact node takes (WHI_MAT_BUDGET) */
    uint64_t next_seq;
};

/* An exact node materializes while at most this many wildcard postings reach its type; past
 * it, the type is matched through the trie (its node then holds its exact postings only). */
#define WHI_MAT_BUDGET 64

typedef struct whi_mhit {
    uint64_t seq;
    const wh_subscription *sub;
} whi_mhit;

#define WHI_MAX_RUNS 32

struct wh_match_result {
    /* Hits whose sub is a tagged whi_mfilter pointer (low bit set): their payload filter is yet
     * to be checked (whi_result_apply_payload). */
    size_t pending;
    whi_fdoc *doc; /* the event's JSON view for payload filters, made on first need, reused */
    whi_mhit *v;
    whi_mhit *tmp; /* scratch of the same capacity, for merging the sorted runs */
    size_t n, cap;
    /* Where each posting list's hits start in v: every run is sorted, so a k-way merge of the
     * runs orders the result. nruns > WHI_MAX_RUNS: too many to track, sort generically. */
    size_t runs[WHI_MAX_RUNS];
    size_t nruns;
    int failed; /* WH_ENOMEM after a failed growth during one match */
};

/* match_index.c: file / unfile one key for an entry. whi_index_add returns WH_OK when added,
 * 1 when the entry was already filed under that key (nothing changed), or WH_ENOMEM (nothing
 * changed). whi_index_remove returns whether the entry was found there. Exact keys are hashed
 * with whi_path_hash, like trie paths, so a match hashes its type once. */
int whi_index_add(wh_matcher *m, int kind, const char *key, size_t len, whi_mentry *e);
bool whi_index_remove(wh_matcher *m, int kind, const char *key, size_t len, whi_mentry *e);
/* Rewrite e's posting under that key with e's current sub and filter. */
void whi_index_refresh(wh_matcher *m, int kind, const char *key, size_t len, whi_mentry *e);
/* match_lookup.c: collect every candidate for ev that passes the filters into r (not yet
 * sorted). */
void whi_index_collect(const wh_matcher *m, const wh_event *ev, wh_match_result *r);
int whi_index_init(wh_matcher *m); /* allocates the root */
void whi_index_free(wh_matcher *m);
/* The posting that files e (its sequence number, filter and subscription). */
whi_posting whi_posting_of(const whi_mentry *e);
/* Rewrite *p as e's posting after e changed, keeping its WHI_TAG_EXACT mark. */
void whi_posting_rewrite(whi_posting *p, const whi_mentry *e);
/* Put p in *np's list of that kind at its sequence number's place (the node may move: whoever
 * points at it follows, see whi_node_resize). WH_OK, 1 when a posting with that number is
 * there already (unchanged), or WH_ENOMEM (unchanged, no message). */
int whi_node_put(wh_matcher *m, whi_nmap *map, whi_mnode **np, int kind, whi_posting p);
/* Give back room when a node that stays holds far less than it has room for. */
void whi_node_trim(wh_matcher *m, whi_nmap *map, whi_mnode *n);
/* Room for exactly ncap postings (map: the node's map, NULL for the root). WH_ENOMEM, no
 * message, node unchanged. */
int whi_node_resize(wh_matcher *m, whi_nmap *map, whi_mnode **np, uint32_t ncap);
/* The presence filter gained (+1) or lost (-1) a member of that kind with path hash h. */
void whi_presence_note(wh_matcher *m, uint64_t h, int kind, int delta);

/* match_mat.c: materialized exact nodes (see there), and the trie walk they are filled from. */
typedef void (*whi_list_cb)(void *ud, plist l);
/* Call cb for every non-empty trie list, but the root's, that reaches the type: a walk of the
 * trie by lookups (the presence filter finds the same lists without reading the nodes). */
void whi_trie_reaching(const wh_matcher *m, const char *type, size_t len, whi_list_cb cb, void *ud);
/* Copy into exact node *np the trie postings that reach its type, when within the budget;
 * returns whether the node is now materialized (failure leaves it matched through the trie). */
bool whi_mat_fill(wh_matcher *m, whi_mnode **np);
/* Back to exact postings only (the type is then matched through the trie). Never fails. */
void whi_mat_drop(wh_matcher *m, whi_mnode *n);
/* Whether any trie list reaching the type of exact node n (but the root's) lists seq. */
bool whi_mat_reaches(const wh_matcher *m, const whi_mnode *n, uint64_t seq);
/* The trie key (kind, path) of e was just filed (added), unfiled (removed) or rewritten
 * (refreshed): bring the materialized exact nodes it reaches in step. Never fail: a node that
 * cannot take a copy stops being materialized. */
void whi_mat_key_added(wh_matcher *m, int kind, const char *path, size_t len, const whi_mentry *e);
void whi_mat_key_removed(wh_matcher *m, int kind, const char *path, size_t len,
                         const whi_mentry *e);
void whi_mat_key_refreshed(wh_matcher *m, int kind, const char *path, size_t len,
                           const whi_mentry *e);

/* match_rules.c */
/* Build the filter block of sub (*out NULL when it has no filters). WH_ENOMEM. */
int whi_mfilter_build(const wh_subscription *sub, whi_mfilter **out);
/* The event's side of filter checks, hashed once per match and only when first needed. */
typedef struct whi_evfilter {
    const wh_event *ev;
    const whi_mproducts *dict; /* the matcher's product numbers */
    bool ready;
    bool many_products; /* more than fit below: compare strings instead */
    size_t nproducts;
    uint32_t bloom; /* the products' bloom bits (all set when many_products) */
    uint64_t products[32];
    uint32_t ids[32]; /* the products' numbers (0: no filter lists it) */
    /* The numbers of the first four products for the branch-free check (whi_mhit's take):
     * WHI_EID_UNKNOWN for a product no filter lists, WHI_EID_NONE past the last; few: the
     * event has at most four products, so eid covers them all. */
    uint32_t eid[4];
    bool few;
    uint64_t ident, source;
} whi_evfilter;
#define WHI_EID_UNKNOWN UINT32_C(0xFFFFFFFE) /* never a number: numbers inline are < 2^20 */
#define WHI_EID_NONE    UINT32_C(0xFFFFFFFF)
void whi_evfilter_prepare(whi_evfilter *ef);
bool whi_mfilter_passes(const whi_mfilter *f, whi_evfilter *ef);
/* Whether the event carries one of the products whose numbers tag holds inline. */
bool whi_inline_passes(uint64_t tag, const whi_evfilter *ef);
/* The i-th string kept in f (products, then identifiers, then the source). */
const char *whi_mfilter_string(const whi_mfilter *f, size_t i);
/* Grow r's capacity (sets r->failed on ENOMEM and returns false). */
bool whi_result_grow(wh_match_result *r);
/* Grow r's capacity to at least need hits (the same on failure). */
bool whi_result_reserve(wh_match_result *r, size_t need);
/* Append a hit (sets r->failed on ENOMEM). Inline: it runs once per matched subscription. */
static inline void whi_result_push(wh_match_result *r, uint64_t seq, const wh_subscription *sub)
{
    if (r->n == r->cap && !whi_result_grow(r)) return;
    r->v[r->n++] = (whi_mhit){seq, sub};
}
/* Sort r by sequence number and drop duplicates. Never allocates. */
void whi_result_finish(wh_match_result *r);
/* A hit that still needs its payload filter checked: the filter block, tagged. */
static inline const void *whi_payload_tag(const whi_mfilter *f)
{
    return (const void *)((uintptr_t)f | 1u);
}
/* Check the payload filters of the pending hits of ev, dropping those that fail (r->failed on
 * ENOMEM). The hits keep their order. */
void whi_result_apply_payload(wh_match_result *r, const wh_event *ev);
/* The benchmark baseline (and the tests' oracle): test every indexed subscription in turn. */
int whi_matcher_match_linear(const wh_matcher *m, const wh_event *ev, wh_match_result *r);
/* Bytes allocated by the matcher's index structures (maps, nodes, lists, entries). */
size_t whi_matcher_index_bytes(const wh_matcher *m);

#endif
