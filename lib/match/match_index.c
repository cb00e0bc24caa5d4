/* The matcher's index upkeep: sorted posting lists, the exact/entity maps and the wildcard
 * trie (adding, removing, teardown). Lookups are in match_lookup.c; the wildcard copies in
 * exact nodes are kept in match_mat.c. */
#include <stdbool.h>
#include <string.h>

#include "event_impl.h"
#include "match_impl.h"
#include "alloc.h"
#include "error.h"
#include "hashmap.h"

/* ---- posting lists, sorted by entry sequence number, inline in their node ---- */

void whi_posting_rewrite(whi_posting *p, const whi_mentry *e)
{
    uint64_t exact = p->tag & WHI_TAG_EXACT;
    *p = whi_posting_of(e);
    p->tag |= exact;
}

whi_posting whi_posting_of(const whi_mentry *e)
{
    if (!e->filter) return (whi_posting){e->seq << 24, e->sub};
    if (e->filter->inline_bits) return (whi_posting){e->seq << 24 | e->filter->inline_bits, e->sub};
    return (whi_posting){e->seq << 24 | WHI_TAG_FILTERED | e->filter->bloom, e->filter};
}

/* ---- nodes ---- */

static whi_mnode *node_new(const char *key, size_t len, uint64_t hash)
{
    whi_mnode *n = whi_calloc(1, whi_node_size(len, 0));
    if (!n) return NULL;
    memcpy(n->key, key, len);
    n->keylen = (uint32_t)len;
    n->hash = hash;
    return n;
}

static bool node_unused(const whi_mnode *n)
{
    return n->refs == 0 && n->nend == 0 && n->ndeep == 0 && n->nlit == 0 && !n->star;
}

/* Length of the parent path of path[0..len) ("a.b" -> "a", "a" -> root, 0). */
static size_t parent_len(const char *path, size_t len)
{
    while (len > 0 && path[len - 1] != '.')
        len--;
    return len ? len - 1 : 0;
}

static bool last_is_star(const char *path, size_t len)
{
    return path[len - 1] == '*' && (len == 1 || path[len - 2] == '.');
}

static whi_mnode *trie_node(const wh_matcher *m, const char *path, size_t len)
{
    return len == 0 ? m->root : whi_nmap_get(&m->trie, whi_path_hash(path, len), path, len);
}

/*
 * Reallocate *np (in map, or the root when map is NULL) to room for ncap postings, and repoint
 * whoever points at it: its slot or the root pointer, and for a trie node whose last segment
 * is '*' its parent's `star`. WH_ENOMEM leaves the node as it was.
 */
int whi_node_resize(wh_matcher *m, whi_nmap *map, whi_mnode **np, uint32_t ncap)
{
    whi_mnode *n = *np;
    size_t slot = map ? whi_nmap_slot_of(map, n) : 0;
    whi_mnode *parent = map == &m->trie && last_is_star(n->key, n->keylen)
                            ? trie_node(m, n->key, parent_len(n->key, n->keylen))
                            : NULL;
    whi_mnode *g = whi_realloc(n, whi_node_size(n->keylen, ncap));
    if (!g) return WH_ENOMEM; /* no message: a failed trim is not an error */
    g->cap = ncap;
    if (map)
        whi_nmap_relink(map, slot, g);
    else
        m->root = g;
    if (parent) parent->star = g;
    *np = g;
    return WH_OK;
}

int whi_node_put(wh_matcher *m, whi_nmap *map, whi_mnode **np, int kind, whi_posting p)
{
    plist l = whi_node_list(*np, kind);
    uint64_t seq = WHI_TAG_SEQ(p.tag);
    /* Entries are mostly added in sequence order: appending is the common case. */
    size_t i = l.n && WHI_TAG_SEQ(l.v[l.n - 1].tag) >= seq ? whi_plist_lower_bound(l, seq) : l.n;
    if (i < l.n && WHI_TAG_SEQ(l.v[i].tag) == seq) return 1;
    whi_mnode *n = *np;
    size_t total = (size_t)n->nend + n->ndeep;
    if (total == n->cap) {
        uint32_t ncap = n->cap + n->cap / 2 + 1;
        if (ncap <= n->cap || whi_node_resize(m, map, np, ncap) != WH_OK) return WH_ENOMEM;
        n = *np;
    }
    whi_posting *v = whi_node_end(n);
    size_t at = (kind == WHI_KEY_DEEP ? n->nend : 0) + i;
    memmove(v + at + 1, v + at, (total - at) * sizeof(*v));
    v[at] = p;
    if (kind == WHI_KEY_DEEP)
        n->ndeep++;
    else
        n->nend++;
    return WH_OK;
}

