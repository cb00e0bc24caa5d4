/* The matcher's index: sorted posting lists, the exact/entity maps and the wildcard trie. */
#include <string.h>

#include "event_impl.h"
#include "match_impl.h"

/* ---- posting lists, sorted by entry sequence number, inline in their node ---- */

typedef struct plist {
    whi_posting *v;
    uint32_t n;
} plist;

static plist node_list(const whi_mnode *n, int kind)
{
    if (kind == WHI_KEY_DEEP) return (plist){whi_node_deep(n), n->ndeep};
    return (plist){whi_node_end(n), n->nend};
}

static size_t plist_lower_bound(plist l, uint64_t seq)
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

static whi_posting *plist_find(plist l, uint64_t seq)
{
    size_t i = plist_lower_bound(l, seq);
    return i < l.n && WHI_TAG_SEQ(l.v[i].tag) == seq ? &l.v[i] : NULL;
}

static whi_posting posting_of(const whi_mentry *e)
{
    if (!e->filter) return (whi_posting){e->seq << 24, e->sub};
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
static int node_resize(wh_matcher *m, whi_nmap *map, whi_mnode **np, uint32_t ncap)
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

/* File e in *np's list of that kind (the node may move). WH_OK, 1 when already there, or
 * WH_ENOMEM (node unchanged). */
static int node_insert(wh_matcher *m, whi_nmap *map, whi_mnode **np, int kind, const whi_mentry *e)
{
    plist l = node_list(*np, kind);
    /* Entries are mostly added in sequence order: appending is the common case. */
    size_t i = l.n && WHI_TAG_SEQ(l.v[l.n - 1].tag) >= e->seq ? plist_lower_bound(l, e->seq) : l.n;
    if (i < l.n && WHI_TAG_SEQ(l.v[i].tag) == e->seq) return 1;
    whi_mnode *n = *np;
    size_t total = (size_t)n->nend + n->ndeep;
    if (total == n->cap) {
        uint32_t ncap = n->cap + n->cap / 2 + 1;
        if (ncap <= n->cap) return whi_error(WH_ENOMEM, "posting list too long");
        if (node_resize(m, map, np, ncap) != WH_OK) return whi_error_oom();
        n = *np;
    }
    whi_posting *v = whi_node_end(n);
    size_t at = (kind == WHI_KEY_DEEP ? n->nend : 0) + i;
    memmove(v + at + 1, v + at, (total - at) * sizeof(*v));
    v[at] = posting_of(e);
    if (kind == WHI_KEY_DEEP)
        n->ndeep++;
    else
        n->nend++;
    return WH_OK;
}

/* Unfile e from n's list of that kind; whether it was there. */
static bool node_remove(whi_mnode *n, int kind, const whi_mentry *e)
{
    plist l = node_list(n, kind);
    size_t i = plist_lower_bound(l, e->seq);
    if (i >= l.n || WHI_TAG_SEQ(l.v[i].tag) != e->seq) return false;
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

/* Give back room when a node that stays has far more than it holds (failure is harmless). */
static void node_trim(wh_matcher *m, whi_nmap *map, whi_mnode *n)
{
    uint32_t total = n->nend + n->ndeep;
    if (n->cap >= 4 && total * 4 <= n->cap) node_resize(m, map, &n, total + total / 2);
}

/* ---- exact types and entities: one node per key, `end` list only ---- */

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
        node_trim(m, map, n);
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

/* Count the filter afresh from the trie, into a size that fits it. Kept as it was when the
 * allocation fails (it still holds every member). */
static void presence_rebuild(wh_matcher *m)
{
    size_t members = 0, nbits = PRES_MIN_BITS;
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
    whi_presence_free(&m->presence);
    m->presence = p;
}

/* The trie just gained (+1) or lost (-1) a member of that kind, the path with hash h. */
static void presence_note(wh_matcher *m, uint64_t h, int kind, int delta)
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
        presence_note(m, n->hash, WHI_PRES_NODE, -1);
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
        presence_note(m, h, WHI_PRES_NODE, +1);
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
    if (n && plist_find(node_list(n, kind), e->seq)) return 1;
    int rc = trie_make_path(m, path, len);
    if (rc != WH_OK) return rc;
    n = trie_node(m, path, len);
    if ((rc = node_insert(m, trie_map(m, len), &n, kind, e)) != WH_OK) {
        trie_prune(m, path, len);
        return rc;
    }
    if (len && node_list(n, kind).n == 1) presence_note(m, n->hash, pres_kind(kind), +1);
    trie_ref(m, path, len, +1);
    return WH_OK;
}

static bool trie_remove(wh_matcher *m, int kind, const char *path, size_t len, whi_mentry *e)
{
    whi_mnode *n = trie_node(m, path, len);
    if (!n || !node_remove(n, kind, e)) return false;
    if (len && node_list(n, kind).n == 0) presence_note(m, n->hash, pres_kind(kind), -1);
    trie_ref(m, path, len, -1);
    if (len == 0 || n->refs) /* stays: a node without refs is pruned below */
        node_trim(m, trie_map(m, len), n);
    trie_prune(m, path, len);
    return true;
}

static whi_mnode *key_node(const wh_matcher *m, int kind, const char *key, size_t len)
{
    switch (kind) {
    case WHI_KEY_EXACT:
        return whi_nmap_get(&m->exact, whi_hash_bytes(key, len), key, len);
    case WHI_KEY_ENTITY:
        return whi_nmap_get(&m->entity, whi_hash_bytes(key, len), key, len);
    default:
        return trie_node(m, key, len);
    }
}

void whi_index_refresh(wh_matcher *m, int kind, const char *key, size_t len, whi_mentry *e)
{
    whi_mnode *n = key_node(m, kind, key, len);
    whi_posting *p = n ? plist_find(node_list(n, kind), e->seq) : NULL;
    if (p) *p = posting_of(e);
}

int whi_index_add(wh_matcher *m, int kind, const char *key, size_t len, whi_mentry *e)
{
    switch (kind) {
    case WHI_KEY_EXACT:
        return flat_add(m, &m->exact, key, len, e);
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
        return flat_remove(m, &m->exact, key, len, e);
    case WHI_KEY_ENTITY:
        return flat_remove(m, &m->entity, key, len, e);
    default:
        return trie_remove(m, kind, key, len, e);
    }
}

/* ---- lookups ---- */

/*
 * A match reads memory in dependent steps: map slot -> node (holding its postings) -> filter
 * block. Done one key at a time, the event would wait on each step of each key in turn, and at
 * 100 000 subscriptions most of those reads miss the cache. So the keys are found first: the
 * exact type and entity keys directly, the trie's lists through the presence filter (which
 * stays in the cache) without reading the trie nodes on the way; then the steps run in stages,
 * each stage starting the loads of every key before the next stage needs them (probe_all,
 * flush).
 */
#define WHI_MAX_PROBES   24
#define WHI_MAX_FRONTIER 32   /* trie paths alive at one depth of the presence walk */
#define WHI_PATH_TEXT    2048 /* bytes for the text of the trie keys found */
#define WHI_MAX_LISTS    32   /* posting lists gathered before they are read */
#define WHI_NODE_LOAD    512  /* bytes of a node loaded ahead */
/* Bytes of a filter block loaded ahead: its header, hashes and first strings (a typical block,
 * a few products, is 60 to 100 bytes; the check compares a hash, then the string). */
#define WHI_FILTER_LOAD 96

typedef struct probe {
    const whi_nmap *map;
    const char *key;
    size_t len;
    uint64_t hash;
    int kind; /* the list to read: WHI_KEY_END (exact and entity keys too) or WHI_KEY_DEEP */
    const whi_mnode *node;
} probe;

typedef struct walk {
    const wh_matcher *m;
    whi_evfilter ef;
    wh_match_result *r;
    const char *type;
    size_t tlen;
    plist lists[WHI_MAX_LISTS]; /* gathered, not read yet */
    size_t nlists;
    char path[WH_MAX_EVENT_TYPE_LEN + 1]; /* a path is never longer than the type it follows */
} walk;

static void prefetch(const void *p)
{
#if defined(__GNUC__)
    if (p) __builtin_prefetch(p);
#else
    (void)p;
#endif
}

/* Start loading the cache lines of bytes [p, p + bytes) (at most WHI_NODE_LOAD bytes). Blocks
 * are not line-aligned: start from p's line, so the last line is not left out. */
static void prefetch_bytes(const void *p, size_t bytes)
{
    uintptr_t line = (uintptr_t)p & ~(uintptr_t)63;
    uintptr_t end = (uintptr_t)p + (bytes < WHI_NODE_LOAD ? bytes : WHI_NODE_LOAD);
    for (; line < end; line += 64)
        prefetch((const char *)p + (line - (uintptr_t)p));
}

/* Append the postings of l that pass their filters: one sorted run of the result. */
static void take(walk *w, plist l)
{
    wh_match_result *r = w->r;
    if (r->nruns < WHI_MAX_RUNS) r->runs[r->nruns] = r->n;
    r->nruns++;
    whi_evfilter *ef = &w->ef;
    for (uint32_t i = 0; i < l.n; i++) {
        const whi_posting *p = &l.v[i];
        const wh_subscription *sub = p->ref;
        if (p->tag & WHI_TAG_FILTERED) {
            uint32_t bloom = WHI_TAG_BLOOM(p->tag);
            if (bloom && !(bloom & ef->bloom)) continue; /* no product of the event is listed */
            const whi_mfilter *f = p->ref;
            if (!whi_mfilter_passes(f, ef)) continue;
            sub = f->sub;
        }
        whi_result_push(r, WHI_TAG_SEQ(p->tag), sub);
    }
}

/*
 * Read the gathered lists: first start loading the filter block of every posting that needs
 * one (the product bloom bits reject most without it), then filter and append.
 */
static void flush(walk *w)
{
    if (!w->ef.ready) whi_evfilter_prepare(&w->ef);
    for (size_t k = 0; k < w->nlists; k++)
        for (uint32_t i = 0; i < w->lists[k].n; i++) {
            const whi_posting *p = &w->lists[k].v[i];
            uint32_t bloom = WHI_TAG_BLOOM(p->tag);
            if (p->tag & WHI_TAG_FILTERED && (!bloom || (bloom & w->ef.bloom)))
                prefetch_bytes(p->ref, WHI_FILTER_LOAD);
        }
    for (size_t k = 0; k < w->nlists; k++)
        take(w, w->lists[k]);
    w->nlists = 0;
}

static void gather(walk *w, plist l)
{
    if (l.n == 0) return;
    if (w->nlists == WHI_MAX_LISTS) flush(w);
    w->lists[w->nlists++] = l;
}

/*
 * The trie walk, for when the presence filter cannot be used (too many paths, or no filter):
 * at node (the path in w->path[0..plen), its hash h), with the type's segments from pos still
 * to match.
 */
static void walk_node(walk *w, const whi_mnode *node, uint64_t h, size_t pos, size_t plen)
{
    if (pos >= w->tlen) {
        gather(w, node_list(node, WHI_KEY_END));
        return;
    }
    size_t end = pos;
    while (end < w->tlen && w->type[end] != '.')
        end++;
    size_t next = end < w->tlen ? end + 1 : end;
    size_t base = plen ? plen + 1 : 0;
    if (plen) w->path[plen] = '.';
    if (node->star) {
        w->path[base] = '*';
        walk_node(w, node->star, node->star->hash, next, base + 1);
    }
    if (node->nlit) {
        memcpy(w->path + base, w->type + pos, end - pos);
        uint64_t lh = whi_path_hash_step(h, whi_hash_bytes(w->type + pos, end - pos));
        const whi_mnode *lit = whi_nmap_get(&w->m->trie, lh, w->path, base + end - pos);
        if (lit) walk_node(w, lit, lh, next, base + end - pos);
    }
    gather(w, node_list(node, WHI_KEY_DEEP));
}

/* A trie path during the presence walk: its hash and which of its segments are '*'. */
typedef struct tpath {
    uint64_t hash;
    uint64_t mask;
} tpath;

/* Write the path of `depth` segments of the type, '*' where mask says, into text. */
static size_t path_text(const walk *w, const size_t *seg, uint32_t depth, uint64_t mask, char *text)
{
    size_t len = 0;
    for (uint32_t i = 0; i < depth; i++) {
        if (i) text[len++] = '.';
        size_t slen = seg[i + 1] - 1 - seg[i];
        if (mask >> i & 1)
            text[len++] = '*';
        else
            memcpy(text + len, w->type + seg[i], slen);
        len += mask >> i & 1 ? 0 : slen;
    }
    return len;
}

/*
 * The trie keys whose lists the type reaches, found with the presence filter alone: extend
 * every path alive at depth d by the type's next segment and by '*', keep those that may be
 * nodes, and note those that may carry a list the type matches: a `deep` list before the last
 * segment, an `end` list at it (paths with a '*': the others are exact types). Adds them to p
 * (with their hash; their text in text, *np counting them); false when there are too many
 * (walk instead).
 */
static bool presence_walk(const walk *w, probe *p, size_t *np, char *text)
{
    size_t n = *np;
    const whi_mpresence *pres = &w->m->presence;
    size_t seg[65], k = 0; /* the segments' start offsets, then tlen + 1 */
    for (size_t i = 0; i <= w->tlen; i++)
        if (i == 0 || w->type[i - 1] == '.') {
            if (k == 64) return false;
            seg[k++] = i;
        }
    seg[k] = w->tlen + 1;
    tpath a[WHI_MAX_FRONTIER], b[WHI_MAX_FRONTIER], *cur = a, *nxt = b;
    size_t ncur = 1, used = 0;
    a[0] = (tpath){WHI_PATH_SEED, 0};
    uint64_t star = whi_hash_bytes("*", 1);
    for (uint32_t d = 0; d < k && ncur; d++) {
        bool last = d + 1 == k;
        uint64_t lit = whi_hash_bytes(w->type + seg[d], seg[d + 1] - 1 - seg[d]);
        size_t nnxt = 0;
        for (size_t i = 0; i < ncur; i++)
            for (int s = 0; s < 2; s++) {
                tpath t = {whi_path_hash_step(cur[i].hash, s ? star : lit),
                           cur[i].mask | (uint64_t)s << d};
                int kind = last ? WHI_KEY_END : WHI_KEY_DEEP;
                if (last ? t.mask && whi_presence_test(pres, t.hash, WHI_PRES_END)
                         : whi_presence_test(pres, t.hash, WHI_PRES_DEEP)) {
                    if (n == WHI_MAX_PROBES || used + w->tlen > WHI_PATH_TEXT) return false;
                    size_t len = path_text(w, seg, d + 1, t.mask, text + used);
                    p[n++] = (probe){&w->m->trie, text + used, len, t.hash, kind, NULL};
                    prefetch(whi_nmap_home(&w->m->trie, t.hash)); /* see whi_index_collect */
                    used += len;
                }
                if (!last && whi_presence_test(pres, t.hash, WHI_PRES_NODE)) {
                    if (nnxt == WHI_MAX_FRONTIER) return false;
                    nxt[nnxt++] = t;
                }
            }
        tpath *x = cur;
        cur = nxt;
        nxt = x;
        ncur = nnxt;
    }
    *np = n;
    return true;
}

/*
 * The probes' slots are loading (see whi_index_collect): from the slots, start loading the
 * nodes whose hash tag matches (each whole: its postings are inline); then check each key for
 * real (a tag can match another key) and gather the list it reads.
 */
static void probe_all(walk *w, probe *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!p[i].map->n) continue;
        const whi_nmap *map = p[i].map;
        size_t mask = map->cap - 1;
        uint32_t tag = (uint32_t)(p[i].hash >> 32);
        for (size_t j = p[i].hash & mask; map->slots[j].node; j = (j + 1) & mask)
            if (map->slots[j].tag == tag) {
                p[i].node = map->slots[j].node;
                prefetch_bytes(p[i].node, map->slots[j].bytes);
                break;
            }
    }
    /* The event's side of the filters needs no index memory: hash it while the nodes load. */
    if (!w->ef.ready) whi_evfilter_prepare(&w->ef);
    for (size_t i = 0; i < n; i++) {
        const whi_mnode *node = p[i].node;
        if (!node) continue;
        if (node->hash != p[i].hash || node->keylen != p[i].len ||
            memcmp(node->key, p[i].key, p[i].len) != 0) /* another key's tag: look it up */
            node = whi_nmap_get(p[i].map, p[i].hash, p[i].key, p[i].len);
        if (node) gather(w, node_list(node, p[i].kind));
    }
}

