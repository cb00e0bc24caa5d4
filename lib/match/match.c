/* wh_matcher: the public API, entries and their index keys (see match_impl.h for the index). */
#include <stdbool.h>
#include <string.h>

#include "event_impl.h"
#include "match_impl.h"
#include "subscription_impl.h"
#include "validate.h"
#include "alloc.h"
#include "error.h"
#include "strvec.h"
#include "hashmap.h"

int wh_matcher_new(wh_matcher **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    wh_matcher *m = whi_calloc(1, sizeof(*m));
    if (!m || whi_index_init(m) != WH_OK) {
        whi_free(m);
        return whi_error_oom();
    }
    *out = m;
    return WH_OK;
}

static void entry_free(whi_mentry *e)
{
    if (!e) return;
    whi_free(e->keys);
    whi_free(e->filter);
    whi_free(e);
}

void wh_matcher_free(wh_matcher *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->ids.cap; i++)
        entry_free(m->ids.slots[i].value);
    whi_hmap_free(&m->ids);
    whi_index_free(m);
    whi_free(m);
}

/* ---- packed index keys: repeated [kind:1][len:2][bytes] ---- */

typedef struct keyblob {
    unsigned char *p;
    size_t len, cap;
} keyblob;

typedef struct keyref {
    int kind;
    const char *key;
    size_t len;
} keyref;

/* Read the key at *off and advance; false at the end. */
static bool key_next(const unsigned char *p, size_t len, size_t *off, keyref *k)
{
    if (*off + 3 > len) return false;
    k->kind = p[*off];
    k->len = (size_t)p[*off + 1] << 8 | p[*off + 2];
    k->key = (const char *)p + *off + 3;
    *off += 3 + k->len;
    return true;
}

static void key_put(keyblob *b, int kind, const char *a, size_t alen, const char *c, size_t clen)
{
    size_t len = alen + (c ? 1 + clen : 0);
    unsigned char *q = b->p + b->len;
    q[0] = (unsigned char)kind;
    q[1] = (unsigned char)(len >> 8);
    q[2] = (unsigned char)len;
    memcpy(q + 3, a, alen);
    if (c) {
        q[3 + alen] = '\0';
        memcpy(q + 4 + alen, c, clen);
    }
    b->len += 3 + len;
}

static bool key_in(const unsigned char *p, size_t len, const keyref *k)
{
    keyref o;
    for (size_t off = 0; key_next(p, len, &off, &o);)
        if (o.kind == k->kind && o.len == k->len && memcmp(o.key, k->key, k->len) == 0) return true;
    return false;
}

/* The keys an active subscription is indexed under; none for an inactive one. */
static int build_keys(const wh_subscription *sub, keyblob *b)
{
    *b = (keyblob){NULL, 0, 0};
    if (sub->status != WH_STATUS_ACTIVE) return WH_OK;
    const whi_strvec *events = &sub->lists[WH_LIST_EVENTS];
    const whi_strvec *actions = &sub->lists[WH_LIST_ACTIONS];
    size_t elen = sub->entity ? strlen(sub->entity) : 0;
    if (elen > WH_MAX_ID_LEN)
        return whi_error(WH_EINVAL, "subscription %s: entity is too long", sub->id);
    size_t cap = 3 + elen;
    for (size_t i = 0; i < events->n; i++) {
        const char *why = whi_check_event_type(events->v[i], true);
        if (why) return whi_error(WH_EINVAL, "subscription %s: events[%zu] %s", sub->id, i, why);
        cap += 3 + strlen(events->v[i]);
    }
    for (size_t i = 0; sub->entity && i < actions->n; i++) {
        size_t alen = strlen(actions->v[i]);
        if (alen > WH_MAX_ID_LEN)
            return whi_error(WH_EINVAL, "subscription %s: actions[%zu] is too long", sub->id, i);
        cap += 4 + elen + alen;
    }
    if (!(b->p = whi_malloc(cap))) return whi_error_oom();
    b->cap = cap;
    bool all = false;
    for (size_t i = 0; i < events->n; i++) {
        const char *p = events->v[i];
        size_t n = strlen(p);
        if (strcmp(p, "*") == 0 || strcmp(p, "**") == 0) {
            if (!all) key_put(b, WHI_KEY_DEEP, "", 0, NULL, 0);
            all = true;
        } else if (!strchr(p, '*'))
            key_put(b, WHI_KEY_EXACT, p, n, NULL, 0);
        else if (n > 3 && strcmp(p + n - 3, ".**") == 0)
            key_put(b, WHI_KEY_DEEP, p, n - 3, NULL, 0);
        else
            key_put(b, WHI_KEY_END, p, n, NULL, 0);
    }
    /* With patterns too, the entity narrows them: the filter block checks it (match_rules.c). */
    if (events->n) return WH_OK;
    if (sub->entity && actions->n == 0) key_put(b, WHI_KEY_ENTITY, sub->entity, elen, NULL, 0);
    for (size_t i = 0; sub->entity && i < actions->n; i++)
        key_put(b, WHI_KEY_ENTITY, sub->entity, elen, actions->v[i], strlen(actions->v[i]));
    return WH_OK;
}