/* File e in *np's list of that kind (the node may move). WH_OK, 1 when already there, or
 * WH_ENOMEM (node unchanged). */
static int node_insert(wh_matcher *m, whi_nmap *map, whi_mnode **np, int kind, const whi_mentry *e)
{
    int rc = whi_node_put(m, map, np, kind, whi_posting_of(e));
    return rc == WH_ENOMEM ? whi_error_oom() : rc;
}

/* Unfile seq from n's list of that kind; whether it was there. */
static bool node_remove_seq(whi_mnode *n, int kind, uint64_t seq)
{
    plist l = whi_node_list(n, kind);
    size_t i = whi_plist_lower_bound(l, seq);
    if (i >= l.n || WHI_TAG_SEQ(l.v[i].tag) != seq) return false;
    whi_posting *v = whi_node_end(n);
    size_t total = (size_t)n->nend + n->ndeep;
    size_t at = (size_t)(l.v - v) + i;
    memmove(v + at, v + at + 1, (total - at - 1) * sizeof(*v));
    if (kind == WHI_KEY_DEEP)
        n->ndeep--;
    else
        n->nend--;
    return true;
}

static bool node_remove(whi_mnode *n, int kind, const whi_mentry *e)
{
    return node_remove_seq(n, kind, e->seq);
}

void whi_node_trim(wh_matcher *m, whi_nmap *map, whi_mnode *n)
{
    uint32_t total = n->nend + n->ndeep;
    if (n->cap >= 4 && total * 4 <= n->cap) whi_node_resize(m, map, &n, total + total / 2);
}

/* ---- entities: one node per key, `end` list only ---- */

static int flat_add(wh_matcher *m, whi_nmap *map, const char *key, size_t len, whi_mentry *e)
{
    uint64_t hash = whi_hash_bytes(key, len);
    whi_mnode *n = whi_nmap_get(map, hash, key, len);
    bool created = false;
    if (!n) {
        if (!(n = node_new(key, len, hash))) return whi_error_oom();
        if (whi_nmap_put(map, n) != WH_OK) {
            whi_free(n);
            return WH_ENOMEM;
        }
        created = true;
    }
    int rc = node_insert(m, map, &n, WHI_KEY_END, e);
    if (rc == WH_OK)
        n->refs++;
    else if (created) {
        whi_nmap_remove_at(map, whi_nmap_slot_of(map, n));
        whi_free(n);
    }
    return rc;
}

static bool flat_remove(wh_matcher *m, whi_nmap *map, const char *key, size_t len, whi_mentry *e)
{
    whi_mnode *n = whi_nmap_get(map, whi_hash_bytes(key, len), key, len);
    if (!n || !node_remove(n, WHI_KEY_END, e)) return false;
    if (--n->refs == 0) {
        whi_nmap_remove_at(map, whi_nmap_slot_of(map, n));
        whi_free(n);
    } else
        whi_node_trim(m, map, n);
    return true;
}

/* ---- exact types: one node per type, `end` list only, maybe materialized ---- */

static void exact_drop_node(wh_matcher *m, whi_mnode *n)
{
    if (n->flags & WHI_NODE_MAT) whi_presence_note(m, n->hash, WHI_PRES_TYPE, -1);
    whi_types_remove(m->types, n->key, n->keylen);
    whi_nmap_remove_at(&m->exact, whi_nmap_slot_of(&m->exact, n));
    whi_free(n);
}

/* A node for a type no exact key had yet: in the map, in the type tree, and given the
 * wildcard postings that reach it (when that fails, the type is matched through the trie). */
