/* The matching rules themselves (pure predicates), result ordering, and the linear scan. */
#include <string.h>

#include "event_impl.h"
#include "match_impl.h"
#include "subscription_impl.h"

/* ---- event-type patterns ---- */

static size_t seg_len(const char *s)
{
    const char *dot = strchr(s, '.');
    return dot ? (size_t)(dot - s) : strlen(s);
}

static bool is_seg(const char *s, size_t len, const char *what)
{
    return len == strlen(what) && memcmp(s, what, len) == 0;
}

int wh_event_type_matches(const char *pattern, const char *type)
{
    if (!pattern || !type || !*type) return 0;
    if (strcmp(pattern, "*") == 0 || strcmp(pattern, "**") == 0) return 1;
    const char *p = pattern, *t = type;
    for (;;) {
        size_t pl = seg_len(p);
        bool plast = p[pl] == '\0';
        if (is_seg(p, pl, "**") && plast) return *t != '\0'; /* one or more segments remain */
        if (*t == '\0') return 0;
        size_t tl = seg_len(t);
        if (!is_seg(p, pl, "*") && (pl != tl || memcmp(p, t, pl) != 0)) return 0;
        bool tlast = t[tl] == '\0';
        if (plast || tlast) return plast && tlast;
        p += pl + 1;
        t += tl + 1;
    }
}

/* ---- filters and listening ---- */

static bool any_listed(const whi_strvec *have, const whi_strvec *allowed)
{
    for (size_t i = 0; i < have->n; i++)
        if (whi_strvec_contains(allowed, have->v[i])) return true;
    return false;
}

bool whi_sub_passes_filters(const wh_subscription *sub, const wh_event *ev)
{
    if (sub->status != WH_STATUS_ACTIVE) return false;
    const whi_strvec *products = &sub->lists[WH_LIST_PRODUCTS];
    if (products->n && !any_listed(&ev->products, products)) return false;
    const whi_strvec *idents = &sub->lists[WH_LIST_IDENTIFIERS];
    if (idents->n && !(ev->identifier && whi_strvec_contains(idents, ev->identifier))) return false;
    if (sub->source && !(ev->source && strcmp(sub->source, ev->source) == 0)) return false;
    return true;
}

bool whi_sub_listens(const wh_subscription *sub, const wh_event *ev)
{
    const whi_strvec *events = &sub->lists[WH_LIST_EVENTS];
    for (size_t i = 0; i < events->n; i++)
        if (wh_event_type_matches(events->v[i], ev->type)) return true;
    if (!sub->entity || !ev->entity || strcmp(sub->entity, ev->entity) != 0) return false;
    const whi_strvec *actions = &sub->lists[WH_LIST_ACTIONS];
    return actions->n == 0 || (ev->action && whi_strvec_contains(actions, ev->action));
}

int wh_subscription_matches(const wh_subscription *sub, const wh_event *ev)
{
    if (!sub || !ev || !ev->type) return 0;
    return whi_sub_listens(sub, ev) && whi_sub_passes_filters(sub, ev);
}

/* ---- the index's hashed filters ---- */

static uint64_t str_hash(const char *s)
{
    return whi_hash_bytes(s, strlen(s));
}

int whi_mfilter_build(const wh_subscription *sub, whi_mfilter **out)
{
    *out = NULL;
    const whi_strvec *products = &sub->lists[WH_LIST_PRODUCTS];
    const whi_strvec *idents = &sub->lists[WH_LIST_IDENTIFIERS];
    if (products->n == 0 && idents->n == 0 && !sub->source) return WH_OK;
    size_t n = products->n + idents->n;
    whi_mfilter *f = whi_malloc(sizeof(*f) + n * sizeof(uint64_t));
    if (!f) return whi_error_oom();
    f->sub = sub;
    f->nproducts = (uint32_t)products->n;
    f->nidents = (uint32_t)idents->n;
    for (size_t i = 0; i < products->n; i++)
        f->hashes[i] = str_hash(products->v[i]);
    for (size_t i = 0; i < idents->n; i++)
        f->hashes[products->n + i] = str_hash(idents->v[i]);
    f->has_source = sub->source != NULL;
    f->source_hash = sub->source ? str_hash(sub->source) : 0;
    *out = f;
    return WH_OK;
}

