/*
 * Payload filters: evaluating a compiled filter against an event. A path is resolved against
 * the event's own fields (no JSON is made of them) or, under data and relations, through the
 * JSON view of whi_fdoc, which indexes each object it enters once per event. No comparison
 * allocates; the recursion follows the filter's nesting, at most WH_FILTER_MAX_DEPTH levels.
 */
#include <string.h>

#include "event_impl.h"
#include "filter_impl.h"
#include "error.h"
#include "strvec.h"

static const whi_jval MISSING = {NULL, 0, WHI_JMISSING, false};

void whi_fdoc_begin(whi_fdoc *d, const wh_event *ev)
{
    d->ev = ev;
    whi_jview_reset(&d->view);
    d->data_ready = false;
    d->occurred_at[0] = '\0';
    if (++d->epoch == 0) { /* every 2^32 events: forget the paths' epochs too */
        memset(d->paths, 0, sizeof(d->paths));
        d->epoch = 1;
    }
}

void whi_fdoc_free(whi_fdoc *d)
{
    whi_jview_free(&d->view);
}

static whi_jval plain(const char *s)
{
    if (!s) return (whi_jval){NULL, 0, WHI_JNULL, false};
    return (whi_jval){s, (uint32_t)strlen(s), WHI_JSTRING, false};
}

static whi_jval json_text(const char *s)
{
    return s ? whi_jval_root(s, strlen(s)) : MISSING;
}

/* Follow segments segs[0..n) from v through objects and arrays. */
static whi_jval walk(whi_fdoc *d, const wh_filter *f, whi_jval v, const whi_fseg *segs, size_t n)
{
    const char *strings = whi_filter_strings(f);
    for (size_t i = 0; i < n && v.type != WHI_JMISSING; i++) {
        const whi_fseg *s = &segs[i];
        if (v.type == WHI_JOBJECT)
            v = whi_jval_member(&d->view, v, strings + s->off, s->len, s->hash);
        else if (v.type == WHI_JARRAY && s->index != WHI_FSEG_NAME)
            v = whi_jval_element(&d->view, v, s->index);
        else
            v = MISSING;
    }
    return v;
}

static whi_fval list(uint8_t type, const void *l)
{
    return (whi_fval){{NULL, 0, type, false}, l, 0, 0};
}

static whi_fval resolve(whi_fdoc *d, const wh_filter *f, const whi_fnode *n)
{
    const wh_event *ev = d->ev;
    const whi_fseg *segs = whi_filter_segs(f) + n->seg;
    const char *name = n->nseg ? whi_filter_strings(f) + segs[0].off : NULL;
    whi_fval v = {MISSING, NULL, 0, 0};
    switch (n->root) {
    case WHI_FR_ID:
        v.j = plain(ev->id);
        break;
    case WHI_FR_TYPE:
        v.j = plain(ev->type);
        break;
    case WHI_FR_ENTITY:
        v.j = plain(ev->entity);
        break;
    case WHI_FR_ACTION:
        v.j = plain(ev->action);
        break;
    case WHI_FR_IDENTIFIER:
        v.j = plain(ev->identifier);
        break;
    case WHI_FR_SOURCE:
        v.j = plain(ev->source);
        break;
    case WHI_FR_OCCURRED_AT:
        if (!d->occurred_at[0])
            whi_rfc3339_format(ev->occurred_at, ev->occurred_off, d->occurred_at);
        v.j = plain(d->occurred_at);
        break;
    case WHI_FR_IDS:
    case WHI_FR_PRODUCTS: {
        const whi_strvec *sv = n->root == WHI_FR_IDS ? &ev->ids : &ev->products;
        if (n->nseg == 0)
            v = list(WHI_JARRAY, sv);
        else if (segs[0].index < sv->n)
            v.j = plain(sv->v[segs[0].index]);
        break;
    }
    case WHI_FR_ATTRIBUTES:
        if (!name)
            v = list(WHI_JOBJECT, &ev->attrs);
        else
            v.j = plain(whi_kvvec_get(&ev->attrs, name, false));
        if (name && v.j.type == WHI_JNULL) v.j = MISSING;
        break;
    case WHI_FR_DATA:
        if (!d->data_ready) {
            d->data = json_text(ev->data);
            d->data_ready = true;
        }
        v.j = walk(d, f, d->data, segs, n->nseg);
        break;
    case WHI_FR_RELATIONS:
        if (!name)
            v = list(WHI_JOBJECT, &ev->relations);
        else
            v.j = walk(d, f, json_text(whi_kvvec_get(&ev->relations, name, false)), segs + 1,
                       n->nseg - 1u);
        break;
    default:
        break;
    }
    return v;
}

static bool same_path(const whi_fpath *p, const char *path, uint32_t len, uint32_t hash)
{
    if (p->hash != hash || p->len != len) return false;
    if (p->path == path) return true; /* the same filter's own */
    uint32_t i = 0;
    for (; i + 8 <= len; i += 8) { /* paths are short: words, then bytes, no library call */
        uint64_t a, b;
        memcpy(&a, p->path + i, 8);
        memcpy(&b, path + i, 8);
        if (a != b) return false;
    }
    for (; i < len; i++)
        if (p->path[i] != path[i]) return false;
    return true;
}

/* The value of n's path: resolved once per event and path, then from the doc's cache (a path
 * that finds no room there is resolved into *tmp each time). */
