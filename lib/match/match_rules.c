/* The index's hashed filters, result ordering, and the linear scan (the rules are in
 * lib/core/rules.c). */
#include <stdbool.h>
#include <string.h>

#include "event_impl.h"
#include "match_impl.h"
#include "subscription_impl.h"
#include "alloc.h"
#include "error.h"
#include "strvec.h"
#include "compiler.h"
#include "hashmap.h"

/* ---- the index's hashed filters ---- */

static uint64_t str_hash(const char *s)
{
    return whi_hash_bytes(s, strlen(s));
}

/* Whether sub listens through patterns and an entity at once (the entity is then a filter). */
static bool entity_filters(const wh_subscription *sub)
{
    return sub->entity && sub->lists[WH_LIST_EVENTS].n > 0;
}

/* Copy s (with its NUL) to *t and advance it. */
static void put_string(char **t, const char *s)
{
    size_t len = strlen(s) + 1;
    memcpy(*t, s, len);
    *t += len;
}

int whi_mfilter_build(const wh_subscription *sub, whi_mfilter **out)
{
    *out = NULL;
    const whi_strvec *products = &sub->lists[WH_LIST_PRODUCTS];
    const whi_strvec *idents = &sub->lists[WH_LIST_IDENTIFIERS];
    const whi_strvec *actions = &sub->lists[WH_LIST_ACTIONS];
    bool entity = entity_filters(sub);
    if (products->n == 0 && idents->n == 0 && !sub->source && !entity && !sub->filter) return WH_OK;
    size_t n = products->n + idents->n, text = sub->source ? strlen(sub->source) + 1 : 0;
    for (size_t i = 0; i < products->n; i++)
        text += strlen(products->v[i]) + 1;
    for (size_t i = 0; i < idents->n; i++)
        text += strlen(idents->v[i]) + 1;
    if (entity) text += strlen(sub->entity) + 1;
    for (size_t i = 0; entity && i < actions->n; i++)
        text += strlen(actions->v[i]) + 1;
    size_t size =
        sizeof(whi_mfilter) + n * sizeof(uint64_t) + products->n * sizeof(uint32_t) + text;
    /* The payload filter is copied in (it is relocatable), so the block a posting leads to holds
     * it: one read brings both, where the subscription's own copy would be another cache miss. */
    size_t payload_at = (size + 7) & ~(size_t)7;
    if (sub->filter) size = payload_at + sub->filter->size;
    whi_mfilter *f = whi_malloc(size);
    if (!f) return whi_error_oom();
    f->sub = sub;
    f->payload = NULL;
    if (sub->filter) {
        memcpy((char *)f + payload_at, sub->filter, sub->filter->size);
        f->payload = (const wh_filter *)((char *)f + payload_at);
    }
    f->size = (uint32_t)size;
    f->nproducts = (uint32_t)products->n;
    f->nidents = (uint32_t)idents->n;
    f->bloom = 0;
    f->inline_bits = 0;
    f->has_source = sub->source != NULL;
    f->source_hash = sub->source ? str_hash(sub->source) : 0;
    f->has_entity = entity;
    f->nactions = entity ? (uint32_t)actions->n : 0;
    memset(whi_mfilter_pids(f), 0, products->n * sizeof(uint32_t));
    char *t = (char *)(whi_mfilter_pids(f) + products->n);
    for (size_t i = 0; i < n; i++) {
        const char *v = i < products->n ? products->v[i] : idents->v[i - products->n];
        f->hashes[i] = str_hash(v);
        if (i < products->n) f->bloom |= WHI_BLOOM_BIT(f->hashes[i]);
        put_string(&t, v);
    }
    if (sub->source) put_string(&t, sub->source);
    if (entity) put_string(&t, sub->entity);
    for (size_t i = 0; i < f->nactions; i++)
        put_string(&t, actions->v[i]);
    *out = f;
    return WH_OK;
}

