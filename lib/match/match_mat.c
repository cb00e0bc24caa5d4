/*
 * Materialized exact types. An event is matched by its type's exact node, the trie lists its
 * type reaches (wildcards), the root's "*" / "**" list and its entity's nodes. At 100 000
 * subscriptions each of those is a cache miss or two, so an exact node also lists, as copies,
 * the subscriptions whose wildcard patterns reach its type (but the root's): an event whose
 * type has such a node reads it instead of the trie.
 *
 * The trie stays the source of truth; a copy is a cache of it, kept in step whenever a trie
 * key is filed or unfiled (whi_mat_key_*), for the exact types that key matches (found in the
 * tree of exact types, match_types.c). In an exact node, a posting with WHI_TAG_EXACT is there
 * for the entry's exact pattern; one without, only as a copy.
 *
 * Memory stays bounded: a node materializes only while at most m->mat_budget wildcard postings
 * reach its type; past that (or when memory runs out), it drops its copies and its type is
 * matched through the trie again, which costs little next to that many matches. It takes copies
 * again once the wildcards reaching it fall to half the budget. The presence filter's TYPE bit
 * tells a match which types are materialized.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "match_impl.h"
#include "alloc.h"
#include "hashmap.h"

/* ---- the trie lists that reach a type ---- */

typedef struct reach {
    const wh_matcher *m;
    const char *type;
    size_t tlen;
    whi_list_cb cb;
    void *ud;
    char path[WH_MAX_EVENT_TYPE_LEN + 1]; /* a path is never longer than the type */
} reach;

/* At node (path[0..plen), hash h) with the type's segments from pos to match. The root's own
 * lists are left out: they are never copied. */
static void reach_node(reach *r, const whi_mnode *node, uint64_t h, size_t pos, size_t plen)
{
    bool root = node == r->m->root;
    if (pos >= r->tlen) {
        if (!root && node->nend) r->cb(r->ud, whi_node_list(node, WHI_KEY_END));
        return;
    }
    size_t end = pos;
    while (end < r->tlen && r->type[end] != '.')
        end++;
    size_t next = end < r->tlen ? end + 1 : end;
    size_t base = plen ? plen + 1 : 0;
    if (plen) r->path[plen] = '.';
    if (node->star) {
        r->path[base] = '*';
        reach_node(r, node->star, node->star->hash, next, base + 1);
    }
    if (node->nlit) {
        memcpy(r->path + base, r->type + pos, end - pos);
        uint64_t lh = whi_path_hash_step(h, whi_hash_bytes(r->type + pos, end - pos));
        const whi_mnode *lit = whi_nmap_get(&r->m->trie, lh, r->path, base + end - pos);
        if (lit) reach_node(r, lit, lh, next, base + end - pos);
    }
    if (!root && node->ndeep) r->cb(r->ud, whi_node_list(node, WHI_KEY_DEEP));
}

void whi_trie_reaching(const wh_matcher *m, const char *type, size_t len, whi_list_cb cb, void *ud)
{
    if (!m->trie.n || len > WH_MAX_EVENT_TYPE_LEN) return;
    reach r = {m, type, len, cb, ud, {0}};
    reach_node(&r, m->root, WHI_PATH_SEED, 0, 0);
}

static void count_cb(void *ud, plist l)
{
    *(size_t *)ud += l.n;
}

typedef struct find {
    uint64_t seq;
    bool found;
} find;

static void find_cb(void *ud, plist l)
{
    find *f = ud;
    if (!f->found && whi_plist_find(l, f->seq)) f->found = true;
}

bool whi_mat_reaches(const wh_matcher *m, const whi_mnode *n, uint64_t seq)
{
    find f = {seq, false};
    whi_trie_reaching(m, n->key, n->keylen, find_cb, &f);
    return f.found;
}

static size_t reaching_count(const wh_matcher *m, const whi_mnode *n)
{
    size_t count = 0;
    whi_trie_reaching(m, n->key, n->keylen, count_cb, &count);
    return count;
}

/* ---- filling and dropping ---- */

typedef struct gather {
    whi_posting *v;
    size_t n;
} gather;

static void gather_cb(void *ud, plist l)
{
    gather *g = ud;
    if (l.n) memcpy(g->v + g->n, l.v, l.n * sizeof(*l.v));
    g->n += l.n;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = WHI_TAG_SEQ(((const whi_posting *)a)->tag);
    uint64_t y = WHI_TAG_SEQ(((const whi_posting *)b)->tag);
    return x < y ? -1 : x > y;
}

/* Sort v by sequence number and merge the postings of one entry (keeping WHI_TAG_EXACT when
 * any has it: the others are the same entry's copies). Returns the count left. */
static size_t sort_unique(whi_posting *v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof(*v), by_seq);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && WHI_TAG_SEQ(v[k - 1].tag) == WHI_TAG_SEQ(v[i].tag))
            v[k - 1].tag |= v[i].tag & WHI_TAG_EXACT;
        else
            v[k++] = v[i];
    }
    return k;
}

