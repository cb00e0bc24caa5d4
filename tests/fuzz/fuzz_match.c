/*
 * libFuzzer target: the input is a program of matcher changes and matches over 16
 * subscriptions (add or update with new patterns, entity, actions and filters; remove; change
 * the materialization budget; match an event). Every match must equal the linear scan's
 * (same subscriptions, same order), and the index must hold its own invariants; at the end
 * everything is removed and the index must be empty again.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_support.h"
#include "match_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSUBS 16

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned next(reader *r, unsigned mod)
{
    if (r->n == 0) return 0;
    r->n--;
    return *r->p++ % mod;
}

/* A dot path of 1-4 segments; with wildcards when wild ("*" anywhere, "**" last). */
static void make_path(reader *r, bool wild, char *buf, size_t cap)
{
    static const char *const SEGS[] = {"a", "b", "ab", "order", "*", "**"};
    unsigned depth = 1 + next(r, 4);
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < depth; i++) {
        unsigned k = next(r, wild ? (i + 1 == depth ? 6 : 5) : 4);
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "." : "", SEGS[k]);
    }
}

static const char *const PRODUCTS[] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"};

static void configure(reader *r, wh_subscription *s)
{
    static const char *const ENT[] = {"Order", "Product"};
    static const char *const ACT[] = {"create", "update", "cancel"};
    char buf[128];
    for (int l = WH_LIST_EVENTS; l <= WH_LIST_IDENTIFIERS; l++)
        wh_subscription_list_clear(s, (wh_sub_list)l);
    for (unsigned k = next(r, 4); k > 0; k--) {
        make_path(r, true, buf, sizeof(buf));
        wh_subscription_list_add(s, WH_LIST_EVENTS, buf); /* an invalid pattern is refused */
    }
    unsigned e = next(r, 3);
    FUZZ_CHECK(wh_subscription_set_entity(s, e ? ENT[e - 1] : NULL) == WH_OK);
    for (unsigned k = next(r, 3); k > 0; k--)
        wh_subscription_list_add(s, WH_LIST_ACTIONS, ACT[next(r, 3)]);
    for (unsigned k = next(r, 6); k > 0; k--)
        wh_subscription_list_add(s, WH_LIST_PRODUCTS, PRODUCTS[next(r, 8)]);
    if (next(r, 4) == 0) wh_subscription_list_add(s, WH_LIST_IDENTIFIERS, "i1");
    FUZZ_CHECK(wh_subscription_set_source(s, next(r, 4) == 0 ? "CRM" : NULL) == WH_OK);
    FUZZ_CHECK(wh_subscription_set_status(s, next(r, 6) ? WH_STATUS_ACTIVE : WH_STATUS_DISABLED) ==
               WH_OK);
}

static wh_event *make_event(reader *r)
{
    char buf[128];
    make_path(r, false, buf, sizeof(buf));
    wh_event *e;
    FUZZ_CHECK(wh_event_new(&e, buf) == WH_OK);
    unsigned ent = next(r, 3);
    if (ent) FUZZ_CHECK(wh_event_set_entity(e, ent == 1 ? "Order" : "Product") == WH_OK);
    if (next(r, 2)) FUZZ_CHECK(wh_event_set_action(e, next(r, 2) ? "create" : "cancel") == WH_OK);
    /* Up to 40 products: past 4 the inline check takes its general path, past 32 the names. */
    unsigned np = next(r, 8);
    np = np == 7 ? 40 : np;
    for (unsigned k = 0; k < np; k++) {
        snprintf(buf, sizeof(buf), "p%u", k < 7 ? next(r, 10) : k);
        FUZZ_CHECK(wh_event_add_product(e, buf) == WH_OK);
    }
    if (next(r, 3) == 0) FUZZ_CHECK(wh_event_set_identifier(e, "i1") == WH_OK);
    if (next(r, 3) == 0) FUZZ_CHECK(wh_event_set_source(e, "CRM") == WH_OK);
    return e;
}

