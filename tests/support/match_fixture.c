/* The matcher fixture of the index tests (see match_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_fixture.h"
#include "wh_test.h"

int wh_mf_setup(void **state)
{
    wh_mf *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    WH_ASSERT_OK(wh_matcher_new(&f->m));
    WH_ASSERT_OK(wh_match_result_new(&f->a));
    WH_ASSERT_OK(wh_match_result_new(&f->b));
    *state = f;
    return 0;
}

int wh_mf_teardown(void **state)
{
    wh_mf *f = *state;
    wh_matcher_free(f->m);
    for (size_t i = 0; i < f->n; i++)
        wh_subscription_free(f->subs[i]);
    wh_match_result_free(f->a);
    wh_match_result_free(f->b);
    free(f);
    return 0;
}

wh_subscription *wh_mf_add(wh_mf *f, const char *pattern, int product)
{
    assert_true(f->n < WH_MF_MAX_SUBS);
    wh_subscription *s;
    char buf[32];
    snprintf(buf, sizeof(buf), "s%zu", f->n);
    WH_ASSERT_OK(wh_subscription_new(&s));
    WH_ASSERT_OK(wh_subscription_set_id(s, buf));
    WH_ASSERT_OK(wh_subscription_set_url(s, "https://example.com/hook"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, pattern));
    if (product >= 0) {
        snprintf(buf, sizeof(buf), "p%d", product);
        WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, buf));
    }
    WH_ASSERT_OK(wh_matcher_add(f->m, s));
    f->subs[f->n++] = s;
    return s;
}

void wh_mf_relisten(wh_mf *f, wh_subscription *s, const char *pattern)
{
    WH_ASSERT_OK(wh_subscription_list_clear(s, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, pattern));
    WH_ASSERT_OK(wh_matcher_update(f->m, s));
}

size_t wh_mf_check(wh_mf *f, const char *type, int product)
{
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, type));
    if (product >= 0) {
        char buf[16];
        snprintf(buf, sizeof(buf), "p%d", product);
        WH_ASSERT_OK(wh_event_add_product(e, buf));
    }
    size_t count = wh_mf_check_event(f, e);
    wh_event_free(e);
    return count;
}

size_t wh_mf_check_event(wh_mf *f, const wh_event *e)
{
    WH_ASSERT_OK(wh_matcher_match(f->m, e, f->a));
    WH_ASSERT_OK(whi_matcher_match_linear(f->m, e, f->b));
    assert_int_equal(wh_match_result_count(f->a), wh_match_result_count(f->b));
    for (size_t i = 0; i < wh_match_result_count(f->a); i++)
        assert_ptr_equal(wh_match_result_at(f->a, i), wh_match_result_at(f->b, i));
    return wh_match_result_count(f->a);
}

const whi_mnode *wh_mf_exact(const wh_matcher *m, const char *type)
{
    size_t len = strlen(type);
    return whi_nmap_get(&m->exact, whi_path_hash(type, len), type, len);
}

/* Whether the trie list of that kind at node t reaches type (the root's are never copied). */
static bool list_reaches(const whi_mnode *t, int kind, const char *type)
{
    char pattern[WHI_MAX_KEY + 4];
    snprintf(pattern, sizeof(pattern), "%s%s", t->key, kind == WHI_KEY_DEEP ? ".**" : "");
    return t->keylen > 0 && wh_event_type_matches(pattern, type);
}

/* Every posting that reaches n's type from the trie is in n. */
static void assert_copies_present(const wh_matcher *m, const whi_mnode *n)
{
    for (size_t i = 0; i < m->trie.cap; i++) {
        const whi_mnode *t = m->trie.slots[i].node;
        if (!t) continue;
        for (int kind = WHI_KEY_END; kind <= WHI_KEY_DEEP; kind++) {
            if (!list_reaches(t, kind, n->key)) continue;
            plist l = whi_node_list(t, kind);
            for (uint32_t j = 0; j < l.n; j++) {
                whi_posting *p =
                    whi_plist_find(whi_node_list(n, WHI_KEY_END), WHI_TAG_SEQ(l.v[j].tag));
                assert_non_null(p);
                assert_int_equal(p->tag & ~WHI_TAG_EXACT, l.v[j].tag);
                assert_ptr_equal(p->ref, l.v[j].ref);
            }
        }
    }
}

/* Whether seq is listed in a trie list that reaches type. */
static bool trie_lists(const wh_matcher *m, const char *type, uint64_t seq)
{
    for (size_t i = 0; i < m->trie.cap; i++) {
        const whi_mnode *t = m->trie.slots[i].node;
        for (int kind = WHI_KEY_END; t && kind <= WHI_KEY_DEEP; kind++)
            if (list_reaches(t, kind, type) && whi_plist_find(whi_node_list(t, kind), seq))
                return true;
    }
    return false;
}

/* Whether the type tree holds type as an exact type (read without its own lookups). */
static bool tree_has(const whi_tnode *t, const char *type)
{
    for (const char *seg = type; t;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        const whi_tnode *kid = NULL;
        for (uint32_t i = 0; i < t->nkids && !kid; i++)
            if (t->kids[i]->seglen == len && memcmp(t->kids[i]->seg, seg, len) == 0)
                kid = t->kids[i];
        t = kid;
        if (!dot) return t && t->is_type;
        seg = dot + 1;
    }
    return false;
}

size_t wh_mf_assert_mat(const wh_matcher *m)
{
    assert_int_equal(m->types->below, m->exact.n);
    size_t mat = 0;
    for (size_t i = 0; i < m->exact.cap; i++) {
        const whi_mnode *n = m->exact.slots[i].node;
        if (!n) continue;
        plist l = whi_node_list(n, WHI_KEY_END);
        uint32_t exact = 0;
        for (uint32_t j = 0; j < l.n; j++) {
            bool is_exact = l.v[j].tag & WHI_TAG_EXACT;
            exact += is_exact;
            /* A posting without the exact mark is only a copy: only a materialized node has
             * those, and each must still be reached from the trie. */
            if (!is_exact) assert_true(n->flags & WHI_NODE_MAT);
            if (!is_exact) assert_true(trie_lists(m, n->key, WHI_TAG_SEQ(l.v[j].tag)));
        }
        assert_int_equal(exact, n->refs);
        assert_true(n->refs > 0);
        assert_true(tree_has(m->types, n->key));
        if (n->flags & WHI_NODE_MAT) {
            mat++;
            assert_copies_present(m, n);
            assert_true(whi_presence_test(&m->presence, n->hash, WHI_PRES_TYPE));
        }
    }
    return mat;
}