static whi_mnode *exact_new_node(wh_matcher *m, const char *key, size_t len, uint64_t hash)
{
    whi_mnode *n = node_new(key, len, hash);
    if (!n) return NULL;
    if (whi_nmap_put(&m->exact, n) != WH_OK) {
        whi_free(n);
        return NULL;
    }
    if (whi_types_add(m->types, key, len) != WH_OK) {
        whi_nmap_remove_at(&m->exact, whi_nmap_slot_of(&m->exact, n));
        whi_free(n);
        return NULL;
    }
    whi_mat_fill(m, &n);
    return n;
}

static int exact_add(wh_matcher *m, const char *key, size_t len, whi_mentry *e)
{
    uint64_t hash = whi_path_hash(key, len);
    whi_mnode *n = whi_nmap_get(&m->exact, hash, key, len);
    bool created = !n;
    if (created && !(n = exact_new_node(m, key, len, hash))) return whi_error_oom();
    /* e may be listed already, copied for one of its wildcards: mark it exact as well. */
    whi_posting *p = whi_plist_find(whi_node_list(n, WHI_KEY_END), e->seq);
    if (p && p->tag & WHI_TAG_EXACT) return 1;
    if (p) {
        p->tag |= WHI_TAG_EXACT;
    } else {
        whi_posting q = whi_posting_of(e);
        q.tag |= WHI_TAG_EXACT;
        if (whi_node_put(m, &m->exact, &n, WHI_KEY_END, q) == WH_ENOMEM) {
            if (created) exact_drop_node(m, n);
            return whi_error_oom();
        }
    }
    n->refs++;
    return WH_OK;
}

/*
 * e stays listed while a wildcard of its still reaches the type (in a materialized node); the
 * node goes with the last exact key, its copies being only a cache of the trie.
 */
static bool exact_remove(wh_matcher *m, const char *key, size_t len, whi_mentry *e)
{
    whi_mnode *n = whi_nmap_get(&m->exact, whi_path_hash(key, len), key, len);
    whi_posting *p = n ? whi_plist_find(whi_node_list(n, WHI_KEY_END), e->seq) : NULL;
    if (!p || !(p->tag & WHI_TAG_EXACT)) return false;
    if (--n->refs == 0) {
        exact_drop_node(m, n);
        return true;
    }
    p->tag &= ~WHI_TAG_EXACT;
    if (!(n->flags & WHI_NODE_MAT) || !whi_mat_reaches(m, n, e->seq)) {
        node_remove(n, WHI_KEY_END, e);
        whi_node_trim(m, &m->exact, n);
    }
    return true;
}

/* ---- the presence filter's upkeep (see whi_mpresence) ---- */

#define PRES_MIN_BITS   1024
#define PRES_MAX_BITS   ((size_t)1 << 21) /* whi_presence_test takes 21 bits of hash per kind */
#define PRES_PER_MEMBER 16                /* bits per member: about 1 in 16 tests is a false hit */

static int node_members(const whi_mnode *n)
{
    return 1 + (n->nend > 0) + (n->ndeep > 0);
}

static size_t mat_members(const wh_matcher *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->exact.cap; i++)
        k += m->exact.slots[i].node && m->exact.slots[i].node->flags & WHI_NODE_MAT;
    return k;
}

/* Count the filter afresh from the trie and the exact nodes, into a size that fits it. Kept as
 * it was when the allocation fails (it still holds every member). */
static void presence_rebuild(wh_matcher *m)
{
    size_t members = mat_members(m), nbits = PRES_MIN_BITS;
    for (size_t i = 0; i < m->trie.cap; i++)
        if (m->trie.slots[i].node) members += (size_t)node_members(m->trie.slots[i].node);
    while (nbits < members * PRES_PER_MEMBER && nbits < PRES_MAX_BITS)
        nbits *= 2;
    whi_mpresence p;
    if (whi_presence_alloc(&p, nbits) != WH_OK) return;
    for (size_t i = 0; i < m->trie.cap; i++) {
        const whi_mnode *n = m->trie.slots[i].node;
        if (!n) continue;
        whi_presence_count(&p, n->hash, WHI_PRES_NODE, +1);
        if (n->nend) whi_presence_count(&p, n->hash, WHI_PRES_END, +1);
        if (n->ndeep) whi_presence_count(&p, n->hash, WHI_PRES_DEEP, +1);
    }
    for (size_t i = 0; i < m->exact.cap; i++) {
        const whi_mnode *n = m->exact.slots[i].node;
        if (n && n->flags & WHI_NODE_MAT) whi_presence_count(&p, n->hash, WHI_PRES_TYPE, +1);
    }
    whi_presence_free(&m->presence);
    m->presence = p;
}

