/* The matcher's presence filter over the trie (whi_mpresence): kept exact through adds, updates
 * and removals, grown as the trie grows, and the trie walk used when it cannot serve. Every
 * check compares the index with the linear scan. */
#include <stdio.h>
#include <stdlib.h>

#include "match_fixture.h"
#include "wh_test.h"
#include "hashmap.h"

/* The filter's counts equal a recount of the trie and the materialized exact types, and each bit
 * is set exactly when its count is not zero. */
static void assert_presence_consistent(const wh_matcher *m)
{
    const whi_mpresence *p = &m->presence;
    assert_non_null(p->bits);
    size_t members = 0;
    for (size_t i = 0; i < m->trie.cap; i++) {
        const whi_mnode *n = m->trie.slots[i].node;
        if (!n) continue;
        uint64_t h = whi_path_hash(n->key, n->keylen);
        members += 1 + (n->nend > 0) + (n->ndeep > 0);
        assert_true(whi_presence_test(p, h, WHI_PRES_NODE));
        if (n->nend) assert_true(whi_presence_test(p, h, WHI_PRES_END));
        if (n->ndeep) assert_true(whi_presence_test(p, h, WHI_PRES_DEEP));
    }
    size_t trie_members = members;
    for (size_t i = 0; i < m->exact.cap; i++) {
        const whi_mnode *n = m->exact.slots[i].node;
        if (n && n->flags & WHI_NODE_MAT) members++;
    }
    assert_int_equal(wh_mf_assert_mat(m), members - trie_members);
    assert_int_equal(p->members, members);
    size_t counted = 0;
    for (size_t i = 0; i < p->nbits; i++) {
        counted += p->counts[i];
        assert_int_equal(p->bits[i / 64] >> (i % 64) & 1, p->counts[i] != 0);
    }
    assert_int_equal(counted, members);
}

/* Members of the filter that are materialized exact types. */
static size_t type_members(const wh_matcher *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->exact.cap; i++)
        k += m->exact.slots[i].node && m->exact.slots[i].node->flags & WHI_NODE_MAT;
    return k;
}

static void test_path_hash_composes_segment_by_segment(void **state)
{
    (void)state;
    uint64_t h = whi_path_hash_step(WHI_PATH_SEED, whi_hash_bytes("a", 1));
    h = whi_path_hash_step(h, whi_hash_bytes("*", 1));
    assert_true(whi_path_hash("a.*", 3) == h);
    assert_true(whi_path_hash("", 0) == WHI_PATH_SEED);
    assert_true(whi_path_hash("a.b", 3) != whi_path_hash("b.a", 3));
    assert_true(whi_path_hash("ab", 2) != whi_path_hash("a.b", 3));
}

/* The last subscription of a key goes: its bits go with it, and a wildcard added after an
 * exact type on the same path is found. */