/* Unfile e from the keys in p[0..len). */
static void unindex(wh_matcher *m, whi_mentry *e, const unsigned char *p, size_t len)
{
    keyref k;
    for (size_t off = 0; key_next(p, len, &off, &k);)
        whi_index_remove(m, k.kind, k.key, k.len, e);
}

/*
 * File e under every key of `want` it is not already filed under (the keys in `have`), and
 * compact `want` to the keys e ends up under. On WH_ENOMEM every key added here is undone.
 */
static int index_keys(wh_matcher *m, whi_mentry *e, keyblob *want, const unsigned char *have,
                      size_t have_len)
{
    size_t w = 0; /* write offset of the compacted blob */
    keyref k;
    for (size_t off = 0; key_next(want->p, want->len, &off, &k);) {
        size_t rec = 3 + k.len;
        const unsigned char *src = (const unsigned char *)k.key - 3;
        bool kept = have && key_in(have, have_len, &k);
        int rc = kept ? WH_OK : whi_index_add(m, k.kind, k.key, k.len, e);
        if (rc == 1) continue; /* a duplicate key: e is filed there already */
        if (rc != WH_OK) {
            /* Undo what this call added: the compacted keys not in `have`. */
            keyref u;
            for (size_t o = 0; key_next(want->p, w, &o, &u);)
                if (!(have && key_in(have, have_len, &u)))
                    whi_index_remove(m, u.kind, u.key, u.len, e);
            return rc;
        }
        memmove(want->p + w, src, rec);
        w += rec;
    }
    want->len = w;
    return WH_OK;
}

/* Give back the dictionary numbers of f's products. */
static void filter_release(wh_matcher *m, whi_mfilter *f)
{
    for (uint32_t i = 0; f && i < f->nproducts; i++)
        whi_products_release(&m->products, whi_mfilter_pids(f)[i]);
}

/* Number f's products in the dictionary, and choose its postings' form: the numbers inline
 * when its filter is one to three products alone (see whi_posting). WH_ENOMEM (nothing kept). */
static int filter_number(wh_matcher *m, whi_mfilter *f)
{
    if (!f) return WH_OK;
    uint32_t *ids = whi_mfilter_pids(f);
    for (uint32_t i = 0; i < f->nproducts; i++) {
        const char *name = whi_mfilter_string(f, i);
        if (whi_products_acquire(&m->products, name, strlen(name), &ids[i]) != WH_OK) {
            filter_release(m, f); /* the ones numbered so far; the rest are 0 */
            memset(ids, 0, f->nproducts * sizeof(*ids));
            return whi_error_oom();
        }
    }
    f->inline_bits = f->nidents || f->has_source || f->has_entity || f->payload
                         ? 0
                         : whi_inline_bits(ids, f->nproducts);
    return WH_OK;
}

static const char *sub_id_or_fail(const wh_matcher *m, const wh_subscription *sub, int *rc)
{
    *rc = WH_OK;
    if (!m || !sub)
        *rc = whi_error(WH_EINVAL, "matcher and subscription must not be NULL");
    else if (!sub->id)
        *rc = whi_error(WH_EINVAL, "subscription has no id");
    return *rc == WH_OK ? sub->id : NULL;
}

int wh_matcher_add(wh_matcher *m, const wh_subscription *sub)
{
    int rc;
    const char *id = sub_id_or_fail(m, sub, &rc);
    if (!id) return rc;
    size_t idlen = strlen(id);
    if (whi_hmap_get(&m->ids, id, idlen))
        return whi_error(WH_ECONFLICT, "subscription %s is already in the matcher", id);
    keyblob keys;
    if ((rc = build_keys(sub, &keys)) != WH_OK) return rc;
    whi_mentry *e = whi_calloc(1, sizeof(*e) + idlen + 1); /* the id inline: one allocation */
    if (e) memcpy(e->id, id, idlen);
    if (!e || whi_mfilter_build(sub, &e->filter) != WH_OK || filter_number(m, e->filter) != WH_OK) {
        entry_free(e);
        whi_free(keys.p);
        return whi_error_oom();
    }
    e->sub = sub;
    e->seq = m->next_seq;
    if (e->seq > WHI_MAX_SEQ) {
        filter_release(m, e->filter);
        entry_free(e);
        whi_free(keys.p);
        return whi_error(WH_EFULL, "matcher: 2^40 subscriptions were added to it; make a new one");
    }
    if ((rc = whi_hmap_put(&m->ids, e->id, idlen, e)) != WH_OK ||
        (rc = index_keys(m, e, &keys, NULL, 0)) != WH_OK) {
        whi_hmap_remove(&m->ids, e->id, idlen);
        filter_release(m, e->filter);
        entry_free(e);
        whi_free(keys.p);
        return rc;
    }
    e->keys = keys.p;
    e->keys_len = keys.len;
    m->next_seq++;
    return WH_OK;
}