void whi_presence_note(wh_matcher *m, uint64_t h, int kind, int delta)
{
    whi_mpresence *p = &m->presence;
    if (delta > 0 &&
        (!p->bits || ((p->members + 1) * PRES_PER_MEMBER > p->nbits && p->nbits < PRES_MAX_BITS))) {
        size_t before = p->nbits;
        presence_rebuild(m); /* counts the new member too */
        if (p->nbits != before || !p->bits) return;
    }
    if (p->bits) whi_presence_count(p, h, kind, delta);
}

static int pres_kind(int key_kind)
{
    return key_kind == WHI_KEY_DEEP ? WHI_PRES_DEEP : WHI_PRES_END;
}

/* ---- trie over dot segments, keyed by path ---- */

/* Tell the parent of node (at path[0..len)) that it was added (true) or removed. */
static void link_child(wh_matcher *m, const char *path, size_t len, whi_mnode *node, bool added)
{
    whi_mnode *p = trie_node(m, path, parent_len(path, len));
    if (last_is_star(path, len))
        p->star = added ? node : NULL; /* followed without a lookup when matching */
    else
        p->nlit += added ? 1u : (uint32_t)-1;
}

/* Free the unused nodes at the end of path, deepest first, stopping at the first in use. */
static void trie_prune(wh_matcher *m, const char *path, size_t len)
{
    while (len > 0) {
        whi_mnode *n = trie_node(m, path, len);
        if (!n || !node_unused(n)) return;
        whi_nmap_remove_at(&m->trie, whi_nmap_slot_of(&m->trie, n));
        link_child(m, path, len, n, false);
        whi_presence_note(m, n->hash, WHI_PRES_NODE, -1);
        whi_free(n);
        len = parent_len(path, len);
    }
}

/* Make sure every prefix of path has a node (new ones have refs 0). WH_ENOMEM after undoing. */
static int trie_make_path(wh_matcher *m, const char *path, size_t len)
{
    uint64_t h = WHI_PATH_SEED;
    for (size_t start = 0, i = 1; i <= len; i++) {
        if (i < len && path[i] != '.') continue;
        h = whi_path_hash_step(h, whi_hash_bytes(path + start, i - start));
        start = i + 1;
        if (whi_nmap_get(&m->trie, h, path, i)) continue;
        whi_mnode *n = node_new(path, i, h);
        if (!n || whi_nmap_put(&m->trie, n) != WH_OK) {
            whi_free(n);
            trie_prune(m, path, parent_len(path, i));
            return whi_error_oom();
        }
        link_child(m, path, i, n, true);
        whi_presence_note(m, h, WHI_PRES_NODE, +1);
    }
    return WH_OK;
}

static void trie_ref(wh_matcher *m, const char *path, size_t len, int delta)
{
    uint64_t h = WHI_PATH_SEED;
    for (size_t start = 0, i = 1; i <= len; i++)
        if (i == len || path[i] == '.') {
            h = whi_path_hash_step(h, whi_hash_bytes(path + start, i - start));
            start = i + 1;
            whi_nmap_get(&m->trie, h, path, i)->refs += (uint32_t)delta;
        }
}

static whi_nmap *trie_map(wh_matcher *m, size_t len)
{
    return len ? &m->trie : NULL; /* the root is in no map */
}

static int trie_add(wh_matcher *m, int kind, const char *path, size_t len, whi_mentry *e)
{
    whi_mnode *n = trie_node(m, path, len);
    if (n && whi_plist_find(whi_node_list(n, kind), e->seq)) return 1;
    int rc = trie_make_path(m, path, len);
    if (rc != WH_OK) return rc;
    n = trie_node(m, path, len);
    if ((rc = node_insert(m, trie_map(m, len), &n, kind, e)) != WH_OK) {
        trie_prune(m, path, len);
        return rc;
    }
    if (len && whi_node_list(n, kind).n == 1) whi_presence_note(m, n->hash, pres_kind(kind), +1);
    trie_ref(m, path, len, +1);
    whi_mat_key_added(m, kind, path, len, e);
    return WH_OK;
}

