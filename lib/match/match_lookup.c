/*
 * The matcher's lookups: which posting lists an event reaches, read in stages so that the cache
 * misses of one event overlap (see the comment below). The index itself is kept in
 * match_index.c.
 */
#include <stdbool.h>
#include <string.h>

#include "event_impl.h"
#include "match_impl.h"
#include "hashmap.h"

/*
 * A match reads memory in dependent steps: map slot -> node (holding its postings) -> filter
 * block. Done one key at a time, the event would wait on each step of each key in turn, and at
 * 100 000 subscriptions most of those reads miss the cache. So the keys are found first: the
 * exact type and entity keys directly; when the presence filter says the type's exact node is
 * materialized (it holds the type's wildcard subscriptions too, match_mat.c), nothing else;
 * otherwise the trie's lists too, found through the presence filter (which stays in the cache)
 * without reading the trie nodes on the way. Then the steps run in stages, each stage starting
 * the loads of every key before the next stage needs them (probe_all, flush).
 */
#define WHI_MAX_PROBES   24
#define WHI_MAX_SEGS     64   /* segments the presence walk follows (deeper types: the walk) */
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
    /* The type's segments: start offsets (then tlen + 1) and hashes, when at most WHI_MAX_SEGS
     * (nseg 0 otherwise); its whole path hash. */
    size_t seg[WHI_MAX_SEGS + 1];
    uint64_t segh[WHI_MAX_SEGS];
    size_t nseg;
    uint64_t hash;
    plist lists[WHI_MAX_LISTS]; /* gathered, not read yet */
    size_t nlists;
} walk;

static void prefetch(const void *p)
{
#if defined(__GNUC__)
    __builtin_prefetch(p); /* a hint: never faults, NULL included */
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
        prefetch((const void *)line); /* the line's start may lie before p */
}

/*
 * Whether a posting passes on its inline product numbers: it has none (WHI_TAG_MODE 0), or one
 * of them is among the event's (ef->few: at most four, in ef->eid). Computed without branches:
 * postings with and without a filter alternate unpredictably, and a mispredicted branch per
 * posting costs more than these few operations.
 */
static inline bool inline_ok(uint64_t tag, const whi_evfilter *ef)
{
    uint32_t n[3];
    whi_inline_numbers(tag, n);
    bool hit = false;
    for (int j = 0; j < 3; j++)
        hit |= (n[j] == ef->eid[0]) | (n[j] == ef->eid[1]) | (n[j] == ef->eid[2]) |
               (n[j] == ef->eid[3]);
    return (WHI_TAG_MODE(tag) == 0) | hit;
}

/* Append the postings of l that pass their filters: one sorted run of the result. */
static void take(walk *w, plist l)
{
    wh_match_result *r = w->r;
    if (r->nruns < WHI_MAX_RUNS) r->runs[r->nruns] = r->n;
    r->nruns++;
    if (!whi_result_reserve(r, r->n + l.n)) return;
    const whi_evfilter *ef = &w->ef;
    whi_mhit *out = r->v + r->n;
    size_t k = 0;
    for (uint32_t i = 0; i < l.n; i++) {
        uint64_t tag = l.v[i].tag;
        const void *ref = l.v[i].ref;
        bool ok = ef->few ? inline_ok(tag, ef)
                          : !WHI_TAG_MODE(tag) || whi_inline_passes(tag, ef); /* many products */
        if (tag & WHI_TAG_FILTERED) { /* through its filter block */
            uint32_t bloom = WHI_TAG_BLOOM(tag);
            const whi_mfilter *f = ref;
            /* the bloom bits: none of the event's products is listed */
            ok = (!bloom || (bloom & ef->bloom)) && whi_mfilter_passes(f, &w->ef);
            /* the block is read only past the bloom bits; a payload filter is checked once the
             * result is sorted (an entry reached by two lists is checked once) */
            if (ok) ref = f->payload ? whi_payload_tag(f) : (const void *)f->sub;
            if (ok && f->payload) prefetch_bytes(f->payload, f->payload->size);
            r->pending += ok && f->payload;
        }
        /* Written always, counted when it passes: no branch on the outcome. */
        out[k] = (whi_mhit){WHI_TAG_SEQ(tag), ref};
        k += ok;
    }
    r->n += k;
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
            bool read = p->tag & WHI_TAG_FILTERED && (!bloom || (bloom & w->ef.bloom));
            /* Selected, not branched on (see inline_ok): the event's own filter side stands in
             * for the postings whose block is not read. */
            const char *block = read ? (const char *)p->ref : (const char *)&w->ef;
            prefetch(block);
            prefetch((const void *)((uintptr_t)block + WHI_FILTER_LOAD - 1)); /* maybe past it */
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
    size_t n = *np, k = w->nseg;
    const size_t *seg = w->seg;
    if (k == 0) return false; /* too many segments */
    const whi_mpresence *pres = &w->m->presence;
    tpath a[WHI_MAX_FRONTIER], b[WHI_MAX_FRONTIER], *cur = a, *nxt = b;
    size_t ncur = 1, used = 0;
    a[0] = (tpath){WHI_PATH_SEED, 0};
    uint64_t star = whi_hash_bytes("*", 1);
    for (uint32_t d = 0; d < k && ncur; d++) {
        bool last = d + 1 == k;
        uint64_t lit = w->segh[d];
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
        p[i].node = node;
        if (node) gather(w, whi_node_list(node, p[i].kind));
    }
}