void whi_index_collect(const wh_matcher *m, const wh_event *ev, wh_match_result *r)
{
    size_t tlen = strlen(ev->type);
    if (tlen == 0 || tlen > WH_MAX_EVENT_TYPE_LEN)
        return; /* not a valid type (the event setters never let one through) */
    walk w;     /* not zero-initialised as a whole: path and the arrays are scratch space */
    w.m = m;
    w.ef.ev = ev;
    w.ef.ready = false;
    w.r = r;
    w.type = ev->type;
    w.tlen = tlen;
    w.nlists = 0;
    probe p[WHI_MAX_PROBES];
    size_t np = 0;
    char key[WHI_MAX_KEY], text[WHI_PATH_TEXT];
    if (m->exact.n)
        p[np++] =
            (probe){&m->exact, ev->type, tlen, whi_hash_bytes(ev->type, tlen), WHI_KEY_END, NULL};
    if (ev->entity && m->entity.n) {
        size_t elen = strlen(ev->entity), alen = ev->action ? strlen(ev->action) : 0;
        p[np++] = (probe){&m->entity,  ev->entity, elen, whi_hash_bytes(ev->entity, elen),
                          WHI_KEY_END, NULL};
        if (ev->action && elen + 1 + alen <= WHI_MAX_KEY) {
            memcpy(key, ev->entity, elen);
            key[elen] = '\0';
            memcpy(key + elen + 1, ev->action, alen);
            p[np++] =
                (probe){&m->entity,  key, elen + 1 + alen, whi_hash_bytes(key, elen + 1 + alen),
                        WHI_KEY_END, NULL};
        }
    }
    /* Start loading these keys' slots now, and those of the trie keys as the presence walk
     * finds them: the walk (work that needs no index memory) then runs while the slots load,
     * and hashing the event's products while the nodes load (probe_all). */
    for (size_t i = 0; i < np; i++)
        prefetch(whi_nmap_home(p[i].map, p[i].hash));
    bool walked = m->trie.n && !(m->presence.bits && presence_walk(&w, p, &np, text));
    if (walked) /* without the presence filter: the trie walk finds them */
        walk_node(&w, m->root, WHI_PATH_SEED, 0, 0);
    else
        gather(&w, node_list(m->root, WHI_KEY_DEEP));
    probe_all(&w, p, np);
    if (w.nlists) flush(&w);
}

/* ---- teardown and accounting ---- */

int whi_index_init(wh_matcher *m)
{
    return (m->root = node_new("", 0, WHI_PATH_SEED)) ? WH_OK : whi_error_oom();
}

void whi_index_free(wh_matcher *m)
{
    whi_nmap_free(&m->exact);
    whi_nmap_free(&m->trie);
    whi_nmap_free(&m->entity);
    whi_free(m->root);
    m->root = NULL;
    whi_presence_free(&m->presence);
}

size_t whi_matcher_index_bytes(const wh_matcher *m)
{
    size_t total = whi_nmap_bytes(&m->exact) + whi_nmap_bytes(&m->trie) +
                   whi_nmap_bytes(&m->entity) + whi_node_size(0, m->root->cap) +
                   whi_hmap_bytes(&m->ids) + m->presence.nbits / 8 +
                   m->presence.nbits * sizeof(*m->presence.counts);
    for (size_t i = 0; i < m->ids.cap; i++) {
        const whi_mentry *e = m->ids.slots[i].value;
        if (e)
            total +=
                sizeof(*e) + strlen(e->id) + 1 + e->keys_len + (e->filter ? e->filter->size : 0);
    }
    return total;
}