static void evfilter_prepare(whi_evfilter *ef)
{
    const wh_event *ev = ef->ev;
    ef->ready = true;
    ef->many_products = ev->products.n > WHI_ARRAY_LEN(ef->products);
    ef->nproducts = ef->many_products ? 0 : ev->products.n;
    for (size_t i = 0; i < ef->nproducts; i++)
        ef->products[i] = str_hash(ev->products.v[i]);
    ef->ident = ev->identifier ? str_hash(ev->identifier) : 0;
    ef->source = ev->source ? str_hash(ev->source) : 0;
}

static bool products_pass(const whi_mfilter *f, const whi_evfilter *ef)
{
    const whi_strvec *listed = &f->sub->lists[WH_LIST_PRODUCTS];
    if (ef->many_products) return any_listed(&ef->ev->products, listed);
    for (size_t i = 0; i < ef->nproducts; i++)
        for (uint32_t j = 0; j < f->nproducts; j++)
            if (f->hashes[j] == ef->products[i] && strcmp(listed->v[j], ef->ev->products.v[i]) == 0)
                return true;
    return false;
}

static bool ident_passes(const whi_mfilter *f, const whi_evfilter *ef)
{
    const char *ident = ef->ev->identifier;
    if (!ident) return false;
    const whi_strvec *listed = &f->sub->lists[WH_LIST_IDENTIFIERS];
    for (uint32_t j = 0; j < f->nidents; j++)
        if (f->hashes[f->nproducts + j] == ef->ident && strcmp(listed->v[j], ident) == 0)
            return true;
    return false;
}

bool whi_mfilter_passes(const whi_mfilter *f, whi_evfilter *ef)
{
    if (!ef->ready) evfilter_prepare(ef);
    if (f->nproducts && !products_pass(f, ef)) return false;
    if (f->nidents && !ident_passes(f, ef)) return false;
    if (f->has_source && !(ef->ev->source && f->source_hash == ef->source &&
                           strcmp(f->sub->source, ef->ev->source) == 0))
        return false;
    return true;
}

/* ---- results ---- */

void whi_result_push(wh_match_result *r, uint64_t seq, const wh_subscription *sub)
{
    if (r->failed) return;
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 16;
        whi_mhit *p = ncap > r->cap ? whi_realloc(r->v, ncap * sizeof(*p)) : NULL;
        if (!p) {
            r->failed = WH_ENOMEM;
            return;
        }
        r->v = p;
        r->cap = ncap;
    }
    r->v[r->n++] = (whi_mhit){seq, sub};
}

static void sift_down(whi_mhit *v, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n) return;
        if (c + 1 < n && v[c + 1].seq > v[c].seq) c++;
        if (v[root].seq >= v[c].seq) return;
        whi_mhit t = v[root];
        v[root] = v[c];
        v[c] = t;
        root = c;
    }
}

/* In place and allocation-free (qsort may allocate): insertion sort for the usual handful,
 * heapsort beyond. */
static void sort_hits(whi_mhit *v, size_t n)
{
    if (n <= 64) {
        for (size_t i = 1; i < n; i++) {
            whi_mhit x = v[i];
            size_t j = i;
            for (; j > 0 && v[j - 1].seq > x.seq; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
        return;
    }
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end-- > 1;) {
        whi_mhit t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end);
    }
}

void whi_result_finish(wh_match_result *r)
{
    bool ordered = true;
    for (size_t i = 1; i < r->n && ordered; i++)
        ordered = r->v[i - 1].seq < r->v[i].seq;
    if (ordered) return;
    sort_hits(r->v, r->n);
    size_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (k == 0 || r->v[k - 1].seq != r->v[i].seq) r->v[k++] = r->v[i];
    r->n = k;
}

int whi_matcher_match_linear(const wh_matcher *m, const wh_event *ev, wh_match_result *r)
{
    if (!m || !ev || !r) return whi_error(WH_EINVAL, "matcher, event and result must not be NULL");
    r->n = 0;
    r->failed = 0;
    for (size_t i = 0; i < m->ids.cap; i++) {
        const whi_mentry *e = m->ids.slots[i].value;
        if (e && whi_sub_listens(e->sub, ev) && whi_sub_passes_filters(e->sub, ev))
            whi_result_push(r, e->seq, e->sub);
    }
    if (r->failed) {
        r->n = 0;
        return whi_error_oom();
    }
    whi_result_finish(r);
    return WH_OK;
}