/* Split the type into segments, hash each and the whole path (whi_path_hash). */
static void hash_type(walk *w)
{
    size_t k = 0;
    uint64_t h = WHI_PATH_SEED;
    for (size_t start = 0, i = 0; i <= w->tlen; i++) {
        if (i < w->tlen && w->type[i] != '.') continue;
        uint64_t sh = whi_hash_bytes(w->type + start, i - start);
        h = whi_path_hash_step(h, sh);
        if (k < WHI_MAX_SEGS) {
            w->seg[k] = start;
            w->segh[k] = sh;
        }
        k++;
        start = i + 1;
    }
    w->nseg = k <= WHI_MAX_SEGS ? k : 0;
    if (w->nseg) w->seg[k] = w->tlen + 1;
    w->hash = h;
}

static void gather_cb(void *ud, plist l)
{
    gather(ud, l);
}

/* Add the trie's lists the type reaches: as probes found through the presence filter, or
 * gathered by walking the trie (no filter, or a type too deep or too wide for it). */
static void trie_probes(walk *w, probe *p, size_t *np, char *text)
{
    if (!w->m->trie.n) return;
    if (!(w->m->presence.bits && presence_walk(w, p, np, text)))
        whi_trie_reaching(w->m, w->type, w->tlen, gather_cb, w);
}

void whi_index_collect(const wh_matcher *m, const wh_event *ev, wh_match_result *r)
{
    size_t tlen = strlen(ev->type);
    if (tlen == 0 || tlen > WH_MAX_EVENT_TYPE_LEN)
        return; /* not a valid type (the event setters never let one through) */
    walk w;     /* not zero-initialised as a whole: the arrays are scratch space */
    w.m = m;
    w.ef.ev = ev;
    w.ef.dict = &m->products;
    w.ef.ready = false;
    w.r = r;
    w.type = ev->type;
    w.tlen = tlen;
    w.nlists = 0;
    hash_type(&w);
    probe p[WHI_MAX_PROBES];
    size_t np = 0;
    char key[WHI_MAX_KEY], text[WHI_PATH_TEXT];
    if (m->exact.n) p[np++] = (probe){&m->exact, ev->type, tlen, w.hash, WHI_KEY_END, NULL};
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
    /* A materialized exact node holds the trie's lists for its type (but the root's). */
    bool typed = m->exact.n &&
                 (!m->trie.n ||
                  (m->presence.bits && whi_presence_test(&m->presence, w.hash, WHI_PRES_TYPE)));
    size_t first = np;
    if (!typed) trie_probes(&w, p, &np, text);
    gather(&w, whi_node_list(m->root, WHI_KEY_DEEP)); /* the trie walk leaves the root's out */
    probe_all(&w, p, np);
    if (typed && m->trie.n && !(p[0].node && p[0].node->flags & WHI_NODE_MAT)) {
        /* No materialized node after all (the filter's bit is another type's, or the type's
         * node holds its exact postings only): the trie's lists too. */
        trie_probes(&w, p, &np, text);
        probe_all(&w, p + first, np - first);
    }
    if (w.nlists) flush(&w);
}