const char *whi_mfilter_string(const whi_mfilter *f, size_t i)
{
    const char *t = (const char *)(whi_mfilter_pids(f) + f->nproducts);
    while (i--)
        t += strlen(t) + 1;
    return t;
}

void whi_evfilter_prepare(whi_evfilter *ef)
{
    const wh_event *ev = ef->ev;
    ef->ready = true;
    ef->many_products = ev->products.n > WHI_ARRAY_LEN(ef->products);
    ef->nproducts = ef->many_products ? 0 : ev->products.n;
    ef->bloom = ef->many_products ? WHI_BLOOM_ALL : 0;
    for (size_t i = 0; i < ef->nproducts; i++) {
        size_t len = strlen(ev->products.v[i]);
        ef->products[i] = whi_hash_bytes(ev->products.v[i], len);
        ef->bloom |= WHI_BLOOM_BIT(ef->products[i]);
        ef->ids[i] = whi_products_find(ef->dict, ev->products.v[i], len, ef->products[i]);
    }
    ef->few = ef->nproducts <= WHI_ARRAY_LEN(ef->eid) && !ef->many_products;
    for (size_t i = 0; i < WHI_ARRAY_LEN(ef->eid); i++)
        ef->eid[i] = i >= ef->nproducts ? WHI_EID_NONE : ef->ids[i] ? ef->ids[i] : WHI_EID_UNKNOWN;
    ef->ident = ev->identifier ? str_hash(ev->identifier) : 0;
    ef->source = ev->source ? str_hash(ev->source) : 0;
}

static bool products_pass(const whi_mfilter *f, const whi_evfilter *ef)
{
    const whi_strvec *have = &ef->ev->products;
    for (size_t i = 0; i < have->n; i++) {
        /* Events with very many products are not hashed ahead: hash as we go. */
        uint64_t h = ef->many_products ? str_hash(have->v[i]) : ef->products[i];
        for (uint32_t j = 0; j < f->nproducts; j++)
            if (f->hashes[j] == h && strcmp(whi_mfilter_string(f, j), have->v[i]) == 0) return true;
    }
    return false;
}

static bool ident_passes(const whi_mfilter *f, const whi_evfilter *ef)
{
    const char *ident = ef->ev->identifier;
    if (!ident) return false;
    for (uint32_t j = 0; j < f->nidents; j++)
        if (f->hashes[f->nproducts + j] == ef->ident &&
            strcmp(whi_mfilter_string(f, f->nproducts + j), ident) == 0)
            return true;
    return false;
}

bool whi_inline_passes(uint64_t tag, const whi_evfilter *ef)
{
    uint32_t n[3];
    whi_inline_numbers(tag, n);
    for (uint32_t j = 0; j < WHI_TAG_MODE(tag); j++) {
        uint32_t id = n[j];
        if (ef->many_products) { /* not numbered ahead: compare the names */
            const char *name = whi_products_name(ef->dict, id);
            if (name && whi_strvec_contains(&ef->ev->products, name)) return true;
            continue;
        }
        for (size_t i = 0; i < ef->nproducts; i++)
            if (ef->ids[i] == id) return true;
    }
    return false;
}

/* The event's entity and action are the filter's (entity, then its actions; none: any). */
static bool entity_passes(const whi_mfilter *f, const whi_evfilter *ef)
{
    size_t first = f->nproducts + f->nidents + (f->has_source ? 1 : 0);
    const wh_event *ev = ef->ev;
    if (!ev->entity || strcmp(whi_mfilter_string(f, first), ev->entity) != 0) return false;
    if (f->nactions == 0) return true;
    for (uint32_t j = 0; ev->action && j < f->nactions; j++)
        if (strcmp(whi_mfilter_string(f, first + 1 + j), ev->action) == 0) return true;
    return false;
}