static whi_fval *value_of(whi_fdoc *d, const wh_filter *f, const whi_fnode *n, whi_fval *tmp)
{
    const char *path = whi_filter_strings(f) + n->path;
    uint32_t hash = n->path_hash;
    whi_fpath *free_slot = NULL;
    for (uint32_t k = 0; k < 4; k++) {
        whi_fpath *p = &d->paths[(hash + k) & (WHI_FDOC_PATHS - 1)];
        if (p->epoch != d->epoch) {
            if (!free_slot) free_slot = p;
        } else if (same_path(p, path, n->path_len, hash)) {
            return &p->v;
        }
    }
    *tmp = resolve(d, f, n);
    if (!free_slot) return tmp;
    *free_slot = (whi_fpath){d->epoch, hash, n->path_len, path, *tmp};
    return &free_slot->v;
}

/* The number v holds, parsed once. */
static bool number_of(whi_fval *v, double *out)
{
    if (!v->num_state) v->num_state = whi_jval_number(v->j, &v->num) ? 1 : 2;
    *out = v->num;
    return v->num_state == 1;
}

/* ---- comparisons ---- */

static bool absent(whi_jval v)
{
    return v.type == WHI_JMISSING || v.type == WHI_JNULL;
}

static bool equal(whi_fval *v, const whi_farg *a, const char *strings)
{
    double x;
    switch (a->type) {
    case WHI_JNULL:
        return absent(v->j);
    case WHI_JNUMBER:
        return number_of(v, &x) && x == a->num;
    case WHI_JSTRING:
        return v->j.type == WHI_JSTRING && whi_jstr_eq(v->j, strings + a->off, a->len);
    default: /* true, false */
        return v->j.type == a->type;
    }
}

/* The sign of v - a for numbers, or bytewise for strings; false when they do not compare. */
static bool order(whi_fval *v, const whi_farg *a, const char *strings, int *sign)
{
    double x;
    if (a->type == WHI_JNUMBER) {
        if (!number_of(v, &x)) return false;
        *sign = x < a->num ? -1 : x > a->num ? 1 : 0;
        return true;
    }
    if (a->type != WHI_JSTRING || v->j.type != WHI_JSTRING) return false;
    *sign = whi_jstr_cmp(v->j, strings + a->off, a->len);
    return true;
}

static bool any_equal(whi_fval *v, const whi_farg *args, uint32_t n, const char *strings)
{
    for (uint32_t i = 0; i < n; i++)
        if (equal(v, &args[i], strings)) return true;
    return false;
}

/* Whether the array v holds an element equal to a (a scan of its elements each time: the
 * operand differs from one condition to the next). */
static bool contains(const whi_fval *v, const whi_farg *a, const char *strings)
{
    if (v->j.type != WHI_JARRAY) return false;
    if (v->list) {
        const whi_strvec *sv = v->list;
        for (size_t i = 0; i < sv->n; i++) {
            whi_fval e = {plain(sv->v[i]), NULL, 0, 0};
            if (equal(&e, a, strings)) return true;
        }
        return false;
    }
    whi_jiter it = whi_jiter_begin(v->j);
    whi_fval e = {MISSING, NULL, 0, 0};
    while (whi_jiter_next(&it, &e.j)) {
        e.num_state = 0;
        if (equal(&e, a, strings)) return true;
    }
    return false;
}

static bool condition(whi_fdoc *d, const wh_filter *f, const whi_fnode *n)
{
    whi_fval tmp, *v = value_of(d, f, n, &tmp);
    const whi_farg *a = whi_filter_args(f) + n->arg;
    const char *strings = whi_filter_strings(f);
    int sign = 0;
    switch (n->op) {
    case WHI_OP_EQ:
        return equal(v, a, strings);
    case WHI_OP_NEQ:
        return !equal(v, a, strings);
    case WHI_OP_GT:
        return order(v, a, strings, &sign) && sign > 0;
    case WHI_OP_GTE:
        return order(v, a, strings, &sign) && sign >= 0;
    case WHI_OP_LT:
        return order(v, a, strings, &sign) && sign < 0;
    case WHI_OP_LTE:
        return order(v, a, strings, &sign) && sign <= 0;
    case WHI_OP_IN:
        return any_equal(v, a, n->nargs, strings);
    case WHI_OP_NIN:
        return !any_equal(v, a, n->nargs, strings);
    case WHI_OP_EXIST:
        return absent(v->j) != (n->arg != 0); /* the flag is kept in arg */
    case WHI_OP_CONTAINS:
        return contains(v, a, strings);
    case WHI_OP_STARTS:
        return v->j.type == WHI_JSTRING && whi_jstr_starts(v->j, strings + a->off, a->len);
    case WHI_OP_ENDS:
        return v->j.type == WHI_JSTRING && whi_jstr_ends(v->j, strings + a->off, a->len);
    default:
        return false;
    }
}

static bool eval(whi_fdoc *d, const wh_filter *f, uint32_t i)
{
    const whi_fnode *n = &f->nodes[i];
    switch (n->kind) {
    case WHI_FN_COND:
        return condition(d, f, n);
    case WHI_FN_NOT:
        return !eval(d, f, i + 1);
    case WHI_FN_OR:
        for (uint32_t c = i + 1; c < n->end; c = f->nodes[c].end)
            if (eval(d, f, c)) return true;
        return false;
    default: /* AND */
        for (uint32_t c = i + 1; c < n->end; c = f->nodes[c].end)
            if (!eval(d, f, c)) return false;
        return true;
    }
}

int whi_filter_eval(const wh_filter *f, whi_fdoc *d)
{
    bool ok = eval(d, f, 0);
    if (d->view.failed) return whi_error_oom();
    return ok;
}

int wh_filter_matches(const wh_filter *f, const wh_event *ev)
{
    if (!f || !ev) return whi_error(WH_EINVAL, "filter and event must not be NULL");
    whi_fdoc d = WHI_FDOC_INIT;
    whi_fdoc_begin(&d, ev);
    int rc = whi_filter_eval(f, &d);
    whi_fdoc_free(&d);
    return rc;
}