bool whi_mat_fill(wh_matcher *m, whi_mnode **np)
{
    whi_mnode *n = *np;
    if (n->flags & WHI_NODE_MAT) return true;
    size_t copies = reaching_count(m, n);
    if (copies > m->mat_budget) return false;
    size_t total = n->nend + copies;
    gather g = {total ? whi_malloc(total * sizeof(*g.v)) : NULL, 0};
    if (total && !g.v) return false;
    gather_cb(&g, whi_node_list(n, WHI_KEY_END));
    whi_trie_reaching(m, n->key, n->keylen, gather_cb, &g);
    size_t k = sort_unique(g.v, g.n);
    if (k > n->cap && whi_node_resize(m, &m->exact, np, (uint32_t)k) != WH_OK) {
        whi_free(g.v);
        return false;
    }
    n = *np;
    if (k) memcpy(whi_node_end(n), g.v, k * sizeof(*g.v));
    n->nend = (uint32_t)k;
    whi_free(g.v);
    n->flags |= WHI_NODE_MAT;
    whi_presence_note(m, n->hash, WHI_PRES_TYPE, +1);
    return true;
}

void whi_mat_drop(wh_matcher *m, whi_mnode *n)
{
    if (!(n->flags & WHI_NODE_MAT)) return;
    whi_posting *v = whi_node_end(n);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n->nend; i++)
        if (v[i].tag & WHI_TAG_EXACT) v[k++] = v[i];
    n->nend = k;
    n->flags &= (uint16_t)~WHI_NODE_MAT;
    whi_presence_note(m, n->hash, WHI_PRES_TYPE, -1);
    whi_node_trim(m, &m->exact, n);
}

/* ---- keeping the copies in step with the trie ---- */

enum { MAT_ADDED, MAT_REMOVED, MAT_REFRESHED };

typedef struct step {
    wh_matcher *m;
    const whi_mentry *e;
    int what;
} step;

static void copy_added(wh_matcher *m, whi_mnode *n, const whi_mentry *e)
{
    int rc = whi_node_put(m, &m->exact, &n, WHI_KEY_END, whi_posting_of(e));
    if (rc == WH_ENOMEM || n->nend - n->refs > m->mat_budget) whi_mat_drop(m, n);
}

static void copy_removed(wh_matcher *m, whi_mnode *n, const whi_mentry *e)
{
    if (!(n->flags & WHI_NODE_MAT)) {
        if (reaching_count(m, n) <= m->mat_budget / 2) whi_mat_fill(m, &n);
        return;
    }
    plist l = whi_node_list(n, WHI_KEY_END);
    size_t i = whi_plist_lower_bound(l, e->seq);
    if (i >= l.n || WHI_TAG_SEQ(l.v[i].tag) != e->seq || l.v[i].tag & WHI_TAG_EXACT) return;
    if (whi_mat_reaches(m, n, e->seq)) return; /* another wildcard of e reaches the type */
    memmove(l.v + i, l.v + i + 1, (l.n - i - 1) * sizeof(*l.v));
    n->nend--;
    whi_node_trim(m, &m->exact, n);
}

static void copy_refreshed(whi_mnode *n, const whi_mentry *e)
{
    if (!(n->flags & WHI_NODE_MAT)) return;
    whi_posting *p = whi_plist_find(whi_node_list(n, WHI_KEY_END), e->seq);
    if (p) whi_posting_rewrite(p, e);
}

static void on_type(void *ud, const char *type, size_t len, uint64_t hash)
{
    step *s = ud;
    whi_mnode *n = whi_nmap_get(&s->m->exact, hash, type, len);
    if (!n) return; /* cannot happen: the tree holds the exact map's types */
    if (s->what == MAT_ADDED) {
        if (n->flags & WHI_NODE_MAT) copy_added(s->m, n, s->e);
    } else if (s->what == MAT_REMOVED) {
        copy_removed(s->m, n, s->e);
    } else {
        copy_refreshed(n, s->e);
    }
}

static void each_type(wh_matcher *m, int kind, const char *path, size_t len, const whi_mentry *e,
                      int what)
{
    if (len == 0 || !m->exact.n) return;
    step s = {m, e, what};
    whi_types_each(m->types, kind, path, len, on_type, &s);
}

void whi_mat_key_added(wh_matcher *m, int kind, const char *path, size_t len, const whi_mentry *e)
{
    each_type(m, kind, path, len, e, MAT_ADDED);
}

void whi_mat_key_removed(wh_matcher *m, int kind, const char *path, size_t len, const whi_mentry *e)
{
    each_type(m, kind, path, len, e, MAT_REMOVED);
}

void whi_mat_key_refreshed(wh_matcher *m, int kind, const char *path, size_t len,
                           const whi_mentry *e)
{
    each_type(m, kind, path, len, e, MAT_REFRESHED);
}