int wh_matcher_update(wh_matcher *m, const wh_subscription *sub)
{
    int rc;
    const char *id = sub_id_or_fail(m, sub, &rc);
    if (!id) return rc;
    whi_mentry *e = whi_hmap_get(&m->ids, id, strlen(id));
    if (!e) return whi_error(WH_ENOTFOUND, "subscription %s is not in the matcher", id);
    keyblob keys;
    if ((rc = build_keys(sub, &keys)) != WH_OK) return rc;
    whi_mfilter *filter;
    if ((rc = whi_mfilter_build(sub, &filter)) != WH_OK ||
        (rc = filter_number(m, filter)) != WH_OK) {
        whi_free(filter); /* NULL after a failed build */
        whi_free(keys.p);
        return rc;
    }
    /* Add the new keys first, so a failure leaves the old indexing intact. */
    if ((rc = index_keys(m, e, &keys, e->keys, e->keys_len)) != WH_OK) {
        filter_release(m, filter);
        whi_free(keys.p);
        whi_free(filter);
        return rc;
    }
    keyref k;
    for (size_t off = 0; key_next(e->keys, e->keys_len, &off, &k);)
        if (!key_in(keys.p, keys.len, &k)) whi_index_remove(m, k.kind, k.key, k.len, e);
    whi_free(e->keys);
    filter_release(m, e->filter);
    whi_free(e->filter);
    e->keys = keys.p;
    e->keys_len = keys.len;
    e->sub = sub;
    e->filter = filter;
    /* Postings carry the subscription and its filter inline: point them at the new ones. */
    for (size_t off = 0; key_next(e->keys, e->keys_len, &off, &k);)
        whi_index_refresh(m, k.kind, k.key, k.len, e);
    return WH_OK;
}

int wh_matcher_remove(wh_matcher *m, const char *id)
{
    if (!m || !id) return whi_error(WH_EINVAL, "matcher and id must not be NULL");
    whi_mentry *e = whi_hmap_remove(&m->ids, id, strlen(id));
    if (!e) return whi_error(WH_ENOTFOUND, "subscription %s is not in the matcher", id);
    unindex(m, e, e->keys, e->keys_len);
    filter_release(m, e->filter);
    entry_free(e);
    return WH_OK;
}

size_t wh_matcher_count(const wh_matcher *m)
{
    return m ? m->ids.n : 0;
}

const wh_subscription *wh_matcher_get(const wh_matcher *m, const char *id)
{
    if (!m || !id) return NULL;
    const whi_mentry *e = whi_hmap_get(&m->ids, id, strlen(id));
    return e ? e->sub : NULL;
}

/* ---- results ---- */

int wh_match_result_new(wh_match_result **out)
{
    if (!out) return whi_error(WH_EINVAL, "out must not be NULL");
    *out = whi_calloc(1, sizeof(**out));
    return *out ? WH_OK : whi_error_oom();
}

void wh_match_result_free(wh_match_result *r)
{
    if (!r) return;
    whi_free(r->v);
    whi_free(r->tmp);
    if (r->doc) whi_fdoc_free(r->doc);
    whi_free(r->doc);
    whi_free(r);
}

size_t wh_match_result_count(const wh_match_result *r)
{
    return r ? r->n : 0;
}

const wh_subscription *wh_match_result_at(const wh_match_result *r, size_t i)
{
    return r && i < r->n ? r->v[i].sub : NULL;
}

int wh_matcher_match(const wh_matcher *m, const wh_event *ev, wh_match_result *r)
{
    if (!m || !ev || !r) return whi_error(WH_EINVAL, "matcher, event and result must not be NULL");
    r->n = 0;
    r->nruns = 0;
    r->failed = 0;
    r->pending = 0;
    if (!ev->type) return whi_error(WH_EINVAL, "event has no type");
    whi_index_collect(m, ev, r);
    if (!r->failed) whi_result_finish(r);
    if (!r->failed && r->pending) whi_result_apply_payload(r, ev);
    if (r->failed) {
        r->n = 0;
        return whi_error_oom();
    }
    return WH_OK;
}