static void check_match(const wh_matcher *m, const wh_event *e, wh_match_result *a,
                        wh_match_result *b)
{
    FUZZ_CHECK(wh_matcher_match(m, e, a) == WH_OK);
    FUZZ_CHECK(whi_matcher_match_linear(m, e, b) == WH_OK);
    FUZZ_CHECK(wh_match_result_count(a) == wh_match_result_count(b));
    for (size_t i = 0; i < wh_match_result_count(a); i++)
        FUZZ_CHECK(wh_match_result_at(a, i) == wh_match_result_at(b, i));
}

/* The exact nodes' bookkeeping: their exact postings counted in refs, the type tree in step. */
static void check_index(const wh_matcher *m)
{
    FUZZ_CHECK(m->types->below == m->exact.n);
    for (size_t i = 0; i < m->exact.cap; i++) {
        const whi_mnode *n = m->exact.slots[i].node;
        if (!n) continue;
        plist l = whi_node_list(n, WHI_KEY_END);
        uint32_t exact = 0;
        for (uint32_t j = 0; j < l.n; j++) {
            exact += (l.v[j].tag & WHI_TAG_EXACT) != 0;
            FUZZ_CHECK(j == 0 || WHI_TAG_SEQ(l.v[j - 1].tag) < WHI_TAG_SEQ(l.v[j].tag));
        }
        FUZZ_CHECK(exact == n->refs);
        FUZZ_CHECK(n->flags & WHI_NODE_MAT || exact == l.n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    wh_matcher *m;
    wh_match_result *a, *b;
    FUZZ_CHECK(wh_matcher_new(&m) == WH_OK);
    FUZZ_CHECK(wh_match_result_new(&a) == WH_OK && wh_match_result_new(&b) == WH_OK);
    wh_subscription *subs[NSUBS];
    bool in[NSUBS] = {false};
    for (int i = 0; i < NSUBS; i++) {
        char id[8];
        snprintf(id, sizeof(id), "s%d", i);
        FUZZ_CHECK(wh_subscription_new(&subs[i]) == WH_OK);
        FUZZ_CHECK(wh_subscription_set_id(subs[i], id) == WH_OK);
        FUZZ_CHECK(wh_subscription_set_url(subs[i], "https://h.example/") == WH_OK);
    }
    for (int ops = 0; r.n && ops < 256; ops++) {
        unsigned op = next(&r, 8), i = next(&r, NSUBS);
        if (op < 3) { /* add or update */
            configure(&r, subs[i]);
            int rc = in[i] ? wh_matcher_update(m, subs[i]) : wh_matcher_add(m, subs[i]);
            FUZZ_CHECK(rc == WH_OK);
            in[i] = true;
        } else if (op == 3) {
            FUZZ_CHECK(wh_matcher_remove(m, wh_subscription_id(subs[i])) ==
                       (in[i] ? WH_OK : WH_ENOTFOUND));
            in[i] = false;
        } else if (op == 4) { /* 0, 1, 2, 4 ... 64: from always dropping to the default */
            unsigned k = next(&r, 8);
            m->mat_budget = k == 0 ? 0 : 1u << (k - 1);
        } else {
            wh_event *e = make_event(&r);
            check_match(m, e, a, b);
            wh_event_free(e);
        }
        check_index(m);
    }
    for (int i = 0; i < NSUBS; i++) {
        if (in[i]) FUZZ_CHECK(wh_matcher_remove(m, wh_subscription_id(subs[i])) == WH_OK);
        wh_subscription_free(subs[i]);
    }
    FUZZ_CHECK(m->exact.n == 0 && m->trie.n == 0 && m->entity.n == 0 && m->types->nkids == 0);
    FUZZ_CHECK(m->products.map.n == 0 && m->presence.members == 0);
    wh_match_result_free(a);
    wh_match_result_free(b);
    wh_matcher_free(m);
    return 0;
}