bool whi_mfilter_passes(const whi_mfilter *f, whi_evfilter *ef)
{
    if (!ef->ready) whi_evfilter_prepare(ef);
    if (f->nproducts && !products_pass(f, ef)) return false;
    if (f->nidents && !ident_passes(f, ef)) return false;
    if (f->has_source &&
        !(ef->ev->source && f->source_hash == ef->source &&
          strcmp(whi_mfilter_string(f, f->nproducts + f->nidents), ef->ev->source) == 0))
        return false;
    return !f->has_entity || entity_passes(f, ef);
}

/* ---- results ---- */

bool whi_result_grow(wh_match_result *r)
{
    return whi_result_reserve(r, r->cap + 1);
}

bool whi_result_reserve(wh_match_result *r, size_t need)
{
    if (r->failed) return false;
    if (need <= r->cap) return true;
    size_t ncap = r->cap ? r->cap * 2 : 16;
    while (ncap < need && ncap * 2 > ncap)
        ncap *= 2;
    if (ncap < need) {
        r->failed = WH_ENOMEM;
        return false;
    }
    whi_mhit *p = ncap > r->cap ? whi_realloc(r->v, ncap * sizeof(*p)) : NULL;
    if (p) r->v = p;
    whi_mhit *t = p ? whi_realloc(r->tmp, ncap * sizeof(*t)) : NULL;
    if (!t) {
        r->failed = WH_ENOMEM;
        return false;
    }
    r->tmp = t;
    r->cap = ncap;
    return true;
}

/* End of the non-decreasing run of v[0..n) that starts at i. */
static size_t run_end(const whi_mhit *v, size_t i, size_t n)
{
    while (i + 1 < n && v[i].seq <= v[i + 1].seq)
        i++;
    return i + 1;
}

/*
 * A match appends one sorted run per posting list (a handful), so a bottom-up merge of those
 * runs orders it in a few linear passes, without allocating (the scratch is the result's own).
 */
static void merge_runs(wh_match_result *r)
{
    whi_mhit *src = r->v, *dst = r->tmp;
    size_t n = r->n;
    for (;;) {
        size_t runs = 0;
        for (size_t i = 0; i < n; runs++) {
            size_t mid = run_end(src, i, n);
            size_t end = mid < n ? run_end(src, mid, n) : n;
            size_t a = i, b = mid, o = i;
            while (a < mid && b < end)
                dst[o++] = src[b].seq < src[a].seq ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < end)
                dst[o++] = src[b++];
            i = end;
        }
        whi_mhit *t = src;
        src = dst;
        dst = t;
        if (runs <= 1) break;
    }
    if (src != r->v) memcpy(r->v, src, n * sizeof(*src));
}

/*
 * Merge the sorted runs a[0..na) and b[0..nb) into out, dropping a hit whose sequence number
 * equals the one before it (an entry reached by two lists); returns the count. The loop has no
 * branch on the data: which run a step takes from depends on the numbers, and a mispredicted
 * branch per hit would cost more than the selects.
 */
static size_t merge2(const whi_mhit *a, size_t na, const whi_mhit *b, size_t nb, whi_mhit *out)
{
    size_t i = 0, j = 0, o = 0;
    uint64_t prev = UINT64_MAX; /* no sequence number is that large */
    /* One loop of na + nb steps (both are at least 1), not a loop per run: a run's end would be
     * a mispredicted exit. An exhausted run's index stays on its last hit, never taken again. */
    for (size_t k = na + nb; k > 0; k--) {
        const whi_mhit *x = &a[i < na ? i : na - 1], *y = &b[j < nb ? j : nb - 1];
        bool from_b = (j < nb) & ((i >= na) | (y->seq < x->seq));
        const whi_mhit *t = from_b ? y : x;
        out[o] = *t;
        o += t->seq != prev;
        prev = t->seq;
        j += from_b;
        i += !from_b;
    }
    return o;
}

/*
 * Merge the recorded runs pairwise until one is left, dropping duplicates: a match records a
 * handful (the type's list, maybe the root's, its entity's), so a pass or two.
 */