static void test_last_subscription_of_a_key_clears_it(void **state)
{
    wh_mf *f = *state;
    wh_mf_add(f, "x.y", -1);
    assert_int_equal(wh_mf_check(f, "x.y", -1), 1);
    wh_subscription *w = wh_mf_add(f, "x.*", -1); /* wildcard after the exact type */
    wh_subscription *d = wh_mf_add(f, "x.**", -1);
    assert_int_equal(wh_mf_check(f, "x.y", -1), 3);
    assert_int_equal(wh_mf_check(f, "x.y.z", -1), 1);
    assert_presence_consistent(f->m);
    WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(w)));
    assert_int_equal(wh_mf_check(f, "x.y", -1), 2);
    assert_presence_consistent(f->m);
    WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(d)));
    assert_int_equal(wh_mf_check(f, "x.y", -1), 1);
    assert_int_equal(f->m->trie.n, 0);
    assert_int_equal(f->m->presence.members, type_members(f->m));
    assert_presence_consistent(f->m);
    /* Back again, through an update from an exact type to a wildcard and back. */
    WH_ASSERT_OK(wh_subscription_list_clear(w, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(w, WH_LIST_EVENTS, "x.y"));
    WH_ASSERT_OK(wh_matcher_add(f->m, w));
    WH_ASSERT_OK(wh_subscription_list_clear(w, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(w, WH_LIST_EVENTS, "*.y"));
    WH_ASSERT_OK(wh_matcher_update(f->m, w));
    assert_int_equal(wh_mf_check(f, "x.y", -1), 2);
    assert_int_equal(wh_mf_check(f, "q.y", -1), 1);
    assert_presence_consistent(f->m);
    WH_ASSERT_OK(wh_subscription_list_clear(w, WH_LIST_EVENTS));
    WH_ASSERT_OK(wh_subscription_list_add(w, WH_LIST_EVENTS, "q.y"));
    WH_ASSERT_OK(wh_matcher_update(f->m, w));
    assert_int_equal(wh_mf_check(f, "x.y", -1), 1);
    assert_int_equal(wh_mf_check(f, "q.y", -1), 1);
    assert_int_equal(f->m->presence.members, type_members(f->m));
}

/* Thousands of distinct wildcard paths: the filter grows (rebuilt from the trie) and stays
 * exact, and empties again when they go. */
static void test_filter_grows_and_shrinks_with_the_trie(void **state)
{
    wh_mf *f = *state;
    char buf[64];
    for (int i = 0; i < 900; i++) {
        snprintf(buf, sizeof(buf), "d%d.*", i);
        wh_mf_add(f, buf, -1);
        snprintf(buf, sizeof(buf), "d%d.*.v%d", i, i % 7);
        wh_mf_add(f, buf, -1);
        snprintf(buf, sizeof(buf), "d%d.o%d.**", i, i % 5);
        wh_mf_add(f, buf, -1);
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d", i, i % 5, i % 7);
        wh_mf_add(f, buf, -1);
    }
    assert_true(f->m->presence.nbits > 1024); /* grown past its first size */
    assert_presence_consistent(f->m);
    size_t total = 0;
    for (int i = 0; i < 900; i += 7) {
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d", i, i % 5, i % 7);
        total += wh_mf_check(f, buf, -1); /* exact, d.*.v, and not d.o.** (one segment short) */
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d.x", i, i % 5, i % 7);
        total += wh_mf_check(f, buf, -1); /* d.o.** */
        snprintf(buf, sizeof(buf), "d%d.o9", i);
        total += wh_mf_check(f, buf, -1); /* d.* */
    }
    assert_true(total >= 129 * 4);
    for (size_t i = 0; i < f->n; i += 2)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_presence_consistent(f->m);
    for (int i = 0; i < 900; i += 11) {
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d.x", i, i % 5, i % 7);
        wh_mf_check(f, buf, -1);
        snprintf(buf, sizeof(buf), "d%d.o%d.v%d", i, i % 5, i % 7);
        wh_mf_check(f, buf, -1);
    }
    for (size_t i = 1; i < f->n; i += 2)
        WH_ASSERT_OK(wh_matcher_remove(f->m, wh_subscription_id(f->subs[i])));
    assert_int_equal(f->m->trie.n, 0);
    assert_int_equal(f->m->presence.members, type_members(f->m));
    assert_presence_consistent(f->m);
}

/* Types deeper than the presence walk follows (over 64 segments), or reaching more trie paths
 * than it tracks at once, are matched by the trie walk: same results. */
static void test_deep_and_wide_types_use_the_walk(void **state)
{
    wh_mf *f = *state;
    char buf[256];
    /* Every mix of "a" and "*" over 5 segments, plus deep wildcards: the type a.a.a.a.a reaches
     * 2^5 end paths, more than the presence walk tracks. */
    for (int bits = 0; bits < 32; bits++) {
        buf[0] = '\0';
        for (int i = 0; i < 5; i++)
            strcat(buf, i ? (bits >> i & 1 ? ".*" : ".a") : (bits & 1 ? "*" : "a"));
        wh_mf_add(f, buf, -1);
        strcat(buf, ".**");
        wh_mf_add(f, buf, -1);
    }
    assert_int_equal(wh_mf_check(f, "a.a.a.a.a", -1), 32);
    assert_int_equal(wh_mf_check(f, "a.a.a.a.a.b", -1), 32);
    assert_int_equal(wh_mf_check(f, "b.a.a.a.a", -1), 16);
    /* 100 segments: "a.a. ... .a" (199 bytes). */
    buf[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(buf, i ? ".a" : "a");
    wh_mf_add(f, "a.*.**", -1);
    assert_int_equal(wh_mf_check(f, buf, -1), 1 + 32); /* a.*.** and the 5-segment ".**" patterns */
    buf[9] = '\0';                                     /* a.a.a.a.a */
    assert_int_equal(wh_mf_check(f, buf, -1), 32 + 1);
}

/* Without the filter (its allocation failed), matching walks the trie; the next change that
 * needs it builds it again from the trie. */
static void test_matching_without_the_filter(void **state)
{
    wh_mf *f = *state;
    wh_mf_add(f, "o.*", -1);
    wh_mf_add(f, "o.**", -1);
    wh_mf_add(f, "*.created", -1);
    wh_mf_add(f, "o.created", -1);
    whi_presence_free(&f->m->presence); /* as after a failed allocation */
    assert_int_equal(wh_mf_check(f, "o.created", -1), 4);
    assert_int_equal(wh_mf_check(f, "o.x.y", -1), 1);
    wh_mf_add(f, "p.*", -1);
    assert_non_null(f->m->presence.bits);
    assert_presence_consistent(f->m);
    assert_int_equal(wh_mf_check(f, "o.created", -1), 4);
    assert_int_equal(wh_mf_check(f, "p.created", -1), 2);
}

/* A bit's count stops at UINT16_MAX and the bit then stays set: more members on one bit than a
 * count holds can only cost false positives, never a lost match. */
static void test_full_count_keeps_its_bit(void **state)
{
    (void)state;
    whi_mpresence p;
    WH_ASSERT_OK(whi_presence_alloc(&p, 1024));
    uint64_t h = whi_path_hash("a.b", 3);
    size_t bit = whi_presence_bit(&p, h, WHI_PRES_END);
    for (int i = 0; i < 70000; i++)
        whi_presence_count(&p, h, WHI_PRES_END, +1);
    assert_int_equal(p.counts[bit], UINT16_MAX);
    for (int i = 0; i < 70000; i++)
        whi_presence_count(&p, h, WHI_PRES_END, -1);
    assert_true(whi_presence_test(&p, h, WHI_PRES_END));
    assert_int_equal(p.members, 0);
    /* Below the limit, counts come and go exactly. */
    uint64_t g = whi_path_hash("c", 1);
    whi_presence_count(&p, g, WHI_PRES_NODE, +1);
    whi_presence_count(&p, g, WHI_PRES_NODE, +1);
    whi_presence_count(&p, g, WHI_PRES_NODE, -1);
    assert_true(whi_presence_test(&p, g, WHI_PRES_NODE));
    whi_presence_count(&p, g, WHI_PRES_NODE, -1);
    assert_int_equal(p.counts[whi_presence_bit(&p, g, WHI_PRES_NODE)],
                     whi_presence_bit(&p, g, WHI_PRES_NODE) == bit ? UINT16_MAX : 0);
    whi_presence_free(&p);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, wh_mf_setup, wh_mf_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_hash_composes_segment_by_segment),
        T(test_last_subscription_of_a_key_clears_it),
        T(test_filter_grows_and_shrinks_with_the_trie),
        T(test_deep_and_wide_types_use_the_walk),
        T(test_matching_without_the_filter),
        cmocka_unit_test(test_full_count_keeps_its_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
