/*
 * Materialized exact types (match_mat.c): an exact type's node also lists, as copies, the
 * subscriptions whose wildcard patterns reach the type, within a budget; the tree of exact types
 * (match_types.c) finds the types a wildcard reaches. Every check also compares the index with
 * the linear scan (wh_mf_check) and the nodes with the trie (wh_mf_assert_mat).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_fixture.h"
#include "wh_test.h"

static uint32_t postings(const wh_matcher *m, const char *type)
{
    const whi_mnode *n = wh_mf_exact(m, type);
    assert_non_null(n);
    return n->nend;
}

static bool materialized(const wh_matcher *m, const char *type)
{
    const whi_mnode *n = wh_mf_exact(m, type);
    assert_non_null(n);
    return n->flags & WHI_NODE_MAT;
}

/* A type's node takes every wildcard that reaches it, whichever came first, but the root's. */
static void test_exact_node_lists_the_wildcards_reaching_it(void **state)
{
    wh_mf *f = *state;
    wh_mf_add(f, "order.*", -1); /* before the exact type */
    wh_mf_add(f, "*.created", -1);
    wh_mf_add(f, "order.created", -1);
    wh_mf_add(f, "order.**", -1); /* after it */
    wh_mf_add(f, "*.*", 3);
    wh_mf_add(f, "*", -1);         /* the root's: read by every match, never copied */
    wh_mf_add(f, "order.*.x", -1); /* one segment too many */
    wh_mf_add(f, "refund.*", -1);  /* another type */
    assert_true(materialized(f->m, "order.created"));
    assert_int_equal(postings(f->m, "order.created"), 5);
    assert_int_equal(wh_mf_assert_mat(f->m), 1);
    assert_int_equal(wh_mf_check(f, "order.created", -1), 5);
    assert_int_equal(wh_mf_check(f, "order.created", 3), 6);
    assert_int_equal(wh_mf_check(f, "order.shipped", -1), 3); /* no node: the trie */
}

/* A subscription listed for its exact pattern and a wildcard stays listed while either holds. */
static void test_entry_stays_while_a_pattern_reaches(void **state)
{
    wh_mf *f = *state;
    wh_mf_add(f, "a.b", -1); /* keeps the node alive */
    wh_subscription *s = wh_mf_add(f, "a.b", -1);
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "a.*"));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, "*.b"));
    WH_ASSERT_OK(wh_matcher_update(f->m, s));
    assert_int_equal(postings(f->m, "a.b"), 2);
    wh_mf_assert_mat(f->m);
    wh_mf_relisten(f, s, "*.b"); /* exact and one wildcard gone, one left */
    assert_int_equal(postings(f->m, "a.b"), 2);
    assert_int_equal(wh_mf_check(f, "a.b", -1), 2);
    wh_mf_assert_mat(f->m);
    wh_mf_relisten(f, s, "a.b.**"); /* nothing reaches "a.b" any more */
    assert_int_equal(postings(f->m, "a.b"), 1);
    assert_int_equal(wh_mf_check(f, "a.b", -1), 1);
    assert_int_equal(wh_mf_check(f, "a.b.c", -1), 1);
    wh_mf_relisten(f, s, "a.b"); /* exact again */
    assert_int_equal(postings(f->m, "a.b"), 2);
    wh_mf_assert_mat(f->m);
    WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[0])));
    assert_int_equal(postings(f->m, "a.b"), 1);
    WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(s)));
    assert_int_equal(f->m->exact.n, 0);
    assert_int_equal(f->m->types->nkids, 0);
}

/* Past the budget a node drops its copies (its type is matched through the trie again), and
 * takes them again once the wildcards reaching it fall to half the budget. */
static void test_budget_drops_and_refills(void **state)
{
    wh_mf *f = *state;
    f->m->mat_budget = 4;
    wh_mf_add(f, "x.y", -1);
    wh_subscription *w[6];
    for (int i = 0; i < 4; i++)
        w[i] = wh_mf_add(f, i % 2 ? "x.*" : "*.y", -1);
    assert_true(materialized(f->m, "x.y"));
    assert_int_equal(postings(f->m, "x.y"), 5);
    w[4] = wh_mf_add(f, "x.**", -1); /* the fifth copy: over the budget */
    assert_false(materialized(f->m, "x.y"));
    assert_int_equal(postings(f->m, "x.y"), 1);
    w[5] = wh_mf_add(f, "x.*", -1);
    assert_int_equal(wh_mf_check(f, "x.y", -1), 7);
    wh_mf_assert_mat(f->m);
    for (int i = 5; i >= 3; i--) /* 6 -> 3 wildcards: still over half the budget */
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(w[i])));
    assert_false(materialized(f->m, "x.y"));
    assert_int_equal(wh_mf_check(f, "x.y", -1), 4);
    WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(w[2]))); /* 2: half */
    assert_true(materialized(f->m, "x.y"));
    assert_int_equal(postings(f->m, "x.y"), 3);
    assert_int_equal(wh_mf_check(f, "x.y", -1), 3);
    wh_mf_assert_mat(f->m);
    /* A type made while over the budget starts unmaterialized. */
    f->m->mat_budget = 1;
    wh_mf_add(f, "q.y", -1);
    wh_mf_add(f, "q.*", -1);
    wh_mf_add(f, "q.y.**", -1);
    wh_mf_add(f, "q.y", -1);
    assert_false(materialized(f->m, "q.y"));
    assert_int_equal(wh_mf_check(f, "q.y", -1), 4); /* with "*.y" */
    wh_mf_assert_mat(f->m);
}