static bool trie_remove(wh_matcher *m, int kind, const char *path, size_t len, whi_mentry *e)
{
    whi_mnode *n = trie_node(m, path, len);
    if (!n || !node_remove(n, kind, e)) return false;
    if (len && whi_node_list(n, kind).n == 0) whi_presence_note(m, n->hash, pres_kind(kind), -1);
    trie_ref(m, path, len, -1);
    if (len == 0 || n->refs) /* stays: a node without refs is pruned below */
        whi_node_trim(m, trie_map(m, len), n);
    trie_prune(m, path, len);
    whi_mat_key_removed(m, kind, path, len, e);
    return true;
}

static whi_mnode *key_node(const wh_matcher *m, int kind, const char *key, size_t len)
{
    switch (kind) {
    case WHI_KEY_EXACT:
        return whi_nmap_get(&m->exact, whi_path_hash(key, len), key, len);
    case WHI_KEY_ENTITY:
        return whi_nmap_get(&m->entity, whi_hash_bytes(key, len), key, len);
    default:
        return trie_node(m, key, len);
    }
}

void whi_index_refresh(wh_matcher *m, int kind, const char *key, size_t len, whi_mentry *e)
{
    whi_mnode *n = key_node(m, kind, key, len);
    whi_posting *p = n ? whi_plist_find(whi_node_list(n, kind), e->seq) : NULL;
    if (p) whi_posting_rewrite(p, e);
    if (kind == WHI_KEY_END || kind == WHI_KEY_DEEP) whi_mat_key_refreshed(m, kind, key, len, e);
}

int whi_index_add(wh_matcher *m, int kind, const char *key, size_t len, whi_mentry *e)
{
    switch (kind) {
    case WHI_KEY_EXACT:
        return exact_add(m, key, len, e);
    case WHI_KEY_ENTITY:
        return flat_add(m, &m->entity, key, len, e);
    default:
        return trie_add(m, kind, key, len, e);
    }
}

bool whi_index_remove(wh_matcher *m, int kind, const char *key, size_t len, whi_mentry *e)
{
    switch (kind) {
    case WHI_KEY_EXACT:
        return exact_remove(m, key, len, e);
    case WHI_KEY_ENTITY:
        return flat_remove(m, &m->entity, key, len, e);
    default:
        return trie_remove(m, kind, key, len, e);
    }
}

/* ---- teardown and accounting ---- */

int whi_index_init(wh_matcher *m)
{
    m->mat_budget = WHI_MAT_BUDGET;
    whi_products_init(&m->products);
    if (!(m->root = node_new("", 0, WHI_PATH_SEED)) || !(m->types = whi_types_new())) {
        whi_free(m->root);
        m->root = NULL;
        return whi_error_oom();
    }
    return WH_OK;
}

void whi_index_free(wh_matcher *m)
{
    whi_nmap_free(&m->exact);
    whi_nmap_free(&m->trie);
    whi_nmap_free(&m->entity);
    whi_free(m->root);
    m->root = NULL;
    whi_presence_free(&m->presence);
    whi_types_free(m->types);
    m->types = NULL;
    whi_products_free(&m->products);
}

size_t whi_matcher_index_bytes(const wh_matcher *m)
{
    size_t total = whi_nmap_bytes(&m->exact) + whi_nmap_bytes(&m->trie) +
                   whi_nmap_bytes(&m->entity) + whi_node_size(0, m->root->cap) +
                   whi_hmap_bytes(&m->ids) + whi_types_bytes(m->types) +
                   whi_products_bytes(&m->products) + m->presence.nbits / 8 +
                   m->presence.nbits * sizeof(*m->presence.counts);
    for (size_t i = 0; i < m->ids.cap; i++) {
        const whi_mentry *e = m->ids.slots[i].value;
        if (e)
            total +=
                sizeof(*e) + strlen(e->id) + 1 + e->keys_len + (e->filter ? e->filter->size : 0);
    }
    return total;
}
