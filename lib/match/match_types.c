/*
 * The exact event types the matcher indexes, as a tree of their dot segments (whi_tnode, see
 * match_impl.h). Matching never reads it: it exists so that filing a wildcard pattern can find
 * every exact type the pattern matches, and copy the subscription into those types' nodes
 * (match_mat.c).
 */
#include <stdbool.h>
#include <string.h>

#include "match_impl.h"
#include "alloc.h"
#include "hashmap.h"

#define MIN_KIDS 2

static whi_tnode *tnode_new(const char *seg, size_t len)
{
    whi_tnode *t = whi_calloc(1, sizeof(*t) + len + 1);
    if (!t) return NULL;
    memcpy(t->seg, seg, len);
    t->seglen = (uint16_t)len;
    return t;
}

whi_tnode *whi_types_new(void)
{
    return tnode_new("", 0);
}

static int seg_cmp(const whi_tnode *t, const char *seg, size_t len)
{
    size_t n = t->seglen < len ? t->seglen : len;
    int c = memcmp(t->seg, seg, n);
    if (c) return c;
    return t->seglen < len ? -1 : t->seglen > len;
}

/* The index of the first kid not ordered before seg. */
static uint32_t kid_pos(const whi_tnode *t, const char *seg, size_t len)
{
    uint32_t lo = 0, hi = t->nkids;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (seg_cmp(t->kids[mid], seg, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static whi_tnode *kid_find(const whi_tnode *t, const char *seg, size_t len)
{
    uint32_t i = kid_pos(t, seg, len);
    return i < t->nkids && seg_cmp(t->kids[i], seg, len) == 0 ? t->kids[i] : NULL;
}

/* The kid for seg, made when missing. NULL on ENOMEM (t unchanged). */
static whi_tnode *kid_get(whi_tnode *t, const char *seg, size_t len)
{
    uint32_t i = kid_pos(t, seg, len);
    if (i < t->nkids && seg_cmp(t->kids[i], seg, len) == 0) return t->kids[i];
    if (t->nkids == t->cap) {
        uint32_t ncap = t->cap ? t->cap * 2 : MIN_KIDS;
        whi_tnode **k = whi_realloc(t->kids, ncap * sizeof(*k));
        if (!k) return NULL;
        t->kids = k;
        t->cap = ncap;
    }
    whi_tnode *kid = tnode_new(seg, len);
    if (!kid) return NULL;
    memmove(t->kids + i + 1, t->kids + i, (t->nkids - i) * sizeof(*t->kids));
    t->kids[i] = kid;
    t->nkids++;
    return kid;
}

static void kid_drop(whi_tnode *t, whi_tnode *kid)
{
    uint32_t i = kid_pos(t, kid->seg, kid->seglen);
    memmove(t->kids + i, t->kids + i + 1, (t->nkids - i - 1) * sizeof(*t->kids));
    t->nkids--;
    whi_free(kid->kids);
    whi_free(kid);
}

static size_t seg_end(const char *s, size_t pos, size_t len)
{
    while (pos < len && s[pos] != '.')
        pos++;
    return pos;
}

/* Free the kids of t that hold no type any more (after a failed or finished removal). */
static void prune(whi_tnode *t, const char *type, size_t pos, size_t len)
{
    if (pos >= len) return;
    size_t end = seg_end(type, pos, len);
    whi_tnode *kid = kid_find(t, type + pos, end - pos);
    if (!kid) return;
    prune(kid, type, end + 1, len);
    if (kid->below == 0) kid_drop(t, kid);
}

int whi_types_add(whi_tnode *root, const char *type, size_t len)
{
    whi_tnode *t = root;
    for (size_t pos = 0; pos < len;) {
        size_t end = seg_end(type, pos, len);
        if (!(t = kid_get(t, type + pos, end - pos))) {
            prune(root, type, 0, len); /* the kids made on the way hold no type yet */
            return WH_ENOMEM;
        }
        pos = end + 1;
    }
    if (t->is_type) return WH_OK;
    t->is_type = true;
    t = root;
    root->below++;
    for (size_t pos = 0; pos < len;) {
        size_t end = seg_end(type, pos, len);
        t = kid_find(t, type + pos, end - pos);
        t->below++;
        pos = end + 1;
    }
    return WH_OK;
}

void whi_types_remove(whi_tnode *root, const char *type, size_t len)
{
    whi_tnode *t = root;
    for (size_t pos = 0; t && pos < len;) {
        size_t end = seg_end(type, pos, len);
        t = kid_find(t, type + pos, end - pos);
        pos = end + 1;
    }
    if (!t || !t->is_type) return;
    t->is_type = false;
    t = root;
    root->below--;
    for (size_t pos = 0; pos < len;) {
        size_t end = seg_end(type, pos, len);
        t = kid_find(t, type + pos, end - pos);
        t->below--;
        pos = end + 1;
    }
    prune(root, type, 0, len);
}

/* An enumeration in progress: the key's segments still to match, the type path so far. */
typedef struct each {
    const char *key;
    size_t klen;
    bool deep; /* the key is followed by ".**": one or more segments beyond it */
    whi_type_cb cb;
    void *ud;
    char path[WH_MAX_EVENT_TYPE_LEN + 1];
} each;

/* Every type strictly below t (t's path is path[0..plen), its hash h). */
static void each_below(each *w, const whi_tnode *t, size_t plen, uint64_t h);

/* Append kid's segment to the path and go on matching the key from pos. */
static void each_kid(each *w, const whi_tnode *kid, size_t plen, uint64_t h, size_t pos, bool below)
{
    size_t base = plen ? plen + 1 : 0;
    if (base + kid->seglen > WH_MAX_EVENT_TYPE_LEN) return; /* no type is that long */
    if (plen) w->path[plen] = '.';
    memcpy(w->path + base, kid->seg, kid->seglen);
    uint64_t kh = whi_path_hash_step(h, whi_hash_bytes(kid->seg, kid->seglen));
    size_t klen = base + kid->seglen;
    if (below) {
        if (kid->is_type) w->cb(w->ud, w->path, klen, kh);
        each_below(w, kid, klen, kh);
        return;
    }
    if (pos >= w->klen) { /* the key is used up at kid */
        if (w->deep)
            each_below(w, kid, klen, kh);
        else if (kid->is_type)
            w->cb(w->ud, w->path, klen, kh);
        return;
    }
    size_t end = seg_end(w->key, pos, w->klen);
    const char *seg = w->key + pos;
    size_t slen = end - pos;
    size_t next = end < w->klen ? end + 1 : end;
    if (slen == 1 && seg[0] == '*') {
        for (uint32_t i = 0; i < kid->nkids; i++)
            each_kid(w, kid->kids[i], klen, kh, next, false);
    } else {
        const whi_tnode *k = kid_find(kid, seg, slen);
        if (k) each_kid(w, k, klen, kh, next, false);
    }
}

static void each_below(each *w, const whi_tnode *t, size_t plen, uint64_t h)
{
    for (uint32_t i = 0; i < t->nkids; i++)
        each_kid(w, t->kids[i], plen, h, 0, true);
}

void whi_types_each(const whi_tnode *root, int kind, const char *key, size_t len, whi_type_cb cb,
                    void *ud)
{
    if (len == 0 || len > WH_MAX_EVENT_TYPE_LEN) return; /* the root's lists are never copied */
    each w = {key, len, kind == WHI_KEY_DEEP, cb, ud, {0}};
    size_t end = seg_end(key, 0, len);
    size_t next = end < len ? end + 1 : end;
    if (end == 1 && key[0] == '*') {
        for (uint32_t i = 0; i < root->nkids; i++)
            each_kid(&w, root->kids[i], 0, WHI_PATH_SEED, next, false);
    } else {
        const whi_tnode *k = kid_find(root, key, end);
        if (k) each_kid(&w, k, 0, WHI_PATH_SEED, next, false);
    }
}

static size_t tnode_bytes(const whi_tnode *t)
{
    size_t total = sizeof(*t) + t->seglen + 1 + t->cap * sizeof(*t->kids);
    for (uint32_t i = 0; i < t->nkids; i++)
        total += tnode_bytes(t->kids[i]);
    return total;
}

size_t whi_types_bytes(const whi_tnode *root)
{
    return root ? tnode_bytes(root) : 0;
}

void whi_types_free(whi_tnode *t)
{
    if (!t) return;
    for (uint32_t i = 0; i < t->nkids; i++)
        whi_types_free(t->kids[i]);
    whi_free(t->kids);
    whi_free(t);
}