/* Changing a subscription's filter or pointer rewrites its copies as well. */
static void test_update_rewrites_the_copies(void **state)
{
    wh_mf *f = *state;
    wh_mf_add(f, "p.q", -1);
    wh_subscription *s = wh_mf_add(f, "p.*", 1);
    assert_int_equal(wh_mf_check(f, "p.q", 1), 2);
    assert_int_equal(wh_mf_check(f, "p.q", 2), 1);
    WH_ASSERT_OK(wh_subscription_list_clear(s, WH_LIST_PRODUCTS));
    WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_PRODUCTS, "p2"));
    WH_ASSERT_OK(wh_matcher_update(f->m, s));
    assert_int_equal(wh_mf_check(f, "p.q", 1), 1);
    assert_int_equal(wh_mf_check(f, "p.q", 2), 2);
    wh_mf_assert_mat(f->m);
    /* A copy of s made by wh_subscription_clone replaces it in the matcher: results point at the
     * new object, copies included. */
    wh_subscription *c;
    WH_ASSERT_OK(wh_subscription_clone(&c, s));
    WH_ASSERT_OK(wh_matcher_update(f->m, c));
    wh_mf_assert_mat(f->m);
    wh_event *e;
    WH_ASSERT_OK(wh_event_new(&e, "p.q"));
    WH_ASSERT_OK(wh_event_add_product(e, "p2"));
    WH_ASSERT_OK(wh_matcher_match(f->m, e, f->a));
    assert_int_equal(wh_match_result_count(f->a), 2);
    assert_ptr_equal(wh_match_result_at(f->a, 1), c);
    WH_ASSERT_OK(wh_matcher_update(f->m, s)); /* back, before c goes */
    wh_subscription_free(c);
    wh_event_free(e);
}

/* A type without a materialized node whose presence bit is set by one that has one (a false
 * positive of the filter) is still matched through the trie, with or without a node. */
static void test_type_sharing_a_filter_bit_still_walks_the_trie(void **state)
{
    wh_mf *f = *state;
    wh_mf_add(f, "x.y", -1);
    wh_mf_add(f, "w.*", -1); /* a trie, so that matching asks the filter */
    const whi_mpresence *p = &f->m->presence;
    assert_non_null(p->bits);
    size_t bit = whi_presence_bit(p, whi_path_hash("x.y", 3), WHI_PRES_TYPE);
    char type[32] = "", pattern[32];
    for (int i = 0; i < 1000000 && !type[0]; i++) {
        snprintf(pattern, sizeof(pattern), "z%d.v", i);
        if (whi_presence_bit(p, whi_path_hash(pattern, strlen(pattern)), WHI_PRES_TYPE) == bit)
            memcpy(type, pattern, sizeof(type));
    }
    assert_true(type[0] != '\0');
    assert_true(whi_presence_test(p, whi_path_hash(type, strlen(type)), WHI_PRES_TYPE));
    snprintf(pattern, sizeof(pattern), "%.*s.*", (int)(strchr(type, '.') - type), type);
    wh_mf_add(f, pattern, -1);
    assert_null(wh_mf_exact(f->m, type)); /* no node */
    assert_int_equal(wh_mf_check(f, type, -1), 1);
    f->m->mat_budget = 0;
    wh_mf_add(f, type, -1); /* a node, not materialized: the wildcard reaches it */
    assert_false(materialized(f->m, type));
    assert_int_equal(wh_mf_check(f, type, -1), 2);
    wh_mf_assert_mat(f->m);
}

/* ---- the tree of exact types ---- */

static uint64_t g_rng = 0x6A09E667F3BCC908ULL;
static unsigned rnd(unsigned n)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng % n);
}

static void random_path(char *buf, size_t n, bool wild)
{
    static const char *const SEGS[] = {"a", "b", "ab", "order"};
    unsigned depth = 1 + rnd(4);
    buf[0] = '\0';
    for (unsigned i = 0; i < depth; i++) {
        const char *seg = wild && rnd(3) == 0 ? "*" : SEGS[rnd(4)];
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? "." : "", seg);
    }
}

typedef struct seen {
    char types[64][64];
    size_t n;
} seen;

static void seen_cb(void *ud, const char *type, size_t len, uint64_t hash)
{
    seen *s = ud;
    assert_true(s->n < 64 && len < 64);
    memcpy(s->types[s->n], type, len);
    s->types[s->n++][len] = '\0';
    assert_int_equal(hash, whi_path_hash(type, len)); /* the hash comes along */
}