static void merge_recorded_runs(wh_match_result *r)
{
    size_t start[WHI_MAX_RUNS + 1], nruns = 0;
    for (size_t j = 0; j < r->nruns; j++) /* drop empty runs */
        if (r->runs[j] < (j + 1 < r->nruns ? r->runs[j + 1] : r->n)) start[nruns++] = r->runs[j];
    start[nruns] = r->n;
    whi_mhit *src = r->v, *dst = r->tmp;
    while (nruns > 1) {
        size_t o = 0, k = 0;
        for (size_t j = 0; j < nruns; j += 2) {
            size_t a = start[j], b = start[j + 1];
            start[k++] = o;
            if (j + 1 < nruns) {
                o += merge2(src + a, b - a, src + b, start[j + 2] - b, dst + o);
            } else { /* the odd one out */
                memcpy(dst + o, src + a, (b - a) * sizeof(*src));
                o += b - a;
            }
        }
        start[k] = o;
        nruns = k;
        r->n = o;
        whi_mhit *t = src;
        src = dst;
        dst = t;
    }
    r->v = src; /* the buffers swap roles: both are the result's own */
    r->tmp = dst;
}

void whi_result_finish(wh_match_result *r)
{
    if (r->nruns <= 1) return; /* one posting list: sorted, no duplicates */
    if (r->nruns <= WHI_MAX_RUNS) {
        merge_recorded_runs(r);
        return;
    }
    bool ordered = true;
    for (size_t i = 1; i < r->n && ordered; i++)
        ordered = r->v[i - 1].seq < r->v[i].seq;
    if (ordered) return;
    merge_runs(r);
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (k == 0 || r->v[k - 1].seq != r->v[i].seq) r->v[k++] = r->v[i];
    r->n = k;
}

/* The result's scratch for payload filters, begun for ev (NULL when out of memory). */
static whi_fdoc *result_doc(wh_match_result *r, const wh_event *ev)
{
    if (!r->doc && (r->doc = whi_malloc(sizeof(*r->doc)))) *r->doc = (whi_fdoc)WHI_FDOC_INIT;
    if (r->doc) whi_fdoc_begin(r->doc, ev);
    return r->doc;
}

void whi_result_apply_payload(wh_match_result *r, const wh_event *ev)
{
    whi_fdoc *doc = result_doc(r, ev);
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++) {
        uintptr_t ref = (uintptr_t)r->v[i].sub;
        if (ref & 1u) {
            const whi_mfilter *f = (const whi_mfilter *)(ref & ~(uintptr_t)1);
            int rc = doc ? whi_filter_eval(f->payload, doc) : WH_ENOMEM;
            if (rc < 0) {
                r->failed = WH_ENOMEM;
                return;
            }
            if (!rc) continue;
            r->v[i].sub = f->sub;
        }
        r->v[k++] = r->v[i];
    }
    r->n = k;
    r->pending = 0;
}

int whi_matcher_match_linear(const wh_matcher *m, const wh_event *ev, wh_match_result *r)
{
    if (!m || !ev || !r) return whi_error(WH_EINVAL, "matcher, event and result must not be NULL");
    r->n = 0;
    r->failed = 0;
    r->pending = 0;
    r->nruns = WHI_MAX_RUNS + 1; /* hits come in id-map order: sort generically */
    for (size_t i = 0; i < m->ids.cap; i++) {
        const whi_mentry *e = m->ids.slots[i].value;
        if (!e || !whi_sub_listens(e->sub, ev) || !whi_sub_passes_filters(e->sub, ev)) continue;
        bool payload = e->filter && e->filter->payload;
        whi_result_push(r, e->seq, payload ? whi_payload_tag(e->filter) : (const void *)e->sub);
        r->pending += payload;
    }
    if (r->pending && !r->failed) whi_result_apply_payload(r, ev);
    if (r->failed) {
        r->n = 0;
        return whi_error_oom();
    }
    whi_result_finish(r);
    return WH_OK;
}