/* whi_types_each finds exactly the held types a pattern matches (by wh_event_type_matches),
 * each once, through adds and removals. */
static void test_type_tree_finds_what_a_pattern_matches(void **state)
{
    (void)state;
    whi_tnode *root = whi_types_new();
    assert_non_null(root);
    char held[40][64];
    bool in[40] = {false};
    for (int i = 0; i < 40; i++)
        random_path(held[i], sizeof(held[i]), false);
    for (int round = 0; round < 200; round++) {
        int i = (int)rnd(40);
        bool dup = false; /* the same type held twice is one type in the tree */
        for (int j = 0; j < 40; j++)
            dup |= j != i && in[j] && strcmp(held[j], held[i]) == 0;
        if (in[i]) {
            if (!dup) whi_types_remove(root, held[i], strlen(held[i]));
            in[i] = false;
        } else {
            WH_ASSERT_OK(whi_types_add(root, held[i], strlen(held[i])));
            in[i] = true;
        }
        char pat[64];
        random_path(pat, sizeof(pat), true);
        bool deep = rnd(2);
        char full[70];
        snprintf(full, sizeof(full), "%s%s", pat, deep ? ".**" : "");
        if (strcmp(full, "*") == 0) continue; /* the root's key: never looked up in the tree */
        seen s = {.n = 0};
        whi_types_each(root, deep ? WHI_KEY_DEEP : WHI_KEY_END, pat, strlen(pat), seen_cb, &s);
        size_t want = 0;
        for (int j = 0; j < 40; j++) {
            bool first = true; /* count each distinct held type once */
            for (int k = 0; k < j; k++)
                first &= !(in[k] && strcmp(held[k], held[j]) == 0);
            if (!in[j] || !first || !wh_event_type_matches(full, held[j])) continue;
            want++;
            size_t hits = 0;
            for (size_t k = 0; k < s.n; k++)
                hits += strcmp(s.types[k], held[j]) == 0;
            assert_int_equal(hits, 1);
        }
        assert_int_equal(s.n, want);
    }
    for (int i = 0; i < 40; i++)
        if (in[i]) whi_types_remove(root, held[i], strlen(held[i]));
    assert_int_equal(root->nkids, 0);
    assert_int_equal(root->below, 0);
    whi_types_free(root);
}

/* ---- allocation failures ---- */

/*
 * Fail the n-th allocation of adding a wildcard that reaches many exact types, and of adding an
 * exact type many wildcards reach, for every n: the add either fails with the matcher as it was,
 * or succeeds (a node that could not take its copy stops being materialized); either way the
 * index agrees with the linear scan and the trie.
 */
static void test_failed_allocations_leave_a_correct_index(void **state)
{
    wh_mf *f = *state;
    char buf[32];
    for (int i = 0; i < 40; i++) {
        snprintf(buf, sizeof(buf), "t.v%d", i);
        wh_mf_add(f, buf, -1);
    }
    for (int i = 0; i < 30; i++)
        wh_mf_add(f, i % 2 ? "t.*" : "*.v7", -1);
    static const char *const NEW[] = {"t.**", "t.v99"}, *const ID[] = {"deep", "exact"};
    for (int k = 0; k < 2; k++) {
        wh_subscription *s;
        WH_ASSERT_OK(wh_subscription_new(&s));
        WH_ASSERT_OK(wh_subscription_set_id(s, ID[k]));
        WH_ASSERT_OK(wh_subscription_set_url(s, "https://example.com/hook"));
        WH_ASSERT_OK(wh_subscription_list_add(s, WH_LIST_EVENTS, NEW[k]));
        int rc = WH_ENOMEM;
        for (long n = 0; rc == WH_ENOMEM; n++) {
            wh_test_alloc_begin(n);
            rc = wh_matcher_add(f->m, s);
            wh_test_alloc_end();
            wh_mf_assert_mat(f->m);
            assert_int_equal(wh_mf_check(f, "t.v7", -1), 31 + (rc == WH_OK && k == 0));
            assert_int_equal(wh_mf_check(f, "t.v99", -1), 15 + (rc == WH_OK));
            if (rc == WH_OK) WH_ASSERT_OK(wh_matcher_remove(f->m, ID[k]));
            if (rc == WH_OK && n < 64) rc = WH_ENOMEM; /* keep failing later allocations */
        }
        wh_subscription_free(s);
    }
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, wh_mf_setup, wh_mf_teardown)
    const struct CMUnitTest tests[] = {
        T(test_exact_node_lists_the_wildcards_reaching_it),
        T(test_entry_stays_while_a_pattern_reaches),
        T(test_budget_drops_and_refills),
        T(test_update_rewrites_the_copies),
        T(test_type_sharing_a_filter_bit_still_walks_the_trie),
        cmocka_unit_test(test_type_tree_finds_what_a_pattern_matches),
        T(test_failed_allocations_leave_a_correct_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
